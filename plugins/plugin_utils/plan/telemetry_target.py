# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The registry-based static proxy: ``TelemetryProxyServer`` with ``DisableEnterpriseAuthProxy=1``.

The documentation prescribes it for every device on a static proxy network, roaming or stable
(Sense falls back to a direct connection when the proxy cannot be reached). Its module call also
carries ``PreferStaticProxyForHttpRequest`` (prefer_static_target.py), which the module writes only
together with the static proxy.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Tuple

from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.decider import (
    FOREIGN_VALUE,
    Decider,
    OwnershipCheck,
    PlanContext,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.ownership import policy_words
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.reasons import (
    context,
    no_config_why,
    normal_telemetry,
    stale_decision,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.vocabulary import (
    INFO,
    KEEP,
    PREFER_STATIC_PROXY,
    REMOVE,
    SET,
    TELEMETRY_PROXY,
    WARNING,
    finding as _finding,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.policy_sources import OwnershipReport
from ansible_collections.purview.device_proxy.plugins.plugin_utils.registry_locations import RegistryLocation, held_with_proxy

TARGET = TELEMETRY_PROXY
# The values the static proxy carries with it (DisableEnterpriseAuthProxy=1): rows of the settings table.
HELD_WITH_PROXY = held_with_proxy("telemetry_proxy")


def decide(plan: PlanContext) -> Tuple[Dict[str, Any], List[Dict[str, str]]]:
    inputs, current = plan.inputs, plan.current
    server = current.telemetry_server
    now = {"server": server, **current.held_with_proxy, "known": current.telemetry_known}
    if inputs.state == "present" and inputs.network_mode == "static":
        wanted = inputs.telemetry_value
        desired = {"server": wanted, **{row.result_key: row.held_with_proxy for row in HELD_WITH_PROXY}}
        prescribed = (f"{context(inputs)}: the documentation prescribes the registry-based static proxy "
                      f"(TelemetryProxyServer {wanted} + DisableEnterpriseAuthProxy=1, the Group Policy equivalent) "
                      "for every device, roaming or stable; Sense falls back to a direct connection when the proxy "
                      "cannot be reached")
        params = {"state": "present", "proxy": wanted}
        if server is not None and normal_telemetry(server) == wanted:
            missing = [row for row in HELD_WITH_PROXY if current.held_with_proxy.get(row.result_key) != row.held_with_proxy]
            if not missing:
                return TARGET.action(KEEP, f"{prescribed}; already set", current=now, desired=desired), []
            return TARGET.action(SET, f"{prescribed}; " + "; ".join(_held_words(row, current.held_with_proxy) for row in missing),
                                 params, now, desired), []
        if not current.telemetry_known:
            detail = "the current value is not reported by the facts"
        elif server is None:
            detail = "not set yet"
        elif normal_telemetry(server) in inputs.managed_telemetry_values:
            detail = f"replaces {server}, an earlier proxy this collection wrote"
        else:
            detail = f"replaces {server}, which this collection did not write"
        return TARGET.action(SET, f"{prescribed}; {detail}", params, now, desired), []

    desired = {"server": None}
    why = no_config_why(inputs)
    if not current.telemetry_known:
        return TARGET.action(KEEP, f"{why}; the facts do not report TelemetryProxyServer, so nothing is known to remove",
                             current=now, desired=desired), []
    if server is None:
        return TARGET.action(KEEP, f"{why}; TelemetryProxyServer is not set", current=now, desired=desired), []
    ours = normal_telemetry(server) in inputs.managed_telemetry_values
    action, reason = stale_decision(inputs, f"static proxy TelemetryProxyServer {server}", ours, why)
    return TARGET.action(action, reason, {"state": "absent"}, now, desired), []


def _held_words(row: RegistryLocation, held: Mapping[str, Optional[int]]) -> str:
    """Why a value that goes with the static proxy must change."""
    value = held.get(row.result_key)
    words = f"{row.name} is {'not set' if value is None else value}, and it must be {row.held_with_proxy}"
    return f"{words} because {row.held_with_proxy_why}" if row.held_with_proxy_why else words


def same_telemetry(owner_value: Any, wanted: Any) -> bool:
    if owner_value is None or wanted is None:
        return owner_value is None and wanted is None
    return normal_telemetry(str(owner_value)) == normal_telemetry(str(wanted))


def ownership_checks(report: OwnershipReport, action: Dict[str, Any]) -> List[OwnershipCheck]:
    server = action["desired"].get("server")
    now = action["current"]
    known = now.get("known")
    server_now = now.get("server")
    server_words = server_now if server_now is not None else "no value"
    server_in_place = (server_now is None if not server else server_now is not None and normal_telemetry(server_now) == server)
    server_check = OwnershipCheck(report.values["telemetry_proxy_server"], server or None, same_telemetry,
                                  server_in_place if known else None, server_words)
    if not server:
        # Removing the static proxy also deletes DisableEnterpriseAuthProxy; a baseline GPO that
        # enforces it only puts back a harmless 1, so it does not block the removal.
        return [server_check]
    checks = [server_check]
    for row in HELD_WITH_PROXY:
        value = now.get(row.result_key)
        checks.append(OwnershipCheck(report.values[row.ownership_field], row.held_with_proxy, None,
                                     value == row.held_with_proxy if known else None,
                                     "no value" if value is None else repr(value)))
    return checks


def foreign_value(plan: PlanContext, decided: Mapping[str, Dict[str, Any]]) -> List[Dict[str, str]]:
    """A TelemetryProxyServer this collection did not write, replaced: whoever wrote it may put it back."""
    server = plan.current.telemetry_server
    if (decided[TARGET.name]["action"] == SET and server is not None
            and normal_telemetry(server) not in plan.inputs.managed_telemetry_values):
        return [_finding(WARNING, f"TelemetryProxyServer {server} is replaced, and this collection did not write it: "
                                  f"{policy_words(plan.ownership, 'telemetry_proxy_server')}")]
    return []


def notes(plan: PlanContext, action: Dict[str, Any]) -> List[Dict[str, str]]:
    if action["action"] == REMOVE:
        return [_finding(INFO, "removing the static proxy also removes DisableEnterpriseAuthProxy, which security "
                               "baselines (CIS) require as 1: re-apply the baseline if it owns that value")]
    return []


def apply_call(decided: Mapping[str, Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """The telemetry_proxy module call: the static proxy, and PreferStaticProxyForHttpRequest with it."""
    telemetry = decided[TARGET.name]
    prefer = decided[PREFER_STATIC_PROXY.name]
    if not (telemetry["changes"] or prefer["changes"]):
        return None
    if telemetry["changes"]:
        params = dict(telemetry["params"])
    elif telemetry["action"] == KEEP and telemetry["desired"].get("server"):
        # Only PreferStaticProxyForHttpRequest changes: restate the static proxy that is already right.
        params = {"state": "present", "proxy": telemetry["desired"]["server"]}
    elif telemetry["desired"].get("server"):
        return None  # a static proxy held back is never restated, nor removed, for PreferStaticProxyForHttpRequest
    else:
        params = {"state": "absent"}
    if prefer["changes"]:
        params.update(prefer["params"])
    elif prefer["action"] == KEEP and prefer["desired"].get("value") == 1:
        params["prefer_static_proxy_for_http_request"] = True
    return params


DECIDER = Decider(target=TARGET, decide=decide, ownership_checks=ownership_checks,
                  risks={FOREIGN_VALUE: foreign_value}, notes=notes, apply=apply_call)
