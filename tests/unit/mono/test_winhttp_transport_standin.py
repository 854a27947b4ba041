# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The real WinHTTP transport and WinHttpProxyConfig's native class, executed under mono.

The C stand-in (standin/winhttp_standin.c) follows the documented contract of each winhttp.dll,
crypt32.dll and kernel32.dll function the C# calls and is loaded through a dllmap in the test
program's ``.config``. The program (WinHttpTransportTests.cs) runs scenarios against it; mono's
coverage profiler records which lines ran. Every line of the native-facing code that did not run
must be listed in NOT_RUN with the reason (docs/windows-modules.md, "What runs where"), and a
listed line that now runs is reported as stale: the list cannot drift from the code.

Without gcc or mono the test is skipped, except under CI (the CI variable set), where it fails:
a skipped transport test must not look like a passing one there.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from xml.etree import ElementTree

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from ansible_collections.purview.device_proxy.tests.unit.mono import csharp_build

HERE = os.path.dirname(os.path.abspath(__file__))
STANDIN = os.path.join(HERE, "standin", "winhttp_standin.c")
PROGRAM = os.path.join(HERE, "WinHttpTransportTests.cs")
RUN_TIMEOUT = 300

# The files whose lines must run here, and for WinHttpProxyConfig.cs the one class that calls the
# native functions (the rest of that file is covered by test_winhttp_proxy_config_cs.py).
MEASURED = {
    "WinHttpProbeTransport.cs": None,
    "WinHttpServerChain.cs": None,
    "WinHttpProxyConfig.cs": "NativeWinHttpApi",
}

# Blocks of the measured code that the scenarios do not run, keyed by the text of the block's
# first line (consecutive lines that did not run form one block), with the reason.
NOT_RUN = {
    "get { lock (sync) { return closed; } }":
        "ProbeHandles.IsClosed: read by the handle logic tests (WinHttpProbeTests.cs), not by the transport",
    "closeHandle(value);":
        "a handle returned by WinHTTP after the scheduler closed the probe: a race between two threads that no script can time;"
        " the logic tests drive it with a fake close",
    "error = WinHttpErrors.OperationCancelled;":
        "a call that fails with no error (or ERROR_INVALID_HANDLE) because the request was closed before it started: the same race",
    "return \"\";":
        "a custom header query succeeding without a buffer: WinHTTP sizes every present header first (ERROR_INSUFFICIENT_BUFFER)",
    "return null;":
        "the second custom header read failing after the size query succeeded: nothing documented changes between the two calls",
}


def _missing_tools():
    return [tool for tool in ("gcc", "mcs", "mono") if not shutil.which(tool)]


@pytest.fixture(scope="module")
def transport_run(tmp_path_factory):
    missing = _missing_tools()
    if missing:
        message = "%s not installed (Debian gcc, mono-mcs, mono-runtime): the transport was not executed" % ", ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    folder = tmp_path_factory.mktemp("winhttp_standin")
    library = str(folder / "libwinhttp_standin.so")
    built = subprocess.run(["gcc", "-shared", "-fPIC", "-O1", "-Wall", "-Wextra", "-Werror", "-o", library, STANDIN, "-lpthread"],
                           capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False)
    assert built.returncode == 0, built.stderr
    ca = trustme.CA()
    leaf = ca.issue_cert("svc.test")
    (folder / "ca.der").write_bytes(x509.load_pem_x509_certificate(ca.cert_pem.bytes()).public_bytes(Encoding.DER))
    (folder / "leaf.der").write_bytes(x509.load_pem_x509_certificate(leaf.cert_chain_pems[0].bytes()).public_bytes(Encoding.DER))
    exe = str(folder / "WinHttpTransportTests.exe")
    compiled = csharp_build.compile_program(csharp_build.PROBE_UTILS + csharp_build.PROXY_CONFIG_UTILS, [PROGRAM], exe,
                                            extra=["-debug"], timeout=RUN_TIMEOUT)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    # The dllmap: mono sends the P/Invokes for these DLL names to the stand-in.
    with open(exe + ".config", "w", encoding="utf-8") as config:
        config.write("<configuration>\n")
        for dll in ("winhttp.dll", "crypt32.dll", "kernel32.dll"):
            config.write('  <dllmap dll="%s" target="%s"/>\n' % (dll, library))
        config.write("</configuration>\n")
    scratch = folder / "scripts"
    scratch.mkdir()
    coverage = str(folder / "coverage.xml")
    ran = subprocess.run(["mono", "--debug", "--profile=coverage:output=" + coverage, exe, str(folder), str(scratch)],
                         capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False)
    return {"returncode": ran.returncode, "lines": ran.stdout.splitlines(), "stderr": ran.stderr, "coverage": coverage}


def _scenario_names():
    with open(PROGRAM, encoding="utf-8") as handle:
        return re.findall(r'^\s*Run\("([a-z0-9_]+)"', handle.read(), re.MULTILINE)


def test_program_declares_scenarios():
    assert len(_scenario_names()) >= 20


@pytest.mark.parametrize("name", _scenario_names())
def test_transport_scenario(transport_run, name):
    lines = transport_run["lines"]
    if "PASS " + name in lines:
        return
    failure = next((line for line in lines if line.startswith("FAIL %s:" % name)), None)
    pytest.fail(failure or "%s did not report (exit %s): %s" % (name, transport_run["returncode"], transport_run["stderr"][-2000:]))


def test_program_exit_code_matches_reports(transport_run):
    failed = [line for line in transport_run["lines"] if line.startswith("FAIL ")]
    assert transport_run["returncode"] == (1 if failed else 0)
    assert transport_run["lines"][-1] == ("ALL PASSED" if not failed else "%d FAILED" % len(failed))


def line_coverage(coverage_xml):
    """{file name: {line: ran}} for the measured files, from mono's coverage profiler."""
    found = {}
    for method in ElementTree.parse(coverage_xml).getroot().iter("method"):
        name = os.path.basename(method.get("filename") or "")
        if name not in MEASURED:
            continue
        only = MEASURED[name]
        if only and not method.get("class", "").endswith("." + only):
            continue
        lines = found.setdefault(name, {})
        for statement in method.iter("statement"):
            line = int(statement.get("line"))
            if line <= 0:
                continue
            lines[line] = lines.get(line, False) or int(statement.get("counter")) > 0
    return found


def test_the_native_facing_lines_ran_or_are_listed(transport_run):
    coverage = line_coverage(transport_run["coverage"])
    assert set(coverage) == set(MEASURED), "coverage has no data for %s" % (set(MEASURED) - set(coverage))
    unlisted, listed_not_run = [], set()
    total = ran = 0
    for name, lines in sorted(coverage.items()):
        with open(os.path.join(csharp_build.MODULE_UTILS, name), encoding="utf-8") as handle:
            source = handle.read().splitlines()
        block = None   # the first line of the current run of lines that did not run
        for number, hit in sorted(lines.items()):
            text = source[number - 1].strip()
            if text in ("{", "}", "try", "finally") or not text:
                continue   # braces carry sequence points of their own; the statements are what count
            total += 1
            ran += hit
            if hit:
                block = None
                continue
            if block is None:
                block = text
                if text in NOT_RUN:
                    listed_not_run.add(text)
            if block not in NOT_RUN:
                unlisted.append("%s:%d: %s" % (name, number, text))
    stale = sorted(set(NOT_RUN) - listed_not_run)
    print("transport line coverage under the stand-in: %d of %d lines (%.1f%%)" % (ran, total, 100.0 * ran / total))
    assert not unlisted, "lines that did not run and are not listed with a reason:\n" + "\n".join(unlisted)
    assert not stale, "listed as not running, but they ran (remove them from NOT_RUN): %s" % stale
    assert ran * 100 >= total * 85, "coverage fell to %d of %d lines" % (ran, total)
