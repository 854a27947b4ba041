# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Defender Antivirus part of the proxy decision: does Defender Antivirus need its own proxy?

Defender Antivirus (cloud protection, MAPS) does not use the sensor's ``TelemetryProxyServer``.
It reaches the service through its own static proxy, its PAC file, or else the system's settings
(https://learn.microsoft.com/en-us/defender-endpoint/configure-network-connections-microsoft-defender-antivirus).
So on a static proxy network:

* where a system-wide WinHTTP proxy carries it (stable desktops with ``netsh winhttp set proxy``),
  its own proxy is not needed;
* everywhere else, roaming devices above all (they must not get a system-wide WinHTTP proxy), it
  needs ``ProxyServer`` = ``http://<the proxy>``: with only the sensor's static proxy, cloud
  protection fails.

On a transparent or WPAD network, or when resetting, nothing is needed; a ``ProxyServer`` this
collection wrote is removed, anyone else's is reported (removed only with ``remove_stale``).

``SSLOptions`` is never set by this decision unless asked for explicitly; when the operating
system has no route to the certificate revocation lists and no system-wide WinHTTP proxy, the
documented trade-off is reported as a finding.

:func:`decide_defender_av_proxy` returns an action in the plan's shape (target, action, module,
changes, params, current, desired, reason) plus its findings.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence

from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import ProxyAddressError
from ansible_collections.purview.device_proxy.plugins.plugin_utils.defender_av_values import (
    SSL_OPTIONS_TRADE_OFF,
    bypass_entries,
    proxy_server_from_host_port,
    proxy_server_value,
    ssl_options_warning,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.inputs import NETWORK_MODES, SSL_OPTIONS_CHOICES, STATES
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.ownership import conflicting_owners, held_reason, not_in_effect
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.vocabulary import (
    DEFENDER_AV_PROXY,
    KEEP,
    REFUSE,
    REMOVE,
    REPORT,
    SET,
    WARNING,
    PlanError,
    PlanFactsError,
    PlanInputError,
    finding as _finding,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.policy_ownership import (
    POLICY_CONFLICT_CHOICES,
    KEEP as OWNER_KEEP,
    OVERRIDE as OWNER_OVERRIDE,
    REFUSE as OWNER_REFUSE,
    decide_ownership,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.policy_sources import ValueOwnership

TARGET = DEFENDER_AV_PROXY.name
MODULE = DEFENDER_AV_PROXY.module
TOPOLOGIES = ("roaming", "stable", "unknown")
# The plan's own errors: an input error or, for the facts' current value, a facts error.
DefenderPlanError = PlanError

_TOPOLOGY_WORDS = {"roaming": "a roaming device", "stable": "a stable device", "unknown": "a device of unknown topology"}


def _choice(value: Any, name: str, choices: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise PlanInputError(name, "choice", "must be one of %s, got %r" % (", ".join(choices), value))
    return value


def _bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise PlanInputError(name, "type", "must be true or false, got %r" % (value,))
    return value


def _normal_server(value: Any) -> Any:
    """A current ProxyServer in normal form, or as found when it does not parse."""
    if not isinstance(value, str):
        return value
    try:
        return proxy_server_value(value)
    except ProxyAddressError:
        return value


def _action(action: str, reason: str, params: Optional[Dict[str, Any]], current: Dict[str, Any],
            desired: Dict[str, Any], findings: List[Dict[str, str]]) -> Dict[str, Any]:
    return dict(DEFENDER_AV_PROXY.action(action, reason, dict(params or {}), current, desired), findings=findings)


def decide_defender_av_proxy(
    *,
    state: str = "present",
    network_mode: Optional[str] = None,
    proxy: Optional[str] = None,
    bypass: Sequence[str] = (),
    topology: str = "unknown",
    winhttp_carries: bool = False,
    os_has_other_route: bool = True,
    current: Optional[Mapping[str, Any]] = None,
    previous_proxies: Sequence[str] = (),
    ssl_options: Optional[int] = None,
    remove_stale: bool = False,
    ownership: Optional[ValueOwnership] = None,
    policy_conflict: str = "refuse",
    prefix: str = "",
) -> Dict[str, Any]:
    """The Defender Antivirus proxy action for one device.

    ``proxy`` is the sensor's ``host:port`` (``TelemetryProxyServer`` form); ``winhttp_carries``
    says whether a system-wide WinHTTP proxy will carry the device's traffic once the plan is
    applied; ``current`` holds ``proxy_server``/``proxy_pac_url``/``proxy_bypass``/``ssl_options``
    as read, None when the facts do not report them; ``ownership`` is who owns ``ProxyServer``.
    Raises PlanInputError (PlanFactsError for ``current``) before deciding anything.
    """
    def name(option: str) -> str:
        return prefix + option

    state = _choice(state, name("state"), STATES)
    if network_mode is not None or state == "present":
        network_mode = _choice(network_mode, name("network_mode"), NETWORK_MODES)
    topology = _choice(topology, name("topology"), TOPOLOGIES)
    winhttp_carries = _bool(winhttp_carries, name("winhttp_carries"))
    os_has_other_route = _bool(os_has_other_route, name("os_has_other_route"))
    remove_stale = _bool(remove_stale, name("remove_stale"))
    policy_conflict = _choice(policy_conflict, name("policy_conflict"), POLICY_CONFLICT_CHOICES)
    if ssl_options is not None and (isinstance(ssl_options, bool) or ssl_options not in SSL_OPTIONS_CHOICES):
        raise PlanInputError(name("defender_ssl_options"), "choice", "must be 0, 1, 2 or 3, got %r" % (ssl_options,))
    if current is not None and not isinstance(current, Mapping):
        raise PlanFactsError("facts.defender_av", "type", "must be a mapping, got %s" % type(current).__name__)
    static = state == "present" and network_mode == "static"
    try:
        desired_server = None
        if static:
            if not proxy:
                raise PlanInputError(name("proxy"), "required", "is required on a static proxy network")
            desired_server = proxy_server_from_host_port(proxy, name("proxy"))
        entries = bypass_entries(list(bypass), name("bypass"))
        managed = {proxy_server_from_host_port(item, name("previous_proxies")) for item in previous_proxies}
    except ProxyAddressError as err:
        raise PlanInputError(err.field, err.rule, err.message) from None
    if desired_server:
        managed.add(desired_server)

    known = current is not None
    server = _normal_server(current.get("proxy_server")) if known else None
    now = {"known": known, **({key: current.get(key) for key in ("proxy_server", "proxy_pac_url", "proxy_bypass", "ssl_options")}
                              if known else {})}
    findings: List[Dict[str, str]] = []
    if ssl_options is not None:
        warning = ssl_options_warning(ssl_options)
        if warning:
            findings.append(_finding(WARNING, warning))

    if not static:
        why = ("reset to direct access" if state == "absent" else "%s network: the network carries Defender Antivirus "
               "without device configuration" % network_mode)
        desired = {"proxy_server": None}
        if not known:
            return _action(KEEP, "%s; the facts do not report the Defender Antivirus proxy, so nothing is known to remove"
                           % why, None, now, desired, findings)
        if server is None:
            return _action(KEEP, "%s; Defender Antivirus has no proxy of its own" % why, None, now, desired, findings)
        if server in managed:
            action, reason = REMOVE, "%s; removes the Defender Antivirus ProxyServer %s, which this collection wrote" % (why, server)
        elif remove_stale:
            action, reason = REMOVE, ("%s; removes the stale Defender Antivirus ProxyServer %s, which this collection did "
                                      "not write, because %s is true" % (why, server, name("remove_stale")))
        else:
            action, reason = REPORT, ("%s, but the stale Defender Antivirus ProxyServer %s was not written by this "
                                      "collection: reported only (set %s to true to remove it)" % (why, server, name("remove_stale")))
        return _owned(action, reason, {"state": "absent"}, now, desired, findings, ownership, None, policy_conflict, name)

    desired = {"proxy_server": desired_server, "proxy_bypass": ";".join(entries) or None}
    params: Dict[str, Any] = {"state": "present", "proxy_server": desired_server}
    if entries:
        params["proxy_bypass"] = entries
    if ssl_options is not None:
        params["ssl_options"] = ssl_options
        desired["ssl_options"] = ssl_options

    if not winhttp_carries and not os_has_other_route:
        findings.append(_finding(WARNING, (
            "the operating system has no other route to the certificate revocation lists (%s is false) and no system-wide "
            "WinHTTP proxy: Defender Antivirus's cloud connection can fail its revocation check (MpCmdRun "
            "-ValidateMapsConnection reports hr=0x80072F8F). %s. %s" % (
                name("os_has_other_route"), SSL_OPTIONS_TRADE_OFF,
                "SSLOptions is set to %d because %s asks for it" % (ssl_options, name("defender_ssl_options"))
                if ssl_options is not None else
                "SSLOptions is not changed unless %s is given" % name("defender_ssl_options")))))

    if winhttp_carries:
        why = ("static proxy network: the system-wide WinHTTP proxy carries Defender Antivirus on %s, so it needs no proxy "
               "of its own" % _TOPOLOGY_WORDS[topology])
        desired = {"proxy_server": None}
        if not known or server is None:
            return _action(KEEP, "%s%s" % (why, "" if known else "; the facts do not report the Defender Antivirus proxy"),
                           None, now, desired, findings)
        if server == desired_server:
            return _action(KEEP, "%s; its ProxyServer %s is the same proxy and is left in place" % (why, server),
                           None, now, {"proxy_server": server}, findings)
        if server in managed:
            # Defender Antivirus tries its own static proxy first: an old one would override WinHTTP.
            return _owned(SET, "%s, but its ProxyServer %s is an earlier proxy this collection wrote and is tried first: "
                          "replaced with %s" % (why, server, desired_server), params, now,
                          {"proxy_server": desired_server}, findings, ownership, desired_server, policy_conflict, name)
        if remove_stale:
            return _owned(REMOVE, "%s; removes the ProxyServer %s, which this collection did not write and which Defender "
                          "Antivirus would try first, because %s is true" % (why, server, name("remove_stale")),
                          {"state": "absent"}, now, desired, findings, ownership, None, policy_conflict, name)
        findings.append(_finding(WARNING, "Defender Antivirus has its own ProxyServer %s, which it tries before the "
                                          "system-wide WinHTTP proxy; this collection did not write it" % server))
        return _action(REPORT, "%s; its ProxyServer %s was not written by this collection: reported only (set %s to true "
                       "to remove it)" % (why, server, name("remove_stale")), None, now, desired, findings)

    why = ("static proxy network and no system-wide WinHTTP proxy carries Defender Antivirus on %s: it does not use the "
           "sensor's TelemetryProxyServer, so cloud protection needs its own ProxyServer %s (a URL with scheme); off the "
           "corporate network it falls back to its other routes" % (_TOPOLOGY_WORDS[topology], desired_server))
    if not known:
        return _owned(SET, "%s; the current value is not reported by the facts" % why, params, now, desired, findings,
                      ownership, desired_server, policy_conflict, name)
    bypass_now = current.get("proxy_bypass") or None
    ssl_now = current.get("ssl_options")
    if server == desired_server and (not entries or bypass_now == desired["proxy_bypass"]) and (
            ssl_options is None or ssl_now == ssl_options):
        return _owned(KEEP, "%s; already set" % why, None, now, desired, findings, ownership, desired_server, policy_conflict, name)
    if server is None:
        detail = "not set yet"
    elif server == desired_server:
        detail = "the bypass list or SSLOptions differ"
    elif server in managed:
        detail = "replaces %s, an earlier proxy this collection wrote" % server
    else:
        detail = "replaces %s, which this collection did not write" % server
    return _owned(SET, "%s; %s" % (why, detail), params, now, desired, findings, ownership, desired_server, policy_conflict, name)


def _owned(action: str, reason: str, params: Optional[Dict[str, Any]], now: Dict[str, Any], desired: Dict[str, Any],
           findings: List[Dict[str, str]], ownership: Optional[ValueOwnership], desired_value: Optional[str],
           policy_conflict: str, name: Any) -> Dict[str, Any]:
    """Apply the ownership rule to a decision about ProxyServer."""
    if ownership is None or action not in (SET, REMOVE, KEEP):
        return _action(action, reason, params, now, desired, findings)
    decision = decide_ownership(ownership, desired_value, policy_conflict,
                                same=lambda owner_value, wanted: _normal_server(owner_value) == wanted,
                                option=name("policy_conflict"))
    if decision.action == OWNER_REFUSE:
        refused = _action(REFUSE, "%s; refused: %s" % (held_reason(reason), decision.reason), None, now, desired, findings)
        refused["cause"] = conflicting_owners(ownership, desired_value, lambda owner_value, wanted: _normal_server(owner_value) == wanted)
        return refused
    if decision.action == OWNER_KEEP:
        server_now = _normal_server(now.get("proxy_server")) if now.get("known") else desired_value
        if action in (SET, REMOVE) and server_now != desired_value:
            words = not_in_effect(ownership, "no value" if server_now is None else str(now.get("proxy_server")))
            findings = findings + [_finding(WARNING, "%s: %s" % (TARGET, words))]
            return _action(REPORT, "%s; %s" % (held_reason(reason), words), None, now, desired, findings)
        return _action(KEEP, "%s; %s" % (reason, decision.reason), None, now, desired, findings)
    if decision.action == OWNER_OVERRIDE:
        findings = findings + [_finding(WARNING, warning) for warning in decision.warnings]
        return _action(action, "%s; %s" % (reason, decision.reason), params, now, desired, findings)
    return _action(action, reason, params, now, desired, findings)


def winhttp_carries_after(winhttp_action: Mapping[str, Any]) -> bool:
    """Whether a system-wide WinHTTP proxy carries traffic once the plan's winhttp_proxy action is applied."""
    action = winhttp_action.get("action")
    if action == SET:
        return True
    if action == REMOVE:
        return False
    views = (winhttp_action.get("current") or {}).get("views") or {}
    known = [view for view in views.values() if isinstance(view, Mapping) and view.get("known")]
    return bool(known) and all(view.get("uses_proxy") and not view.get("error") for view in known)
