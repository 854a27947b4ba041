# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Names under plugins/ that cannot be mistaken: no file a test runner or a reader takes for a
test, and no class name used twice (one name, one concept)."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path
from typing import Dict, List

import pytest

ROOT = Path(__file__).resolve().parents[3]
PLUGINS = ROOT / "plugins"

# The class Ansible looks up by name in every plugin of a type: one per file is the contract,
# so these repeat by design, each only in its own plugin type's folder.
ENTRY_POINTS = {"ActionModule": "action", "FilterModule": "filter", "LookupModule": "lookup",
                "TestModule": "test", "CallbackModule": "callback", "InventoryModule": "inventory",
                "Connection": "connection", "BecomeModule": "become", "CacheModule": "cache",
                "ShellModule": "shell", "StrategyModule": "strategy", "VarsModule": "vars",
                "ModuleDocFragment": "doc_fragments"}

# Names that may repeat, each with its reason.
# The Win32 structures are declared once, in WinHttpNative.cs: a module's C# utils are compiled
# together (one Add-CSharpType call), so the probe and the proxy configuration share them.
ALLOWED_DUPLICATES: Dict[str, str] = {}

CS_CLASS = re.compile(r"^\s*(?:(?:public|internal|private|protected|static|sealed|abstract|partial)\s+)*"
                      r"(?:class|struct|enum|interface)\s+([A-Za-z_]\w*)", re.MULTILINE)


def test_like_files(root: Path) -> List[str]:
    """Files named the way pytest, ansible-test and people recognise tests (test_*.py, *_test.py)."""
    found = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        stem = path.name.split(".", 1)[0]
        if stem.startswith("test_") or stem.endswith("_test") or stem == "test" or stem == "conftest":
            found.append(str(path.relative_to(root)))
    return found


test_like_files.__test__ = False  # a helper, whatever its name says


def class_names(root: Path) -> Dict[str, List[str]]:
    """Every class (nested ones too) under ``root``: name -> files defining it, Python and C#."""
    names: Dict[str, List[str]] = defaultdict(list)
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                names[node.name].append(str(path.relative_to(root)))
    for path in sorted(root.rglob("*.cs")):
        for name in CS_CLASS.findall(path.read_text(encoding="utf-8")):
            names[name].append(str(path.relative_to(root)))
    return names


def duplicate_classes(root: Path) -> Dict[str, List[str]]:
    """Class names defined more than once, less Ansible's entry points in their own folders."""
    duplicates = {}
    for name, files in class_names(root).items():
        kind = ENTRY_POINTS.get(name)
        if kind is not None:
            files = [f for f in files if Path(f).parts[0] != kind]
        if len(files) > 1 or (kind is not None and files):
            duplicates[name] = files
    return duplicates


def test_no_plugin_file_is_named_like_a_test():
    assert test_like_files(PLUGINS) == []


def test_no_two_classes_share_a_name():
    unexpected = {name: files for name, files in duplicate_classes(PLUGINS).items()
                  if name not in ALLOWED_DUPLICATES}
    assert unexpected == {}, "rename one of each pair: %s" % unexpected


def test_allowed_duplicates_still_exist():
    # An allowance outlives its reason silently otherwise (a loop, not a parametrisation: an
    # empty allowance list must not show as a skipped test).
    found = duplicate_classes(PLUGINS)
    assert [name for name in ALLOWED_DUPLICATES if name not in found] == []


@pytest.mark.parametrize("relative", ["modules/connectivity_test.py", "module_utils/test_helpers.py",
                                      "action/connectivity_test.py", "modules/probe_test.ps1"])
def test_a_test_like_name_is_found(tmp_path, relative):
    (tmp_path / "modules").mkdir()
    (tmp_path / "modules" / "device_probe.py").write_text("", encoding="utf-8")
    (tmp_path / relative).parent.mkdir(exist_ok=True)
    (tmp_path / relative).write_text("", encoding="utf-8")
    assert test_like_files(tmp_path) == [relative]


def test_a_shared_class_name_is_found_across_python_and_csharp(tmp_path):
    for kind in ("action", "plugin_utils", "module_utils", "filter"):
        (tmp_path / kind).mkdir()
    (tmp_path / "action" / "a.py").write_text("class ActionModule:\n    class Desired:\n        pass\n",
                                              encoding="utf-8")
    (tmp_path / "action" / "b.py").write_text("class ActionModule:\n    pass\n", encoding="utf-8")
    (tmp_path / "plugin_utils" / "view.py").write_text("class Desired:\n    pass\nclass WinHttpView:\n    pass\n",
                                                       encoding="utf-8")
    (tmp_path / "module_utils" / "Probe.cs").write_text("namespace X {\n    internal sealed class WinHttpView\n"
                                                        "    {\n    }\n}\n", encoding="utf-8")
    (tmp_path / "plugin_utils" / "misplaced.py").write_text("class FilterModule:\n    pass\n", encoding="utf-8")
    assert duplicate_classes(tmp_path) == {
        "Desired": ["action/a.py", "plugin_utils/view.py"],
        "WinHttpView": ["plugin_utils/view.py", "module_utils/Probe.cs"],
        "FilterModule": ["plugin_utils/misplaced.py"],
    }


# The collection writes British spelling (normalise, recognise, summarise). An American spelling
# in a name makes a second name for the same verb: grep for one finds half the uses.
AMERICAN = re.compile(r"\b\w*(summariz|normaliz)\w*\b", re.IGNORECASE)


def american_names(root: Path) -> Dict[str, List[str]]:
    """Words with the American -ize spelling of a verb the collection spells -ise: word -> files."""
    found: Dict[str, List[str]] = defaultdict(list)
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".ps1", ".psm1", ".cs", ".yml"):
            for word in sorted(set(m.group(0) for m in AMERICAN.finditer(path.read_text(encoding="utf-8")))):
                found[word].append(str(path.relative_to(root)))
    return found


def test_one_spelling_of_summarise_and_normalise():
    assert american_names(PLUGINS) == {}


def test_an_american_spelling_is_found(tmp_path):
    (tmp_path / "module_utils").mkdir()
    source = "def summarize(results):\n    return normalise(results)\n"
    (tmp_path / "module_utils" / "report.py").write_text(source, encoding="utf-8")
    assert american_names(tmp_path) == {"summarize": ["module_utils/report.py"]}
