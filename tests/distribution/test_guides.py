"""The guides name only things the collection has.

Every role variable (device_proxy_*, connectivity_check_*, proxy_allowlist_*) a guide or a
Markdown document mentions must be a variable the roles, playbooks or plugins use, and every
purview.device_proxy.<name> must be a playbook, module, role, lookup or filter of the collection.
A renamed option or playbook then breaks this test instead of the reader's run.

Run with `python -m pytest -q tests/distribution/test_guides.py`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DOCS = sorted([*(REPO / "docs" / "docsite" / "rst").glob("*.rst"), *(REPO / "docs").glob("*.md"),
               *(REPO / "roles").glob("*/README.md"), REPO / "README.md"])
VARIABLE = re.compile(r"\b(?:device_proxy|connectivity_check|proxy_allowlist)_[a-z0-9_]*[a-z0-9]")
# Not Sphinx labels (ansible_collections.purview.device_proxy.docsite....).
FQCN = re.compile(r"(?<!ansible_collections\.)\bpurview\.device_proxy\.([a-z0-9_]+)")
# Names that are not variables: molecule scenarios and the filter/role names themselves.
NOT_VARIABLES = {"device_proxy_plan", "device_proxy_plan_summary", "device_proxy_windows"}


def code_words() -> set[str]:
    """Every identifier the roles, playbooks and plugins use."""
    words: set[str] = set()
    for pattern in ("roles/**/*.yml", "playbooks/*.yml", "plugins/**/*.py", "plugins/**/*.yml"):
        for path in REPO.glob(pattern):
            words.update(re.findall(r"[A-Za-z0-9_]+", path.read_text(encoding="utf-8")))
    return words


def collection_names() -> set[str]:
    names = {p.stem for p in (REPO / "playbooks").glob("*.yml")}
    names |= {p.stem for p in (REPO / "plugins" / "modules").glob("*.py")}
    names |= {p.stem for p in (REPO / "plugins" / "lookup").glob("*.py")}
    names |= {p.name for p in (REPO / "roles").iterdir() if (p / "meta" / "argument_specs.yml").is_file()}
    for sidecar in (REPO / "plugins" / "filter").glob("*.yml"):
        doc = yaml.safe_load(sidecar.read_text(encoding="utf-8"))["DOCUMENTATION"]
        names.add(doc["name"])
    return names - {"__init__"}


def mentions(pattern: re.Pattern) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for doc in DOCS:
        for number, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), 1):
            for match in pattern.finditer(line):
                name = match.group(1) if pattern.groups else match.group(0)
                found.setdefault(name, []).append(f"{doc.relative_to(REPO)}:{number}")
    return found


def test_the_documents_are_found():
    assert len([d for d in DOCS if d.suffix == ".rst"]) >= 6
    assert REPO / "roles" / "device_proxy" / "README.md" in DOCS


def test_every_variable_a_document_names_exists():
    words = code_words()
    unknown = {name: where for name, where in mentions(VARIABLE).items()
               if name not in words and name not in NOT_VARIABLES}
    assert not unknown, f"documents name variables the collection does not use: {unknown}"


def test_every_fqcn_a_document_names_exists():
    names = collection_names()
    # The three roles, seven modules, one lookup, the filters and the playbooks.
    assert {"device_proxy", "configure", "plan", "reset", "service_urls", "device_proxy_plan"} <= names
    unknown = {name: where for name, where in mentions(FQCN).items() if name not in names}
    assert not unknown, f"documents name purview.device_proxy.<name> that the collection does not have: {unknown}"


@pytest.mark.parametrize("pattern,text,expected", [
    (VARIABLE, "set ``proxy_allowlist_serial: 1``", ["proxy_allowlist_serial"]),
    (FQCN, "run purview.device_proxy.configure_all", ["configure_all"]),
    (FQCN, ":ref:`ansible_collections.purview.device_proxy.docsite.x`", []),
])
def test_the_patterns_catch_a_wrong_name(pattern, text, expected):
    found = [m.group(1) if pattern.groups else m.group(0) for m in pattern.finditer(text)]
    assert found == expected


def test_the_wrong_names_are_not_in_the_collection():
    assert "proxy_allowlist_serial" not in code_words()
    assert "configure_all" not in collection_names()
