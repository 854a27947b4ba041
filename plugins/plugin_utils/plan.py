# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The decision function: what to do with a device's proxy settings, and why.

``compute_plan(inputs, facts)`` turns the role's inputs and one device's facts (the mapping that
``purview.device_proxy.device_facts`` returns as ``ansible_facts.purview_device_proxy``) into a
plan: for each target (the registry-based static proxy, ``PreferStaticProxyForHttpRequest``, the
system-wide WinHTTP proxy and Defender Antivirus's own proxy) an action (``set``, ``remove``,
``keep``, ``report`` or ``refuse``)
with the reason in the documentation's terms, and the module arguments that carry out the changes.
The plan is a plain, JSON-serialisable dict, so it can be printed for review before a change
window, stored, and passed straight to the modules.

The logic follows Microsoft's device proxy guidance (decision table in roles/device_proxy/README.md):

* transparent proxy or WPAD: configure nothing; report stale static settings;
* static proxy: the registry-based static proxy (``TelemetryProxyServer`` +
  ``DisableEnterpriseAuthProxy=1``) on every device, plus ``PreferStaticProxyForHttpRequest=1``
  when the OS has no other route to the Internet;
* the system-wide WinHTTP proxy only on desktops in a stable topology, only when asked, never on
  roaming devices unless forced.

Ownership ("never silently remove what this collection did not put there"): the modules write
plain registry values without a marker, so a static setting counts as written by this collection
when its value equals a proxy the inputs declare: ``proxy`` (or ``winhttp_proxy``) or one of
``previous_proxies``. ``PreferStaticProxyForHttpRequest`` (a plain ``1``) is written only together
with ``TelemetryProxyServer``, so it counts as the collection's when it is removed together with a
``TelemetryProxyServer`` that is the collection's; beside a static proxy that stays, its owner is
unknown and it is only reported. Settings that are not the collection's are reported and removed
only with ``remove_stale`` (or, for WinHTTP, an explicit ``winhttp_policy: reset``).

Policies: when the facts carry ownership evidence (``policy``, the shape policy_sources.py
documents), every value an action would write or remove goes through
``policy_ownership.decide_ownership``: a policy that enforces another value makes the action
``refuse`` (or, with ``policy_conflict: override``, a write with a warning); one that enforces the
wanted value makes it ``keep``. Defender Antivirus's proxy is decided by
``defender_av_plan.decide_defender_av_proxy`` from the same inputs and the WinHTTP decision.
Risky changes (WinHTTP left on an old proxy during a move, dropped bypass entries, replaced values
the collection did not write) are warning findings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Dict, List, Optional, Tuple

from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import (
    ProxyAddressError,
    parse_bypass_list,
    parse_proxy_server,
    telemetry_proxy_server_value,
)
from ansible.module_utils.common.validation import check_type_bool

from ansible_collections.purview.device_proxy.plugins.module_utils._input_error import InputError
from ansible_collections.purview.device_proxy.plugins.plugin_utils.defender_av_plan import (
    MODULE as DEFENDER_AV_MODULE,
    TARGET as DEFENDER_AV_PROXY,
    DefenderPlanError,
    decide_defender_av_proxy,
    winhttp_carries_after,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.policy_ownership import (
    KEEP as OWNER_KEEP,
    OVERRIDE as OWNER_OVERRIDE,
    POLICY_CONFLICT_CHOICES,
    REFUSE as OWNER_REFUSE,
    decide_ownership,
    describe_owner,
    same_value,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.policy_sources import (
    OwnershipReport,
    PolicyEvidenceError,
    ValueOwnership,
    resolve_ownership,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.topology import (
    ROAMING,
    ROAMING_WHY,
    STABLE,
    UNKNOWN,
    TopologyError,
    derive_topology,
    reported_topology,
    static_winhttp_decision,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.defender_av_values import (
    proxy_server_from_host_port,
    proxy_server_value,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.winhttp_view import (
    WinHttpView,
    bypass_key,
    optional_int,
    proxy_key,
    views_differ,
    winhttp_drift,
)

PLAN_VERSION = 1

STATES = ("present", "absent")
NETWORK_MODES = ("transparent", "wpad", "static")
TOPOLOGY_CHOICES = ("auto", "stable", "roaming")
WINHTTP_POLICIES = ("leave", "set", "reset", "stable_only")
# The policies that give WinHTTP the proxy (on stable devices) and so need a static network.
SETTING_POLICIES = ("set", "stable_only")

# Targets and the module that manages each one.
TELEMETRY_PROXY = "telemetry_proxy"
PREFER_STATIC_PROXY = "prefer_static_proxy"
WINHTTP_PROXY = "winhttp_proxy"
TARGET_MODULES = {
    TELEMETRY_PROXY: "purview.device_proxy.telemetry_proxy",
    PREFER_STATIC_PROXY: "purview.device_proxy.telemetry_proxy",
    WINHTTP_PROXY: "purview.device_proxy.winhttp_proxy",
    DEFENDER_AV_PROXY: DEFENDER_AV_MODULE,
}
DEFENDER_AV_POLICIES = ("auto", "leave")
SSL_OPTIONS_CHOICES = (0, 1, 2, 3)

SET = "set"
REMOVE = "remove"
KEEP = "keep"
REPORT = "report"
REFUSE = "refuse"
CHANGING_ACTIONS = (SET, REMOVE)

INFO = "info"
WARNING = "warning"

DEFAULT_INPUTS = {
    "state": "present",
    "network_mode": None,
    "proxy": None,
    "winhttp_proxy": None,
    "bypass": None,
    "previous_proxies": None,
    "topology": "auto",
    "os_has_other_route": True,
    "winhttp_policy": "leave",
    "winhttp_force": False,
    "remove_stale": False,
    "policy_conflict": "refuse",
    "defender_av_policy": "auto",
    "defender_ssl_options": None,
}

_MODE_WORDS = {
    "transparent": "transparent proxy network",
    "wpad": "WPAD network",
    "static": "static proxy network",
}
_NO_CONFIG_WHY = {
    "transparent": "the network's transparent proxy carries the traffic, so no device configuration is needed",
    "wpad": "WinHTTP discovers the proxy through WPAD by itself, so no device configuration is needed",
}


# ---------------------------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------------------------

class PlanError(InputError):
    """Bad input or facts. ``field`` names what the user wrote, ``rule`` the rule it broke."""


class PlanInputError(PlanError):
    """An input (role variable) is missing, has the wrong type, or contradicts another one."""


class PlanFactsError(PlanError):
    """The device facts have the wrong shape."""


# ---------------------------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PlanInputs:
    """Validated, normalised inputs. ``prefix`` is prepended to option names in messages."""

    state: str
    network_mode: Optional[str]
    telemetry_value: Optional[str]          # exact TelemetryProxyServer text, when a proxy is given
    winhttp_server: Optional[str]           # exact WinHTTP proxy string, when a proxy is given
    bypass: Tuple[str, ...]
    managed_telemetry_values: Tuple[str, ...]
    managed_winhttp_values: Tuple[str, ...]
    topology: str
    os_has_other_route: bool
    winhttp_policy: str
    winhttp_force: bool
    remove_stale: bool
    policy_conflict: str = "refuse"
    defender_av_policy: str = "auto"
    defender_ssl_options: Optional[int] = None
    prefix: str = ""

    def name(self, option: str) -> str:
        return f"{self.prefix}{option}"


def _boolean(value: Any, name: str) -> bool:
    """A boolean as an argument spec's ``type: bool`` converts it (the role validates with the same rule)."""
    try:
        return check_type_bool(value)
    except TypeError:
        raise PlanInputError(name, "type", f"must be true or false, got {value!r}") from None


def _choice(value: Any, name: str, choices: Tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise PlanInputError(name, "choice", f"must be one of {', '.join(choices)}, got {value!r}")
    return value


def _ssl_options(value: Any, name: str) -> Optional[int]:
    """SSLOptions 0-3, or None (never set). Digit text from an inventory counts as its number."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or value not in SSL_OPTIONS_CHOICES:
        raise PlanInputError(name, "choice", f"must be one of 0, 1, 2, 3 or null (never set), got {value!r}")
    return int(value)


# A fleet shares a handful of proxy texts; parsing each once keeps a 10,000-host plan cheap.
@lru_cache(maxsize=1024)
def _telemetry_text(value: str, name: str) -> str:
    return telemetry_proxy_server_value(value, name)


@lru_cache(maxsize=1024)
def _winhttp_text(value: str, name: str) -> Tuple[str, Optional[str]]:
    """The WinHTTP string of a proxy and, for a single endpoint, its TelemetryProxyServer form."""
    server = parse_proxy_server(value, name)
    return server.winhttp_string(), server.default.host_port() if server.default is not None else None


def _winhttp_value(value: Any, name: str) -> Tuple[str, Optional[str]]:
    if isinstance(value, str):
        return _winhttp_text(value, name)
    server = parse_proxy_server(value, name)
    return server.winhttp_string(), server.default.host_port() if server.default is not None else None


@lru_cache(maxsize=1024)
def _bypass_cached(value: Any, name: str) -> Tuple[str, ...]:
    return parse_bypass_list(list(value) if isinstance(value, tuple) else value, name).entries


def _bypass_entries(value: Any, name: str) -> Tuple[str, ...]:
    if isinstance(value, str):
        return _bypass_cached(value, name)
    if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        return _bypass_cached(tuple(value), name)
    return parse_bypass_list(value, name).entries


def _proxy_error(err: ProxyAddressError) -> PlanInputError:
    return PlanInputError(err.field, err.rule, err.message)


def _previous_values(raw: Any, name: str) -> Tuple[List[str], List[str]]:
    """TelemetryProxyServer and WinHTTP forms of the proxies the collection wrote before."""
    if raw is None or raw == "":
        return [], []
    items = [raw] if isinstance(raw, (str, Mapping)) else raw
    if not isinstance(items, (list, tuple)):
        raise PlanInputError(name, "type", f"must be a list of proxy addresses, got {type(raw).__name__}")
    telemetry, winhttp = [], []
    for position, item in enumerate(items, 1):
        item_name = f"{name}[{position}]"
        try:
            winhttp_form, telemetry_form = _winhttp_value(item, item_name)
        except ProxyAddressError as err:
            raise _proxy_error(err) from None
        winhttp.append(winhttp_form)
        if telemetry_form is not None:
            telemetry.append(telemetry_form)
    return telemetry, winhttp


def parse_inputs(raw: Optional[Mapping[str, Any]], field_prefix: str = "") -> PlanInputs:
    """Validate the inputs before anything is decided; errors name the option and the rule."""
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise PlanInputError(f"{field_prefix}inputs", "type", f"must be a mapping, got {type(raw).__name__}")
    unknown = sorted(str(key) for key in raw if key not in DEFAULT_INPUTS)
    if unknown:
        raise PlanInputError(
            f"{field_prefix}{unknown[0]}", "unknown-option",
            f"unknown option; valid options are {', '.join(field_prefix + key for key in DEFAULT_INPUTS)}")
    values = dict(DEFAULT_INPUTS)
    values.update({key: value for key, value in raw.items() if value is not None})

    def name(option: str) -> str:
        return f"{field_prefix}{option}"

    state = _choice(values["state"], name("state"), STATES)
    network_mode = values["network_mode"]
    if network_mode is not None:
        network_mode = _choice(network_mode, name("network_mode"), NETWORK_MODES)
    elif state == "present":
        raise PlanInputError(name("network_mode"), "required",
                             f"is required: one of {', '.join(NETWORK_MODES)} (how the network reaches the Internet)")
    topology = _choice(values["topology"], name("topology"), TOPOLOGY_CHOICES)
    winhttp_policy = _choice(values["winhttp_policy"], name("winhttp_policy"), WINHTTP_POLICIES)

    proxy = values["proxy"]
    if state == "present" and network_mode == "static" and (proxy is None or proxy == ""):
        raise PlanInputError(name("proxy"), "required",
                             f"is required when {name('network_mode')} is static: write host:port, e.g. proxy.corp.example:3128")
    if state == "present" and winhttp_policy in SETTING_POLICIES and network_mode != "static":
        raise PlanInputError(
            name("winhttp_policy"), "set-needs-static",
            f"'{winhttp_policy}' needs {name('network_mode')} static: a {_MODE_WORDS.get(network_mode, network_mode)} needs "
            "no device configuration, so there is no proxy to give WinHTTP")
    winhttp_force = _boolean(values["winhttp_force"], name("winhttp_force"))
    if winhttp_force and winhttp_policy == "stable_only" and state == "present":
        # stable_only exists to keep static WinHTTP off roaming devices; forcing it there contradicts it.
        raise PlanInputError(
            name("winhttp_force"), "force-needs-set",
            f"cannot be true with {name('winhttp_policy')} stable_only, which never sets WinHTTP on roaming or "
            f"unknown-topology devices and resets it there; use {name('winhttp_policy')} set to force it")

    try:
        telemetry_value = None
        if proxy not in (None, ""):
            telemetry_value = _telemetry_text(proxy, name("proxy")) if isinstance(proxy, str) else telemetry_proxy_server_value(proxy, name("proxy"))
        winhttp_text = values["winhttp_proxy"] if values["winhttp_proxy"] not in (None, "") else proxy
        winhttp_field = name("winhttp_proxy") if values["winhttp_proxy"] not in (None, "") else name("proxy")
        winhttp_server = _winhttp_value(winhttp_text, winhttp_field)[0] if winhttp_text not in (None, "") else None
        bypass = _bypass_entries(values["bypass"], name("bypass"))
    except ProxyAddressError as err:
        raise _proxy_error(err) from None
    previous_telemetry, previous_winhttp = _previous_values(values["previous_proxies"], name("previous_proxies"))
    policy_conflict = _choice(values["policy_conflict"], name("policy_conflict"), POLICY_CONFLICT_CHOICES)
    defender_av_policy = _choice(values["defender_av_policy"], name("defender_av_policy"), DEFENDER_AV_POLICIES)
    ssl_options = _ssl_options(values["defender_ssl_options"], name("defender_ssl_options"))
    if ssl_options is not None and not (state == "present" and network_mode == "static" and defender_av_policy == "auto"):
        # SSLOptions is written only together with Defender Antivirus's own static proxy.
        raise PlanInputError(
            name("defender_ssl_options"), "needs-defender-proxy",
            f"is written only with Defender Antivirus's own proxy: it needs {name('state')} present, "
            f"{name('network_mode')} static and {name('defender_av_policy')} auto")

    managed_telemetry = tuple(dict.fromkeys(([telemetry_value] if telemetry_value else []) + previous_telemetry))
    managed_winhttp = tuple(dict.fromkeys(([winhttp_server] if winhttp_server else []) + previous_winhttp))
    if telemetry_value:
        # The TelemetryProxyServer form of the proxy is also how WinHTTP stores it.
        managed_winhttp = tuple(dict.fromkeys(managed_winhttp + (telemetry_value,)))

    return PlanInputs(
        state=state,
        network_mode=network_mode,
        telemetry_value=telemetry_value,
        winhttp_server=winhttp_server,
        bypass=tuple(bypass),
        managed_telemetry_values=managed_telemetry,
        managed_winhttp_values=managed_winhttp,
        topology=topology,
        os_has_other_route=_boolean(values["os_has_other_route"], name("os_has_other_route")),
        winhttp_policy=winhttp_policy,
        winhttp_force=winhttp_force,
        remove_stale=_boolean(values["remove_stale"], name("remove_stale")),
        policy_conflict=policy_conflict,
        defender_av_policy=defender_av_policy,
        defender_ssl_options=ssl_options,
        prefix=field_prefix,
    )


# ---------------------------------------------------------------------------------------------
# facts
# ---------------------------------------------------------------------------------------------

@dataclass
class CurrentState:
    telemetry_known: bool = False
    telemetry_server: Optional[str] = None
    disable_enterprise_auth_proxy: Optional[int] = None
    prefer_static: Optional[int] = None
    winhttp_views: Tuple[WinHttpView, ...] = ()
    findings: List[Dict[str, str]] = field(default_factory=list)

    @property
    def winhttp_known(self) -> bool:
        return any(view.known for view in self.winhttp_views)

    def winhttp_proxies(self) -> List[WinHttpView]:
        """Views that hold a proxy or cannot be read (either may route traffic)."""
        return [view for view in self.winhttp_views if view.routes_traffic()]

    def describe_winhttp(self) -> str:
        described = {view.describe() for view in self.winhttp_views}
        if len(described) == 1:
            return described.pop()
        return "; ".join(f"{view.name}: {view.describe()}" for view in self.winhttp_views)


def _mapping(value: Any, name: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise PlanFactsError(name, "type", f"must be a mapping, got {type(value).__name__}")
    return value


def _optional_int(value: Any, name: str) -> Optional[int]:
    return optional_int(value, name, PlanFactsError)


def _winhttp_view(view_name: str, raw_view: Any, facts_name: str) -> WinHttpView:
    try:
        return WinHttpView.from_facts(raw_view, facts_name, name=view_name)
    except InputError as err:
        raise PlanFactsError(err.field, err.rule, err.message) from None


def unwrap_facts(facts: Any) -> Mapping[str, Any]:
    """Accept the device facts mapping itself or ``ansible_facts`` holding it."""
    if facts is None:
        raise PlanFactsError("facts", "required", "no device facts were given (run purview.device_proxy.device_facts "
                                                  "or supply them from inventory)")
    facts = _mapping(facts, "facts")
    if "purview_device_proxy" in facts:
        facts = _mapping(facts["purview_device_proxy"], "facts.purview_device_proxy")
    return facts


def read_current_state(facts: Mapping[str, Any]) -> CurrentState:
    current = CurrentState()
    telemetry = facts.get("telemetry_proxy")
    if telemetry is None:
        current.findings.append(_finding(INFO, "the facts do not report the telemetry proxy registry values"))
    else:
        telemetry = _mapping(telemetry, "facts.telemetry_proxy")
        current.telemetry_known = True
        server = telemetry.get("server")
        current.telemetry_server = str(server) if server not in (None, "") else None
        current.disable_enterprise_auth_proxy = _optional_int(
            telemetry.get("disable_enterprise_auth_proxy"), "facts.telemetry_proxy.disable_enterprise_auth_proxy")
        current.prefer_static = _optional_int(
            telemetry.get("prefer_static_proxy_for_http_request"), "facts.telemetry_proxy.prefer_static_proxy_for_http_request")
    winhttp = _mapping(facts.get("winhttp"), "facts.winhttp")
    views = [_winhttp_view("native", winhttp.get("native"), "facts.winhttp.native")]
    os_facts = facts.get("os")
    if not (isinstance(os_facts, Mapping) and os_facts.get("architecture") == "32-bit"):
        # A 32-bit Windows has no WOW6432Node copy.
        views.append(_winhttp_view("wow64", winhttp.get("wow64"), "facts.winhttp.wow64"))
    current.winhttp_views = tuple(views)
    if not current.winhttp_known:
        current.findings.append(_finding(INFO, "the facts do not report the WinHTTP settings"))
    for view in current.winhttp_views:
        if view.error:
            current.findings.append(_finding(WARNING, f"the {view.name} WinHttpSettings value cannot be decoded: {view.error}"))
    if len(current.winhttp_views) == 2 and winhttp_drift(*current.winhttp_views):
        current.findings.append(_finding(
            WARNING, f"the 64-bit and 32-bit (WOW6432Node) WinHTTP settings differ: {current.describe_winhttp()}; "
                     "32-bit processes see a different proxy"))
    return current


# ---------------------------------------------------------------------------------------------
# topology
# ---------------------------------------------------------------------------------------------

def _detected_topology(facts: Mapping[str, Any]) -> Tuple[Optional[Dict[str, Any]], str, bool]:
    """What the facts say about the topology: (result or None, source, whether facts said nothing conclusive).

    Stable for want of any chassis type, PCSystemType or battery is not known to be stable, so such a
    result counts as no detection (a laptop whose inventory record names only its maker looks the same).
    """
    hardware = facts.get("hardware")
    derived = None
    try:
        if isinstance(hardware, Mapping) and hardware:
            derived = derive_topology(hardware)
    except TopologyError as err:
        raise PlanFactsError(f"facts.{err.field}", err.rule, err.message) from None
    inconclusive = derived is not None and derived["topology"] == UNKNOWN
    if inconclusive:
        derived = None
    reported = reported_topology(facts.get("topology"), facts.get("topology_evidence"))
    if reported is None and facts.get("topology") in (ROAMING, STABLE):
        # Facts of an earlier release: "stable" for want of any evidence.
        inconclusive = True

    if derived is not None:
        if reported is not None and reported["topology"] == derived["topology"] and reported["evidence"]:
            # device_facts derives the same way and adds what it saw (hypervisor strings, for example).
            return reported, "detected", False
        return derived, "detected", False
    if reported is not None:
        evidence = reported["evidence"] or ["reported by the device facts without evidence"]
        return {"topology": reported["topology"], "evidence": evidence}, "facts", False
    return None, "none", inconclusive


def resolve_topology(inputs: PlanInputs, facts: Mapping[str, Any]) -> Dict[str, Any]:
    """The topology used for the decision, where it came from, and the evidence."""
    detected, source, inconclusive = _detected_topology(facts)
    if inputs.topology != "auto":
        evidence = [f"set by {inputs.name('topology')}"]
        if detected is not None and detected["topology"] != inputs.topology:
            evidence.append(f"detection would say {detected['topology']}: " + "; ".join(detected["evidence"]))
        return {"value": inputs.topology, "source": "inventory", "evidence": evidence}
    if detected is None:
        facts_words = ("the hardware facts report no chassis type, PCSystemType or battery" if inconclusive
                       else "no hardware facts")
        return {"value": UNKNOWN, "source": "none",
                "evidence": [f"{facts_words} and no {inputs.name('topology')}: the topology cannot be detected"]}
    return {"value": detected["topology"], "source": source, "evidence": list(detected["evidence"])}


# ---------------------------------------------------------------------------------------------
# decisions
# ---------------------------------------------------------------------------------------------

def _finding(severity: str, message: str) -> Dict[str, str]:
    return {"severity": severity, "message": message}


def _action(target: str, action: str, reason: str, params: Optional[Dict[str, Any]] = None,
            current: Optional[Dict[str, Any]] = None, desired: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    return {
        "target": target,
        "action": action,
        "module": TARGET_MODULES[target],
        "changes": action in CHANGING_ACTIONS,
        "params": params if action in CHANGING_ACTIONS and params else {},
        "current": current or {},
        "desired": desired or {},
        "reason": reason,
    }


@lru_cache(maxsize=1024)
def _normal_telemetry(value: str) -> str:
    """A current TelemetryProxyServer in normal form, or as found when it does not parse."""
    try:
        return telemetry_proxy_server_value(value)
    except ProxyAddressError:
        return value


def _context(inputs: PlanInputs) -> str:
    """How the situation is named at the start of a reason."""
    if inputs.state == "absent":
        return "reset to direct access"
    return _MODE_WORDS[inputs.network_mode]


def _stale_decision(inputs: PlanInputs, what: str, ours: bool, why_unneeded: str) -> Tuple[str, str]:
    """Remove a setting the collection wrote; report anything else unless asked to remove it."""
    if ours:
        return REMOVE, f"{why_unneeded}; removes {what}, which this collection wrote"
    if inputs.remove_stale:
        return REMOVE, (f"{why_unneeded}; removes the stale {what}, which this collection did not write, "
                        f"because {inputs.name('remove_stale')} is true")
    return REPORT, (f"{why_unneeded}, but the stale {what} was not written by this collection: reported only "
                    f"(set {inputs.name('remove_stale')} to true to remove it)")


def _no_config_why(inputs: PlanInputs) -> str:
    if inputs.state == "absent":
        return "reset to direct access: this collection's static proxy settings go"
    return f"{_context(inputs)}: {_NO_CONFIG_WHY[inputs.network_mode]}"


def decide_telemetry_proxy(inputs: PlanInputs, current: CurrentState) -> Dict[str, Any]:
    server = current.telemetry_server
    now = {"server": server, "disable_enterprise_auth_proxy": current.disable_enterprise_auth_proxy,
           "known": current.telemetry_known}
    if inputs.state == "present" and inputs.network_mode == "static":
        wanted = inputs.telemetry_value
        desired = {"server": wanted, "disable_enterprise_auth_proxy": 1}
        prescribed = (f"{_context(inputs)}: the documentation prescribes the registry-based static proxy "
                      f"(TelemetryProxyServer {wanted} + DisableEnterpriseAuthProxy=1, the Group Policy equivalent) "
                      "for every device, roaming or stable; Sense falls back to a direct connection when the proxy "
                      "cannot be reached")
        params = {"state": "present", "proxy": wanted}
        if server is not None and _normal_telemetry(server) == wanted:
            if current.disable_enterprise_auth_proxy == 1:
                return _action(TELEMETRY_PROXY, KEEP, f"{prescribed}; already set", current=now, desired=desired)
            deap = current.disable_enterprise_auth_proxy
            return _action(TELEMETRY_PROXY, SET,
                           f"{prescribed}; DisableEnterpriseAuthProxy is {'not set' if deap is None else deap}, and it must be 1 "
                           "because Sense sends anonymous device traffic and cannot authenticate to the proxy",
                           params, now, desired)
        if not current.telemetry_known:
            detail = "the current value is not reported by the facts"
        elif server is None:
            detail = "not set yet"
        elif _normal_telemetry(server) in inputs.managed_telemetry_values:
            detail = f"replaces {server}, an earlier proxy this collection wrote"
        else:
            detail = f"replaces {server}, which this collection did not write"
        return _action(TELEMETRY_PROXY, SET, f"{prescribed}; {detail}", params, now, desired)

    desired = {"server": None}
    why = _no_config_why(inputs)
    if not current.telemetry_known:
        return _action(TELEMETRY_PROXY, KEEP, f"{why}; the facts do not report TelemetryProxyServer, so nothing is known to remove",
                       current=now, desired=desired)
    if server is None:
        return _action(TELEMETRY_PROXY, KEEP, f"{why}; TelemetryProxyServer is not set", current=now, desired=desired)
    ours = _normal_telemetry(server) in inputs.managed_telemetry_values
    action, reason = _stale_decision(inputs, f"static proxy TelemetryProxyServer {server}", ours, why)
    return _action(TELEMETRY_PROXY, action, reason, {"state": "absent"}, now, desired)


def decide_prefer_static(inputs: PlanInputs, current: CurrentState) -> Dict[str, Any]:
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
            return _action(PREFER_STATIC_PROXY, KEEP, f"{why}; already set", current=now, desired=desired)
        return _action(PREFER_STATIC_PROXY, SET, why, {"prefer_static_proxy_for_http_request": True}, now, desired)

    desired = {"value": None}
    if static:
        why = (f"{_context(inputs)}: the OS has another route to the Internet ({inputs.name('os_has_other_route')} is true), "
               "so PreferStaticProxyForHttpRequest is not needed")
    else:
        why = f"{_no_config_why(inputs)}; PreferStaticProxyForHttpRequest works only with TelemetryProxyServer"
    if not current.telemetry_known:
        return _action(PREFER_STATIC_PROXY, KEEP, f"{why}; the facts do not report it", current=now, desired=desired)
    if value is None:
        return _action(PREFER_STATIC_PROXY, KEEP, f"{why}; not set", current=now, desired=desired)
    params = {"prefer_static_proxy_for_http_request": False}
    if static:
        # Beside a static proxy that stays, nothing tells who wrote the value; it is harmless there.
        if inputs.remove_stale:
            return _action(PREFER_STATIC_PROXY, REMOVE, f"{why}; removed because {inputs.name('remove_stale')} is true",
                           params, now, desired)
        return _action(PREFER_STATIC_PROXY, REPORT,
                       f"{why}; it is harmless beside the static proxy and this collection cannot tell whether it wrote it: "
                       f"reported only (set {inputs.name('remove_stale')} to true to remove it)", current=now, desired=desired)
    # Written only together with TelemetryProxyServer: it is the collection's when that one is, and both go together.
    ours = server is not None and _normal_telemetry(server) in inputs.managed_telemetry_values
    action, reason = _stale_decision(inputs, f"PreferStaticProxyForHttpRequest={value}", ours, why)
    return _action(PREFER_STATIC_PROXY, action, reason, params, now, desired)


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


def decide_winhttp(inputs: PlanInputs, current: CurrentState, topology: str) -> Tuple[Dict[str, Any], List[Dict[str, str]]]:
    findings: List[Dict[str, str]] = []
    proxies = current.winhttp_proxies()
    now = {"views": {view.name: view.to_plan() for view in current.winhttp_views}, "summary": current.describe_winhttp()}
    described = current.describe_winhttp()
    ours = bool(proxies) and all(not view.error and proxy_key(view.proxy) in inputs.managed_winhttp_values
                                 for view in proxies)
    roaming_words = {ROAMING: "a roaming device", UNKNOWN: "a device of unknown topology"}

    if inputs.state == "absent":
        desired = {"proxy": None}
        why = _no_config_why(inputs)
        if not current.winhttp_known:
            return _action(WINHTTP_PROXY, KEEP, f"{why}; the facts do not report WinHTTP, so nothing is known to remove",
                           current=now, desired=desired), findings
        if not proxies:
            return _action(WINHTTP_PROXY, KEEP, f"{why}; WinHTTP is already direct access", current=now, desired=desired), findings
        action, reason = _stale_decision(inputs, f"system-wide WinHTTP proxy ({described})", ours, why)
        return _action(WINHTTP_PROXY, action, reason, {"state": "absent"}, now, desired), findings

    policy = inputs.winhttp_policy
    if policy == "leave":
        reason = f"{inputs.name('winhttp_policy')} is leave: WinHTTP is not touched"
        if not current.winhttp_known:
            return _action(WINHTTP_PROXY, KEEP, f"{reason} (not reported by the facts)", current=now), findings
        if not proxies:
            return _action(WINHTTP_PROXY, KEEP, f"{reason} (direct access)", current=now), findings
        if topology in roaming_words:
            findings.append(_finding(WARNING, f"system-wide WinHTTP proxy ({described}) on {roaming_words[topology]}: "
                                              f"{ROAMING_WHY}"))
            return _action(WINHTTP_PROXY, REPORT,
                           f"{reason}, but the system-wide WinHTTP proxy ({described}) is set on {roaming_words[topology]}: "
                           f"{ROAMING_WHY}; reported only (set {inputs.name('winhttp_policy')} to stable_only or reset to remove it)",
                           current=now), findings
        if inputs.network_mode != "static":
            whose = "written by this collection" if ours else "not written by this collection"
            return _action(WINHTTP_PROXY, REPORT,
                           f"{reason}; the stale system-wide WinHTTP proxy ({described}, {whose}) is not needed in a "
                           f"{_MODE_WORDS[inputs.network_mode]} and overrides it: reported only "
                           f"(set {inputs.name('winhttp_policy')} to reset to remove it)", current=now), findings
        return _action(WINHTTP_PROXY, KEEP, f"{reason} ({described})", current=now), findings

    if policy == "reset":
        desired = {"proxy": None}
        reason = f"{inputs.name('winhttp_policy')} is reset: back to direct access (netsh winhttp reset proxy)"
        if not current.winhttp_known:
            return _action(WINHTTP_PROXY, REMOVE, f"{reason}; the current setting is not reported by the facts",
                           {"state": "absent"}, now, desired), findings
        if not proxies:
            return _action(WINHTTP_PROXY, KEEP, f"{reason}; already direct access", current=now, desired=desired), findings
        whose = "written by this collection" if ours else f"not written by this collection, removed because {inputs.name('winhttp_policy')} is reset"
        return _action(WINHTTP_PROXY, REMOVE, f"{reason}; removes {described} ({whose})",
                       {"state": "absent"}, now, desired), findings

    if policy == "stable_only" and topology != STABLE:
        # Roaming (or unknown) devices must not keep a static WinHTTP proxy: reset it, but only what
        # this collection wrote unless remove_stale says otherwise.
        desired = {"proxy": None}
        why = (f"{inputs.name('winhttp_policy')} is stable_only and this is {roaming_words[topology]}: {ROAMING_WHY}; "
               "its system-wide WinHTTP proxy goes back to direct access (netsh winhttp reset proxy)")
        if not current.winhttp_known:
            return _action(WINHTTP_PROXY, KEEP, f"{why}; the facts do not report WinHTTP, so nothing is known to remove",
                           current=now, desired=desired), findings
        if not proxies:
            return _action(WINHTTP_PROXY, KEEP, f"{why}; already direct access", current=now, desired=desired), findings
        action, reason = _stale_decision(inputs, f"system-wide WinHTTP proxy ({described})", ours, why)
        if action == REPORT:
            findings.append(_finding(WARNING, f"system-wide WinHTTP proxy ({described}) stays on {roaming_words[topology]}: "
                                              f"{ROAMING_WHY}; it was not written by this collection (set "
                                              f"{inputs.name('remove_stale')} to true to reset it)"))
        return _action(WINHTTP_PROXY, action, reason, {"state": "absent"}, now, desired), findings

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
        return _action(WINHTTP_PROXY, REFUSE, decision.refusal, current=now, desired=desired), findings
    if decision.warning:
        params["force"] = True
        findings.append(_finding(WARNING, decision.warning))
        reason = f"{inputs.name('winhttp_policy')} is set and {decision.warning}"
    else:
        reason = (f"stable topology and {inputs.name('winhttp_policy')} is {policy}: the system-wide WinHTTP proxy "
                  f"(netsh winhttp set proxy {server}) is acceptable for a desktop that always sits behind the same proxy; "
                  "it affects every WinHTTP client on the device")
    wanted = WinHttpView.proxy_setting(server, bypass)
    if _winhttp_matches(current, wanted):
        return _action(WINHTTP_PROXY, KEEP, f"{reason}; already set on both registry views", current=now,
                       desired=desired), findings
    return _action(WINHTTP_PROXY, SET, f"{reason}; {_winhttp_set_detail(current, wanted, inputs)}",
                   params, now, desired), findings


# ---------------------------------------------------------------------------------------------
# policy ownership: a value a policy enforces is not fought over
# ---------------------------------------------------------------------------------------------

def read_ownership(facts: Mapping[str, Any]) -> Optional[OwnershipReport]:
    """Owners of the managed values from the facts' policy evidence; None when the facts carry none."""
    evidence = facts.get("policy")
    if evidence is None:
        return None
    try:
        return resolve_ownership(evidence)
    except PolicyEvidenceError as err:
        where = err.field if err.field.startswith("policy") else f"policy.{err.field}"
        raise PlanFactsError(f"facts.{where}", err.rule, err.message) from None


def _same_telemetry(owner_value: Any, wanted: Any) -> bool:
    if owner_value is None or wanted is None:
        return owner_value is None and wanted is None
    return _normal_telemetry(str(owner_value)) == _normal_telemetry(str(wanted))


def _winhttp_owner_view(value: Any) -> WinHttpView:
    if value is None:
        return WinHttpView.proxy_setting("")
    if isinstance(value, (bytes, bytearray)):
        value = value.hex().upper()
    return WinHttpView.from_hex(str(value))


def _same_winhttp(owner_value: Any, wanted: Any) -> bool:
    """``wanted`` is the WinHttpView the plan leaves behind; an owner that deletes the value means direct access."""
    return not views_differ(_winhttp_owner_view(owner_value), wanted)


def _enforcing_owners(ownership: ValueOwnership) -> str:
    return " and ".join(describe_owner(owner, ownership.location.field) for owner in ownership.owners if owner.enforced)


def _ownership_checks(report: OwnershipReport, action: Dict[str, Any]) -> List[Tuple[ValueOwnership, Any, Callable[[Any, Any], bool]]]:
    """(ownership, desired value, comparison) for each registry value the action's module writes."""
    values = report.values
    target, desired = action["target"], action["desired"]
    if target == TELEMETRY_PROXY:
        server = desired.get("server")
        if not server:
            # Removing the static proxy also deletes DisableEnterpriseAuthProxy; a baseline GPO that
            # enforces it only puts back a harmless 1, so it does not block the removal.
            return [(values["telemetry_proxy_server"], None, _same_telemetry)]
        return [(values["telemetry_proxy_server"], server, _same_telemetry),
                (values["disable_enterprise_auth_proxy"], 1, None)]
    if target == PREFER_STATIC_PROXY:
        return [(values["prefer_static_proxy_for_http_request"], desired.get("value"), None)]
    if target == WINHTTP_PROXY:
        if "proxy" not in desired:
            return []  # winhttp_policy leave: nothing is wanted, owners are only named
        wanted = WinHttpView.proxy_setting(desired.get("proxy") or "", desired.get("bypass") or "")
        return [(values[name], wanted, _same_winhttp) for name in ("winhttp_settings", "winhttp_settings_wow64")]
    return []


def apply_ownership(action: Dict[str, Any], report: Optional[OwnershipReport],
                    inputs: PlanInputs) -> Tuple[Dict[str, Any], List[Dict[str, str]]]:
    """The action once the policies that own its values are taken into account (decide_ownership decides)."""
    if report is None:
        return action, []
    findings: List[Dict[str, str]] = []
    checks = _ownership_checks(report, action)
    if not checks:
        # Nothing is wanted (WinHTTP left alone), or the decision applied the rule itself (Defender
        # Antivirus): a report still names who sets the value, so the reviewer knows whom to ask.
        fields = {WINHTTP_PROXY: ("winhttp_settings", "winhttp_settings_wow64"),
                  DEFENDER_AV_PROXY: ("defender_proxy_server",) if action["action"] == REPORT else ()}
        owned = [_enforcing_owners(report.values[name]) for name in fields.get(action["target"], ())
                 if _enforcing_owners(report.values[name])]
        if owned:
            action = dict(action, reason=f"{action['reason']}; set by {' and '.join(dict.fromkeys(owned))}")
        return action, findings
    decisions = [decide_ownership(ownership, desired, inputs.policy_conflict, same=same,
                                  option=inputs.name("policy_conflict"))
                 for ownership, desired, same in checks]
    base = action["action"]
    if base not in CHANGING_ACTIONS and base != KEEP:
        # Reported or refused already: nothing is written, so only who sets the value is said.
        owned = [_enforcing_owners(check[0]) for check in checks if _enforcing_owners(check[0])]
        if owned:
            action = dict(action, reason=f"{action['reason']}; set by {' and '.join(dict.fromkeys(owned))}")
        return action, findings
    refused = [decision for decision in decisions if decision.action == OWNER_REFUSE]
    overridden = [decision for decision in decisions if decision.action == OWNER_OVERRIDE]
    kept = [decision for decision in decisions if decision.action == OWNER_KEEP]
    rebuild = _rebuilder(action)
    if base in CHANGING_ACTIONS:
        owner_words = "; ".join(decision.reason for decision in refused + overridden + kept)
        if not owner_words:
            return action, findings
        reason = f"{action['reason']}; {owner_words}"
        if refused:
            findings.append(_finding(WARNING, f"{action['target']}: not changed, a policy owns it: "
                                              + "; ".join(decision.reason for decision in refused)))
            return rebuild(REFUSE, reason), findings
        if kept and len(kept) == len(decisions):
            return rebuild(KEEP, reason), findings
        for decision in overridden:
            findings.extend(_finding(WARNING, warning) for warning in decision.warnings)
        return dict(action, reason=reason), findings
    # KEEP: right today. A policy with the same value is named; one with another value puts it back
    # at its next refresh, whatever policy_conflict says (nothing is written now).
    words = [decision.reason for decision in kept]
    for (ownership, desired, same), decision in zip(checks, decisions):
        if decision.action in (OWNER_REFUSE, OWNER_OVERRIDE):
            compare = same or same_value
            for owner in ownership.owners:
                if owner.enforced and not compare(owner.value, desired):
                    shown = "deleted" if owner.value is None else repr(owner.value)
                    text = (f"{ownership.location.name} is right now, but "
                            f"{describe_owner(owner, ownership.location.field)} sets it to {shown}: the next policy "
                            "refresh changes it; change that policy")
                    words.append(text)
                    findings.append(_finding(WARNING, f"{action['target']}: {text}"))
    if words:
        action = dict(action, reason=f"{action['reason']}; {'; '.join(words)}")
    return action, findings


def _rebuilder(action: Dict[str, Any]) -> Callable[[str, str], Dict[str, Any]]:
    """Rebuild an action with another verdict and reason, keeping what it found and wanted."""
    def rebuild(verdict: str, reason: str) -> Dict[str, Any]:
        return _action(action["target"], verdict, reason, action["params"], action["current"], action["desired"])
    return rebuild


# ---------------------------------------------------------------------------------------------
# Defender Antivirus's own proxy
# ---------------------------------------------------------------------------------------------

def decide_defender(inputs: PlanInputs, facts: Mapping[str, Any], topology: str, winhttp: Mapping[str, Any],
                    report: Optional[OwnershipReport]) -> Tuple[Dict[str, Any], List[Dict[str, str]]]:
    """The Defender Antivirus proxy action (defender_av_plan decides) and its findings."""
    current = facts.get("defender_av")
    if inputs.defender_av_policy == "leave":
        return _action(DEFENDER_AV_PROXY, KEEP, f"{inputs.name('defender_av_policy')} is leave: Defender Antivirus's "
                                                "own proxy is not touched", current={"known": current is not None}), []
    try:
        decided = decide_defender_av_proxy(
            state=inputs.state, network_mode=inputs.network_mode, proxy=inputs.telemetry_value,
            bypass=list(inputs.bypass), topology=topology, winhttp_carries=winhttp_carries_after(winhttp),
            os_has_other_route=inputs.os_has_other_route, current=current,
            previous_proxies=list(inputs.managed_telemetry_values), ssl_options=inputs.defender_ssl_options,
            remove_stale=inputs.remove_stale,
            ownership=report.values.get("defender_proxy_server") if report is not None else None,
            policy_conflict=inputs.policy_conflict, prefix=inputs.prefix)
    except DefenderPlanError as err:
        error = PlanFactsError if err.field.startswith("facts.") else PlanInputError
        raise error(err.field, err.rule, err.message) from None
    findings = decided.pop("findings", [])
    return decided, findings


# ---------------------------------------------------------------------------------------------
# risky changes, flagged for the review
# ---------------------------------------------------------------------------------------------

def _policy_words(report: Optional[OwnershipReport], field_name: str) -> str:
    """What the facts say about a policy owning a value, for a warning about replacing it."""
    if report is None:
        return "the facts carry no policy evidence, so a GPO, Group Policy Preferences item or MDM policy may own it and write it back"
    ownership = report.values[field_name]
    if ownership.unread:
        return (f"no policy that could be read sets it, but {', '.join(ownership.unread)} could not be read: a policy there may "
                "write it back")
    return "no policy read sets it; another tool or script that wrote it may write it back"


def _normal_defender(value: Any) -> Any:
    try:
        return proxy_server_value(value)
    except ProxyAddressError:
        return value


def _foreign_replacements(inputs: PlanInputs, current: CurrentState, actions: Dict[str, Dict[str, Any]],
                          report: Optional[OwnershipReport]) -> List[Dict[str, str]]:
    """A value this collection did not write, replaced: whoever wrote it may put it back."""
    findings = []
    telemetry = actions[TELEMETRY_PROXY]
    server = current.telemetry_server
    if telemetry["action"] == SET and server is not None and _normal_telemetry(server) not in inputs.managed_telemetry_values:
        findings.append(_finding(WARNING, f"TelemetryProxyServer {server} is replaced, and this collection did not write it: "
                                          f"{_policy_words(report, 'telemetry_proxy_server')}"))
    winhttp = actions[WINHTTP_PROXY]
    proxies = current.winhttp_proxies()
    if winhttp["action"] in CHANGING_ACTIONS and proxies and not all(
            not view.error and proxy_key(view.proxy) in inputs.managed_winhttp_values for view in proxies):
        verb = "replaced" if winhttp["action"] == SET else "reset"
        findings.append(_finding(WARNING, f"the system-wide WinHTTP proxy ({current.describe_winhttp()}) is {verb}, and this "
                                          f"collection did not write it: {_policy_words(report, 'winhttp_settings')}"))
    defender = actions[DEFENDER_AV_PROXY]
    before = (defender["current"] or {}).get("proxy_server")
    if defender["action"] == SET and before:
        managed = set()
        for value in inputs.managed_telemetry_values:
            try:
                managed.add(proxy_server_from_host_port(value))
            except ProxyAddressError:
                pass
        if _normal_defender(before) not in managed:
            findings.append(_finding(WARNING, f"Defender Antivirus ProxyServer {before} is replaced, and this collection did "
                                              f"not write it: {_policy_words(report, 'defender_proxy_server')}"))
    return findings


def _dropped_bypass(current: CurrentState, actions: Dict[str, Dict[str, Any]]) -> List[Dict[str, str]]:
    """Bypass entries a change would drop: those hosts would go through the proxy from then on."""
    findings = []
    winhttp = actions[WINHTTP_PROXY]
    if winhttp["action"] == SET:
        wanted = set(bypass_key(winhttp["desired"].get("bypass") or ""))
        dropped = list(dict.fromkeys(entry for view in current.winhttp_proxies() if not view.error
                                     for entry in bypass_key(view.bypass) if entry not in wanted))
        if dropped:
            findings.append(_finding(WARNING, f"the WinHTTP change drops bypass entries {', '.join(dropped)} (now: "
                                              f"{current.describe_winhttp()}): WinHTTP clients will send those hosts through "
                                              "the proxy; add them to the bypass list to keep them"))
    defender = actions[DEFENDER_AV_PROXY]
    params = defender["params"]
    before = (defender["current"] or {}).get("proxy_bypass")
    if defender["action"] == SET and before and "proxy_bypass" in params:
        wanted = set(bypass_key(";".join(params["proxy_bypass"])))
        dropped = [entry for entry in bypass_key(str(before)) if entry not in wanted]
        if dropped:
            findings.append(_finding(WARNING, f"the Defender Antivirus change drops ProxyBypass entries {', '.join(dropped)} "
                                              f"(now: {before}): add them to the bypass list to keep them"))
    return findings


def _stale_winhttp_after_move(inputs: PlanInputs, current: CurrentState,
                              actions: Dict[str, Dict[str, Any]]) -> List[Dict[str, str]]:
    """TelemetryProxyServer moves to the new proxy while WinHTTP stays on the old one."""
    telemetry, winhttp = actions[TELEMETRY_PROXY], actions[WINHTTP_PROXY]
    if telemetry["action"] not in (SET, KEEP) or not telemetry["desired"].get("server") or winhttp["action"] in CHANGING_ACTIONS:
        return []
    new = {proxy_key(inputs.winhttp_server or ""), proxy_key(inputs.telemetry_value or "")}
    old = set(inputs.managed_winhttp_values) - new
    if current.telemetry_server is not None:
        old.add(proxy_key(_normal_telemetry(current.telemetry_server)))
    old -= new
    stale = [view for view in current.winhttp_proxies() if not view.error and proxy_key(view.proxy) in old]
    if not stale:
        return []
    return [_finding(WARNING, f"the system-wide WinHTTP proxy stays on the old proxy {stale[0].proxy} while TelemetryProxyServer "
                              f"{'moves' if telemetry['action'] == SET else 'has moved'} to {telemetry['desired']['server']}: "
                              "every WinHTTP client (Defender Antivirus, Windows Update, the sensor's own fallback) keeps "
                              f"the old proxy; set {inputs.name('winhttp_policy')} to set or stable_only (stable devices) "
                              "or reset, and retire the old proxy only afterwards")]


def risk_findings(inputs: PlanInputs, current: CurrentState, actions: List[Dict[str, Any]],
                  report: Optional[OwnershipReport]) -> List[Dict[str, str]]:
    by_target = {action["target"]: action for action in actions}
    if inputs.state == "present" and inputs.network_mode == "static":
        stale = _stale_winhttp_after_move(inputs, current, by_target)
    else:
        stale = []
    return stale + _dropped_bypass(current, by_target) + _foreign_replacements(inputs, current, by_target, report)


# ---------------------------------------------------------------------------------------------
# the plan
# ---------------------------------------------------------------------------------------------

def _device_summary(facts: Mapping[str, Any]) -> Dict[str, Any]:
    os_facts = facts.get("os") if isinstance(facts.get("os"), Mapping) else {}
    hardware = facts.get("hardware") if isinstance(facts.get("hardware"), Mapping) else {}
    services = facts.get("services") if isinstance(facts.get("services"), Mapping) else {}
    sense = services.get("sense") if isinstance(services.get("sense"), Mapping) else None
    return {
        "os": " ".join(str(part) for part in (os_facts.get("caption"), os_facts.get("build") and f"build {os_facts['build']}")
                       if part) or None,
        "machine": " ".join(str(hardware[key]) for key in ("manufacturer", "model") if hardware.get(key)) or None,
        "virtual": hardware.get("is_virtual"),
        "sense": sense.get("state") if sense else None,
    }


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
                                       f"{_MODE_WORDS[inputs.network_mode]}"))
    if inputs.state == "present" and inputs.network_mode == "static" and inputs.telemetry_value.startswith("["):
        findings.append(_finding(WARNING, "TelemetryProxyServer is an IPv6 literal: the documentation does not say whether "
                                          "Sense accepts it, and IPv6-only devices are unsupported"))
    return findings


def _apply_calls(actions: List[Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
    """One module call per module that has something to change, arguments merged per module."""
    by_target = {action["target"]: action for action in actions}
    calls: Dict[str, Dict[str, Any]] = {}
    telemetry = by_target[TELEMETRY_PROXY]
    prefer = by_target[PREFER_STATIC_PROXY]
    if telemetry["changes"] or prefer["changes"]:
        if telemetry["changes"]:
            params = dict(telemetry["params"])
        elif telemetry["action"] == KEEP and telemetry["desired"].get("server"):
            # Only PreferStaticProxyForHttpRequest changes: restate the static proxy that is already right.
            params = {"state": "present", "proxy": telemetry["desired"]["server"]}
        else:
            params = {"state": "absent"}
        if prefer["changes"]:
            params.update(prefer["params"])
        elif prefer["action"] == KEEP and prefer["desired"].get("value") == 1:
            params["prefer_static_proxy_for_http_request"] = True
        calls[TELEMETRY_PROXY] = params
    winhttp = by_target[WINHTTP_PROXY]
    if winhttp["changes"]:
        calls[WINHTTP_PROXY] = dict(winhttp["params"])
    defender = by_target[DEFENDER_AV_PROXY]
    if defender["changes"]:
        calls[DEFENDER_AV_PROXY] = dict(defender["params"])
    return calls


def compute_plan(inputs: Optional[Mapping[str, Any]], facts: Any, field_prefix: str = "",
                 host: Optional[str] = None) -> Dict[str, Any]:
    """The plan for one device. Raises PlanInputError / PlanFactsError before deciding anything."""
    parsed = parse_inputs(inputs, field_prefix)
    device_facts = unwrap_facts(facts)
    current = read_current_state(device_facts)
    topology = resolve_topology(parsed, device_facts)

    ownership = read_ownership(device_facts)

    findings = list(current.findings)
    telemetry, owner_findings = apply_ownership(decide_telemetry_proxy(parsed, current), ownership, parsed)
    findings += owner_findings
    prefer, owner_findings = apply_ownership(decide_prefer_static(parsed, current), ownership, parsed)
    findings += owner_findings
    if telemetry["action"] == REFUSE and prefer["changes"]:
        # The module writes PreferStaticProxyForHttpRequest only in a call that also states the static
        # proxy (present with the proxy, or absent): that call would write the refused value.
        prefer = _rebuilder(prefer)(REFUSE, f"{prefer['reason']}; not changed: it is written only together with "
                                            "TelemetryProxyServer, which a policy owns (see the static proxy)")
    winhttp, winhttp_findings = decide_winhttp(parsed, current, topology["value"])
    winhttp, owner_findings = apply_ownership(winhttp, ownership, parsed)
    findings += winhttp_findings + owner_findings
    defender, defender_findings = decide_defender(parsed, device_facts, topology["value"], winhttp, ownership)
    defender, owner_findings = apply_ownership(defender, ownership, parsed)
    findings += defender_findings + owner_findings
    if ownership is not None:
        findings += ownership.findings
    actions = [telemetry, prefer, winhttp, defender]
    findings += risk_findings(parsed, current, actions, ownership)
    findings += _context_findings(parsed, device_facts)
    if telemetry["action"] == REMOVE:
        findings.append(_finding(INFO, "removing the static proxy also removes DisableEnterpriseAuthProxy, which security "
                                       "baselines (CIS) require as 1: re-apply the baseline if it owns that value"))
    apply = _apply_calls(actions)
    return {
        "version": PLAN_VERSION,
        "host": host,
        "device": _device_summary(device_facts),
        "inputs": inputs_summary(parsed),
        "topology": topology,
        "actions": actions,
        "apply": apply,
        "ownership": {name: value.as_dict() for name, value in ownership.values.items()} if ownership is not None else None,
        "changes": sum(1 for action in actions if action["changes"]),
        "findings": findings,
    }


def inputs_summary(parsed: PlanInputs) -> Dict[str, Any]:
    """The normalised inputs as the plan records them."""
    return {
        "state": parsed.state,
        "network_mode": parsed.network_mode,
        "proxy": parsed.telemetry_value,
        "winhttp_proxy": parsed.winhttp_server,
        "bypass": list(parsed.bypass),
        "topology": parsed.topology,
        "os_has_other_route": parsed.os_has_other_route,
        "winhttp_policy": parsed.winhttp_policy,
        "winhttp_force": parsed.winhttp_force,
        "remove_stale": parsed.remove_stale,
        "policy_conflict": parsed.policy_conflict,
        "defender_av_policy": parsed.defender_av_policy,
        "defender_ssl_options": parsed.defender_ssl_options,
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
