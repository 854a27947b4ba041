# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Static checks of device_connectivity_probe.ps1 for what PowerShell cannot run here.

MpCmdRun's fallback copy lives in the 64-bit Program Files folder. In a 32-bit PowerShell on 64-bit
Windows %ProgramFiles% names "Program Files (x86)" and %ProgramW6432% the 64-bit folder
(Microsoft Learn, "WOW64 Implementation Details", environment variables); the file system
redirector only redirects System32, so the 64-bit path is reachable from a 32-bit process.
"""

from __future__ import annotations

import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
SCRIPT = os.path.join(ROOT, "plugins", "modules", "device_connectivity_probe.ps1")


def _function(name):
    with open(SCRIPT, encoding="utf-8") as handle:
        text = handle.read()
    match = re.search(r"^Function %s \{\n(.*?)^\}" % name, text, re.MULTILINE | re.DOTALL)
    assert match, name
    return match.group(1)


def test_mpcmdrun_fallback_is_the_64bit_program_files_in_a_32bit_process():
    body = _function("Find-MpCmdRun")
    lines = [line for line in body.splitlines() if "Windows Defender\\MpCmdRun.exe" in line]
    assert lines, "no Program Files fallback"
    # The fallback path must not be built from $env:ProgramFiles alone.
    assert not any(re.search(r"-Path \$env:ProgramFiles\b", line) for line in lines), lines
    assert "$env:ProgramW6432" in body
