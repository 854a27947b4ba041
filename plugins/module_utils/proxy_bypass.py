# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one model of proxy bypass lists (the host and address rules are proxy_address's).

Internal to purview.device_proxy: not a public API, and it may change without notice.

Entries follow the WinHTTP documentation of ``WINHTTP_PROXY_INFO``
(https://learn.microsoft.com/en-us/windows/win32/api/winhttp/ns-winhttp-winhttp_proxy_info):
server names separated by semicolons, ``*`` wildcards, and ``<local>`` for "every name without a
period". That page documents no port in bypass entries, so ``host:port`` entries are rejected.
Errors are :class:`proxy_address.ProxyAddressError`, with the rule names listed there.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any, List, Tuple

from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import (
    _DIGITS,
    _HOST_LABEL,
    _PATTERN_LABEL,
    LOCAL,
    MAX_BYPASS_TEXT,
    MAX_HOSTNAME,
    ProxyAddressError,
    _check_characters,
    _check_ipv4,
    _check_ipv6,
    _check_labels,
    _check_length,
    _require_text,
    _strip_trailing_dot,
)


def _is_ip_pattern(labels: List[str]) -> bool:
    return all(re.match(r"^[0-9*]+$", label) for label in labels) and any(re.search(r"[0-9]", label) for label in labels)


def _check_ipv4_pattern(name: str, labels: List[str], field: str) -> str:
    if len(labels) > 4:
        raise ProxyAddressError(field, "ipv4", "IPv4 pattern '%s' has more than four parts" % name, name)
    if "*" not in name:
        if len(labels) != 4:
            raise ProxyAddressError(
                field, "ipv4", "'%s' is not a complete IPv4 address; use a wildcard for a range, e.g. %s.*" % (name, name), name)
        return _check_ipv4(name, field)
    for label in labels:
        if _DIGITS.match(label):
            if len(label) > 1 and label[0] == "0":
                raise ProxyAddressError(field, "ipv4", "IPv4 pattern '%s' must be written without leading zeros" % name, name)
            if int(label) > 255:
                raise ProxyAddressError(field, "ipv4", "IPv4 pattern '%s' has a number above 255" % name, name)
    return name


def _normalise_bypass_entry(entry: str, field: str, position: int) -> str:
    where = "entry %d ('%s')" % (position, entry)
    lowered = entry.lower()
    if lowered == LOCAL:
        return LOCAL
    if "<" in entry or ">" in entry:
        raise ProxyAddressError(field, "bypass-entry", "%s: '<' and '>' are only allowed in '<local>'" % where, entry)
    if "/" in entry:
        raise ProxyAddressError(
            field, "bypass-entry", "%s: paths and CIDR prefixes are not supported; use a wildcard such as 10.*" % where, entry)
    if entry.startswith("["):
        if not entry.endswith("]"):
            raise ProxyAddressError(
                field, "bypass-port", "%s: a port is not supported in bypass entries (WinHTTP documents none); write the address only" % where, entry)
        return _check_ipv6(entry[1:-1], field)
    colons = entry.count(":")
    if colons == 1:
        raise ProxyAddressError(
            field, "bypass-port", "%s: a port is not supported in bypass entries (WinHTTP documents none); write the host only" % where, entry)
    if colons > 1:
        if "*" in entry:
            raise ProxyAddressError(field, "ipv6", "%s: wildcards are not supported in IPv6 entries" % where, entry)
        return _check_ipv6(entry, field)
    if "[" in entry or "]" in entry:
        raise ProxyAddressError(field, "ipv6", "%s: brackets are only allowed around a whole IPv6 address" % where, entry)
    name = _strip_trailing_dot(lowered)
    if len(name) > MAX_HOSTNAME:
        raise ProxyAddressError(
            field, "hostname-length", "%s is %d characters long; the limit is %d" % (where, len(name), MAX_HOSTNAME), entry)
    labels = name.split(".")
    if name.startswith("."):
        raise ProxyAddressError(
            field, "empty-label", "%s starts with a dot; write '*%s' to match every name under it" % (where, name), entry)
    if _is_ip_pattern(labels):
        return _check_ipv4_pattern(name, labels, field)
    for label in labels:
        pattern = _PATTERN_LABEL if "*" in label else _HOST_LABEL
        _check_labels([label], name, field, pattern, "bypass entry %d" % position)
    return name


def _bypass_items(value: Any, field: str) -> List[str]:
    if value is None:
        return []
    if isinstance(value, str):
        if value == "":
            return []
        _check_length(value, field, MAX_BYPASS_TEXT, "the bypass list")
        _check_characters(value, field, allowed_meta=";*<>/")
        items = value.split(";")
        if any(item == "" for item in items):
            raise ProxyAddressError(
                field, "empty-part", "the bypass list has an empty entry (';' at the start or end, or ';;')", value)
        return items
    if isinstance(value, (list, tuple)):
        items = []
        for position, item in enumerate(value, 1):
            text = _require_text(item, field, "bypass entry %d" % position)
            if text == "":
                raise ProxyAddressError(field, "empty-part", "bypass entry %d is empty" % position, text)
            _check_characters(text, field, allowed_meta="*<>/")
            items.append(text)
        _check_length(";".join(items), field, MAX_BYPASS_TEXT, "the bypass list")
        return items
    raise ProxyAddressError(field, "type", "the bypass list must be a string or a list of strings, got %s" % type(value).__name__, value)


def _glob_regex(pattern: str) -> Any:
    return re.compile("^" + ".*".join(re.escape(part) for part in pattern.split("*")) + "$")


def _normalise_lookup_host(host: str) -> str:
    name = host.strip().lower()
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    if ":" in name:
        try:
            return ipaddress.IPv6Address(name).compressed
        except ValueError:
            return name
    return name[:-1] if name.endswith(".") else name


@dataclass(frozen=True)
class BypassList:
    """A normalised WinHTTP bypass list.

    ``matches`` follows the WinHTTP documentation closely enough for PAC files and probes:

    * ``<local>`` matches a name without a period (``intranet``, ``localhost``); IP literals never
      match it, IPv6 ones included.
    * ``*`` matches any run of characters, dots included; the comparison is case-insensitive and
      covers the whole host, so ``*.corp.example`` does not match ``corp.example`` itself.
    * IP entries (``10.*``, ``192.168.1.10``) are compared as text against the host as written in
      the URL: names are not resolved, and there is no CIDR.

    Not modelled: WinINet extras such as ``<-loopback>`` and scheme- or port-qualified entries
    (refused by the parser), and any implicit bypass a Windows build may add for loopback.
    """

    entries: Tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Direct construction must obey the parser's rules, so renderings stay safe.
        if not isinstance(self.entries, tuple):
            raise ProxyAddressError("bypass", "type", "entries must be a tuple of strings", self.entries)
        for position, entry in enumerate(self.entries, 1):
            text = _require_text(entry, "bypass", "bypass entry %d" % position)
            _check_characters(text, "bypass", allowed_meta="*<>")
            if _normalise_bypass_entry(text, "bypass", position) != text:
                raise ProxyAddressError("bypass", "not-normalised", "bypass entry %d ('%s') is not in normal form" % (position, text), text)
        if len(set(self.entries)) != len(self.entries):
            raise ProxyAddressError("bypass", "duplicate-entry", "bypass entries must be distinct", self.winhttp_string())

    def winhttp_string(self) -> str:
        return ";".join(self.entries)

    def matches(self, host: str) -> bool:
        if not isinstance(host, str) or host.strip() == "":
            return False
        name = _normalise_lookup_host(host)
        is_ip = ":" in name or bool(re.match(r"^[0-9.]+$", name))
        for entry in self.entries:
            if entry == LOCAL:
                if "." not in name and not is_ip:
                    return True
            elif _glob_regex(entry).match(name):
                return True
        return False


def parse_bypass_list(value: Any, field: str = "bypass") -> BypassList:
    """Parse a ``;``-separated string or a list of strings; None and "" give an empty list."""
    if isinstance(value, BypassList):
        return value
    entries: List[str] = []
    for position, item in enumerate(_bypass_items(value, field), 1):
        entry = _normalise_bypass_entry(item, field, position)
        if entry not in entries:
            entries.append(entry)
    return BypassList(tuple(entries))
