# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan's inputs (the role's variables without their prefix): their defaults, rules and normal form.

``parse_inputs`` checks every input before anything is decided; errors name the option and the rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Dict, List, Optional, Tuple

from ansible.module_utils.common.validation import check_type_bool

from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import (
    ProxyAddressError,
    parse_proxy_server,
    telemetry_proxy_server_value,
)
from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_bypass import parse_bypass_list
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.vocabulary import PlanInputError
from ansible_collections.purview.device_proxy.plugins.plugin_utils.policy_ownership import POLICY_CONFLICT_CHOICES

STATES = ("present", "absent")
NETWORK_MODES = ("transparent", "wpad", "static")
TOPOLOGY_CHOICES = ("auto", "stable", "roaming")
WINHTTP_POLICIES = ("leave", "set", "reset", "stable_only")
# The policies that give WinHTTP the proxy (on stable devices) and so need a static network.
SETTING_POLICIES = ("set", "stable_only")
DEFENDER_AV_POLICIES = ("auto", "leave")
SSL_OPTIONS_CHOICES = (0, 1, 2, 3)
# After the static proxy is held back by a policy: hold the WinHTTP and Defender Antivirus moves to another
# proxy too (the sensor and the rest would use different proxies), or make them with a warning.
SPLIT_PROXY_CHOICES = ("hold", "proceed")

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
    "split_proxy_after_refusal": "hold",
}

# How each network mode is named in reasons.
MODE_WORDS = {
    "transparent": "transparent proxy network",
    "wpad": "WPAD network",
    "static": "static proxy network",
}


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
    split_proxy_after_refusal: str = "hold"
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

    if state == "absent" and winhttp_policy in SETTING_POLICIES:
        # state absent writes no proxy anywhere: a policy that gives WinHTTP one cannot be honoured, and
        # quietly reading it as another policy would decide for the user what happens to WinHTTP.
        raise PlanInputError(
            name("winhttp_policy"), "absent-needs-leave-or-reset",
            f"'{winhttp_policy}' cannot be honoured with {name('state')} absent, which returns devices to direct "
            f"access and sets no proxy: use leave (only the WinHTTP proxy this collection wrote is removed) or "
            f"reset (the WinHTTP proxy is reset to direct access, whoever set it)")

    proxy = values["proxy"]
    if state == "present" and network_mode == "static" and (proxy is None or proxy == ""):
        raise PlanInputError(name("proxy"), "required",
                             f"is required when {name('network_mode')} is static: write host:port, e.g. proxy.corp.example:3128")
    if state == "present" and winhttp_policy in SETTING_POLICIES and network_mode != "static":
        raise PlanInputError(
            name("winhttp_policy"), "set-needs-static",
            f"'{winhttp_policy}' needs {name('network_mode')} static: a {MODE_WORDS.get(network_mode, network_mode)} needs "
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
        split_proxy_after_refusal=_choice(values["split_proxy_after_refusal"], name("split_proxy_after_refusal"),
                                          SPLIT_PROXY_CHOICES),
        prefix=field_prefix,
    )


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
        "split_proxy_after_refusal": parsed.split_proxy_after_refusal,
    }
