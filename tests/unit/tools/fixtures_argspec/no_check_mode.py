# Documentation of no_check_mode.ps1 (test fixture for tools/gates/ps_argspec_check.py).

DOCUMENTATION = r"""
module: no_check_mode
short_description: fixture
options:
  name:
    type: str
"""
