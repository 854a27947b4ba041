# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How a probe leaves this host: proxy URLs with credentials, and the environment's proxy variables."""

from __future__ import annotations

import ipaddress
from typing import Any, List, Mapping, Optional, Tuple
from urllib.parse import unquote

from ansible_collections.purview.device_proxy.plugins.module_utils.probe_model import ENVIRONMENT, Credentials, Hop, ProbeConfigError, ProbeTarget
from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import ProxyAddressError, ProxyEndpoint, parse_endpoint

# --- proxy resolution: environment and PAC ---------------------------------------------------

def split_proxy_url(value, field_name):
    # type: (Any, str) -> Tuple[ProxyEndpoint, Optional[Credentials]]
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


def proxy_url_secrets(value):
    # type: (Any) -> List[str]
    """The secret texts of ``scheme://user:password@host:port`` (the userinfo, raw and decoded, and the
    password), so a caller can mask them wherever the value might be echoed. [] without userinfo."""
    if not isinstance(value, str):
        return []
    text = value.strip()
    scheme_end = text.find("://")
    rest_start = scheme_end + 3 if scheme_end >= 0 else 0
    at = text.rfind("@")
    if at < rest_start:
        return []
    userinfo = text[rest_start:at]
    _user, sep, password = userinfo.partition(":")
    secrets = [userinfo]
    if sep and password:
        secrets.extend((password, unquote(password)))
    return [item for item in dict.fromkeys(secrets) if item]


def _env_value(environ, name):
    # type: (Mapping[str, str], str) -> str
    # Lower case wins, as in curl and requests.
    for key in (name.lower(), name.upper()):
        value = environ.get(key)
        if value:
            return value.strip()
    return ""


def no_proxy_matches(no_proxy, host, port):
    # type: (str, str, int) -> bool
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


def environment_hop(target, environ):
    # type: (ProbeTarget, Mapping[str, str]) -> Optional[Hop]
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


def environment_configured(environ):
    # type: (Mapping[str, str]) -> bool
    return any(_env_value(environ, name) for name in ("https_proxy", "http_proxy", "all_proxy"))


def validate_environment(environ):
    # type: (Mapping[str, str]) -> None
    """Fail before probing when a proxy variable is not an http://host:port proxy."""
    for name in ("https_proxy", "http_proxy", "all_proxy"):
        value = _env_value(environ, name)
        if value:
            split_proxy_url(value, name)
