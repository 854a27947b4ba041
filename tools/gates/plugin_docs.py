# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A plugin's documentation as ansible-doc shows it, read as text (the plugin is not imported).

The collection's own doc fragments (``plugins/doc_fragments/*.py``, named
``purview.device_proxy.<file>[.<variant>]`` in ``extends_documentation_fragment``) are merged the way
ansible-core merges them (``ansible.utils.plugin_docs.add_fragments``/``merge_fragment``): per option,
the plugin's own keys win over the fragment's. Fragments of other collections
(``ansible.builtin.action_common_attributes``) only add attributes and are left out.
"""

from __future__ import annotations

import ast
import os
from typing import Any, Dict, Mapping, Optional

import yaml

COLLECTION = "purview.device_proxy"


class DocReadError(ValueError):
    """Documentation that cannot be read: missing, not a string literal, not YAML, unknown fragment."""


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as err:
        raise DocReadError("%s: cannot read: %s" % (os.path.basename(path), err.strerror)) from None


def python_string(path: str, name: str, class_name: Optional[str] = None) -> Optional[str]:
    """The string literal assigned to ``name`` at the top level (or in class ``class_name``) of a file."""
    body = ast.parse(_read(path), path).body
    if class_name:
        body = next((s.body for s in body if isinstance(s, ast.ClassDef) and s.name == class_name), [])
    for statement in body:
        if isinstance(statement, ast.Assign) and any(getattr(t, "id", None) == name for t in statement.targets):
            if not isinstance(statement.value, ast.Constant) or not isinstance(statement.value.value, str):
                raise DocReadError("%s: %s is not a string literal" % (os.path.basename(path), name))
            return statement.value.value
    return None


def _yaml(text: str, where: str) -> Dict[str, Any]:
    try:
        return yaml.safe_load(text) or {}
    except yaml.YAMLError as err:
        raise DocReadError("%s is not valid YAML: %s" % (where, err)) from None


def fragment_doc(root: str, reference: str) -> Dict[str, Any]:
    """One collection doc fragment (``purview.device_proxy.<file>[.<variant>]``) as YAML."""
    parts = reference[len(COLLECTION) + 1:].split(".")
    path = os.path.join(root, "plugins", "doc_fragments", parts[0] + ".py")
    variable = parts[1].upper() if len(parts) > 1 else "DOCUMENTATION"
    text = python_string(path, variable, "ModuleDocFragment") if os.path.exists(path) else None
    if text is None:
        raise DocReadError("doc fragment %s: no %s in plugins/doc_fragments/%s.py" % (reference, variable, parts[0]))
    return _yaml(text, "doc fragment " + reference)


def merge_fragment(target: Dict[str, Any], source: Mapping[str, Any]) -> None:
    """ansible-core's rule for options and attributes: per entry, the plugin's keys win."""
    for key, value in source.items():
        if key in target and isinstance(target[key], dict) and isinstance(value, dict):
            merged = dict(value)
            merged.update(target[key])
            target[key] = merged
        elif key not in target:
            target[key] = value


def merge_collection_fragments(root: str, doc: Dict[str, Any]) -> Dict[str, Any]:
    """``doc`` with the options and attributes of the collection's fragments it extends merged in."""
    for reference in doc.get("extends_documentation_fragment") or []:
        if not str(reference).startswith(COLLECTION + "."):
            continue
        fragment = fragment_doc(root, reference)
        for section in ("options", "attributes"):
            if section in fragment:
                doc.setdefault(section, {})
                merge_fragment(doc[section], fragment[section])
    return doc


def collection_root(path: str) -> str:
    """The checkout that holds a plugin file (``<root>/plugins/<kind>/<file>``)."""
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(path))))


def plugin_doc(path: str, root: Optional[str] = None) -> Dict[str, Any]:
    """The DOCUMENTATION of a module/lookup ``.py`` or a filter ``.yml``, fragments merged."""
    name = os.path.basename(path)
    if path.endswith((".yml", ".yaml")):
        doc = _yaml(_read(path), name).get("DOCUMENTATION") or {}
    else:
        text = python_string(path, "DOCUMENTATION")
        if text is None:
            raise DocReadError("%s: no DOCUMENTATION" % name)
        doc = _yaml(text, name + ": DOCUMENTATION")
    return merge_collection_fragments(root or collection_root(path), doc)
