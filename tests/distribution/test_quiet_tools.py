"""The tools of the virtualenv `make bootstrap` builds run without warnings of their own.

Every `ansible*` command printed a two-line CryptographyDeprecationWarning: ansible-core 2.19's SSH
agent support imports cryptography's DSA classes, which cryptography 51 deprecates at import time.
requirements-test.txt keeps cryptography below 51; this test runs the commands a user runs first
and fails on any warning they print.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


@pytest.mark.parametrize("command", [["ansible", "--version"], ["ansible-playbook", "--version"],
                                     ["ansible-doc", "--version"], ["ansible-galaxy", "--version"]])
def test_command_prints_no_warning(command):
    tool = BIN / command[0]
    if not tool.exists():
        pytest.skip("%s is not in the Python environment running the tests" % command[0])
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHONWARNINGS")}
    result = subprocess.run([str(tool)] + command[1:], capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr and "WARNING" not in result.stderr, result.stderr
