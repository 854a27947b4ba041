#!powershell

# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

#AnsibleRequires -CSharpUtil Ansible.Basic
#AnsibleRequires -PowerShell ansible_collections.purview.device_proxy.plugins.module_utils.RawRegistry

# The target half of purview.device_proxy.device_facts: read the raw proxy-related state in one
# round trip. Registry values travel as @{kind; data}, WinHttpSettings as hex, WMI properties as
# WMI reports them (numbers and non-localized enumeration names). The action plugin decodes and
# derives everything else (decoded settings, drift, virtual machine, topology).

$spec = @{
    options = @{}
    supports_check_mode = $true
}

$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)

$dataCollection = 'SOFTWARE\Policies\Microsoft\Windows\DataCollection'
$atpPolicy = 'SOFTWARE\Policies\Microsoft\Windows Advanced Threat Protection'
$connections = 'Microsoft\Windows\CurrentVersion\Internet Settings\Connections'
$internetSettings = 'Software\Microsoft\Windows\CurrentVersion\Internet Settings'
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

Function Get-WinInetProxy {
    param ([String]$Hive, [String]$Path)

    @{
        proxy_enable = Get-RawRegistryValue -Hive $Hive -Path $Path -Name ProxyEnable
        proxy_server = Get-RawRegistryValue -Hive $Hive -Path $Path -Name ProxyServer
        auto_config_url = Get-RawRegistryValue -Hive $Hive -Path $Path -Name AutoConfigURL
    }
}

Function Get-ServiceState {
    param ([Object[]]$Services, [String]$Name)

    $service = $Services | Where-Object { $_.Name -eq $Name } | Select-Object -First 1
    if ($null -eq $service) { $null } else { @{ state = [String]$service.State; start_mode = [String]$service.StartMode } }
}

Function Get-WinHttpHex {
    param ([String]$Path)

    $value = Get-RawRegistryValue -Hive HKLM -Path $Path -Name WinHttpSettings
    if ($null -eq $value) { $null } else { [String]$value.data }
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

$module.Result.raw = @{
    telemetry_proxy = @{
        server = Get-RawRegistryValue -Hive HKLM -Path $dataCollection -Name TelemetryProxyServer
        disable_enterprise_auth_proxy = Get-RawRegistryValue -Hive HKLM -Path $dataCollection -Name DisableEnterpriseAuthProxy
        prefer_static_proxy_for_http_request = Get-RawRegistryValue -Hive HKLM -Path $atpPolicy -Name PreferStaticProxyForHttpRequest
    }
    winhttp = @{
        native = Get-WinHttpHex -Path "SOFTWARE\$connections"
        wow64 = if ($is64BitOs) { Get-WinHttpHex -Path "SOFTWARE\WOW6432Node\$connections" } else { $null }
    }
    wininet = @{
        machine = Get-WinInetProxy -Hive HKLM -Path $internetSettings
        system_account = Get-WinInetProxy -Hive HKU -Path "S-1-5-18\$internetSettings"
    }
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
