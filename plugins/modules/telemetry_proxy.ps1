#!powershell

# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

#AnsibleRequires -CSharpUtil Ansible.Basic
#AnsibleRequires -PowerShell ansible_collections.purview.device_proxy.plugins.module_utils.RawRegistry

# The target half of purview.device_proxy.telemetry_proxy. The action plugin validates the
# options and sends the exact registry values to hold in _values; this script reads each value,
# writes it only when the raw value differs, and reports the raw value before and after.

$spec = @{
    options = @{
        state = @{ type = 'str'; choices = 'present', 'absent'; default = 'present' }
        proxy = @{ type = 'str' }
        prefer_static_proxy_for_http_request = @{ type = 'bool' }

        # Set by the action plugin only.
        _values = @{
            type = 'list'
            elements = 'dict'
            required = $true
            options = @{
                path = @{ type = 'str'; required = $true }
                name = @{ type = 'str'; required = $true }
                state = @{ type = 'str'; required = $true; choices = 'present', 'absent', 'read' }
                kind = @{ type = 'str'; choices = 'String', 'DWord' }
                data = @{ type = 'raw' }
            }
        }
    }
    supports_check_mode = $true
}

$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)

# What was written, with the value it replaced, so a failure part-way can put it back: the
# task either holds every requested value or leaves the previous configuration.
$written = [System.Collections.Generic.List[Object]]@()

Function Restore-Written {
    # Put back the replaced values, newest first; return what could not be restored.
    $problems = [System.Collections.Generic.List[String]]@()
    for ($i = $written.Count - 1; $i -ge 0; $i--) {
        $item = $written[$i]
        try {
            if ($null -eq $item.before) {
                Remove-RawRegistryValue -Hive HKLM -Path $item.path -Name $item.name
            }
            else {
                Set-RawRegistryValue -Hive HKLM -Path $item.path -Name $item.name -Kind $item.before.kind -Data $item.before.data
            }
        }
        catch {
            $problems.Add("$($item.path)\$($item.name): $($_.Exception.Message)")
        }
    }
    , $problems
}

try {
    $values = foreach ($entry in $module.Params._values) {
        $before = Get-RawRegistryValue -Hive HKLM -Path $entry.path -Name $entry.name
        $desired = if ($entry.state -eq 'present') { @{ kind = $entry.kind; data = $entry.data } } else { $null }

        if ($entry.state -ne 'read' -and -not (Test-RawRegistryValueEqual -Current $before -Desired $desired)) {
            $module.Result.changed = $true
            if (-not $module.CheckMode) {
                if ($null -ne $before -and $before.kind -eq 'Unknown') {
                    # .NET cannot write this kind back, so a rollback would fail: change nothing.
                    throw "$($entry.path)\$($entry.name) holds a registry kind that cannot be restored; it was left as it is"
                }
                $written.Add(@{ path = $entry.path; name = $entry.name; before = $before })
                if ($entry.state -eq 'present') {
                    Set-RawRegistryValue -Hive HKLM -Path $entry.path -Name $entry.name -Kind $entry.kind -Data $entry.data
                }
                else {
                    Remove-RawRegistryValue -Hive HKLM -Path $entry.path -Name $entry.name
                }
            }
        }

        @{
            path = $entry.path
            name = $entry.name
            before = $before
            after = Get-RawRegistryValue -Hive HKLM -Path $entry.path -Name $entry.name
        }
    }
}
catch {
    $failure = $_
    $problems = Restore-Written
    if ($problems.Count -eq 0) {
        $module.Result.changed = $false
        $outcome = 'the previous values were restored'
    }
    else {
        $outcome = 'restoring the previous values failed for ' + ($problems -join '; ')
    }
    $module.FailJson("changing the telemetry proxy registry values failed: $($failure.Exception.Message); $outcome", $failure)
}

$module.Result.raw = @{ values = @($values) }
$module.ExitJson()
