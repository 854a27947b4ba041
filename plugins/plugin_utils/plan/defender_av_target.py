# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Defender Antivirus's own proxy as a plan target: defender_av_decision.py decides, from the same
inputs and from what the WinHTTP decision leaves behind; the ownership rule is applied there, on
``ProxyServer``."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Tuple

from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import ProxyAddressError
from ansible_collections.purview.device_proxy.plugins.plugin_utils.defender_av_values import (
    proxy_server_from_host_port,
    proxy_server_value,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.decider import (
    DROPPED_BYPASS,
    FOREIGN_VALUE,
    Decider,
    PlanContext,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.defender_av_decision import (
    decide_defender_av_proxy,
    winhttp_carries_after,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.ownership import policy_words
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.split_proxy import hold_split, sensor_proxy_held
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.vocabulary import (
    DEFENDER_AV_PROXY,
    KEEP,
    REPORT,
    SET,
    WARNING,
    WINHTTP_PROXY,
    finding as _finding,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.winhttp_view import bypass_key

TARGET = DEFENDER_AV_PROXY


def decide(plan: PlanContext) -> Tuple[Dict[str, Any], List[Dict[str, str]]]:
    inputs, report = plan.inputs, plan.ownership
    current = plan.facts.get("defender_av")
    if inputs.defender_av_policy == "leave":
        return TARGET.action(KEEP, f"{inputs.name('defender_av_policy')} is leave: Defender Antivirus's "
                                   "own proxy is not touched", current={"known": current is not None}), []
    decided = decide_defender_av_proxy(
        state=inputs.state, network_mode=inputs.network_mode, proxy=inputs.telemetry_value,
        bypass=list(inputs.bypass), topology=plan.topology,
        winhttp_carries=winhttp_carries_after(plan.decided[WINHTTP_PROXY.name]),
        os_has_other_route=inputs.os_has_other_route, current=current,
        previous_proxies=list(inputs.managed_telemetry_values), ssl_options=inputs.defender_ssl_options,
        remove_stale=inputs.remove_stale,
        ownership=report.values.get("defender_proxy_server") if report is not None else None,
        policy_conflict=inputs.policy_conflict, prefix=inputs.prefix)
    findings = decided.pop("findings", [])
    return decided, findings


def named_owners(action: Dict[str, Any]) -> Tuple[str, ...]:
    return ("defender_proxy_server",) if action["action"] == REPORT else ()


def dropped_bypass(plan: PlanContext, decided: Mapping[str, Dict[str, Any]]) -> List[Dict[str, str]]:
    """ProxyBypass entries the change would drop."""
    defender = decided[TARGET.name]
    params = defender["params"]
    before = (defender["current"] or {}).get("proxy_bypass")
    if defender["action"] == SET and before and "proxy_bypass" in params:
        wanted = set(bypass_key(";".join(params["proxy_bypass"])))
        dropped = [entry for entry in bypass_key(str(before)) if entry not in wanted]
        if dropped:
            return [_finding(WARNING, f"the Defender Antivirus change drops ProxyBypass entries {', '.join(dropped)} "
                                      f"(now: {before}): add them to the bypass list to keep them")]
    return []


def _normal_defender(value: Any) -> Any:
    try:
        return proxy_server_value(value)
    except ProxyAddressError:
        return value


def foreign_value(plan: PlanContext, decided: Mapping[str, Dict[str, Any]]) -> List[Dict[str, str]]:
    """A ProxyServer this collection did not write, replaced: whoever wrote it may put it back."""
    defender = decided[TARGET.name]
    before = (defender["current"] or {}).get("proxy_server")
    if defender["action"] != SET or not before:
        return []
    managed = set()
    for value in plan.inputs.managed_telemetry_values:
        try:
            managed.add(proxy_server_from_host_port(value))
        except ProxyAddressError:
            pass
    if _normal_defender(before) in managed:
        return []
    return [_finding(WARNING, f"Defender Antivirus ProxyServer {before} is replaced, and this collection did "
                              f"not write it: {policy_words(plan.ownership, 'defender_proxy_server')}")]


def follow(plan: PlanContext, action: Dict[str, Any]) -> Tuple[Dict[str, Any], List[Dict[str, str]]]:
    server = action["desired"].get("proxy_server") or ""
    sensor = sensor_proxy_held(plan)
    same = False
    if sensor is not None:
        try:
            same = _normal_defender(server) == proxy_server_from_host_port(sensor)
        except ProxyAddressError:
            same = False
    return hold_split(plan, action, "Defender Antivirus's own proxy", server, same)


def apply_call(decided: Mapping[str, Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    defender = decided[TARGET.name]
    return dict(defender["params"]) if defender["changes"] else None


DECIDER = Decider(target=TARGET, decide=decide, named_owners=named_owners, follow=follow,
                  risks={DROPPED_BYPASS: dropped_bypass, FOREIGN_VALUE: foreign_value}, apply=apply_call)
