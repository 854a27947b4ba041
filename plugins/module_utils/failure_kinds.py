# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One vocabulary for why a service URL could not be reached (internal to this collection).

The Linux network probe (network_url_probe) and the Windows device test (device_connectivity_probe)
describe the same failure with the same word, so reports, fleet views and alerts can be joined
on it. The shared words are the probe's original snake_case spellings; the kinds only the device
test can observe (WinHTTP's own errors, WPAD, its scheduler) follow the same style.

Data only: which observation maps to which kind is decided by each side's classifier.
"""

from __future__ import annotations

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

# One sentence per kind, for verdicts and reports.
DESCRIPTIONS = {
    REACHABLE: "the service answered",
    BLOCKED: "the proxy refused the destination",
    PROXY_AUTH_REQUIRED: "the proxy demands authentication (anonymous traffic not permitted)",
    TLS_INTERCEPTED: "the TLS certificate was not the service's (TLS inspection)",
    TLS_ERROR: "the TLS handshake or certificate validation failed",
    DNS_FAILURE: "the name could not be resolved",
    CONNECTION_REFUSED: "no TCP connection could be made",
    NETWORK_UNREACHABLE: "no route to the destination",
    TIMEOUT: "no answer in time",
    PROXY_ERROR: "the proxy answered with an error of its own",
    NOT_RUN: "not run",
    ERROR: "an unexpected error",
    PROXY_DNS_FAILURE: "the proxy's own name could not be resolved (the proxy address is wrong or DNS does not know it)",
    PROXY_REDIRECT: "the proxy redirected the request instead of forwarding it (a sign-in portal or a block page)",
    CONNECTION_RESET: "the connection was reset or closed",
    BAD_URL: "the URL is not valid",
    BAD_RESPONSE: "the answer was not HTTP",
    WPAD_FAILED: "proxy auto discovery (WPAD) found no usable proxy configuration",
    UNEXPECTED_STATUS: "the service answered with a code that is not accepted for this URL",
    TLS_UNVERIFIED: "the certificate chain was not reported, so TLS inspection cannot be ruled out",
    PROXY_UNREACHABLE: "the proxy takes no connection",
    NOT_CONFIGURED: "nothing to test for this method",
    DEADLINE: "not run: the run's deadline had passed",
    NOT_REQUESTED: "not run: the method was not requested",
}
