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

from typing import Any, Dict, Mapping, Optional, Tuple

from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import parse_proxy_server
from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_bypass import parse_bypass_list
from ansible_collections.purview.device_proxy.plugins.modules.winhttp_proxy import DOCUMENTATION
from ansible_collections.purview.device_proxy.plugins.plugin_utils.registry_locations import winhttp_views_option
from ansible_collections.purview.device_proxy.plugins.plugin_utils.topology import static_winhttp_decision
from ansible_collections.purview.device_proxy.plugins.plugin_utils.task_arguments import TaskInputError
from ansible_collections.purview.device_proxy.plugins.plugin_utils.windows_module import (
    ModuleFailedError,
    Outcome,
    OutcomeError,
    TargetSession,
    WindowsModuleAction,
    forward_options,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.winhttp_proxy_state import (
    CurrentViews,
    RequestedSetting,
    codec_warning,
    cross_check_with_api,
    views_with_api,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.winhttp_view import (
    WinHttpView,
    unreadable_supplied_views,
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
UNREADABLE_SUPPLIED_WARNING = (
    "current_settings: the facts hold no bytes for %s, only an error (such as a value of another registry kind "
    "than REG_BINARY); the task read the host instead")


def desired_from_options(params: Dict[str, Any]) -> Optional[RequestedSetting]:
    """The desired setting from the options, or None when it comes from the target (source=ie)."""
    if params["state"] == "absent":
        for name in ("proxy", "bypass", "source"):
            if params.get(name) is not None:
                raise TaskInputError(name, "absent-takes-no-proxy", "not used with state=absent; remove it")
        return RequestedSetting(server=None)
    if params.get("source") == "ie":
        return None
    server = parse_proxy_server(params["proxy"], field="proxy")
    bypass = parse_bypass_list(";".join(params.get("bypass") or []), field="bypass")
    return RequestedSetting(server=server, bypass=bypass)


def desired_from_ie(ie_proxy: Optional[Dict[str, Any]]) -> Tuple[RequestedSetting, list]:
    """What ``netsh winhttp import proxy source=ie`` would set, and warnings about what it drops."""
    if ie_proxy is None:
        raise OutcomeError("the target did not report the Internet Options proxy that source=ie needs")
    if ie_proxy.get("found") is False:
        # Nothing to import is not the same as "no manual proxy": refuse rather than reset the
        # machine-wide setting to direct access on the strength of a missing profile.
        raise TaskInputError(
            "source", "no-ie-settings",
            "WinHTTP found no Internet Options settings for the connection user, so there is no proxy to "
            "import; give proxy and bypass instead, or connect as a user whose Internet Options hold the proxy")
    warnings = []
    if ie_proxy.get("auto_detect") or ie_proxy.get("auto_config_url"):
        warnings.append(
            "source=ie: automatic detection and configuration scripts of the Internet Options are not "
            "imported (netsh does not import them either); only the manual proxy is")
    if not ie_proxy.get("proxy"):
        return RequestedSetting(server=None), warnings
    server = parse_proxy_server(ie_proxy["proxy"], field="source")
    bypass = parse_bypass_list(ie_proxy.get("proxy_bypass") or "", field="source")
    return RequestedSetting(server=server, bypass=bypass), warnings


UNRESTORABLE_KINDS = ("Unknown",)


def guard_topology(desired: RequestedSetting, params: Dict[str, Any]) -> list:
    """Refuse a static proxy on a roaming device unless forced (the plan's rule); return warnings."""
    if desired.direct:
        return []
    # Unknown (the default) is warned about only: on its own the module has no facts to go by.
    decision = static_winhttp_decision(params["device_topology"], bool(params["force"]), unknown_refused=False)
    if not decision.allowed:
        raise TaskInputError("device_topology", "roaming-static-proxy", decision.refusal)
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
            CurrentViews.from_supplied({key: value for key, value in settings.items() if key != "drift"})
            warnings.append(UNREADABLE_SUPPLIED_WARNING % ", ".join(unreadable))
            supplied = None
        else:
            supplied = CurrentViews.from_supplied(settings)
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

    def _settle(self, session: TargetSession, base_args: Dict[str, Any], desired: RequestedSetting,
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
    def _verify_or_restore(session: TargetSession, base_args: Dict[str, Any], desired: RequestedSetting, current: CurrentViews,
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


def _normalised_options(desired: Optional[RequestedSetting], supplied: Optional[CurrentViews]) -> Dict[str, Any]:
    options: Dict[str, Any] = {"current_settings": supplied.to_option() if supplied else None}
    if desired is not None and not desired.direct:
        options.update(proxy=desired.server.winhttp_string(), bypass=list(desired.bypass.entries) or None)
    return options
