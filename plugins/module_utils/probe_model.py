# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared vocabulary of the service-URL probes: categories, routes, input and observation records.

Every other ``probe_*`` module speaks in these types; this one holds no logic beyond them.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Tuple

from ansible_collections.purview.device_proxy.plugins.module_utils import failure_kinds
# The kinds are re-exported: the probe_* modules import them from here.
from ansible_collections.purview.device_proxy.plugins.module_utils.failure_kinds import (  # noqa: F401 pylint: disable=unused-import
    BLOCKED,
    CONNECTION_REFUSED,
    DNS_FAILURE,
    ERROR,
    NETWORK_UNREACHABLE,
    NOT_RUN,
    PROXY_AUTH_REQUIRED,
    PROXY_DNS_FAILURE,
    PROXY_ERROR,
    PROXY_REDIRECT,
    REACHABLE,
    TIMEOUT,
    TLS_ERROR,
    TLS_INTERCEPTED,
)
# Their sentences are failure_kinds.WORDING (one table for both probes).
from ansible_collections.purview.device_proxy.plugins.module_utils._input_error import InputError
from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import ProxyEndpoint

# --- categories ------------------------------------------------------------------------------

# One vocabulary with the Windows device test (failure_kinds): the same failure, the same word.
CATEGORIES = failure_kinds.SHARED

# Categories of an answer a proxy made itself (with or without an error header of its own).
PROXY_MADE = (BLOCKED, PROXY_AUTH_REQUIRED, PROXY_REDIRECT, PROXY_ERROR)

# --- routes ----------------------------------------------------------------------------------

DIRECT = "direct"
NAMED = "named"
ENVIRONMENT = "environment"
PAC = "pac"
ROUTES = (DIRECT, NAMED, ENVIRONMENT, PAC)

# The analyzer's method numbers (docs/reference/connectivity-analyzer.md#methods): on a Linux host the environment proxy is
# the machine's default proxy, the PAC file stands for auto discovery, direct is "proxy disabled".
ROUTE_METHOD = {ENVIRONMENT: 1, PAC: 2, DIRECT: 3, NAMED: 4}


class ProbeConfigError(InputError):
    """Invalid probe input. ``field`` names the option, ``rule`` the rule it broke."""


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
    def authority(self) -> str:
        host = "[%s]" % self.host if ":" in self.host else self.host
        return "%s:%d" % (host, self.port)

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        if self.port == default:
            return "[%s]" % self.host if ":" in self.host else self.host
        return self.authority


@dataclass(frozen=True)
class Credentials:
    """Proxy credentials (Basic). Never rendered into results or messages."""

    username: str
    password: str = field(repr=False)

    def header_value(self) -> str:
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
    # Who may issue a pinned service's certificate, as given: organisation or common names
    # (matched whole, case folded) and SHA-1 CA fingerprints (40 hex digits). Empty means nothing
    # tells the service's certificate from a trusted inspection CA's: "not inspected" stays unknown.
    expected_issuers: Tuple[str, ...] = ()


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
    # The leaf's issuer attributes after a verified handshake, and the verified chain's SHA-1
    # fingerprints where Python gives them (3.13+; None below).
    issuer_names: Tuple[Tuple[str, str], ...] = ()
    chain_fingerprints: Optional[Tuple[str, ...]] = None
    # The request went through a proxy, which may have answered it itself.
    via_proxy: bool = False
    # For a redirect: where it pointed, as scheme://host[:port]/ only (a query may carry a token).
    redirect_to: Optional[str] = None


@dataclass(frozen=True)
class ProbeResult:
    target: ProbeTarget
    hop: Hop
    observation: Observation
    category: str
    detail: str
    # Whether a verified certificate was shown to be the service's: matched, mismatch, unchecked.
    identity: str = "unchecked"

    @property
    def reachable(self) -> bool:
        return self.category == REACHABLE

    @property
    def at_proxy(self) -> bool:
        """The probe stopped at the proxy: on the way to it, or at an answer the proxy made itself
        (signed, or judged the proxy's by its status)."""
        obs = self.observation
        return obs.at == AT_PROXY or (obs.via_proxy and self.category in PROXY_MADE)

    def as_dict(self) -> Dict[str, Any]:
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
            "issuer_expected": {"matched": True, "mismatch": False}.get(self.identity),
            # Where a failure happened: at the proxy (reaching it, or the proxy's own answer) or at the service.
            "failed_at": None if self.reachable else ("proxy" if self.at_proxy else "service"),
            "detail": self.detail,
            "elapsed": round(obs.elapsed, 3),
        }
