#!powershell

# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

#AnsibleRequires -CSharpUtil Ansible.Basic
#AnsibleRequires -PowerShell ansible_collections.purview.device_proxy.plugins.module_utils.RegistryValueModule

# The target half of purview.device_proxy.telemetry_proxy. The action plugin validates the
# options and sends the exact registry values to hold in _values; the shared body in
# RegistryValueModule.psm1 reads each value, writes it only when the raw value differs, and reports
# the raw value before and after. The documented options are declared so that invocation shows them.

$spec = @{
    options = @{
        state = @{ type = 'str'; choices = 'present', 'absent'; default = 'present' }
        proxy = @{ type = 'str' }
        prefer_static_proxy_for_http_request = @{ type = 'bool' }
    }
    supports_check_mode = $true
}

$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec, @(Get-RegistryValueModuleSpec))
Invoke-RegistryValueModule -Module $module -Subject 'the telemetry proxy registry values'
