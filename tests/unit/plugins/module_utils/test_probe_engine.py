# -*- coding: utf-8 -*-
"""Probe engine: input model, proxy resolution, classification, summary and verdict (no network)."""

import errno
import ssl

import pytest

from ansible_collections.purview.device_proxy.plugins.module_utils import probe_engine as pe
from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import ProxyEndpoint

HTTPS = pe.make_target("https://winatp-gw-cus.microsoft.com/test")
BLOB = pe.make_target({"url": "https://ussus1eastprod.blob.core.windows.net", "no_pinning": True, "expected_status": [400]})
CTL = pe.make_target("http://ctldl.windowsupdate.com/msdownload/update/v3/static/trustedr/en/disallowedcertstl.cab")
PROXY = ProxyEndpoint("10.0.0.6", 8080)


# --- targets -----------------------------------------------------------------------------------

def test_target_from_plain_url_uses_default_port_and_path():
    assert (HTTPS.scheme, HTTPS.host, HTTPS.port, HTTPS.path) == ("https", "winatp-gw-cus.microsoft.com", 443, "/test")
    assert HTTPS.host_header == "winatp-gw-cus.microsoft.com"
    assert HTTPS.authority == "winatp-gw-cus.microsoft.com:443"
    assert CTL.port == 80


def test_target_from_catalog_probe_dict():
    target = pe.make_target({"url": "https://go.microsoft.com/fwlink/?linkid=2120136", "channel": "updates",
                             "expected_status": [200], "no_pinning": False, "method": "HEAD", "host": "ignored"})
    assert target.path == "/fwlink/?linkid=2120136"
    assert target.expected_status == (200,)
    assert target.method == "HEAD"
    assert target.channel == "updates"


def test_non_default_port_goes_into_host_header():
    target = pe.make_target("https://svc.test:8443/x")
    assert target.host_header == "svc.test:8443"


@pytest.mark.parametrize("value, rule", [
    ("ftp://a.example/", "url-scheme"),
    ("https://*.wd.microsoft.com/", "url-host"),
    ("https://user:secret@a.example/", "url-credentials"),
    ("", "url-required"),
    ({"url": "https://a.example/", "method": "POST"}, "method"),
    ({"url": "https://a.example/", "expected_status": [999]}, "status"),
    ({"url": "https://a.example/", "expected_status": ["ok"]}, "status"),
    (42, "entry-type"),
])
def test_bad_targets_name_the_field_and_rule(value, rule):
    with pytest.raises(pe.ProbeConfigError) as info:
        pe.make_target(value, "urls")
    assert info.value.rule == rule
    assert str(info.value).startswith("urls: ")
    assert "secret" not in str(info.value)


def test_make_targets_removes_duplicates_and_requires_one():
    assert len(pe.make_targets(["https://a.example/", "https://a.example/", "http://b.example/"])) == 2
    with pytest.raises(pe.ProbeConfigError, match="at least one"):
        pe.make_targets([])


# --- proxies from text, environment and PAC ---------------------------------------------------

def test_split_proxy_url_keeps_credentials_out_of_the_endpoint():
    endpoint, credentials = pe.split_proxy_url("http://us%40er:p%3Ass@proxy.corp.example:3128/", "https_proxy")
    assert endpoint == ProxyEndpoint("proxy.corp.example", 3128)
    assert (credentials.username, credentials.password) == ("us@er", "p:ss")
    assert "p:ss" not in repr(credentials)


def test_split_proxy_url_error_names_variable_and_hides_password():
    with pytest.raises(pe.ProbeConfigError) as info:
        pe.split_proxy_url("https://user:hunter2@proxy.example:3128", "https_proxy")
    assert info.value.field == "https_proxy"
    assert info.value.rule == "unsupported-scheme"
    assert "hunter2" not in str(info.value)


def test_basic_credentials_header():
    assert pe.Credentials("Aladdin", "open sesame").header_value() == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="


@pytest.mark.parametrize("no_proxy, host, port, expected", [
    ("microsoft.com", "winatp-gw-cus.microsoft.com", 443, True),
    (".microsoft.com", "winatp-gw-cus.microsoft.com", 443, True),
    ("microsoft.com", "notmicrosoft.com", 443, False),
    ("*", "anything.example", 443, True),
    ("10.0.0.0/8", "10.1.2.3", 443, True),
    ("10.0.0.0/8", "11.1.2.3", 443, False),
    ("a.example:8443", "a.example", 443, False),
    ("a.example:8443", "a.example", 8443, True),
    ("localhost, 127.0.0.1", "127.0.0.1", 80, True),
    ("", "a.example", 443, False),
])
def test_no_proxy_matching(no_proxy, host, port, expected):
    assert pe.no_proxy_matches(no_proxy, host, port) is expected


def test_environment_hop_prefers_lower_case_and_scheme_variable():
    environ = {"HTTPS_PROXY": "http://upper.example:1", "https_proxy": "http://lower.example:2",
               "http_proxy": "http://plain.example:3"}
    assert pe.environment_hop(HTTPS, environ).proxy == ProxyEndpoint("lower.example", 2)
    assert pe.environment_hop(CTL, environ).proxy == ProxyEndpoint("plain.example", 3)


def test_environment_hop_none_without_variables_and_direct_when_bypassed():
    assert pe.environment_hop(HTTPS, {}) is None
    hop = pe.environment_hop(HTTPS, {"https_proxy": "http://p.example:3128", "no_proxy": ".microsoft.com"})
    assert hop.route == pe.ENVIRONMENT and hop.proxy is None and "no_proxy" in hop.note


def test_environment_hop_without_variable_for_the_scheme_goes_direct():
    hop = pe.environment_hop(HTTPS, {"http_proxy": "http://p.example:3128"})
    assert hop.proxy is None


def test_environment_credentials_are_carried_not_shown():
    hop = pe.environment_hop(HTTPS, {"https_proxy": "http://u:secret@p.example:3128"})
    assert hop.credentials.password == "secret"
    job = pe.ProbeResult(HTTPS, hop, pe.Observation(status=200), pe.REACHABLE, "HTTP 200")
    assert "secret" not in repr(job.as_dict())
    assert job.as_dict()["proxy_authenticated"] is True


def test_validate_environment_fails_before_probing():
    with pytest.raises(pe.ProbeConfigError) as info:
        pe.validate_environment({"http_proxy": "http://p.example"})
    assert info.value.field == "http_proxy"


@pytest.mark.parametrize("text, expected", [
    ("DIRECT", [None]),
    ("PROXY 10.0.0.6:8080; DIRECT", [PROXY, None]),
    ("proxy 10.0.0.6:8080", [PROXY]),
    ("HTTP 10.0.0.6:8080;", [PROXY]),
    ("", [None]),
    (None, [None]),
])
def test_parse_pac_result(text, expected):
    assert pe.parse_pac_result(text) == expected


@pytest.mark.parametrize("text", ["SOCKS5 10.0.0.6:1080", "PROXY 10.0.0.6", "HTTPS a.example:443"])
def test_parse_pac_result_rejects_unsupported(text):
    with pytest.raises(pe.ProbeConfigError):
        pe.parse_pac_result(text)


def test_pac_resolver_chooses_proxy_per_host():
    pytest.importorskip("pypac")
    script = """
    function FindProxyForURL(url, host) {
        if (dnsDomainIs(host, ".microsoft.com")) { return "PROXY 10.0.0.6:8080; DIRECT"; }
        return "DIRECT";
    }"""
    resolver = pe.PacResolver(script, "test")
    assert resolver.hop_for(HTTPS) == pe.Hop(pe.PAC, PROXY, None, "PAC returned PROXY 10.0.0.6:8080")
    assert resolver.hop_for(BLOB).proxy is None


def test_pac_resolver_rejects_broken_script_up_front():
    pytest.importorskip("pypac")
    with pytest.raises(pe.ProbeConfigError) as info:
        pe.PacResolver("function FindProxyForURL(url, host) { return ", "broken.pac")
    assert info.value.field == "pac_url"


def test_load_pac_reads_a_file(tmp_path):
    pytest.importorskip("pypac")
    path = tmp_path / "proxy.pac"
    path.write_text('function FindProxyForURL(url, host) { return "PROXY 10.0.0.6:8080"; }')
    assert pe.load_pac(pac_file=str(path)).hop_for(HTTPS).proxy == PROXY
    with pytest.raises(pe.ProbeConfigError) as info:
        pe.load_pac(pac_file=str(tmp_path / "missing.pac"))
    assert info.value.field == "pac_file"


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
    assert pe.parse_proxy_error(headers) == token


# --- classification ----------------------------------------------------------------------------

@pytest.mark.parametrize("obs, category", [
    (pe.Observation(status=200), pe.REACHABLE),
    (pe.Observation(status=404), pe.REACHABLE),
    (pe.Observation(proxy_status=403, proxy_error="err_access_denied", at=pe.AT_PROXY), pe.BLOCKED),
    (pe.Observation(proxy_status=403, at=pe.AT_PROXY), pe.BLOCKED),
    (pe.Observation(proxy_status=407, at=pe.AT_PROXY), pe.PROXY_AUTH_REQUIRED),
    (pe.Observation(proxy_status=503, proxy_error="err_dns_fail", at=pe.AT_PROXY), pe.DNS_FAILURE),
    (pe.Observation(proxy_status=503, proxy_error="errno:111", at=pe.AT_PROXY), pe.CONNECTION_REFUSED),
    (pe.Observation(proxy_status=503, proxy_error="errno:110", at=pe.AT_PROXY), pe.TIMEOUT),
    (pe.Observation(proxy_status=502, proxy_error="connection_timeout", at=pe.AT_PROXY), pe.TIMEOUT),
    (pe.Observation(proxy_status=503, at=pe.AT_PROXY), pe.PROXY_ERROR),
    (pe.Observation(proxy_status=500, proxy_error="err_cannot_forward", at=pe.AT_PROXY), pe.DNS_FAILURE),
    (pe.Observation(proxy_status=502, proxy_error="err_read_error", at=pe.AT_PROXY), pe.PROXY_ERROR),
    (pe.Observation(failure=pe.F_TLS_VERIFY, verify_code=20, issuer="CN=Corp Inspection CA"), pe.TLS_INTERCEPTED),
    (pe.Observation(failure=pe.F_TLS_VERIFY, verify_code=19), pe.TLS_INTERCEPTED),
    (pe.Observation(failure=pe.F_TLS_VERIFY, verify_code=62, detail="Hostname mismatch"), pe.TLS_ERROR),
    (pe.Observation(failure=pe.F_TLS, detail="WRONG_VERSION_NUMBER"), pe.TLS_ERROR),
    (pe.Observation(failure=pe.F_DNS), pe.DNS_FAILURE),
    (pe.Observation(failure=pe.F_REFUSED, at=pe.AT_PROXY), pe.CONNECTION_REFUSED),
    (pe.Observation(failure=pe.F_UNREACHABLE), pe.NETWORK_UNREACHABLE),
    (pe.Observation(failure=pe.F_TIMEOUT), pe.TIMEOUT),
    (pe.Observation(failure=pe.F_RESET), pe.ERROR),
    (pe.Observation(failure=pe.F_PROTOCOL), pe.ERROR),
    (pe.Observation(failure=pe.F_NOT_RUN), pe.NOT_RUN),
    (pe.Observation(failure=pe.F_OTHER, detail="boom"), pe.ERROR),
    (pe.Observation(), pe.ERROR),
])
def test_classify(obs, category):
    assert pe.classify(HTTPS, obs)[0] == category


def test_intercepted_detail_reports_the_issuer():
    category, detail = pe.classify(HTTPS, pe.Observation(failure=pe.F_TLS_VERIFY, verify_code=20, issuer="CN=Corp Inspection CA"))
    assert category == pe.TLS_INTERCEPTED
    assert "CN=Corp Inspection CA" in detail


def test_refused_detail_says_where():
    assert "the proxy" in pe.classify(HTTPS, pe.Observation(failure=pe.F_REFUSED, at=pe.AT_PROXY))[1]
    assert "the service" in pe.classify(HTTPS, pe.Observation(failure=pe.F_REFUSED))[1]


def test_expected_issuer_mismatch_is_interception_even_with_a_trusted_chain():
    policy = pe.TlsPolicy(expected_issuers=("Microsoft",))
    trusted_corporate = pe.Observation(status=200, issuer="O=Corp, CN=Corp Inspection CA")
    assert pe.classify(HTTPS, trusted_corporate, policy)[0] == pe.TLS_INTERCEPTED
    genuine = pe.Observation(status=200, issuer="C=US, O=Microsoft Corporation, CN=Microsoft Azure RSA TLS Issuing CA 03")
    assert pe.classify(HTTPS, genuine, policy)[0] == pe.REACHABLE


def test_no_pinning_urls_and_plain_http_skip_the_issuer_check():
    policy = pe.TlsPolicy(expected_issuers=("Microsoft",))
    assert pe.classify(BLOB, pe.Observation(status=400, issuer="CN=Other"), policy)[0] == pe.REACHABLE
    assert pe.classify(CTL, pe.Observation(status=200), policy)[0] == pe.REACHABLE


def test_status_expected_is_reported():
    result = pe.ProbeResult(BLOB, pe.Hop(pe.DIRECT), pe.Observation(status=400), pe.REACHABLE, "")
    assert result.as_dict()["status_expected"] is True
    result = pe.ProbeResult(BLOB, pe.Hop(pe.DIRECT), pe.Observation(status=200), pe.REACHABLE, "")
    assert result.as_dict()["status_expected"] is False
    result = pe.ProbeResult(HTTPS, pe.Hop(pe.DIRECT), pe.Observation(status=200), pe.REACHABLE, "")
    assert result.as_dict()["status_expected"] is None


# --- certificate issuer ------------------------------------------------------------------------

def test_issuer_from_der_matches_the_ssl_module_reading(tmp_path):
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA(organization_name="Contoso Test", organization_unit_name="Probe Unit")
    leaf = ca.issue_cert("svc.test")
    pem = leaf.cert_chain_pems[0].bytes()
    der = ssl.PEM_cert_to_DER_cert(pem.decode("ascii"))
    path = tmp_path / "leaf.pem"
    path.write_bytes(pem)
    decoded = ssl._ssl._test_decode_cert(str(path))  # pylint: disable=protected-access
    from_der = pe.issuer_from_der(der)
    assert from_der == pe.issuer_from_peercert(decoded)
    assert from_der == "O=Contoso Test, OU=Probe Unit"


@pytest.mark.parametrize("data", [b"", b"\x30", b"\x30\x82\xff\xff", b"\x02\x01\x00"])
def test_issuer_from_der_survives_garbage(data):
    assert pe.issuer_from_der(data) is None


def test_issuer_from_peercert_without_issuer():
    assert pe.issuer_from_peercert({}) is None
    assert pe.issuer_from_peercert(None) is None


# --- summary and verdict -----------------------------------------------------------------------

def result(target, route, category, proxy=PROXY, credentials=None, **obs):
    hop = pe.Hop(route, proxy if route != pe.DIRECT else None, credentials)
    return pe.ProbeResult(target, hop, pe.Observation(**obs), category, "")


def test_summary_all_met():
    results = [result(HTTPS, pe.NAMED, pe.REACHABLE, status=200), result(CTL, pe.NAMED, pe.REACHABLE, status=200)]
    summary = pe.summarize(results)
    assert {k: v["status"] for k, v in summary.items()} == {"allowed": "met", "not_inspected": "met", "anonymous": "met"}


def test_summary_each_requirement_fails_for_its_own_reason():
    results = [
        result(HTTPS, pe.NAMED, pe.TLS_INTERCEPTED, failure=pe.F_TLS_VERIFY, verify_code=20, issuer="CN=Bump CA"),
        result(BLOB, pe.NAMED, pe.BLOCKED, proxy_status=403),
        result(CTL, pe.NAMED, pe.PROXY_AUTH_REQUIRED, proxy_status=407),
    ]
    summary = pe.summarize(results)
    assert summary["allowed"]["status"] == "not_met" and summary["allowed"]["urls"] == [BLOB.url]
    assert summary["not_inspected"]["status"] == "not_met" and "CN=Bump CA" in summary["not_inspected"]["reason"]
    assert summary["anonymous"]["status"] == "not_met" and summary["anonymous"]["urls"] == [CTL.url]


def test_summary_unknown_without_proxy_or_answers():
    direct_only = pe.summarize([result(HTTPS, pe.DIRECT, pe.REACHABLE, status=200)])
    assert all(item["status"] == "unknown" for item in direct_only.values())
    timeouts = pe.summarize([result(HTTPS, pe.NAMED, pe.TIMEOUT, failure=pe.F_TIMEOUT)])
    assert all(item["status"] == "unknown" for item in timeouts.values())


def test_summary_anonymous_unknown_when_only_credentials_were_used():
    creds = pe.Credentials("u", "p")
    summary = pe.summarize([result(HTTPS, pe.NAMED, pe.REACHABLE, credentials=creds, status=200)])
    assert summary["anonymous"]["status"] == "unknown"
    assert summary["allowed"]["status"] == "met"


def test_summary_allowed_unknown_when_authentication_hides_access_rules():
    summary = pe.summarize([result(HTTPS, pe.NAMED, pe.REACHABLE, status=200),
                            result(CTL, pe.NAMED, pe.PROXY_AUTH_REQUIRED, proxy_status=407)])
    assert summary["allowed"]["status"] == "unknown"


def test_verdict_nothing_reachable_says_why():
    results = [result(HTTPS, pe.DIRECT, pe.DNS_FAILURE, failure=pe.F_DNS),
               result(CTL, pe.DIRECT, pe.DNS_FAILURE, failure=pe.F_DNS),
               result(HTTPS, pe.NAMED, pe.CONNECTION_REFUSED, failure=pe.F_REFUSED, at=pe.AT_PROXY)]
    text = pe.verdict(results)
    assert text.startswith("Nothing was reachable from this host")
    assert "did not resolve" in text
    assert "direct: 0 of 2 reachable (dns_failure 2)" in text
    assert "named proxy 10.0.0.6:8080: 0 of 1 reachable (connection_refused 1)" in text


def test_verdict_places_failures_at_the_proxy():
    results = [result(HTTPS, pe.NAMED, pe.CONNECTION_REFUSED, failure=pe.F_REFUSED, at=pe.AT_PROXY),
               result(CTL, pe.NAMED, pe.CONNECTION_REFUSED, failure=pe.F_REFUSED, at=pe.AT_PROXY)]
    assert "mostly because the proxy refused the connection" in pe.verdict(results)


def test_verdict_counts_reachable_urls():
    results = [result(HTTPS, pe.DIRECT, pe.TIMEOUT, failure=pe.F_TIMEOUT),
               result(HTTPS, pe.NAMED, pe.REACHABLE, status=200),
               result(CTL, pe.NAMED, pe.BLOCKED, proxy_status=403)]
    text = pe.verdict(results)
    assert text.startswith("1 of 2 URL(s) reachable")


def test_verdict_without_results():
    assert "No probe" in pe.verdict([])


# --- analyzer text from results ----------------------------------------------------------------

def test_analyzer_text_maps_routes_to_methods():
    results = [
        result(HTTPS, pe.ENVIRONMENT, pe.REACHABLE, status=200),
        result(HTTPS, pe.DIRECT, pe.TIMEOUT, failure=pe.F_TIMEOUT),
        result(HTTPS, pe.NAMED, pe.PROXY_AUTH_REQUIRED, proxy_status=407),
    ]
    assert pe.render_analyzer_text(results) == (
        "Testing URL : https://winatp-gw-cus.microsoft.com/test\n"
        "1 - Default proxy: Succeeded (200)\n"
        "2 - Proxy auto discovery (WPAD): Doesn't exist\n"
        "3 - Proxy disabled: Failed (timeout)\n"
        "4 - Named proxy (10.0.0.6:8080): Failed (407)\n"
        "5 - Command line proxy: Doesn't exist\n"
    )


# --- planning ----------------------------------------------------------------------------------

def test_plan_jobs_only_for_configured_routes():
    targets = [HTTPS, CTL]
    named = pe.Hop(pe.NAMED, PROXY)
    jobs = pe.plan_jobs(targets, pe.ROUTES, named=named, environ={})
    assert [(j.route, j.target.url) for j in jobs] == [
        (pe.DIRECT, HTTPS.url), (pe.DIRECT, CTL.url), (pe.NAMED, HTTPS.url), (pe.NAMED, CTL.url)]
    jobs = pe.plan_jobs(targets, [pe.ENVIRONMENT], environ={"https_proxy": "http://p.example:1"})
    assert [j.hop.proxy for j in jobs] == [ProxyEndpoint("p.example", 1), None]


def test_os_errors_map_to_failures():
    assert pe._os_failure(ConnectionRefusedError(errno.ECONNREFUSED, "x"), pe.AT_PROXY).failure == pe.F_REFUSED
    assert pe._os_failure(OSError(errno.ENETUNREACH, "x"), pe.AT_ORIGIN).failure == pe.F_UNREACHABLE
    assert pe._os_failure(OSError(errno.EINVAL, "x"), pe.AT_ORIGIN).failure == pe.F_UNREACHABLE
    assert pe._os_failure(OSError(errno.ETIMEDOUT, "x"), pe.AT_ORIGIN).failure == pe.F_TIMEOUT
    assert pe._os_failure(ConnectionResetError(), pe.AT_ORIGIN).failure == pe.F_RESET
    assert pe._os_failure(OSError(errno.EIO, "x"), pe.AT_ORIGIN).failure == pe.F_OTHER


def test_proxy_answer_delivered_over_intercepted_tls_keeps_the_proxy_verdict():
    obs = pe.Observation(failure=pe.F_TLS_VERIFY, verify_code=20, issuer="CN=Bump CA",
                         proxy_status=403, proxy_error="err_access_denied")
    category, detail = pe.classify(HTTPS, obs)
    assert category == pe.BLOCKED
    assert "intercepted TLS" in detail and "CN=Bump CA" in detail


def test_verdict_table_one_row_per_url_one_column_per_route():
    results = [
        result(HTTPS, pe.DIRECT, pe.DNS_FAILURE, failure=pe.F_DNS),
        result(CTL, pe.DIRECT, pe.DNS_FAILURE, failure=pe.F_DNS),
        result(HTTPS, pe.NAMED, pe.REACHABLE, status=200),
        result(CTL, pe.NAMED, pe.BLOCKED, proxy_status=403),
    ]
    lines = pe.render_table(results).splitlines()
    assert lines[0].split("  ")[0] == "URL"
    assert "direct" in lines[0] and "named proxy 10.0.0.6:8080" in lines[0]
    assert set(lines[1]) == {"-", " "}
    assert lines[2].startswith(HTTPS.url) and lines[2].endswith("OK 200") and "dns_failure" in lines[2]
    assert lines[3].startswith(CTL.url) and lines[3].endswith("blocked 403")
    assert pe.render_table([]) == ""


@pytest.mark.parametrize("value, secrets", [
    ("http://u:p%40ss@h:3128", ["u:p%40ss", "p%40ss", "p@ss"]),
    ("u:pw@h:3128", ["u:pw", "pw"]),
    ("http://user@h:3128", ["user"]),
    ("http://h:3128", []),
    ("h:3128", []),
    (None, []),
])
def test_proxy_url_secrets_names_what_must_be_masked(value, secrets):
    assert pe.proxy_url_secrets(value) == secrets
