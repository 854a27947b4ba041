# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The compiled C# probe model agrees with the Python model at run time, not only in its source text.

tools/gates/choice_lists.py compares the C# arrays with the model as text; this runs the compiled
``ProbeMethods.NeedsProxy`` for every method and reads ``ProbeReasons``, so a scheduler that decided
which method needs a proxy (or spelled a reason) some other way would show here.
"""

import shutil
import subprocess

import pytest

from ansible_collections.purview.device_proxy.plugins.module_utils import analyzer_model, failure_kinds
from ansible_collections.purview.device_proxy.tests.unit.mono import csharp_build

PROGRAM = r"""
using System;
using ansible_collections.purview.device_proxy.plugins.module_utils.WinHttpProbeModel;

public static class ModelWords
{
    public static int Main()
    {
        foreach (ProbeMethod method in Enum.GetValues(typeof(ProbeMethod)))
        {
            Console.WriteLine("method\t{0}\t{1}\t{2}", (int)method, ProbeMethods.Name(method),
                ProbeMethods.NeedsProxy(method) ? "proxy" : "-");
        }
        Console.WriteLine("skip\t{0}\t{1}", ProbeReasons.NotConfigured, ProbeReasons.Deadline);
        Console.WriteLine("established\t{0}\t{1}", ProbeReasons.ProxyUnreachable, ProbeReasons.WpadFailed);
        return 0;
    }
}
"""


@pytest.fixture(scope="module")
def words(tmp_path_factory):
    if not shutil.which("mcs") or not shutil.which("mono"):
        pytest.skip("mcs and mono are needed for the C# tests (Debian packages mono-mcs, mono-runtime)")
    folder = tmp_path_factory.mktemp("model_words")
    source = folder / "ModelWords.cs"
    source.write_text(PROGRAM, encoding="utf-8")
    exe = str(folder / "ModelWords.exe")
    compiled = csharp_build.compile_program(("WinHttpProbeModel",), [str(source)], exe)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    ran = subprocess.run(["mono", exe], capture_output=True, text=True, timeout=120, check=True)
    return [line.split("\t") for line in ran.stdout.splitlines()]


def test_the_csharp_methods_that_need_a_proxy_are_the_models_uses_proxy(words):
    methods = [row[1:] for row in words if row[0] == "method"]
    assert [(int(number), name) for number, name, _proxy in methods] == [(m.number, m.key) for m in analyzer_model.METHODS]
    assert {name for _number, name, proxy in methods if proxy == "proxy"} == {
        m.key for m in analyzer_model.METHODS if m.uses_proxy}


def test_the_csharp_wire_words_are_the_failure_kinds(words):
    rows = {row[0]: tuple(row[1:]) for row in words if row[0] != "method"}
    assert rows["skip"] == failure_kinds.PROBE_SKIP_REASONS == (failure_kinds.NOT_CONFIGURED, failure_kinds.DEADLINE)
    assert rows["established"] == failure_kinds.ESTABLISHED
