# Sample module for the argument spec check (not shipped).

#AnsibleRequires -CSharpUtil Ansible.Basic

# Every construct the checker reads, agreeing with agree.py.
$spec = @{
    options = @{
        state = @{ type = 'str'; choices = 'present', 'absent'; default = 'present' }
        name = @{
            type = "str"
            required = $true
            aliases = @('n', 'label')
        }
        password = @{ type = 'str'; no_log = $true }
        'retries' = @{ type = 'int'; default = -1 }
        enabled = @{ type = 'bool'; default = $false }
        tags = @{ type = 'list'; elements = 'str'; default = @('a', 'b') }
        only = @{ type = 'str'; choices = @('ie') }
        items = @{
            type = 'list'
            elements = 'dict'
            options = @{
                key = @{ type = 'str'; required = $true }
                value = @{ type = 'raw' }
            }
        }
        untyped = @{}

        # Private, set by an action plugin: never documented.
        _internal = @{ type = 'dict' }
    }
    supports_check_mode = $true
}

$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$module.ExitJson()
