# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# Raw registry access for the collection's Windows modules. Values travel to the controller as
# @{ kind = '<RegistryValueKind name>'; data = <value> } or $null when the value does not exist:
# DWord/QWord as unsigned numbers, Binary, None (REG_NONE) and Unknown (kinds .NET has no name
# for, such as REG_DWORD_BIG_ENDIAN) as upper-case hex without separators, String and ExpandString
# unexpanded, MultiString as a list. Kinds whose data .NET does not return at all (REG_LINK,
# REG_RESOURCE_LIST, REG_FULL_RESOURCE_DESCRIPTOR, REG_RESOURCE_REQUIREMENTS_LIST: GetValue gives
# null) travel as @{ kind = 'Unknown'; data = $null; reg_type = <REG_* number, or $null> }.
# Nothing here interprets what a value means.
# Internal to purview.device_proxy: not a public API, and it may change without notice.

Function Open-RawRegistryBase {
    [CmdletBinding()]
    param (
        [Parameter(Mandatory = $true)]
        [ValidateSet('HKLM', 'HKU')]
        [String]$Hive
    )

    $registryHive = if ($Hive -eq 'HKLM') {
        [Microsoft.Win32.RegistryHive]::LocalMachine
    }
    else {
        [Microsoft.Win32.RegistryHive]::Users
    }
    # The 64-bit view on a 64-bit OS, the only view on a 32-bit OS: WOW6432Node paths are
    # always addressed explicitly by the caller.
    [Microsoft.Win32.RegistryKey]::OpenBaseKey($registryHive, [Microsoft.Win32.RegistryView]::Registry64)
}

Function ConvertTo-RawHex {
    [CmdletBinding()]
    param (
        [Parameter(Mandatory = $true)]
        [AllowEmptyCollection()]
        [Byte[]]$Bytes
    )

    ([System.BitConverter]::ToString($Bytes) -replace '-', '').ToUpperInvariant()
}

Function ConvertFrom-RawHex {
    [CmdletBinding()]
    param (
        [Parameter(Mandatory = $true)]
        [AllowEmptyString()]
        [String]$Hex
    )

    $bytes = New-Object -TypeName Byte[] -ArgumentList ($Hex.Length / 2)
    for ($i = 0; $i -lt $bytes.Length; $i++) {
        $bytes[$i] = [System.Convert]::ToByte($Hex.Substring($i * 2, 2), 16)
    }
    , $bytes
}

Function Get-RawRegistryType {
    # The REG_* number of one value, from WMI's StdRegProv.EnumValues (.NET names only the kinds it
    # can read). $null when it cannot be told: the provider would read the 32-bit view for a 32-bit
    # process on 64-bit Windows, while RawRegistry reads the 64-bit one.
    param ([String]$Hive, [String]$Path, [String]$Name)

    if ([System.Environment]::Is64BitOperatingSystem -and -not [System.Environment]::Is64BitProcess) {
        return $null
    }
    # HKEY_LOCAL_MACHINE and HKEY_USERS as StdRegProv numbers them.
    $root = if ($Hive -eq 'HKLM') { [UInt32]2147483650 } else { [UInt32]2147483651 }
    try {
        $listing = Invoke-CimMethod -Namespace 'root\cimv2' -ClassName StdRegProv -MethodName EnumValues -Arguments @{
            hDefKey = $root
            sSubKeyName = $Path
        } -ErrorAction Stop
        $names = @($listing.sNames)
        for ($i = 0; $i -lt $names.Count; $i++) {
            if ($names[$i] -eq $Name) {
                return [Int64]@($listing.Types)[$i]
            }
        }
    }
    catch {
        return $null
    }
    $null
}

Function Get-RawRegistryValue {
    [CmdletBinding()]
    param (
        [Parameter(Mandatory = $true)]
        [ValidateSet('HKLM', 'HKU')]
        [String]$Hive,

        [Parameter(Mandatory = $true)]
        [String]$Path,

        [Parameter(Mandatory = $true)]
        [String]$Name
    )

    $base = Open-RawRegistryBase -Hive $Hive
    try {
        $key = $base.OpenSubKey($Path, $false)
        if ($null -eq $key) {
            return $null
        }
        try {
            if ($key.GetValueNames() -notcontains $Name) {
                return $null
            }
            $kind = $key.GetValueKind($Name)
            $value = $key.GetValue($Name, $null, [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
            if ($null -eq $value) {
                # A kind .NET does not read (REG_LINK and the resource lists): named, never converted.
                return @{ kind = $kind.ToString(); data = $null; reg_type = Get-RawRegistryType -Hive $Hive -Path $Path -Name $Name }
            }
            $data = switch ($kind.ToString()) {
                'DWord' { [System.BitConverter]::ToUInt32([System.BitConverter]::GetBytes([Int32]$value), 0) }
                'QWord' { [System.BitConverter]::ToUInt64([System.BitConverter]::GetBytes([Int64]$value), 0) }
                'String' { [String]$value }
                'ExpandString' { [String]$value }
                'MultiString' { , [String[]]$value }
                default { ConvertTo-RawHex -Bytes ([Byte[]]$value) }
            }
            @{ kind = $kind.ToString(); data = $data }
        }
        finally {
            $key.Dispose()
        }
    }
    finally {
        $base.Dispose()
    }
}

Function Set-RawRegistryValue {
    [CmdletBinding()]
    param (
        [Parameter(Mandatory = $true)]
        [ValidateSet('HKLM', 'HKU')]
        [String]$Hive,

        [Parameter(Mandatory = $true)]
        [String]$Path,

        [Parameter(Mandatory = $true)]
        [String]$Name,

        # Every kind Get-RawRegistryValue reports that .NET can write, so a value read can be put
        # back: REG_NONE included. 'Unknown' cannot be written through .NET; callers must not
        # change a value of that kind (they could not restore it).
        [Parameter(Mandatory = $true)]
        [ValidateSet('String', 'ExpandString', 'MultiString', 'DWord', 'QWord', 'Binary', 'None')]
        [String]$Kind,

        [Parameter(Mandatory = $true)]
        [AllowEmptyString()]
        [AllowEmptyCollection()]
        [Object]$Data
    )

    $value = switch ($Kind) {
        'DWord' { [System.BitConverter]::ToInt32([System.BitConverter]::GetBytes([UInt32]$Data), 0) }
        'QWord' { [System.BitConverter]::ToInt64([System.BitConverter]::GetBytes([UInt64]$Data), 0) }
        'Binary' { ConvertFrom-RawHex -Hex ([String]$Data) }
        'None' { ConvertFrom-RawHex -Hex ([String]$Data) }
        'MultiString' { , [String[]]@($Data) }
        default { [String]$Data }
    }
    $base = Open-RawRegistryBase -Hive $Hive
    try {
        $key = $base.CreateSubKey($Path)
        try {
            $key.SetValue($Name, $value, [Microsoft.Win32.RegistryValueKind]$Kind)
        }
        finally {
            $key.Dispose()
        }
    }
    finally {
        $base.Dispose()
    }
}

Function Remove-RawRegistryValue {
    [CmdletBinding()]
    param (
        [Parameter(Mandatory = $true)]
        [ValidateSet('HKLM', 'HKU')]
        [String]$Hive,

        [Parameter(Mandatory = $true)]
        [String]$Path,

        [Parameter(Mandatory = $true)]
        [String]$Name
    )

    $base = Open-RawRegistryBase -Hive $Hive
    try {
        $key = $base.OpenSubKey($Path, $true)
        if ($null -ne $key) {
            try {
                $key.DeleteValue($Name, $false)
            }
            finally {
                $key.Dispose()
            }
        }
    }
    finally {
        $base.Dispose()
    }
}

Function Test-RawRegistryValueEqual {
    <#
    .SYNOPSIS
    Exact equality of two raw values (kind and data; text compared case-sensitively).
    #>
    [CmdletBinding()]
    param (
        [AllowNull()]
        [Object]$Current,

        [AllowNull()]
        [Object]$Desired
    )

    if ($null -eq $Current -or $null -eq $Desired) {
        return ($null -eq $Current) -and ($null -eq $Desired)
    }
    if ($Current.kind -cne $Desired.kind) {
        return $false
    }
    if ($Current.kind -in @('DWord', 'QWord')) {
        return [Decimal]$Current.data -eq [Decimal]$Desired.data
    }
    [String]$Current.data -ceq [String]$Desired.data
}

Function Set-RawRegistryValueList {
    <#
    .SYNOPSIS
    Holds every entry of a list of HKLM values, all or nothing.

    .DESCRIPTION
    Each entry has path, name, state (present, absent or read), kind and data. A value is written
    or removed only when its raw value differs. When a write fails part-way, the values already
    written are put back, newest first, so the host holds either every requested value or the
    previous configuration. Returns changed, values (path, name, before, after), and on failure
    error (the message, with what the rollback did) and failure (the error record).
    #>
    [CmdletBinding()]
    param (
        [Parameter(Mandatory = $true)]
        [AllowEmptyCollection()]
        [Object[]]$Entries,

        [Switch]$CheckMode
    )

    $written = [System.Collections.Generic.List[Object]]@()
    $changed = $false
    try {
        $values = foreach ($entry in $Entries) {
            $before = Get-RawRegistryValue -Hive HKLM -Path $entry.path -Name $entry.name
            $desired = if ($entry.state -eq 'present') { @{ kind = $entry.kind; data = $entry.data } } else { $null }

            if ($entry.state -ne 'read' -and -not (Test-RawRegistryValueEqual -Current $before -Desired $desired)) {
                $changed = $true
                if (-not $CheckMode) {
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
        if ($problems.Count -eq 0) {
            $outcome = 'the previous values were restored'
        }
        else {
            $outcome = 'restoring the previous values failed for ' + ($problems -join '; ')
        }
        # Changed only when something could not be put back.
        return @{
            changed = $problems.Count -ne 0
            values = @()
            error = "$($failure.Exception.Message); $outcome"
            failure = $failure
        }
    }
    @{ changed = $changed; values = @($values); error = $null; failure = $null }
}

$exportMembers = @{
    Function = 'Get-RawRegistryValue', 'Set-RawRegistryValue', 'Remove-RawRegistryValue', 'Test-RawRegistryValueEqual',
        'Set-RawRegistryValueList'
}
Export-ModuleMember @exportMembers
