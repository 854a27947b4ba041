# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compile collection C# utils with a test program, the way Add-Type loads them on Windows.

The utils a program needs are named once (as a module's ``#AnsibleRequires -CSharpUtil`` lines
name them); the files they use through ``using ansible_collections...module_utils.X;`` are added
by the compile gate's own resolver, so the tests, the benchmark and the gate agree on what a
module loads.
"""

from __future__ import annotations

import os
import subprocess
from typing import List, Sequence

from ansible_collections.purview.device_proxy.tools.gates import cs_compile_gate as gate

ROOT = gate.REPO_ROOT
MODULE_UTILS = os.path.join(ROOT, "plugins", "module_utils")
# What device_connectivity_probe.ps1 loads, and what winhttp_proxy.ps1 loads.
PROBE_UTILS = ("WinHttpProbeScheduler", "WinHttpProbeTransport")
PROXY_CONFIG_UTILS = ("WinHttpProxyConfig",)


def util_sources(names: Sequence[str]) -> List[str]:
    """The .cs files of the named utils plus every util they use, each once."""
    sources, _directives = gate.compilation_unit([os.path.join(MODULE_UTILS, name + ".cs") for name in names], ROOT)
    return sources


def compile_program(names: Sequence[str], programs: Sequence[str], output: str, extra: Sequence[str] = (),
                    timeout: int = 300) -> subprocess.CompletedProcess:
    """mcs -langversion:5, warnings as errors, the utils and the program files into one executable."""
    command = ["mcs", "-noconfig", "-langversion:5", "-target:exe", "-warnaserror", "-nologo",
               "-r:System.dll", "-r:System.Core.dll"] + list(extra) + ["-out:" + output]
    command += util_sources(names) + list(programs)
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
