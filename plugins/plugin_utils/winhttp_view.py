# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one model of a WinHTTP default-proxy setting as one registry view holds it.

Windows keeps the system-wide WinHTTP proxy twice on 64-bit systems: the native
``WinHttpSettings`` value (64-bit processes) and the WOW6432Node copy (32-bit processes). Every
part of the collection that looks at those copies uses :class:`WinHttpView`:

* ``device_facts`` decodes what the host reported (:meth:`WinHttpView.from_hex`) and reports drift;
* the plan reads the facts, or a CMDB export of them (:meth:`WinHttpView.from_facts`);
* ``winhttp_proxy`` takes the facts of the same run instead of reading the host
  (:func:`views_from_supplied_facts`, which requires the bytes);
* ``winhttp_proxy`` compares what was read with what the task asks for (:meth:`WinHttpView.proxy_setting`).

Whether two copies hold the same setting is answered by :func:`views_differ` alone. The comparison
is semantic, as WinHTTP reads the value: the proxy and bypass lists are split on semicolons *or
whitespace* (the separators ``WINHTTP_PROXY_INFO`` documents,
https://learn.microsoft.com/en-us/windows/win32/api/winhttp/ns-winhttp-winhttp_proxy_info), host
names are compared without regard to case, and proxy addresses in normal form
(``proxy_address``). So ``<local>;*.corp`` and ``<local>; *.corp`` are the same setting: WinHTTP
bypasses the same hosts for both, and rewriting one copy would change nothing a process sees.
The order of bypass entries is kept in the comparison (reordering is a change the user asked for),
and a value that cannot be decoded equals only the same bytes.
"""

from __future__ import annotations

import dataclasses
import re
from functools import lru_cache
from typing import Any, Dict, Mapping, Optional, Tuple, Type

from ansible_collections.purview.device_proxy.plugins.module_utils._input_error import InputError
from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import (
    ProxyAddressError,
    parse_proxy_server,
)
from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_bypass import parse_bypass_list
from ansible_collections.purview.device_proxy.plugins.module_utils.winhttp_settings import (
    FLAG_DIRECT,
    FLAG_PROXY,
    WinHttpSettings,
    WinHttpSettingsError,
    decode_hex,
)

# RawRegistry's kind names (.NET RegistryValueKind) and the REG_* names administrators know.
REGISTRY_KIND_NAMES = {
    "String": "REG_SZ", "ExpandString": "REG_EXPAND_SZ", "MultiString": "REG_MULTI_SZ", "DWord": "REG_DWORD",
    "QWord": "REG_QWORD", "Binary": "REG_BINARY", "None": "REG_NONE", "Unknown": "an unsupported kind",
}
# The kinds .NET calls Unknown, by their REG_* number (winnt.h), as RawRegistry reports it in ``reg_type``.
REG_TYPE_NAMES = {5: "REG_DWORD_BIG_ENDIAN", 6: "REG_LINK", 8: "REG_RESOURCE_LIST", 9: "REG_FULL_RESOURCE_DESCRIPTOR",
                  10: "REG_RESOURCE_REQUIREMENTS_LIST"}


def kind_words(value: Mapping[str, Any]) -> str:
    """The REG_* name of a reported ``{kind, data[, reg_type]}`` value, as specific as the report allows."""
    kind = str(value.get("kind"))
    reg_type = value.get("reg_type")
    if kind == "Unknown" and isinstance(reg_type, int) and not isinstance(reg_type, bool):
        return REG_TYPE_NAMES.get(reg_type, "a kind numbered %d" % reg_type)
    return REGISTRY_KIND_NAMES.get(kind, kind)


# WINHTTP_PROXY_INFO: both lists are "separated by semicolons or whitespace".
_LIST_SEPARATORS = re.compile(r"[;\s]+")


def _list_items(text: str) -> Tuple[str, ...]:
    return tuple(item for item in _LIST_SEPARATORS.split(text) if item)


# A fleet shares a handful of settings; decoding and normalising each once keeps a 10,000-host plan cheap.
@lru_cache(maxsize=1024)
def proxy_key(text: str) -> str:
    """A proxy string in normal form; text the address model refuses is compared case-folded."""
    items = _list_items(text)
    try:
        return parse_proxy_server(";".join(items)).winhttp_string()
    except ProxyAddressError:
        return ";".join(item.lower() for item in items)


@lru_cache(maxsize=1024)
def bypass_key(text: str) -> Tuple[str, ...]:
    """Bypass entries in normal form and their order; entries the model refuses are case-folded."""
    items = _list_items(text)
    try:
        return parse_bypass_list(list(items)).entries
    except ProxyAddressError:
        return tuple(dict.fromkeys(item.lower() for item in items))


@dataclasses.dataclass(frozen=True)
class WinHttpView:
    """One registry view's ``WinHttpSettings``.

    ``raw`` is the upper-case hex as read (None when the value does not exist or only its decoded
    form is known), ``settings`` the decoded value, ``error`` why it cannot be decoded. ``known``
    is False when the facts do not report the view at all. ``name`` labels the view in messages
    and is not part of the comparison. A missing value means direct access, as for WinHTTP.
    """

    raw: Optional[str] = None
    settings: Optional[WinHttpSettings] = None
    error: Optional[str] = None
    known: bool = True
    name: str = ""
    # A value of another registry kind than REG_BINARY: its kind and data as read (raw stays None).
    wrong_kind: Optional[Tuple[str, str]] = None

    # -- construction ----------------------------------------------------------------------

    @classmethod
    def from_hex(cls, raw: Optional[str], name: str = "") -> "WinHttpView":
        """A view from the bytes the target reports (upper-case hex, None when missing)."""
        if raw is None:
            return cls(name=name)
        settings, error = _decoded(raw)
        return cls(raw=raw, settings=settings, error=error, name=name)

    @classmethod
    def from_reported(cls, value: Any, name: str = "") -> "WinHttpView":
        """A view from what the target reports: hex for a binary value, ``{kind, data}`` for any
        other kind, None when missing. Another kind is reported as such, never decoded as hex:
        WinHTTP reads only a REG_BINARY ``WinHttpSettings``."""
        if value is None or isinstance(value, str):
            return cls.from_hex(value, name)
        if not isinstance(value, Mapping) or not isinstance(value.get("kind"), str):
            return cls(error=f"the target reported {type(value).__name__} instead of hex or {{kind, data}}",
                       name=name, wrong_kind=("?", repr(value)))
        kind = value["kind"]
        if kind == "Binary":
            return cls.from_hex(str(value.get("data") or "").upper(), name)
        data = value.get("data")
        shown = repr(data) if len(repr(data)) <= 60 else repr(data)[:57] + "..."
        return cls(error=f"WinHttpSettings is a {kind_words(value)} value, not REG_BINARY "
                         f"(data {shown}); the WinHTTP proxy is stored as REG_BINARY",
                   name=name, wrong_kind=(kind, repr(data)))

    @classmethod
    def from_api(cls, reading: Any, raw: Optional[str] = None, name: str = "") -> Optional["WinHttpView"]:
        """The view WinHTTP itself reports (``WinHttpGetDefaultProxyConfiguration``), keeping the
        registry bytes ``raw`` beside it; None when the API was not read or could not be read.

        ``reading`` is ``{access_type, proxy, bypass, error}`` as winhttp_proxy.ps1 reports it.
        """
        if not isinstance(reading, Mapping) or reading.get("error") or not reading.get("access_type"):
            return None
        access = reading["access_type"]
        if access in ("no_proxy", "default_proxy"):
            return cls(raw=raw, settings=WinHttpSettings.direct(), name=name)
        if access == "named_proxy" and reading.get("proxy"):
            return cls(raw=raw, settings=WinHttpSettings.named_proxy(str(reading["proxy"]), str(reading.get("bypass") or "")),
                       name=name)
        return cls(raw=raw, error=f"the WinHTTP API reports access type {access} with proxy {reading.get('proxy')!r}",
                   name=name)

    @classmethod
    def unknown(cls, name: str = "") -> "WinHttpView":
        return cls(known=False, name=name)

    @classmethod
    def proxy_setting(cls, proxy: str, bypass: str = "", name: str = "") -> "WinHttpView":
        """The view a named proxy produces (bytes not known yet); an empty proxy is direct access."""
        if not proxy:
            return cls(settings=WinHttpSettings.direct(), name=name)
        return cls(settings=WinHttpSettings.named_proxy(proxy, bypass), name=name)

    @classmethod
    def from_facts(cls, view: Any, field: str, name: str = "") -> "WinHttpView":
        """A view from the device_facts form ``{raw, decoded, error}``, or a CMDB export of it.

        None means the facts do not report the view. The raw bytes, when given, are decoded with
        the one codec; a ``decoded`` mapping alone is taken as it is. Bad shapes raise
        :class:`InputError` naming ``field``.
        """
        if view is None:
            return cls.unknown(name)
        if not isinstance(view, Mapping):
            raise InputError(field, "type", f"must be a mapping, got {type(view).__name__}")
        if view.get("error"):
            return cls(raw=_text_or_none(view.get("raw")), error=str(view["error"]), name=name)
        if view.get("raw"):
            return cls.from_hex(str(view["raw"]).upper(), name)
        decoded = view.get("decoded")
        if decoded is None:
            return cls(name=name)
        if not isinstance(decoded, Mapping):
            raise InputError(f"{field}.decoded", "type", f"must be a mapping, got {type(decoded).__name__}")
        proxy = str(decoded.get("proxy") or "")
        uses_proxy = decoded.get("uses_proxy")
        if uses_proxy is None:
            flags = _flags(decoded.get("flags"), f"{field}.decoded.flags")
        else:
            flags = FLAG_DIRECT | FLAG_PROXY if uses_proxy else FLAG_DIRECT
        settings = WinHttpSettings(flags=flags, proxy=proxy, bypass=str(decoded.get("bypass") or ""),
                                   autoconfig_url=decoded.get("autoconfig_url") or None)
        return cls(settings=settings, name=name)

    # -- reading ---------------------------------------------------------------------------

    @property
    def effective(self) -> Optional[WinHttpSettings]:
        """The settings WinHTTP works with; None when unknown or undecodable."""
        if not self.known or self.error is not None:
            return None
        return self.settings or WinHttpSettings.direct()

    @property
    def uses_proxy(self) -> bool:
        settings = self.effective
        return bool(settings and settings.uses_proxy)

    @property
    def proxy(self) -> str:
        """The proxy text as stored (kept even when the flags say direct access)."""
        settings = self.effective
        return settings.proxy if settings else ""

    @property
    def bypass(self) -> str:
        settings = self.effective
        return settings.bypass if settings else ""

    def routes_traffic(self) -> bool:
        """Holds a proxy, or cannot be read (either may send traffic somewhere)."""
        return self.known and (self.uses_proxy or self.error is not None)

    def key(self) -> Tuple[Any, ...]:
        """The semantic comparison key (see the module documentation)."""
        if not self.known:
            return ("unknown",)
        settings = self.effective
        if settings is None:
            return ("undecodable", (self.raw or "").upper(), self.wrong_kind)
        if not settings.uses_proxy:
            return ("direct", settings.autoconfig_url)
        return ("proxy", proxy_key(settings.proxy), bypass_key(settings.bypass), settings.autoconfig_url)

    # -- rendering -------------------------------------------------------------------------

    def describe(self) -> str:
        """The setting in words, as stored."""
        if not self.known:
            return "not reported"
        if self.error:
            return f"unreadable ({self.error})"
        if not self.uses_proxy:
            return "direct access"
        return f"proxy {self.proxy}" + (f" bypass {self.bypass}" if self.bypass else "")

    def netsh(self) -> str:
        """The netsh command that produces this setting (as stored, even if it would not validate today)."""
        if not self.known:
            return "# WinHttpSettings not reported"
        if self.error is not None:
            return f"# WinHttpSettings cannot be decoded: {self.error}"
        if not self.uses_proxy:
            return "netsh winhttp reset proxy"
        text = f'netsh winhttp set proxy proxy-server="{self.proxy}"'
        if self.bypass:
            text += f' bypass-list="{self.bypass}"'
        return text

    def to_dict(self) -> Dict[str, Any]:
        """The before/after form winhttp_proxy returns."""
        settings = self.effective
        return {
            "raw": self.raw,
            "uses_proxy": self.uses_proxy,
            "proxy": settings.proxy if settings else None,
            "bypass": settings.bypass if settings else None,
            "error": self.error,
        }

    def to_facts(self) -> Dict[str, Any]:
        """The form device_facts reports: raw, decoded (as stored, null when missing) and error."""
        return {
            "raw": self.raw,
            "decoded": self.settings.to_dict() if self.settings else None,
            "error": self.error,
        }

    def to_plan(self) -> Dict[str, Any]:
        """The form a plan shows as the current state of a view."""
        return {"known": self.known, "uses_proxy": self.uses_proxy, "proxy": self.proxy or None,
                "bypass": self.bypass or None, "error": self.error}


def views_differ(first: WinHttpView, second: WinHttpView) -> bool:
    """Whether two views hold different settings; a view the facts do not report differs from nothing."""
    if not (first.known and second.known):
        return False
    return first.key() != second.key()


def winhttp_drift(native: WinHttpView, wow64: Optional[WinHttpView]) -> bool:
    """Whether the native and WOW6432Node copies differ (never on a 32-bit OS, which has one copy)."""
    return wow64 is not None and views_differ(native, wow64)


@lru_cache(maxsize=1024)
def _decoded(raw: str) -> Tuple[Optional[WinHttpSettings], Optional[str]]:
    try:
        return decode_hex(raw), None
    except WinHttpSettingsError as err:
        return None, str(err)


def _text_or_none(value: Any) -> Optional[str]:
    return None if value in (None, "") else str(value)


def optional_int(value: Any, field: str, error: Type[InputError] = InputError) -> Optional[int]:
    """An integer fact as facts carry it (int, bool or digits), None when absent; anything else
    raises ``error`` naming ``field``."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise error(field, "type", f"must be an integer or null, got {value!r}")


def _flags(value: Any, field: str) -> int:
    flags = optional_int(value, field)
    return 0 if flags is None else flags


# -- the winhttp facts a task supplies -------------------------------------------------------
# winhttp_proxy's current_settings: the facts of this run, whose bytes stand in for a read of the
# host, so unlike WinHttpView.from_facts a view must carry its bytes (or be known missing).

_SETTINGS_KEYS = ("native", "wow64", "drift")
_FACT_VIEW_KEYS = ("raw", "decoded", "error")
_HEX_BYTES = re.compile(r"(?:[0-9A-Fa-f]{2})*")


def views_from_supplied_facts(value: Any, field: str) -> Optional[Tuple[WinHttpView, Optional[WinHttpView]]]:
    """Both views from the winhttp facts a task supplies (``{native, wow64, drift}``), bytes required.

    None when nothing is supplied; the WOW6432Node view is None for a 32-bit OS. Bad input raises
    :class:`InputError` naming the key under ``field``.
    """
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InputError(field, "type", "expected a mapping with native and wow64, got %s" % type(value).__name__)
    unknown = sorted(str(key) for key in value if key not in _SETTINGS_KEYS)
    if unknown:
        raise InputError(
            "%s.%s" % (field, unknown[0]), "unknown-key",
            "not a key of %s, which holds native, wow64 and optionally drift "
            "(the mapping ansible_facts.purview_device_proxy.winhttp)" % field)
    for name in ("native", "wow64"):
        if name not in value:
            raise InputError(
                "%s.%s" % (field, name), "required",
                "missing; give the WinHttpSettings bytes of the view as hex, or null when the value does not exist")
    native = WinHttpView.from_hex(supplied_hex(value["native"], field + ".native"))
    wow64 = WinHttpView.from_hex(supplied_hex(value["wow64"], field + ".wow64"))
    return native, _wow64_view(native, wow64, value.get("drift"), field + ".drift")


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
            raise InputError(
                "%s.%s" % (field, unknown[0]), "unknown-key",
                "not a key of a WinHTTP view in the device_facts form {raw, decoded, error}")
        if "raw" not in value:
            raise InputError(
                field + ".raw", "required", "missing; a view in the device_facts form needs its raw bytes (hex or null)")
        if isinstance(value["raw"], Mapping):
            raise InputError(field + ".raw", "type", "expected hex text or null, got a mapping")
        return supplied_hex(value["raw"], field + ".raw")
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(field, "type", "expected hex text or null, got %s" % type(value).__name__)
    text = value.strip()
    if not _HEX_BYTES.fullmatch(text):
        shown = text if len(text) <= 40 else text[:37] + "..."
        raise InputError(
            field, "hex", "%r is not hex bytes (pairs of hex digits without separators, as device_facts "
            "reports them)" % shown)
    return text.upper()


def _wow64_view(native: WinHttpView, wow64: WinHttpView, drift: Any, field: str) -> Optional[WinHttpView]:
    """The WOW6432Node view, or None for a 32-bit OS.

    device_facts reports the view a 32-bit OS lacks as raw null and leaves it out of ``drift``;
    the drift fact is therefore what tells a 32-bit OS apart from a missing 64-bit value.
    Without drift the view is taken as present; the write's reply corrects that if needed.
    """
    if drift is None:
        return wow64
    if not isinstance(drift, bool):
        raise InputError(field, "type", "expected true or false (the drift fact), got %s" % type(drift).__name__)
    if drift == winhttp_drift(native, wow64):
        return wow64
    if not drift and wow64.raw is None:
        return None
    raise InputError(
        field, "inconsistent",
        "is %s, but the native and wow64 bytes given %s; pass the winhttp facts of one device_facts run unchanged"
        % (str(drift).lower(), "differ" if winhttp_drift(native, wow64) else "hold the same setting"))
