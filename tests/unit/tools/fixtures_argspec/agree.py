# Documentation of agree.ps1 (test fixture for tools/gates/ps_argspec_check.py).

DOCUMENTATION = r"""
module: agree
short_description: fixture
options:
  state:
    type: str
    choices: [absent, present]
    default: present
  name:
    type: str
    required: true
    aliases: [label, n]
  password:
    type: str
    no_log: true
  retries:
    type: int
    default: -1
  enabled:
    type: bool
    default: false
  tags:
    type: list
    elements: str
    default: [a, b]
  only:
    type: str
    choices: [ie]
  items:
    type: list
    elements: dict
    suboptions:
      key:
        type: str
        required: true
      value:
        type: raw
  untyped:
    description: no type in either place means str
"""
