# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Defender Antivirus proxy values, validated and rendered before any host is contacted.

Defender Antivirus (cloud protection, MAPS) has its own proxy settings under
``HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Defender``, in a different format from the
sensor's ``TelemetryProxyServer``
(https://learn.microsoft.com/en-us/defender-endpoint/configure-proxy-internet,
https://learn.microsoft.com/en-us/defender-endpoint/configure-network-connections-microsoft-defender-antivirus):

* ``ProxyServer``: a URL **with** scheme, ``http://host:port`` or ``https://host:port``;
* ``ProxyPacUrl``: the URL of a proxy auto-config file;
* ``ProxyBypass``: addresses that bypass the proxy;
* ``Spynet\\SSLOptions`` (REG_DWORD 0-3): 3 (the default) keeps certificate pinning and revocation
  checks, 2 turns off revocation checks, 1 pinning, 0 both.

Host names, addresses, ports and bypass entries go through the collection's one proxy address
model (``module_utils/proxy_address.py``); this module adds only what is specific to Defender
Antivirus: the scheme, the PAC URL's path, and the registry text.
"""

from __future__ import annotations

import re
from typing import Any, List, Optional

from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import (
    ProxyAddressError,
    parse_endpoint,
)
from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_bypass import parse_bypass_list

SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}
# Internet Explorer's and WinINet's URL limit; a PAC URL is far shorter in practice.
MAX_URL = 2048

SSL_OPTIONS_MEANING = {
    0: "turns off both certificate pinning and certificate revocation checks",
    1: "turns off certificate pinning",
    2: "turns off certificate revocation checks only",
    3: "keeps certificate pinning and revocation checks on (the default)",
}
# The documented trade-off, said once for the module, the plan and the docs.
SSL_OPTIONS_TRADE_OFF = (
    "Microsoft's proxy page recommends SSLOptions 2 for otherwise offline devices behind a static proxy, while the "
    "streamlined URL page says 0; both weaken security (2 turns off certificate revocation checks, 0 also turns off "
    "certificate pinning), 2 less than 0. Prefer giving the operating system a route to the certificate revocation "
    "lists (a system-wide WinHTTP proxy, or PreferStaticProxyForHttpRequest for the sensor)")

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
# RFC 3986 path, query and fragment characters, without the quotes and the characters that
# need quoting in a command line or a .reg file.
_PATH_CHARACTER = re.compile(r"^[A-Za-z0-9\-._~/%=&?+,:;#!*()]*$")
_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _text(value: Any, field: str, what: str) -> str:
    if not isinstance(value, str):
        raise ProxyAddressError(field, "type", "%s must be a string, got %s" % (what, type(value).__name__), value)
    return value


def _scheme(text: str, field: str, example: str) -> tuple:
    match = _SCHEME.match(text)
    if match is None:
        raise ProxyAddressError(field, "scheme-required",
                                "Defender Antivirus needs a URL with a scheme here, e.g. %s" % example, text)
    scheme = match.group(1).lower()
    if scheme not in SCHEMES:
        raise ProxyAddressError(field, "unsupported-scheme",
                                "only http:// and https:// are documented for Defender Antivirus, not %s://" % scheme, text)
    return scheme, text[match.end():]


def proxy_server_value(value: Any, field: str = "proxy_server") -> str:
    """``ProxyServer``: ``http://host:port`` or ``https://host:port``, host and port normalised."""
    text = _text(value, field, "the proxy")
    if text == "":
        raise ProxyAddressError(field, "empty", "the proxy is empty; write http://host:port", text)
    scheme, rest = _scheme(text, field, "http://proxy.corp.example:3128")
    if rest.endswith("/") and rest.count("/") == 1:
        rest = rest[:-1]
    endpoint = parse_endpoint(rest, field)
    return endpoint.url(scheme)


def proxy_server_from_host_port(value: Any, field: str = "proxy") -> str:
    """The ``ProxyServer`` form of the sensor's ``host:port`` proxy (plain HTTP to the proxy)."""
    return parse_endpoint(value, field).url("http")


def pac_url_value(value: Any, field: str = "proxy_pac_url") -> str:
    """``ProxyPacUrl``: an http(s) URL whose host goes through the address model; path kept as written."""
    text = _text(value, field, "the PAC URL")
    if text == "":
        raise ProxyAddressError(field, "empty", "the PAC URL is empty", text)
    if len(text) > MAX_URL:
        raise ProxyAddressError(field, "too-long", "the PAC URL is %d characters long; the limit is %d" % (len(text), MAX_URL), text)
    scheme, rest = _scheme(text, field, "http://wpad.corp.example/proxy.pac")
    cut = min([rest.index(char) for char in "/?#" if char in rest] or [len(rest)])
    authority, path = rest[:cut], rest[cut:]
    if "@" in authority:
        raise ProxyAddressError(field, "no-credentials", "credentials are not allowed in the PAC URL", text)
    if authority == "":
        raise ProxyAddressError(field, "empty-host", "the PAC URL has no host", text)
    bracketed = authority.startswith("[")
    has_port = (authority.rfind(":") > authority.rfind("]")) if bracketed else (":" in authority)
    endpoint = parse_endpoint(authority if has_port else "%s:%d" % (authority, DEFAULT_PORTS[scheme]), field)
    if not _PATH_CHARACTER.match(path):
        bad = next(char for char in path if not _PATH_CHARACTER.match(char))
        raise ProxyAddressError(field, "forbidden-character",
                                "character %r is not allowed in the PAC URL path; percent-encode it" % bad, text)
    if _PERCENT.search(path):
        raise ProxyAddressError(field, "percent-encoding", "'%' must be followed by two hex digits", text)
    host = endpoint.host_port() if has_port else ("[%s]" % endpoint.host if endpoint.is_ipv6 else endpoint.host)
    return "%s://%s%s" % (scheme, host, path)


def bypass_entries(value: Any, field: str = "proxy_bypass") -> List[str]:
    """The bypass entries, normalised by the address model (host names, wildcards, addresses)."""
    if isinstance(value, str):
        raise ProxyAddressError(field, "type", "give the bypass entries as a list", value)
    return list(parse_bypass_list(value, field).entries)


def bypass_value(entries: List[str]) -> Optional[str]:
    """``ProxyBypass`` as written to the registry: the entries joined with ``;`` (None when empty)."""
    return ";".join(entries) if entries else None


def ssl_options_warning(value: int) -> Optional[str]:
    """The warning for an SSLOptions value that weakens the cloud connection's TLS checks."""
    if value == 3:
        return None
    return "SSLOptions %d %s for Defender Antivirus's cloud connection. %s" % (value, SSL_OPTIONS_MEANING[value], SSL_OPTIONS_TRADE_OFF)
