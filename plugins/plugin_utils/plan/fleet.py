# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every host's plan in one pass on the controller: each host's inputs from its variables, its facts
from the supplied sources (or from a facts run), one ``compute_plan`` per host.

A chain of tasks per host costs a worker process per host and task; planning a fleet of thousands
that way takes most of an hour. Here the role's variables are read once per host, the facts files
once per host, and nothing else is done per host.

Sources of the facts in plan-only mode, first found wins: the host's ``device_proxy_facts``, the file
``<device_proxy_facts_dir>/<host>.json`` (or ``.yml`` / ``.yaml``), then the fact cache of an earlier
``purview.device_proxy.device_facts`` run (``ansible_facts.purview_device_proxy``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from ansible_collections.purview.device_proxy.plugins.module_utils._input_error import InputError
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.compute import compute_plan
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.inputs import DEFAULT_INPUTS, parse_inputs
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.vocabulary import PlanFactsError

PREFIX = "device_proxy_"
FACTS_SUFFIXES = (".json", ".yml", ".yaml")
INPUT_VARIABLES = tuple(PREFIX + name for name in DEFAULT_INPUTS)

# What a host's variables are read through: name -> value, raising KeyError when the host has none.
Variables = Mapping[str, Any]


def host_inputs(variables: Variables, fallback: Variables) -> Dict[str, Any]:
    """The plan inputs of a host: its own ``device_proxy_*`` variables, else the play's (role defaults)."""
    inputs = {}
    for name, variable in zip(DEFAULT_INPUTS, INPUT_VARIABLES):
        if variable in variables:
            inputs[name] = variables[variable]
        elif variable in fallback:
            inputs[name] = fallback[variable]
    return inputs


def _read_facts_file(path: str) -> Any:
    with open(path, "rb") as handle:
        data = handle.read()
    if path.endswith(".json"):
        try:
            return json.loads(data)
        except ValueError as err:
            raise PlanFactsError(path, "json", f"is not valid JSON: {err}") from None
    import yaml  # only for the YAML form; JSON is the shape device_facts writes
    try:
        return yaml.safe_load(data)
    except yaml.YAMLError as err:
        raise PlanFactsError(path, "yaml", f"is not valid YAML: {err}") from None


def facts_file(facts_dir: str, host: str) -> Optional[str]:
    for suffix in FACTS_SUFFIXES:
        path = os.path.join(facts_dir, host + suffix)
        if os.path.isfile(path):
            return path
    return None


def supplied_facts(host: str, variables: Variables, fallback: Variables) -> Tuple[Any, str]:
    """(facts, where they came from) for plan-only mode; PlanFactsError when there are none."""
    given = variables[PREFIX + "facts"] if PREFIX + "facts" in variables else None
    if given is not None:
        return given, f"{PREFIX}facts of {host}"
    facts_dir = variables[PREFIX + "facts_dir"] if PREFIX + "facts_dir" in variables else fallback.get(PREFIX + "facts_dir")
    if facts_dir:
        path = facts_file(str(facts_dir), host)
        if path is not None:
            return _read_facts_file(path), path
    cached = variables["ansible_facts"] if "ansible_facts" in variables else None
    if isinstance(cached, Mapping) and cached.get("purview_device_proxy") is not None:
        return cached["purview_device_proxy"], f"the fact cache of {host}"
    raise PlanFactsError(
        "facts", "required",
        f"plan-only mode needs the device facts of {host}: set {PREFIX}facts, put {host}.json in "
        f"{PREFIX}facts_dir ({facts_dir or 'not set'}), or keep the facts of an earlier "
        "purview.device_proxy.device_facts run in the fact cache")


def gathered_facts(host: str, variables: Variables) -> Tuple[Any, str]:
    """(facts, source) read by purview.device_proxy.device_facts in this run."""
    cached = variables["ansible_facts"] if "ansible_facts" in variables else None
    if isinstance(cached, Mapping) and cached.get("purview_device_proxy") is not None:
        return cached["purview_device_proxy"], f"purview.device_proxy.device_facts on {host}"
    raise PlanFactsError("facts", "required", f"purview.device_proxy.device_facts returned no facts for {host}")


def error_entry(err: InputError, source: Optional[str] = None) -> Dict[str, str]:
    entry = {"field": err.field, "rule": err.rule, "message": str(err)}
    if source:
        entry["source"] = source
    return entry


def check_fleet_inputs(hosts: Iterable[Tuple[str, Variables]], fallback: Variables) -> Dict[str, Dict[str, str]]:
    """{host: error} for every host whose inputs break a rule (nothing is read from devices)."""
    errors = {}
    for host, variables in hosts:
        try:
            parse_inputs(host_inputs(variables, fallback), PREFIX)
        except InputError as err:
            errors[host] = error_entry(err)
    return errors


FactsReader = Callable[[str, Variables], Tuple[Any, str]]


def plan_fleet(hosts: Iterable[Tuple[str, Variables]], fallback: Variables, read_facts: FactsReader,
               check_facts: Optional[Callable[[Any, str], Any]] = None) -> Tuple[Dict[str, Any], Dict[str, Dict[str, str]]]:
    """({host: plan}, {host: error}) in the order given. ``check_facts(facts, source)`` may validate or
    rewrite the facts before the plan reads them (it raises InputError naming the source)."""
    plans: Dict[str, Any] = {}
    errors: Dict[str, Dict[str, str]] = {}
    for host, variables in hosts:
        source = None
        try:
            inputs = host_inputs(variables, fallback)
            parse_inputs(inputs, PREFIX)  # inputs first: a wrong input is named even when facts are missing
            facts, source = read_facts(host, variables)
            if check_facts is not None:
                facts = check_facts(facts, source)
            plans[host] = compute_plan(inputs, facts, field_prefix=PREFIX, host=host)
        except PlanFactsError as err:
            errors[host] = error_entry(err, source)
        except InputError as err:
            errors[host] = error_entry(err)
        except OSError as err:
            errors[host] = {"field": "facts", "rule": "readable", "message": f"cannot read the facts: {err}",
                            **({"source": source} if source else {})}
    return plans, errors


def changed_hosts(plans: Mapping[str, Any]) -> List[str]:
    return [host for host, plan in plans.items() if plan.get("changes")]
