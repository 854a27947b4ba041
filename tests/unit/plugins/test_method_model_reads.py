# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connectivity methods are read from the model (analyzer_model.METHODS) everywhere under plugins/.

A source scan, deliberately simple: no Python file spells the method keys (all of them, or the ones
that need a proxy) as a literal list of its own, no C# decides "needs a proxy" by naming the two
enum members, and no file states the number of methods as "five" or "1-5" (a sixth method would
make such a text wrong without failing anything else). The model itself, and the copies
tools/gates/choice_lists.py compares with it (documentation choices, PowerShell specs, C# arrays),
are where the list is allowed to be written.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import List

from ansible_collections.purview.device_proxy.plugins.module_utils import analyzer_model

ROOT = Path(__file__).resolve().parents[3]
PLUGINS = ROOT / "plugins"
MODEL = PLUGINS / "module_utils" / "analyzer_model.py"
TEXT_SUFFIXES = (".py", ".cs", ".ps1", ".psm1", ".yml")

METHOD_KEYS = frozenset(analyzer_model.METHOD_KEYS)
PROXY_KEYS = frozenset(m.key for m in analyzer_model.METHODS if m.uses_proxy)

# The number of methods written out: "five methods", "the five classified method probes",
# "methods 1-5", "one of 1-5" after "method", "5 method lines".
COUNT_IN_TEXT = (
    re.compile(r"\bfive\b(?:\W+\w+){0,3}?\W+method", re.IGNORECASE),
    re.compile(r"\bmethods?\b[^.\n]{0,40}?\b1\s*(?:-|to)\s*5\b", re.IGNORECASE),
    re.compile(r"\b1\s*(?:-|to)\s*5\b[^.\n]{0,20}?\bmethod", re.IGNORECASE),
    re.compile(r"\b5\s+method", re.IGNORECASE),
)


def _plugin_files(suffixes) -> List[Path]:
    return sorted(p for p in PLUGINS.rglob("*") if p.is_file() and p.suffix in suffixes and "__pycache__" not in p.parts)


def literal_method_lists(source: str, name: str = "<source>") -> List[str]:
    """Literal tuples, lists and sets of strings that are the method keys or the proxy methods."""
    found = []
    for node in ast.walk(ast.parse(source, name)):
        if not isinstance(node, (ast.Tuple, ast.List, ast.Set)) or len(node.elts) < 2:
            continue
        if not all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
            continue
        values = frozenset(e.value for e in node.elts)
        if values in (METHOD_KEYS, PROXY_KEYS):
            found.append("line %d: %s" % (node.lineno, ", ".join(e.value for e in node.elts)))
    return found


def count_statements(text: str) -> List[str]:
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        for pattern in COUNT_IN_TEXT:
            match = pattern.search(line)
            if match:
                found.append("line %d: %r" % (number, match.group(0)))
                break
    return found


def _proxy_decisions_in_csharp(text: str) -> List[str]:
    """Lines that name both proxy-needing enum members: the decision ProbeMethods.NeedsProxy makes."""
    return ["line %d: %s" % (number, line.strip()) for number, line in enumerate(text.splitlines(), 1)
            if "ProbeMethod.NamedProxy" in line and "ProbeMethod.CommandLineProxy" in line]


def test_the_scan_finds_what_it_looks_for():
    # The checks below can fail: each pattern finds the copies this change removed.
    assert literal_method_lists('x = probe["method"] in ("named", "command_line")')
    assert literal_method_lists('for m in ["default", "wpad", "disabled", "named", "command_line"]: pass')
    assert not literal_method_lists('fallbacks = ["wpad", "disabled"]')
    assert count_statements('"must list the five classified method probes"')
    assert count_statements("the analyzer's five methods")
    assert count_statements('"description": "methods 1-5 in order"')
    assert count_statements('raise ValueError("method number %r is not one of 1-5")')
    assert count_statements('"%d of 5 method lines"')
    assert not count_statements("the five files for the proxy team")
    assert _proxy_decisions_in_csharp(
        "return method == ProbeMethod.NamedProxy || method == ProbeMethod.CommandLineProxy;")


def test_no_python_file_under_plugins_spells_the_method_keys():
    problems = []
    for path in _plugin_files((".py",)):
        if path == MODEL:
            continue
        for problem in literal_method_lists(path.read_text(encoding="utf-8"), str(path)):
            problems.append("%s %s" % (path.relative_to(ROOT), problem))
    assert problems == [], "read analyzer_model.METHOD_KEYS or Method.uses_proxy instead:\n" + "\n".join(problems)


def test_no_file_under_plugins_states_the_number_of_methods():
    problems = []
    for path in _plugin_files(TEXT_SUFFIXES):
        if path == MODEL:
            continue
        for problem in count_statements(path.read_text(encoding="utf-8")):
            problems.append("%s %s" % (path.relative_to(ROOT), problem))
    assert problems == [], "use len(analyzer_model.METHODS), or words without a count:\n" + "\n".join(problems)


def test_no_csharp_file_decides_which_method_needs_a_proxy_by_name():
    problems = []
    for path in _plugin_files((".cs",)):
        for problem in _proxy_decisions_in_csharp(path.read_text(encoding="utf-8")):
            problems.append("%s %s" % (path.relative_to(ROOT), problem))
    assert problems == [], "use ProbeMethods.NeedsProxy (checked against Method.uses_proxy):\n" + "\n".join(problems)


def test_every_method_that_needs_a_proxy_names_the_setting_that_gives_it():
    for method in analyzer_model.METHODS:
        assert bool(method.proxy_setting) == method.uses_proxy, method.key
