#!/usr/bin/env python
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check every copy of a choice list against the Python model it comes from.

The clouds, connectivity models and OS names come from ``plugin_utils/catalog.py``, the connectivity
methods (and those that need a proxy, ``Method.uses_proxy``) from ``module_utils/analyzer_model.py``,
the device probe's skip reasons and established failures from ``module_utils/failure_kinds.py``, the
report formats from ``plugin_utils/fleet_report.py`` (``FORMATS``) and the plan's inputs from ``plugin_utils/plan/inputs.py``. Documentation, PowerShell
argument specs, role argument specs and defaults, README tables and the C# arrays cannot import
Python, so they hold copies; ``COPIES`` below names each one, and this tool compares them with the
model. Plugin documentation is read with the collection's own doc fragments merged the way
ansible-core merges them (``plugins/doc_fragments/``), so a fragment is checked once and every
plugin that uses it gets the result.

Usage: choice_lists.py [--check]     (the default; exit status 1 when any copy differs)
       choice_lists.py --write     (rewrite the copies that differ, then report what is left)
Every problem names the file, the option and the difference. ``--write`` rewrites one-line YAML
``choices:``/``default:`` values, role defaults, PowerShell spec values and the C# array; the
README rows and the lookup's prose are sentences, so they are only checked.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import os
import re
import sys
from typing import Any, Callable, Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@functools.lru_cache(maxsize=None)
def _load_tool(name: str):
    path = os.path.join(ROOT, "tools", *name.split("/"))
    spec = importlib.util.spec_from_file_location(name.replace("/", "_").replace(".py", ""), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _docs():
    return _load_tool("gates/plugin_docs.py")


# --- the model -----------------------------------------------------------------------------------

def model_lists() -> Dict[str, Tuple[Any, ...]]:
    """Every choice list by name, read from the collection's Python (the one truth)."""
    _load_tool("collection_link.py").ensure_collection_importable()
    from ansible_collections.purview.device_proxy.plugins.module_utils import analyzer_model, failure_kinds
    from ansible_collections.purview.device_proxy.plugins.plugin_utils import catalog, fleet_report, fleet_schema
    from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan import inputs

    lists: Dict[str, Tuple[Any, ...]] = {
        "clouds": tuple(catalog.CLOUDS),
        "models": tuple(catalog.MODELS),
        "os_names": tuple(catalog.OS_NAMES),
        "methods": tuple(analyzer_model.METHOD_KEYS),
        "report_formats": tuple(fleet_report.FORMATS),
        "report_sources": tuple(fleet_schema.SOURCES),
        # The methods that need a proxy of their own, and the device probe's words on the wire.
        "proxy_methods": tuple(analyzer_model.PROXY_METHOD_KEYS),
        "probe_skip_reasons": tuple(failure_kinds.PROBE_SKIP_REASONS),
        "established": tuple(failure_kinds.ESTABLISHED),
    }
    for name, choices in PLAN_CHOICES.items():
        lists["plan." + name] = tuple(getattr(inputs, choices))
        default = inputs.DEFAULT_INPUTS[name]
        lists["plan." + name + ".default"] = () if default is None else (default,)
    return lists


# The plan inputs with a fixed set of values, and the constant of plan/inputs.py that holds it.
PLAN_CHOICES = {
    "state": "STATES",
    "network_mode": "NETWORK_MODES",
    "topology": "TOPOLOGY_CHOICES",
    "winhttp_policy": "WINHTTP_POLICIES",
    "policy_conflict": "POLICY_CONFLICT_CHOICES",
    "defender_av_policy": "DEFENDER_AV_POLICIES",
    "defender_ssl_options": "SSL_OPTIONS_CHOICES",
    "split_proxy_after_refusal": "SPLIT_PROXY_CHOICES",
}


# --- reading the copies --------------------------------------------------------------------------

class CopyReadError(ValueError):
    """A copy that could not be read (missing file, option or block)."""


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as err:
        raise CopyReadError("cannot read: %s" % err.strerror) from None


def _option(options: Mapping[str, Any], dotted: str) -> Mapping[str, Any]:
    """``inputs.state`` is the suboption ``state`` of option ``inputs``."""
    node: Any = {"suboptions": options}
    for name in dotted.split("."):
        children = node.get("suboptions") or node.get("options") or {}
        if name not in children:
            raise CopyReadError("option %s is not documented" % dotted)
        node = children[name]
    return node


def _as_tuple(value: Any) -> Tuple[Any, ...]:
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return (value,)


def read_doc(root: str, path: str, option: str, field: str) -> Tuple[Any, ...]:
    return _as_tuple(_option(_docs().plugin_doc(path, root).get("options") or {}, option).get(field))


def _prose(options: Mapping[str, Any], option: str) -> Tuple[Any, ...]:
    description = _option(options, option).get("description")
    text = " ".join(description) if isinstance(description, list) else str(description or "")
    words: List[str] = []
    for word in re.findall(r"V\(([^)]+)\)", text):
        if word not in words:
            words.append(word)
    return tuple(words)


def read_doc_prose(root: str, path: str, option: str, field: str) -> Tuple[Any, ...]:
    """The V(value) words of an option's description, for options that list their values in prose.

    The lookup's selection options do that rather than declare ``choices``, which ansible-core would
    enforce before the catalog can answer with its own error (the valid names and the field).
    """
    return _prose(_docs().plugin_doc(path, root).get("options") or {}, option)


def read_ps1(root: str, path: str, option: str, field: str) -> Tuple[Any, ...]:
    spec = _load_tool("gates/ps_argspec_check.py").read_ps_spec(path)
    return _as_tuple(_option(spec.get("options") or {}, option).get(field))


def read_role_spec(root: str, path: str, option: str, field: str) -> Tuple[Any, ...]:
    options = (yaml.safe_load(_read(path)) or {})["argument_specs"]["main"]["options"]
    return _as_tuple(_option(options, option).get(field))


def read_role_defaults(root: str, path: str, option: str, field: str) -> Tuple[Any, ...]:
    values = yaml.safe_load(_read(path)) or {}
    if option not in values:
        raise CopyReadError("%s is not in the defaults" % option)
    return _as_tuple(values[option])


def read_csharp_array(root: str, path: str, option: str, field: str) -> Tuple[Any, ...]:
    """The strings of ``string[] <option> = { ... }`` in a C# file."""
    match = re.search(r"string\[\]\s+%s\s*=\s*(?:new\s+string\[\]\s*)?\{([^}]*)\}" % re.escape(option), _read(path))
    if not match:
        raise CopyReadError("no string[] %s = { ... } array" % option)
    return tuple(re.findall(r'"([^"]*)"', match.group(1)))


def read_readme_row(root: str, path: str, option: str, field: str) -> Tuple[Any, ...]:
    """The backticked values in a Markdown table row ``| `<option>` | default | meaning |``.

    ``field`` lists backticked words the row may name besides the choices (comma-separated).
    """
    allowed = set(filter(None, (field or "").split(",")))
    for line in _read(path).splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0] == "`%s`" % option:
            words: List[str] = []
            for word in re.findall(r"`([^`]+)`", " | ".join(cells[1:])):
                if word not in allowed and word not in words:
                    words.append(word)
            return tuple(words)
    raise CopyReadError("no table row for `%s`" % option)


class Copy(NamedTuple):
    """One copy of a model list: where it is, how to read it, and how it must match."""

    model: str        # key of model_lists()
    path: str         # relative to the repository
    reader: Callable[[str, str, str, str], Tuple[Any, ...]]
    option: str       # option, variable, dotted suboption, or C# array name
    field: str = "choices"
    # "exact": same values, same order; "set": same values in any order (README prose).
    match: str = "exact"


def _doc(model, path, option, field="choices"):
    return Copy(model, path, read_doc, option, field)


def _ps1(model, path, option, field="choices"):
    return Copy(model, path, read_ps1, option, field)


def _role(model, role, variable, field="choices"):
    return Copy(model, "roles/%s/meta/argument_specs.yml" % role, read_role_spec, variable, field)


def _defaults(model, role, variable):
    return Copy(model, "roles/%s/defaults/main.yml" % role, read_role_defaults, variable, "value")


def _readme(model, role, variable, also=""):
    return Copy(model, "roles/%s/README.md" % role, read_readme_row, variable, also, "set")


PROBE_DOC = "plugins/modules/device_connectivity_probe.py"
PROBE_PS1 = "plugins/modules/device_connectivity_probe.ps1"
PROBE_CS = "plugins/module_utils/WinHttpProbeModel.cs"
LOOKUP = "plugins/lookup/service_urls.py"
TITLE = "plugins/filter/allowlist_title.yml"
PLAN_FILTER = "plugins/filter/device_proxy_plan.yml"

COPIES: Tuple[Copy, ...] = (
    # clouds
    _doc("clouds", PROBE_DOC, "cloud"),
    Copy("clouds", LOOKUP, read_doc_prose, "cloud", "V()", "set"),
    _ps1("clouds", PROBE_PS1, "cloud"),
    _role("clouds", "connectivity_check", "connectivity_check_cloud"),
    _role("clouds", "proxy_allowlist", "proxy_allowlist_cloud"),
    _readme("clouds", "proxy_allowlist", "proxy_allowlist_cloud"),
    # connectivity models
    _doc("models", PROBE_DOC, "model"),
    Copy("models", LOOKUP, read_doc_prose, "model", "V()", "set"),
    _doc("models", TITLE, "model"),
    _ps1("models", PROBE_PS1, "model"),
    _role("models", "connectivity_check", "connectivity_check_model"),
    _role("models", "proxy_allowlist", "proxy_allowlist_model"),
    _readme("models", "connectivity_check", "connectivity_check_model"),
    _readme("models", "proxy_allowlist", "proxy_allowlist_model"),
    # the devices' OS names
    Copy("os_names", LOOKUP, read_doc_prose, "os", "V()", "set"),
    _doc("os_names", TITLE, "os"),
    _role("os_names", "proxy_allowlist", "proxy_allowlist_os"),
    _readme("os_names", "proxy_allowlist", "proxy_allowlist_os"),
    # connectivity methods
    _doc("methods", PROBE_DOC, "methods"),
    _doc("methods", PROBE_DOC, "methods", "default"),
    _ps1("methods", PROBE_PS1, "methods"),
    _ps1("methods", PROBE_PS1, "methods", "default"),
    _role("methods", "connectivity_check", "connectivity_check_methods"),
    _role("methods", "connectivity_check", "connectivity_check_methods", "default"),
    _defaults("methods", "connectivity_check", "connectivity_check_methods"),
    Copy("methods", PROBE_CS, read_csharp_array, "Names", "array"),
    Copy("proxy_methods", PROBE_CS, read_csharp_array, "ProxyMethodNames", "array"),
    # the device probe's wire words (failure_kinds)
    Copy("probe_skip_reasons", PROBE_CS, read_csharp_array, "SkipReasonNames", "array"),
    Copy("established", PROBE_CS, read_csharp_array, "EstablishedNames", "array"),
    # report formats
    _doc("report_formats", "plugins/modules/connectivity_report.py", "formats"),
    _doc("report_formats", "plugins/modules/connectivity_report.py", "formats", "default"),
    _role("report_formats", "connectivity_check", "connectivity_check_report_formats"),
    _role("report_formats", "connectivity_check", "connectivity_check_report_formats", "default"),
    _defaults("report_formats", "connectivity_check", "connectivity_check_report_formats"),
    # which module's results a report reads
    _doc("report_sources", "plugins/modules/connectivity_report.py", "source"),
) + tuple(
    copy
    for name in PLAN_CHOICES
    for copy in (
        _doc("plan." + name, PLAN_FILTER, "inputs." + name),
        _role("plan." + name, "device_proxy", "device_proxy_" + name),
    )
) + tuple(
    # Defaults of the plan inputs: the filter's documentation, the role's spec and defaults.
    copy
    for name in PLAN_CHOICES if name != "network_mode"
    for copy in (
        _doc("plan.%s.default" % name, PLAN_FILTER, "inputs." + name, "default"),
        _role("plan.%s.default" % name, "device_proxy", "device_proxy_" + name, "default"),
    ) + ((_defaults("plan.%s.default" % name, "device_proxy", "device_proxy_" + name),)
         if name != "defender_ssl_options" else ())
) + (
    _readme("plan.network_mode", "device_proxy", "device_proxy_network_mode", "present"),
    _readme("plan.topology", "device_proxy", "device_proxy_topology"),
    _readme("plan.winhttp_policy", "device_proxy", "device_proxy_winhttp_policy", "remove_stale"),
    _readme("plan.policy_conflict", "device_proxy", "device_proxy_policy_conflict"),
    _readme("plan.split_proxy_after_refusal", "device_proxy", "device_proxy_split_proxy_after_refusal",
            "TelemetryProxyServer"),
    _readme("plan.defender_av_policy", "device_proxy", "device_proxy_defender_av_policy"),
    _readme("plan.state", "device_proxy", "device_proxy_state", "playbooks/reset.yml"),
)


# --- the check -----------------------------------------------------------------------------------

def _difference(expected: Tuple[Any, ...], found: Tuple[Any, ...], match: str) -> Optional[str]:
    if match == "set":
        if set(expected) == set(found):
            return None
    elif expected == found:
        return None
    missing = [value for value in expected if value not in found]
    extra = [value for value in found if value not in expected]
    parts = []
    if missing:
        parts.append("missing %s" % ", ".join(map(repr, missing)))
    if extra:
        parts.append("not in the model %s" % ", ".join(map(repr, extra)))
    if not parts:
        parts.append("order %s, the model's is %s" % (list(found), list(expected)))
    return "; ".join(parts)


def check(root: str = ROOT, copies: Sequence[Copy] = COPIES,
          lists: Optional[Mapping[str, Tuple[Any, ...]]] = None) -> List[str]:
    """One line per copy that differs from its model list (or cannot be read); empty when all agree."""
    lists = model_lists() if lists is None else lists
    problems = []
    for copy in copies:
        path = os.path.join(root, copy.path)
        where = "%s: %s (%s)" % (copy.path, copy.option, copy.field if copy.reader is not read_readme_row else "row")
        try:
            found = copy.reader(root, path, copy.option, copy.field)
        except (CopyReadError, KeyError, yaml.YAMLError, ValueError) as err:
            problems.append("%s: cannot read the copy: %s" % (where, err))
            continue
        difference = _difference(lists[copy.model], found, copy.match)
        if difference:
            problems.append("%s: %s differs from the model: %s (model: %s)"
                            % (where, copy.model, difference, ", ".join(map(str, lists[copy.model]))))
    return problems


# --- rewriting the copies (--write) --------------------------------------------------------------

def _yaml_flow(values: Sequence[Any]) -> str:
    return "[%s]" % ", ".join(str(v) for v in values)


def _ps_list(values: Sequence[Any]) -> str:
    return ", ".join(str(v) if isinstance(v, int) else "'%s'" % v for v in values)


def _rewrite_yaml_field(text: str, option: str, field: str, values: Sequence[Any], scalar: bool) -> str:
    """Replace ``<field>: ...`` (one line) inside the block of ``<option>:`` (the last dotted name)."""
    lines = text.split("\n")
    name = option.split(".")[-1]
    for index, line in enumerate(lines):
        match = re.match(r"^(\s*)%s:\s*$" % re.escape(name), line)
        if not match:
            continue
        indent = len(match.group(1))
        for inner in range(index + 1, len(lines)):
            body = lines[inner]
            if body.strip() and len(body) - len(body.lstrip()) <= indent:
                break
            found = re.match(r"^(\s*)%s:\s*(.*)$" % re.escape(field), body)
            if found and len(found.group(1)) > indent:
                value = str(values[0]) if scalar else _yaml_flow(values)
                lines[inner] = "%s%s: %s" % (found.group(1), field, value)
                return "\n".join(lines)
    raise CopyReadError("no one-line %s: under %s: to rewrite" % (field, option))


def write_copy(root: str, copy: Copy, values: Sequence[Any]) -> None:
    """Rewrite one copy to ``values`` (README prose is left to a person: it is only checked)."""
    path = os.path.join(root, copy.path)
    text = _read(path)
    if copy.reader in (read_doc, read_role_spec):
        new = _rewrite_yaml_field(text, copy.option, copy.field, values, copy.field == "default" and len(values) == 1
                                  and copy.model not in LIST_VALUED)
    elif copy.reader is read_role_defaults:
        pattern = r"^%s:.*$" % re.escape(copy.option)
        value = _yaml_flow(values) if copy.model in LIST_VALUED else str(values[0])
        new, count = re.subn(pattern, "%s: %s" % (copy.option, value), text, count=1, flags=re.M)
        if not count:
            raise CopyReadError("%s is not in the defaults" % copy.option)
    elif copy.reader is read_ps1:
        block = re.search(r"^\s*%s\s*=\s*@\{" % re.escape(copy.option), text, re.M)
        if not block:
            raise CopyReadError("no %s = @{ in the spec" % copy.option)
        field = re.compile(r"(%s\s*=\s*)([^;}\n]+)" % re.escape(copy.field))
        found = field.search(text, block.end())
        if not found:
            raise CopyReadError("no %s = under %s" % (copy.field, copy.option))
        new = text[:found.start(2)] + _ps_list(values) + " " * (found.group(2).endswith(" ")) + text[found.end(2):]
    elif copy.reader is read_csharp_array:
        match = re.search(r"(string\[\]\s+%s\s*=\s*(?:new\s+string\[\]\s*)?\{)([^}]*)(\})" % re.escape(copy.option), text)
        if not match:
            raise CopyReadError("no string[] %s = { ... } array" % copy.option)
        new = text[:match.start(2)] + " " + ", ".join('"%s"' % v for v in values) + " " + text[match.end(2):]
    else:
        return
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(new)


# Model lists whose copies are lists even with one value (methods, formats); plan defaults are scalars.
LIST_VALUED = frozenset(("clouds", "models", "os_names", "methods", "report_formats", "proxy_methods",
                         "probe_skip_reasons", "established"))


def write(root: str = ROOT, copies: Sequence[Copy] = COPIES,
          lists: Optional[Mapping[str, Tuple[Any, ...]]] = None) -> List[str]:
    """Rewrite every differing copy that can be generated; the problems left (README prose, unreadable)."""
    lists = model_lists() if lists is None else lists
    for copy in copies:
        if copy.reader is read_readme_row or copy.reader is read_doc_prose:
            continue
        if not check(root, [copy], lists):
            continue
        try:
            write_copy(root, copy, lists[copy.model])
        except CopyReadError:
            pass  # check() below reports it
    return check(root, copies, lists)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--check", action="store_true", help="compare every copy with the model (the default)")
    parser.add_argument("--write", action="store_true",
                        help="rewrite the copies that differ (documentation, specs, role files, C#); README prose is only checked")
    args = parser.parse_args(argv)
    problems = write() if args.write else check()
    for problem in problems:
        print(problem)
    if problems:
        print("choice lists: %d cop%s differ from the Python model" % (len(problems), "y" if len(problems) == 1 else "ies"))
        return 1
    print("choice lists: %d copies agree with the Python model" % len(COPIES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
