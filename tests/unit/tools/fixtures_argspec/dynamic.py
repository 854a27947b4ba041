# Documentation of dynamic.ps1 (test fixture for tools/gates/ps_argspec_check.py).

DOCUMENTATION = r"""
module: dynamic
short_description: fixture
options:
  mode:
    type: str
    choices: [a, b]
"""
