# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the C# logic tests of the device probe's C# utils under mono (tests/unit/mono/WinHttpProbeTests.cs).

The helper and the test harness are compiled together with ``mcs -langversion:5`` (the C# level
Windows PowerShell's Add-Type accepts) and run with ``mono``; every ``Run("name", ...)`` in the
harness becomes one pytest case here, so a test that silently stops reporting fails.
"""

import os
import re
import shutil
import subprocess

import pytest

from ansible_collections.purview.device_proxy.tests.unit.mono import csharp_build

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
HARNESS = os.path.join(ROOT, "tests", "unit", "mono", "WinHttpProbeTests.cs")
RUN_TIMEOUT = 180


def _test_names():
    with open(HARNESS, encoding="utf-8") as handle:
        return re.findall(r'^\s*Run\("([a-z0-9_]+)"', handle.read(), re.MULTILINE)


@pytest.fixture(scope="module")
def harness_output(tmp_path_factory):
    mcs, mono = shutil.which("mcs"), shutil.which("mono")
    if not mcs or not mono:
        pytest.skip("mcs and mono are needed for the C# logic tests (Debian packages mono-mcs, mono-runtime)")
    exe = str(tmp_path_factory.mktemp("winhttp_probe") / "WinHttpProbeTests.exe")
    compiled = csharp_build.compile_program(csharp_build.PROBE_UTILS, [HARNESS], exe, timeout=RUN_TIMEOUT)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    ran = subprocess.run([mono, exe], capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False)
    lines = ran.stdout.splitlines()
    return {"returncode": ran.returncode, "lines": lines, "stderr": ran.stderr}


def test_harness_declares_tests():
    assert len(_test_names()) >= 10


@pytest.mark.parametrize("name", _test_names())
def test_csharp_logic(harness_output, name):
    lines = harness_output["lines"]
    if "PASS " + name in lines:
        return
    failure = next((line for line in lines if line.startswith("FAIL %s:" % name)), None)
    pytest.fail(failure or "%s did not report (exit %s): %s" % (
        name, harness_output["returncode"], harness_output["stderr"][-2000:]))


def test_harness_exit_code_matches_reports(harness_output):
    failed = [line for line in harness_output["lines"] if line.startswith("FAIL ")]
    assert harness_output["returncode"] == (1 if failed else 0)
    assert harness_output["lines"][-1] == ("ALL PASSED" if not failed else "%d FAILED" % len(failed))
