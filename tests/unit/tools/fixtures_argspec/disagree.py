# Documentation of disagree.ps1 (test fixture for tools/gates/ps_argspec_check.py): one mismatch per option.

DOCUMENTATION = r"""
module: disagree
short_description: fixture
options:
  state:
    type: str
    choices: [present, absent]
    default: present
  count:
    type: str
    default: 5
  force:
    type: bool
    default: false
  secret:
    type: str
    no_log: true
    required: true
  name:
    type: str
    aliases: [m]
  items:
    type: list
    elements: str
    suboptions:
      key:
        type: str
        required: true
  only_documented:
    type: str
  _private:
    type: str
"""
