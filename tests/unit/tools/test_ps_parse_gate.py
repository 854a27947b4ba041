"""Tests for tools/gates/ps_parse_gate.py, the tree-sitter parse gate for PowerShell files."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from ansible_collections.purview.device_proxy.tools.gates import ps_parse_gate as gate

pytest.importorskip("tree_sitter_powershell", reason="tree-sitter-powershell is not installed (pip install tree-sitter-powershell)")

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
TOOL = os.path.join(ROOT, "tools", "gates", "ps_parse_gate.py")
FIXTURES = os.path.join(HERE, "fixtures", "powershell")
VALID_DIR = os.path.join(FIXTURES, "valid")
BROKEN_DIR = os.path.join(FIXTURES, "broken")
MISREAD = os.path.join(FIXTURES, "misread", "grammar_gaps.ps1")
VALID_SOURCE_OF_BROKEN = os.path.join(VALID_DIR, "registry_value.ps1")
PROBLEM_LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<column>\d+): (?P<kind>ERROR|MISSING|STALE|INVALID) .+$")

VALID_FIXTURES = sorted(os.listdir(VALID_DIR))

# Each broken fixture is registry_value.ps1 with one edit. The gate reports the
# first problem where the grammar notices it: the edited line itself, or for
# constructs left open, a later line that names where the open one starts.
# (fixture, edited line, first reported line, kind, text the first problem must contain)
BROKEN_CASES = [
    ("missing_brace.ps1", 44, 81, "MISSING", "'}' at end of function_statement from line 33"),
    ("unclosed_paren.ps1", 23, 23, "ERROR", "'($args, $spec'"),
    ("unclosed_hashtable.ps1", 53, 53, "ERROR", "@{ $name = $curren"),
    ("unclosed_hashtable_in_spec.ps1", 15, 33, "ERROR", "hash_literal_body from line 11"),
    ("unterminated_string.ps1", 53, 53, "ERROR", '"$curre'),
    ("unterminated_herestring.ps1", 78, 75, "ERROR", "'$summary = @\"'"),
    ("stray_paren.ps1", 28, 28, "ERROR", "')'"),
]


def run_tool(*args, cwd=ROOT):
    return subprocess.run(
        [sys.executable, TOOL] + list(args),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def read_text(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


@pytest.fixture(scope="module")
def parser():
    return gate.load_parser()


@pytest.mark.parametrize("name", VALID_FIXTURES)
def test_valid_fixture_has_no_parse_error(parser, name):
    assert gate.find_parse_errors(read_text(os.path.join(VALID_DIR, name)), parser) == []


def test_valid_fixtures_cover_module_and_module_util():
    assert any(name.endswith(".ps1") for name in VALID_FIXTURES)
    assert any(name.endswith(".psm1") for name in VALID_FIXTURES)


@pytest.mark.parametrize("name, edited_line, first_line, kind, detail", BROKEN_CASES)
def test_broken_fixture_is_one_edit_away_from_valid_code(name, edited_line, first_line, kind, detail):
    valid = read_text(VALID_SOURCE_OF_BROKEN).split("\n")
    broken = read_text(os.path.join(BROKEN_DIR, name)).split("\n")
    if len(broken) == len(valid):
        changed = [number for number, (a, b) in enumerate(zip(valid, broken), start=1) if a != b]
        assert changed == [edited_line]
    else:
        assert len(broken) == len(valid) - 1
        assert broken == valid[: edited_line - 1] + valid[edited_line:]


@pytest.mark.parametrize("name, edited_line, first_line, kind, detail", BROKEN_CASES)
def test_broken_fixture_is_reported_at_the_expected_line(parser, name, edited_line, first_line, kind, detail):
    errors = gate.find_parse_errors(read_text(os.path.join(BROKEN_DIR, name)), parser)
    assert errors, "%s parsed without error" % name
    first = errors[0]
    assert (first.line, first.kind) == (first_line, kind)
    assert detail in first.detail
    assert first_line >= edited_line or first.end_line >= edited_line


def test_stray_paren_column_points_at_the_paren(parser):
    errors = gate.find_parse_errors(read_text(os.path.join(BROKEN_DIR, "stray_paren.ps1")), parser)
    line = read_text(os.path.join(BROKEN_DIR, "stray_paren.ps1")).split("\n")[27]
    assert [(e.line, e.column) for e in errors] == [(28, line.index(")") + 1)]


def test_columns_count_characters_not_bytes(parser):
    errors = gate.find_parse_errors("$greeting = 'Grüße' )\n", parser)
    assert [(e.line, e.column, e.kind) for e in errors] == [(1, 21, "ERROR")]


def test_byte_order_marks_are_honoured(parser):
    text = "$a = @{ b = 1 }\n$c = (1\n"
    for data in (b"\xef\xbb\xbf" + text.encode("utf-8"), text.encode("utf-16")):
        errors = gate.find_parse_errors(gate.decode_source(data), parser)
        assert errors and errors[0].line == 2
    assert gate.find_parse_errors(gate.decode_source(b"\xef\xbb\xbf$a = 1\n"), parser) == []


def test_missing_node_is_reported_as_missing(parser):
    errors = gate.find_parse_errors("function Get-A {\n    $x = 1\n", parser)
    assert [(e.kind, e.line) for e in errors] == [("MISSING", 2)]
    assert errors[0].detail.startswith("'}'")


def test_known_grammar_gaps_are_reported_without_exemption(parser):
    errors = gate.find_parse_errors(read_text(MISREAD), parser)
    assert [(e.line, e.kind, e.single_line) for e in errors] == [(4, "ERROR", True), (11, "ERROR", True)]


def test_cli_passes_valid_fixtures():
    result = run_tool(*[os.path.join(VALID_DIR, name) for name in VALID_FIXTURES])
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines() == [
        "ps_parse_gate: %d file(s) parsed, 0 parse error(s), 0 exempted, 0 stale exemption(s)" % len(VALID_FIXTURES)
    ]


def test_cli_fails_on_each_broken_fixture_with_one_line_per_problem():
    for name, _edited, first_line, kind, _detail in BROKEN_CASES:
        path = os.path.join(BROKEN_DIR, name)
        result = run_tool(path)
        assert result.returncode == 1, name
        lines = result.stdout.strip().splitlines()
        problems = [PROBLEM_LINE.match(line) for line in lines[:-1]]
        assert all(problems), lines
        assert problems[0].group("path") == "tests/unit/tools/fixtures/powershell/broken/" + name
        assert (int(problems[0].group("line")), problems[0].group("kind")) == (first_line, kind)
        assert lines[-1].startswith("ps_parse_gate: 1 file(s) parsed, %d parse error(s)" % len(problems))


def write_exemptions(tmp_path, *entries):
    path = tmp_path / "exemptions.txt"
    path.write_text("# test list\n\n" + "".join(entry + "\n" for entry in entries), encoding="utf-8")
    return str(path)


MISREAD_REL = "tests/unit/tools/fixtures/powershell/misread/grammar_gaps.ps1"


def test_exemptions_excuse_misread_lines(tmp_path):
    exemptions = write_exemptions(
        tmp_path,
        MISREAD_REL + ":4  numeric suffix 1GB",
        MISREAD_REL + ":11  one-line switch block",
    )
    result = run_tool("--exemptions", exemptions, MISREAD)
    assert result.returncode == 0, result.stdout
    assert result.stdout.strip().splitlines() == [
        "ps_parse_gate: 1 file(s) parsed, 2 parse error(s), 2 exempted, 0 stale exemption(s)"
    ]


def test_partial_exemption_still_fails_on_the_other_line(tmp_path):
    exemptions = write_exemptions(tmp_path, MISREAD_REL + ":4  numeric suffix 1GB")
    result = run_tool("--exemptions", exemptions, MISREAD)
    assert result.returncode == 1
    assert result.stdout.startswith(MISREAD_REL + ":11:36: ERROR ")


def test_stale_exemption_is_reported(tmp_path):
    exemptions = write_exemptions(
        tmp_path,
        MISREAD_REL + ":4  numeric suffix 1GB",
        MISREAD_REL + ":11  one-line switch block",
        MISREAD_REL + ":7  left over from old code",
    )
    result = run_tool("--exemptions", exemptions, MISREAD)
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "%s:5:1: STALE exemption %s:7 (no single-line parse error on that line)" % (exemptions, MISREAD_REL)
    assert lines[1].endswith("2 exempted, 1 stale exemption(s)")


def test_exemption_never_covers_an_error_running_over_several_lines(tmp_path):
    broken_rel = "tests/unit/tools/fixtures/powershell/broken/unterminated_string.ps1"
    exemptions = write_exemptions(tmp_path, broken_rel + ":53  trying to hide a real mistake")
    result = run_tool("--exemptions", exemptions, os.path.join(ROOT, broken_rel))
    assert result.returncode == 1
    assert result.stdout.startswith(broken_rel + ":53:1: ERROR ")
    assert "[not exempted: an exemption covers only errors within its line]" in result.stdout
    assert "STALE exemption %s:53" % broken_rel in result.stdout


def test_exemption_format_problems():
    entries, problems = gate.parse_exemptions(
        "# comment\n"
        "plugins/modules/a.ps1:3  numeric suffix 1MB\n"
        "plugins/modules/a.ps1:3  same line again\n"
        "plugins/modules/b.ps1:0  line numbers start at 1\n"
        "plugins/modules/c.ps1  no line\n"
        "plugins/modules/d.ps1:9\n"
    )
    assert [(e.path, e.line, e.reason, e.source_line) for e in entries] == [
        ("plugins/modules/a.ps1", 3, "numeric suffix 1MB", 2)
    ]
    assert [p.source_line for p in problems] == [3, 4, 5, 6]
    assert "duplicate" in str(problems[0])
    assert "no reason" in str(problems[3])


def test_invalid_exemption_fails_the_gate(tmp_path):
    exemptions = write_exemptions(tmp_path, "plugins/modules/a.ps1  no line number")
    result = run_tool("--exemptions", exemptions, os.path.join(VALID_DIR, VALID_FIXTURES[0]))
    assert result.returncode == 1
    assert re.match(r"^.+exemptions\.txt:3:1: INVALID expected ", result.stdout)


def test_project_exemption_list_is_well_formed():
    _entries, problems = gate.parse_exemptions(read_text(gate.DEFAULT_EXEMPTIONS))
    assert problems == []


def make_tree(root, files):
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_walk_skips_tool_build_and_fixture_folders(tmp_path):
    make_tree(
        tmp_path,
        {
            "plugins/modules/a.ps1": "$a = 1\n",
            "plugins/module_utils/B.psm1": "$b = 1\n",
            "plugins/modules/a.py": "",
            ".git/hooks/x.ps1": "(",
            ".venv/lib/y.ps1": "(",
            ".build/sanity/z.ps1": "(",
            "tests/output/w.ps1": "(",
            "tests/unit/tools/fixtures/powershell/broken/v.ps1": "(",
            "tests/integration/targets/t/files/helper.ps1": "$c = 1\n",
        },
    )
    found = [os.path.relpath(path, str(tmp_path)).replace(os.sep, "/") for path in gate.find_powershell_files(str(tmp_path))]
    assert found == [
        "plugins/module_utils/B.psm1",
        "plugins/modules/a.ps1",
        "tests/integration/targets/t/files/helper.ps1",
    ]


def test_full_run_over_a_root(tmp_path):
    make_tree(
        tmp_path,
        {
            "plugins/modules/good.ps1": "$a = @{ b = 1 }\n",
            "plugins/modules/bad.ps1": "$a = 1\n$b = (2\n",
            "tests/unit/tools/fixtures/ignored.ps1": "(",
            "tools/gates/ps_parse_exemptions.txt": "plugins/modules/gone.ps1:3  file was removed\n",
        },
    )
    result = run_tool("--root", str(tmp_path))
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("plugins/modules/bad.ps1:2:1: ERROR ")
    assert "tools/gates/ps_parse_exemptions.txt:1:1: STALE exemption plugins/modules/gone.ps1:3 (file not found" in result.stdout
    assert lines[-1] == "ps_parse_gate: 2 file(s) parsed, %d parse error(s), 0 exempted, 1 stale exemption(s)" % (len(lines) - 2)


def test_no_powershell_files_is_not_an_error(tmp_path):
    make_tree(tmp_path, {"plugins/modules/a.py": "", "tools/gates/ps_parse_exemptions.txt": "# none yet\n"})
    result = run_tool("--root", str(tmp_path))
    assert result.returncode == 0
    assert result.stdout.strip() == "ps_parse_gate: no .ps1/.psm1 files found under %s; nothing to parse" % tmp_path


def test_missing_explicit_file_fails(tmp_path):
    result = run_tool(str(tmp_path / "absent.ps1"))
    assert result.returncode == 1
    assert result.stdout.startswith("%s:1:1: ERROR file not found" % (tmp_path / "absent.ps1"))


def _project_powershell_files():
    """The collection's own PowerShell files, found without the gate's walker."""
    found = []
    for folder, _dirs, files in os.walk(os.path.join(ROOT, "plugins")):
        found.extend(os.path.relpath(os.path.join(folder, name), ROOT).replace(os.sep, "/")
                     for name in files if name.endswith((".ps1", ".psm1")))
    return sorted(found)


def test_walk_finds_every_powershell_file_of_the_collection():
    project = _project_powershell_files()
    # four PowerShell modules and the shared registry helper at least
    assert len(project) >= 5, project
    walked = [os.path.relpath(path, ROOT).replace(os.sep, "/") for path in gate.find_powershell_files(ROOT)]
    assert set(project) <= set(walked)
    assert not [path for path in walked if path.startswith("tests/unit/tools/fixtures/")]


def test_cli_from_repository_root_without_arguments():
    # The gate as the checks run it: every project file parsed, none failing.
    result = run_tool()
    assert result.returncode == 0, result.stdout
    summary = re.match(r"^ps_parse_gate: (\d+) file\(s\) parsed, 0 parse error\(s\), \d+ exempted, 0 stale exemption\(s\)$",
                       result.stdout.strip().splitlines()[-1])
    assert summary, result.stdout
    assert int(summary.group(1)) == len(gate.find_powershell_files(ROOT)) >= len(_project_powershell_files())
