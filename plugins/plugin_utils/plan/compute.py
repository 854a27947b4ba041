# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One device's plan: the inputs, the current state, every registered decider in turn, then the
risks, the context findings and the module calls. ``summarise_plan`` prints a plan for review."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Dict, List, Optional

from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.current_state import (
    device_summary,
    read_current_state,
    read_ownership,
    resolve_topology,
    unwrap_facts,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.decider import RISK_KINDS, PlanContext
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.inputs import (
    MODE_WORDS,
    PlanInputs,
    inputs_summary,
    parse_inputs,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.ownership import apply_ownership
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.targets import DECIDERS
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.vocabulary import (
    INFO,
    PLAN_VERSION,
    WARNING,
    finding as _finding,
)


def _context_findings(inputs: PlanInputs, facts: Mapping[str, Any]) -> List[Dict[str, str]]:
    findings = []
    services = facts.get("services")
    if isinstance(services, Mapping) and "sense" in services:
        sense = services.get("sense")
        if not isinstance(sense, Mapping) or sense.get("state") is None:
            findings.append(_finding(INFO, "Sense (the Defender for Endpoint sensor) is not installed: the static proxy takes "
                                           "effect once the device is onboarded"))
        elif str(sense.get("state")).lower() != "running":
            findings.append(_finding(WARNING, f"Sense is {sense.get('state')}: the proxy settings cannot be seen working "
                                              "until it runs"))
    wininet = facts.get("wininet")
    if isinstance(wininet, Mapping):
        for scope, words in (("machine", "the machine"), ("system_account", "the system account (LocalSystem)")):
            settings = wininet.get(scope)
            if isinstance(settings, Mapping) and settings.get("proxy_enable") == 1 and settings.get("proxy_server"):
                findings.append(_finding(INFO, f"a WinINet (Internet Options) proxy {settings.get('proxy_server')} is set for "
                                               f"{words}: Sense uses WinHTTP, not WinINet; this collection does not manage it"))
    if inputs.state == "present" and inputs.network_mode != "static" and not inputs.os_has_other_route:
        findings.append(_finding(INFO, f"{inputs.name('os_has_other_route')} is false, but PreferStaticProxyForHttpRequest "
                                       "works only with the static proxy: nothing is set in a "
                                       f"{MODE_WORDS[inputs.network_mode]}"))
    if inputs.state == "present" and inputs.network_mode == "static" and inputs.telemetry_value.startswith("["):
        findings.append(_finding(WARNING, "TelemetryProxyServer is an IPv6 literal: the documentation does not say whether "
                                          "Sense accepts it, and IPv6-only devices are unsupported"))
    return findings


def compute_plan(inputs: Optional[Mapping[str, Any]], facts: Any, field_prefix: str = "",
                 host: Optional[str] = None) -> Dict[str, Any]:
    """The plan for one device. Raises PlanInputError / PlanFactsError before deciding anything."""
    parsed = parse_inputs(inputs, field_prefix)
    device_facts = unwrap_facts(facts)
    current = read_current_state(device_facts)
    topology = resolve_topology(parsed, device_facts)
    ownership = read_ownership(device_facts)
    plan = PlanContext(parsed, device_facts, current, topology["value"], ownership, tuple(topology["evidence"]))

    findings = list(current.findings)
    for decider in DECIDERS:
        action, decided_findings = decider.decide(plan)
        action, owner_findings = apply_ownership(decider, action, ownership, parsed)
        action, follow_findings = decider.follow(plan, action)
        plan.decided[decider.target.name] = action
        findings += decided_findings + owner_findings + follow_findings
    if ownership is not None:
        findings += ownership.findings
    for kind in RISK_KINDS:
        for decider in DECIDERS:
            if kind in decider.risks:
                findings += decider.risks[kind](plan, plan.decided)
    findings += _context_findings(parsed, device_facts)
    for decider in DECIDERS:
        findings += decider.notes(plan, plan.decided[decider.target.name])
    apply = {}
    for decider in DECIDERS:
        call = decider.apply(plan.decided)
        if call is not None:
            apply[decider.target.name] = call
    actions = list(plan.decided.values())
    return {
        "version": PLAN_VERSION,
        "host": host,
        "device": device_summary(device_facts),
        "inputs": inputs_summary(parsed),
        "topology": topology,
        "actions": actions,
        "apply": apply,
        "ownership": {name: value.as_dict() for name, value in ownership.values.items()} if ownership is not None else None,
        "changes": sum(1 for action in actions if action["changes"]),
        "findings": findings,
    }


def summarise_plan(plan: Mapping[str, Any]) -> List[str]:
    """A plan as short lines for a review: one per action, then the findings."""
    topology = plan.get("topology", {})
    head = plan.get("host") or "device"
    lines = [f"{head}: topology {topology.get('value')} ({topology.get('source')}: {'; '.join(topology.get('evidence', []))})"]
    for action in plan.get("actions", []):
        lines.append(f"{action['target']}: {action['action']} - {action['reason']}")
    for finding in plan.get("findings", []):
        lines.append(f"{finding['severity']}: {finding['message']}")
    return lines
