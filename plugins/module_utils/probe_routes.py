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


# Query values shorter than this are left out of the no_log list (not out of the shown URL):
# Ansible masks every occurrence of a no_log value, and "1" or "true" would blank out whole reports.
MIN_MASKED_QUERY_VALUE = 6

# Query (and fragment) parameters that carry a credential or a signature, compared case-folded with
# "-" read as "_". Everything else is an ordinary value and is shown as it is: a catalog URL such as
# https://go.microsoft.com/fwlink/?linkid=2164233 must reach reports unchanged.
# Azure Storage SAS (learn.microsoft.com/rest/api/storageservices/create-service-sas, create-account-sas,
# create-user-delegation-sas): only "sig" is secret, the HMAC-SHA256 of the signed fields under the
# account key or the user delegation key; holding it grants the access. The other SAS fields (sv, ss,
# srt, sp, st, se, sip, spr, sr, si, and skoid, sktid, skt, ske, sks, skv of the user delegation key)
# are the signed values: what is granted, until when, by whose key. They carry no key material and are
# what an expired or too narrow SAS is diagnosed from, so they are shown.
SECRET_PARAMETERS = frozenset((
    "sig", "signature", "token", "access_token", "id_token", "refresh_token", "code", "password", "passwd",
    "pwd", "secret", "client_secret", "client_assertion", "assertion", "key", "apikey", "api_key",
    "subscription_key", "access_key", "accesskey", "sharedaccesskey", "auth", "authorization", "session",
    "sessionid", "session_id", "jwt", "sas",
    # AWS SigV4 and Google V4 signed URLs: the signature, the key id with its scope, the session token.
    "x_amz_signature", "x_amz_credential", "x_amz_security_token", "x_goog_signature", "x_goog_credential",
))
_SECRET_SUFFIXES = ("_token", "_secret", "_password", "_signature", "_key", "_credential")


def is_secret_parameter(name: str) -> bool:
    """Whether a query or fragment parameter of this name carries a credential or a signature."""
    key = unquote_plus(name).strip().lower().replace("-", "_")
    return key in SECRET_PARAMETERS or key.endswith(_SECRET_SUFFIXES)


def _mask_parameters(text: str, secrets: List[str]) -> str:
    """``a=1&sig=x`` -> ``a=1&sig=***``; the secret values (raw and decoded) are added to ``secrets``."""
    pairs = []
    for pair in text.split("&"):
        name, sep, item = pair.partition("=")
        if sep and item and is_secret_parameter(name):
            if len(item) >= MIN_MASKED_QUERY_VALUE:
                secrets.extend((item, unquote_plus(item)))
            item = "***"
        pairs.append(name + sep + item)
    return "&".join(pairs)


def mask_url(value: Any) -> Tuple[str, List[str]]:
    """The one masking of URLs: the URL to show, and the secret texts it carries.

    Secrets are the userinfo (``***@``; raw, and its password raw and decoded) and the values of
    query or fragment parameters that carry credentials or signatures (:func:`is_secret_parameter`).
    Nothing else is changed. The secret texts are for Ansible's no_log masking, which hides them
    wherever they might be echoed.
    """
    text = value if isinstance(value, str) else str(value)
    secrets = []  # type: List[str]
    start, end = _authority_bounds(text)
    at = text.rfind("@", start, end)
    if at >= 0:
        userinfo = text[start:at]
        _user, sep, password = userinfo.partition(":")
        secrets.append(userinfo)
        if sep and password:
            secrets.extend((password, unquote(password)))
        text = text[:start] + "***" + text[at:]
        start, end = _authority_bounds(text)
    rest, hash_mark, fragment = text[end:].partition("#")
    path, question, query = rest.partition("?")
    shown = text[:end] + path + question + _mask_parameters(query, secrets) + hash_mark + _mask_parameters(fragment, secrets)
    return shown, [item for item in dict.fromkeys(secrets) if item]


def url_secrets(value: Any) -> List[str]:
    """The secret texts of a URL (see :func:`mask_url`); [] for a URL without any, or for a non-text value."""
    if not isinstance(value, str):
        return []
    return mask_url(value.strip())[1]


def proxy_url_secrets(value: Any) -> List[str]:
    """The secret texts of ``scheme://user:password@host:port`` (see :func:`mask_url`)."""
    return url_secrets(value)


def redact_url(value: Any) -> str:
    """The URL for messages, with its secrets replaced by ``***`` (see :func:`mask_url`)."""
    return mask_url(value)[0]


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
