# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The system-wide WinHTTP proxy (``netsh winhttp set proxy``), both registry views.

Only on devices in a stable topology, only when ``winhttp_policy`` asks for it, never on roaming
devices unless forced (topology.static_winhttp_decision holds that rule).
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Tuple

from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.current_state import CurrentState
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.decider import (
    DROPPED_BYPASS,
    FOREIGN_VALUE,
    STALE_PROXY,
    Decider,
    OwnershipCheck,
    PlanContext,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.inputs import MODE_WORDS, PlanInputs
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.ownership import policy_words
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.split_proxy import hold_split, sensor_proxy_held
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.reasons import (
    no_config_why,
    normal_telemetry,
    stale_decision,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.vocabulary import (
    CHANGING_ACTIONS,
    KEEP,
    REFUSE,
    REMOVE,
    REPORT,
    SET,
    TELEMETRY_PROXY,
    WARNING,
    WINHTTP_PROXY,
    finding as _finding,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.policy_sources import OwnershipReport
from ansible_collections.purview.device_proxy.plugins.plugin_utils.topology import (
    ROAMING,
    ROAMING_WHY,
    STABLE,
    UNKNOWN,
    static_winhttp_decision,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.winhttp_view import (
    WinHttpView,
    bypass_key,
    proxy_key,
    views_differ,
)

TARGET = WINHTTP_PROXY
_OWNED_FIELDS = ("winhttp_settings", "winhttp_settings_wow64")


def _view_matches(view: WinHttpView, wanted: WinHttpView) -> bool:
    return view.known and not views_differ(view, wanted)


def _winhttp_matches(current: CurrentState, wanted: WinHttpView) -> bool:
    return all(_view_matches(view, wanted) for view in current.winhttp_views)


def _winhttp_set_detail(current: CurrentState, wanted: WinHttpView, inputs: PlanInputs) -> str:
    proxies = current.winhttp_proxies()
    if not current.winhttp_known:
        return "the current setting is not reported by the facts"
    if not proxies:
        return "currently direct access"
    matching = [view.name for view in current.winhttp_views if _view_matches(view, wanted)]
    if matching:
        stale = [view.name for view in current.winhttp_views if view.name not in matching]
        return f"the {', '.join(stale)} copy differs ({current.describe_winhttp()}); both registry views are written"
    owners = {proxy_key(view.proxy) in inputs.managed_winhttp_values for view in proxies}
    whose = "an earlier proxy this collection wrote" if owners == {True} else "not written by this collection"
    return f"replaces {current.describe_winhttp()} ({whose})"


def _back_to_direct(inputs: PlanInputs, current: CurrentState, now: Dict[str, Any], ours: bool, why: str,
                    already: str) -> Tuple[Dict[str, Any], str]:
    """WinHTTP back to direct access where only a stale proxy is removed (what this collection wrote,
    unless remove_stale says otherwise): the entry and its action."""
    desired = {"proxy": None}
    if not current.winhttp_known:
        return TARGET.action(KEEP, f"{why}; the facts do not report WinHTTP, so nothing is known to remove",
                             current=now, desired=desired), KEEP
    if not current.winhttp_proxies():
        return TARGET.action(KEEP, f"{why}; {already}", current=now, desired=desired), KEEP
    action, reason = stale_decision(inputs, f"system-wide WinHTTP proxy ({current.describe_winhttp()})", ours, why)
    return TARGET.action(action, reason, {"state": "absent"}, now, desired), action


def decide_winhttp(inputs: PlanInputs, current: CurrentState, topology: str,
                   evidence: Tuple[str, ...] = ()) -> Tuple[Dict[str, Any], List[Dict[str, str]]]:
    findings: List[Dict[str, str]] = []
    proxies = current.winhttp_proxies()
    now = {"views": {view.name: view.to_plan() for view in current.winhttp_views}, "summary": current.describe_winhttp()}
    described = current.describe_winhttp()
    ours = bool(proxies) and all(not view.error and proxy_key(view.proxy) in inputs.managed_winhttp_values
                                 for view in proxies)
    roaming_words = {ROAMING: "a roaming device", UNKNOWN: "a device of unknown topology"}

    # With state absent, reset is honoured as it is with state present (parse_inputs refuses set and stable_only).
    if inputs.state == "absent" and inputs.winhttp_policy != "reset":
        entry, _action = _back_to_direct(inputs, current, now, ours, no_config_why(inputs), "WinHTTP is already direct access")
        return entry, findings

    policy = inputs.winhttp_policy
    if policy == "leave":
        reason = f"{inputs.name('winhttp_policy')} is leave: WinHTTP is not touched"
        if not current.winhttp_known:
            return TARGET.action(KEEP, f"{reason} (not reported by the facts)", current=now), findings
        if not proxies:
            return TARGET.action(KEEP, f"{reason} (direct access)", current=now), findings
        if topology in roaming_words:
            findings.append(_finding(WARNING, f"system-wide WinHTTP proxy ({described}) on {roaming_words[topology]}: "
                                              f"{ROAMING_WHY}"))
            return TARGET.action(REPORT,
                                 f"{reason}, but the system-wide WinHTTP proxy ({described}) is set on {roaming_words[topology]}: "
                                 f"{ROAMING_WHY}; reported only (set {inputs.name('winhttp_policy')} to stable_only or reset to remove it)",
                                 current=now), findings
        if inputs.network_mode != "static":
            whose = "written by this collection" if ours else "not written by this collection"
            return TARGET.action(REPORT,
                                 f"{reason}; the stale system-wide WinHTTP proxy ({described}, {whose}) is not needed in a "
                                 f"{MODE_WORDS[inputs.network_mode]} and overrides it: reported only "
                                 f"(set {inputs.name('winhttp_policy')} to reset to remove it)", current=now), findings
        return TARGET.action(KEEP, f"{reason} ({described})", current=now), findings

    if policy == "reset":
        desired = {"proxy": None}
        reason = f"{inputs.name('winhttp_policy')} is reset: back to direct access (netsh winhttp reset proxy)"
        if not current.winhttp_known:
            return TARGET.action(REMOVE, f"{reason}; the current setting is not reported by the facts",
                                 {"state": "absent"}, now, desired), findings
        if not proxies:
            return TARGET.action(KEEP, f"{reason}; already direct access", current=now, desired=desired), findings
        whose = "written by this collection" if ours else f"not written by this collection, removed because {inputs.name('winhttp_policy')} is reset"
        return TARGET.action(REMOVE, f"{reason}; removes {described} ({whose})",
                             {"state": "absent"}, now, desired), findings

    if policy == "stable_only" and topology != STABLE:
        # Roaming (or unknown) devices must not keep a static WinHTTP proxy: reset it, but only what
        # this collection wrote unless remove_stale says otherwise.
        why = (f"{inputs.name('winhttp_policy')} is stable_only and this is {roaming_words[topology]}: {ROAMING_WHY}; "
               "its system-wide WinHTTP proxy goes back to direct access (netsh winhttp reset proxy)")
        entry, action = _back_to_direct(inputs, current, now, ours, why, "already direct access")
        if action == REPORT:
            findings.append(_finding(WARNING, f"system-wide WinHTTP proxy ({described}) stays on {roaming_words[topology]}: "
                                              f"{ROAMING_WHY}; it was not written by this collection (set "
                                              f"{inputs.name('remove_stale')} to true to reset it)"))
        return entry, findings

    # policy "set", or "stable_only" on a stable device; parse_inputs guarantees a static network and a proxy.
    server = inputs.winhttp_server
    bypass = ";".join(inputs.bypass)
    desired = {"proxy": server, "bypass": bypass or None}
    params = {"state": "present", "proxy": server, "bypass": list(inputs.bypass), "device_topology": topology,
              "force": False}
    decision = static_winhttp_decision(
        topology, inputs.winhttp_force, unknown_refused=True, force_option=inputs.name("winhttp_force"),
        topology_option=inputs.name("topology"),
        unknown_hint=f"the facts do not show whether the device roams, and no {inputs.name('topology')} is set")
    if not decision.allowed:
        if proxies:
            findings.append(_finding(WARNING, f"system-wide WinHTTP proxy ({described}) is already set on "
                                              f"{roaming_words[topology]}: {ROAMING_WHY}"))
        return TARGET.action(REFUSE, decision.refusal, current=now, desired=desired,
                             cause="roaming device" if topology == ROAMING else "unknown topology"), findings
    if decision.warning:
        params["force"] = True
        findings.append(_finding(WARNING, decision.warning))
        reason = f"{inputs.name('winhttp_policy')} is set and {decision.warning}"
    else:
        # The device in the topology derivation's own words (a virtual server is no desktop).
        seen = evidence[0].split(":", 1)[0] if evidence else "stable"
        # The evidence comes after the rationale, so the fleet review still shows the rationale once.
        reason = (f"stable topology and {inputs.name('winhttp_policy')} is {policy}: the system-wide WinHTTP proxy "
                  f"(netsh winhttp set proxy {server}) is acceptable for a device that always sits behind the same proxy; "
                  f"it affects every WinHTTP client on the device; topology evidence: {seen}")
    wanted = WinHttpView.proxy_setting(server, bypass)
    if _winhttp_matches(current, wanted):
        return TARGET.action(KEEP, f"{reason}; already set on both registry views", current=now,
                             desired=desired), findings
    return TARGET.action(SET, f"{reason}; {_winhttp_set_detail(current, wanted, inputs)}",
                         params, now, desired), findings


# ---------------------------------------------------------------------------------------------
# policy ownership: a value a policy enforces is not fought over


def decide(plan: PlanContext) -> Tuple[Dict[str, Any], List[Dict[str, str]]]:
    return decide_winhttp(plan.inputs, plan.current, plan.topology, plan.topology_evidence)


def _winhttp_owner_view(value: Any) -> WinHttpView:
    if value is None:
        return WinHttpView.proxy_setting("")
    if isinstance(value, (bytes, bytearray)):
        value = value.hex().upper()
    return WinHttpView.from_hex(str(value))


def _same_winhttp(owner_value: Any, wanted: Any) -> bool:
    """``wanted`` is the WinHttpView the plan leaves behind; an owner that deletes the value means direct access."""
    return not views_differ(_winhttp_owner_view(owner_value), wanted)


def ownership_checks(report: OwnershipReport, action: Dict[str, Any]) -> List[OwnershipCheck]:
    desired = action["desired"]
    if "proxy" not in desired:
        return []  # winhttp_policy leave: nothing is wanted, owners are only named
    wanted = WinHttpView.proxy_setting(desired.get("proxy") or "", desired.get("bypass") or "")
    views = (action["current"].get("views") or {})
    checks = []
    for name, view_name in zip(_OWNED_FIELDS, ("native", "wow64")):
        view = views.get(view_name) or {}
        in_place, words = None, ""
        if view.get("known") and not view.get("error"):
            held = WinHttpView.proxy_setting(view.get("proxy") or "", view.get("bypass") or "")
            in_place = not views_differ(held, wanted)
            words = f"proxy {view['proxy']}" + (f" bypass {view['bypass']}" if view.get("bypass") else "") \
                if view.get("proxy") else "direct access"
        checks.append(OwnershipCheck(report.values[name], wanted, _same_winhttp, in_place, f"{view_name}: {words}"))
    return checks


def named_owners(action: Dict[str, Any]) -> Tuple[str, ...]:
    return _OWNED_FIELDS


def stale_after_move(plan: PlanContext, decided: Mapping[str, Dict[str, Any]]) -> List[Dict[str, str]]:
    """TelemetryProxyServer moves to the new proxy while WinHTTP stays on the old one."""
    inputs, current = plan.inputs, plan.current
    if not (inputs.state == "present" and inputs.network_mode == "static"):
        return []
    telemetry, winhttp = decided[TELEMETRY_PROXY.name], decided[TARGET.name]
    if telemetry["action"] not in (SET, KEEP) or not telemetry["desired"].get("server") or winhttp["action"] in CHANGING_ACTIONS:
        return []
    new = {proxy_key(inputs.winhttp_server or ""), proxy_key(inputs.telemetry_value or "")}
    old = set(inputs.managed_winhttp_values) - new
    if current.telemetry_server is not None:
        old.add(proxy_key(normal_telemetry(current.telemetry_server)))
    old -= new
    stale = [view for view in current.winhttp_proxies() if not view.error and proxy_key(view.proxy) in old]
    if not stale:
        return []
    return [_finding(WARNING, f"the system-wide WinHTTP proxy stays on the old proxy {stale[0].proxy} while TelemetryProxyServer "
                              f"{'moves' if telemetry['action'] == SET else 'has moved'} to {telemetry['desired']['server']}: "
                              "every WinHTTP client (Defender Antivirus, Windows Update, the sensor's own fallback) keeps "
                              f"the old proxy; set {inputs.name('winhttp_policy')} to set or stable_only (stable devices) "
                              "or reset, and retire the old proxy only afterwards")]


def dropped_bypass(plan: PlanContext, decided: Mapping[str, Dict[str, Any]]) -> List[Dict[str, str]]:
    """Bypass entries the change would drop: those hosts would go through the proxy from then on."""
    winhttp, current = decided[TARGET.name], plan.current
    if winhttp["action"] != SET:
        return []
    wanted = set(bypass_key(winhttp["desired"].get("bypass") or ""))
    dropped = list(dict.fromkeys(entry for view in current.winhttp_proxies() if not view.error
                                 for entry in bypass_key(view.bypass) if entry not in wanted))
    if not dropped:
        return []
    return [_finding(WARNING, f"the WinHTTP change drops bypass entries {', '.join(dropped)} (now: "
                              f"{current.describe_winhttp()}): WinHTTP clients will send those hosts through "
                              "the proxy; add them to the bypass list to keep them")]


def foreign_value(plan: PlanContext, decided: Mapping[str, Dict[str, Any]]) -> List[Dict[str, str]]:
    """A WinHTTP proxy this collection did not write, replaced or reset: whoever wrote it may put it back."""
    winhttp, current = decided[TARGET.name], plan.current
    proxies = current.winhttp_proxies()
    if winhttp["action"] in CHANGING_ACTIONS and proxies and not all(
            not view.error and proxy_key(view.proxy) in plan.inputs.managed_winhttp_values for view in proxies):
        verb = "replaced" if winhttp["action"] == SET else "reset"
        return [_finding(WARNING, f"the system-wide WinHTTP proxy ({current.describe_winhttp()}) is {verb}, and this "
                                  f"collection did not write it: {policy_words(plan.ownership, 'winhttp_settings')}")]
    return []


def follow(plan: PlanContext, action: Dict[str, Any]) -> Tuple[Dict[str, Any], List[Dict[str, str]]]:
    server = action["desired"].get("proxy") or ""
    sensor = sensor_proxy_held(plan)
    return hold_split(plan, action, "the system-wide WinHTTP proxy", server,
                      sensor is not None and proxy_key(server) == proxy_key(sensor))


def apply_call(decided: Mapping[str, Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    winhttp = decided[TARGET.name]
    return dict(winhttp["params"]) if winhttp["changes"] else None


DECIDER = Decider(target=TARGET, decide=decide, ownership_checks=ownership_checks, named_owners=named_owners, follow=follow,
                  risks={STALE_PROXY: stale_after_move, DROPPED_BYPASS: dropped_bypass, FOREIGN_VALUE: foreign_value},
                  apply=apply_call)
