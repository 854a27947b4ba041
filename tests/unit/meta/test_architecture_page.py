# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""docs/architecture.md stays true: every plugin file named, the import graph as drawn, the change counts.

The page holds three fenced blocks this test reads:

* ``components``: ``name: glob glob ...`` (globs relative to plugins/); a name followed by
  ``(everywhere)`` is imported too widely to draw, and edges into it are not drawn;
* ``imports``: ``a -> b`` lines, one per component that imports another (Python ``import``s found
  by ast, and the ``#AnsibleRequires`` lines of the PowerShell and C# files);
* ``changes``: YAML, per change the files edited by hand, the copies ``tools/gates/choice_lists.py
  --write`` regenerates and the data rebuilt, as counted on a scratch branch; the table of the
  "Where a change goes" section must show the same counts.

Every failure names the file, edge or row to fix in the page.
"""

from __future__ import annotations

import ast
import fnmatch
import importlib.util
import os
import re
from typing import Dict, List, Set, Tuple

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PAGE = os.path.join(ROOT, "docs", "architecture.md")
PLUGINS = os.path.join(ROOT, "plugins")
PACKAGE = "ansible_collections.purview.device_proxy.plugins."
CODE_SUFFIXES = (".py", ".cs", ".ps1", ".psm1")
_REQUIRES = re.compile(r"^\s*(?:#|//)AnsibleRequires\s+-\w+\s+ansible_collections\.purview\.device_proxy\.plugins\.([\w.]+)",
                       re.M)


def _page() -> str:
    with open(PAGE, encoding="utf-8") as handle:
        return handle.read()


def fenced(text: str, language: str) -> str:
    blocks = re.findall(r"^```%s\n(.*?)^```" % re.escape(language), text, re.S | re.M)
    assert len(blocks) == 1, "docs/architecture.md must hold exactly one ```%s block (found %d)" % (language, len(blocks))
    return blocks[0]


def plugin_files(root: str = PLUGINS) -> List[str]:
    """Every code file under plugins/, relative to it (``action/device_facts.py``)."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in files:
            if name.endswith(CODE_SUFFIXES):
                found.append(os.path.relpath(os.path.join(folder, name), root).replace(os.sep, "/"))
    return sorted(found)


def parse_components(block: str) -> Tuple[Dict[str, List[str]], Set[str]]:
    components: Dict[str, List[str]] = {}
    everywhere: Set[str] = set()
    for number, line in enumerate(block.splitlines(), 1):
        if not line.strip():
            continue
        match = re.match(r"^([\w-]+)(\s+\(everywhere\))?:\s+(.+)$", line.strip())
        assert match, "components block line %d is not 'name: glob ...': %r" % (number, line)
        assert match.group(1) not in components, "component %s is defined twice" % match.group(1)
        components[match.group(1)] = match.group(3).split()
        if match.group(2):
            everywhere.add(match.group(1))
    return components, everywhere


def parse_edges(block: str) -> Set[Tuple[str, str]]:
    edges = set()
    for number, line in enumerate(block.splitlines(), 1):
        if not line.strip():
            continue
        match = re.match(r"^([\w-]+)\s*->\s*([\w-]+)$", line.strip())
        assert match, "imports block line %d is not 'a -> b': %r" % (number, line)
        edges.add((match.group(1), match.group(2)))
    return edges


def component_of(path: str, components: Dict[str, List[str]]) -> List[str]:
    return [name for name, globs in components.items() if any(fnmatch.fnmatchcase(path, glob) for glob in globs)]


def _resolve(dotted: str, known: Set[str]) -> str:
    """``plugin_utils.plan.inputs`` -> ``plugin_utils/plan/inputs.py`` (or a package's __init__, a .cs, a .psm1)."""
    base = dotted.replace(".", "/")
    for candidate in (base + ".py", base + "/__init__.py", base + ".cs", base + ".psm1"):
        if candidate in known:
            return candidate
    return ""


def file_imports(root: str = PLUGINS) -> Set[Tuple[str, str]]:
    """(importer, imported) pairs of plugin files, both relative to plugins/."""
    files = plugin_files(root)
    known = set(files)
    pairs = set()
    for path in files:
        with open(os.path.join(root, path), encoding="utf-8") as handle:
            text = handle.read()
        targets = []
        if path.endswith(".py"):
            for node in ast.walk(ast.parse(text, path)):
                if isinstance(node, ast.ImportFrom) and node.module and (node.module + ".").startswith(PACKAGE):
                    module = node.module[len(PACKAGE):]
                    for alias in node.names:
                        targets.append(_resolve(module + "." + alias.name, known) or _resolve(module, known))
                elif isinstance(node, ast.Import):
                    targets.extend(_resolve(a.name[len(PACKAGE):], known) for a in node.names if a.name.startswith(PACKAGE))
        else:
            targets.extend(_resolve(name, known) for name in _REQUIRES.findall(text))
        pairs.update((path, target) for target in targets if target and target != path)
    return pairs


def component_edges(components, everywhere, pairs) -> Dict[Tuple[str, str], List[Tuple[str, str]]]:
    """Component edges, each with the file imports that make it (edges into an 'everywhere' one left out)."""
    edges: Dict[Tuple[str, str], List[Tuple[str, str]]] = {}
    for source, target in sorted(pairs):
        (a,), (b,) = component_of(source, components) or ("?",), component_of(target, components) or ("?",)
        if a != b and b not in everywhere and "?" not in (a, b):
            edges.setdefault((a, b), []).append((source, target))
    return edges


@pytest.fixture(scope="module")
def page():
    return _page()


@pytest.fixture(scope="module")
def components(page):
    return parse_components(fenced(page, "components"))


def test_the_page_names_every_plugin_file(page):
    table = page.split("## Every plugin file", 1)
    assert len(table) == 2, "docs/architecture.md has no '## Every plugin file' section"
    named = set(re.findall(r"^\| `plugins/([^`]+)` \|", table[1], re.M))
    files = set(plugin_files())
    missing = sorted(files - named)
    gone = sorted(name for name in named - files if name.endswith(CODE_SUFFIXES))
    assert not missing and not gone, "docs/architecture.md, '## Every plugin file': add a row for [%s]; remove " \
        "the row (renamed or removed?) of [%s]" % (", ".join("plugins/" + n for n in missing), ", ".join("plugins/" + n for n in gone))


def test_every_plugin_file_is_in_exactly_one_component(components):
    parts = components[0]
    wrong = []
    for path in plugin_files():
        owners = component_of(path, parts)
        if len(owners) != 1:
            wrong.append("plugins/%s is in %s" % (path, " and ".join(owners) if owners else "no component"))
    assert not wrong, "docs/architecture.md ```components block: " + "; ".join(wrong)


def test_every_drawn_import_exists_and_every_import_is_drawn(page, components):
    parts, everywhere = components
    drawn = parse_edges(fenced(page, "imports"))
    unknown = sorted({name for edge in drawn for name in edge} - set(parts))
    assert not unknown, "docs/architecture.md ```imports block names unknown components: " + ", ".join(unknown)
    real = component_edges(parts, everywhere, file_imports())
    not_real = ["%s -> %s" % edge for edge in sorted(drawn - set(real))]
    not_drawn = ["%s -> %s (plugins/%s imports plugins/%s)" % (edge + real[edge][0]) for edge in sorted(set(real) - drawn)]
    assert not not_real and not not_drawn, "docs/architecture.md ```imports block: remove [%s] (no such import); " \
        "add [%s]" % ("; ".join(not_real), "; ".join(not_drawn))


def _choice_lists():
    path = os.path.join(ROOT, "tools", "gates", "choice_lists.py")
    spec = importlib.util.spec_from_file_location("choice_lists_for_page", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_change_counts_match_their_file_lists(page):
    changes = yaml.safe_load(fenced(page, "changes"))
    section = page.split("## Where a change goes", 1)[1].split("\n## ", 1)[0]
    tool = _choice_lists()
    generated = {c.path for c in tool.COPIES if c.reader not in (tool.read_readme_row, tool.read_doc_prose)}
    for change in changes:
        name = change["change"]
        by_hand, regenerated = change.get("by_hand") or [], change.get("regenerated") or []
        row = [line for line in section.splitlines() if line.startswith("| %s |" % name)]
        assert len(row) == 1, "docs/architecture.md, 'Where a change goes': one table row '| %s |' expected" % name
        counts = re.findall(r"\*\*(\d+)\*\*", row[0])
        assert counts[:2] == [str(len(by_hand)), str(len(regenerated))], (
            "docs/architecture.md, row %r: by hand **%d**, regenerated **%d** (the lists in ```changes)"
            % (name, len(by_hand), len(regenerated)))
        counted = [p for p in by_hand if p not in (change.get("not_counted") or [])]
        if len(counted) > change["target"]:
            assert "missed" in row[0], "docs/architecture.md, row %r: %d counted files > target %d, say 'missed'" % (
                name, len(counted), change["target"])
        for path in by_hand + regenerated + (change.get("data") or []):
            assert os.path.exists(os.path.join(ROOT, path)) or path in (change.get("new") or []), (
                "docs/architecture.md ```changes, %r: no file %s (renamed?)" % (name, path))
        for path in regenerated:
            assert path in generated, "docs/architecture.md ```changes, %r: choice_lists.py --write does not write %s" % (
                name, path)


# --- the test's own parsing, on small pages --------------------------------------------------------

def test_a_missing_or_invented_edge_is_named(tmp_path):
    plugins = tmp_path / "plugins"
    (plugins / "plugin_utils").mkdir(parents=True)
    (plugins / "action").mkdir()
    (plugins / "plugin_utils" / "model.py").write_text("X = 1\n")
    (plugins / "action" / "act.py").write_text(
        "def f():\n    from %splugin_utils.model import X\n    return X\n" % PACKAGE)
    (plugins / "action" / "other.py").write_text("Y = 2\n")
    parts, everywhere = parse_components("model: plugin_utils/*.py\nact: action/act.py\nother: action/other.py\n")
    real = component_edges(parts, everywhere, file_imports(str(plugins)))
    assert real == {("act", "model"): [("action/act.py", "plugin_utils/model.py")]}
    drawn = parse_edges("other -> model\n")
    assert drawn - set(real) == {("other", "model")}
    assert set(real) - drawn == {("act", "model")}
