"""Tests for tools/gates/cs_compile_gate.py, the C# 5 compile gate for C# module_utils."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from ansible_collections.purview.device_proxy.tools.gates import cs_compile_gate as gate

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
TOOL = os.path.join(ROOT, "tools", "gates", "cs_compile_gate.py")
FIXTURES = os.path.join(HERE, "fixtures", "csharp")
FIXTURES_REL = "tests/unit/tools/fixtures/csharp"
VALID = sorted(os.path.join(FIXTURES, "valid", name) for name in os.listdir(os.path.join(FIXTURES, "valid")))
PROBLEM_LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<column>\d+): error (?P<code>CS\d+|[A-Z]+): .+$")

needs_mcs = pytest.mark.skipif(shutil.which("mcs") is None, reason="mcs not installed (Debian package mono-mcs)")
needs_mono = pytest.mark.skipif(
    shutil.which("mcs") is None or shutil.which("mono") is None,
    reason="mcs or mono not installed (Debian packages mono-mcs, mono-runtime)",
)

# (fixture under csharp6/, line of the construct, words mcs uses for the feature)
CSHARP6_CASES = [
    ("interpolated_string.cs", "interpolated strings"),
    ("expression_bodied_member.cs", "expression bodied members"),
    ("nameof_operator.cs", "nameof operator"),
    ("null_conditional.cs", "null propagating operator"),
    ("auto_property_initializer.cs", "auto-implemented property initializer"),
]
CSHARP6_LINE = 7  # each fixture holds its one C# 6 construct on line 7


def run_tool(*args, cwd=ROOT, env=None):
    return subprocess.run(
        [sys.executable, TOOL] + list(args),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )


def problems_of(result):
    lines = result.stdout.strip().splitlines()
    matches = [PROBLEM_LINE.match(line) for line in lines[:-1]]
    assert all(matches), lines
    return matches, lines[-1]


@needs_mcs
def test_valid_csharp5_fixtures_compile():
    result = run_tool(*VALID)
    assert result.returncode == 0, result.stdout
    assert result.stdout.strip().splitlines() == [
        "cs_compile_gate: %d file(s) compiled with mcs -langversion:5, 0 error(s)" % len(VALID)
    ]


@needs_mcs
@pytest.mark.parametrize("name, feature", CSHARP6_CASES)
def test_csharp6_syntax_fails_with_file_and_line(name, feature):
    result = run_tool(os.path.join(FIXTURES, "csharp6", name))
    assert result.returncode == 1
    problems, summary = problems_of(result)
    assert len(problems) == 1
    problem = problems[0]
    assert problem.group("path") == "%s/csharp6/%s" % (FIXTURES_REL, name)
    assert int(problem.group("line")) == CSHARP6_LINE
    assert problem.group("code") == "CS1644"
    assert feature in problem.group(0)
    assert summary == "cs_compile_gate: 1 file(s) compiled with mcs -langversion:5, 1 error(s)"


@needs_mcs
def test_csharp6_column_points_at_the_construct():
    result = run_tool(os.path.join(FIXTURES, "csharp6", "interpolated_string.cs"))
    problems, _summary = problems_of(result)
    with open(os.path.join(FIXTURES, "csharp6", "interpolated_string.cs"), encoding="utf-8") as handle:
        line = handle.read().splitlines()[CSHARP6_LINE - 1]
    start = line.index('$"') + 1  # 1-based column of the literal; mcs points at its opening quote
    assert start <= int(problems[0].group("column")) <= start + 1


@needs_mcs
def test_syntax_error_fails_with_file_and_line():
    result = run_tool(os.path.join(FIXTURES, "broken", "syntax_error.cs"))
    assert result.returncode == 1
    problems, _summary = problems_of(result)
    assert [(p.group("path"), p.group("line"), p.group("code")) for p in problems] == [
        (FIXTURES_REL + "/broken/syntax_error.cs", "10", "CS1525")
    ]


@needs_mcs
def test_warnings_are_errors_as_in_add_csharptype():
    result = run_tool(os.path.join(FIXTURES, "broken", "unused_variable.cs"))
    assert result.returncode == 1
    problems, _summary = problems_of(result)
    assert [(p.group("line"), p.group("code")) for p in problems] == [("9", "CS0168")]


@needs_mcs
def test_directives_add_references_and_silence_warnings(tmp_path):
    with open(os.path.join(FIXTURES, "valid", "XmlProxyList.cs"), encoding="utf-8") as handle:
        source = handle.read()
    without_reference = tmp_path / "NoReference.cs"
    without_reference.write_text(source.replace("//AssemblyReference -Name System.Xml.dll\n", ""), encoding="utf-8")
    without_nowarn = tmp_path / "NoNoWarn.cs"
    without_nowarn.write_text(source.replace("//NoWarn -Name CS0168 -CLR Framework\n", ""), encoding="utf-8")
    result = run_tool(str(without_reference), str(without_nowarn))
    assert result.returncode == 1
    problems, _summary = problems_of(result)
    found = {(os.path.basename(p.group("path")), p.group("code")) for p in problems}
    assert ("NoReference.cs", "CS0234") in found
    assert ("NoNoWarn.cs", "CS0168") in found


def test_read_directives():
    directives = gate.read_directives(
        "//AssemblyReference -Name System.Xml.dll\n"
        "// AssemblyReference -Name System.Numerics -CLR Framework\n"
        "//AssemblyReference -Name System.Runtime.dll -CLR Core\n"
        "//NoWarn -Name CS1591\n"
        "//NoWarn -Name CS0649 -CLR Core\n"
        "using ansible_collections.purview.device_proxy.plugins.module_utils.HexSettings;\n"
        "using System.Text;\n"
    )
    assert directives.references == ("System.Xml.dll", "System.Numerics")
    assert directives.nowarn == ("1591",)
    assert directives.utils == ("HexSettings",)


def test_mcs_command_matches_add_type_on_windows_powershell():
    command = gate.mcs_command(["a.cs"], "out.dll", references=["System.Numerics", "System.Management.Automation.dll"], nowarn=["649", "1591"])
    assert command == [
        "mcs",
        "-noconfig",
        "-langversion:5",
        "-target:library",
        "-nologo",
        "-warnaserror",
        "-define:WINDOWS",
        "-r:System.dll",
        "-r:System.Core.dll",
        "-r:System.Numerics.dll",
        "-nowarn:649,1591",
        "-out:out.dll",
        "a.cs",
    ]


def test_parse_diagnostics_with_and_without_position():
    output = (
        "/x/A.cs(4,19): error CS1644: Feature `nameof operator' cannot be used\n"
        "error CS0006: Metadata file `Nope.dll' could not be found\n"
        "Compilation failed: 2 error(s), 0 warnings\n"
    )
    assert gate.parse_diagnostics(output, "/x/A.cs") == [
        gate.Diagnostic("/x/A.cs", 4, 19, "CS1644", "Feature `nameof operator' cannot be used"),
        gate.Diagnostic("/x/A.cs", 1, 1, "CS0006", "Metadata file `Nope.dll' could not be found"),
    ]


def make_utils(root, files):
    utils = root / "plugins" / "module_utils"
    utils.mkdir(parents=True)
    for name, text in files.items():
        (utils / name).write_text(text, encoding="utf-8")


@needs_mcs
def test_full_run_compiles_module_utils_with_the_utils_they_use(tmp_path):
    make_utils(
        tmp_path,
        {
            "Base.cs": "namespace ansible_collections.purview.device_proxy.plugins.module_utils.Base\n"
            "{\n    public static class Port\n    {\n        public static int Default() { return 8080; }\n    }\n}\n",
            "User.cs": "using ansible_collections.purview.device_proxy.plugins.module_utils.Base;\n\n"
            "namespace Sample\n{\n    public static class User\n    {\n        public static int Value() { return Port.Default(); }\n    }\n}\n",
            "Newer.cs": "namespace Sample\n{\n    public static class Newer\n    {\n        public static int Value() => 1;\n    }\n}\n",
        },
    )
    (tmp_path / "plugins" / "modules").mkdir()
    (tmp_path / "plugins" / "modules" / "Ignored.cs").write_text("not C# at all", encoding="utf-8")
    result = run_tool("--root", str(tmp_path))
    assert result.returncode == 1
    problems, summary = problems_of(result)
    assert [(p.group("path"), p.group("line"), p.group("code")) for p in problems] == [
        ("plugins/module_utils/Newer.cs", "5", "CS1644")
    ]
    assert summary == "cs_compile_gate: 3 file(s) compiled with mcs -langversion:5, 1 error(s)"


def test_the_collection_has_csharp_module_utils_to_compile():
    found = [os.path.relpath(path, ROOT).replace(os.sep, "/") for path in gate.find_csharp_files(ROOT)]
    assert {"plugins/module_utils/WinHttpNative.cs", "plugins/module_utils/WinHttpProbeModel.cs",
            "plugins/module_utils/WinHttpProbeScheduler.cs", "plugins/module_utils/WinHttpProbeTransport.cs",
            "plugins/module_utils/WinHttpProxyConfig.cs"} <= set(found)


@needs_mcs
def test_default_run_compiles_every_csharp_module_util():
    # The gate as the checks run it, without arguments: it must not pass by finding nothing.
    result = run_tool()
    assert result.returncode == 0, result.stdout
    assert result.stdout.strip().splitlines() == [
        "cs_compile_gate: %d file(s) compiled with mcs -langversion:5, 0 error(s); %d module(s) compiled with the C# utils they load"
        % (len(gate.find_csharp_files(ROOT)), len(gate.find_csharp_modules(ROOT)))
    ]


def test_the_probe_and_the_proxy_modules_load_their_csharp_utils():
    loaded = {os.path.basename(module): sorted(os.path.basename(util) for util in utils)
              for module, utils in gate.find_csharp_modules(ROOT)}
    # The probe also reads WinHTTP's default proxy through the API (WinHttpProxyConfig).
    assert loaded["device_connectivity_probe.ps1"] == ["WinHttpProbeScheduler.cs", "WinHttpProbeTransport.cs",
                                                       "WinHttpProxyConfig.cs"]
    assert loaded["winhttp_proxy.ps1"] == ["WinHttpProxyConfig.cs"]


@needs_mcs
def test_utils_a_module_loads_together_are_compiled_together(tmp_path):
    # Each util compiles alone, but Add-Type compiles a module's utils into one assembly, where
    # the two definitions of Shared.Port clash (CS0101): only the module-level compile sees it.
    make_utils(
        tmp_path,
        {
            "First.cs": "namespace Shared\n{\n    public static class Port\n    {\n        public static int Value() { return 1; }\n    }\n}\n",
            "Second.cs": "namespace Shared\n{\n    public static class Port\n    {\n        public static int Value() { return 2; }\n    }\n}\n",
        },
    )
    (tmp_path / "plugins" / "modules").mkdir()
    (tmp_path / "plugins" / "modules" / "both.ps1").write_text(
        "#!powershell\n#AnsibleRequires -CSharpUtil Ansible.Basic\n"
        "#AnsibleRequires -CSharpUtil ansible_collections.purview.device_proxy.plugins.module_utils.First\n"
        "#AnsibleRequires -CSharpUtil ..module_utils.Second -Optional\n",
        encoding="utf-8",
    )
    result = run_tool("--root", str(tmp_path))
    assert result.returncode == 1, result.stdout
    problems, summary = problems_of(result)
    assert {p.group("code") for p in problems} == {"CS0101"}
    assert summary == "cs_compile_gate: 2 file(s) compiled with mcs -langversion:5, 1 error(s); 1 module(s) compiled with the C# utils they load"


@needs_mcs
def test_no_csharp_files_is_not_an_error(tmp_path):
    result = run_tool("--root", str(tmp_path))
    assert result.returncode == 0
    assert result.stdout.strip() == "cs_compile_gate: no .cs files found under %s; nothing to compile" % (
        tmp_path / "plugins" / "module_utils"
    )


@needs_mcs
def test_missing_explicit_file_fails(tmp_path):
    result = run_tool(str(tmp_path / "Absent.cs"))
    assert result.returncode == 1
    assert result.stdout.startswith("%s:1:1: error GATE: file not found" % (tmp_path / "Absent.cs"))


def test_missing_mcs_is_a_skip(tmp_path):
    env = dict(os.environ, PATH=str(tmp_path))  # an empty folder: no mcs on PATH
    result = run_tool(*VALID, env=env)
    assert result.returncode == 0
    assert result.stdout.strip() == "cs_compile_gate: SKIP: mcs not found (Debian package mono-mcs); C# files were not compiled"


@needs_mono
def test_compiled_logic_runs_under_mono(tmp_path):
    program = str(tmp_path / "hex.exe")
    result = gate.compile_csharp(
        [os.path.join(FIXTURES, "program", "HexProgram.cs"), os.path.join(FIXTURES, "valid", "HexSettings.cs")],
        program,
        target="exe",
    )
    assert result.ok, result.output
    run = subprocess.run(["mono", program, "28000000ab0c"], capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["28000000AB0C", "6", "True"]


@needs_mono
def test_compile_csharp_reports_errors_for_an_exe(tmp_path):
    result = gate.compile_csharp([os.path.join(FIXTURES, "program", "HexProgram.cs")], str(tmp_path / "alone.exe"), target="exe")
    assert not result.ok
    assert {d.code for d in result.diagnostics} == {"CS0246"}
    assert not (tmp_path / "alone.exe").exists()
