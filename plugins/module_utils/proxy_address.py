# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one model of proxy addresses (bypass lists: proxy_bypass, which shares its host rules).

Internal to purview.device_proxy: not a public API, and it may change without notice.

Everything a user writes for a proxy (or, through proxy_bypass, a bypass list) goes through this module before any host
is contacted. It parses, validates and normalises the text and renders it in the forms the
targets need:

* ``TelemetryProxyServer`` (REG_SZ): ``host:port``, no scheme, no spaces.
* ``netsh winhttp set proxy``: ``proxy-server="..."`` (rendered by winhttp_view); the proxy is
  ``host:port`` or per scheme ``http=a:3128;https=b:8443``.
* a proxy URL (``http://host:port``) and a PAC directive.

Accepted proxy endpoints are ``host:port`` where host is a DNS name (letters, digits, hyphens,
dots; punycode for IDNs), a dotted-quad IPv4 address or a bracketed IPv6 address. The accepted
text never contains whitespace, quotes, control characters, non-ASCII characters or shell/netsh
metacharacters, so every rendering is safe to pass on a command line or write to the registry.

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
