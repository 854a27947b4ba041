# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Codec for the ``WinHttpSettings`` registry value (the WinHTTP default proxy).

Internal to purview.device_proxy: not a public API, and it may change without notice.

Microsoft does not document the layout. What is known (all integers u32 little-endian,
strings single-byte ASCII, length-prefixed, not NUL-terminated):

====== ==== =====================================================================
offset size field
====== ==== =====================================================================
0x00   4    version word: 0x18 (KB 4494447 sample, Wine ``WINHTTP_SETTINGS_MAGIC``)
            or 0x28 (vbfox/proxyconf ``WINHTTP_VERSION``)
0x04   4    second word (a counter; 0 in every published sample)
0x08   4    flags: 0x1 direct, 0x2 named proxy
0x0C   4+N  proxy string
...    4+M  bypass list (``;``-separated)
...    4+K  optional autoconfig URL (written by some PowerShell scripts only)
...    rest unknown trailing data, kept as read (see below)
====== ==== =====================================================================

Bytes after the bypass list that are not a length-prefixed ASCII string, and bytes after the
autoconfig URL, are kept whole in ``trailing`` instead of refused: a newer Windows may append
fields this codec does not know, and refusing them made every run rewrite and then fail. Encoding
writes them back unchanged, so decode then encode returns the bytes read.

Lengths are 32-bit: some scripts read them as one byte and break on strings longer
than 255 characters. The WinINet ``DefaultConnectionSettings`` format (version 0x46
or 0x3C) looks similar but is a different value and is rejected here.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

FLAG_DIRECT = 0x1
FLAG_PROXY = 0x2
VERSION_KB = 0x18
VERSION_ALT = 0x28
KNOWN_VERSIONS = (VERSION_KB, VERSION_ALT)
WININET_VERSIONS = (0x46, 0x3C)
MIN_SIZE = 20
U32_MAX = 0xFFFFFFFF

_U32 = struct.Struct("<I")
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
# Separators that Windows tools print between bytes: spaces and line breaks, commas and
# backslash continuations (regedit .reg exports, win_regedit's "hex:be,ef"), dashes
# ([BitConverter]::ToString). reg.exe prints the bytes without separators.
_HEX_GROUP = re.compile(r"[^\s,\\-]+")


class WinHttpSettingsError(ValueError):
    """Truncated or inconsistent WinHttpSettings bytes, or settings that cannot be encoded.

    ``offset`` is the byte offset in the value where the problem is (for ``decode_hex``
    text errors, the character index in the text); ``reason`` names the field and the rule;
    ``field`` is the field name alone (or None).
    """

    def __init__(self, offset: int, reason: str, field: Optional[str] = None) -> None:
        self.offset = offset
        self.reason = reason
        self.field = field
        super().__init__("WinHttpSettings offset %d: %s" % (offset, reason))


@dataclass(frozen=True)
class WinHttpSettings:
    """The decoded value. ``flags`` is kept whole: bits other than 0x1/0x2 survive a round trip."""

    version: int = VERSION_KB
    counter: int = 0
    flags: int = FLAG_DIRECT
    proxy: str = ""
    bypass: str = ""
    autoconfig_url: Optional[str] = None
    trailing: bytes = b""

    @property
    def uses_proxy(self) -> bool:
        return bool(self.flags & FLAG_PROXY) and self.proxy != ""

    @classmethod
    def direct(cls, version: int = VERSION_KB) -> "WinHttpSettings":
        return cls(version=version, flags=FLAG_DIRECT)

    @classmethod
    def named_proxy(cls, proxy: str, bypass: str = "", version: int = VERSION_KB) -> "WinHttpSettings":
        # Flags 3 (direct | proxy) is what vbfox/proxyconf's captured sample holds (docs/reference/device-settings.md#winhttpsettings-vectors, W3).
        if not proxy:
            raise WinHttpSettingsError(0x0C, "proxy: a named proxy needs a non-empty proxy string", "proxy")
        return cls(version=version, flags=FLAG_DIRECT | FLAG_PROXY, proxy=proxy, bypass=bypass)

    def to_dict(self) -> Dict[str, Any]:
        """The mapping reported in facts (``winhttp.native.decoded``)."""
        return {
            "version": self.version,
            "counter": self.counter,
            "flags": self.flags,
            "proxy": self.proxy,
            "bypass": self.bypass,
            "autoconfig_url": self.autoconfig_url,
            "uses_proxy": self.uses_proxy,
            "trailing": self.trailing.hex().upper(),
        }


def _read_u32(data: bytes, offset: int, field: str) -> int:
    left = len(data) - offset
    if left < 4:
        raise WinHttpSettingsError(offset, "%s: needs 4 bytes, only %d left" % (field, left), field)
    return _U32.unpack_from(data, offset)[0]


def _read_string(data: bytes, offset: int, field: str) -> Tuple[str, int]:
    """Read a u32 length and that many ASCII bytes; return the text and the next offset."""
    length = _read_u32(data, offset, field)
    start = offset + 4
    left = len(data) - start
    if length > left:
        raise WinHttpSettingsError(
            offset, "%s: length %d runs past the end of the data (%d bytes left)" % (field, length, left), field)
    raw = data[start:start + length]
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError as exc:
        raise WinHttpSettingsError(
            start + exc.start, "%s: byte 0x%02X is not ASCII" % (field, raw[exc.start]), field) from None
    return text, start + length


def _check_version(version: int, offset: int) -> None:
    if version in KNOWN_VERSIONS:
        return
    hint = ""
    if version in WININET_VERSIONS:
        hint = " (0x%X is the WinINet DefaultConnectionSettings format, a different value)" % version
    raise WinHttpSettingsError(
        offset, "version: unknown version word 0x%X, expected 0x18 or 0x28%s" % (version, hint), "version")


def decode(data: bytes) -> WinHttpSettings:
    """Decode WinHttpSettings bytes. Raises WinHttpSettingsError, never anything else."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise WinHttpSettingsError(0, "data: expected bytes, got %s" % type(data).__name__, "data")
    data = bytes(data)
    size_error = WinHttpSettingsError(
        len(data), "size: %d bytes is under the %d-byte minimum" % (len(data), MIN_SIZE), "size")
    if len(data) < 4:
        raise size_error
    # The version is checked before the size so that a short WinINet header says what it is.
    version = _read_u32(data, 0, "version")
    _check_version(version, 0)
    if len(data) < MIN_SIZE:
        raise size_error
    counter = _read_u32(data, 4, "counter")
    # Flag bits other than 0x1/0x2 are kept as read, not rejected or cleared: Wine's reader
    # (ValveSoftware/wine dlls/winhttp/session.c) looks only at 0x2 and ignores the rest, and
    # 0x4/0x8 are WinINet's PAC/auto-detect bits that a newer writer might set. Keeping them
    # means writing a value back never changes bits this codec does not understand.
    flags = _read_u32(data, 8, "flags")
    proxy, offset = _read_string(data, 0x0C, "proxy")
    bypass, offset = _read_string(data, offset, "bypass")
    autoconfig_url = None
    if len(data) - offset >= 4:
        try:
            autoconfig_url, offset = _read_string(data, offset, "autoconfig_url")
        except WinHttpSettingsError:
            # Not a length-prefixed ASCII string: unknown data, kept whole below.
            autoconfig_url = None
    return WinHttpSettings(
        version=version,
        counter=counter,
        flags=flags,
        proxy=proxy,
        bypass=bypass,
        autoconfig_url=autoconfig_url,
        trailing=data[offset:],
    )


def _u32_field(value: object, field: str, offset: int) -> bytes:
    if isinstance(value, bool) or not isinstance(value, int):
        raise WinHttpSettingsError(offset, "%s: expected an integer, got %s" % (field, type(value).__name__), field)
    if not 0 <= value <= U32_MAX:
        raise WinHttpSettingsError(offset, "%s: %d is outside the u32 range 0-4294967295" % (field, value), field)
    return _U32.pack(value)


def _string_field(value: object, field: str, offset: int) -> bytes:
    if not isinstance(value, str):
        raise WinHttpSettingsError(offset, "%s: expected a string, got %s" % (field, type(value).__name__), field)
    try:
        raw = value.encode("ascii")
    except UnicodeEncodeError as exc:
        raise WinHttpSettingsError(
            offset + 4 + exc.start,
            "%s: character %r at index %d is not ASCII" % (field, value[exc.start], exc.start), field) from None
    return _u32_field(len(raw), field + " length", offset) + raw


def encode(settings: WinHttpSettings) -> bytes:
    """Encode settings as WinHttpSettings bytes; invalid settings raise WinHttpSettingsError."""
    if not isinstance(settings, WinHttpSettings):
        raise WinHttpSettingsError(
            0, "settings: expected WinHttpSettings, got %s" % type(settings).__name__, "settings")
    out = _u32_field(settings.version, "version", 0)
    _check_version(settings.version, 0)
    out += _u32_field(settings.counter, "counter", 4)
    out += _u32_field(settings.flags, "flags", 8)
    out += _string_field(settings.proxy, "proxy", len(out))
    out += _string_field(settings.bypass, "bypass", len(out))
    if settings.autoconfig_url is not None:
        out += _string_field(settings.autoconfig_url, "autoconfig_url", len(out))
    if not isinstance(settings.trailing, (bytes, bytearray)):
        raise WinHttpSettingsError(
            len(out), "trailing: expected bytes, got %s" % type(settings.trailing).__name__, "trailing")
    return out + bytes(settings.trailing)


def decode_hex(text: str) -> WinHttpSettings:
    """Decode hex text: any case, optional "hex:" prefix, bytes optionally separated by
    whitespace, commas, dashes or backslash line continuations (as Windows tools print them).

    Each separated group must hold whole bytes (an even number of hex digits).
    """
    if not isinstance(text, str):
        raise WinHttpSettingsError(0, "hex: expected a string, got %s" % type(text).__name__, "hex")
    start = len(text) - len(text.lstrip())
    if text[start:start + 4].lower() == "hex:":
        start += 4
    groups = []
    for match in _HEX_GROUP.finditer(text, start):
        group = match.group()
        for index, char in enumerate(group):
            if char not in _HEX_DIGITS:
                raise WinHttpSettingsError(
                    match.start() + index, "hex: %r is not a hex digit" % char, "hex")
        if len(group) % 2:
            raise WinHttpSettingsError(
                match.start(), "hex: group %r has an odd number of digits" % group, "hex")
        groups.append(group)
    return decode(bytes.fromhex("".join(groups)))


def encode_hex(settings: WinHttpSettings) -> str:
    """Upper-case hex without separators: the transport form of REG_BINARY values."""
    return encode(settings).hex().upper()


# ---------------------------------------------------------------------------------------------
# WinINet Connections\DefaultConnectionSettings: a different value, read for the facts only.
# ---------------------------------------------------------------------------------------------

WININET_FLAG_DIRECT = 0x1
WININET_FLAG_PROXY = 0x2
WININET_FLAG_AUTO_CONFIG = 0x4
WININET_FLAG_AUTO_DETECT = 0x8
WININET_HEADER = 12


@dataclass(frozen=True)
class ConnectionSettings:
    """A decoded ``DefaultConnectionSettings`` (Internet Options) value.

    Layout (version 0x46 since IE7, 0x3C for IE6): version, change counter and flags (0x1 direct,
    0x2 manual proxy, 0x4 configuration script, 0x8 automatic detection) as u32, then the proxy, the
    bypass list and the configuration script URL as length-prefixed ASCII strings, then padding.
    A value cut after the header (as some tools write it) has empty strings. The strings are kept
    while their flag is off, so ``proxy`` is reported apart from ``proxy_enabled``.
    """

    version: int
    counter: int
    flags: int
    proxy: str = ""
    bypass: str = ""
    autoconfig_url: str = ""
    trailing: int = 0

    def to_dict(self) -> Dict[str, Any]:
        return {
            "version": self.version,
            "counter": self.counter,
            "flags": self.flags,
            "proxy_enabled": bool(self.flags & WININET_FLAG_PROXY),
            "auto_config_enabled": bool(self.flags & WININET_FLAG_AUTO_CONFIG),
            "auto_detect": bool(self.flags & WININET_FLAG_AUTO_DETECT),
            "proxy": self.proxy,
            "bypass": self.bypass,
            "autoconfig_url": self.autoconfig_url,
        }


def decode_connection_settings(data: bytes) -> ConnectionSettings:
    """Decode ``DefaultConnectionSettings`` bytes. Raises WinHttpSettingsError, never anything else."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise WinHttpSettingsError(0, "data: expected bytes, got %s" % type(data).__name__, "data")
    data = bytes(data)
    if len(data) < WININET_HEADER:
        raise WinHttpSettingsError(len(data), "size: %d bytes is under the %d-byte header" % (len(data), WININET_HEADER),
                                   "size")
    version = _read_u32(data, 0, "version")
    if version not in WININET_VERSIONS:
        hint = " (0x%X is the WinHttpSettings format)" % version if version in KNOWN_VERSIONS else ""
        raise WinHttpSettingsError(
            0, "version: unknown version word 0x%X, expected 0x46 or 0x3C%s" % (version, hint), "version")
    counter = _read_u32(data, 4, "counter")
    flags = _read_u32(data, 8, "flags")
    strings = []
    offset = WININET_HEADER
    for field in ("proxy", "bypass", "autoconfig_url"):
        if offset == len(data):
            strings.append("")
            continue
        text, offset = _read_string(data, offset, field)
        strings.append(text)
    return ConnectionSettings(version, counter, flags, strings[0], strings[1], strings[2], len(data) - offset)
