# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How a probe leaves this host: proxy URLs with credentials, and the environment's proxy variables."""

from __future__ import annotations

from typing import Any, List, Mapping, Optional, Tuple
from urllib.parse import unquote, unquote_plus

from ansible_collections.purview.device_proxy.plugins.module_utils.probe_model import ENVIRONMENT, Credentials, Hop, ProbeConfigError, ProbeTarget
from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import ProxyAddressError, ProxyEndpoint, parse_endpoint

# --- proxy resolution: environment and PAC ---------------------------------------------------


def split_proxy_url(value: Any, field_name: str) -> Tuple[ProxyEndpoint, Optional[Credentials]]:
    """``http://user:pass@host:port`` -> endpoint and credentials (credentials kept out of errors)."""
    if not isinstance(value, str):
        raise ProbeConfigError(field_name, "type", "the proxy must be text")
    text = value.strip()
    credentials = None
    scheme_end = text.find("://")
    rest_start = scheme_end + 3 if scheme_end >= 0 else 0
    at = text.rfind("@")
    if at >= rest_start:
        userinfo = text[rest_start:at]
        user, _sep, password = userinfo.partition(":")
        credentials = Credentials(unquote(user), unquote(password))
        text = text[:rest_start] + text[at + 1:]
    try:
        endpoint = parse_endpoint(text, field=field_name, allow_scheme=True)
    except ProxyAddressError as exc:
        raise ProbeConfigError(field_name, exc.rule, exc.message)
    return endpoint, credentials


def _authority_bounds(text: str) -> Tuple[int, int]:
    """Where the authority (``user:pass@host:port``) of a URL, or of a bare ``host:port``, starts and ends."""
    scheme_end = text.find("://")
    start = scheme_end + 3 if scheme_end >= 0 else 0
    ends = [position for position in (text.find(mark, start) for mark in "/?#") if position >= 0]
    return start, min(ends) if ends else len(text)


# Query values shorter than this are left out of the masking list (not out of redact_url):
# Ansible masks every occurrence of a no_log value, and "1" or "true" would blank out whole reports.
MIN_MASKED_QUERY_VALUE = 6


def url_secrets(value: Any) -> List[str]:
    """The secret texts of a URL, so a caller can mask them wherever the value might be echoed.

    The userinfo (raw, and its password raw and decoded) and the values of the query string
    (a PAC URL often carries an access token there). [] for a URL without either.
    """
    if not isinstance(value, str):
        return []
    text = value.strip()
    start, end = _authority_bounds(text)
    secrets = []  # type: List[str]
    at = text.rfind("@", start, end)
    if at >= 0:
        userinfo = text[start:at]
        _user, sep, password = userinfo.partition(":")
        secrets.append(userinfo)
        if sep and password:
            secrets.extend((password, unquote(password)))
    query_start = text.find("?", end)
    if query_start >= 0:
        query = text[query_start + 1:].split("#", 1)[0]
        for pair in query.split("&"):
            _name, _sep, item = pair.partition("=")
            if len(item) >= MIN_MASKED_QUERY_VALUE:
                secrets.extend((item, unquote_plus(item)))
    return [item for item in dict.fromkeys(secrets) if item]


def proxy_url_secrets(value: Any) -> List[str]:
    """The secret texts of ``scheme://user:password@host:port`` (see :func:`url_secrets`)."""
    return url_secrets(value)


def redact_url(value: str) -> str:
    """The URL for messages: userinfo replaced by ``***`` and every query value by ``***``."""
    text = value if isinstance(value, str) else str(value)
    start, end = _authority_bounds(text)
    at = text.rfind("@", start, end)
    if at >= 0:
        text = text[:start] + "***" + text[at:]
        start, end = _authority_bounds(text)
    query_start = text.find("?", end)
    if query_start >= 0:
        query, hash_mark, fragment = text[query_start + 1:].partition("#")
        pairs = []
        for pair in query.split("&"):
            name, sep, item = pair.partition("=")
            pairs.append(name + sep + ("***" if item else ""))
        text = text[:query_start + 1] + "&".join(pairs) + hash_mark + ("***" if fragment else "")
    return text


def _env_value(environ: Mapping[str, str], name: str) -> str:
    # Lower case wins, as in curl and requests.
    for key in (name.lower(), name.upper()):
        value = environ.get(key)
        if value:
            return value.strip()
    return ""


def no_proxy_matches(no_proxy: str, host: str, port: int) -> bool:
    """curl/requests semantics: comma-separated names (suffix match), ``*``, IPs and CIDR blocks."""
    import ipaddress

    host = host.lower().strip("[]")
    for raw in no_proxy.replace(" ", "").split(","):
        entry = raw.lower()
        if not entry:
            continue
        if entry == "*":
            return True
        entry_port = None
        if entry.count(":") == 1 and not entry.startswith("["):
            entry, _sep, port_text = entry.partition(":")
            entry_port = int(port_text) if port_text.isdigit() else None
        entry = entry.strip("[]")
        if entry_port is not None and entry_port != port:
            continue
        try:
            network = ipaddress.ip_network(entry, strict=False)
            try:
                if ipaddress.ip_address(host) in network:
                    return True
            except ValueError:
                pass
            continue
        except ValueError:
            pass
        name = entry.lstrip(".")
        if host == name or host.endswith("." + name):
            return True
    return False


def environment_hop(target: ProbeTarget, environ: Mapping[str, str]) -> Optional[Hop]:
    """The hop the environment chooses for a target; None when no proxy variable is set at all."""
    names = ("https_proxy", "all_proxy") if target.scheme == "https" else ("http_proxy", "all_proxy")
    configured = any(_env_value(environ, name) for name in ("https_proxy", "http_proxy", "all_proxy"))
    if not configured:
        return None
    no_proxy = _env_value(environ, "no_proxy")
    if no_proxy and no_proxy_matches(no_proxy, target.host, target.port):
        return Hop(ENVIRONMENT, None, None, "no_proxy matches the host: direct")
    for name in names:
        value = _env_value(environ, name)
        if value:
            endpoint, credentials = split_proxy_url(value, name)
            return Hop(ENVIRONMENT, endpoint, credentials, "from %s" % name)
    return Hop(ENVIRONMENT, None, None, "no proxy variable for %s: direct" % target.scheme)


def environment_configured(environ: Mapping[str, str]) -> bool:
    return any(_env_value(environ, name) for name in ("https_proxy", "http_proxy", "all_proxy"))


def validate_environment(environ: Mapping[str, str]) -> None:
    """Fail before probing when a proxy variable is not an http://host:port proxy."""
    for name in ("https_proxy", "http_proxy", "all_proxy"):
        value = _env_value(environ, name)
        if value:
            split_proxy_url(value, name)
