# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One vocabulary for why a service URL could not be reached (internal to this collection).

The Linux network probe (network_url_probe) and the Windows device test (device_connectivity_probe)
describe the same failure with the same word, so reports, fleet views and alerts can be joined
on it. The shared words are the probe's original snake_case spellings; the kinds only the device
test can observe (WinHTTP's own errors, WPAD, its scheduler) follow the same style.

Data and wording only: which observation maps to which kind (and which of its sentences) is decided
by each side's classifier; every sentence that words a kind is in :data:`WORDING` (what a classifier
adds is evidence: a header, an issuer, an error text).
"""

from __future__ import annotations

import functools
from typing import Any, Tuple

# --- observed by both sides -------------------------------------------------------------------
REACHABLE = "reachable"                  # the service itself answered
BLOCKED = "blocked"                      # the proxy (or a firewall) refused the destination
PROXY_AUTH_REQUIRED = "proxy_auth_required"
TLS_INTERCEPTED = "tls_intercepted"      # the certificate chain is not the service's
TLS_ERROR = "tls_error"                  # the TLS handshake or certificate validation failed
DNS_FAILURE = "dns_failure"              # the host (or proxy) name did not resolve
CONNECTION_REFUSED = "connection_refused"  # no TCP connection to the server or proxy
NETWORK_UNREACHABLE = "network_unreachable"
TIMEOUT = "timeout"
PROXY_ERROR = "proxy_error"              # the proxy answered with an error of its own
NOT_RUN = "not_run"
ERROR = "error"                          # anything else (internal error, no answer at all)
# The proxy's own name did not resolve: the URL's name was never looked up (through a proxy, the
# proxy resolves it), so this is not the URL's dns_failure. WinHTTP reports it as 12007 as well.
PROXY_DNS_FAILURE = "proxy_dns_failure"
PROXY_REDIRECT = "proxy_redirect"        # the proxy answered a redirect (sign-in portal, block page)

SHARED = (
    REACHABLE, BLOCKED, PROXY_AUTH_REQUIRED, TLS_INTERCEPTED, TLS_ERROR, DNS_FAILURE,
    CONNECTION_REFUSED, NETWORK_UNREACHABLE, TIMEOUT, PROXY_ERROR, NOT_RUN, ERROR,
    PROXY_DNS_FAILURE, PROXY_REDIRECT,
)

# --- observed by the Windows device test only ---------------------------------------------------
CONNECTION_RESET = "connection_reset"    # WinHTTP 12030: reset or closed mid-request
BAD_URL = "bad_url"                      # WinHTTP 12005 / 12006
BAD_RESPONSE = "bad_response"            # WinHTTP 12152: not HTTP
WPAD_FAILED = "wpad_failed"              # discovery found no proxy, or its script failed
UNEXPECTED_STATUS = "unexpected_status"  # the service answered, with a code not accepted
TLS_UNVERIFIED = "tls_unverified"        # a pinned URL answered but its chain was not reported
PROXY_UNREACHABLE = "proxy_unreachable"  # established for a method: its proxy takes no connection
NOT_CONFIGURED = "not_configured"        # the method has nothing to test (no proxy set or given)
DEADLINE = "deadline"                    # not run: the run's deadline had passed
NOT_REQUESTED = "not_requested"          # not run: the method was not asked for

DEVICE_ONLY = (
    CONNECTION_RESET, BAD_URL, BAD_RESPONSE, WPAD_FAILED, UNEXPECTED_STATUS, TLS_UNVERIFIED,
    PROXY_UNREACHABLE, NOT_CONFIGURED, DEADLINE, NOT_REQUESTED,
)

ALL = SHARED + DEVICE_ONLY

# Why a device probe was not attempted, as the device probe reports it (``skip_reason``), and the
# failures it establishes for a whole method without a request of their own (``established``).
# These are the words on the wire: the C# copies are compared with them (tools/gates/choice_lists.py).
PROBE_SKIP_REASONS = (NOT_CONFIGURED, DEADLINE)
ESTABLISHED = (PROXY_UNREACHABLE, WPAD_FAILED)
# Every skip reason the verdict reads: a method missing from the reply was not requested.
SKIP_REASONS = PROBE_SKIP_REASONS + (NOT_REQUESTED,)

# --- wording -----------------------------------------------------------------------------------
# The one table of failure sentences, for both probes: per kind, its own sentence (variant "") and
# the sentences that say the same failure where it was observed (variants, each a str.format
# template with named parameters). Classifiers decide the kind and the variant; the words live here.
# A variant used for a WinHTTP error number is named after what the number means (winhttp.h).
_FROM_PROXY = "{status} came from the proxy, not the service: {evidence}{advice}"
_NO_PROXY_DISCOVERED = "{error}: {cause}; no proxy was discovered"
# Added to any kind's sentence when a network probe failed on the way to, or at, the proxy.
AT_THE_PROXY = " (on the way to or at the proxy)"
_NOT_THE_SERVICES = "the answer cannot be shown to come from the service, so it is taken as the proxy's"
_REDIRECTED = ("the proxy answered {status}, a redirect{where}, instead of forwarding the request "
               "(a sign-in portal or a block page)")

WORDING = {
    REACHABLE: {
        "": "the service answered",
        "status": "answered {status}",
        "status_via_discovery": "answered {status} through the discovered proxy {proxy} "
                                "(discovery succeeded on the {attempt} attempt)",
        "http": "HTTP {status}",
    },
    BLOCKED: {
        "": "the proxy refused the destination",
        "http_403": "403: the proxy (or a firewall) refuses this destination; allow the domain",
        "from_proxy": _FROM_PROXY,
        "proxy_answered": "the proxy answered {status}: the destination is not allowed",
        "block_page": "HTTP 403 through the proxy, without a proxy error header and not an expected status of "
                      "the URL: taken as the proxy's block page",
        "legal_block": "HTTP 451 (unavailable for legal reasons) through the proxy: a block; " + _NOT_THE_SERVICES,
    },
    PROXY_AUTH_REQUIRED: {
        "": "the proxy demands authentication (anonymous traffic not permitted)",
        "http_407": "407: the proxy demands authentication; the sensor connects anonymously as LocalSystem, "
                    "so allow unauthenticated access to the service URLs",
        "from_proxy": _FROM_PROXY,
        "proxy_answered": "the proxy answered {answer}",
        "through_proxy": "HTTP {status} through the proxy: authentication demanded; " + _NOT_THE_SERVICES,
    },
    TLS_INTERCEPTED: {
        "": "the TLS certificate was not the service's (TLS inspection)",
        "tunnel_header": "the proxy's own header {header} is on an answer inside the TLS tunnel: the proxy "
                         "decrypted the traffic (TLS inspection)",
        "foreign_root": "the certificate was issued by {issuer} and chains to {root}, not to a Microsoft service "
                        "root: TLS inspection, which the sensor's pinning rejects",
        "unexpected_issuer": "the certificate chains to the trust store but was not issued by an expected issuer "
                             "(issuer: {issuer}; expected: {expected})",
        "untrusted_chain": "the certificate does not chain to the trust store in use (issuer: {issuer})",
    },
    TLS_ERROR: {
        "": "the TLS handshake failed",
        "handshake_with": "the TLS handshake with {where} failed",
        "verification": "certificate verification failed: {cause}",
        "chain_status": "the certificate chain has trust errors (CERT_TRUST_STATUS {code}), so it proves nothing "
                        "about the service",
        "cert_expired": "the server certificate has expired",
        "cert_name": "the certificate does not name this host",
        "client_cert": "the server asks for a client certificate",
        "untrusted_root": "the certificate chain ends in an untrusted root (TLS inspection is likely)",
        "revocation_unchecked": "revocation could not be checked (CRL endpoints on port 80 unreachable?)",
        "cert_invalid": "the server certificate is invalid",
        "cert_revoked": "the server certificate is revoked",
        "cert_validation": "the server certificate failed validation (TLS inspection is likely)",
    },
    DNS_FAILURE: {
        "": "the name did not resolve (no working DNS server or no Internet access)",
        "to_proxy": "the proxy's name did not resolve",
        "beyond_proxy": "the proxy could not resolve the service names (the proxy has no working DNS or no "
                        "Internet access)",
        "name_of": "the name of {where} did not resolve",
        "host_or_proxy": "the host name (or the proxy name) could not be resolved",
        "cannot_forward": "the proxy answered {status} (err_cannot_forward): it found no address for the name, "
                          "which is how Squid 5 reports a name that does not resolve",
    },
    CONNECTION_REFUSED: {
        "": "the connection was refused",
        "to_proxy": "the proxy refused the connection (is it running, is the port right?)",
        "beyond_proxy": "the services refused the proxy's connections",
        "refused_by": "{where} refused the connection",
        "no_tcp": "no TCP connection to the server or proxy",
    },
    NETWORK_UNREACHABLE: {
        "": "there is no route to the destination (egress blocked or no network)",
        "to_proxy": "there is no route to the proxy",
        "beyond_proxy": "the proxy has no route to the services",
        "route_to": "no route to {where}",
    },
    TIMEOUT: {
        "": "nothing answered within the timeout (traffic dropped or no route)",
        "to_proxy": "the proxy did not answer in time",
        "beyond_proxy": "the proxy got no answer from the services in time (its way to the Internet is missing "
                        "or filtered)",
        "no_answer_from": "{where} did not answer in time",
        "probe_limit": "no answer within the probe time limit",
        "probe_limit_stage": "no answer within the probe time limit (stuck in {stage})",
        "request_timed_out": "the request timed out",
        "cancelled": "the request was cancelled at its time limit",
        "mpcmdrun": "MpCmdRun did not finish within {seconds} s and was stopped",
    },
    PROXY_ERROR: {
        "": "the proxy answered with an error",
        "http_502": "502: the proxy could not reach the service",
        "http_503": "503: the proxy or the service is unavailable",
        "http_504": "504: the proxy timed out reaching the service",
        "from_proxy": _FROM_PROXY,
        "gateway": "HTTP {status} through the proxy: a gateway error; " + _NOT_THE_SERVICES,
        "proxy_answered": "the proxy answered {status}{token}",
    },
    NOT_RUN: {
        "": "the run deadline was reached before the probe started",
    },
    ERROR: {
        "": "the exchange failed",
        "reset_by": "{where} reset the connection",
        "not_http": "{where} did not answer with HTTP",
        "no_status": "no HTTP status was read",
        "unexpected": "unexpected failure",
        "no_answer": "neither a status code nor an error was reported",
        "winhttp_internal": "WinHTTP internal error",
        "resend": "WinHTTP asked for the request to be sent again",
        "winhttp_other": "WinHTTP error",
    },
    PROXY_DNS_FAILURE: {
        "": "the proxy's name did not resolve (check the proxy address and the DNS of this host)",
        "observed": "the name of the proxy did not resolve",
    },
    PROXY_REDIRECT: {
        "": "the proxy redirected the requests instead of forwarding them (a sign-in portal or a block page)",
        "proxy_answered": _REDIRECTED,
        "through_proxy": _REDIRECTED + "; " + _NOT_THE_SERVICES,
    },
    CONNECTION_RESET: {
        "": "the connection was reset or closed (a firewall or TLS-inspecting device may be in the way)",
    },
    BAD_URL: {
        "": "the URL is not valid",
        "scheme": "the URL scheme is not http or https",
    },
    BAD_RESPONSE: {
        "": "the server answer was not HTTP",
    },
    WPAD_FAILED: {
        "": "proxy auto discovery (WPAD) found no usable proxy configuration",
        "discovery_failed": "discovery failed",
        "nothing_found": "WPAD found no proxy configuration",
        "pac_error": "the PAC script has an error",
        "pac_download": "the PAC script could not be downloaded",
        "pac_logon": "the server of the proxy configuration script refused the logon",
        "service": "the auto-proxy service failed",
        "no_proxy_discovered": _NO_PROXY_DISCOVERED,
        "went_direct": _NO_PROXY_DISCOVERED + " (the request then went direct and is not counted)",
        "shared_discovery": _NO_PROXY_DISCOVERED + " (the run's one discovery; method {number} was not probed "
                                                   "for this URL)",
    },
    UNEXPECTED_STATUS: {
        "": "the service answered with a code that is not accepted for this URL",
        "status": "{status}: not an expected answer",
    },
    TLS_UNVERIFIED: {
        "": "the server certificate chain was not reported, so TLS inspection cannot be ruled out",
    },
    PROXY_UNREACHABLE: {
        "": "the proxy takes no connection",
        "established": "the proxy took no connection on {count} other URLs, so this URL was not probed through "
                       "it (a shared failure, established on {count} URLs)",
    },
    NOT_CONFIGURED: {
        "": "nothing to test for this method",
        "setting": "{setting} is not set",
    },
    DEADLINE: {
        "": "not run: the run's deadline had passed",
    },
    NOT_REQUESTED: {
        "": "not run: method not requested",
    },
}

# A proxy's own error answer (Squid's X-Squid-Error, RFC 9209 Proxy-Status), worded the same for every
# kind the network probe's classifier maps such an answer to (probe_classify; checked by its tests).
PROXY_ANSWER_KINDS = (DNS_FAILURE, TIMEOUT, CONNECTION_REFUSED, NETWORK_UNREACHABLE, BLOCKED, PROXY_AUTH_REQUIRED,
                      PROXY_ERROR)
for _kind in PROXY_ANSWER_KINDS:
    WORDING[_kind].update({
        "proxy_errno": "the proxy answered {status}: it could not connect to the service (errno {errno})",
        "proxy_token": "the proxy answered {status} ({token})",
        "proxy_token_forwarding": "the proxy answered {status} ({token}): the failure is at the proxy, on its way "
                                  "to the service",
    })
del _kind

# Each kind's own sentence.
DESCRIPTIONS = {kind: WORDING[kind][""] for kind in ALL}


def has_sentence(kind: str, variant: str) -> bool:
    """Whether the table words ``kind`` observed as ``variant``."""
    return variant in WORDING.get(kind, {})


def sentence(kind: str, variant: str = "", **params: Any) -> str:
    """The sentence for ``kind`` (observed as ``variant``) with its named ``params`` filled in."""
    try:
        return _sentence(kind, variant, tuple(sorted(params.items())))
    except TypeError:  # a parameter that cannot be a cache key (a list or dict from a malformed reply)
        return WORDING[kind][variant].format(**params)


@functools.lru_cache(maxsize=1024)
def _sentence(kind: str, variant: str, params: Tuple[Tuple[str, Any], ...]) -> str:
    # A fleet repeats a few sentences thousands of times: the same words stay one string.
    return WORDING[kind][variant].format(**dict(params))
