# Sample module for the argument spec check (not shipped).

#AnsibleRequires -CSharpUtil Ansible.Basic

$choices = 'a', 'b'
$spec = @{
    options = @{
        mode = @{ type = 'str'; choices = $choices }
    }
    supports_check_mode = $true
}

$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$module.ExitJson()
