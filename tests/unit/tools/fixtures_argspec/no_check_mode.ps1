# Sample module for the argument spec check (not shipped).

#AnsibleRequires -CSharpUtil Ansible.Basic

$spec = @{
    options = @{
        name = @{ type = 'str' }
    }
}

$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$module.ExitJson()
