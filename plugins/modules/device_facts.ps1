#!powershell

# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

#AnsibleRequires -CSharpUtil Ansible.Basic
#AnsibleRequires -PowerShell ansible_collections.purview.device_proxy.plugins.module_utils.RawRegistry

# The target half of purview.device_proxy.device_facts: read the raw proxy-related state in one
# round trip. Registry values travel as @{kind; data}, WinHttpSettings as hex, WMI properties as
# WMI reports them (numbers and non-localized enumeration names). The action plugin says which
# registry values to read (_registry), decodes and derives everything else (decoded settings,
# drift, virtual machine, topology).

$spec = @{
    options = @{
        # Set by the action plugin only: the registry values to read and where each goes in the
        # reply. The locations are owned by the controller (plugin_utils/registry_locations.py).
        _registry = @{
            type = 'list'
            elements = 'dict'
            required = $true
            options = @{
                at = @{ type = 'list'; elements = 'str'; required = $true }
                hive = @{ type = 'str'; required = $true; choices = 'HKLM', 'HKU' }
                path = @{ type = 'str'; required = $true }
                name = @{ type = 'str'; required = $true }
                hex_data = @{ type = 'bool'; default = $false }
                only_64bit_os = @{ type = 'bool'; default = $false }
            }
        }
    }
    supports_check_mode = $true
}

$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)

$is64BitOs = [System.Environment]::Is64BitOperatingSystem
$errors = [System.Collections.Generic.List[String]]@()

Function Get-Cim {
    # One WMI class; a failure is reported, not fatal: the other facts are still worth having.
    param ([String]$ClassName, [String]$Filter)

    $cimParams = @{ ClassName = $ClassName; ErrorAction = 'Stop' }
    if ($Filter) {
        $cimParams.Filter = $Filter
    }
    try {
        , @(Get-CimInstance @cimParams)
    }
    catch {
        $errors.Add("${ClassName}: $($_.Exception.Message)")
        $null
    }
}

Function Get-ServiceState {
    param ([Object[]]$Services, [String]$Name)

    $service = $Services | Where-Object { $_.Name -eq $Name } | Select-Object -First 1
    if ($null -eq $service) { $null } else { @{ state = [String]$service.State; start_mode = [String]$service.StartMode } }
}

Function Read-RegistryEntries {
    # Each entry's value lands at the nested keys its "at" names, e.g. winhttp.native.
    param ([Object[]]$Entries)

    $tree = @{}
    foreach ($entry in $Entries) {
        $value = $null
        if ($is64BitOs -or -not $entry.only_64bit_os) {
            $value = Get-RawRegistryValue -Hive $entry.hive -Path $entry.path -Name $entry.name
            if ($entry.hex_data -and $null -ne $value) {
                $value = [String]$value.data
            }
        }
        $keys = @($entry.at)
        $node = $tree
        for ($i = 0; $i -lt $keys.Count - 1; $i++) {
            if (-not $node.ContainsKey($keys[$i])) {
                $node[$keys[$i]] = @{}
            }
            $node = $node[$keys[$i]]
        }
        $node[$keys[-1]] = $value
    }
    $tree
}

$enclosures = Get-Cim -ClassName Win32_SystemEnclosure
$computer = Get-Cim -ClassName Win32_ComputerSystem
$bios = Get-Cim -ClassName Win32_BIOS
$batteries = Get-Cim -ClassName Win32_Battery
$services = Get-Cim -ClassName Win32_Service -Filter "Name='Sense' OR Name='DiagTrack'"
$os = Get-Cim -ClassName Win32_OperatingSystem

$chassisTypes = [System.Collections.Generic.List[Int32]]@()
foreach ($enclosure in @($enclosures)) {
    foreach ($chassisType in @($enclosure.ChassisTypes)) {
        if ($null -ne $chassisType) {
            $chassisTypes.Add([Int32]$chassisType)
        }
    }
}
$computerSystem = @($computer)[0]
$biosInfo = @($bios)[0]
$osInfo = @($os)[0]

$registry = Read-RegistryEntries -Entries @($module.Params._registry)
$module.Result.raw = @{
    telemetry_proxy = $registry.telemetry_proxy
    winhttp = $registry.winhttp
    wininet = $registry.wininet
    hardware = @{
        chassis_types = @($chassisTypes)
        pc_system_type = if ($null -ne $computerSystem) { $computerSystem.PCSystemType } else { $null }
        battery_count = if ($null -ne $batteries) { @($batteries).Count } else { $null }
        manufacturer = if ($null -ne $computerSystem) { $computerSystem.Manufacturer } else { $null }
        model = if ($null -ne $computerSystem) { $computerSystem.Model } else { $null }
        bios_manufacturer = if ($null -ne $biosInfo) { $biosInfo.Manufacturer } else { $null }
        bios_version = if ($null -ne $biosInfo) { $biosInfo.SMBIOSBIOSVersion } else { $null }
    }
    services = @{
        sense = Get-ServiceState -Services $services -Name Sense
        diagtrack = Get-ServiceState -Services $services -Name DiagTrack
    }
    os = @{
        build_number = if ($null -ne $osInfo) { [String]$osInfo.BuildNumber } else { $null }
        version = if ($null -ne $osInfo) { [String]$osInfo.Version } else { $null }
        caption = if ($null -ne $osInfo) { [String]$osInfo.Caption } else { $null }
        is_64bit = $is64BitOs
    }
    errors = @($errors)
}
$module.ExitJson()
