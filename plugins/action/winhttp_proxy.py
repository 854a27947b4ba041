# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller half of purview.device_proxy.winhttp_proxy.

Round trips: one read of the raw ``WinHttpSettings`` bytes of both registry views (plus the
connection user's Internet Options proxy for ``source: ie``). The bytes are decoded with the
codec and compared semantically with the desired setting; only when a view differs, and not in
check mode, a second call writes, guarded by the bytes the decision was based on. A write that
does not produce the requested setting is undone with a third call and the task fails.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, Optional, Tuple

from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import (
    BypassList,
    ProxyServer,
    netsh_set_proxy_args,
    parse_bypass_list,
    parse_proxy_server,
)
from ansible_collections.purview.device_proxy.plugins.modules.winhttp_proxy import DOCUMENTATION
from ansible_collections.purview.device_proxy.plugins.plugin_utils.windows_module import (
    Outcome,
    OutcomeError,
    TargetSession,
    WindowsModuleAction,
    WindowsModuleInputError,
    WinHttpView,
    forward_options,
    winhttp_drift,
)

ROAMING_REFUSAL = (
    "refusing a static system-wide WinHTTP proxy on a roaming device: Microsoft documents that devices "
    "which move between networks malfunction with it, because off the corporate network every WinHTTP "
    "client (the sensor, certificate revocation checks, Windows Update) keeps sending its traffic to a "
    "proxy it cannot reach. Use purview.device_proxy.telemetry_proxy (TelemetryProxyServer, which falls "
    "back to a direct connection) for such devices, or set force: true if this device really stays "
    "behind this proxy"
)
UNKNOWN_TOPOLOGY_WARNING = (
    "device_topology is unknown: a static WinHTTP proxy breaks connectivity of devices that move between "
    "networks; pass the topology fact of purview.device_proxy.device_facts to have roaming devices refused"
)
DRIFT_WARNING = (
    "the native and WOW6432Node copies of WinHttpSettings held different settings (32-bit processes "
    "saw %s, 64-bit processes %s)"
)


@dataclasses.dataclass(frozen=True)
class Desired:
    """The setting the task asks for."""

    server: Optional[ProxyServer]
    bypass: BypassList = BypassList()

    @property
    def direct(self) -> bool:
        return self.server is None

    def key(self) -> Tuple[Any, ...]:
        """The semantic comparison key, as WinHttpView.key() computes it for what was read."""
        if self.server is None:
            return ("direct", None)
        return ("proxy", self.server.winhttp_string(), self.bypass.entries, None)

    def netsh(self) -> str:
        if self.server is None:
            return "netsh winhttp reset proxy"
        return " ".join(["netsh"] + netsh_set_proxy_args(self.server, self.bypass))

    def view(self) -> Dict[str, Any]:
        """The before/after form of this setting as a prediction (no raw bytes yet)."""
        return {
            "raw": None,
            "uses_proxy": not self.direct,
            "proxy": "" if self.server is None else self.server.winhttp_string(),
            "bypass": "" if self.server is None else self.bypass.winhttp_string(),
            "error": None,
        }


def desired_from_options(params: Dict[str, Any]) -> Optional[Desired]:
    """The desired setting from the options, or None when it comes from the target (source=ie)."""
    if params["state"] == "absent":
        for name in ("proxy", "bypass", "source"):
            if params.get(name) is not None:
                raise WindowsModuleInputError(name, "absent-takes-no-proxy", "not used with state=absent; remove it")
        return Desired(server=None)
    if params.get("source") == "ie":
        return None
    server = parse_proxy_server(params["proxy"], field="proxy")
    bypass = parse_bypass_list(";".join(params.get("bypass") or []), field="bypass")
    return Desired(server=server, bypass=bypass)


def desired_from_ie(ie_proxy: Optional[Dict[str, Any]]) -> Tuple[Desired, list]:
    """What ``netsh winhttp import proxy source=ie`` would set, and warnings about what it drops."""
    if ie_proxy is None:
        raise OutcomeError("the target did not report the Internet Options proxy that source=ie needs")
    warnings = []
    if ie_proxy.get("auto_detect") or ie_proxy.get("auto_config_url"):
        warnings.append(
            "source=ie: automatic detection and configuration scripts of the Internet Options are not "
            "imported (netsh does not import them either); only the manual proxy is")
    if not ie_proxy.get("proxy"):
        return Desired(server=None), warnings
    server = parse_proxy_server(ie_proxy["proxy"], field="source")
    bypass = parse_bypass_list(ie_proxy.get("proxy_bypass") or "", field="source")
    return Desired(server=server, bypass=bypass), warnings


def guard_topology(desired: Desired, params: Dict[str, Any]) -> list:
    """Refuse a static proxy on a roaming device unless forced; return warnings."""
    if desired.direct:
        return []
    topology = params["device_topology"]
    if topology == "roaming":
        if not params["force"]:
            raise WindowsModuleInputError("device_topology", "roaming-static-proxy", ROAMING_REFUSAL)
        return ["force: setting a static WinHTTP proxy on a roaming device; it loses connectivity off the corporate network"]
    if topology == "unknown":
        return [UNKNOWN_TOPOLOGY_WARNING]
    return []


def diff_text(native: Any, wow64: Any) -> str:
    """One line per view: the netsh command that produces its setting."""
    lines = ["native: " + native.netsh()]
    if wow64 is not None:
        lines.append("WOW6432Node: " + wow64.netsh())
    return "\n".join(lines) + "\n"


class ActionModule(WindowsModuleAction):
    MODULE_NAME = "purview.device_proxy.winhttp_proxy"
    DOCUMENTATION = DOCUMENTATION
    ARGUMENT_RULES = {
        "mutually_exclusive": [("proxy", "source"), ("bypass", "source")],
        "required_if": [("state", "present", ("proxy", "source"), True)],
        "required_by": {"bypass": ("proxy",)},
    }

    def decide(self, params: Dict[str, Any], session: TargetSession) -> Outcome:
        desired = desired_from_options(params)
        warnings = guard_topology(desired, params) if desired is not None else []
        base_args = forward_options(params, self.argument_spec(), _normalised_options(desired))

        reply = session.call(dict(base_args, _mode="read", _read_ie=desired is None))
        raw = dict(reply["raw"])
        if desired is None:
            desired, ie_warnings = desired_from_ie(raw.get("ie_proxy"))
            warnings = ie_warnings + guard_topology(desired, params)

        is64 = bool(raw["is_64bit_os"])
        native = WinHttpView.from_hex(raw["native_before"])
        wow64 = WinHttpView.from_hex(raw["wow64_before"]) if is64 else None
        drift = winhttp_drift(native, wow64)
        if drift:
            warnings.append(DRIFT_WARNING % (wow64.netsh(), native.netsh()))

        set_native = native.key() != desired.key()
        mirror = wow64 is not None and (set_native or wow64.key() != desired.key())
        changed = set_native or mirror

        after_native, after_wow64 = native, wow64
        if changed and session.check_mode:
            after_native = _Predicted(desired) if set_native else native
            after_wow64 = _Predicted(desired) if mirror else wow64
        elif changed:
            applied = session.call(dict(
                base_args,
                _mode="apply",
                _expected_native_hex=native.raw or "",
                _expected_wow64_hex=(wow64.raw if wow64 else None) or "",
                _set_native=set_native,
                _access_type="no_proxy" if desired.direct else "named_proxy",
                _proxy="" if desired.direct else desired.server.winhttp_string(),
                _bypass="" if desired.direct else desired.bypass.winhttp_string(),
                _mirror_wow64=mirror,
            ))
            raw.update(native_after=applied["raw"]["native_after"], wow64_after=applied["raw"]["wow64_after"])
            after_native = WinHttpView.from_hex(raw["native_after"])
            after_wow64 = WinHttpView.from_hex(raw["wow64_after"]) if is64 else None
            self._verify_or_restore(session, base_args, desired, native, wow64, after_native, after_wow64)

        return Outcome(
            changed=changed,
            before={"native": native.to_dict(), "wow64": wow64.to_dict() if wow64 else None},
            after={"native": after_native.to_dict(), "wow64": after_wow64.to_dict() if after_wow64 else None},
            diff_before=diff_text(native, wow64),
            diff_after=diff_text(after_native, after_wow64),
            extra={"drift": drift, "netsh": desired.netsh(), "raw": raw},
            warnings=warnings,
        )

    @staticmethod
    def _verify_or_restore(session, base_args, desired, native, wow64, after_native, after_wow64):
        wrong = [name for name, view in (("native", after_native), ("WOW6432Node", after_wow64))
                 if view is not None and view.key() != desired.key()]
        if not wrong:
            return
        session.call(dict(base_args, _mode="restore", _native_hex=native.raw or "",
                          _wow64_hex=(wow64.raw if wow64 else None) or ""))
        raise OutcomeError(
            "WinHttpSettings of the %s view did not hold the requested setting after the write (%s); the previous "
            "values were restored" % (" and ".join(wrong), desired.netsh()))


@dataclasses.dataclass(frozen=True)
class _Predicted:
    """A view as check mode predicts it: the desired setting, bytes unknown."""

    desired: Desired

    def to_dict(self) -> Dict[str, Any]:
        return self.desired.view()

    def netsh(self) -> str:
        return self.desired.netsh()


def _normalised_options(desired: Optional[Desired]) -> Dict[str, Any]:
    if desired is None or desired.direct:
        return {}
    return {"proxy": desired.server.winhttp_string(), "bypass": list(desired.bypass.entries) or None}
