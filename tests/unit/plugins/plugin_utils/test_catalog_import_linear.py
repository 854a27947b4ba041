# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Markdown importer's expressions cannot backtrack without bound: no quantifier nested inside
another, and a 128 KB separator-like line is read at once."""

from __future__ import annotations

import os
import re
import subprocess
import sys

try:  # Python 3.11 moved the parser; both are the standard library's own
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python < 3.11
    import sre_parse  # type: ignore[no-redef]

from ansible_collections.purview.device_proxy.plugins.plugin_utils import catalog, catalog_import, catalog_probes

REPEATS = {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}


def nested_repeat(parsed, inside=False):
    """True when a repeat (*, +, {m,n}) contains another repeat: the shape that backtracks
    polynomially or exponentially on a near-miss."""
    for op, value in parsed:
        name = str(op)
        if name in REPEATS:
            _low, high, body = value
            many = high > 1  # "?" repeats at most once and multiplies nothing
            if (inside and many) or nested_repeat(body, inside or many):
                return True
        elif name == "SUBPATTERN":
            if nested_repeat(value[-1], inside):
                return True
        elif name == "BRANCH":
            if any(nested_repeat(branch, inside) for branch in value[1]):
                return True
        elif name in ("ASSERT", "ASSERT_NOT"):
            if nested_repeat(value[1], inside):
                return True
    return False


def module_patterns():
    return {"%s.%s" % (module.__name__.rsplit(".", 1)[1], name): value
            for module in (catalog, catalog_import, catalog_probes)
            for name, value in vars(module).items() if isinstance(value, re.Pattern)}


def test_the_check_finds_a_nested_quantifier():
    assert nested_repeat(sre_parse.parse(r"^(\|\s*-+\s*)*$"))
    assert nested_repeat(sre_parse.parse(r"(a+)+"))
    assert not nested_repeat(sre_parse.parse(r"^:?-+:?$"))
    assert not nested_repeat(sre_parse.parse(r"^[a-z](?:[a-z.-]*[a-z])?$"))


def test_no_expression_of_the_importer_nests_quantifiers():
    patterns = module_patterns()
    assert patterns, "the importer's expressions are module-level compiled patterns"
    nested = sorted(name for name, pattern in patterns.items() if nested_repeat(sre_parse.parse(pattern.pattern)))
    assert nested == []


SCRIPT = r"""
import sys
from ansible_collections.purview.device_proxy.plugins.plugin_utils.catalog_import import markdown_rows
from ansible_collections.purview.device_proxy.plugins.plugin_utils.catalog import CatalogError
# a dash, then 128 KB of blanks and a letter: the blanks can be split between the cell's
# trailing blanks and the line's in quadratically many ways before the letter fails the match
line = "|-" + " " * (128 * 1024 - 3) + "x"
text = "| Endpoint/URL | Port |\n" + line + "\n| a.example.com | 443 |\n"
try:
    list(markdown_rows(text, "page.md"))
except CatalogError as exc:
    print("rejected:", exc.rule)
else:
    print("read")
"""


def test_a_128_kb_separator_like_line_is_read_at_once():
    # Run in a child process with a generous limit: the nested expression took about 20 s here;
    # a linear reading takes milliseconds. The limit only stops a hang, it measures nothing.
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    try:
        done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=8,
                              env=env, check=False)
    except subprocess.TimeoutExpired:
        raise AssertionError("reading a 128 KB separator-like line did not finish within 8 s")
    assert done.returncode == 0, done.stderr
    # the line is not a separator (a letter in a cell), so there is no table under that header
    assert done.stdout.strip() == "rejected: no-table"


def test_separators_as_markdown_writes_them_are_still_recognised():
    for separator in ("|-|-|", "| --- | :---: |", "|:--|--:|", "---|---", "| - | - |"):
        text = "| Endpoint/URL | Port |\n%s\n| a.example.com | 443 |\n" % separator
        rows = list(catalog_import.markdown_rows(text, "page.md"))
        assert len(rows) == 1, separator
    for not_separator in ("| x | - |", "|  |  |", "| -:- | - |"):
        text = "| Endpoint/URL | Port |\n%s\n| a.example.com | 443 |\n" % not_separator
        try:
            rows = list(catalog_import.markdown_rows(text, "page.md"))
        except catalog_import.CatalogError:
            rows = []
        assert rows == [], not_separator
