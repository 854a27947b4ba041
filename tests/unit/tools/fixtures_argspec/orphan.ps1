# Sample module for the argument spec check (not shipped).

#AnsibleRequires -CSharpUtil Ansible.Basic

$spec = @{ options = @{}; supports_check_mode = $true }
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$module.ExitJson()
