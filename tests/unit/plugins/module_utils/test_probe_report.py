# -*- coding: utf-8 -*-
"""Requirement summary, verdict, analyzer text and table (pure)."""

from __future__ import annotations

import pytest

from ansible_collections.purview.device_proxy.plugins.module_utils import probe_model
from ansible_collections.purview.device_proxy.plugins.module_utils import probe_report
from ansible_collections.purview.device_proxy.plugins.module_utils import probe_targets
from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import ProxyEndpoint

HTTPS = probe_targets.make_target("https://winatp-gw-cus.microsoft.com/test")
BLOB = probe_targets.make_target({"url": "https://ussus1eastprod.blob.core.windows.net", "no_pinning": True, "expected_status": [400]})
CTL = probe_targets.make_target("http://ctldl.windowsupdate.com/msdownload/update/v3/static/trustedr/en/disallowedcertstl.cab")
PROXY = ProxyEndpoint("10.0.0.6", 8080)


# --- summary and verdict -----------------------------------------------------------------------

def result(target, route, category, proxy=PROXY, credentials=None, identity="unchecked", **obs):
    hop = probe_model.Hop(route, proxy if route != probe_model.DIRECT else None, credentials)
    return probe_model.ProbeResult(target, hop, probe_model.Observation(**obs), category, "", identity)


def test_summary_all_met():
    results = [result(HTTPS, probe_model.NAMED, probe_model.REACHABLE, status=200, identity="matched"),
               result(CTL, probe_model.NAMED, probe_model.REACHABLE, status=200)]
    summary = probe_report.summarise(results)
    assert {k: v["status"] for k, v in summary.items()} == {"allowed": "met", "not_inspected": "met", "anonymous": "met"}


def test_summary_each_requirement_fails_for_its_own_reason():
    results = [
        result(HTTPS, probe_model.NAMED, probe_model.TLS_INTERCEPTED, failure=probe_model.F_TLS_VERIFY, verify_code=20, issuer="CN=Bump CA"),
        result(BLOB, probe_model.NAMED, probe_model.BLOCKED, proxy_status=403),
        result(CTL, probe_model.NAMED, probe_model.PROXY_AUTH_REQUIRED, proxy_status=407),
    ]
    summary = probe_report.summarise(results)
    assert summary["allowed"]["status"] == "not_met" and summary["allowed"]["urls"] == [BLOB.url]
    assert summary["not_inspected"]["status"] == "not_met" and "CN=Bump CA" in summary["not_inspected"]["reason"]
    assert summary["anonymous"]["status"] == "not_met" and summary["anonymous"]["urls"] == [CTL.url]


def test_summary_unknown_without_proxy_or_answers():
    direct_only = probe_report.summarise([result(HTTPS, probe_model.DIRECT, probe_model.REACHABLE, status=200)])
    assert all(item["status"] == "unknown" for item in direct_only.values())
    timeouts = probe_report.summarise([result(HTTPS, probe_model.NAMED, probe_model.TIMEOUT, failure=probe_model.F_TIMEOUT)])
    assert all(item["status"] == "unknown" for item in timeouts.values())


def test_summary_anonymous_unknown_when_only_credentials_were_used():
    creds = probe_model.Credentials("u", "p")
    summary = probe_report.summarise([result(HTTPS, probe_model.NAMED, probe_model.REACHABLE, credentials=creds, status=200)])
    assert summary["anonymous"]["status"] == "unknown"
    assert summary["allowed"]["status"] == "met"


def test_summary_allowed_unknown_when_authentication_hides_access_rules():
    summary = probe_report.summarise([result(HTTPS, probe_model.NAMED, probe_model.REACHABLE, status=200),
                                      result(CTL, probe_model.NAMED, probe_model.PROXY_AUTH_REQUIRED, proxy_status=407)])
    assert summary["allowed"]["status"] == "unknown"


def test_verdict_nothing_reachable_says_why():
    results = [result(HTTPS, probe_model.DIRECT, probe_model.DNS_FAILURE, failure=probe_model.F_DNS),
               result(CTL, probe_model.DIRECT, probe_model.DNS_FAILURE, failure=probe_model.F_DNS),
               result(HTTPS, probe_model.NAMED, probe_model.CONNECTION_REFUSED, failure=probe_model.F_REFUSED, at=probe_model.AT_PROXY)]
    text = probe_report.verdict(results)
    assert text.startswith("Nothing was reachable from this host")
    assert "did not resolve" in text
    assert "direct: 0 of 2 reachable (dns_failure 2)" in text
    assert "named proxy 10.0.0.6:8080: 0 of 1 reachable (connection_refused 1)" in text


def test_verdict_places_failures_at_the_proxy():
    results = [result(HTTPS, probe_model.NAMED, probe_model.CONNECTION_REFUSED, failure=probe_model.F_REFUSED, at=probe_model.AT_PROXY),
               result(CTL, probe_model.NAMED, probe_model.CONNECTION_REFUSED, failure=probe_model.F_REFUSED, at=probe_model.AT_PROXY)]
    assert "mostly because the proxy refused the connection" in probe_report.verdict(results)


def test_verdict_counts_reachable_urls():
    results = [result(HTTPS, probe_model.DIRECT, probe_model.TIMEOUT, failure=probe_model.F_TIMEOUT),
               result(HTTPS, probe_model.NAMED, probe_model.REACHABLE, status=200),
               result(CTL, probe_model.NAMED, probe_model.BLOCKED, proxy_status=403)]
    text = probe_report.verdict(results)
    assert text.startswith("1 of 2 URL(s) reachable")


def test_verdict_without_results():
    assert "No probe" in probe_report.verdict([])


# --- analyzer text from results ----------------------------------------------------------------

def test_analyzer_text_maps_routes_to_methods():
    results = [
        result(HTTPS, probe_model.ENVIRONMENT, probe_model.REACHABLE, status=200),
        result(HTTPS, probe_model.DIRECT, probe_model.TIMEOUT, failure=probe_model.F_TIMEOUT),
        result(HTTPS, probe_model.NAMED, probe_model.PROXY_AUTH_REQUIRED, proxy_status=407),
    ]
    assert probe_report.render_analyzer_text(results) == (
        "Testing URL : https://winatp-gw-cus.microsoft.com/test\n"
        "1 - Default proxy: Succeeded (200)\n"
        "2 - Proxy auto discovery (WPAD): Doesn't exist\n"
        "3 - Proxy disabled: Failed (timeout)\n"
        "4 - Named proxy (10.0.0.6:8080): Failed (407)\n"
        "5 - Command line proxy: Doesn't exist\n"
    )


def test_verdict_table_one_row_per_url_one_column_per_route():
    results = [
        result(HTTPS, probe_model.DIRECT, probe_model.DNS_FAILURE, failure=probe_model.F_DNS),
        result(CTL, probe_model.DIRECT, probe_model.DNS_FAILURE, failure=probe_model.F_DNS),
        result(HTTPS, probe_model.NAMED, probe_model.REACHABLE, status=200),
        result(CTL, probe_model.NAMED, probe_model.BLOCKED, proxy_status=403),
    ]
    lines = probe_report.render_table(results).splitlines()
    assert lines[0].split("  ")[0] == "URL"
    assert "direct" in lines[0] and "named proxy 10.0.0.6:8080" in lines[0]
    assert set(lines[1]) == {"-", " "}
    assert lines[2].startswith(HTTPS.url) and lines[2].endswith("OK 200") and "dns_failure" in lines[2]
    assert lines[3].startswith(CTL.url) and lines[3].endswith("blocked 403")
    assert probe_report.render_table([]) == ""


def test_not_inspected_is_never_met_when_no_issuer_was_checked():
    # A verified handshake through a proxy whose inspection CA this host trusts looks exactly like this.
    results = [result(HTTPS, probe_model.NAMED, probe_model.REACHABLE, status=200)]
    not_inspected = probe_report.summarise(results)["not_inspected"]
    assert not_inspected["status"] == "unknown"
    assert not_inspected["urls"] == [HTTPS.url]


def test_not_inspected_ignores_no_pinning_urls():
    results = [result(BLOB, probe_model.NAMED, probe_model.REACHABLE, status=400)]
    assert probe_report.summarise(results)["not_inspected"]["status"] == "unknown"


# --- offline: a proxy that could not forward still passed its access rules ---------------------

def forwarding_failure(target, token="err_cannot_forward", code=500, credentials=None, category=probe_model.DNS_FAILURE):
    return result(target, probe_model.NAMED, category, credentials=credentials, proxy_status=code, proxy_error=token,
                  at=probe_model.AT_PROXY)


@pytest.mark.parametrize("token, code, category", [
    ("err_cannot_forward", 500, probe_model.DNS_FAILURE),
    ("err_dns_fail", 503, probe_model.DNS_FAILURE),
    ("errno:110", 503, probe_model.TIMEOUT),
    ("err_read_timeout", 504, probe_model.TIMEOUT),
    ("dns_error", 502, probe_model.DNS_FAILURE),
])
def test_a_proxy_that_could_not_forward_proves_allowed_and_anonymous_but_not_reachable(token, code, category):
    results = [forwarding_failure(HTTPS, token, code, category=category), forwarding_failure(CTL, token, code, category=category)]
    summary = probe_report.summarise(results)
    assert summary["allowed"]["status"] == "met"
    assert summary["anonymous"]["status"] == "met"
    assert summary["not_inspected"]["status"] == "unknown"
    assert not any(r.reachable for r in results)
    assert probe_report.verdict(results).startswith("Nothing was reachable")


def test_forwarding_failures_with_credentials_say_nothing_about_anonymous():
    results = [forwarding_failure(HTTPS, credentials=probe_model.Credentials("u", "p"))]
    summary = probe_report.summarise(results)
    assert summary["allowed"]["status"] == "met"
    assert summary["anonymous"]["status"] == "unknown"


def test_a_proxy_error_without_a_forwarding_token_proves_nothing():
    results = [result(HTTPS, probe_model.NAMED, probe_model.PROXY_ERROR, proxy_status=503, at=probe_model.AT_PROXY)]
    summary = probe_report.summarise(results)
    assert summary["allowed"]["status"] == "unknown" and summary["anonymous"]["status"] == "unknown"


@pytest.mark.parametrize("token, category, words", [
    ("err_dns_fail", probe_model.DNS_FAILURE, "the proxy could not resolve"),
    ("err_read_timeout", probe_model.TIMEOUT, "the proxy got no answer"),
])
def test_verdict_places_upstream_failures_at_the_proxy(token, category, words):
    results = [forwarding_failure(HTTPS, token, 503, category=category), forwarding_failure(CTL, token, 503, category=category)]
    assert words in probe_report.verdict(results)
    assert results[0].as_dict()["failed_at"] == "proxy"


def test_failed_at_names_where_a_probe_failed():
    assert result(HTTPS, probe_model.DIRECT, probe_model.DNS_FAILURE, failure=probe_model.F_DNS).as_dict()["failed_at"] == "service"
    assert result(HTTPS, probe_model.NAMED, probe_model.REACHABLE, status=200).as_dict()["failed_at"] is None
    refused = result(HTTPS, probe_model.NAMED, probe_model.CONNECTION_REFUSED, failure=probe_model.F_REFUSED, at=probe_model.AT_PROXY)
    assert refused.as_dict()["failed_at"] == "proxy"


# --- the proxy's own name does not resolve -----------------------------------------------------

def test_a_proxy_name_that_does_not_resolve_is_its_own_kind_in_the_default_output():
    from ansible_collections.purview.device_proxy.plugins.module_utils import failure_kinds
    from ansible_collections.purview.device_proxy.plugins.module_utils import probe_classify

    obs = probe_model.Observation(failure=probe_model.F_DNS, at=probe_model.AT_PROXY, detail="Name or service not known")
    category, detail = probe_classify.classify(HTTPS, obs)
    assert category == failure_kinds.PROXY_DNS_FAILURE == "proxy_dns_failure"
    assert "proxy" in detail
    # The service's own name failing stays dns_failure.
    assert probe_classify.classify(HTTPS, probe_model.Observation(failure=probe_model.F_DNS))[0] == probe_model.DNS_FAILURE
    proxied = probe_model.ProbeResult(HTTPS, probe_model.Hop(probe_model.NAMED, PROXY), obs, category, detail)
    direct = result(CTL, probe_model.DIRECT, probe_model.REACHABLE, status=200)
    table = probe_report.render_table([direct, proxied])
    assert "proxy_dns_failure" in table
    assert "proxy_dns_failure" in probe_report.verdict([direct, proxied])
    assert "proxy_dns_failure" in probe_report.render_analyzer_text([proxied])
    assert failure_kinds.DESCRIPTIONS[failure_kinds.PROXY_DNS_FAILURE]
    nothing = probe_report.verdict([proxied])
    assert "the proxy's name did not resolve" in nothing
