# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The two sides of a winhttp_proxy decision: the setting asked for and the views it starts from.

:class:`RequestedSetting` is what the task asks for; :class:`CurrentViews` are both registry views
of ``WinHttpSettings`` as the host reported them (with WinHTTP's own API reading cross-checking the
codec, :func:`cross_check_with_api`) or as the task supplied them from the facts of the same run.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, Mapping, Optional, Tuple

from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import ProxyServer
from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_bypass import BypassList
from ansible_collections.purview.device_proxy.plugins.plugin_utils.winhttp_view import (
    WinHttpView,
    views_differ,
    views_from_supplied_facts,
)

SOURCE_HOST = "host"
SOURCE_SUPPLIED = "current_settings"


@dataclasses.dataclass(frozen=True)
class RequestedSetting:
    """The WinHTTP setting a task asks for: a proxy server and its bypass list, or direct access (no server)."""

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

    @classmethod
    def from_supplied(cls, value: Any) -> Optional["CurrentViews"]:
        """The views given with current_settings (None when not given); bad input raises InputError naming the key."""
        views = views_from_supplied_facts(value, SOURCE_SUPPLIED)
        return None if views is None else cls(views[0], views[1], SOURCE_SUPPLIED)

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
