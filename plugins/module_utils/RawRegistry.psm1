# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# Raw registry access for the collection's Windows modules. Values travel to the controller as
# @{ kind = '<RegistryValueKind name>'; data = <value> } or $null when the value does not exist:
# DWord/QWord as unsigned numbers, Binary, None (REG_NONE) and Unknown (kinds .NET has no name
# for, such as REG_LINK) as upper-case hex without separators, String and ExpandString unexpanded,
# MultiString as a list. Nothing here interprets what a value means.
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

$exportMembers = @{
    Function = 'Get-RawRegistryValue', 'Set-RawRegistryValue', 'Remove-RawRegistryValue', 'Test-RawRegistryValueEqual'
}
Export-ModuleMember @exportMembers
