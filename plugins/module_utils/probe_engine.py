# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Concurrent service-URL probes and their classification.

A probe sends one HTTP request to one URL over one *route*: directly, through a named proxy,
through the proxy the environment names (``https_proxy``/``http_proxy``/``no_proxy``) or through
the proxy a PAC file chooses. What happened on the wire is recorded as an :class:`Observation`
(raw facts, no judgement); :func:`classify` turns it into one category. The classification,
the per-requirement summary and the verdict are pure functions.

The transport is a small HTTP/1.1 client on ``socket`` and ``ssl`` rather than ``requests``:
it reads the status a proxy answers to ``CONNECT`` (``requests`` only reports it as message
text), reads the certificate that was presented, and spends one time budget across name
resolution, connect, TLS and the response. TLS verification is never switched off: a probe
succeeds only over a verified connection. When verification fails, one more connection reads
the presented certificate so the report can name its issuer, and reads whether the interceptor
answers a request by itself (a bumping proxy delivers its 403 inside TLS). Through a proxy it
repeats the same CONNECT (with the proxy credentials the first attempt already sent to that
proxy); inside the unverified TLS it sends a bare GET/HEAD without credentials or body, and its
answer never counts as success. Python's ssl gives no certificate after a failed verification
(below 3.13), hence the second connection.

``requests`` and ``pypac`` are needed only for PAC files (download and evaluation).
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import base64
import errno
import queue
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import unquote, urlsplit

from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import (
    ProxyAddressError,
    ProxyEndpoint,
    parse_endpoint,
)
from ansible_collections.purview.device_proxy.plugins.module_utils import analyzer_text

# --- categories ------------------------------------------------------------------------------

REACHABLE = "reachable"
BLOCKED = "blocked"
PROXY_AUTH_REQUIRED = "proxy_auth_required"
TLS_INTERCEPTED = "tls_intercepted"
TLS_ERROR = "tls_error"
DNS_FAILURE = "dns_failure"
CONNECTION_REFUSED = "connection_refused"
NETWORK_UNREACHABLE = "network_unreachable"
TIMEOUT = "timeout"
PROXY_ERROR = "proxy_error"
NOT_RUN = "not_run"
ERROR = "error"

CATEGORIES = (
    REACHABLE, BLOCKED, PROXY_AUTH_REQUIRED, TLS_INTERCEPTED, TLS_ERROR, DNS_FAILURE,
    CONNECTION_REFUSED, NETWORK_UNREACHABLE, TIMEOUT, PROXY_ERROR, NOT_RUN, ERROR,
)

# Why a category matters, in words for the verdict.
CATEGORY_REASONS = {
    REACHABLE: "the service answered",
    BLOCKED: "the proxy refused the destination",
    PROXY_AUTH_REQUIRED: "the proxy demands authentication (anonymous traffic not permitted)",
    TLS_INTERCEPTED: "the TLS certificate was not the service's (TLS inspection)",
    TLS_ERROR: "the TLS handshake failed",
    DNS_FAILURE: "the name did not resolve (no working DNS server or no Internet access)",
    CONNECTION_REFUSED: "the connection was refused",
    NETWORK_UNREACHABLE: "there is no route to the destination (egress blocked or no network)",
    TIMEOUT: "nothing answered within the timeout (traffic dropped or no route)",
    PROXY_ERROR: "the proxy answered with an error",
    NOT_RUN: "the run deadline was reached before the probe started",
    ERROR: "the exchange failed",
}

# The same for failures on the way to the proxy itself.
PROXY_CATEGORY_REASONS = {
    DNS_FAILURE: "the proxy's name did not resolve",
    CONNECTION_REFUSED: "the proxy refused the connection (is it running, is the port right?)",
    NETWORK_UNREACHABLE: "there is no route to the proxy",
    TIMEOUT: "the proxy did not answer in time",
}

# --- routes ----------------------------------------------------------------------------------

DIRECT = "direct"
NAMED = "named"
ENVIRONMENT = "environment"
PAC = "pac"
ROUTES = (DIRECT, NAMED, ENVIRONMENT, PAC)

# The analyzer's method numbers (FACTS.md section 5): on a Linux host the environment proxy is
# the machine's default proxy, the PAC file stands for auto discovery, direct is "proxy disabled".
ROUTE_METHOD = {ENVIRONMENT: 1, PAC: 2, DIRECT: 3, NAMED: 4}

# OpenSSL verification results that mean "this certificate does not chain to the trust store in
# use" (X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, DEPTH_ZERO_SELF_SIGNED_CERT,
# SELF_SIGNED_CERT_IN_CHAIN, UNABLE_TO_GET_ISSUER_CERT_LOCALLY, UNABLE_TO_VERIFY_LEAF_SIGNATURE).
UNTRUSTED_CHAIN_CODES = frozenset((2, 18, 19, 20, 21))

USER_AGENT = "purview.device_proxy-service-url-probe/1"
MAX_HEAD_BYTES = 65536
# An abandoned probe (stuck in name resolution, which has no timeout) is given up this long
# after its own budget; its thread is a daemon and its late result is discarded.
ABANDON_GRACE = 0.5


class ProbeConfigError(ValueError):
    """Invalid probe input. ``field`` names the option, ``rule`` the rule it broke."""

    def __init__(self, field_name, rule, message):
        # type: (str, str, str) -> None
        self.field = field_name
        self.rule = rule
        self.message = message
        super(ProbeConfigError, self).__init__("%s: %s" % (field_name, message))

    def __str__(self):
        return "%s: %s" % (self.field, self.message)


class MissingLibraryError(RuntimeError):
    """A Python library an optional feature needs is not installed on the probing host."""


# --- input model -----------------------------------------------------------------------------

@dataclass(frozen=True)
class ProbeTarget:
    """One URL to test, as the catalog's probe list describes it."""

    url: str
    scheme: str
    host: str
    port: int
    path: str
    channel: str = ""
    expected_status: Tuple[int, ...] = ()
    no_pinning: bool = False
    method: str = "GET"

    @property
    def authority(self):
        # type: () -> str
        host = "[%s]" % self.host if ":" in self.host else self.host
        return "%s:%d" % (host, self.port)

    @property
    def host_header(self):
        # type: () -> str
        default = 443 if self.scheme == "https" else 80
        if self.port == default:
            return "[%s]" % self.host if ":" in self.host else self.host
        return self.authority


@dataclass(frozen=True)
class Credentials:
    """Proxy credentials (Basic). Never rendered into results or messages."""

    username: str
    password: str = field(repr=False)

    def header_value(self):
        # type: () -> str
        token = ("%s:%s" % (self.username, self.password)).encode("utf-8")
        return "Basic " + base64.b64encode(token).decode("ascii")


@dataclass(frozen=True)
class Hop:
    """How one probe leaves this host: directly (``proxy`` None) or through one proxy."""

    route: str
    proxy: Optional[ProxyEndpoint] = None
    credentials: Optional[Credentials] = None
    note: str = ""


@dataclass(frozen=True)
class TlsPolicy:
    """What counts as the service's certificate."""

    ca_file: Optional[str] = None
    ca_dir: Optional[str] = None
    # Substrings of the issuer a pinned service presents; empty means "any issuer the trust
    # store accepts".
    expected_issuers: Tuple[str, ...] = ()


def _target_from_url(url, field_name):
    # type: (Any, str) -> Tuple[str, str, int, str]
    if not isinstance(url, str) or not url.strip():
        raise ProbeConfigError(field_name, "url-required", "each entry needs a non-empty url")
    text = url.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ProbeConfigError(field_name, "url-syntax", "'%s' is not a valid URL (%s)" % (text, exc))
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ProbeConfigError(field_name, "url-scheme", "'%s' must start with http:// or https://" % text)
    host = (parts.hostname or "").lower()
    if not host or "*" in host:
        raise ProbeConfigError(field_name, "url-host", "'%s' needs a concrete host name (no wildcard)" % text)
    if parts.username is not None or parts.password is not None:
        raise ProbeConfigError(field_name, "url-credentials", "'%s' must not carry credentials" % parts.hostname)
    if port is None:
        port = 443 if scheme == "https" else 80
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return scheme, host, port, path


def _expected_statuses(value, field_name):
    # type: (Any, str) -> Tuple[int, ...]
    if value is None or value == "":
        return ()
    items = value if isinstance(value, (list, tuple)) else [value]
    codes = []
    for item in items:
        try:
            code = int(item)
        except (TypeError, ValueError):
            raise ProbeConfigError(field_name, "status", "expected_status %r is not an HTTP status code" % (item,))
        if not 100 <= code <= 599:
            raise ProbeConfigError(field_name, "status", "expected_status %d is outside 100-599" % code)
        codes.append(code)
    return tuple(codes)


def make_target(item, field_name="urls"):
    # type: (Any, str) -> ProbeTarget
    """A target from a URL string or a catalog probe dict (url, channel, expected_status, no_pinning, method)."""
    if isinstance(item, ProbeTarget):
        return item
    if isinstance(item, str):
        item = {"url": item}
    if not isinstance(item, Mapping):
        raise ProbeConfigError(field_name, "entry-type", "each entry is a URL string or a mapping with a url key, not %s" % type(item).__name__)
    scheme, host, port, path = _target_from_url(item.get("url"), field_name)
    method = str(item.get("method") or "GET").upper()
    if method not in ("GET", "HEAD"):
        raise ProbeConfigError(field_name, "method", "method %r must be GET or HEAD" % (item.get("method"),))
    return ProbeTarget(
        url=item["url"].strip(), scheme=scheme, host=host, port=port, path=path,
        channel=str(item.get("channel") or ""),
        expected_status=_expected_statuses(item.get("expected_status"), field_name),
        no_pinning=bool(item.get("no_pinning", False)),
        method=method,
    )


def make_targets(items, field_name="urls"):
    # type: (Any, str) -> List[ProbeTarget]
    if not isinstance(items, (list, tuple)) or not items:
        raise ProbeConfigError(field_name, "non-empty-list", "give at least one URL")
    targets = []
    seen = set()
    for item in items:
        target = make_target(item, field_name)
        if target.url not in seen:
            seen.add(target.url)
            targets.append(target)
    return targets


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


def parse_pac_result(text, field_name="pac"):
    # type: (Any, str) -> List[Optional[ProxyEndpoint]]
    """``"PROXY a:3128; DIRECT"`` -> [endpoint, None]; None means DIRECT. SOCKS is not supported."""
    if not isinstance(text, str) or not text.strip():
        return [None]
    choices = []  # type: List[Optional[ProxyEndpoint]]
    for part in text.split(";"):
        words = part.split()
        if not words:
            continue
        kind = words[0].upper()
        if kind == "DIRECT":
            choices.append(None)
        elif kind in ("PROXY", "HTTP") and len(words) == 2:
            try:
                choices.append(parse_endpoint(words[1], field=field_name))
            except ProxyAddressError as exc:
                raise ProbeConfigError(field_name, exc.rule, "the PAC file returned '%s': %s" % (part.strip(), exc.message))
        else:
            raise ProbeConfigError(field_name, "pac-directive", "the PAC file returned '%s'; only PROXY host:port and DIRECT are supported" % part.strip())
    return choices or [None]


class PacResolver:
    """Evaluates a PAC script with pypac; one interpreter per thread (the JS engine is not shared)."""

    def __init__(self, script, origin):
        # type: (str, str) -> None
        self.script = script
        self.origin = origin
        self._local = threading.local()
        self._parser_class = _pac_parser_class()
        self._parser()  # a broken script fails here, before any probe

    def _parser(self):
        parser = getattr(self._local, "parser", None)
        if parser is None:
            try:
                parser = self._parser_class(self.script)
            except Exception as exc:  # pypac raises several types for a bad script
                raise ProbeConfigError("pac_url", "pac-script", "the PAC file from %s does not evaluate: %s" % (self.origin, exc))
            self._local.parser = parser
        return parser

    def hop_for(self, target):
        # type: (ProbeTarget) -> Hop
        value = self._parser().find_proxy_for_url(target.url, target.host)
        choices = parse_pac_result(value)
        first = choices[0]
        note = "PAC returned %s" % ("DIRECT" if first is None else "PROXY " + first.host_port())
        return Hop(PAC, first, None, note)


def _pac_parser_class():
    try:
        from pypac.parser import PACFile  # pylint: disable=import-outside-toplevel
    except ImportError as exc:
        raise MissingLibraryError(
            "PAC evaluation needs the Python libraries 'pypac' and 'dukpy' on the probing host "
            "(pip install pypac); import failed: %s" % exc)
    return PACFile


def load_pac(pac_url=None, pac_file=None, timeout=10.0, ca_file=None):
    # type: (Optional[str], Optional[str], float, Optional[str]) -> PacResolver
    """Fetch (directly, without a proxy) or read a PAC script and prepare it for evaluation."""
    if pac_file:
        try:
            with open(pac_file, "r") as handle:
                return PacResolver(handle.read(), pac_file)
        except (IOError, OSError) as exc:
            raise ProbeConfigError("pac_file", "readable", "cannot read %s: %s" % (pac_file, exc.strerror or exc))
    try:
        import requests  # pylint: disable=import-outside-toplevel
    except ImportError as exc:
        raise MissingLibraryError("downloading a PAC file needs the Python library 'requests' on the probing host: %s" % exc)
    if pac_url == "auto":
        try:
            from pypac import get_pac  # pylint: disable=import-outside-toplevel
        except ImportError as exc:
            raise MissingLibraryError("WPAD discovery needs the Python library 'pypac' on the probing host: %s" % exc)
        pac = get_pac(from_os_settings=True, from_dns=True, timeout=timeout)
        if pac is None:
            raise ProbeConfigError("pac_url", "wpad-not-found", "no PAC file was found by WPAD discovery (DNS wpad.<domain>)")
        return PacResolver(pac.js, "WPAD")
    session = requests.Session()
    session.trust_env = False  # the PAC file itself is fetched directly
    try:
        response = session.get(pac_url, timeout=timeout, verify=ca_file or True)
    except requests.RequestException as exc:
        raise ProbeConfigError("pac_url", "reachable", "cannot download the PAC file %s: %s" % (pac_url, type(exc).__name__))
    finally:
        session.close()
    if response.status_code != 200:
        raise ProbeConfigError("pac_url", "reachable", "downloading the PAC file %s answered %d" % (pac_url, response.status_code))
    return PacResolver(response.text, pac_url)


# --- observations: what happened on the wire -------------------------------------------------

# Where a failure happened.
AT_PROXY = "proxy"
AT_ORIGIN = "origin"

# Transport failures (Observation.failure).
F_DNS = "dns"
F_REFUSED = "refused"
F_UNREACHABLE = "unreachable"
F_TIMEOUT = "timeout"
F_RESET = "reset"
F_TLS_VERIFY = "tls_verify"
F_TLS = "tls"
F_PROTOCOL = "protocol"
F_NOT_RUN = "not_run"
F_OTHER = "other"


@dataclass(frozen=True)
class Observation:
    """Raw facts of one probe. ``proxy_status`` is set when the proxy answered instead of the origin."""

    failure: Optional[str] = None
    at: str = AT_ORIGIN
    status: Optional[int] = None
    proxy_status: Optional[int] = None
    proxy_error: Optional[str] = None
    verify_code: Optional[int] = None
    issuer: Optional[str] = None
    detail: str = ""
    elapsed: float = 0.0


@dataclass(frozen=True)
class ProbeResult:
    target: ProbeTarget
    hop: Hop
    observation: Observation
    category: str
    detail: str

    @property
    def reachable(self):
        # type: () -> bool
        return self.category == REACHABLE

    def as_dict(self):
        # type: () -> Dict[str, Any]
        obs = self.observation
        expected = None
        if self.target.expected_status and obs.status is not None:
            expected = obs.status in self.target.expected_status
        return {
            "url": self.target.url,
            "channel": self.target.channel,
            "route": self.hop.route,
            "proxy": self.hop.proxy.host_port() if self.hop.proxy is not None else None,
            "proxy_authenticated": self.hop.credentials is not None,
            "category": self.category,
            "reachable": self.reachable,
            "status": obs.status,
            "proxy_status": obs.proxy_status,
            "status_expected": expected,
            "issuer": obs.issuer,
            "detail": self.detail,
            "elapsed": round(obs.elapsed, 3),
        }


# --- classification (pure) ------------------------------------------------------------------

# Squid's X-Squid-Error codes (token, then errno) and RFC 9209 Proxy-Status error types.
_PROXY_ERROR_CATEGORY = {
    "err_dns_fail": DNS_FAILURE,
    "dns_error": DNS_FAILURE,
    "dns_timeout": DNS_FAILURE,
    "destination_not_found": DNS_FAILURE,
    "err_read_timeout": TIMEOUT,
    "err_lifetime_exp": TIMEOUT,
    "connection_timeout": TIMEOUT,
    "connection_read_timeout": TIMEOUT,
    "connection_refused": CONNECTION_REFUSED,
    "destination_unavailable": CONNECTION_REFUSED,
    "destination_ip_unroutable": NETWORK_UNREACHABLE,
    "err_access_denied": BLOCKED,
    "http_request_denied": BLOCKED,
    "destination_ip_prohibited": BLOCKED,
    "err_cache_access_denied": PROXY_AUTH_REQUIRED,
}
_ERRNO_CATEGORY = {
    errno.ETIMEDOUT: TIMEOUT,
    errno.ECONNREFUSED: CONNECTION_REFUSED,
    errno.ENETUNREACH: NETWORK_UNREACHABLE,
    errno.EHOSTUNREACH: NETWORK_UNREACHABLE,
}


def parse_proxy_error(headers):
    # type: (Mapping[str, str]) -> Optional[str]
    """A normalised error token from ``X-Squid-Error`` (``ERR_CONNECT_FAIL 111``) or ``Proxy-Status``."""
    squid = headers.get("x-squid-error")
    if squid:
        words = squid.split()
        token = words[0].lower()
        if token == "err_connect_fail" and len(words) > 1 and words[1].isdigit():
            return "errno:%s" % words[1]
        return token
    status = headers.get("proxy-status")
    if status:
        for param in status.split(";")[1:]:
            key, _sep, value = param.strip().partition("=")
            if key.strip().lower() == "error":
                return value.strip().strip('"').lower()
    return None


def _proxy_answer_category(obs):
    # type: (Observation) -> Tuple[str, str]
    code = obs.proxy_status
    token = obs.proxy_error or ""
    if code == 407:
        return PROXY_AUTH_REQUIRED, "the proxy answered 407 Proxy Authentication Required"
    if token.startswith("errno:"):
        number = int(token[6:])
        category = _ERRNO_CATEGORY.get(number, PROXY_ERROR)
        return category, "the proxy answered %d: it could not connect to the service (errno %d)" % (code, number)
    if token == "err_cannot_forward":
        # Squid 5 answers a CONNECT to a name that does not resolve this way (no address to try);
        # with no parent proxies configured there is no other cause.
        return DNS_FAILURE, ("the proxy answered %d (err_cannot_forward): it found no address for the name, "
                             "which is how Squid 5 reports a name that does not resolve" % code)
    if token in _PROXY_ERROR_CATEGORY:
        return _PROXY_ERROR_CATEGORY[token], "the proxy answered %d (%s)" % (code, token)
    if code is not None and 400 <= code < 500:
        return BLOCKED, "the proxy answered %d: the destination is not allowed" % code
    return PROXY_ERROR, "the proxy answered %s%s" % (code, " (%s)" % token if token else "")


def issuer_matches(issuer, expected):
    # type: (Optional[str], Sequence[str]) -> bool
    if not expected:
        return True
    text = (issuer or "").lower()
    return any(item.lower() in text for item in expected)


def _where(obs):
    # type: (Observation) -> str
    return "the proxy" if obs.at == AT_PROXY else "the service"


def classify(target, obs, policy=None):
    # type: (ProbeTarget, Observation, Optional[TlsPolicy]) -> Tuple[str, str]
    """One category and a short explanation for an observation. Pure."""
    policy = policy or TlsPolicy()
    if obs.failure is None:
        if obs.proxy_status is not None:
            return _proxy_answer_category(obs)
        if obs.status is None:
            return ERROR, "no HTTP status was read"
        if (target.scheme == "https" and not target.no_pinning and policy.expected_issuers
                and not issuer_matches(obs.issuer, policy.expected_issuers)):
            return TLS_INTERCEPTED, "the certificate chains to the trust store but its issuer '%s' is not one of %s" % (
                obs.issuer, ", ".join(policy.expected_issuers))
        return REACHABLE, "HTTP %d" % obs.status
    failure = obs.failure
    if failure == F_TLS_VERIFY:
        if obs.proxy_status is not None:
            category, detail = _proxy_answer_category(obs)
            return category, "%s, delivered over intercepted TLS (issuer: %s)" % (detail, obs.issuer or "unknown")
        if obs.verify_code in UNTRUSTED_CHAIN_CODES:
            return TLS_INTERCEPTED, "the certificate does not chain to the trust store in use (issuer: %s)" % (obs.issuer or "unknown")
        return TLS_ERROR, "certificate verification failed: %s" % (obs.detail or "code %s" % obs.verify_code)
    simple = {
        F_DNS: (DNS_FAILURE, "the name of %s did not resolve"),
        F_REFUSED: (CONNECTION_REFUSED, "%s refused the connection"),
        F_UNREACHABLE: (NETWORK_UNREACHABLE, "no route to %s"),
        F_TIMEOUT: (TIMEOUT, "%s did not answer in time"),
        F_RESET: (ERROR, "%s reset the connection"),
        F_TLS: (TLS_ERROR, "the TLS handshake with %s failed"),
        F_PROTOCOL: (ERROR, "%s did not answer with HTTP"),
    }
    if failure in simple:
        category, text = simple[failure]
        message = text % _where(obs)
        if obs.detail:
            message += " (%s)" % obs.detail
        return category, message
    if failure == F_NOT_RUN:
        return NOT_RUN, obs.detail or CATEGORY_REASONS[NOT_RUN]
    return ERROR, obs.detail or "unexpected failure"


# --- transport -------------------------------------------------------------------------------

class _Budget:
    """One time budget across every step of a probe."""

    def __init__(self, seconds, clock=time.monotonic):
        self.clock = clock
        self.end = clock() + seconds

    def left(self):
        # type: () -> float
        return max(0.0, self.end - self.clock())

    def apply(self, sock):
        left = self.left()
        if left <= 0:
            raise socket.timeout("probe budget used up")
        sock.settimeout(left)


class _ProbeFailure(Exception):
    def __init__(self, failure, at, detail="", **extra):
        super(_ProbeFailure, self).__init__(detail)
        self.failure = failure
        self.at = at
        self.detail = detail
        self.extra = extra


def _os_failure(exc, at):
    # type: (BaseException, str) -> _ProbeFailure
    if isinstance(exc, socket.timeout):
        return _ProbeFailure(F_TIMEOUT, at)
    if isinstance(exc, socket.gaierror):
        return _ProbeFailure(F_DNS, at, exc.strerror or "")
    if isinstance(exc, ConnectionRefusedError):
        return _ProbeFailure(F_REFUSED, at)
    if isinstance(exc, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)):
        return _ProbeFailure(F_RESET, at)
    number = getattr(exc, "errno", None)
    # EINVAL / EACCES / EPERM come from blackhole/prohibit routes and egress filters.
    if number in (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EINVAL, errno.EACCES, errno.EPERM, errno.EADDRNOTAVAIL):
        return _ProbeFailure(F_UNREACHABLE, at, getattr(exc, "strerror", "") or "")
    if number == errno.ETIMEDOUT:
        return _ProbeFailure(F_TIMEOUT, at)
    return _ProbeFailure(F_OTHER, at, "%s: %s" % (type(exc).__name__, getattr(exc, "strerror", None) or exc))


def _connect(host, port, budget, at):
    # type: (str, int, _Budget, str) -> socket.socket
    try:
        infos = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise _ProbeFailure(F_DNS, at, exc.strerror or "")
    except OSError as exc:
        raise _os_failure(exc, at)
    last = None  # type: Optional[_ProbeFailure]
    for family, socktype, proto, _canon, address in infos:
        sock = socket.socket(family, socktype, proto)
        try:
            budget.apply(sock)
            sock.connect(address)
            return sock
        except OSError as exc:
            sock.close()
            last = _os_failure(exc, at)
            if last.failure == F_TIMEOUT:
                break
    raise last or _ProbeFailure(F_OTHER, at, "no address")


def _read_head(sock, budget, at):
    # type: (socket.socket, _Budget, str) -> Tuple[int, Dict[str, str]]
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            budget.apply(sock)
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
            if len(data) > MAX_HEAD_BYTES:
                break
    except ssl.SSLError as exc:
        raise _ProbeFailure(F_TLS, at, exc.reason or str(exc))
    except OSError as exc:
        raise _os_failure(exc, at)
    head = data.split(b"\r\n\r\n", 1)[0].decode("iso-8859-1")
    lines = head.split("\r\n")
    words = lines[0].split(None, 2) if lines else []
    if not data:
        raise _ProbeFailure(F_RESET, at, "closed without an answer")
    if len(words) < 2 or not words[0].startswith("HTTP/") or not words[1].isdigit():
        raise _ProbeFailure(F_PROTOCOL, at)
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return int(words[1]), headers


def _send(sock, text, budget, at):
    try:
        budget.apply(sock)
        sock.sendall(text.encode("ascii"))
    except ssl.SSLError as exc:
        raise _ProbeFailure(F_TLS, at, exc.reason or str(exc))
    except OSError as exc:
        raise _os_failure(exc, at)


def _open_tunnel(target, hop, budget):
    # type: (ProbeTarget, Hop, _Budget) -> socket.socket
    """Connect to the proxy and ask for a tunnel; a non-200 answer is the proxy's verdict."""
    sock = _connect(hop.proxy.host, hop.proxy.port, budget, AT_PROXY)
    lines = ["CONNECT %s HTTP/1.1" % target.authority, "Host: %s" % target.authority, "User-Agent: %s" % USER_AGENT]
    if hop.credentials is not None:
        lines.append("Proxy-Authorization: %s" % hop.credentials.header_value())
    try:
        _send(sock, "\r\n".join(lines) + "\r\n\r\n", budget, AT_PROXY)
        code, headers = _read_head(sock, budget, AT_PROXY)
    except _ProbeFailure:
        sock.close()
        raise
    if code != 200:
        sock.close()
        raise _ProbeFailure(None, AT_PROXY, proxy_status=code, proxy_error=parse_proxy_error(headers))
    return sock


_CONTEXTS = {}  # type: Dict[Tuple[Optional[str], Optional[str], bool], ssl.SSLContext]
_CONTEXTS_LOCK = threading.Lock()


def _tls_context(policy, verify=True):
    # type: (TlsPolicy, bool) -> ssl.SSLContext
    """One context per trust store, shared by all probes: loading a trust store costs far more
    than a handshake, and a context is safe to use from several threads."""
    key = (policy.ca_file, policy.ca_dir, verify)
    with _CONTEXTS_LOCK:
        context = _CONTEXTS.get(key)
        if context is None:
            if not verify:
                # Only for reading the certificate after verification already failed.
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            elif policy.ca_file or policy.ca_dir:
                context = ssl.create_default_context(cafile=policy.ca_file, capath=policy.ca_dir)
            else:
                context = ssl.create_default_context()
            _CONTEXTS[key] = context
    return context


def format_name(rdns):
    # type: (Sequence[Tuple[str, str]]) -> str
    """``[("O", "Example"), ("CN", "Example CA")]`` -> ``"O=Example, CN=Example CA"``."""
    return ", ".join("%s=%s" % (key, value) for key, value in rdns)


_SSL_NAME_KEYS = {
    "countryName": "C", "organizationName": "O", "organizationalUnitName": "OU",
    "commonName": "CN", "stateOrProvinceName": "ST", "localityName": "L",
}


def issuer_from_peercert(cert):
    # type: (Mapping[str, Any]) -> Optional[str]
    """The issuer of ``SSLSocket.getpeercert()`` in the same form :func:`issuer_from_der` gives."""
    issuer = cert.get("issuer") if cert else None
    if not issuer:
        return None
    rdns = []
    for rdn in issuer:
        for key, value in rdn:
            if key in _SSL_NAME_KEYS:
                rdns.append((_SSL_NAME_KEYS[key], value))
    return format_name(rdns) or None


_OID_KEYS = {
    "2.5.4.6": "C", "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.3": "CN", "2.5.4.8": "ST", "2.5.4.7": "L",
}


def _der_item(data, offset):
    # type: (bytes, int) -> Tuple[int, int, int]
    """(tag, start of content, end of content) of the DER element at offset."""
    if offset + 2 > len(data):
        raise ValueError("truncated DER")
    tag = data[offset]
    length = data[offset + 1]
    start = offset + 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or start + count > len(data):
            raise ValueError("unsupported DER length")
        length = int.from_bytes(data[start:start + count], "big")
        start += count
    end = start + length
    if end > len(data):
        raise ValueError("truncated DER")
    return tag, start, end


def _der_children(data, start, end):
    # type: (bytes, int, int) -> List[Tuple[int, int, int]]
    items = []
    offset = start
    while offset < end:
        item = _der_item(data, offset)
        items.append(item)
        offset = item[2]
    return items


def _oid_text(raw):
    # type: (bytes) -> str
    first = raw[0]
    parts = [first // 40, first % 40]
    value = 0
    for byte in raw[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    return ".".join(str(part) for part in parts)


def issuer_from_der(der):
    # type: (bytes) -> Optional[str]
    """The issuer name of a DER certificate (C, O, OU, CN, ST, L attributes), or None if unreadable."""
    try:
        _tag, cert_start, cert_end = _der_item(der, 0)
        tbs = _der_children(der, cert_start, cert_end)[0]
        fields = _der_children(der, tbs[1], tbs[2])
        index = 1 if fields[0][0] == 0xA0 else 0  # optional [0] version
        issuer = fields[index + 2]
        rdns = []
        for rdn_set in _der_children(der, issuer[1], issuer[2]):
            for attribute in _der_children(der, rdn_set[1], rdn_set[2]):
                oid, value = _der_children(der, attribute[1], attribute[2])[:2]
                key = _OID_KEYS.get(_oid_text(der[oid[1]:oid[2]]))
                if key:
                    encoding = "utf-16-be" if value[0] == 0x1E else "utf-8"
                    rdns.append((key, der[value[1]:value[2]].decode(encoding, "replace")))
        return format_name(rdns) or None
    except (ValueError, IndexError):
        return None


def _wrap_tls(sock, target, policy, budget, verify=True):
    # type: (socket.socket, ProbeTarget, TlsPolicy, _Budget, bool) -> ssl.SSLSocket
    context = _tls_context(policy, verify)
    try:
        budget.apply(sock)
        return context.wrap_socket(sock, server_hostname=target.host)
    except ssl.SSLCertVerificationError as exc:
        sock.close()
        raise _ProbeFailure(F_TLS_VERIFY, AT_ORIGIN, exc.verify_message or "", verify_code=exc.verify_code)
    except ssl.SSLError as exc:
        sock.close()
        raise _ProbeFailure(F_TLS, AT_ORIGIN, exc.reason or str(exc))
    except OSError as exc:
        sock.close()
        raise _os_failure(exc, AT_ORIGIN)


def _open_transport(target, hop, budget):
    # type: (ProbeTarget, Hop, _Budget) -> socket.socket
    if hop.proxy is None:
        return _connect(target.host, target.port, budget, AT_ORIGIN)
    if target.scheme == "https":
        return _open_tunnel(target, hop, budget)
    return _connect(hop.proxy.host, hop.proxy.port, budget, AT_PROXY)


def _inspect_interceptor(target, hop, policy, budget):
    # type: (ProbeTarget, Hop, TlsPolicy, _Budget) -> Dict[str, Any]
    """After verification failed: name the issuer of the presented certificate, and read whether
    the interceptor answers by itself (a bumping proxy delivers its denials and errors inside TLS).

    The CONNECT is the same as the verified attempt's (same proxy, same Proxy-Authorization); the
    request inside the unverified TLS carries no credentials and no body, and whatever it returns
    never counts as success.
    """
    found = {"issuer": None}  # type: Dict[str, Any]
    try:
        sock = _open_transport(target, hop, budget)
        tls = _wrap_tls(sock, target, policy, budget, verify=False)
    except _ProbeFailure:
        return found
    try:
        der = tls.getpeercert(binary_form=True)
        found["issuer"] = issuer_from_der(der) if der else None
        _send(tls, _request_text(target, Hop(hop.route)), budget, AT_ORIGIN)
        code, headers = _read_head(tls, budget, AT_ORIGIN)
        if hop.proxy is not None and _is_proxy_answer(code, headers):
            found["proxy_status"] = code
            found["proxy_error"] = parse_proxy_error(headers)
    except _ProbeFailure:
        pass
    finally:
        tls.close()
    return found


def _request_text(target, hop):
    # type: (ProbeTarget, Hop) -> str
    plain_via_proxy = hop.proxy is not None and target.scheme == "http"
    request_target = "http://%s%s" % (target.host_header, target.path) if plain_via_proxy else target.path
    lines = [
        "%s %s HTTP/1.1" % (target.method, request_target),
        "Host: %s" % target.host_header,
        "User-Agent: %s" % USER_AGENT,
        "Accept: */*",
        "Connection: close",
    ]
    if plain_via_proxy and hop.credentials is not None:
        lines.append("Proxy-Authorization: %s" % hop.credentials.header_value())
    return "\r\n".join(lines) + "\r\n\r\n"


def _is_proxy_answer(code, headers):
    # type: (int, Mapping[str, str]) -> bool
    """For plain HTTP through a proxy: did the proxy answer itself rather than relay the origin?"""
    return code == 407 or "x-squid-error" in headers or "error=" in headers.get("proxy-status", "")


def perform_probe(target, hop, policy, timeout, clock=time.monotonic):
    # type: (ProbeTarget, Hop, TlsPolicy, float, Callable[[], float]) -> Observation
    """Send one request over one hop and record what happened. Never raises for network trouble."""
    started = clock()
    budget = _Budget(timeout, clock)
    issuer = None
    try:
        sock = _open_transport(target, hop, budget)
        if target.scheme == "https":
            sock = _wrap_tls(sock, target, policy, budget)
            issuer = issuer_from_peercert(sock.getpeercert())
        try:
            _send(sock, _request_text(target, hop), budget, AT_ORIGIN)
            code, headers = _read_head(sock, budget, AT_ORIGIN)
        finally:
            sock.close()
        if hop.proxy is not None and target.scheme == "http" and _is_proxy_answer(code, headers):
            return Observation(proxy_status=code, proxy_error=parse_proxy_error(headers), at=AT_PROXY, elapsed=clock() - started)
        return Observation(status=code, issuer=issuer, elapsed=clock() - started)
    except _ProbeFailure as failure:
        extra = dict(failure.extra)
        if failure.failure == F_TLS_VERIFY:
            extra.update(_inspect_interceptor(target, hop, policy, budget))
        return Observation(failure=failure.failure, at=failure.at, detail=failure.detail,
                           elapsed=clock() - started, **extra)
    except Exception as exc:  # a probe must never take the run down
        return Observation(failure=F_OTHER, detail="%s: %s" % (type(exc).__name__, exc), elapsed=clock() - started)


# --- the run ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Job:
    """One probe to run: a target and how to find its hop (resolved inside the worker)."""

    target: ProbeTarget
    route: str
    hop: Optional[Hop] = None
    resolve: Optional[Callable[[ProbeTarget], Hop]] = None


def _run_job(job, policy, timeout, probe):
    # type: (Job, TlsPolicy, float, Callable[..., Observation]) -> Tuple[Hop, Observation]
    hop = job.hop
    if hop is None:
        try:
            hop = job.resolve(job.target)
        except ProbeConfigError as exc:
            return Hop(job.route), Observation(failure=F_OTHER, detail=str(exc))
        except Exception as exc:  # PAC scripts can fail in many ways
            return Hop(job.route), Observation(failure=F_OTHER, detail="choosing the proxy failed: %s" % exc)
    return hop, probe(job.target, hop, policy, timeout)


def run_jobs(jobs, policy=None, timeout=10.0, deadline=60.0, concurrency=32,
             probe=perform_probe, clock=time.monotonic):
    # type: (Sequence[Job], Optional[TlsPolicy], float, float, int, Callable[..., Observation], Callable[[], float]) -> List[ProbeResult]
    """Run probes concurrently (at most ``concurrency`` at once) and classify them.

    Each probe gets ``timeout`` seconds, cut to what is left of the run ``deadline``. Probes not
    started by the deadline are reported as not run. A probe stuck where no timeout applies
    (name resolution) is given up shortly after its budget, so the run ends by its deadline.
    """
    if timeout <= 0:
        raise ProbeConfigError("timeout", "positive", "timeout must be greater than 0")
    if deadline <= 0:
        raise ProbeConfigError("deadline", "positive", "deadline must be greater than 0")
    if concurrency < 1:
        raise ProbeConfigError("concurrency", "positive", "concurrency must be at least 1")
    policy = policy or TlsPolicy()
    done = queue.Queue()  # type: queue.Queue
    outcomes = [None] * len(jobs)  # type: List[Optional[Tuple[Hop, Observation]]]
    expiry = {}  # type: Dict[int, float]
    run_end = clock() + deadline
    next_index = 0

    def worker(index, job, budget):
        try:
            done.put((index, _run_job(job, policy, budget, probe)))
        except BaseException as exc:  # pragma: no cover - defensive: always report back
            done.put((index, (Hop(job.route), Observation(failure=F_OTHER, detail=str(exc)))))

    while next_index < len(jobs) or expiry:
        now = clock()
        while next_index < len(jobs) and len(expiry) < concurrency and now < run_end:
            budget = min(timeout, run_end - now)
            expiry[next_index] = now + budget + ABANDON_GRACE
            thread = threading.Thread(target=worker, args=(next_index, jobs[next_index], budget))
            thread.daemon = True
            thread.start()
            next_index += 1
        if next_index < len(jobs) and now >= run_end:
            for index in range(next_index, len(jobs)):
                outcomes[index] = (Hop(jobs[index].route), Observation(
                    failure=F_NOT_RUN, detail="not started: the run deadline of %gs was reached" % deadline))
            next_index = len(jobs)
        if not expiry:
            continue
        wait = max(0.0, min(expiry.values()) - clock())
        try:
            index, outcome = done.get(timeout=wait)
        except queue.Empty:
            now = clock()
            for index in [i for i, end in expiry.items() if end <= now]:
                del expiry[index]
                outcomes[index] = (Hop(jobs[index].route), Observation(
                    failure=F_TIMEOUT, at=AT_ORIGIN, detail="abandoned: no answer from name resolution",
                    elapsed=timeout))
            continue
        if index in expiry:
            del expiry[index]
            outcomes[index] = outcome
    results = []
    for job, outcome in zip(jobs, outcomes):
        hop, obs = outcome  # type: ignore[misc]
        category, detail = classify(job.target, obs, policy)
        results.append(ProbeResult(job.target, hop, obs, category, detail))
    return results


def plan_jobs(targets, routes, named=None, environ=None, pac=None):
    # type: (Sequence[ProbeTarget], Sequence[str], Optional[Hop], Optional[Mapping[str, str]], Optional[PacResolver]) -> List[Job]
    """One job per target and configured route, in route order, so results group by route."""
    environ = environ if environ is not None else {}
    jobs = []
    for route in routes:
        for target in targets:
            if route == DIRECT:
                jobs.append(Job(target, route, Hop(DIRECT)))
            elif route == NAMED and named is not None:
                jobs.append(Job(target, route, named))
            elif route == ENVIRONMENT and environment_configured(environ):
                jobs.append(Job(target, route, environment_hop(target, environ)))
            elif route == PAC and pac is not None:
                jobs.append(Job(target, route, None, pac.hop_for))
    return jobs


# --- summary, verdict and analyzer text (pure) ------------------------------------------------

MET = "met"
NOT_MET = "not_met"
UNKNOWN = "unknown"

# Categories that prove the proxy let the request through its access rules.
_PASSED_PROXY = (REACHABLE, TLS_INTERCEPTED, TLS_ERROR)


def _requirement(status, reason, urls=()):
    # type: (str, str, Sequence[str]) -> Dict[str, Any]
    return {"status": status, "reason": reason, "urls": sorted(set(urls))}


def summarize(results):
    # type: (Sequence[ProbeResult]) -> Dict[str, Dict[str, Any]]
    """The proxy requirements (allowed, not inspected, anonymous) judged from proxied probes."""
    proxied = [r for r in results if r.hop.proxy is not None]
    if not proxied:
        reason = "no probe went through a proxy"
        return {name: _requirement(UNKNOWN, reason) for name in ("allowed", "not_inspected", "anonymous")}

    blocked = [r.target.url for r in proxied if r.category == BLOCKED]
    passed = [r for r in proxied if r.category in _PASSED_PROXY]
    if blocked:
        allowed = _requirement(NOT_MET, "the proxy refused %d URL(s)" % len(set(blocked)), blocked)
    elif passed and not any(r.category == PROXY_AUTH_REQUIRED for r in proxied):
        allowed = _requirement(MET, "the proxy let every answered probe through")
    elif passed:
        allowed = _requirement(UNKNOWN, "some probes stopped at proxy authentication, so their access rules were not reached",
                               [r.target.url for r in proxied if r.category == PROXY_AUTH_REQUIRED])
    else:
        allowed = _requirement(UNKNOWN, "no probe got past the proxy")

    https = [r for r in proxied if r.target.scheme == "https"]
    intercepted = [r for r in https if r.category == TLS_INTERCEPTED]
    verified = [r for r in https if r.category == REACHABLE]
    if intercepted:
        issuers = sorted(set(r.observation.issuer or "unknown" for r in intercepted))
        not_inspected = _requirement(NOT_MET, "TLS was intercepted; certificate issuer(s): %s" % "; ".join(issuers),
                                     [r.target.url for r in intercepted])
    elif verified:
        not_inspected = _requirement(MET, "every HTTPS answer came with the service's own certificate")
    else:
        not_inspected = _requirement(UNKNOWN, "no HTTPS probe completed a TLS handshake through the proxy")

    anonymous_probes = [r for r in proxied if r.hop.credentials is None]
    demanded = [r.target.url for r in anonymous_probes if r.category == PROXY_AUTH_REQUIRED]
    if demanded:
        anonymous = _requirement(NOT_MET, "the proxy demanded authentication (407) for %d URL(s)" % len(set(demanded)), demanded)
    elif any(r.category in _PASSED_PROXY for r in anonymous_probes):
        anonymous = _requirement(MET, "anonymous requests passed the proxy")
    elif not anonymous_probes:
        anonymous = _requirement(UNKNOWN, "every proxied probe used credentials, so anonymous access was not tested")
    else:
        anonymous = _requirement(UNKNOWN, "no anonymous probe got past the proxy")
    return {"allowed": allowed, "not_inspected": not_inspected, "anonymous": anonymous}


def count_by_route(results):
    # type: (Sequence[ProbeResult]) -> Dict[str, Dict[str, int]]
    counts = {}  # type: Dict[str, Dict[str, int]]
    for result in results:
        per_route = counts.setdefault(result.hop.route, {})
        per_route[result.category] = per_route.get(result.category, 0) + 1
    return counts


def _route_label(route, results):
    # type: (str, Sequence[ProbeResult]) -> str
    proxies = sorted(set(r.hop.proxy.host_port() for r in results if r.hop.route == route and r.hop.proxy is not None))
    names = {DIRECT: "direct", NAMED: "named proxy", ENVIRONMENT: "environment proxy", PAC: "PAC proxy"}
    label = names.get(route, route)
    return "%s %s" % (label, ", ".join(proxies)) if proxies else label


def _main_reason(results):
    # type: (Sequence[ProbeResult]) -> str
    """The reason behind the most common failure, placed at the proxy when that is where it happened."""
    failures = {}  # type: Dict[Tuple[str, bool], int]
    for result in results:
        at_proxy = result.observation.at == AT_PROXY and result.observation.proxy_status is None
        key = (result.category, at_proxy and result.category in PROXY_CATEGORY_REASONS)
        failures[key] = failures.get(key, 0) + 1
    (category, at_proxy), _count = max(failures.items(), key=lambda item: (item[1], -CATEGORIES.index(item[0][0])))
    return PROXY_CATEGORY_REASONS[category] if at_proxy else CATEGORY_REASONS[category]


def verdict(results):
    # type: (Sequence[ProbeResult]) -> str
    """One paragraph: what was reachable, and when nothing was, why."""
    if not results:
        return "No probe was run: no route was configured."
    urls = sorted(set(r.target.url for r in results))
    reachable_urls = sorted(set(r.target.url for r in results if r.reachable))
    parts = []
    for route in ROUTES:
        mine = [r for r in results if r.hop.route == route]
        if not mine:
            continue
        counts = {}  # type: Dict[str, int]
        for result in mine:
            counts[result.category] = counts.get(result.category, 0) + 1
        ordered = sorted(counts.items(), key=lambda item: (-item[1], CATEGORIES.index(item[0])))
        text = ", ".join("%s %d" % (category, number) for category, number in ordered)
        ok = counts.get(REACHABLE, 0)
        parts.append("%s: %d of %d reachable (%s)" % (_route_label(route, results), ok, len(mine), text))
    if not reachable_urls:
        return "Nothing was reachable from this host: %d URL(s) over %d probe(s) failed, mostly because %s. %s." % (
            len(urls), len(results), _main_reason(results), "; ".join(parts))
    return "%d of %d URL(s) reachable by at least one route. %s." % (len(reachable_urls), len(urls), "; ".join(parts))


def _method_outcome(result):
    # type: (ProbeResult) -> analyzer_text.MethodOutcome
    obs = result.observation
    proxy = result.hop.proxy.host_port() if result.hop.proxy is not None and result.hop.route == NAMED else None
    if result.category == REACHABLE:
        return analyzer_text.MethodOutcome(True, obs.status, proxy)
    code = obs.proxy_status if obs.proxy_status is not None else result.category
    return analyzer_text.MethodOutcome(False, code, proxy)


def analyzer_blocks(results):
    # type: (Sequence[ProbeResult]) -> List[analyzer_text.UrlBlock]
    """The results in the analyzer's per-URL layout, URLs in first-seen order."""
    order = []  # type: List[str]
    methods = {}  # type: Dict[str, Dict[int, analyzer_text.MethodOutcome]]
    for result in results:
        url = result.target.url
        if url not in methods:
            order.append(url)
            methods[url] = {}
        methods[url][ROUTE_METHOD[result.hop.route]] = _method_outcome(result)
    return [analyzer_text.UrlBlock(url, methods[url]) for url in order]


def render_analyzer_text(results):
    # type: (Sequence[ProbeResult]) -> str
    return analyzer_text.render_report(analyzer_blocks(results))


def _cell(result):
    # type: (ProbeResult) -> str
    obs = result.observation
    if result.category == REACHABLE:
        return "OK %d" % obs.status
    if obs.proxy_status is not None:
        return "%s %d" % (result.category, obs.proxy_status)
    return result.category


def render_table(results):
    # type: (Sequence[ProbeResult]) -> str
    """A plain-text verdict table: one row per URL, one column per route that ran."""
    routes = [route for route in ROUTES if any(r.hop.route == route for r in results)]
    if not routes:
        return ""
    order = []  # type: List[str]
    cells = {}  # type: Dict[str, Dict[str, str]]
    for result in results:
        if result.target.url not in cells:
            order.append(result.target.url)
            cells[result.target.url] = {}
        cells[result.target.url][result.hop.route] = _cell(result)
    header = ["URL"] + [_route_label(route, results) for route in routes]
    rows = [[url] + [cells[url].get(route, "-") for route in routes] for url in order]
    widths = [max(len(row[i]) for row in [header] + rows) for i in range(len(header))]
    lines = ["  ".join(text.ljust(width) for text, width in zip(row, widths)).rstrip() for row in [header] + rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines) + "\n"
