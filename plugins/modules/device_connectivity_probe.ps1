#!powershell

# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

#AnsibleRequires -CSharpUtil Ansible.Basic
#AnsibleRequires -CSharpUtil ansible_collections.purview.device_proxy.plugins.module_utils.WinHttpProbe
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

        # Set by the action plugin only.
        _urls = @{ type = 'list'; elements = 'str'; required = $true }
        _methods = @{ type = 'list'; elements = 'str'; required = $true }
        _command_line_proxy = @{ type = 'str' }
        _max_concurrency = @{ type = 'int'; required = $true }
        _probe_timeout_ms = @{ type = 'int'; required = $true }
        _deadline_ms = @{ type = 'int'; required = $true }
        _establish_after = @{ type = 'int'; required = $true }
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

$plan = [ansible_collections.purview.device_proxy.plugins.module_utils.WinHttpProbe.ProbeScheduler]::Plan(
    [String[]]@($module.Params._urls),
    [String[]]@($module.Params._methods),
    $namedProxy,
    $module.Params._command_line_proxy)
$transport = New-Object -TypeName ansible_collections.purview.device_proxy.plugins.module_utils.WinHttpProbe.WinHttpTransport
$scheduler = New-Object -TypeName ansible_collections.purview.device_proxy.plugins.module_utils.WinHttpProbe.ProbeScheduler -ArgumentList @(
    $transport, $module.Params._max_concurrency, $module.Params._probe_timeout_ms, $module.Params._deadline_ms)
$scheduler.EstablishAfter = $module.Params._establish_after

$clock = [System.Diagnostics.Stopwatch]::StartNew()
$results = $scheduler.Run($plan)
$clock.Stop()

$identity = [System.Security.Principal.WindowsIdentity]::GetCurrent()
$module.Result.changed = $false
$module.Result.raw = @{
    probes = @(foreach ($result in $results) { $result.ToDictionary() })
    telemetry_proxy_server = $telemetryProxyServer
    winhttp_settings = @{
        native = Get-RawData -Path $winhttp.native -Name $winhttp.name -Kind 'Binary'
        wow64 = Get-RawData -Path $winhttp.wow64 -Name $winhttp.name -Kind 'Binary'
    }
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
