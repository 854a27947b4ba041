# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one model of proxy addresses and proxy bypass lists.

Internal to purview.device_proxy: not a public API, and it may change without notice.

Everything a user writes for a proxy or a bypass list goes through this module before any host
is contacted. It parses, validates and normalises the text and renders it in the forms the
targets need:

* ``TelemetryProxyServer`` (REG_SZ): ``host:port``, no scheme, no spaces.
* ``netsh winhttp set proxy``: ``proxy-server="..."`` and ``bypass-list="..."``; the proxy is
  ``host:port`` or per scheme ``http=a:3128;https=b:8443``.
* a proxy URL (``http://host:port``) and a PAC directive.

Accepted proxy endpoints are ``host:port`` where host is a DNS name (letters, digits, hyphens,
dots; punycode for IDNs), a dotted-quad IPv4 address or a bracketed IPv6 address. The accepted
text never contains whitespace, quotes, control characters, non-ASCII characters or shell/netsh
metacharacters, so every rendering is safe to pass on a command line or write to the registry.

Bypass entries follow the WinHTTP documentation of ``WINHTTP_PROXY_INFO``
(https://learn.microsoft.com/en-us/windows/win32/api/winhttp/ns-winhttp-winhttp_proxy_info):
server names separated by semicolons, ``*`` wildcards, and ``<local>`` for "every name without a
period". That page documents no port in bypass entries, so ``host:port`` entries are rejected.

Rule names carried by ``ProxyAddressError.rule``: type, empty, too-long, no-credentials, non-ascii,
control-character, whitespace, quote, no-path, forbidden-character, no-scheme, unsupported-scheme,
port-required, port-format, port-range, empty-host, empty-label, label-length, hostname-length,
hostname, ipv4, ipv6, ipv6-brackets, empty-part, unknown-scheme, duplicate-scheme, single-endpoint,
mixed-forms, bypass-port, bypass-entry, not-normalised, duplicate-entry.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Tuple

from ansible_collections.purview.device_proxy.plugins.module_utils._input_error import InputError

# Schemes a WinHTTP per-scheme proxy string may name, in the order ansible.windows.win_http_proxy
# and this collection serialise them.
SCHEMES = ("http", "https", "ftp", "socks")

LOCAL = "<local>"

MAX_HOSTNAME = 253
MAX_LABEL = 63

# Longest valid per-scheme string: four ``key=host:port`` parts with 253-character names
# (5+259 + 6+259 + 4+259 + 6+259 + 3 separators = 1060). Anything longer cannot be valid,
# so it is refused before parsing; the cap only bounds work on hostile input.
MAX_PROXY_TEXT = 1100

# No documented WinHTTP limit exists for the bypass list. netsh runs through a command line
# limited to 8191 characters (cmd.exe) and the proxy string may take 1100 of them, so 4096
# leaves room for the rest of the command while still allowing about 150 typical entries.
MAX_BYPASS_TEXT = 4096

# Characters that must never reach a rendering: shell (cmd.exe, PowerShell, POSIX sh), netsh
# argument syntax and URL syntax. Listed so that a message can name the offending character.
_METACHARACTERS = frozenset(";&|<>^%$(){}!,`\\=*~?#+/'\"@")
_QUOTES = frozenset("'\"`")
_HOST_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
_PATTERN_LABEL = re.compile(r"^(?!-)[a-z0-9*-]+(?<!-)$")
_SCHEME_PREFIX = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_DIGITS = re.compile(r"^[0-9]+$")
_VALUE_PREVIEW = 200


def _mask_credentials(text: str) -> str:
    """Hide everything up to the last '@': that is where a user name and password would be."""
    at = text.rfind("@")
    if at < 0:
        return text
    scheme = _SCHEME_PREFIX.match(text)
    prefix = scheme.group(0) if scheme and scheme.end() <= at else ""
    return prefix + "***@" + text[at + 1:]


def _safe_value(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    text = _mask_credentials(text)
    if len(text) > _VALUE_PREVIEW:
        text = text[:_VALUE_PREVIEW] + "..."
    return text


class ProxyAddressError(InputError):
    """Invalid proxy address or bypass list.

    ``field`` is the option name the user wrote (``proxy``, ``bypass``...), ``rule`` a short rule
    name such as ``port-range``, ``value`` the offending text with credentials masked.
    ``str(err)`` is ``"<field>: <message>"``.
    """

    def __init__(self, field: str, rule: str, message: str, value: Any = None) -> None:
        super().__init__(field, rule, message)
        self.value = _safe_value(value) if value is not None else None


def _describe_char(char: str) -> str:
    """A character in a form that is safe and readable in a message."""
    code = ord(char)
    if 32 < code < 127:
        return "'%s'" % char
    if char == " ":
        return "a space"
    return "U+%04X" % code


# ---------------------------------------------------------------------------------------------
# checks shared by every parser
# ---------------------------------------------------------------------------------------------

def _require_text(value: Any, field: str, what: str) -> str:
    if not isinstance(value, str):
        raise ProxyAddressError(field, "type", "%s must be a string, got %s" % (what, type(value).__name__), value)
    return value


def _check_length(text: str, field: str, limit: int, what: str) -> None:
    if len(text) > limit:
        raise ProxyAddressError(
            field, "too-long", "%s is %d characters long; the limit is %d" % (what, len(text), limit), text)


def _check_characters(text: str, field: str, allowed_meta: str = "") -> None:
    """Reject credentials, non-ASCII, control characters, whitespace, quotes and metacharacters.

    Credentials are looked for first so that no later message can echo a password.
    """
    if "@" in text:
        raise ProxyAddressError(
            field, "no-credentials",
            "credentials are not allowed (found 'user@' or 'user:password@'); "
            "the proxy must accept anonymous connections", text)
    for char in text:
        if ord(char) > 127:
            raise ProxyAddressError(
                field, "non-ascii",
                "non-ASCII character %s is not allowed; write internationalised domain names in "
                "punycode (xn--...)" % _describe_char(char), text)
    for char in text:
        code = ord(char)
        if code < 32 or code == 127:
            raise ProxyAddressError(field, "control-character", "control character %s is not allowed" % _describe_char(char), text)
    if " " in text:
        raise ProxyAddressError(field, "whitespace", "spaces are not allowed", text)
    for char in text:
        if char in _QUOTES:
            raise ProxyAddressError(field, "quote", "quote character %s is not allowed" % _describe_char(char), text)
    # Paths, queries and fragments get their own rule; '://' belongs to a scheme, judged later.
    # 'http://host:port/' is how proxy URLs are usually written: a lone trailing slash is no path.
    rest = text[:-1] if "://" in text and text.endswith("/") else text
    for char in rest.replace("://", ""):
        if char in "/?#" and char not in allowed_meta:
            raise ProxyAddressError(
                field, "no-path", "a path, query or fragment (%s) is not allowed; write host:port only" % _describe_char(char), text)
    for char in text:
        if char in _METACHARACTERS and char not in allowed_meta and char not in "/+":
            raise ProxyAddressError(
                field, "forbidden-character", "character %s is not allowed here" % _describe_char(char), text)


# ---------------------------------------------------------------------------------------------
# hosts and ports
# ---------------------------------------------------------------------------------------------

def _parse_port(text: str, field: str, context: str) -> int:
    if text == "":
        raise ProxyAddressError(field, "port-required", "%s has no port; write host:port, e.g. proxy.corp.example:3128" % context, context)
    if text[0] in "+-":
        raise ProxyAddressError(field, "port-format", "port '%s' must be written without a sign" % text, context)
    if not _DIGITS.match(text):
        raise ProxyAddressError(field, "port-format", "port '%s' must contain only the digits 0-9" % text, context)
    if len(text) > 1 and text[0] == "0":
        raise ProxyAddressError(field, "port-format", "port '%s' must be written without leading zeros" % text, context)
    if len(text) > 5 or not 1 <= int(text) <= 65535:
        raise ProxyAddressError(field, "port-range", "port %s is out of range 1-65535" % text, context)
    return int(text)


def _check_ipv4(text: str, field: str) -> str:
    parts = text.split(".")
    if len(parts) != 4:
        raise ProxyAddressError(field, "ipv4", "'%s' is not a valid IPv4 address: it needs four dot-separated numbers" % text, text)
    for part in parts:
        if not _DIGITS.match(part):
            raise ProxyAddressError(field, "ipv4", "'%s' is not a valid IPv4 address" % text, text)
        if len(part) > 1 and part[0] == "0":
            # 010.0.0.1 means 8.0.0.1 to some parsers and 10.0.0.1 to others.
            raise ProxyAddressError(field, "ipv4", "IPv4 address '%s' must be written without leading zeros" % text, text)
        if int(part) > 255:
            raise ProxyAddressError(field, "ipv4", "IPv4 address '%s' has a number above 255" % text, text)
    return text


def _check_ipv6(text: str, field: str) -> str:
    """Return the compressed lower-case form of an IPv6 literal (without brackets)."""
    if "%" in text:
        raise ProxyAddressError(field, "ipv6", "IPv6 zone identifiers ('%') are not allowed", text)
    try:
        address = ipaddress.IPv6Address(text)
    except ValueError:
        raise ProxyAddressError(field, "ipv6", "'%s' is not a valid IPv6 address" % text, text)
    return address.compressed


def _check_labels(labels: List[str], name: str, field: str, label_pattern: Any, what: str) -> None:
    for label in labels:
        if label == "":
            raise ProxyAddressError(field, "empty-label", "%s '%s' has an empty label (two dots in a row or a leading dot)" % (what, name), name)
        if len(label) > MAX_LABEL:
            raise ProxyAddressError(
                field, "label-length", "%s '%s' has a label of %d characters; the limit is %d" % (what, name, len(label), MAX_LABEL), name)
        if not label_pattern.match(label):
            if label.startswith("-") or label.endswith("-"):
                raise ProxyAddressError(field, "hostname", "%s '%s' has a label that starts or ends with '-'" % (what, name), name)
            raise ProxyAddressError(
                field, "hostname", "%s '%s' may contain only letters, digits, hyphens and dots" % (what, name), name)


def _strip_trailing_dot(text: str) -> str:
    # One trailing dot marks an absolute DNS name; WinHTTP compares names as written.
    if text.endswith(".") and not text.endswith(".."):
        return text[:-1]
    return text


def _check_hostname(text: str, field: str) -> str:
    """Return the normal form of a DNS name or IPv4 literal: lower-case, no trailing dot."""
    name = _strip_trailing_dot(text.lower())
    if name == "":
        raise ProxyAddressError(field, "empty-host", "the host name is empty", text)
    if len(name) > MAX_HOSTNAME:
        raise ProxyAddressError(
            field, "hostname-length", "host name is %d characters long; the limit is %d" % (len(name), MAX_HOSTNAME), text)
    labels = name.split(".")
    if all(_DIGITS.match(label) for label in labels):
        return _check_ipv4(name, field)
    _check_labels(labels, name, field, _HOST_LABEL, "host name")
    if _DIGITS.match(labels[-1]):
        # An all-numeric last label reads as a broken IPv4 address (RFC 3696 section 2).
        raise ProxyAddressError(field, "hostname", "host name '%s' must not end in an all-numeric label" % name, text)
    return name


def _normalise_host(text: str, field: str) -> str:
    if text.startswith("[") and text.endswith("]"):
        return _check_ipv6(text[1:-1], field)
    if "[" in text or "]" in text:
        raise ProxyAddressError(field, "ipv6", "brackets are only allowed around a whole IPv6 address, e.g. [2001:db8::1]", text)
    if ":" in text:
        raise ProxyAddressError(
            field, "ipv6-brackets", "IPv6 address '%s' must be written in brackets, e.g. [%s]:8080" % (text, text), text)
    return _check_hostname(text, field)


def _split_host_port(text: str, field: str) -> Tuple[str, str]:
    if text.startswith("["):
        close = text.find("]")
        if close < 0:
            raise ProxyAddressError(field, "ipv6", "'[' has no matching ']' in '%s'" % text, text)
        rest = text[close + 1:]
        if rest == "":
            raise ProxyAddressError(field, "port-required", "'%s' has no port; write [address]:port, e.g. [2001:db8::1]:8080" % text, text)
        if not rest.startswith(":"):
            raise ProxyAddressError(field, "ipv6", "only ':port' may follow the IPv6 address in '%s'" % text, text)
        return text[:close + 1], rest[1:]
    colons = text.count(":")
    if colons == 0:
        raise ProxyAddressError(field, "port-required", "'%s' has no port; write host:port, e.g. proxy.corp.example:3128" % text, text)
    if colons > 1:
        raise ProxyAddressError(
            field, "ipv6-brackets",
            "'%s' looks like a bare IPv6 address; write it in brackets with a port, e.g. [2001:db8::1]:8080" % text, text)
    host, port = text.split(":")
    return host, port


# ---------------------------------------------------------------------------------------------
# proxy endpoints and servers
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ProxyEndpoint:
    """One proxy: a normalised host (no brackets for IPv6) and a port."""

    host: str
    port: int

    def __post_init__(self) -> None:
        # Direct construction must obey the same rules as parsing, so every instance renders safely.
        if not isinstance(self.port, int) or isinstance(self.port, bool) or not 1 <= self.port <= 65535:
            raise ProxyAddressError("proxy", "port-range", "port %r is out of range 1-65535" % (self.port,), self.port)
        host = _require_text(self.host, "proxy", "the host")
        normal = _check_ipv6(host, "proxy") if ":" in host else _check_hostname(host, "proxy")
        if normal != host:
            raise ProxyAddressError("proxy", "not-normalised", "host '%s' is not in normal form (expected '%s')" % (host, normal), host)

    @property
    def is_ipv6(self) -> bool:
        return ":" in self.host

    def host_port(self) -> str:
        if self.is_ipv6:
            return "[%s]:%d" % (self.host, self.port)
        return "%s:%d" % (self.host, self.port)

    def url(self, scheme: str = "http") -> str:
        if not isinstance(scheme, str) or not re.match(r"^[a-z][a-z0-9+.-]*$", scheme):
            raise ProxyAddressError("scheme", "scheme", "URL scheme %r must be lower-case letters, digits, '+', '.' or '-'" % (scheme,), scheme)
        return "%s://%s" % (scheme, self.host_port())

    def pac_directive(self) -> str:
        return "PROXY %s" % self.host_port()


@dataclass(frozen=True)
class ProxyServer:
    """What WinHTTP calls the proxy server: one endpoint for every scheme, or per-scheme endpoints."""

    default: Optional[ProxyEndpoint]
    per_scheme: Tuple[Tuple[str, ProxyEndpoint], ...] = ()

    def __post_init__(self) -> None:
        if (self.default is None) == (not self.per_scheme):
            raise ProxyAddressError("proxy", "single-endpoint", "a proxy server is either one endpoint or per-scheme endpoints, not both or neither")
        keys = [key for key, _endpoint in self.per_scheme]
        if any(key not in SCHEMES for key in keys) or keys != sorted(keys, key=SCHEMES.index) or len(set(keys)) != len(keys):
            raise ProxyAddressError("proxy", "unknown-scheme", "per-scheme keys must be distinct and among %s, in that order" % ", ".join(SCHEMES))

    def winhttp_string(self) -> str:
        if self.default is not None:
            return self.default.host_port()
        return ";".join("%s=%s" % (key, endpoint.host_port()) for key, endpoint in self.per_scheme)

    def endpoint_for(self, scheme: str) -> Optional[ProxyEndpoint]:
        """The endpoint a request of this scheme uses; None means WinHTTP connects directly."""
        if self.default is not None:
            return self.default
        wanted = scheme.lower() if isinstance(scheme, str) else scheme
        for key, endpoint in self.per_scheme:
            if key == wanted:
                return endpoint
        return None


def parse_endpoint(value: Any, field: str = "proxy", allow_scheme: bool = False) -> ProxyEndpoint:
    """Parse ``host:port`` or ``[v6]:port``; with ``allow_scheme`` an ``http://`` prefix is dropped."""
    if isinstance(value, ProxyEndpoint):
        return value
    text = _require_text(value, field, "the proxy")
    if text == "":
        raise ProxyAddressError(field, "empty", "the proxy is empty; write host:port, e.g. proxy.corp.example:3128", text)
    _check_length(text, field, MAX_PROXY_TEXT, "the proxy")
    _check_characters(text, field, allowed_meta="")
    return _parse_endpoint_text(text, field, allow_scheme)


def _strip_scheme(text: str, field: str, allow_scheme: bool) -> str:
    scheme = _SCHEME_PREFIX.match(text)
    if scheme is None:
        if "://" in text:
            raise ProxyAddressError(field, "no-scheme", "'%s' has a malformed scheme prefix" % text, text)
        return text
    name = scheme.group(1).lower()
    if not allow_scheme:
        raise ProxyAddressError(field, "no-scheme", "a scheme ('%s://') is not allowed here; write host:port only" % name, text)
    if name != "http":
        # WinHTTP talks plain HTTP to the proxy (CONNECT for https targets); no other proxy scheme works.
        raise ProxyAddressError(field, "unsupported-scheme", "only the 'http://' scheme is accepted, not '%s://'" % name, text)
    rest = text[scheme.end():]
    # 'http://host:port/' is how proxy URLs are usually written; a lone trailing slash is no path.
    return rest[:-1] if rest.endswith("/") and rest.count("/") == 1 else rest


def _parse_endpoint_text(text: str, field: str, allow_scheme: bool) -> ProxyEndpoint:
    rest = _strip_scheme(text, field, allow_scheme)
    for char in "/?#":
        if char in rest:
            raise ProxyAddressError(field, "no-path", "a path, query or fragment (%s) is not allowed; write host:port only" % _describe_char(char), text)
    if rest == "":
        raise ProxyAddressError(field, "empty-host", "'%s' has no host" % text, text)
    host_text, port_text = _split_host_port(rest, field)
    if host_text == "":
        raise ProxyAddressError(field, "empty-host", "'%s' has no host before the port" % text, text)
    port = _parse_port(port_text, field, rest)
    host = _normalise_host(host_text, field)
    return ProxyEndpoint(host, port)


def _parse_scheme_key(key: str, field: str, seen: Dict[str, Any]) -> str:
    if key == "":
        raise ProxyAddressError(field, "empty-part", "a per-scheme entry has no scheme before '='", key)
    name = key.lower()
    if name not in SCHEMES:
        raise ProxyAddressError(field, "unknown-scheme", "unknown scheme '%s'; use one of %s" % (key, ", ".join(SCHEMES)), key)
    if name in seen:
        raise ProxyAddressError(field, "duplicate-scheme", "scheme '%s' is given more than once" % name, key)
    return name


def _server_from_pairs(pairs: Iterable[Tuple[str, Any]], field: str) -> ProxyServer:
    found: Dict[str, ProxyEndpoint] = {}
    for key, endpoint_text in pairs:
        name = _parse_scheme_key(key, field, found)
        if endpoint_text is None or endpoint_text == "":
            raise ProxyAddressError(field, "empty-part", "scheme '%s' has no proxy after it; write %s=host:port" % (name, name), name)
        if isinstance(endpoint_text, ProxyEndpoint):
            found[name] = endpoint_text
            continue
        text = _require_text(endpoint_text, field, "the proxy for '%s'" % name)
        _check_characters(text, field)
        found[name] = _parse_endpoint_text(text, field, allow_scheme=False)
    if not found:
        raise ProxyAddressError(field, "empty", "the proxy is empty", "")
    ordered = tuple((name, found[name]) for name in SCHEMES if name in found)
    return ProxyServer(default=None, per_scheme=ordered)


def parse_proxy_server(value: Any, field: str = "proxy") -> ProxyServer:
    """Parse a single ``host:port``, a per-scheme ``http=a:3128;https=b:8443`` or a dict."""
    if isinstance(value, ProxyServer):
        return value
    if isinstance(value, ProxyEndpoint):
        return ProxyServer(default=value)
    if isinstance(value, dict):
        for key in value:
            _require_text(key, field, "a scheme key")
        return _server_from_pairs(value.items(), field)
    text = _require_text(value, field, "the proxy")
    if text == "":
        raise ProxyAddressError(field, "empty", "the proxy is empty; write host:port, e.g. proxy.corp.example:3128", text)
    _check_length(text, field, MAX_PROXY_TEXT, "the proxy")
    _check_characters(text, field, allowed_meta=";=")
    parts = text.split(";")
    if any(part == "" for part in parts):
        raise ProxyAddressError(field, "empty-part", "'%s' has an empty part (';' at the start or end, or ';;')" % text, text)
    keyed = ["=" in part for part in parts]
    if not any(keyed):
        if len(parts) > 1:
            raise ProxyAddressError(
                field, "single-endpoint",
                "several proxies without scheme keys are not supported; write one host:port or http=host:port;https=host:port", text)
        return ProxyServer(default=_parse_endpoint_text(text, field, allow_scheme=False))
    if not all(keyed):
        raise ProxyAddressError(
            field, "mixed-forms", "'%s' mixes host:port with scheme=host:port parts; give every part a scheme" % text, text)
    pairs = []
    for part in parts:
        if part.count("=") > 1:
            raise ProxyAddressError(field, "forbidden-character", "part '%s' has more than one '='" % part, text)
        key, endpoint_text = part.split("=")
        pairs.append((key, endpoint_text))
    return _server_from_pairs(pairs, field)


def telemetry_proxy_server_value(value: Any, field: str = "proxy") -> str:
    """The exact REG_SZ for ``TelemetryProxyServer``: ``host:port``, no scheme.

    Per-scheme forms are refused: Microsoft documents only ``<name-or-ip>:<port>`` for this value.
    Whether the sensor accepts a bracketed IPv6 literal is undocumented; it is rendered as
    ``[address]:port`` like everywhere else.
    """
    server = parse_proxy_server(value, field)
    if server.default is None:
        raise ProxyAddressError(
            field, "single-endpoint",
            "TelemetryProxyServer takes one host:port; per-scheme values (%s) are not supported there" % server.winhttp_string(),
            server.winhttp_string())
    return server.default.host_port()


# ---------------------------------------------------------------------------------------------
# bypass lists
# ---------------------------------------------------------------------------------------------

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


def netsh_set_proxy_args(server: ProxyServer, bypass: BypassList) -> List[str]:
    """``netsh`` arguments for the setting, used to show changes in netsh's own terms."""
    args = ["winhttp", "set", "proxy", 'proxy-server="%s"' % server.winhttp_string()]
    if bypass is not None and bypass.entries:
        args.append('bypass-list="%s"' % bypass.winhttp_string())
    return args
