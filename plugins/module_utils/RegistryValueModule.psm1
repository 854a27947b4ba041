# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

#AnsibleRequires -PowerShell ansible_collections.purview.device_proxy.plugins.module_utils.RawRegistry

# The one target body of the modules that hold a few HKLM registry values (telemetry_proxy,
# defender_av_proxy). Their action plugins validate the options and send the exact values to
# hold in the private option _values; this body reads each value, writes it only when the raw
# value differs, and reports the raw value before and after. The module scripts declare only
# their documented options and merge this spec:
#     [Ansible.Basic.AnsibleModule]::Create($args, $spec, @(Get-RegistryValueModuleSpec))
# Internal to purview.device_proxy: not a public API, and it may change without notice.

Function Get-RegistryValueModuleSpec {
    <#
    .SYNOPSIS
    The argument spec fragment of the private _values option (set by the action plugin only).
    #>
    @{
        options = @{
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
    }
}

Function Invoke-RegistryValueModule {
    <#
    .SYNOPSIS
    Hold the module's _values all or nothing, report them and exit.

    .PARAMETER Module
    The Ansible.Basic.AnsibleModule created with Get-RegistryValueModuleSpec merged in.

    .PARAMETER Subject
    What the values are, for the failure message ("the telemetry proxy registry values").
    #>
    param (
        [Parameter(Mandatory = $true)][Object]$Module,
        [Parameter(Mandatory = $true)][String]$Subject
    )

    # All or nothing: a failure part-way puts back the values already written (RawRegistry).
    $outcome = Set-RawRegistryValueList -Entries $Module.Params._values -CheckMode:$Module.CheckMode
    $Module.Result.changed = $outcome.changed
    if ($null -ne $outcome.error) {
        $Module.FailJson("changing $Subject failed: $($outcome.error)", $outcome.failure)
    }
    $Module.Result.raw = @{ values = @($outcome.values) }
    $Module.ExitJson()
}

$exportMembers = @{
    Function = 'Get-RegistryValueModuleSpec', 'Invoke-RegistryValueModule'
}
Export-ModuleMember @exportMembers
