# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Classification (pure): one category and a short explanation for each observation."""

from __future__ import annotations

import errno
import re
from typing import Mapping, Optional, Tuple

from ansible_collections.purview.device_proxy.plugins.module_utils import failure_kinds as fk
from ansible_collections.purview.device_proxy.plugins.module_utils.probe_certs import (
    IDENTITY_MATCHED, IDENTITY_MISMATCH, IDENTITY_UNCHECKED, identity, split_expectations,
)
from ansible_collections.purview.device_proxy.plugins.module_utils.probe_model import (
    AT_PROXY, BLOCKED, CONNECTION_REFUSED, DNS_FAILURE, ERROR, F_DNS, F_NOT_RUN, F_PROTOCOL,
    F_REFUSED, F_RESET, F_TIMEOUT, F_TLS, F_TLS_VERIFY, F_UNREACHABLE, NETWORK_UNREACHABLE, NOT_RUN,
    PROXY_AUTH_REQUIRED, PROXY_DNS_FAILURE, PROXY_ERROR, PROXY_REDIRECT, REACHABLE, TIMEOUT, TLS_ERROR,
    TLS_INTERCEPTED, Observation, ProbeTarget, TlsPolicy,
)

# OpenSSL verification results that mean "this certificate does not chain to the trust store in
# use" (X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, DEPTH_ZERO_SELF_SIGNED_CERT,
# SELF_SIGNED_CERT_IN_CHAIN, UNABLE_TO_GET_ISSUER_CERT_LOCALLY, UNABLE_TO_VERIFY_LEAF_SIGNATURE).
UNTRUSTED_CHAIN_CODES = frozenset((2, 18, 19, 20, 21))


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
# Answers a proxy gives only after its access rules (http_access, proxy_auth) let the request
# through and it then tried to reach the destination: evidence that the URL is allowed (and, for a
# request without credentials, that anonymous traffic is), even when nothing could be reached.
FORWARDING_FAILURE_TOKENS = frozenset((
    "err_cannot_forward", "err_dns_fail", "err_connect_fail", "err_read_timeout", "err_lifetime_exp",
    "dns_error", "dns_timeout", "destination_not_found", "destination_unavailable", "destination_ip_unroutable",
    "connection_timeout", "connection_read_timeout", "connection_refused",
))


# Read from a proxy answer that challenges for credentials without saying so in its status
# (only a proxy sends Proxy-Authenticate, RFC 9110 section 11.7.1).
AUTH_CHALLENGE = "proxy_authenticate"
# A proxy error token as reported: ASCII letters, digits and a few separators, at most this long.
_TOKEN_CHARACTERS = re.compile(r"[^a-z0-9_.:-]")
_TOKEN_MAX = 64
# An errno in a token: ASCII digits only ("١٢" or "²" are digits to str.isdigit, not errnos).
_ERRNO_TOKEN = re.compile(r"errno:([0-9]{1,5})\Z")
_ASCII_DIGITS = re.compile(r"[0-9]{1,5}\Z")


def errno_of(token: Optional[str]) -> Optional[int]:
    """The errno of an ``errno:<digits>`` token, or None for anything else (malformed ones included)."""
    match = _ERRNO_TOKEN.match(token or "")
    return int(match.group(1)) if match else None


def proxy_tried_to_forward(obs: Observation) -> bool:
    """Did the proxy itself answer that it could not reach the destination (so it let the request through)?"""
    token = obs.proxy_error or ""
    return obs.proxy_status is not None and (token in FORWARDING_FAILURE_TOKENS or errno_of(token) is not None)


_ERRNO_CATEGORY = {
    errno.ETIMEDOUT: TIMEOUT,
    errno.ECONNREFUSED: CONNECTION_REFUSED,
    errno.ENETUNREACH: NETWORK_UNREACHABLE,
    errno.EHOSTUNREACH: NETWORK_UNREACHABLE,
}


def _clean_token(text: str) -> str:
    """A header word as a printable ASCII token: what a proxy writes there is not trusted."""
    token = _TOKEN_CHARACTERS.sub("?", text.strip().strip('"').lower())
    return token[:_TOKEN_MAX]


def parse_proxy_error(headers: Mapping[str, str]) -> Optional[str]:
    """A normalised error token from ``X-Squid-Error`` (``ERR_CONNECT_FAIL 111``) or ``Proxy-Status``.

    Malformed values give a token that matches nothing known (never an exception): a proxy's
    header must not take down the run.
    """
    squid = headers.get("x-squid-error", "")
    words = squid.split()
    if words:
        token = _clean_token(words[0])
        if token == "err_connect_fail" and len(words) > 1 and _ASCII_DIGITS.match(words[1]):
            return "errno:%s" % words[1]
        return token
    status = headers.get("proxy-status")
    if status:
        # RFC 9209: a list of members, each "name; param=value; ...". Any member's error counts.
        for param in status.replace(",", ";").split(";")[1:]:
            key, _sep, value = param.strip().partition("=")
            if key.strip().lower() == "error":
                return _clean_token(value) or "?"
    if "proxy-authenticate" in headers:
        return AUTH_CHALLENGE
    return None


def _redirect_where(obs: Observation) -> str:
    return " to %s" % obs.redirect_to if obs.redirect_to else ""


def _proxy_answer_category(obs: Observation) -> Tuple[str, str]:
    code = obs.proxy_status
    token = obs.proxy_error or ""
    if code in (401, 407) or token == AUTH_CHALLENGE:
        reason = {407: "407 Proxy Authentication Required", 401: "401 Unauthorized"}.get(code, "%s with a Proxy-Authenticate challenge" % code)
        return PROXY_AUTH_REQUIRED, fk.sentence(PROXY_AUTH_REQUIRED, "proxy_answered", answer=reason)
    number = errno_of(token)
    if number is not None:
        category = _ERRNO_CATEGORY.get(number, PROXY_ERROR)
        return category, fk.sentence(category, "proxy_errno", status=code, errno=number)
    if token == "err_cannot_forward":
        # Squid 5 answers a CONNECT to a name that does not resolve this way (no address to try);
        # with no parent proxies configured there is no other cause.
        return DNS_FAILURE, fk.sentence(DNS_FAILURE, "cannot_forward", status=code)
    if token in _PROXY_ERROR_CATEGORY:
        category = _PROXY_ERROR_CATEGORY[token]
        variant = "proxy_token_forwarding" if token in FORWARDING_FAILURE_TOKENS else "proxy_token"
        return category, fk.sentence(category, variant, status=code, token=token)
    if code is not None and 300 <= code < 400:
        return PROXY_REDIRECT, fk.sentence(PROXY_REDIRECT, "proxy_answered", status=code, where=_redirect_where(obs))
    if code is not None and 400 <= code < 500:
        return BLOCKED, fk.sentence(BLOCKED, "proxy_answered", status=code)
    return PROXY_ERROR, fk.sentence(PROXY_ERROR, "proxy_answered", status=code, token=" (%s)" % token if token else "")


def _looks_like_a_block_page(target: ProbeTarget, obs: Observation, identity_found: str) -> bool:
    """A 403 through a proxy that cannot be shown to come from the service.

    Proxies other than Squid (appliances, cloud gateways) answer a denied plain-HTTP request, or a
    request inside TLS they intercept, with a 403 page that carries no ``X-Squid-Error``. Unless the
    URL expects 403, or the answer came over TLS with the service's own certificate, it is the proxy's.
    """
    if obs.status != 403 or not obs.via_proxy or 403 in target.expected_status:
        return False
    return target.scheme == "http" or identity_found != IDENTITY_MATCHED


def _proxy_made_status(target: ProbeTarget, obs: Observation, identity_found: str) -> Optional[Tuple[str, str]]:
    """A status through a proxy that only the proxy would answer, without a proxy error header.

    Proxies that are not Squid sign their answers with nothing but the status: a redirect to their
    sign-in portal or block page (3xx), 401 or 407 for credentials, 451 for a legal block, 5xx when
    they fail. Such an answer is the proxy's unless it came over TLS with the service's own
    certificate, or (for a redirect) the URL expects that very status.
    """
    code = obs.status
    if not obs.via_proxy or code is None:
        return None
    if target.scheme == "https" and identity_found == IDENTITY_MATCHED:
        return None
    if 300 <= code < 400 and code not in target.expected_status:
        return PROXY_REDIRECT, fk.sentence(PROXY_REDIRECT, "through_proxy", status=code, where=_redirect_where(obs))
    if code in (401, 407):
        return PROXY_AUTH_REQUIRED, fk.sentence(PROXY_AUTH_REQUIRED, "through_proxy", status=code)
    if code == 451:
        return BLOCKED, fk.sentence(BLOCKED, "legal_block")
    if code >= 500:
        return PROXY_ERROR, fk.sentence(PROXY_ERROR, "gateway", status=code)
    return None


def identity_of(target: ProbeTarget, obs: Observation, policy: TlsPolicy) -> str:
    """Whether a verified HTTPS answer came with the service's own certificate (see probe_certs).

    Only verified answers of pinned URLs are judged; everything else is unchecked.
    """
    if obs.failure is not None or obs.status is None or obs.proxy_status is not None:
        return IDENTITY_UNCHECKED
    if target.scheme != "https" or target.no_pinning:
        return IDENTITY_UNCHECKED
    names, fingerprints = split_expectations(policy.expected_issuers)
    return identity(obs.issuer_names, obs.chain_fingerprints, names, fingerprints)


def _where(obs: Observation) -> str:
    return "the proxy" if obs.at == AT_PROXY else "the service"


# Transport failures: their kind and the failure_kinds variant that words them ({where}: the proxy or the service).
_TRANSPORT = {
    F_DNS: (DNS_FAILURE, "name_of"),
    F_REFUSED: (CONNECTION_REFUSED, "refused_by"),
    F_UNREACHABLE: (NETWORK_UNREACHABLE, "route_to"),
    F_TIMEOUT: (TIMEOUT, "no_answer_from"),
    F_RESET: (ERROR, "reset_by"),
    F_TLS: (TLS_ERROR, "handshake_with"),
    F_PROTOCOL: (ERROR, "not_http"),
}


def classify(target: ProbeTarget, obs: Observation, policy: Optional[TlsPolicy] = None) -> Tuple[str, str]:
    """One category and a short explanation for an observation. Pure."""
    policy = policy or TlsPolicy()
    if obs.failure is None:
        if obs.proxy_status is not None:
            category, detail = _proxy_answer_category(obs)
            if target.scheme == "https" and obs.via_proxy:  # not an answer to CONNECT: read inside the TLS
                detail += ", delivered inside TLS (issuer: %s)" % (obs.issuer or "unknown")
            return category, detail
        if obs.status is None:
            return ERROR, fk.sentence(ERROR, "no_status")
        identity_found = identity_of(target, obs, policy)
        if identity_found == IDENTITY_MISMATCH:
            return TLS_INTERCEPTED, fk.sentence(TLS_INTERCEPTED, "unexpected_issuer", issuer=obs.issuer or "unknown",
                                                expected=", ".join(policy.expected_issuers))
        if _looks_like_a_block_page(target, obs, identity_found):
            return BLOCKED, fk.sentence(BLOCKED, "block_page")
        made = _proxy_made_status(target, obs, identity_found)
        if made is not None:
            return made
        return REACHABLE, fk.sentence(REACHABLE, "http", status=obs.status)
    failure = obs.failure
    if failure == F_TLS_VERIFY:
        if obs.proxy_status is not None:
            category, detail = _proxy_answer_category(obs)
            return category, "%s, delivered over intercepted TLS (issuer: %s)" % (detail, obs.issuer or "unknown")
        if obs.verify_code in UNTRUSTED_CHAIN_CODES:
            return TLS_INTERCEPTED, fk.sentence(TLS_INTERCEPTED, "untrusted_chain", issuer=obs.issuer or "unknown")
        return TLS_ERROR, fk.sentence(TLS_ERROR, "verification", cause=obs.detail or "code %s" % obs.verify_code)
    if failure == F_DNS and obs.at == AT_PROXY:
        # Through a proxy only the proxy's name is looked up here: the URL's name was never tried.
        return PROXY_DNS_FAILURE, fk.sentence(PROXY_DNS_FAILURE, "observed") + (" (%s)" % obs.detail if obs.detail else "")
    if failure in _TRANSPORT:
        category, variant = _TRANSPORT[failure]
        message = fk.sentence(category, variant, where=_where(obs))
        if obs.detail:
            message += " (%s)" % obs.detail
        return category, message
    if failure == F_NOT_RUN:
        return NOT_RUN, obs.detail or fk.sentence(NOT_RUN)
    return ERROR, obs.detail or fk.sentence(ERROR, "unexpected")
