# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Device-side verdict rules that a naive reading of the probe's raw facts gets wrong.

Each case is the situation in which a false pass (or a false fail) would be reported: an answer
made inside an intercepted https tunnel, a chain whose trust status has errors, a run that was not
as SYSTEM, MpCmdRun on a Windows release that does not have the command.
"""

from __future__ import annotations

from ansible_collections.purview.device_proxy.plugins.plugin_utils import connectivity_verdict as cv
from ansible_collections.purview.device_proxy.plugins.plugin_utils import maps_check

from .test_connectivity_verdict import CNC, MS_CHAIN, probe

BLOB = "https://automatedirstrprdcus.blob.core.windows.net"
SYSTEM = {"user": "NT AUTHORITY\\SYSTEM", "sid": "S-1-5-18", "is_system": True}
ALICE = {"user": "CORP\\alice", "sid": "S-1-5-21-1004336348-1177238915-682003330-1001", "is_system": False}


def host(probes, process, url=CNC, winhttp_hex=None):
    specs = [cv.normalise_url_spec(url)]
    return cv.host_verdict(specs, {"probes": probes, "telemetry_proxy_server": None,
                                   "winhttp_settings": {"native": winhttp_hex}, "process": process})


def five(url=CNC, **per_method):
    failing = {"winhttp_error": 12029, "error_stage": "send"}
    return [probe(m, url, **per_method.get(m, failing)) for m in cv.METHODS]


# --- identity (methods 1 and 2 depend on who runs them) -----------------------------------------
def test_method_1_success_as_another_user_never_passes_the_device():
    verdict = host(five(default={"status_code": 200}), ALICE)
    url = verdict["urls"][0]
    assert url["configured_method"] == "default"
    assert url["strict"] == cv.UNTESTED
    assert url["analyzer"] == cv.FAIL
    first = url["probes"][0]
    assert first["identity_dependent"] is True and first["counted"] is False
    assert "CORP\\alice" in first["detail"] and "not SYSTEM" in first["detail"]
    assert verdict["summary"]["strict"] != cv.PASS or verdict["summary"]["untested"] == [CNC]
    assert verdict["identity"] == {"user": "CORP\\alice", "sid": ALICE["sid"], "system": False,
                                   "withheld_methods": ["default", "wpad"]}


def test_method_1_success_as_system_passes():
    verdict = host(five(default={"status_code": 200}), SYSTEM)
    url = verdict["urls"][0]
    assert (url["strict"], url["analyzer"]) == (cv.PASS, cv.PASS)
    assert url["probes"][0]["identity_dependent"] is True and url["probes"][0]["counted"] is True
    assert verdict["identity"]["system"] is True and verdict["identity"]["withheld_methods"] == []


def test_identity_independent_methods_still_count_as_another_user():
    verdict = host(five(disabled={"status_code": 200}), ALICE)
    url = verdict["urls"][0]
    assert url["analyzer"] == cv.PASS
    assert url["probes"][2]["identity_dependent"] is False and url["probes"][2]["counted"] is True


def test_identity_mark_reaches_the_analyzer_text():
    verdict = host(five(default={"status_code": 200}), ALICE)
    text = cv.render_analyzer_text(verdict["urls"])
    assert "1 - Default proxy: Failed (200 as CORP\\alice, not SYSTEM: not counted)" in text


# --- the proxy each probe used -------------------------------------------------------------------
def test_the_proxy_used_is_carried_and_shown():
    verdict = host(five(default={"status_code": 200, "proxy_used": "10.0.0.6:8080"},
                        disabled={"winhttp_error": 12029, "error_stage": "send", "proxy_used": "direct"}), SYSTEM)
    probes = verdict["urls"][0]["probes"]
    assert probes[0]["proxy_used"] == "10.0.0.6:8080"
    assert probes[2]["proxy_used"] == "direct"
    text = cv.render_analyzer_text(verdict["urls"])
    assert "1 - Default proxy (10.0.0.6:8080): Succeeded (200)" in text
    assert "3 - Proxy disabled (direct): Failed (12029)" in text


def test_method_1_bypassed_url_went_direct():
    raw = probe("default", CNC, status_code=200, proxy_used="10.0.0.6:8080", proxy_bypass="*.microsoft.com;<local>")
    assert cv.classify_probe(raw)["proxy_used"] == "direct"


# --- certificates and answers inside the tunnel ---------------------------------------------------
def test_chain_with_trust_errors_is_not_clean_even_on_a_microsoft_root():
    result = cv.classify_probe(probe("disabled", CNC, status_code=200, server_chain=MS_CHAIN, chain_status=0x20))
    assert result["outcome"] == cv.FAILED
    assert result["reason"] == "tls_error"
    assert "0x00000020" in result["detail"]


def test_chain_without_errors_on_a_microsoft_root_succeeds():
    result = cv.classify_probe(probe("disabled", CNC, status_code=200, server_chain=MS_CHAIN, chain_status=0))
    assert result["outcome"] == cv.SUCCEEDED


def test_proxy_headers_inside_an_https_tunnel_mean_interception():
    # A URL without pinning: the chain alone cannot catch the inspection, the headers do.
    spec = cv.normalise_url_spec({"url": BLOB, "no_pinning": True, "expected_status": [400]})
    raw = probe("disabled", BLOB, status_code=400, server_chain=MS_CHAIN,
                proxy_headers={"via": "1.1 bumping-proxy (squid/5.7)", "x_squid_error": None, "proxy_status": None})
    result = cv.classify_probe(raw, spec=spec)
    assert result["outcome"] == cv.FAILED
    assert result["reason"] == "tls_intercepted"
    assert "Via" in result["detail"]


# --- MAPS on Windows releases without the command ----------------------------------------------
def test_maps_unsupported_release_is_not_run_never_failed():
    raw = {"ran": True, "exit_code": -2147023257, "timed_out": False, "elapsed_ms": 80,
           "output": ["ERROR: ValidateMapsConnection failed (80070667)"]}
    maps = maps_check.maps_verdict(raw)
    assert maps["status"] == maps_check.MAPS_NOT_RUN
    assert maps["reason"] == "unsupported"
    assert maps["hresult"] == "0x80070667"
    assert "1703" in maps["detail"]
    assert maps["line"] == "MAPS (MpCmdRun -ValidateMapsConnection): Not run (unsupported, 0x80070667)"
