# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connectivity_test action plugin against recorded target results."""

import json
import os

import pytest

from ansible_collections.purview.device_proxy.plugins.action import connectivity_test as action
from ansible_collections.purview.device_proxy.plugins.module_utils import analyzer_text
from ansible_collections.purview.device_proxy.plugins.modules import connectivity_test as doc

from .conftest import assert_shaped_like, documented_return

RECORDED = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                        "fixtures", "connectivity", "recorded")
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
    assert target.calls[0]["module_name"] == "purview.device_proxy.connectivity_test"
    args = target.args
    assert args["_urls"] == [u["url"] for u in urls]
    assert args["_methods"] == ["default", "wpad", "disabled", "named", "command_line"]
    assert args["_command_line_proxy"] == "proxy.corp.example:3128"
    assert (args["_probe_timeout_ms"], args["_deadline_ms"], args["_max_concurrency"]) == (5000, 60000, 16)
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
                           "1 - Default proxy: Failed (12029)\n"
                           "2 - Proxy auto discovery (WPAD): Failed (12029)\n"
                           "3 - Proxy disabled: Failed (12029)\n"
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
    assert first["probes"][3]["reason"] == "proxy-auth-required"
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
    assert blob["probes"][0]["reason"] == "tls"


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
            assert {p["reason"] for p in url["probes"]} == {"not-requested"}


@pytest.mark.parametrize("args,field,rule", [
    ({"urls": ["ftp://x.example/"]}, "urls[0].url", "scheme"),
    ({"urls": ["https://ok.example/"], "command_line_proxy": "proxy.example"}, "command_line_proxy", None),
    ({"urls": ["https://ok.example/"], "max_concurrency": 0}, "max_concurrency", "range"),
    ({"urls": ["https://ok.example/"], "deadline": 5000}, "deadline", "range"),
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
