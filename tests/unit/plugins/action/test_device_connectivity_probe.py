# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The device_connectivity_probe action plugin against recorded target results."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.purview.device_proxy.plugins.action import device_connectivity_probe as action
from ansible_collections.purview.device_proxy.plugins.module_utils import analyzer_text
from ansible_collections.purview.device_proxy.plugins.modules import device_connectivity_probe as doc

from .conftest import assert_shaped_like, documented_return

RECORDED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "device_connectivity_probe")
NAMES = sorted(name[:-5] for name in os.listdir(RECORDED) if name.endswith(".json"))


def recorded(name):
    with open(os.path.join(RECORDED, name + ".json"), encoding="utf-8") as handle:
        data = json.load(handle)
    return data["urls"], data["result"]


@pytest.mark.parametrize("name", NAMES)
def test_recorded_results_are_shaped_like_return(name):
    _urls, result = recorded(name)
    assert_shaped_like(result["raw"], documented_return(doc)["raw"])


def test_one_round_trip_with_resolved_private_options(run_action):
    urls, reply = recorded("named_proxy_ok")
    result, target = run_action(action, {"urls": urls, "command_line_proxy": "http://Proxy.Corp.Example:3128",
                                         "probe_timeout": 5, "deadline": 60}, reply)
    assert len(target.calls) == 1
    assert target.calls[0]["module_name"] == "purview.device_proxy.device_connectivity_probe"
    args = target.args
    assert args["_urls"] == [u["url"] for u in urls]
    assert args["_methods"] == ["default", "wpad", "disabled", "named", "command_line"]
    assert args["_command_line_proxy"] == "proxy.corp.example:3128"
    # 4 URLs x 5 methods: every probe may run at once when max_concurrency is not given.
    assert (args["_probe_timeout_ms"], args["_deadline_ms"], args["_max_concurrency"]) == (5000, 60000, 20)
    assert args["_establish_after"] == 2
    assert "urls" not in args
    assert result["changed"] is False
    assert "failed" not in result


def test_named_proxy_device_passes_strict_through_its_proxy(run_action):
    urls, reply = recorded("named_proxy_ok")
    result, _target = run_action(action, {"urls": urls, "fail_policy": "any"}, reply)
    assert "failed" not in result
    assert result["configured"]["method"] == "named"
    assert [u["strict"] for u in result["urls"]] == ["pass"] * 4
    assert result["summary"]["strict"] == "pass"
    assert result["failed_urls"] == []
    assert [c["channel"] for c in result["channels"]] == [
        "command-and-control", "cyber-data", "autoir-sample-storage", "configuration"]
    assert {c["event_id"] for c in result["channels"]} == {130017, 130018, 130019, 130021}


def test_analyzer_text_is_rendered_and_reads_back(run_action):
    urls, reply = recorded("named_proxy_ok")
    result, _target = run_action(action, {"urls": urls}, reply)
    text = result["analyzer_text"]
    assert text.startswith("Testing URL : https://winatp-gw-cus.microsoft.com/commands/test\n"
                           "1 - Default proxy (direct): Failed (12029)\n"
                           "2 - Proxy auto discovery (WPAD) (direct): Failed (no proxy found by WPAD, 12180)\n"
                           "3 - Proxy disabled (direct): Failed (12029)\n"
                           "4 - Named proxy (10.0.0.6:8080): Succeeded (200)\n"
                           "5 - Command line proxy: Doesn't exist\n")
    blocks = analyzer_text.parse_report(text)
    assert [b.url for b in blocks] == [u["url"] for u in urls]
    assert all(analyzer_text.block_passes(b) for b in blocks)


def test_legacy_spelling(run_action):
    urls, reply = recorded("named_proxy_ok")
    result, _target = run_action(action, {"urls": urls, "legacy_text": True}, reply)
    assert result["analyzer_text"].startswith("Testing URL: ")
    assert "5 - Command-line proxy: Doesn't exist" in result["analyzer_text"]


def test_proxy_demanding_auth_fails_strict_but_not_analyzer(run_action):
    urls, reply = recorded("named_proxy_auth_required")
    result, _target = run_action(action, {"urls": urls, "fail_policy": "any"}, reply)
    assert result["failed"] is True
    assert result["summary"]["analyzer"] == "pass"
    assert result["summary"]["strict"] == "fail"
    assert result["failed_urls"] == [u["url"] for u in urls]
    assert "4 URL(s) failed the strict verdict" in result["msg"]
    first = result["urls"][0]
    assert first["probes"][3]["reason"] == "proxy_auth_required"
    assert first["fallback_succeeded"] == ["disabled", "default"]
    assert "5 - Command line proxy (10.0.0.7:3128): Succeeded (200)" in result["analyzer_text"]


def test_required_policy_ignores_optional_urls(run_action):
    urls, reply = recorded("no_static_proxy")
    result, _target = run_action(action, {"urls": urls, "fail_policy": "required"}, reply)
    # settings-win (optional) cannot be resolved; the blob fails TLS on the default method.
    assert result["failed"] is True
    assert result["failed_urls"] == ["https://automatedirstrprdcus.blob.core.windows.net"]
    assert result["summary"]["strict_failed"] == ["https://automatedirstrprdcus.blob.core.windows.net",
                                                  "https://settings-win.data.microsoft.com/qos"]
    blob = result["urls"][2]
    assert blob["analyzer"] == "pass" and blob["strict"] == "fail"
    assert blob["probes"][0]["reason"] == "tls_error"


def test_analyzer_verdict_policy(run_action):
    urls, reply = recorded("no_static_proxy")
    result, _target = run_action(action, {"urls": urls, "fail_policy": "any", "fail_verdict": "analyzer"}, reply)
    assert result["failed_urls"] == ["https://settings-win.data.microsoft.com/qos"]


def test_never_policy_reports_without_failing(run_action):
    urls, reply = recorded("no_static_proxy")
    result, _target = run_action(action, {"urls": urls}, reply)
    assert "failed" not in result
    assert result["summary"]["strict"] == "fail"


def test_deadline_results_are_untested_and_warned(run_action):
    urls, reply = recorded("deadline_reached")
    result, _target = run_action(action, {"urls": urls}, reply)
    assert result["configured"] == {
        "method": "default", "proxy": "a:42", "fallbacks": [], "notes": [],
        "reason": "TelemetryProxyServer is not set and the WinHTTP default proxy is a:42: "
                  "the sensor, a WinHTTP client, uses it"}
    assert [u["strict"] for u in result["urls"]] == ["fail", "fail", "untested", "untested"]
    assert result["urls"][0]["probes"][0]["reason"] == "timeout"
    assert result["summary"]["untested"] == [u["url"] for u in urls[2:]]
    assert any("deadline" in w for w in result["warnings"])
    assert "1 - Default proxy: Not run" not in result["analyzer_text"]
    assert "1 - Default proxy: Failed (not run: deadline)" in result["analyzer_text"]


def test_not_system_is_warned(run_action):
    urls, reply = recorded("not_system")
    result, _target = run_action(action, {"urls": urls}, reply)
    assert any("not SYSTEM" in w and "CORP\\alice" in w for w in result["warnings"])


def test_catalog_urls_by_default(run_action):
    from ansible_collections.purview.device_proxy.plugins.plugin_utils.catalog import load_catalog

    expected = [p["url"] for p in load_catalog().probe_urls(cloud="commercial", regions=("eu",), os="windows")]
    _urls, reply = recorded("not_system")
    result, target = run_action(action, {"regions": ["eu"], "methods": ["disabled", "default"]}, reply)
    assert target.args["_urls"] == expected
    assert target.args["_methods"] == ["default", "disabled"]
    assert [u["url"] for u in result["urls"]] == expected
    # URLs the recorded reply has no probes for are reported as not run, never as passed.
    answered = {probe["url"] for probe in reply["raw"]["probes"]}
    for url in result["urls"]:
        if url["url"] not in answered:
            assert url["strict"] == "untested"
            assert {p["reason"] for p in url["probes"]} == {"not_requested"}


@pytest.mark.parametrize("args,field,rule", [
    ({"urls": ["ftp://x.example/"]}, "urls[0].url", "scheme"),
    ({"urls": ["https://ok.example/"], "command_line_proxy": "proxy.example"}, "command_line_proxy", None),
    ({"urls": ["https://ok.example/"], "max_concurrency": 0}, "max_concurrency", "range"),
    ({"urls": ["https://ok.example/"], "deadline": 5000}, "deadline", "range"),
    ({"urls": ["https://ok.example/"], "max_concurrency": 257}, "max_concurrency", "range"),
    ({"urls": ["https://ok.example/"], "establish_after": 11}, "establish_after", "range"),
    ({"urls": ["https://ok.example/"], "establish_after": -1}, "establish_after", "range"),
    ({"urls": ["https://ok.example/"], "fail_policy": "sometimes"}, "fail_policy", "choices"),
    ({"catalog": False}, "urls", "empty"),
    ({"cloud": "moon"}, "cloud", "choices"),
])
def test_bad_input_fails_before_the_host_is_contacted(run_action, args, field, rule):
    result, target = run_action(action, args)
    assert result["failed"] is True
    assert target.calls == []
    assert result["invalid_option"] == field
    if rule:
        assert result["rule"] == rule


# --- false passes: answers that are not the service's --------------------------------------------
# Each case starts from a recorded reply and changes the probes the way the device reports the
# situation; every one of them read "Succeeded" (or passed strict) before the verdict rules below.
CNC = "https://winatp-gw-cus.microsoft.com/commands/test"
CRL = "http://crl.microsoft.com/pki/crl/products/MicRooCerAut2011_2011_03_22.crl"
INSPECTION_CHAIN = [
    {"thumbprint": "ab" * 20, "subject": "CN=winatp-gw-cus.microsoft.com",
     "issuer": "CN=Corp TLS Inspection CA, O=Example Corp"},
    {"thumbprint": "cd" * 20, "subject": "CN=Corp TLS Inspection CA, O=Example Corp",
     "issuer": "CN=Corp TLS Inspection CA, O=Example Corp"},
]


def _only(urls, reply, url, **per_method):
    """The reply cut down to one URL; per_method replaces fields of that method's probe, and
    every method not named fails to connect (so nothing else can make the URL pass)."""
    reply = json.loads(json.dumps(reply))
    raw = reply["raw"]
    template = next(p for p in raw["probes"] if p["method"] == "disabled")
    probes = []
    for method in ("default", "wpad", "disabled", "named", "command_line"):
        probe = dict(template, url=url, method=method, status_code=None, winhttp_error=12029,
                     error_stage="send", server_chain=None, proxy_headers=None, autodetect_error=None,
                     autodetect_attempt=None, proxy=None, access="no-proxy")
        if method in ("named", "command_line"):
            probe.update(attempted=False, skip_reason="not_configured", winhttp_error=None, error_stage=None)
        probe.update(per_method.get(method, {}))
        probes.append(probe)
    raw["probes"] = probes
    spec = next((u for u in urls if u["url"] == url), {"url": url})
    return [spec], reply


def _method_line(text, number):
    return next(line for line in text.splitlines() if line.startswith("%d - " % number))


def test_wpad_that_found_nothing_does_not_succeed_through_direct_egress(run_action):
    urls, reply = recorded("no_static_proxy")
    chain = next(p for p in reply["raw"]["probes"] if p["url"] == CNC and p["server_chain"])["server_chain"]
    urls, reply = _only(urls, reply, CNC, wpad={
        "status_code": 200, "winhttp_error": None, "error_stage": None, "autodetect_error": 12180,
        "server_chain": chain, "access": "auto-detect"})
    result, _target = run_action(action, {"urls": urls}, reply)
    wpad = result["urls"][0]["probes"][1]
    assert (wpad["outcome"], wpad["reason"]) == ("failed", "wpad_failed")
    assert "ERROR_WINHTTP_AUTODETECTION_FAILED" in wpad["detail"]
    assert "went direct" in wpad["detail"]
    line = _method_line(result["analyzer_text"], 2)
    assert line == "2 - Proxy auto discovery (WPAD) (direct): Failed (no proxy found by WPAD, 12180)"
    assert "Succeeded" not in line
    # No method reached the service through a path the sensor would use: the URL fails.
    assert result["urls"][0]["analyzer"] == "fail"


def test_wpad_discovery_retried_with_autologon_reports_the_attempt(run_action):
    urls, reply = recorded("no_static_proxy")
    chain = next(p for p in reply["raw"]["probes"] if p["url"] == CNC and p["server_chain"])["server_chain"]
    urls, reply = _only(urls, reply, CNC, wpad={
        "status_code": 200, "winhttp_error": None, "error_stage": None, "autodetect_error": None,
        "autodetect_attempt": "autologon", "proxy": "wpadproxy.corp.example:8080", "server_chain": chain,
        "access": "auto-detect"})
    result, _target = run_action(action, {"urls": urls}, reply)
    wpad = result["urls"][0]["probes"][1]
    assert wpad["outcome"] == "succeeded"
    assert wpad["autodetect_attempt"] == "autologon"
    assert "autologon attempt" in wpad["detail"] and "wpadproxy.corp.example:8080" in wpad["detail"]


def test_wpad_discovery_refused_logon_on_both_attempts_fails(run_action):
    urls, reply = recorded("no_static_proxy")
    urls, reply = _only(urls, reply, CNC, wpad={
        "status_code": 200, "winhttp_error": None, "error_stage": None, "autodetect_error": 12015,
        "server_chain": None, "access": "auto-detect"})
    result, _target = run_action(action, {"urls": urls}, reply)
    wpad = result["urls"][0]["probes"][1]
    assert (wpad["outcome"], wpad["reason"]) == ("failed", "wpad_failed")
    assert "ERROR_WINHTTP_LOGIN_FAILURE" in wpad["detail"]


@pytest.mark.parametrize("status", [404, 403])
def test_proxy_refusing_connect_is_not_the_service_answering(run_action, status):
    # The catalog documents both codes for this URL, so only the proxy rule can fail it.
    urls, reply = recorded("no_static_proxy")
    urls, reply = _only(urls, reply, CNC, default={
        "status_code": status, "winhttp_error": None, "error_stage": None, "server_chain": None,
        "access": "automatic"})
    urls = [dict(urls[0], expected_status=[403, 404])]
    result, _target = run_action(action, {"urls": urls, "fail_policy": "any"}, reply)
    first = result["urls"][0]["probes"][0]
    assert first["outcome"] == "failed" and first["answered_by"] == "proxy"
    assert first["reason"] == "blocked"
    assert "CONNECT" in first["detail"]
    assert _method_line(result["analyzer_text"], 1) == "1 - Default proxy (direct): Failed (%d from the proxy)" % status
    assert (result["urls"][0]["analyzer"], result["urls"][0]["strict"]) == ("fail", "fail")
    assert result["failed"] is True


@pytest.mark.parametrize("status,headers", [
    (404, {"via": "1.1 proxy.corp.example (squid/6.6)", "x_squid_error": "ERR_DNS_FAIL 0", "proxy_status": None}),
    (403, {"via": None, "x_squid_error": None, "proxy_status": 'proxy.corp.example; error=http_request_denied'}),
    (404, {"via": "1.1 proxy.corp.example (squid/6.6)", "x_squid_error": None, "proxy_status": None}),
])
def test_proxy_block_page_on_plain_http_is_not_the_service_answering(run_action, status, headers):
    urls, reply = recorded("no_static_proxy")
    urls, reply = _only([{"url": CRL, "expected_status": [403, 404], "channel": "other"}], reply, CRL, default={
        "status_code": status, "winhttp_error": None, "error_stage": None, "proxy_headers": headers,
        "access": "automatic"})
    result, _target = run_action(action, {"urls": urls}, reply)
    first = result["urls"][0]["probes"][0]
    assert first["outcome"] == "failed" and first["answered_by"] == "proxy"
    assert first["reason"] == "blocked"
    assert (result["urls"][0]["analyzer"], result["urls"][0]["strict"]) == ("fail", "fail")
    assert "Succeeded" not in _method_line(result["analyzer_text"], 1)


def test_plain_http_200_relayed_by_a_proxy_still_counts(run_action):
    # Squid adds Via to answers it relays: a 200 with Via alone is the service's.
    urls, reply = recorded("no_static_proxy")
    urls, reply = _only([{"url": CRL, "channel": "other"}], reply, CRL, default={
        "status_code": 200, "winhttp_error": None, "error_stage": None,
        "proxy_headers": {"via": "1.1 proxy.corp.example (squid/6.6)", "x_squid_error": None, "proxy_status": None},
        "access": "automatic"})
    result, _target = run_action(action, {"urls": urls}, reply)
    assert result["urls"][0]["strict"] == "pass"


def test_intercepted_chain_fails_even_when_the_device_trusts_it(run_action):
    # WinHTTP accepted the certificate (status 200): the device trusts the inspection CA.
    urls, reply = recorded("no_static_proxy")
    urls, reply = _only(urls, reply, CNC, default={
        "status_code": 200, "winhttp_error": None, "error_stage": None, "server_chain": INSPECTION_CHAIN,
        "access": "automatic"})
    result, _target = run_action(action, {"urls": urls}, reply)
    first = result["urls"][0]["probes"][0]
    assert (first["outcome"], first["reason"]) == ("failed", "tls_intercepted")
    assert "Corp TLS Inspection CA" in first["detail"]
    assert _method_line(result["analyzer_text"], 1) == (
        "1 - Default proxy (direct): Failed (tls_intercepted, issuer CN=Corp TLS Inspection CA, O=Example Corp)")
    assert result["urls"][0]["strict"] == "fail"


def test_no_pinning_url_is_not_judged_by_its_chain(run_action):
    blob = "https://automatedirstrprdcus.blob.core.windows.net"
    urls, reply = recorded("no_static_proxy")
    chain = [dict(INSPECTION_CHAIN[0], subject="CN=*.blob.core.windows.net"), INSPECTION_CHAIN[1]]
    urls, reply = _only(urls, reply, blob, default={
        "status_code": 400, "winhttp_error": None, "error_stage": None, "server_chain": chain,
        "access": "automatic"})
    result, _target = run_action(action, {"urls": urls}, reply)
    assert result["urls"][0]["strict"] == "pass"


def test_pinned_answer_without_a_reported_chain_is_not_a_pass(run_action):
    urls, reply = recorded("no_static_proxy")
    urls, reply = _only(urls, reply, CNC, default={
        "status_code": 200, "winhttp_error": None, "error_stage": None, "access": "automatic"})
    del reply["raw"]["probes"][0]["server_chain"]
    result, _target = run_action(action, {"urls": urls}, reply)
    assert result["urls"][0]["probes"][0]["reason"] == "tls_unverified"
    assert result["urls"][0]["strict"] == "fail"


def test_32bit_powershell_on_64bit_windows_warns(run_action):
    urls, reply = recorded("named_proxy_ok")
    reply = json.loads(json.dumps(reply))
    reply["raw"]["process"]["is_64bit"] = False
    result, _target = run_action(action, {"urls": urls}, reply)
    assert any("32-bit PowerShell on 64-bit Windows" in w and "WOW6432Node" in w for w in result.get("warnings", []))


def test_64bit_powershell_does_not_warn_about_bitness(run_action):
    urls, reply = recorded("named_proxy_ok")
    result, _target = run_action(action, {"urls": urls}, reply)
    assert not any("32-bit" in w for w in result.get("warnings", []))


# --- shared failures and run limits ----------------------------------------------------------------
def test_run_limits_let_every_probe_run_at_once_and_leave_room_for_deciding_probes():
    assert action.run_limits(300, 10) == {"max_concurrency": 256, "deadline_ms": 35000}
    assert action.run_limits(20, 10) == {"max_concurrency": 20, "deadline_ms": 25000}
    assert action.run_limits(300, 10, max_concurrency=16, deadline_s=120) == {
        "max_concurrency": 16, "deadline_ms": 120000}


def test_established_proxy_failure_is_worded_and_not_a_pass(run_action):
    urls, reply = recorded("named_proxy_ok")
    reply = json.loads(json.dumps(reply))
    named = [p for p in reply["raw"]["probes"] if p["method"] == "named"]
    for index, probe in enumerate(named):
        probe.update(status_code=None, winhttp_error=12029, error_stage="send", server_chain=None)
        if index >= 2:
            probe.update(attempted=False, established="proxy_unreachable", established_on=2)
    result, _target = run_action(action, {"urls": urls}, reply)
    text = result["analyzer_text"]
    assert "4 - Named proxy (10.0.0.6:8080): Failed (12029)" in text            # a deciding probe
    assert "4 - Named proxy (10.0.0.6:8080): Failed (proxy unreachable, established on 2 URLs)" in text
    third = result["urls"][2]["probes"][3]
    assert (third["outcome"], third["reason"]) == ("failed", "proxy_unreachable")
    assert result["urls"][2]["strict"] == "fail"
    # Still one block of five method lines per URL.
    blocks = analyzer_text.parse_report(text)
    assert len(blocks) == len(urls)
    assert len(text.splitlines()) == 6 * len(urls)


def test_unknown_established_kind_is_refused(run_action):
    urls, reply = recorded("named_proxy_ok")
    reply = json.loads(json.dumps(reply))
    reply["raw"]["probes"][3]["established"] = "everything_is_fine"
    with pytest.raises(Exception, match="probes.established"):
        from ansible_collections.purview.device_proxy.plugins.plugin_utils import connectivity_verdict as cv
        specs = [cv.normalise_url_spec(u) for u in urls]
        cv.host_verdict(specs, reply["raw"])


# --- MAPS: Defender Antivirus's own check (MpCmdRun -ValidateMapsConnection) -----------------------
MAPS_LINE = "MAPS (MpCmdRun -ValidateMapsConnection): "


def _maps_reply(name, **maps):
    """A recorded MAPS reply; keyword arguments replace fields of its raw ``maps`` facts."""
    urls, reply = recorded(name)
    reply = json.loads(json.dumps(reply))
    reply["raw"]["maps"].update(maps)
    return urls, reply


def _url_text(text):
    """The text without its MAPS line: the URL blocks, which must read back as before."""
    return "".join(line + "\n" for line in text.splitlines() if not line.startswith("MAPS "))


def test_maps_off_sends_nothing_and_adds_no_line(run_action):
    urls, reply = recorded("named_proxy_ok")
    result, target = run_action(action, {"urls": urls}, reply)
    assert "_maps" not in target.args       # the target starts MpCmdRun only when this is sent
    assert target.args.get("validate_maps") in (None, False)
    assert "maps" not in result
    assert "MAPS" not in result["analyzer_text"]


def test_maps_facts_the_task_did_not_ask_for_are_not_shown(run_action):
    # Even a reply that carries a failed MAPS check changes nothing when the option is off.
    urls, reply = recorded("maps_failed_crl")
    result, _target = run_action(action, {"urls": urls, "fail_policy": "any"}, reply)
    assert "maps" not in result and "MAPS" not in result["analyzer_text"]
    assert "failed" not in result


def test_maps_off_text_is_the_same_text(run_action):
    urls, reply = recorded("named_proxy_ok")
    off, _target = run_action(action, {"urls": urls}, reply)
    _urls, maps_reply = recorded("maps_passed")
    on, _target = run_action(action, {"urls": urls, "validate_maps": True}, maps_reply)
    assert on["analyzer_text"] == off["analyzer_text"] + MAPS_LINE + "Succeeded\n"


def test_maps_passed_is_one_line_after_the_url_blocks(run_action):
    urls, reply = recorded("maps_passed")
    result, target = run_action(action, {"urls": urls, "validate_maps": True, "fail_policy": "any"}, reply)
    assert len(target.calls) == 1
    assert target.args["_maps"] == {"timeout_ms": 60000, "install_location": {
        "path": r"SOFTWARE\Microsoft\Windows Defender", "name": "InstallLocation"}}
    assert result["maps"]["status"] == "passed"
    assert result["maps"]["hresult"] is None and result["maps"]["fails_host"] is False
    lines = result["analyzer_text"].splitlines()
    assert lines[-1] == MAPS_LINE + "Succeeded"
    assert sum(line.startswith("MAPS") for line in lines) == 1
    blocks = analyzer_text.parse_report(_url_text(result["analyzer_text"]))
    assert [b.url for b in blocks] == [u["url"] for u in urls]
    assert "failed" not in result


def test_maps_failed_with_hresult_and_its_meaning(run_action):
    urls, reply = recorded("maps_failed_crl")
    result, _target = run_action(action, {"urls": urls, "validate_maps": True}, reply)
    maps = result["maps"]
    assert (maps["status"], maps["hresult"], maps["httpcode"]) == ("failed", "0x80072F8F", 451)
    assert "revocation" in maps["meaning"] and "system-wide WinHTTP proxy" in maps["meaning"]
    assert result["analyzer_text"].splitlines()[-1] == MAPS_LINE + "Failed (0x80072F8F)"
    # fail_policy never (the default): reported, the task does not fail.
    assert maps["fails_host"] is False and "failed" not in result


@pytest.mark.parametrize("policy", ["any", "required"])
def test_maps_failure_fails_the_task_under_the_fail_policy(run_action, policy):
    urls, reply = recorded("maps_failed_crl")
    result, _target = run_action(action, {"urls": urls, "validate_maps": True, "fail_policy": policy}, reply)
    assert result["failed"] is True
    assert result["failed_urls"] == []          # every URL passed: only MAPS fails the host
    assert result["maps"]["fails_host"] is True
    assert "MAPS check failed" in result["msg"] and "0x80072F8F" in result["msg"]


@pytest.mark.parametrize("name,reason,words", [
    ("maps_not_installed", "not-installed", "not found"),
    ("maps_start_failed", "start-failed", "blocked by group policy"),
])
def test_maps_that_could_not_run_is_reported_not_passed_and_never_fails_the_host(run_action, name, reason, words):
    urls, reply = recorded(name)
    result, _target = run_action(action, {"urls": urls, "validate_maps": True, "fail_policy": "any"}, reply)
    maps = result["maps"]
    assert (maps["status"], maps["reason"]) == ("not_run", reason)
    assert words in maps["detail"]
    assert result["analyzer_text"].splitlines()[-1] == MAPS_LINE + "Not run (%s)" % reason
    assert "failed" not in result


def test_maps_timeout_is_a_failure(run_action):
    urls, reply = recorded("maps_timeout")
    result, _target = run_action(action, {"urls": urls, "validate_maps": True, "fail_policy": "any"}, reply)
    assert (result["maps"]["status"], result["maps"]["reason"]) == ("failed", "timeout")
    assert result["analyzer_text"].splitlines()[-1] == MAPS_LINE + "Failed (timed out after 60 s)"
    assert result["failed"] is True


def test_maps_time_limit_stays_inside_the_run_deadline(run_action):
    urls, reply = recorded("maps_passed")
    _result, target = run_action(action, {"urls": urls, "validate_maps": True, "deadline": 30}, reply)
    assert (target.args["_maps"]["timeout_ms"], target.args["_deadline_ms"]) == (30000, 30000)
    _result, target = run_action(action, {"urls": urls, "validate_maps": True, "maps_timeout": 12}, reply)
    assert (target.args["_maps"]["timeout_ms"], target.args["_deadline_ms"]) == (12000, 25000)
    # No deadline given: the computed one (25 s here) grows to hold the MAPS limit, not the reverse.
    _result, target = run_action(action, {"urls": urls, "validate_maps": True}, reply)
    assert (target.args["_maps"]["timeout_ms"], target.args["_deadline_ms"]) == (60000, 60000)
    _result, target = run_action(action, {"urls": urls}, reply)
    assert target.args["_deadline_ms"] == 25000


def test_maps_asked_but_not_answered_is_not_run(run_action):
    urls, reply = recorded("named_proxy_ok")          # a target that returned no MAPS facts
    result, _target = run_action(action, {"urls": urls, "validate_maps": True, "fail_policy": "any"}, reply)
    assert (result["maps"]["status"], result["maps"]["reason"]) == ("not_run", "no-result")
    assert "failed" not in result


# Microsoft documents MpCmdRun's output sentences, not its exit code (docs/connectivity-check.md, "MAPS").
# The output therefore decides a failure; a pass needs exit code 0 and the success sentence. Each case
# below is one half saying "fine" while the other does not: none of them may pass.
@pytest.mark.parametrize("exit_code,output,hresult,line", [
    (0, ["ValidateMapsConnection failed to establish a connection to MAPS (hr=0x80072F8F httpcode=451)"],
     "0x80072F8F", "Failed (0x80072F8F)"),
    (0, ["ValidateMapsConnection failed (800106BA)"], "0x800106BA", "Failed (0x800106BA)"),
    (0, ["ValidateMapsConnection successfully established a connection to MAPS",
         "ValidateMapsConnection failed to establish a connection to MAPS (hr=80070006 httpcode=451)"],
     "0x80070006", "Failed (0x80070006)"),
    (2, ["ValidateMapsConnection successfully established a connection to MAPS"], None, "Failed (exit code 2)"),
    (-2147012721, ["ValidateMapsConnection successfully established a connection to MAPS"],
     "0x80072F8F", "Failed (0x80072F8F)"),
    (0, [], None, "Failed (no success message)"),
    (0, ["Connection to MAPS: OK"], None, "Failed (no success message)"),
])
def test_maps_exit_code_and_output_must_agree_to_pass(run_action, exit_code, output, hresult, line):
    urls, reply = _maps_reply("maps_passed", exit_code=exit_code, output=output)
    result, _target = run_action(action, {"urls": urls, "validate_maps": True, "fail_policy": "any"}, reply)
    assert result["maps"]["status"] == "failed"
    assert result["maps"]["hresult"] == hresult
    assert result["analyzer_text"].splitlines()[-1] == MAPS_LINE + line
    assert result["failed"] is True


def test_maps_version_like_digits_in_a_success_do_not_fail_it(run_action):
    # Only a failure sentence is searched for a bare 80xxxxxx; a passing run stays passed.
    urls, reply = _maps_reply("maps_passed", output=[
        "Platform 80123456 engine", "ValidateMapsConnection successfully established a connection to MAPS"])
    result, _target = run_action(action, {"urls": urls, "validate_maps": True}, reply)
    assert result["maps"]["status"] == "passed"


def test_maps_output_with_a_nul_after_every_character_is_still_read(run_action):
    # UTF-16 output read with a one-byte code page: the failure must still be seen, and its HRESULT.
    failure = "ValidateMapsConnection failed to establish a connection to MAPS (hr=0x80072F8F httpcode=451)"
    urls, reply = _maps_reply("maps_passed", exit_code=0, output=["\x00".join(failure) + "\x00", "\x00"])
    result, _target = run_action(action, {"urls": urls, "validate_maps": True}, reply)
    assert (result["maps"]["status"], result["maps"]["hresult"]) == ("failed", "0x80072F8F")
    assert result["maps"]["output"] == [failure]


def test_maps_unknown_not_run_reason_is_refused():
    from ansible_collections.purview.device_proxy.plugins.plugin_utils import maps_check

    with pytest.raises(maps_check.AnalyzerInputError, match="not_run_reason"):
        maps_check.maps_verdict({"ran": False, "not_run_reason": "it-is-fine"})


@pytest.mark.parametrize("args,field", [
    ({"maps_timeout": 0}, "maps_timeout"),
    ({"maps_timeout": 601}, "maps_timeout"),
])
def test_maps_bad_input_fails_before_the_host_is_contacted(run_action, args, field):
    result, target = run_action(action, dict({"urls": ["https://ok.example/"], "validate_maps": True}, **args))
    assert result["failed"] is True
    assert target.calls == []
    assert (result["invalid_option"], result["rule"]) == (field, "range")


def test_maps_line_reaches_the_host_text_report(run_action):
    from ansible_collections.purview.device_proxy.plugins.plugin_utils import fleet_report

    urls, reply = recorded("maps_failed_crl")
    result, _target = run_action(action, {"urls": urls, "validate_maps": True}, reply)
    assert fleet_report.render_host_text(result).splitlines()[-1] == MAPS_LINE + "Failed (0x80072F8F)"


def test_maps_is_a_host_field_of_the_fleet_model_only_when_asked(run_action):
    import jsonschema
    from ansible_collections.purview.device_proxy.plugins.plugin_utils import fleet_report

    urls, reply = recorded("maps_failed_crl")
    on, _target = run_action(action, {"urls": urls, "validate_maps": True}, reply)
    off, _target = run_action(action, {"urls": urls}, reply)
    fleet = fleet_report.build_fleet({"win10-01": on, "win10-02": off}, "2026-01-01T00:00:00Z")
    from ansible_collections.purview.device_proxy.plugins.plugin_utils import fleet_schema
    jsonschema.validate(json.loads(fleet_report.render_json(fleet)), fleet_schema.FLEET_SCHEMA)
    hosts = {host["host"]: host for host in fleet["hosts"]}
    assert hosts["win10-01"]["maps"] == {"status": "failed", "hresult": "0x80072F8F"}
    assert "maps" not in hosts["win10-02"]
    # The legacy spelling is rendered from the URL verdicts: the MAPS line follows them there too.
    assert fleet_report.render_host_text(on, legacy=True).splitlines()[-1] == MAPS_LINE + "Failed (0x80072F8F)"
    assert "MAPS" not in fleet_report.render_host_text(off, legacy=True)
