# Test listeners for the device_connectivity_probe integration target. They run as a scheduled task
# (a process started inside a WinRM/PSRP session is ended with the session), bind only the address
# given (the host's own non-loopback address, so that requests through a proxy are really sent to
# the proxy) and stop by themselves after $Lifetime seconds:
#   $HttpPort  answers every request "404 Not Found" (a service answering a code the test expects);
#   $HolePort  accepts TCP connections and never answers (a black hole for the deadline case,
#              without needing a route to any address outside the host).
param([string]$Address, [int]$HttpPort = 48080, [int]$HolePort = 48081, [int]$Lifetime = 900)

$bind = [System.Net.IPAddress]::Parse($Address)
$http = New-Object -TypeName System.Net.Sockets.TcpListener -ArgumentList $bind, $HttpPort
$hole = New-Object -TypeName System.Net.Sockets.TcpListener -ArgumentList $bind, $HolePort
$http.Start()
$hole.Start(64)
$held = New-Object -TypeName System.Collections.Generic.List[System.Net.Sockets.TcpClient]
$answer = [System.Text.Encoding]::ASCII.GetBytes("HTTP/1.1 404 Not Found`r`nContent-Length: 0`r`nConnection: close`r`n`r`n")
$clock = [System.Diagnostics.Stopwatch]::StartNew()
try {
    while ($clock.Elapsed.TotalSeconds -lt $Lifetime) {
        if ($http.Pending()) {
            $client = $http.AcceptTcpClient()
            try {
                $stream = $client.GetStream()
                $stream.ReadTimeout = 2000
                $buffer = New-Object -TypeName byte[] -ArgumentList 4096
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
