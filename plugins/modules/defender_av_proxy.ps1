#!powershell

# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

#AnsibleRequires -CSharpUtil Ansible.Basic
#AnsibleRequires -PowerShell ansible_collections.purview.device_proxy.plugins.module_utils.RawRegistry

# The target half of purview.device_proxy.defender_av_proxy. The action plugin validates the
# options and sends the exact registry values to hold in _values; this script reads each value,
# writes it only when the raw value differs, and reports the raw value before and after.

$spec = @{
    options = @{
        state = @{ type = 'str'; choices = 'present', 'absent'; default = 'present' }
        proxy_server = @{ type = 'str' }
        proxy_pac_url = @{ type = 'str' }
        proxy_bypass = @{ type = 'list'; elements = 'str' }
        ssl_options = @{ type = 'int'; choices = 0, 1, 2, 3 }
        reset_ssl_options = @{ type = 'bool'; default = $false }

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

# All or nothing: a failure part-way puts back the values already written (RawRegistry).
$outcome = Set-RawRegistryValueList -Entries $module.Params._values -CheckMode:$module.CheckMode
$module.Result.changed = $outcome.changed
if ($null -ne $outcome.error) {
    $module.FailJson("changing the Defender Antivirus proxy registry values failed: $($outcome.error)", $outcome.failure)
}
$module.Result.raw = @{ values = @($outcome.values) }
$module.ExitJson()
