# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``PreferStaticProxyForHttpRequest``: Sense sends the OS's own requests through the static proxy.

Needed only when the OS has no other route to the Internet. A plain ``1`` has no owner mark: it
counts as this collection's when it goes together with a ``TelemetryProxyServer`` that is the
collection's. It is written by the telemetry_proxy module call (telemetry_target.py).
"""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.decider import Decider, OwnershipCheck, PlanContext
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.reasons import (
    context,
    no_config_why,
    normal_telemetry,
    stale_decision,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.vocabulary import (
    KEEP,
    PREFER_STATIC_PROXY,
    REFUSE,
    REMOVE,
    REPORT,
    SET,
    TELEMETRY_PROXY,
    rebuilder,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.policy_sources import OwnershipReport

TARGET = PREFER_STATIC_PROXY


def decide(plan: PlanContext) -> Tuple[Dict[str, Any], List[Dict[str, str]]]:
    return _decision(plan), []


def _decision(plan: PlanContext) -> Dict[str, Any]:
    inputs, current = plan.inputs, plan.current
    value = current.prefer_static
    now = {"value": value, "known": current.telemetry_known}
    server = current.telemetry_server
    static = inputs.state == "present" and inputs.network_mode == "static"
    if static and not inputs.os_has_other_route:
        desired = {"value": 1}
        why = (f"the OS has no other route to the Internet ({inputs.name('os_has_other_route')} is false): the documentation "
               "adds PreferStaticProxyForHttpRequest=1 so that Sense also sends the requests the OS cannot make itself "
               "(certificate revocation lists, Windows Update) through the static proxy; it takes effect from MsSense "
               "10.8210/10.8049 onwards and not for MMA-based onboarding")
        if value == 1:
            return TARGET.action(KEEP, f"{why}; already set", current=now, desired=desired)
        return TARGET.action(SET, why, {"prefer_static_proxy_for_http_request": True}, now, desired)

    desired = {"value": None}
    if static:
        why = (f"{context(inputs)}: the OS has another route to the Internet ({inputs.name('os_has_other_route')} is true), "
               "so PreferStaticProxyForHttpRequest is not needed")
    else:
        why = f"{no_config_why(inputs)}; PreferStaticProxyForHttpRequest works only with TelemetryProxyServer"
    if not current.telemetry_known:
        return TARGET.action(KEEP, f"{why}; the facts do not report it", current=now, desired=desired)
    if value is None:
        return TARGET.action(KEEP, f"{why}; not set", current=now, desired=desired)
    params = {"prefer_static_proxy_for_http_request": False}
    if static:
        # Beside a static proxy that stays, nothing tells who wrote the value; it is harmless there.
        if inputs.remove_stale:
            return TARGET.action(REMOVE, f"{why}; removed because {inputs.name('remove_stale')} is true",
                                 params, now, desired)
        return TARGET.action(REPORT,
                             f"{why}; it is harmless beside the static proxy and this collection cannot tell whether it wrote "
                             f"it: reported only (set {inputs.name('remove_stale')} to true to remove it)",
                             current=now, desired=desired)
    # Written only together with TelemetryProxyServer: it is the collection's when that one is, and both go together.
    ours = server is not None and normal_telemetry(server) in inputs.managed_telemetry_values
    action, reason = stale_decision(inputs, f"PreferStaticProxyForHttpRequest={value}", ours, why)
    return TARGET.action(action, reason, params, now, desired)


def ownership_checks(report: OwnershipReport, action: Dict[str, Any]) -> List[OwnershipCheck]:
    wanted, now = action["desired"].get("value"), action["current"]
    value = now.get("value")
    return [OwnershipCheck(report.values["prefer_static_proxy_for_http_request"], wanted, None,
                           (value == wanted) if now.get("known") else None, "no value" if value is None else repr(value))]


def follow(plan: PlanContext, action: Dict[str, Any]) -> Tuple[Dict[str, Any], List[Dict[str, str]]]:
    # The module writes PreferStaticProxyForHttpRequest only in a call that also states the static
    # proxy (present with the proxy, or absent): that call would write a static proxy held back.
    telemetry = plan.decided[TELEMETRY_PROXY.name]
    if not action["changes"]:
        return action, []
    if telemetry["action"] == REFUSE:
        return rebuilder(action)(REFUSE, f"{action['reason']}; not changed: it is written only together with "
                                         "TelemetryProxyServer, which a policy owns (see the static proxy)",
                                 "held with TelemetryProxyServer"), []
    if telemetry["action"] == REPORT and telemetry["desired"].get("server"):
        return rebuilder(action)(REPORT, f"{action['reason']}; not changed: it is written only together with "
                                         "TelemetryProxyServer, which is held back (see the static proxy)"), []
    return action, []


DECIDER = Decider(target=TARGET, decide=decide, ownership_checks=ownership_checks, follow=follow)
