# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Classification and verdicts of connectivity probes (docs/reference/connectivity-analyzer.md rules)."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from ansible_collections.purview.device_proxy.plugins.module_utils import failure_kinds as fk
from ansible_collections.purview.device_proxy.plugins.plugin_utils import fleet_schema
from ansible_collections.purview.device_proxy.plugins.plugin_utils import connectivity_verdict as cv

CNC = "https://winatp-gw-cus.microsoft.com/commands/test"
BLOB = "https://automatedirstrprdcus.blob.core.windows.net"
DIRECT_HEX = "1800000000000000010000000000000000000000"
# W3 of FACTS.md section 2.5 ([PXC]): flags 3, proxy "a:42", bypass "*.42".
PROXY_HEX = "28000000000000000300000004000000613A3432040000002A2E3432"


# A chain as the device reports it (leaf first) ending in a Microsoft service root ([AZCA]).
MS_ROOT = {"thumbprint": "df3c24f9bfd666761b268073fe06d1cc8d4f82a4",
           "subject": "CN=DigiCert Global Root G2, OU=www.digicert.com, O=DigiCert Inc, C=US",
           "issuer": "CN=DigiCert Global Root G2, OU=www.digicert.com, O=DigiCert Inc, C=US"}
MS_CHAIN = [
    {"thumbprint": "11" * 20, "subject": "CN=winatp-gw-cus.microsoft.com",
     "issuer": "CN=Microsoft Azure RSA TLS Issuing CA 03, O=Microsoft Corporation, C=US"},
    {"thumbprint": "22" * 20, "subject": "CN=Microsoft Azure RSA TLS Issuing CA 03, O=Microsoft Corporation, C=US",
     "issuer": MS_ROOT["subject"]},
    MS_ROOT,
]


def probe(method, url=CNC, **fields):
    """A raw probe as the module reports it; an https answer carries a Microsoft chain unless given."""
    data = {"url": url, "method": method, "attempted": True, "status_code": None, "winhttp_error": None,
            "elapsed_ms": 12, "timed_out": False, "skip_reason": None, "proxy": None, "proxy_headers": None}
    data.update(fields)
    if "server_chain" not in fields:
        data["server_chain"] = MS_CHAIN if url.startswith("https://") and data["status_code"] else None
    return data


def all_methods(url=CNC, **per_method):
    """Raw probes for the five methods; per_method maps a method to its fields."""
    probes = []
    for method in cv.METHODS:
        fields = per_method.get(method, {"status_code": 200})
        probes.append(probe(method, url, **fields))
    return probes


ABSENT = {"attempted": False, "skip_reason": fk.NOT_CONFIGURED}


# --- classify_probe -----------------------------------------------------------------------------
@pytest.mark.parametrize("status", [200, 400, 404])
def test_analyzer_accepts_200_400_404(status):
    result = cv.classify_probe(probe("default", status_code=status))
    assert result["outcome"] == cv.SUCCEEDED
    assert result["number"] == 1 and result["label"] == "Default proxy"


def test_proxy_auth_required_is_a_failure_that_says_why():
    result = cv.classify_probe(probe("named", status_code=407, proxy="10.0.0.6:8080"))
    assert result["outcome"] == cv.FAILED
    assert result["reason"] == "proxy_auth_required"
    assert "anonymous" in result["detail"]
    assert result["proxy"] == "10.0.0.6:8080"


@pytest.mark.parametrize("code,reason", [
    (12007, "dns_failure"), (12029, "connection_refused"), (12175, "tls_error"), (12045, "tls_error"),
    (12180, "wpad_failed"), (12002, "timeout"), (12030, "connection_reset"), (99999, "error"),
])
def test_winhttp_errors_are_named_and_grouped(code, reason):
    result = cv.classify_probe(probe("disabled", winhttp_error=code, error_stage="send"))
    assert result["outcome"] == cv.FAILED
    assert result["reason"] == reason
    assert result["winhttp_error"] == code
    assert "during send" in result["detail"]
    if code == 99999:
        assert result["error_name"] == "error 99999"
    else:
        assert result["error_name"].startswith("ERROR_WINHTTP_")


def test_timeout_flag_wins_over_error_number():
    result = cv.classify_probe(probe("wpad", timed_out=True, winhttp_error=12017))
    assert (result["outcome"], result["reason"]) == (cv.FAILED, "timeout")


def test_named_proxy_not_set_is_absent_not_failed():
    result = cv.classify_probe(probe("named", **ABSENT))
    assert result["outcome"] == cv.ABSENT
    assert "TelemetryProxyServer" in result["detail"]


@pytest.mark.parametrize("method", [m for m in cv.METHODS if cv.model.BY_KEY[m].uses_proxy])
def test_a_proxy_method_without_a_proxy_names_the_setting_from_the_model(method):
    result = cv.classify_probe(probe(method, **ABSENT))
    assert result["detail"] == "%s is not set" % cv.model.BY_KEY[method].proxy_setting
    assert cv.analyzer_outcome(result) is None   # "Doesn't exist"


def test_only_the_proxy_methods_show_the_proxy_they_were_given():
    for method in cv.METHODS:
        result = cv.classify_probe(probe(method, status_code=200, proxy="10.0.0.6:8080"))
        shown = cv.analyzer_outcome(result).proxy
        assert shown == ("10.0.0.6:8080" if cv.model.BY_KEY[method].uses_proxy else None), method


def test_deadline_skip_is_reported():
    result = cv.classify_probe(probe("command_line", attempted=False, skip_reason="deadline"))
    assert (result["outcome"], result["reason"]) == (cv.SKIPPED, "deadline")


@pytest.mark.parametrize("reason,outcome", [(fk.NOT_CONFIGURED, cv.ABSENT), (fk.DEADLINE, cv.SKIPPED),
                                            (fk.NOT_REQUESTED, cv.SKIPPED)])
def test_every_skip_reason_on_the_wire_is_a_failure_kind(reason, outcome):
    assert reason in fk.SKIP_REASONS
    result = cv.classify_probe(probe("named", attempted=False, skip_reason=reason))
    assert (result["outcome"], result["reason"]) == (outcome, reason)


def test_the_skip_reasons_are_exactly_the_kinds_the_probe_and_the_verdict_use():
    assert fk.PROBE_SKIP_REASONS == (fk.NOT_CONFIGURED, fk.DEADLINE)
    assert fk.SKIP_REASONS == (fk.NOT_CONFIGURED, fk.DEADLINE, fk.NOT_REQUESTED)


@pytest.mark.parametrize("reason", ["not-configured", "not-requested", "Deadline", "skipped", ""])
def test_an_unknown_skip_reason_is_an_input_error_naming_the_field(reason):
    # One spelling on the wire: the old hyphenated words (and anything else) are refused, not guessed.
    with pytest.raises(cv.VerdictInputError) as err:
        cv.classify_probe(probe("named", attempted=False, skip_reason=reason))
    assert err.value.field == "probes.skip_reason"
    assert err.value.rule == "choices"
    assert ", ".join(fk.SKIP_REASONS) in str(err.value)


def test_a_probe_not_attempted_without_a_reason_is_an_input_error():
    with pytest.raises(cv.VerdictInputError) as err:
        cv.classify_probe(probe("named", attempted=False, skip_reason=None))
    assert err.value.field == "probes.skip_reason"


def test_a_method_missing_from_the_reply_is_not_requested():
    verdict = cv.url_verdict(cv.normalise_url_spec(CNC), [probe("default", status_code=200)],
                             {"method": "default", "fallbacks": []})
    assert [p["reason"] for p in verdict["probes"][1:]] == [fk.NOT_REQUESTED] * (len(cv.METHODS) - 1)


def test_no_status_no_error_is_a_failure():
    assert cv.classify_probe(probe("default"))["reason"] == "error"


@pytest.mark.parametrize("bad,field", [({"method": "proxy"}, "probes.method"),
                                       ({"method": "default", "status_code": "abc"}, "probes.status_code"),
                                       ({"method": "default", "elapsed_ms": True}, "probes.elapsed_ms")])
def test_malformed_probe_names_the_field(bad, field):
    with pytest.raises(cv.VerdictInputError) as err:
        cv.classify_probe(bad)
    assert err.value.field == field
    assert str(err.value).startswith(field + ": ")


# --- URL specs ------------------------------------------------------------------------------------
def test_catalog_probe_item_is_normalised():
    spec = cv.normalise_url_spec({"url": BLOB, "channel": "autoir-sample-storage", "expected_status": [400],
                                  "no_pinning": True, "required": False})
    assert spec == {"url": BLOB, "channel": "autoir-sample-storage", "function": "autoir-sample-storage",
                    "expected_status": [400], "no_pinning": True, "required": False}


@pytest.mark.parametrize("name,channel", [
    ("command-and-control", "command-and-control"), ("edr-cyber-data", "cyber-data"),
    ("sample-submission-storage", "autoir-sample-storage"), ("SampleUpload", "autoir-sample-storage"),
    ("MdeConfigMgr", "configuration"), ("crl", "other"), (None, "other"),
])
def test_channel_aliases(name, channel):
    assert cv.channel_of(name) == channel


@pytest.mark.parametrize("item,field,rule", [
    ("winatp-gw-cus.microsoft.com", "urls[3].url", "scheme"),
    ("https://*.wd.microsoft.com", "urls[3].url", "forbidden-character"),
    (42, "urls[3]", "type"),
    ({"url": CNC, "expected_status": ["x"]}, "urls[3].expected_status", "type"),
    ({"url": CNC, "expected_status": [700]}, "urls[3].expected_status", "range"),
])
def test_bad_url_spec_names_field_and_rule(item, field, rule):
    with pytest.raises(cv.VerdictInputError) as err:
        cv.normalise_url_spec(item, 3)
    assert (err.value.field, err.value.rule) == (field, rule)


def test_strict_codes_use_the_catalog_expectation():
    assert cv.accepted_statuses({"expected_status": [400]}) == (200, 400)
    # Exactly the catalog's codes: a URL without documented codes accepts 200 only.
    assert cv.accepted_statuses({"expected_status": []}) == (200,)


# --- configured method ----------------------------------------------------------------------------
def test_telemetry_proxy_server_makes_named_the_configured_method():
    configured = cv.configured_method("10.0.0.6:8080", PROXY_HEX)
    assert configured["method"] == "named"
    assert configured["proxy"] == "10.0.0.6:8080"
    assert configured["fallbacks"] == ["disabled", "default"]
    assert any("open-questions.md#q2-fallback" in note for note in configured["notes"])


def test_malformed_telemetry_proxy_server_is_still_named_with_a_note():
    configured = cv.configured_method("http://10.0.0.6:8080", None)
    assert configured["method"] == "named"
    assert any("open-questions.md#q1-value-format" in note for note in configured["notes"])


def test_winhttp_default_proxy_makes_default_the_configured_method():
    configured = cv.configured_method(None, PROXY_HEX)
    assert (configured["method"], configured["proxy"]) == ("default", "a:42")


def test_no_static_proxy_means_default_automatic_mode():
    for value in (None, DIRECT_HEX):
        configured = cv.configured_method("  ", value)
        assert configured["method"] == "default"
        assert configured["proxy"] is None
        assert configured["fallbacks"] == ["wpad", "disabled"]


def test_undecodable_winhttp_settings_is_noted():
    configured = cv.configured_method(None, "1800")
    assert configured["method"] == "default"
    assert any("could not be decoded" in note for note in configured["notes"])


# --- URL verdicts -----------------------------------------------------------------------------------
NAMED = cv.configured_method("10.0.0.6:8080")
AUTO = cv.configured_method(None)


def test_any_method_passing_passes_the_analyzer_rule_but_not_strict():
    spec = cv.normalise_url_spec(CNC)
    raws = all_methods(default={"winhttp_error": 12029}, wpad={"winhttp_error": 12029},
                       named={"status_code": 407, "proxy": "10.0.0.6:8080"}, command_line=ABSENT)
    verdict = cv.url_verdict(spec, raws, NAMED)
    assert verdict["analyzer"] == cv.PASS          # proxy disabled answered 200
    assert verdict["strict"] == cv.FAIL            # the named proxy is what the sensor uses
    assert verdict["fallback_succeeded"] == ["disabled"]
    assert "4 - Named proxy (the configured method) failed: 407" in verdict["diagnosis"]
    assert "3 - Proxy disabled succeeded" in verdict["diagnosis"]
    assert [p["method"] for p in verdict["probes"]] == list(cv.METHODS)


def test_all_methods_failing_fails_both_rules():
    raws = all_methods(**{m: {"winhttp_error": 12007} for m in cv.METHODS})
    verdict = cv.url_verdict(cv.normalise_url_spec(CNC), raws, AUTO)
    assert (verdict["analyzer"], verdict["strict"]) == (cv.FAIL, cv.FAIL)
    assert verdict["fallback_succeeded"] == []


def test_blob_answering_400_passes_strict_when_expected():
    spec = cv.normalise_url_spec({"url": BLOB, "expected_status": [400], "no_pinning": True})
    verdict = cv.url_verdict(spec, all_methods(BLOB, **{m: {"status_code": 400} for m in cv.METHODS}), AUTO)
    assert (verdict["analyzer"], verdict["strict"]) == (cv.PASS, cv.PASS)


def test_404_fails_strict_when_the_catalog_expects_200_only():
    spec = cv.normalise_url_spec({"url": CNC, "expected_status": [200]})
    verdict = cv.url_verdict(spec, all_methods(**{m: {"status_code": 404} for m in cv.METHODS}), AUTO)
    assert verdict["analyzer"] == cv.PASS
    assert verdict["strict"] == cv.FAIL


def test_configured_method_not_run_is_untested():
    spec = cv.normalise_url_spec(CNC)
    raws = [probe("default", status_code=200), probe("named", attempted=False, skip_reason="deadline")]
    verdict = cv.url_verdict(spec, raws, NAMED)
    assert verdict["strict"] == cv.UNTESTED
    assert verdict["analyzer"] == cv.PASS
    assert verdict["probes"][1]["reason"] == "not_requested"  # wpad was not in the raw list


@given(st.lists(st.sampled_from([200, 400, 404, 403, 407, 502, None]), min_size=5, max_size=5))
def test_analyzer_rule_is_any_accepted_code(codes):
    raws = [probe(m, status_code=c, winhttp_error=None if c else 12029) for m, c in zip(cv.METHODS, codes)]
    verdict = cv.url_verdict(cv.normalise_url_spec(CNC), raws, AUTO)
    expected = cv.PASS if any(c in (200, 400, 404) for c in codes) else cv.FAIL
    assert verdict["analyzer"] == expected
    # No documented codes for CNC here: strict accepts 200 only.
    assert verdict["strict"] == (cv.PASS if codes[0] == 200 else cv.FAIL)


# --- channels, hosts, policies ---------------------------------------------------------------------
def _host(results):
    specs = [cv.normalise_url_spec(item) for item, _raws in results]
    probes = []
    for (item, raws) in results:
        probes.extend(raws)
    return cv.host_verdict(specs, {"probes": probes, "telemetry_proxy_server": None,
                                   "winhttp_settings": {"native": DIRECT_HEX, "wow64": DIRECT_HEX}})


def test_channel_event_ids_follow_failure_count():
    fail = {m: {"winhttp_error": 12029} for m in cv.METHODS}
    cnc = ["https://winatp-gw-%s.microsoft.com/commands/test" % dc for dc in ("cus", "eus", "cus3")]
    results = [({"url": cnc[0], "channel": "command-and-control"}, all_methods(cnc[0])),
               ({"url": cnc[1], "channel": "command-and-control"}, all_methods(cnc[1], **fail)),
               ({"url": "https://us-v20.events.data.microsoft.com/ping", "channel": "edr-cyber-data"},
                all_methods("https://us-v20.events.data.microsoft.com/ping"))]
    host = _host(results)
    channels = {c["channel"]: c for c in host["channels"]}
    assert channels["command-and-control"]["event_id"] == 131013
    assert channels["command-and-control"]["analyzer_failed"] == [cnc[1]]
    assert channels["cyber-data"]["event_id"] == 130018
    results.append(({"url": cnc[2], "channel": "command-and-control"}, all_methods(cnc[2], **fail)))
    assert {c["channel"]: c for c in _host(results)["channels"]}["command-and-control"]["event_id"] == 132021


def test_fail_policies():
    fail = {m: {"winhttp_error": 12029} for m in cv.METHODS}
    required_url, optional_url = CNC, "https://us.vortex-win.data.microsoft.com/ping"
    host = _host([({"url": required_url}, all_methods(required_url)),
                  ({"url": optional_url, "required": False}, all_methods(optional_url, **fail))])
    summary = host["summary"]
    assert cv.policy_failures(summary, "any") == [optional_url]
    assert cv.policy_failures(summary, "required") == []
    assert cv.policy_failures(summary, "never") == []
    assert cv.policy_failures(summary, "any", "analyzer") == [optional_url]
    with pytest.raises(cv.VerdictInputError) as err:
        cv.policy_failures(summary, "sometimes")
    assert err.value.field == "fail_policy"


@pytest.mark.parametrize("kind", sorted(fk.ALL))
def test_every_failure_kind_as_a_token_fits_the_fleet_token_pattern(kind):
    # A failed probe with no status or WinHTTP error shows its kind (proxy_unreachable, established
    # on other URLs, among them): the fleet report refuses a token outside its pattern.
    token = cv.method_token({"outcome": cv.FAILED, "reason": kind, "status_code": None, "winhttp_error": None})
    assert fleet_schema._TOKEN.match(token), token
