#!powershell

# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

#AnsibleRequires -CSharpUtil Ansible.Basic
#AnsibleRequires -CSharpUtil ansible_collections.purview.device_proxy.plugins.module_utils.WinHttpProxyConfig
#AnsibleRequires -PowerShell ansible_collections.purview.device_proxy.plugins.module_utils.RawRegistry

# The target half of purview.device_proxy.winhttp_proxy. It never decodes WinHttpSettings and
# never decides: the action plugin reads the raw bytes of both registry views (_mode=read),
# decodes and compares them, and only when something must change sends what to write
# (_mode=apply), guarded by the bytes it based that decision on.

$spec = @{
    options = @{
        state = @{ type = 'str'; choices = 'present', 'absent'; default = 'present' }
        proxy = @{ type = 'raw' }
        bypass = @{ type = 'list'; elements = 'str' }
        source = @{ type = 'str'; choices = @('ie') }
        device_topology = @{ type = 'str'; choices = 'stable', 'roaming', 'unknown'; default = 'unknown' }
        force = @{ type = 'bool'; default = $false }
        # Used by the action plugin only; accepted so that invocation shows it.
        current_settings = @{ type = 'dict' }

        # Set by the action plugin only.
        _mode = @{ type = 'str'; choices = 'read', 'apply', 'restore'; default = 'read' }
        _read_ie = @{ type = 'bool'; default = $false }
        _expected_native_hex = @{ type = 'str'; default = '' }
        _expected_wow64_hex = @{ type = 'str'; default = '' }
        _set_native = @{ type = 'bool'; default = $false }
        _access_type = @{ type = 'str'; choices = 'no_proxy', 'named_proxy'; default = 'no_proxy' }
        _proxy = @{ type = 'str'; default = '' }
        _bypass = @{ type = 'str'; default = '' }
        _mirror_wow64 = @{ type = 'bool'; default = $false }
        # Restore: each view's value as read ({kind, data}, any kind RawRegistry reads), null to remove it.
        _restore_native = @{ type = 'raw' }
        _restore_wow64 = @{ type = 'raw' }
        # Where the two views of the value live (plugin_utils/registry_locations.py).
        _registry = @{
            type = 'dict'
            required = $true
            options = @{
                native = @{ type = 'str'; required = $true }
                wow64 = @{ type = 'str'; required = $true }
                name = @{ type = 'str'; required = $true }
            }
        }
    }
    supports_check_mode = $true
}

$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$params = $module.Params

$helper = 'ansible_collections.purview.device_proxy.plugins.module_utils.WinHttpProxyConfig'
$nativePath = $params._registry.native
$wow64Path = $params._registry.wow64
$valueName = $params._registry.name
$is64BitOs = [System.Environment]::Is64BitOperatingSystem

Function Get-Setting {
    # The value as RawRegistry reads it: @{kind; data} or $null.
    param ([String]$Path)

    Get-RawRegistryValue -Hive HKLM -Path $Path -Name $valueName
}

Function ConvertTo-Reported {
    # A binary value travels as its hex (what the controller decodes); any other kind as
    # @{kind; data}, so it is reported as what it is and never decoded as hex.
    param ([Object]$Value)

    if ($null -eq $Value) { $null }
    elseif ($Value.kind -eq 'Binary') { [String]$Value.data }
    else { $Value }
}

Function Get-GuardToken {
    # What the changed-since-read guard compares: the hex of a binary value ('' when missing),
    # the kind and JSON data of any other kind. The controller sends back the token it was given.
    param ([Object]$Value)

    if ($null -eq $Value) { '' }
    elseif ($Value.kind -eq 'Binary') { [String]$Value.data }
    else { "$($Value.kind):$(ConvertTo-Json -InputObject $Value.data -Compress)" }
}

Function Set-Setting {
    # Put a value back as it was read ($null removes it), whatever its kind.
    param ([String]$Path, [Object]$Value)

    if ($null -eq $Value) {
        Remove-RawRegistryValue -Hive HKLM -Path $Path -Name $valueName
    }
    else {
        Set-RawRegistryValue -Hive HKLM -Path $Path -Name $valueName -Kind $Value.kind -Data $Value.data
    }
}

Function Get-Views {
    @{
        native = Get-Setting -Path $nativePath
        wow64 = if ($is64BitOs) { Get-Setting -Path $wow64Path } else { $null }
    }
}

Function Get-ApiReadBack {
    # The default proxy as WinHTTP itself reports it (the view of this process).
    $read = ("$helper.DefaultProxy" -as [Type])::ReadBack($api)
    @{ access_type = $read.AccessType; proxy = $read.Proxy; bypass = $read.ProxyBypass; error = $read.Error }
}

$api = New-Object -TypeName "$helper.NativeWinHttpApi"
$before = Get-Views
$apiBefore = Get-ApiReadBack
$apiAfter = $null

$ieProxy = $null
if ($params._read_ie) {
    $ie = $api.GetIeProxyForCurrentUser()
    $ieProxy = @{
        found = $ie.Found
        auto_detect = $ie.AutoDetect
        auto_config_url = $ie.AutoConfigUrl
        proxy = $ie.Proxy
        proxy_bypass = $ie.ProxyBypass
    }
}

if ($params._mode -eq 'apply') {
    if ((Get-GuardToken -Value $before.native) -cne $params._expected_native_hex -or (Get-GuardToken -Value $before.wow64) -cne $params._expected_wow64_hex) {
        # The rule lets the action plugin tell this refusal from other failures and read again.
        $module.Result.rule = 'changed-since-read'
        $module.FailJson('WinHttpSettings changed on the host after it was read; nothing was written, run the task again')
    }
    if ($params._set_native -and $is64BitOs -and -not [System.Environment]::Is64BitProcess) {
        # WinHTTP writes the registry view of the calling process: from 32-bit PowerShell the
        # API call would land in WOW6432Node and the native copy would stay as it is.
        $module.Result.rule = 'process-not-64bit'
        $module.FailJson('winhttp_proxy needs 64-bit PowerShell on 64-bit Windows (a 32-bit process writes only the WOW6432Node copy of WinHttpSettings); nothing was written')
    }
    $module.Result.changed = $params._set_native -or $params._mirror_wow64
    if (-not $module.CheckMode) {
        try {
            if ($params._set_native) {
                $accessType = if ($params._access_type -eq 'named_proxy') { 'NamedProxy' } else { 'NoProxy' }
                $setting = New-Object -TypeName "$helper.DefaultProxySetting" -ArgumentList @(
                    [Enum]::Parse(("$helper.AccessType" -as [Type]), $accessType),
                    $params._proxy,
                    $params._bypass
                )
                ("$helper.DefaultProxy" -as [Type])::Apply($api, $setting)
            }
            if ($params._mirror_wow64 -and $is64BitOs) {
                Set-Setting -Path $wow64Path -Value (Get-Setting -Path $nativePath)
            }
            $apiAfter = Get-ApiReadBack
        }
        catch {
            # Put both views back to the bytes read before, so a failure never leaves one copy
            # changed and the other not.
            $failure = $_
            $outcome = 'the previous values were restored'
            try {
                Set-Setting -Path $nativePath -Value $before.native
                if ($is64BitOs) {
                    Set-Setting -Path $wow64Path -Value $before.wow64
                }
                $module.Result.changed = $false
            }
            catch {
                $outcome = "restoring the previous values failed too: $($_.Exception.Message)"
            }
            $module.FailJson("writing WinHttpSettings failed: $($failure.Exception.Message); $outcome", $failure)
        }
    }
}
elseif ($params._mode -eq 'restore') {
    $module.Result.changed = $true
    if (-not $module.CheckMode) {
        Set-Setting -Path $nativePath -Value $params._restore_native
        if ($is64BitOs) {
            Set-Setting -Path $wow64Path -Value $params._restore_wow64
        }
    }
}

$after = Get-Views
$module.Result.raw = @{
    is_64bit_os = $is64BitOs
    native_before = ConvertTo-Reported -Value $before.native
    wow64_before = ConvertTo-Reported -Value $before.wow64
    native_after = ConvertTo-Reported -Value $after.native
    wow64_after = ConvertTo-Reported -Value $after.wow64
    guard_before = @{ native = Get-GuardToken -Value $before.native; wow64 = Get-GuardToken -Value $before.wow64 }
    # Which registry view the API calls of this process read and write.
    api_view = if ($is64BitOs -and -not [System.Environment]::Is64BitProcess) { 'wow64' } else { 'native' }
    api_before = $apiBefore
    api_after = $apiAfter
    ie_proxy = $ieProxy
}
$module.ExitJson()
