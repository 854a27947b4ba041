#!/usr/bin/env python
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check that each PowerShell module's argument spec agrees with its documentation, without pwsh.

ansible-test's validate-modules needs pwsh to read a .ps1 module's spec. Here the spec is read
statically: the .ps1 is parsed with tree-sitter-powershell, the ``$spec = @{ ... }`` hashtable is
evaluated (literals only: strings, numbers, $true/$false/$null, arrays, nested hashtables) and its
``options`` are compared with the DOCUMENTATION of the sibling .py: option names, type, elements,
choices, default, required, no_log, aliases and nested options/suboptions. Options whose name
starts with ``_`` are private (set by the action plugin) and must not be documented.
``supports_check_mode = $true`` is required too.

A module may merge argument spec fragments from its PowerShell module_utils, as Ansible.Basic
allows: ``[Ansible.Basic.AnsibleModule]::Create($args, $spec, @(Get-SomeSpec))``. Each fragment
function is looked up in the ``.psm1`` files the module names with ``#AnsibleRequires -PowerShell``
(this collection's ``plugins/module_utils``); its body must be one literal hashtable, whose
``options`` join the module's before the comparison. An option declared twice is a mismatch.

Usage: ps_argspec_check.py [PATH ...]   (files or folders; default: plugins/modules)
Exit status: 0 when every module agrees, 1 on any mismatch or unreadable module.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import sys
from typing import Any, Dict, List, Optional, Sequence, Tuple

import tree_sitter_powershell
import yaml
from tree_sitter import Language, Node, Parser

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_PATHS = (os.path.join(ROOT, "plugins", "modules"),)

# Keys compared between spec and documentation, with the value each has when left out.
COMPARED_KEYS: Tuple[Tuple[str, Any], ...] = (
    ("type", "str"),
    ("elements", None),
    ("choices", None),
    ("default", None),
    ("required", False),
    ("no_log", False),
    ("aliases", None),
)
# Expression wrappers the grammar nests around every value; they are looked through.
_WRAPPERS = frozenset({
    "pipeline", "pipeline_chain", "logical_expression", "bitwise_expression", "comparison_expression",
    "additive_expression", "multiplicative_expression", "format_expression", "range_expression",
    "unary_expression", "parenthesized_expression",
})


class SpecReadError(ValueError):
    """The .ps1 or .py could not be read statically; the message says where and why."""


def _parser() -> Parser:
    return Parser(Language(tree_sitter_powershell.language()))


def _where(node: Node) -> str:
    return "line %d" % (node.start_point[0] + 1)


def _named(node: Node) -> List[Node]:
    return [child for child in node.children if child.is_named and child.type != "comment"]


def _bad_nodes(node: Node) -> List[Node]:
    found = [node] if node.type == "ERROR" or node.is_missing else []
    for child in node.children:
        found.extend(_bad_nodes(child))
    return found


def evaluate(node: Node) -> Any:
    """The value of a literal PowerShell expression; anything else raises SpecReadError."""
    kind = node.type
    if kind in _WRAPPERS:
        children = _named(node)
        if len(children) != 1:
            raise SpecReadError("%s: cannot read %r statically" % (_where(node), node.text.decode()))
        return evaluate(children[0])
    if kind == "array_literal_expression":
        items = [evaluate(child) for child in _named(node)]
        return items[0] if len(items) == 1 else items
    if kind == "array_expression":
        body = _named(node)
        if not body:
            return []
        value = evaluate(body[0])
        return value if isinstance(value, list) else [value]
    if kind == "statement_list":
        items = [evaluate(child) for child in _named(node)]
        return items[0] if len(items) == 1 else items
    if kind == "hash_literal_expression":
        return _evaluate_hashtable(node)
    if kind == "string_literal":
        return _evaluate_string(node)
    if kind == "integer_literal":
        return int(node.text.decode(), 0)
    if kind == "expression_with_unary_operator":
        operator, operand = node.children[0].text.decode(), node.children[-1]
        value = evaluate(operand)
        if operator == "-" and isinstance(value, int) and not isinstance(value, bool):
            return -value
        raise SpecReadError("%s: cannot read %r statically" % (_where(node), node.text.decode()))
    if kind == "variable":
        name = node.text.decode().lower()
        constants = {"$true": True, "$false": False, "$null": None}
        if name in constants:
            return constants[name]
        raise SpecReadError("%s: variable %s cannot be read statically; write the value" % (_where(node), node.text.decode()))
    raise SpecReadError("%s: %s %r cannot be read statically" % (_where(node), kind, node.text.decode()))


def _evaluate_string(node: Node) -> str:
    text = node.text.decode()
    if text.startswith("'") and text.endswith("'"):
        return text[1:-1].replace("''", "'")
    if text.startswith('"') and text.endswith('"') and not any(char in text for char in "$`"):
        return text[1:-1]
    raise SpecReadError("%s: string %s is expanded at run time; use a plain literal" % (_where(node), text))


def _evaluate_hashtable(node: Node) -> Dict[str, Any]:
    table = {}
    for body in _named(node):
        for entry in _named(body):
            if entry.type != "hash_entry":
                continue
            key_node = _named(entry)[0]
            value_node = _named(entry)[-1]
            key_children = _named(key_node)
            if key_children and key_children[0].type == "simple_name":
                key = key_children[0].text.decode()
            elif key_children:
                key = evaluate(key_children[0])
            else:
                key = key_node.text.decode()
            if not isinstance(key, str):
                raise SpecReadError("%s: hashtable key %r is not a name" % (_where(key_node), key))
            table[key] = evaluate(value_node)
    return table


def _assignments(node: Node):
    if node.type == "assignment_expression":
        yield node
    for child in node.children:
        yield from _assignments(child)


def read_ps_spec(path: str) -> Dict[str, Any]:
    """The ``$spec`` hashtable of a PowerShell module (errors name the line, not the file)."""
    with open(path, "rb") as handle:
        tree = _parser().parse(handle.read())
    bad = _bad_nodes(tree.root_node)
    if bad:
        raise SpecReadError("does not parse (%s)" % ", ".join(_where(node) for node in bad[:5]))
    for assignment in _assignments(tree.root_node):
        target, value = _named(assignment)[0], _named(assignment)[-1]
        if target.text.decode().strip().lower() == "$spec":
            spec = evaluate(value)
            if not isinstance(spec, dict):
                raise SpecReadError("%s: $spec is not a hashtable" % _where(value))
            return spec
    raise SpecReadError("no '$spec = @{ ... }' assignment")


_REQUIRES_UTIL = re.compile(
    r"^#AnsibleRequires\s+-PowerShell\s+ansible_collections\.purview\.device_proxy\.plugins\.module_utils\.(\w+)\s*$",
    re.IGNORECASE | re.MULTILINE)
_CREATE_CALL = re.compile(r"\[Ansible\.Basic\.AnsibleModule\]::Create\(", re.IGNORECASE)
_CREATE_ARGS = re.compile(r"^\s*\$args\s*,\s*\$spec\s*(?:,\s*@\((?P<fragments>[^()]*(?:\(\s*\)[^()]*)*)\)\s*)?$",
                          re.IGNORECASE)
_FRAGMENT_CALL = re.compile(r"^\(?\s*([A-Za-z]+-[A-Za-z0-9]+)\s*\)?$")


def _create_arguments(code: str) -> Optional[str]:
    """The argument text of the one ``[Ansible.Basic.AnsibleModule]::Create(...)`` call, or None."""
    match = _CREATE_CALL.search(code)
    if match is None:
        return None
    depth, start = 1, match.end()
    for position in range(start, len(code)):
        if code[position] == "(":
            depth += 1
        elif code[position] == ")":
            depth -= 1
            if depth == 0:
                return code[start:position]
    raise SpecReadError("the AnsibleModule::Create call is not closed")


def fragment_names(code: str) -> List[str]:
    """The functions whose argument spec fragments the module merges into its ``$spec``."""
    arguments = _create_arguments(code)
    if arguments is None:
        return []
    match = _CREATE_ARGS.match(arguments)
    if match is None:
        raise SpecReadError("AnsibleModule::Create(%s) cannot be read statically; write Create($args, $spec) or "
                            "Create($args, $spec, @(Get-SomeSpec, ...))" % arguments.strip())
    names = []
    for item in (match.group("fragments") or "").split(","):
        if not item.strip():
            continue
        call = _FRAGMENT_CALL.match(item.strip())
        if call is None:
            raise SpecReadError("spec fragment %r is not a plain function call" % item.strip())
        names.append(call.group(1))
    return names


def read_fragment(psm1_path: str, function: str) -> Dict[str, Any]:
    """The hashtable that ``function`` in a .psm1 returns: its body must be that literal alone."""
    with open(psm1_path, "rb") as handle:
        tree = _parser().parse(handle.read())
    bad = _bad_nodes(tree.root_node)
    if bad:
        raise SpecReadError("%s does not parse (%s)" % (os.path.basename(psm1_path), ", ".join(_where(node) for node in bad[:5])))
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        if node.type != "function_statement":
            continue
        names = [child for child in node.children if child.type == "function_name"]
        if not names or names[0].text.decode().lower() != function.lower():
            continue
        blocks = [child for child in node.children if child.type == "script_block"]
        bodies = [child for child in (blocks[0].children if blocks else []) if child.type == "script_block_body"]
        if not bodies or [child for child in blocks[0].children if child.type == "param_block"]:
            raise SpecReadError("%s: %s must take no parameters and return one literal hashtable"
                                % (os.path.basename(psm1_path), function))
        statements = _named(bodies[0])
        fragment = evaluate(statements[0]) if len(statements) == 1 else None
        if not isinstance(fragment, dict):
            raise SpecReadError("%s: %s does not return one literal hashtable" % (os.path.basename(psm1_path), function))
        return fragment
    raise SpecReadError("%s has no function %s" % (os.path.basename(psm1_path), function))


def merged_spec(ps1_path: str) -> Dict[str, Any]:
    """The module's ``$spec`` with the fragments it merges from its module_utils (as Ansible.Basic merges them)."""
    spec = read_ps_spec(ps1_path)
    with open(ps1_path, encoding="utf-8") as handle:
        code = handle.read()
    names = fragment_names(code)
    if not names:
        return spec
    utils_dir = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(ps1_path))), "module_utils")
    utils = [os.path.join(utils_dir, name + ".psm1") for name in _REQUIRES_UTIL.findall(code)]
    options = dict(spec.get("options") or {})
    for name in names:
        fragment = None
        for util in utils:
            if os.path.exists(util):
                try:
                    fragment = read_fragment(util, name)
                    break
                except SpecReadError as err:
                    if "has no function" not in str(err):
                        raise
        if fragment is None:
            raise SpecReadError("spec fragment %s is in none of the PowerShell module_utils the module requires (%s)"
                                % (name, ", ".join(os.path.basename(util) for util in utils) or "none"))
        for option, value in (fragment.get("options") or {}).items():
            if option in options:
                raise SpecReadError("option '%s' is declared by the module and by its fragment %s" % (option, name))
            options[option] = value
        if "supports_check_mode" in fragment and "supports_check_mode" not in spec:
            spec["supports_check_mode"] = fragment["supports_check_mode"]
    return dict(spec, options=options)


def read_doc_options(path: str) -> Dict[str, Any]:
    """The ``options`` of the DOCUMENTATION string in a module's .py (read without importing it)."""
    name = os.path.basename(path)
    with open(path, encoding="utf-8") as handle:
        module = ast.parse(handle.read(), path)
    for statement in module.body:
        if isinstance(statement, ast.Assign) and any(
                isinstance(target, ast.Name) and target.id == "DOCUMENTATION" for target in statement.targets):
            if not isinstance(statement.value, ast.Constant) or not isinstance(statement.value.value, str):
                raise SpecReadError("%s: DOCUMENTATION is not a string literal" % name)
            try:
                doc = yaml.safe_load(statement.value.value) or {}
            except yaml.YAMLError as err:
                raise SpecReadError("%s: DOCUMENTATION is not valid YAML: %s" % (name, err)) from None
            # With the collection's doc fragments merged, as ansible-doc shows the options.
            try:
                _plugin_docs().merge_collection_fragments(_plugin_docs().collection_root(path), doc)
            except ValueError as err:
                raise SpecReadError("%s: %s" % (name, err)) from None
            return doc.get("options") or {}
    raise SpecReadError("%s: no DOCUMENTATION" % name)


def _plugin_docs():
    """tools/gates/plugin_docs.py, loaded by path (tools/ is not a package)."""
    if "purview_plugin_docs" not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            "purview_plugin_docs", os.path.join(os.path.dirname(os.path.abspath(__file__)), "plugin_docs.py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules["purview_plugin_docs"] = module
    return sys.modules["purview_plugin_docs"]


def _normalise(key: str, value: Any) -> Any:
    if key in ("choices", "aliases") and value is not None:
        items = value if isinstance(value, list) else [value]
        return sorted(str(item) for item in items)
    return value


def compare_options(spec_options: Dict[str, Any], doc_options: Dict[str, Any], prefix: str = "") -> List[str]:
    """Every disagreement between an argument spec's options and documented options."""
    problems = []
    for name in sorted(set(spec_options) | set(doc_options)):
        label = prefix + name
        private = name.startswith("_")
        if name not in doc_options:
            if not private:
                problems.append("option '%s' is in the argument spec but not documented" % label)
            continue
        if private:
            problems.append("option '%s' is private (starts with '_') but documented" % label)
            continue
        if name not in spec_options:
            problems.append("option '%s' is documented but not in the argument spec" % label)
            continue
        spec, doc = spec_options[name] or {}, doc_options[name] or {}
        for key, missing in COMPARED_KEYS:
            in_spec = _normalise(key, spec.get(key, missing))
            in_doc = _normalise(key, doc.get(key, missing))
            if in_spec != in_doc:
                problems.append("option '%s': %s is %r in the argument spec, %r in the documentation"
                                % (label, key, in_spec, in_doc))
        problems.extend(compare_options(spec.get("options") or {}, doc.get("suboptions") or {}, label + "."))
    return problems


def check_module(ps1_path: str) -> List[str]:
    """The mismatches of one .ps1 module with its sibling .py documentation."""
    doc_path = os.path.splitext(ps1_path)[0] + ".py"
    if not os.path.exists(doc_path):
        return ["no documentation file %s" % os.path.basename(doc_path)]
    try:
        spec = merged_spec(ps1_path)
        doc_options = read_doc_options(doc_path)
    except SpecReadError as err:
        return ["cannot be checked: %s" % err]
    problems = compare_options(spec.get("options") or {}, doc_options)
    if spec.get("supports_check_mode") is not True:
        problems.append("supports_check_mode is not $true (every module here supports check mode)")
    return problems


def module_files(paths: Sequence[str]) -> List[str]:
    found = []
    for path in paths:
        if os.path.isdir(path):
            found.extend(os.path.join(path, name) for name in sorted(os.listdir(path)) if name.endswith(".ps1"))
        else:
            found.append(path)
    return found


def main(argv: Optional[Sequence[str]] = None) -> int:
    paths = list(argv if argv is not None else sys.argv[1:]) or list(DEFAULT_PATHS)
    modules = module_files(paths)
    failed = 0
    for module in modules:
        problems = check_module(module)
        shown = os.path.relpath(module, ROOT) if module.startswith(ROOT) else module
        for problem in problems:
            print("%s: %s" % (shown, problem))
        failed += bool(problems)
    print("ps_argspec_check: %d module(s) checked, %d with mismatches" % (len(modules), failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
