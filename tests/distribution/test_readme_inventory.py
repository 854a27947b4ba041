"""README's "What is in the collection" table names every plugin, role and playbook the collection ships.

The table is where a new user looks first; a plugin missing from it is one nobody finds. The lists
are read from the collection itself (plugins/modules, plugins/filter/*.yml, plugins/lookup, roles,
playbooks), so a new file fails this test until the table names it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def table_names():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## What is in the collection", 1)[1].split("\n## ", 1)[0]
    names = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0] not in ("kind", "---"):
            kind = cells[0].split(" ")[0].rstrip("s")
            names.setdefault(kind, set()).update(re.findall(r"`([^`/]+)`", cells[1]))
    return names


def registered_filters():
    """The names each plugins/filter/*.py registers in FilterModule.filters() (a filter without its
    documentation file is still one users can call)."""
    names = set()
    for source in (REPO / "plugins" / "filter").glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name == "filters":
                for ret in ast.walk(node):
                    if isinstance(ret, ast.Return) and isinstance(ret.value, ast.Dict):
                        names.update(key.value for key in ret.value.keys)
    return names


def shipped():
    return {
        "module": {p.stem for p in (REPO / "plugins" / "modules").glob("*.py") if not p.stem.startswith("_")},
        "filter": {p.stem for p in (REPO / "plugins" / "filter").glob("*.yml")} | registered_filters(),
        "lookup": {p.stem for p in (REPO / "plugins" / "lookup").glob("*.py")},
        "role": {p.name for p in (REPO / "roles").iterdir() if p.is_dir()},
        "playbook": {p.stem for p in (REPO / "playbooks").glob("*.yml")},
    }


def test_every_shipped_plugin_role_and_playbook_is_in_the_readme_table():
    listed = table_names()
    for kind, names in shipped().items():
        assert names <= listed.get(kind, set()), "README table lacks %s: %s" % (kind, sorted(names - listed.get(kind, set())))
        assert listed.get(kind, set()) <= names, "README table names %s that do not exist: %s" % (
            kind, sorted(listed.get(kind, set()) - names))


def test_the_filter_list_is_read_from_the_code_too():
    """Both sources of filter names agree, and the README check would notice a filter dropped from the table."""
    documented = {p.stem for p in (REPO / "plugins" / "filter").glob("*.yml")}
    assert registered_filters() == documented and len(documented) >= 9
    listed = table_names()
    assert {"device_proxy_plan_inputs", "device_proxy_fleet_review"} <= listed["filter"]
