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
        # Set by the action plugin only: where the Group Policy evidence lives (RSoP namespace and
        # the keys of interest, the local Registry.pol, the Group Policy Preferences history).
        _policy = @{
            type = 'dict'
            required = $true
            options = @{
                rsop_namespace = @{ type = 'str'; required = $true }
                rsop_keys = @{ type = 'list'; elements = 'str'; required = $true }
                registry_pol = @{ type = 'str'; required = $true }
                registry_pol_32bit_process = @{ type = 'str'; required = $true }
                gpp_history = @{ type = 'str'; required = $true }
                gpp_registry_xml = @{ type = 'str'; required = $true }
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
            # Only a binary value travels as bare hex; any other kind keeps {kind, data}, so the
            # controller reports the wrong kind instead of decoding text as hex.
            if ($entry.hex_data -and $null -ne $value -and $value.kind -eq 'Binary') {
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

Function Get-RsopEvidence {
    # The domain GPOs' registry settings from the RSoP logging data, when it can be read (it needs
    # an elevated token and RSoP logging left on); the reason is returned when it cannot.
    param ([System.Collections.IDictionary]$Policy)

    $wanted = @{}
    foreach ($key in @($Policy.rsop_keys)) {
        $wanted[$key.ToLowerInvariant()] = $true
    }
    try {
        $settings = foreach ($setting in @(Get-CimInstance -Namespace $Policy.rsop_namespace -ClassName RSOP_RegistryPolicySetting -ErrorAction Stop)) {
            $key = [String]$setting.registryKey
            # Only the keys asked for; a hive prefix, if any, does not count.
            $normal = $key.ToLowerInvariant().TrimStart('\') -replace '^(hkey_local_machine|hklm|machine)\\', ''
            if (-not $wanted.ContainsKey($normal)) {
                continue
            }
            # A deleted setting may carry no value at all: report no bytes rather than a zero byte.
            # (The hex is built inside the branch: an array returned from it would be unrolled.)
            $hex = if ($null -eq $setting.value) { '' } else { [System.BitConverter]::ToString([Byte[]]@($setting.value)) -replace '-', '' }
            @{
                registryKey = $key
                valueName = [String]$setting.valueName
                valueType = if ($null -ne $setting.valueType) { [Int64]$setting.valueType } else { 0 }
                value = [String]$hex
                deleted = [Bool]$setting.deleted
                command = [String]$setting.command
                GPOID = [String]$setting.GPOID
                precedence = if ($null -ne $setting.precedence) { [Int64]$setting.precedence } else { 1 }
            }
        }
        $gpos = foreach ($gpo in @(Get-CimInstance -Namespace $Policy.rsop_namespace -ClassName RSOP_GPO -ErrorAction Stop)) {
            @{ id = [String]$gpo.id; name = [String]$gpo.name; guidName = [String]$gpo.guidName }
        }
        @{ settings = @($settings); gpos = @($gpos); error = $null }
    }
    catch {
        @{ settings = @(); gpos = @(); error = $_.Exception.Message }
    }
}

Function Get-RegistryPolEvidence {
    # The local Group Policy file as base64 ('' when it does not exist, $null when unreadable).
    # A 32-bit host process on 64-bit Windows sees SysWOW64 where System32 is asked for (the file
    # system redirector); the controller names the Sysnative path that reaches the real folder.
    param ([String]$Path, [String]$PathFrom32BitProcess)

    if ($is64BitOs -and -not [System.Environment]::Is64BitProcess) {
        $Path = $PathFrom32BitProcess
    }
    $file = [System.Environment]::ExpandEnvironmentVariables($Path)
    if (-not (Test-Path -LiteralPath $file -PathType Leaf)) {
        return ''
    }
    try {
        [System.Convert]::ToBase64String([System.IO.File]::ReadAllBytes($file))
    }
    catch {
        $errors.Add("Registry.pol: $($_.Exception.Message)")
        $null
    }
}

Function Get-GppEvidence {
    # Each applied GPO's cached Registry.xml (Group Policy Preferences), named by the GPO's GUID.
    param ([String]$History, [String]$RelativePath)

    $folder = [System.Environment]::ExpandEnvironmentVariables($History)
    $items = [System.Collections.Generic.List[Object]]@()
    if (-not (Test-Path -LiteralPath $folder -PathType Container)) {
        return , @($items)
    }
    try {
        foreach ($gpo in @(Get-ChildItem -LiteralPath $folder -Directory -ErrorAction Stop)) {
            $file = Join-Path -Path $gpo.FullName -ChildPath $RelativePath
            if (Test-Path -LiteralPath $file -PathType Leaf) {
                $items.Add(@{ gpo_id = $gpo.Name; gpo_name = $null; xml = [System.IO.File]::ReadAllText($file) })
            }
        }
    }
    catch {
        $errors.Add("Group Policy Preferences: $($_.Exception.Message)")
        return $null
    }
    , @($items)
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
$policyOption = $module.Params._policy
$rsop = Get-RsopEvidence -Policy $policyOption
# The "Turn off RSoP logging" policy value travels with the RSoP answer; the controller reads it.
$rsop.logging_policy = $registry.policy.rsop.logging_policy
$registryPolParams = @{ Path = $policyOption.registry_pol; PathFrom32BitProcess = $policyOption.registry_pol_32bit_process }
$policy = @{
    rsop = $rsop
    local_registry_pol = Get-RegistryPolEvidence @registryPolParams
    mdm = $registry.policy.mdm
    gpp = Get-GppEvidence -History $policyOption.gpp_history -RelativePath $policyOption.gpp_registry_xml
}
$module.Result.raw = @{
    telemetry_proxy = $registry.telemetry_proxy
    winhttp = $registry.winhttp
    wininet = $registry.wininet
    defender_av = $registry.defender_av
    policy = $policy
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
