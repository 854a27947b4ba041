# Sample module for the argument spec check (not shipped).

#AnsibleRequires -CSharpUtil Ansible.Basic

$spec = @{
    options = @{
        state = @{ type = 'str'; choices = 'present', 'absent', 'query'; default = 'present' }
        count = @{ type = 'int'; default = 5 }
        force = @{ type = 'bool' }
        secret = @{ type = 'str' }
        name = @{ type = 'str'; aliases = 'n' }
        items = @{
            type = 'list'
            elements = 'dict'
            options = @{
                key = @{ type = 'str' }
            }
        }
        undocumented = @{ type = 'str' }
        _private = @{ type = 'str' }
    }
    supports_check_mode = $true
}

$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$module.ExitJson()
