# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller half of purview.device_proxy.winhttp_proxy.

Round trips: one read of the raw ``WinHttpSettings`` bytes of both registry views (plus the
connection user's Internet Options proxy for ``source: ie``). The bytes are decoded with the
codec and compared semantically with the desired setting; only when a view differs, and not in
check mode, a second call writes, guarded by the bytes the decision was based on. Whether the write
held is read back through WinHTTP's own API (``WinHttpGetDefaultProxyConfiguration``), so a byte
layout the codec does not know (a new version word) neither fails a good write nor forces one;
the bytes still serve the guard, the WOW6432Node mirror and the rollback. A write that does not
produce the requested setting is undone with a third call (every registry kind is put back as it
was read) and the task fails. A value of another kind than REG_BINARY is reported as such.

With ``current_settings`` (the bytes device_facts read moments earlier in the same play) the
read is skipped: no change costs no call, a change costs the guarded write alone. When the host
refuses that write because its bytes changed since the facts were taken, the task reads the host
and decides again, once.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Dict, Mapping, Optional, Tuple

from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import (
    BypassList,
    ProxyServer,
    parse_bypass_list,
    parse_proxy_server,
)
from ansible_collections.purview.device_proxy.plugins.modules.winhttp_proxy import DOCUMENTATION
from ansible_collections.purview.device_proxy.plugins.plugin_utils.registry_locations import winhttp_views_option
from ansible_collections.purview.device_proxy.plugins.plugin_utils.topology import static_winhttp_decision
from ansible_collections.purview.device_proxy.plugins.plugin_utils.windows_module import (
    ModuleFailedError,
    Outcome,
    OutcomeError,
    TargetSession,
    WindowsModuleAction,
    WindowsModuleInputError,
    forward_options,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.winhttp_view import (
    WinHttpView,
    views_differ,
    winhttp_drift,
)

DRIFT_WARNING = (
    "the native and WOW6432Node copies of WinHttpSettings held different settings (32-bit processes "
    "saw %s, 64-bit processes %s)"
)
# The rule the target reports when the bytes on the host are not those the write was based on.
CHANGED_SINCE_READ = "changed-since-read"
STALE_WARNING = (
    "WinHttpSettings changed on the host after current_settings were taken, so the host refused the "
    "write; the task read the host again and decided from what it holds now"
)
SOURCE_HOST = "host"
SOURCE_SUPPLIED = "current_settings"


@dataclasses.dataclass(frozen=True)
class Desired:
    """The setting the task asks for."""

    server: Optional[ProxyServer]
    bypass: BypassList = BypassList()

    @property
    def direct(self) -> bool:
        return self.server is None

    def view(self) -> WinHttpView:
        """The setting as a view, so it is compared and rendered as what was read (no bytes yet)."""
        if self.server is None:
            return WinHttpView.proxy_setting("")
        return WinHttpView.proxy_setting(self.server.winhttp_string(), self.bypass.winhttp_string())

    def netsh(self) -> str:
        return self.view().netsh()


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
    if ie_proxy.get("found") is False:
        # Nothing to import is not the same as "no manual proxy": refuse rather than reset the
        # machine-wide setting to direct access on the strength of a missing profile.
        raise WindowsModuleInputError(
            "source", "no-ie-settings",
            "WinHTTP found no Internet Options settings for the connection user, so there is no proxy to "
            "import; give proxy and bypass instead, or connect as a user whose Internet Options hold the proxy")
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


@dataclasses.dataclass(frozen=True)
class CurrentViews:
    """Both registry views a decision starts from, and where they came from.

    ``wow64`` is None on a 32-bit OS (no WOW6432Node view). ``raw`` is the target's reply when
    the host was read, None when the views were supplied with current_settings.
    """

    native: WinHttpView
    wow64: Optional[WinHttpView]
    source: str
    raw: Optional[Dict[str, Any]] = None
    codec_check: Optional[Dict[str, Any]] = None

    @classmethod
    def from_reply(cls, raw: Mapping[str, Any]) -> "CurrentViews":
        is64 = bool(raw["is_64bit_os"])
        native, wow64 = views_with_api(raw.get("native_before"), raw.get("wow64_before") if is64 else None, is64,
                                       raw.get("api_before"), raw.get("api_view"))
        native, wow64, check = cross_check_with_api(native, wow64, raw.get("api_before"), raw.get("api_view"))
        return cls(native, wow64, SOURCE_HOST, dict(raw), check)

    def guard(self, name: str) -> str:
        """The changed-since-read token of a view: the host's own token when it was read, else the hex."""
        tokens = (self.raw or {}).get("guard_before")
        if isinstance(tokens, Mapping) and isinstance(tokens.get(name), str):
            return tokens[name]
        view = self.native if name == "native" else self.wow64
        return (view.raw if view else None) or ""

    def restore_value(self, name: str) -> Optional[Dict[str, Any]]:
        """A view's value as read, for the rollback: ``{kind, data}`` of any kind, None when missing."""
        if self.raw is not None:
            return reported_value(self.raw.get(name + "_before"))
        view = self.native if name == "native" else self.wow64
        return None if view is None or view.raw is None else {"kind": "Binary", "data": view.raw}

    def to_option(self) -> Dict[str, Optional[str]]:
        """The normalised current_settings: upper-case hex or null per view."""
        return {"native": self.native.raw, "wow64": self.wow64.raw if self.wow64 else None}


def reported_value(value: Any) -> Optional[Dict[str, Any]]:
    """What the target reported for a view, as RawRegistry's ``{kind, data}`` (hex means Binary)."""
    if value is None:
        return None
    if isinstance(value, str):
        return {"kind": "Binary", "data": value}
    return dict(value)


def views_with_api(native_value: Any, wow64_value: Any, is64: bool, api: Any,
                   api_view: Any) -> Tuple[WinHttpView, Optional[WinHttpView]]:
    """Both views from the reported values, with WinHTTP's API reading standing in for bytes the
    codec cannot decode (the API reads the view of the module's process, ``api_view``).

    A WOW6432Node copy with exactly the native bytes holds whatever the native copy holds.
    """
    native = WinHttpView.from_reported(native_value)
    wow64 = WinHttpView.from_reported(wow64_value) if is64 else None
    by_api = WinHttpView.from_api(api, native.raw) if api_view in (None, "native") else None
    if by_api is not None and native.error is not None and native.wrong_kind is None and native.raw is not None:
        native = by_api
    if wow64 is not None and wow64.raw is not None and wow64.raw == native.raw:
        wow64 = native
    return native, wow64


CODEC_MISMATCH_WARNING = (
    "the %s WinHttpSettings bytes decode to %s, but WinHTTP's own reading (WinHttpGetDefaultProxyConfiguration) is "
    "%s; WinHTTP's own reading is trusted and decided this run (a byte layout the codec misreads)")


def cross_check_with_api(native: WinHttpView, wow64: Optional[WinHttpView], api: Any,
                         api_view: Any) -> Tuple[WinHttpView, Optional[WinHttpView], Optional[Dict[str, Any]]]:
    """The codec's reading of the view WinHTTP's API read (``api_view``) checked against the API's.

    Where they differ the API is trusted: that view is replaced by the API's reading (its bytes kept
    for the guard and the rollback), so no decision rests on a misread. Returns both views and
    ``{view, agrees, codec, api}`` (``agrees`` None when the codec could not decode the bytes at all),
    or None when there is no API reading to compare with.
    """
    name = "wow64" if api_view == "wow64" else "native"
    view = wow64 if name == "wow64" else native
    if view is None or view.wrong_kind is not None:
        return native, wow64, None
    by_api = WinHttpView.from_api(api, view.raw)
    if by_api is None or by_api.error is not None:
        return native, wow64, None
    if view.error is not None or not view.known:
        return native, wow64, {"view": name, "agrees": None, "codec": view.error or "not known", "api": by_api.describe()}
    check = {"view": name, "agrees": not views_differ(view, by_api), "codec": view.describe(), "api": by_api.describe()}
    if check["agrees"]:
        return native, wow64, check
    mirrored = wow64 is not None and wow64.raw is not None and wow64.raw == native.raw
    if name == "native":
        return by_api, (by_api if mirrored else wow64), check
    return (by_api if mirrored else native), by_api, check


def codec_warning(check: Optional[Mapping[str, Any]]) -> list:
    if not check or check.get("agrees") is not False:
        return []
    return [CODEC_MISMATCH_WARNING % ("WOW6432Node" if check["view"] == "wow64" else "native", check["codec"], check["api"])]


UNRESTORABLE_KINDS = ("Unknown",)

_SETTINGS_KEYS = ("native", "wow64", "drift")
_FACT_VIEW_KEYS = ("raw", "decoded", "error")
_HEX_BYTES = re.compile(r"(?:[0-9A-Fa-f]{2})*")


def current_views_from_option(value: Any) -> Optional[CurrentViews]:
    """The views given with current_settings; bad input raises WindowsModuleInputError naming the key."""
    if value is None:
        return None
    field = SOURCE_SUPPLIED
    if not isinstance(value, Mapping):
        raise WindowsModuleInputError(field, "type", "expected a mapping with native and wow64, got %s"
                                      % type(value).__name__)
    unknown = sorted(str(key) for key in value if key not in _SETTINGS_KEYS)
    if unknown:
        raise WindowsModuleInputError(
            "%s.%s" % (field, unknown[0]), "unknown-key",
            "not a key of current_settings, which holds native, wow64 and optionally drift "
            "(the mapping ansible_facts.purview_device_proxy.winhttp)")
    for name in ("native", "wow64"):
        if name not in value:
            raise WindowsModuleInputError(
                "%s.%s" % (field, name), "required",
                "missing; give the WinHttpSettings bytes of the view as hex, or null when the value does not exist")
    native = WinHttpView.from_hex(supplied_hex(value["native"], field + ".native"))
    wow64 = WinHttpView.from_hex(supplied_hex(value["wow64"], field + ".wow64"))
    return CurrentViews(native, _wow64_view(native, wow64, value.get("drift")), SOURCE_SUPPLIED)


UNREADABLE_SUPPLIED_WARNING = (
    "current_settings: the facts hold no bytes for %s, only an error (such as a value of another registry kind "
    "than REG_BINARY); the task read the host instead")


def unreadable_supplied_views(value: Mapping[str, Any]) -> list:
    """The views given in the device_facts form with raw null and an error (validated already)."""
    return [name for name in ("native", "wow64")
            if isinstance(value.get(name), Mapping) and value[name].get("raw") is None and value[name].get("error")]


def supplied_hex(value: Any, field: str) -> Optional[str]:
    """One view's bytes as the target reports them (upper-case hex, None when the value does not exist).

    Accepts hex text, null, or the device_facts view {raw, decoded, error} (only raw is used:
    the controller decodes the bytes itself). Hex that is not valid WinHttpSettings is kept, as a
    read would keep it: the host may really hold such a value, and the task replaces it.
    """
    if isinstance(value, Mapping):
        unknown = sorted(str(key) for key in value if key not in _FACT_VIEW_KEYS)
        if unknown:
            raise WindowsModuleInputError(
                "%s.%s" % (field, unknown[0]), "unknown-key",
                "not a key of a WinHTTP view in the device_facts form {raw, decoded, error}")
        if "raw" not in value:
            raise WindowsModuleInputError(
                field + ".raw", "required", "missing; a view in the device_facts form needs its raw bytes (hex or null)")
        if isinstance(value["raw"], Mapping):
            raise WindowsModuleInputError(field + ".raw", "type", "expected hex text or null, got a mapping")
        return supplied_hex(value["raw"], field + ".raw")
    if value is None:
        return None
    if not isinstance(value, str):
        raise WindowsModuleInputError(field, "type", "expected hex text or null, got %s" % type(value).__name__)
    text = value.strip()
    if not _HEX_BYTES.fullmatch(text):
        shown = text if len(text) <= 40 else text[:37] + "..."
        raise WindowsModuleInputError(
            field, "hex", "%r is not hex bytes (pairs of hex digits without separators, as device_facts "
            "reports them)" % shown)
    return text.upper()


def _wow64_view(native: WinHttpView, wow64: WinHttpView, drift: Any) -> Optional[WinHttpView]:
    """The WOW6432Node view, or None for a 32-bit OS.

    device_facts reports the view a 32-bit OS lacks as raw null and leaves it out of ``drift``;
    the drift fact is therefore what tells a 32-bit OS apart from a missing 64-bit value.
    Without drift the view is taken as present; the write's reply corrects that if needed.
    """
    if drift is None:
        return wow64
    if not isinstance(drift, bool):
        raise WindowsModuleInputError(
            SOURCE_SUPPLIED + ".drift", "type", "expected true or false (the drift fact), got %s" % type(drift).__name__)
    if drift == winhttp_drift(native, wow64):
        return wow64
    if not drift and wow64.raw is None:
        return None
    raise WindowsModuleInputError(
        SOURCE_SUPPLIED + ".drift", "inconsistent",
        "is %s, but the native and wow64 bytes given %s; pass the winhttp facts of one device_facts run unchanged"
        % (str(drift).lower(), "differ" if winhttp_drift(native, wow64) else "hold the same setting"))


def guard_topology(desired: Desired, params: Dict[str, Any]) -> list:
    """Refuse a static proxy on a roaming device unless forced (the plan's rule); return warnings."""
    if desired.direct:
        return []
    # Unknown (the default) is warned about only: on its own the module has no facts to go by.
    decision = static_winhttp_decision(params["device_topology"], bool(params["force"]), unknown_refused=False)
    if not decision.allowed:
        raise WindowsModuleInputError("device_topology", "roaming-static-proxy", decision.refusal)
    return [decision.warning] if decision.warning else []


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
        "mutually_exclusive": [("proxy", "source"), ("bypass", "source"), ("current_settings", "source")],
        "required_if": [("state", "present", ("proxy", "source"), True)],
        "required_by": {"bypass": ("proxy",)},
    }

    def decide(self, params: Dict[str, Any], session: TargetSession) -> Outcome:
        desired = desired_from_options(params)
        warnings = guard_topology(desired, params) if desired is not None else []
        settings = params.get("current_settings")
        unreadable = unreadable_supplied_views(settings) if isinstance(settings, Mapping) else []
        if unreadable:
            # Facts that could read no bytes (a value of another kind) say nothing the decision can
            # rest on: a missing value would pass for direct access. The shape is still checked
            # (without the drift fact, which compares bytes), then the host is read instead.
            current_views_from_option({key: value for key, value in settings.items() if key != "drift"})
            warnings.append(UNREADABLE_SUPPLIED_WARNING % ", ".join(unreadable))
            supplied = None
        else:
            supplied = current_views_from_option(settings)
        base_args = forward_options(params, self.argument_spec(), _normalised_options(desired, supplied))
        base_args["_registry"] = winhttp_views_option()

        if supplied is not None:
            try:
                return self._settle(session, base_args, desired, supplied, list(warnings))
            except ModuleFailedError as err:
                if err.result.get("rule") != CHANGED_SINCE_READ:
                    raise
            # The facts were stale: decide again from the host's bytes, as without current_settings.
            warnings.append(STALE_WARNING)

        reply = session.call(dict(base_args, _mode="read", _read_ie=desired is None))
        current = CurrentViews.from_reply(reply["raw"])
        if desired is None:
            desired, ie_warnings = desired_from_ie(current.raw.get("ie_proxy"))
            warnings = ie_warnings + guard_topology(desired, params)
        return self._settle(session, base_args, desired, current, warnings)

    def _settle(self, session: TargetSession, base_args: Dict[str, Any], desired: Desired,
                current: CurrentViews, warnings: list) -> Outcome:
        """Compare the current views with the desired setting; write (guarded) when they differ."""
        native, wow64, raw = current.native, current.wow64, current.raw
        check = current.codec_check
        warnings = warnings + codec_warning(check)
        wanted = desired.view()
        set_native = views_differ(native, wanted)
        mirror = wow64 is not None and (set_native or views_differ(wow64, wanted))
        changed = set_native or mirror

        after_native, after_wow64 = native, wow64
        if changed and session.check_mode:
            after_native = wanted if set_native else native
            after_wow64 = wanted if mirror else wow64
        elif changed:
            for name in ("native", "wow64"):
                value = current.restore_value(name)
                if value is not None and value.get("kind") in UNRESTORABLE_KINDS:
                    raise OutcomeError(
                        "the %s WinHttpSettings value has a registry kind .NET cannot write back, so a failed write could "
                        "not be undone; nothing was changed. Remove or fix the value (it is not the REG_BINARY WinHTTP "
                        "writes) and run the task again" % ("WOW6432Node" if name == "wow64" else "native"))
            applied = session.call(dict(
                base_args,
                _mode="apply",
                _expected_native_hex=current.guard("native"),
                _expected_wow64_hex=current.guard("wow64") if wow64 else "",
                _set_native=set_native,
                _access_type="no_proxy" if desired.direct else "named_proxy",
                _proxy="" if desired.direct else desired.server.winhttp_string(),
                _bypass="" if desired.direct else desired.bypass.winhttp_string(),
                _mirror_wow64=mirror,
            ))
            written = applied["raw"]
            is64 = bool(written["is_64bit_os"])
            if raw is None:
                # Supplied views: the write's reply is the first word from the host, and its reading
                # from before the write is the first chance to check the codec against the API.
                raw = dict(written)
                check = cross_check_with_api(*views_with_api(
                    written.get("native_before"), written.get("wow64_before") if is64 else None, is64,
                    written.get("api_before"), written.get("api_view")), written.get("api_before"), written.get("api_view"))[2]
                warnings = warnings + codec_warning(check)
            else:
                raw.update(native_after=written["native_after"], wow64_after=written["wow64_after"],
                           api_after=written.get("api_after"), api_view=written.get("api_view"))
            if not is64 and wow64 is not None:
                # Supplied views without the drift fact cannot tell a 32-bit OS; it has no view to mirror.
                wow64 = None
                changed = set_native
            after_native, after_wow64 = views_with_api(raw["native_after"], raw["wow64_after"] if is64 else None, is64,
                                                       raw.get("api_after"), raw.get("api_view"))
            if set_native and raw.get("api_view") in (None, "native"):
                # The API's own reading decides whether the write held, whatever the bytes look like.
                by_api = WinHttpView.from_api(raw.get("api_after"), after_native.raw)
                if by_api is not None:
                    same_bytes = after_wow64 is not None and after_wow64.raw == after_native.raw
                    after_native = by_api
                    after_wow64 = by_api if same_bytes else after_wow64
            self._verify_or_restore(session, base_args, desired, current, after_native, after_wow64)

        drift = winhttp_drift(native, wow64)
        if drift:
            warnings.append(DRIFT_WARNING % (wow64.netsh(), native.netsh()))
        return Outcome(
            changed=changed,
            before={"native": native.to_dict(), "wow64": wow64.to_dict() if wow64 else None},
            after={"native": after_native.to_dict(), "wow64": after_wow64.to_dict() if after_wow64 else None},
            diff_before=diff_text(native, wow64),
            diff_after=diff_text(after_native, after_wow64),
            extra={"drift": drift, "netsh": desired.netsh(), "raw": raw, "before_source": current.source,
                   "codec_check": check},
            warnings=warnings,
        )

    @staticmethod
    def _verify_or_restore(session: TargetSession, base_args: Dict[str, Any], desired: Desired, current: CurrentViews,
                           after_native: WinHttpView, after_wow64: Optional[WinHttpView]) -> None:
        wrong = [name for name, view in (("native", after_native), ("WOW6432Node", after_wow64))
                 if view is not None and views_differ(view, desired.view())]
        if not wrong:
            return
        session.call(dict(base_args, _mode="restore", _restore_native=current.restore_value("native"),
                          _restore_wow64=current.restore_value("wow64") if current.wow64 is not None else None))
        raise OutcomeError(
            "WinHttpSettings of the %s view did not hold the requested setting after the write (%s); the previous "
            "values were restored" % (" and ".join(wrong), desired.netsh()))


def _normalised_options(desired: Optional[Desired], supplied: Optional[CurrentViews]) -> Dict[str, Any]:
    options: Dict[str, Any] = {"current_settings": supplied.to_option() if supplied else None}
    if desired is not None and not desired.direct:
        options.update(proxy=desired.server.winhttp_string(), bypass=list(desired.bypass.entries) or None)
    return options
