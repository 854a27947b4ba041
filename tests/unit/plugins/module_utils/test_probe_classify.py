# -*- coding: utf-8 -*-
"""Proxy error headers and the classification of observations (pure)."""

from __future__ import annotations

import pytest

from ansible_collections.purview.device_proxy.plugins.module_utils import microsoft_tls_trust
from ansible_collections.purview.device_proxy.plugins.module_utils import probe_classify
from ansible_collections.purview.device_proxy.plugins.module_utils import probe_model
from ansible_collections.purview.device_proxy.plugins.module_utils import probe_targets

HTTPS = probe_targets.make_target("https://winatp-gw-cus.microsoft.com/test")
BLOB = probe_targets.make_target({"url": "https://ussus1eastprod.blob.core.windows.net", "no_pinning": True, "expected_status": [400]})
CTL = probe_targets.make_target("http://ctldl.windowsupdate.com/msdownload/update/v3/static/trustedr/en/disallowedcertstl.cab")
MICROSOFT_ISSUER = (("C", "US"), ("O", "Microsoft Corporation"), ("CN", "Microsoft Azure RSA TLS Issuing CA 03"))


# --- proxy error headers -----------------------------------------------------------------------

@pytest.mark.parametrize("headers, token", [
    ({"x-squid-error": "ERR_ACCESS_DENIED 0"}, "err_access_denied"),
    ({"x-squid-error": "ERR_DNS_FAIL 0"}, "err_dns_fail"),
    ({"x-squid-error": "ERR_CONNECT_FAIL 111"}, "errno:111"),
    ({"proxy-status": 'proxy.example; error=dns_error; rcode="NXDOMAIN"'}, "dns_error"),
    ({"proxy-status": "proxy.example; received-status=200"}, None),
    ({}, None),
])
def test_parse_proxy_error(headers, token):
    assert probe_classify.parse_proxy_error(headers) == token


# --- classification ----------------------------------------------------------------------------

@pytest.mark.parametrize("obs, category", [
    (probe_model.Observation(status=200), probe_model.REACHABLE),
    (probe_model.Observation(status=404), probe_model.REACHABLE),
    (probe_model.Observation(proxy_status=403, proxy_error="err_access_denied", at=probe_model.AT_PROXY), probe_model.BLOCKED),
    (probe_model.Observation(proxy_status=403, at=probe_model.AT_PROXY), probe_model.BLOCKED),
    (probe_model.Observation(proxy_status=407, at=probe_model.AT_PROXY), probe_model.PROXY_AUTH_REQUIRED),
    (probe_model.Observation(proxy_status=503, proxy_error="err_dns_fail", at=probe_model.AT_PROXY), probe_model.DNS_FAILURE),
    (probe_model.Observation(proxy_status=503, proxy_error="errno:111", at=probe_model.AT_PROXY), probe_model.CONNECTION_REFUSED),
    (probe_model.Observation(proxy_status=503, proxy_error="errno:110", at=probe_model.AT_PROXY), probe_model.TIMEOUT),
    (probe_model.Observation(proxy_status=502, proxy_error="connection_timeout", at=probe_model.AT_PROXY), probe_model.TIMEOUT),
    (probe_model.Observation(proxy_status=503, at=probe_model.AT_PROXY), probe_model.PROXY_ERROR),
    (probe_model.Observation(proxy_status=500, proxy_error="err_cannot_forward", at=probe_model.AT_PROXY), probe_model.DNS_FAILURE),
    (probe_model.Observation(proxy_status=502, proxy_error="err_read_error", at=probe_model.AT_PROXY), probe_model.PROXY_ERROR),
    (probe_model.Observation(failure=probe_model.F_TLS_VERIFY, verify_code=20, issuer="CN=Corp Inspection CA"), probe_model.TLS_INTERCEPTED),
    (probe_model.Observation(failure=probe_model.F_TLS_VERIFY, verify_code=19), probe_model.TLS_INTERCEPTED),
    (probe_model.Observation(failure=probe_model.F_TLS_VERIFY, verify_code=62, detail="Hostname mismatch"), probe_model.TLS_ERROR),
    (probe_model.Observation(failure=probe_model.F_TLS, detail="WRONG_VERSION_NUMBER"), probe_model.TLS_ERROR),
    (probe_model.Observation(failure=probe_model.F_DNS), probe_model.DNS_FAILURE),
    (probe_model.Observation(failure=probe_model.F_REFUSED, at=probe_model.AT_PROXY), probe_model.CONNECTION_REFUSED),
    (probe_model.Observation(failure=probe_model.F_UNREACHABLE), probe_model.NETWORK_UNREACHABLE),
    (probe_model.Observation(failure=probe_model.F_TIMEOUT), probe_model.TIMEOUT),
    (probe_model.Observation(failure=probe_model.F_RESET), probe_model.ERROR),
    (probe_model.Observation(failure=probe_model.F_PROTOCOL), probe_model.ERROR),
    (probe_model.Observation(failure=probe_model.F_NOT_RUN), probe_model.NOT_RUN),
    (probe_model.Observation(failure=probe_model.F_OTHER, detail="boom"), probe_model.ERROR),
    (probe_model.Observation(), probe_model.ERROR),
])
def test_classify(obs, category):
    assert probe_classify.classify(HTTPS, obs)[0] == category


def test_intercepted_detail_reports_the_issuer():
    category, detail = probe_classify.classify(HTTPS, probe_model.Observation(failure=probe_model.F_TLS_VERIFY, verify_code=20, issuer="CN=Corp Inspection CA"))
    assert category == probe_model.TLS_INTERCEPTED
    assert "CN=Corp Inspection CA" in detail


def test_refused_detail_says_where():
    assert "the proxy" in probe_classify.classify(HTTPS, probe_model.Observation(failure=probe_model.F_REFUSED, at=probe_model.AT_PROXY))[1]
    assert "the service" in probe_classify.classify(HTTPS, probe_model.Observation(failure=probe_model.F_REFUSED))[1]


def test_expected_issuer_mismatch_is_interception_even_with_a_trusted_chain():
    # Expected issuers are whole organisation or common names now (no substrings).
    policy = probe_model.TlsPolicy(expected_issuers=("Microsoft Corporation",))
    trusted_corporate = probe_model.Observation(status=200, issuer="O=Corp, CN=Corp Inspection CA",
                                                issuer_names=(("O", "Corp"), ("CN", "Corp Inspection CA")))
    assert probe_classify.classify(HTTPS, trusted_corporate, policy)[0] == probe_model.TLS_INTERCEPTED
    genuine = probe_model.Observation(status=200, issuer="C=US, O=Microsoft Corporation, CN=Microsoft Azure RSA TLS Issuing CA 03",
                                      issuer_names=MICROSOFT_ISSUER)
    assert probe_classify.classify(HTTPS, genuine, policy)[0] == probe_model.REACHABLE


def test_no_pinning_urls_and_plain_http_skip_the_issuer_check():
    policy = probe_model.TlsPolicy(expected_issuers=("Microsoft",))
    assert probe_classify.classify(BLOB, probe_model.Observation(status=400, issuer="CN=Other"), policy)[0] == probe_model.REACHABLE
    assert probe_classify.classify(CTL, probe_model.Observation(status=200), policy)[0] == probe_model.REACHABLE


def test_status_expected_is_reported():
    result = probe_model.ProbeResult(BLOB, probe_model.Hop(probe_model.DIRECT), probe_model.Observation(status=400), probe_model.REACHABLE, "")
    assert result.as_dict()["status_expected"] is True
    result = probe_model.ProbeResult(BLOB, probe_model.Hop(probe_model.DIRECT), probe_model.Observation(status=200), probe_model.REACHABLE, "")
    assert result.as_dict()["status_expected"] is False
    result = probe_model.ProbeResult(HTTPS, probe_model.Hop(probe_model.DIRECT), probe_model.Observation(status=200), probe_model.REACHABLE, "")
    assert result.as_dict()["status_expected"] is None


def test_proxy_answer_delivered_over_intercepted_tls_keeps_the_proxy_verdict():
    obs = probe_model.Observation(failure=probe_model.F_TLS_VERIFY, verify_code=20, issuer="CN=Bump CA",
                                  proxy_status=403, proxy_error="err_access_denied")
    category, detail = probe_classify.classify(HTTPS, obs)
    assert category == probe_model.BLOCKED
    assert "intercepted TLS" in detail and "CN=Bump CA" in detail


# --- whose certificate: exact names, fingerprints, never a substring --------------------------

ROOT_FP = sorted(microsoft_tls_trust.root_thumbprints())[0]
OTHER_FP = "0123456789abcdef0123456789abcdef01234567"
LEAF_FP = "fedcba9876543210fedcba9876543210fedcba98"


@pytest.mark.parametrize("names", [
    (("O", "Microsoft Corporation Inspection Services"), ("CN", "Proxy CA")),  # contains the expected name
    (("O", "Contoso"), ("CN", "Contoso Microsoft Corporation CA")),
    (("O", "Contoso"), ("OU", "Microsoft Corporation"), ("CN", "Contoso CA")),  # OU is not the issuer's name
])
def test_expected_issuer_is_matched_whole_never_as_a_substring(names):
    policy = probe_model.TlsPolicy(expected_issuers=("Microsoft Corporation", "DigiCert Inc"))
    issuer = ", ".join("%s=%s" % pair for pair in names)
    obs = probe_model.Observation(status=200, issuer=issuer, issuer_names=names)
    assert probe_classify.classify(HTTPS, obs, policy)[0] == probe_model.TLS_INTERCEPTED
    assert probe_classify.identity_of(HTTPS, obs, policy) == "mismatch"


@pytest.mark.parametrize("names", [(("O", "microsoft corporation"),), (("CN", "DigiCert Inc"),)])
def test_expected_issuer_matches_organisation_or_common_name(names):
    policy = probe_model.TlsPolicy(expected_issuers=("Microsoft Corporation", "DigiCert Inc"))
    obs = probe_model.Observation(status=200, issuer_names=names)
    assert probe_classify.classify(HTTPS, obs, policy)[0] == probe_model.REACHABLE
    assert probe_classify.identity_of(HTTPS, obs, policy) == "matched"


def test_with_the_verified_chain_the_root_fingerprint_decides_over_a_copied_name():
    # An interceptor can call its CA "Microsoft Corporation"; it cannot give its chain a Microsoft root.
    policy = probe_model.TlsPolicy(expected_issuers=("Microsoft Corporation", ROOT_FP.upper()))
    copied = probe_model.Observation(status=200, issuer_names=MICROSOFT_ISSUER, chain_fingerprints=(LEAF_FP, OTHER_FP))
    assert probe_classify.classify(HTTPS, copied, policy)[0] == probe_model.TLS_INTERCEPTED
    genuine = probe_model.Observation(status=200, issuer_names=MICROSOFT_ISSUER, chain_fingerprints=(LEAF_FP, ROOT_FP))
    assert probe_classify.classify(HTTPS, genuine, policy)[0] == probe_model.REACHABLE
    assert probe_classify.identity_of(HTTPS, genuine, policy) == "matched"


def test_fingerprints_alone_without_a_chain_leave_the_identity_unchecked():
    policy = probe_model.TlsPolicy(expected_issuers=(ROOT_FP,))
    obs = probe_model.Observation(status=200, issuer_names=(("O", "Anyone"),), chain_fingerprints=None)
    assert probe_classify.classify(HTTPS, obs, policy)[0] == probe_model.REACHABLE
    assert probe_classify.identity_of(HTTPS, obs, policy) == "unchecked"


def test_without_expectations_nothing_is_matched():
    obs = probe_model.Observation(status=200, issuer_names=MICROSOFT_ISSUER)
    assert probe_classify.identity_of(HTTPS, obs, probe_model.TlsPolicy()) == "unchecked"


# --- a proxy's own answer is never the service's ----------------------------------------------

def test_plain_http_403_through_a_proxy_without_squid_headers_is_the_proxys_block_page():
    page = probe_model.Observation(status=403, via_proxy=True)
    assert probe_classify.classify(CTL, page)[0] == probe_model.BLOCKED
    expecting_403 = probe_targets.make_target({"url": CTL.url, "expected_status": [403]})
    assert probe_classify.classify(expecting_403, page)[0] == probe_model.REACHABLE
    # Without a proxy in the way the 403 can only be the service's.
    assert probe_classify.classify(CTL, probe_model.Observation(status=403))[0] == probe_model.REACHABLE


def test_https_403_through_a_proxy_counts_only_with_the_services_certificate():
    policy = probe_model.TlsPolicy(expected_issuers=("Microsoft Corporation",))
    genuine = probe_model.Observation(status=403, via_proxy=True, issuer_names=MICROSOFT_ISSUER)
    assert probe_classify.classify(HTTPS, genuine, policy)[0] == probe_model.REACHABLE
    unchecked = probe_model.Observation(status=403, via_proxy=True, issuer_names=MICROSOFT_ISSUER)
    assert probe_classify.classify(HTTPS, unchecked, probe_model.TlsPolicy())[0] == probe_model.BLOCKED


def test_squid_answer_inside_verified_tls_keeps_the_proxy_verdict():
    obs = probe_model.Observation(proxy_status=403, proxy_error="err_access_denied", at=probe_model.AT_PROXY,
                                  issuer="O=Inspection CA", via_proxy=True)
    category, detail = probe_classify.classify(HTTPS, obs)
    assert category == probe_model.BLOCKED and "inside TLS" in detail and "O=Inspection CA" in detail


@pytest.mark.parametrize("token", ["err_dns_fail", "err_read_timeout", "dns_timeout"])
def test_upstream_failures_reported_by_the_proxy_say_so(token):
    obs = probe_model.Observation(proxy_status=503, proxy_error=token, at=probe_model.AT_PROXY)
    assert "at the proxy" in probe_classify.classify(HTTPS, obs)[1]
    assert probe_classify.proxy_tried_to_forward(obs)
    assert not probe_classify.proxy_tried_to_forward(probe_model.Observation(proxy_status=403, proxy_error="err_access_denied"))
