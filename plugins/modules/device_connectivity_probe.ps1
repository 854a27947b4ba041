#!powershell

# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

#AnsibleRequires -CSharpUtil Ansible.Basic
#AnsibleRequires -CSharpUtil ansible_collections.purview.device_proxy.plugins.module_utils.WinHttpProbeScheduler
#AnsibleRequires -CSharpUtil ansible_collections.purview.device_proxy.plugins.module_utils.WinHttpProbeTransport
#AnsibleRequires -CSharpUtil ansible_collections.purview.device_proxy.plugins.module_utils.WinHttpProxyConfig
#AnsibleRequires -PowerShell ansible_collections.purview.device_proxy.plugins.module_utils.RawRegistry

# The target half of purview.device_proxy.device_connectivity_probe. The action plugin resolves the URLs
# and validates every option; this script reads TelemetryProxyServer and WinHttpSettings raw,
# runs the WinHTTP probes through the C# helper and returns the raw results. It changes nothing.

$spec = @{
    options = @{
        urls = @{ type = 'list'; elements = 'raw' }
        catalog = @{ type = 'bool' }
        cloud = @{ type = 'str'; default = 'commercial'; choices = 'commercial', 'gcc', 'gcc-high', 'dod' }
        regions = @{ type = 'list'; elements = 'str'; default = 'us', 'eu', 'uk' }
        model = @{ type = 'str'; default = 'standard'; choices = 'standard', 'streamlined' }
        required_only = @{ type = 'bool'; default = $false }
        command_line_proxy = @{ type = 'str' }
        methods = @{
            type = 'list'
            elements = 'str'
            choices = 'default', 'wpad', 'disabled', 'named', 'command_line'
            default = 'default', 'wpad', 'disabled', 'named', 'command_line'
        }
        max_concurrency = @{ type = 'int' }
        probe_timeout = @{ type = 'int'; default = 10 }
        deadline = @{ type = 'int' }
        establish_after = @{ type = 'int'; default = 2 }
        fail_policy = @{ type = 'str'; default = 'never'; choices = 'any', 'required', 'never' }
        fail_verdict = @{ type = 'str'; default = 'strict'; choices = 'strict', 'analyzer' }
        legacy_text = @{ type = 'bool'; default = $false }
        validate_maps = @{ type = 'bool'; default = $false }
        maps_timeout = @{ type = 'int'; default = 60 }

        # Set by the action plugin only.
        _urls = @{ type = 'list'; elements = 'str'; required = $true }
        _methods = @{ type = 'list'; elements = 'str'; required = $true }
        _command_line_proxy = @{ type = 'str' }
        _max_concurrency = @{ type = 'int'; required = $true }
        _probe_timeout_ms = @{ type = 'int'; required = $true }
        _deadline_ms = @{ type = 'int'; required = $true }
        _establish_after = @{ type = 'int'; required = $true }
        # MpCmdRun's time limit and where Defender records its platform folder; MpCmdRun is started
        # only when the controller sends this.
        _maps = @{
            type = 'dict'
            options = @{
                timeout_ms = @{ type = 'int'; required = $true }
                install_location = @{
                    type = 'dict'
                    required = $true
                    options = @{
                        path = @{ type = 'str'; required = $true }
                        name = @{ type = 'str'; required = $true }
                    }
                }
            }
        }
        # Where the named proxy and the WinHttpSettings views live (registry_locations, all HKLM).
        _registry = @{
            type = 'dict'
            required = $true
            options = @{
                telemetry_proxy_server = @{
                    type = 'dict'
                    required = $true
                    options = @{
                        path = @{ type = 'str'; required = $true }
                        name = @{ type = 'str'; required = $true }
                    }
                }
                winhttp = @{
                    type = 'dict'
                    required = $true
                    options = @{
                        native = @{ type = 'str'; required = $true }
                        wow64 = @{ type = 'str'; required = $true }
                        name = @{ type = 'str'; required = $true }
                    }
                }
            }
        }
    }
    supports_check_mode = $true
}

$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)

$named = $module.Params._registry.telemetry_proxy_server
$winhttp = $module.Params._registry.winhttp

Function Get-RawData {
    param ([String]$Path, [String]$Name, [String]$Kind)

    $value = Get-RawRegistryValue -Hive HKLM -Path $Path -Name $Name
    if ($null -eq $value -or $value.kind -ne $Kind) {
        return $null
    }
    $value.data
}

$telemetryProxyServer = Get-RawData -Path $named.path -Name $named.name -Kind 'String'
$namedProxy = if ($null -ne $telemetryProxyServer) { $telemetryProxyServer.Trim() } else { $null }

$plan = [ansible_collections.purview.device_proxy.plugins.module_utils.WinHttpProbeScheduler.ProbeScheduler]::Plan(
    [String[]]@($module.Params._urls),
    [String[]]@($module.Params._methods),
    $namedProxy,
    $module.Params._command_line_proxy)
$transport = New-Object -TypeName ansible_collections.purview.device_proxy.plugins.module_utils.WinHttpProbeTransport.WinHttpTransport
$scheduler = New-Object -TypeName ansible_collections.purview.device_proxy.plugins.module_utils.WinHttpProbeScheduler.ProbeScheduler -ArgumentList @(
    $transport, $module.Params._max_concurrency, $module.Params._probe_timeout_ms, $module.Params._deadline_ms)
$scheduler.EstablishAfter = $module.Params._establish_after

Function Find-MpCmdRun {
    param ($InstallLocation)

    # The current platform folder first (Defender's InstallLocation, else the newest folder under
    # ProgramData\...\Platform), then the copy that ships with Windows under Program Files.
    $candidates = [System.Collections.Generic.List[Object]]@()
    $folder = Get-RawRegistryValue -Hive HKLM -Path $InstallLocation.path -Name $InstallLocation.name
    if ($null -ne $folder -and $folder.kind -in @('String', 'ExpandString') -and $folder.data) {
        $where = [System.Environment]::ExpandEnvironmentVariables([String]$folder.data)
        $candidates.Add(@{ path = Join-Path -Path $where -ChildPath 'MpCmdRun.exe'; source = 'install-location' })
    }
    $platform = Join-Path -Path $env:ProgramData -ChildPath 'Microsoft\Windows Defender\Platform'
    if (Test-Path -LiteralPath $platform -PathType Container) {
        $newest = Get-ChildItem -LiteralPath $platform -Directory -ErrorAction SilentlyContinue |
            Where-Object { Test-Path -LiteralPath (Join-Path -Path $_.FullName -ChildPath 'MpCmdRun.exe') -PathType Leaf } |
            Sort-Object -Property @{ Expression = {
                    $version = $null
                    if ([System.Version]::TryParse(($_.Name -split '-')[0], [ref]$version)) { $version } else { [System.Version]'0.0' }
                }
            } -Descending |
            Select-Object -First 1
        if ($null -ne $newest) {
            $candidates.Add(@{ path = Join-Path -Path $newest.FullName -ChildPath 'MpCmdRun.exe'; source = 'platform' })
        }
    }
    # In a 32-bit PowerShell on 64-bit Windows ProgramFiles names Program Files (x86); ProgramW6432
    # names the 64-bit folder Defender is in (WOW64 environment variables). Only System32 is
    # redirected, so that path is reachable from either kind of process.
    $programFiles = if ($env:ProgramW6432) { $env:ProgramW6432 } else { $env:ProgramFiles }
    $candidates.Add(@{ path = Join-Path -Path $programFiles -ChildPath 'Windows Defender\MpCmdRun.exe'; source = 'program-files' })
    foreach ($candidate in $candidates) {
        if (Test-Path -LiteralPath $candidate.path -PathType Leaf) {
            return $candidate
        }
    }
    $null
}

Function Start-MapsCheck {
    param ([Int32]$TimeoutMs, $InstallLocation)

    $check = @{
        ran = $false
        not_run_reason = $null
        error_message = $null
        path = $null
        path_source = $null
        exit_code = $null
        output = @()
        elapsed_ms = 0
        timed_out = $false
        timeout_ms = $TimeoutMs
    }
    $found = Find-MpCmdRun -InstallLocation $InstallLocation
    if ($null -eq $found) {
        $check.not_run_reason = 'not-installed'
        return @{ facts = $check; process = $null }
    }
    $check.path = $found.path
    $check.path_source = $found.source
    $startInfo = New-Object -TypeName System.Diagnostics.ProcessStartInfo
    $startInfo.FileName = $found.path
    $startInfo.Arguments = '-ValidateMapsConnection'
    $startInfo.UseShellExecute = $false
    $startInfo.CreateNoWindow = $true
    $startInfo.RedirectStandardOutput = $true
    $startInfo.RedirectStandardError = $true
    $process = New-Object -TypeName System.Diagnostics.Process
    $process.StartInfo = $startInfo
    try {
        $null = $process.Start()
    }
    catch {
        # Access denied, an application control policy or tamper protection refusing the start.
        $check.not_run_reason = 'start-failed'
        $check.error_message = $_.Exception.Message
        return @{ facts = $check; process = $null }
    }
    $check.ran = $true
    # Read both streams while the probes run so a full pipe cannot stall MpCmdRun.
    @{
        facts = $check
        process = $process
        stdout = $process.StandardOutput.ReadToEndAsync()
        stderr = $process.StandardError.ReadToEndAsync()
        clock = [System.Diagnostics.Stopwatch]::StartNew()
    }
}

Function Complete-MapsCheck {
    param ($Started)

    $check = $Started.facts
    $process = $Started.process
    if ($null -eq $process) {
        return $check
    }
    $remaining = [Math]::Max(0, $check.timeout_ms - [Int32]$Started.clock.ElapsedMilliseconds)
    if ($process.WaitForExit($remaining)) {
        $process.WaitForExit()  # lets the redirected streams finish
        $check.exit_code = $process.ExitCode
    }
    else {
        $check.timed_out = $true
        try { $process.Kill() } catch { $null = $_ }  # it may have ended in between
    }
    $Started.clock.Stop()
    $check.elapsed_ms = $Started.clock.ElapsedMilliseconds
    $text = ''
    foreach ($stream in @($Started.stdout, $Started.stderr)) {
        if ($stream.Wait(1000)) {
            $text += [String]$stream.Result + "`n"
        }
    }
    $check.output = @($text -split '\r?\n' | ForEach-Object { $_.TrimEnd() } | Where-Object { $_ -ne '' })
    $process.Dispose()
    $check
}

$maps = $null
$mapsOption = $module.Params._maps
if ($null -ne $mapsOption) {
    # Started before the probes and bounded by its own limit, which the controller keeps inside the deadline.
    $maps = Start-MapsCheck -TimeoutMs $mapsOption.timeout_ms -InstallLocation $mapsOption.install_location
}

$clock = [System.Diagnostics.Stopwatch]::StartNew()
$results = $scheduler.Run($plan)
$clock.Stop()
$mapsFacts = if ($null -ne $maps) { Complete-MapsCheck -Started $maps } else { $null }

Function Get-WinHttpApiReading {
    $proxyConfig = 'ansible_collections.purview.device_proxy.plugins.module_utils.WinHttpProxyConfig'
    $api = New-Object -TypeName "$proxyConfig.NativeWinHttpApi"
    $read = ("$proxyConfig.DefaultProxy" -as [Type])::ReadBack($api)
    @{ access_type = $read.AccessType; proxy = $read.Proxy; bypass = $read.ProxyBypass; error = $read.Error }
}

$identity = [System.Security.Principal.WindowsIdentity]::GetCurrent()
$module.Result.changed = $false
$module.Result.raw = @{
    probes = @(foreach ($result in $results) { $result.ToDictionary() })
    telemetry_proxy_server = $telemetryProxyServer
    maps = $mapsFacts
    winhttp_settings = @{
        native = Get-RawData -Path $winhttp.native -Name $winhttp.name -Kind 'Binary'
        wow64 = Get-RawData -Path $winhttp.wow64 -Name $winhttp.name -Kind 'Binary'
    }
    # The default proxy as WinHTTP itself reads it (WinHttpGetDefaultProxyConfiguration): the
    # controller decides the configured method from this, the bytes above are the fallback.
    winhttp_api = Get-WinHttpApiReading
    process = @{
        user = $identity.Name
        sid = $identity.User.Value
        is_system = $identity.User.Value -eq 'S-1-5-18'
        is_64bit = [System.Environment]::Is64BitProcess
        is_64bit_os = [System.Environment]::Is64BitOperatingSystem
        os_version = [System.Environment]::OSVersion.Version.ToString()
    }
    run = @{
        elapsed_ms = $clock.ElapsedMilliseconds
        probes = $plan.Count
        peak_concurrency = $scheduler.PeakConcurrency
        abandoned = $scheduler.Abandoned
        deadline_reached = $scheduler.DeadlineReached
        probes_made = $scheduler.ProbesMade
        wpad_discovery = if ($null -ne $scheduler.Discovery) { $scheduler.Discovery.ToDictionary() } else { $null }
        max_concurrency = $module.Params._max_concurrency
        probe_timeout_ms = $module.Params._probe_timeout_ms
        deadline_ms = $module.Params._deadline_ms
    }
}
$module.ExitJson()
