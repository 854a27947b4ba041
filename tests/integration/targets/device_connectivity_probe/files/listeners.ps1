# Test listeners for the device_connectivity_probe integration target, on loopback only, that stop by
# themselves after $Lifetime seconds:
#   $HttpPort  answers every request "404 Not Found" (a service answering a code the test expects);
#   $HolePort  accepts TCP connections and never answers (a black hole for the deadline case,
#              without needing a route to any address outside the host).
param([int]$HttpPort = 48080, [int]$HolePort = 48081, [int]$Lifetime = 240)

$http = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, $HttpPort)
$hole = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, $HolePort)
$http.Start()
$hole.Start(64)
$held = [System.Collections.Generic.List[System.Net.Sockets.TcpClient]]::new()
$answer = [System.Text.Encoding]::ASCII.GetBytes("HTTP/1.1 404 Not Found`r`nContent-Length: 0`r`nConnection: close`r`n`r`n")
$clock = [System.Diagnostics.Stopwatch]::StartNew()
try {
    while ($clock.Elapsed.TotalSeconds -lt $Lifetime) {
        if ($http.Pending()) {
            $client = $http.AcceptTcpClient()
            try {
                $stream = $client.GetStream()
                $stream.ReadTimeout = 2000
                $buffer = New-Object byte[] 4096
                try { [void]$stream.Read($buffer, 0, $buffer.Length) } catch { }
                $stream.Write($answer, 0, $answer.Length)
            }
            finally {
                $client.Close()
            }
        }
        elseif ($hole.Pending()) {
            $held.Add($hole.AcceptTcpClient())
        }
        else {
            Start-Sleep -Milliseconds 20
        }
    }
}
finally {
    foreach ($client in $held) { $client.Close() }
    $http.Stop()
    $hole.Stop()
}
