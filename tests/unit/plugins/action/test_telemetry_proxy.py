# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest

from ansible_collections.purview.device_proxy.plugins.action import telemetry_proxy as action
from ansible_collections.purview.device_proxy.plugins.modules import telemetry_proxy as doc

from .conftest import all_replies, assert_shaped_like, documented_return, load_reply

DC = r"SOFTWARE\Policies\Microsoft\Windows\DataCollection"
ATP = r"SOFTWARE\Policies\Microsoft\Windows Advanced Threat Protection"
SET = {"server": "10.0.0.6:8080", "disable_enterprise_auth_proxy": 1, "prefer_static_proxy_for_http_request": None}
UNSET = {"server": None, "disable_enterprise_auth_proxy": None, "prefer_static_proxy_for_http_request": None}


def reply(name):
    return load_reply("telemetry_proxy", name)


@pytest.mark.parametrize("name", sorted(all_replies("telemetry_proxy")))
def test_recorded_replies_are_shaped_like_return(name):
    assert_shaped_like(reply(name)["raw"], documented_return(doc)["raw"])


def test_sets_proxy_and_auth_value_in_one_call(run_action):
    result, target = run_action(action, {"proxy": "10.0.0.6:8080"}, reply("set_from_empty"))

    assert result["changed"] is True
    assert "failed" not in result
    assert result["before"] == UNSET
    assert result["after"] == SET
    assert len(target.calls) == 1
    assert target.calls[0]["module_name"] == "purview.device_proxy.telemetry_proxy"
    assert target.args["_values"] == [
        {"path": DC, "name": "TelemetryProxyServer", "state": "present", "kind": "String", "data": "10.0.0.6:8080"},
        {"path": DC, "name": "DisableEnterpriseAuthProxy", "state": "present", "kind": "DWord", "data": 1},
        {"path": ATP, "name": "PreferStaticProxyForHttpRequest", "state": "read"},
    ]
    assert "diff" not in result


def test_proxy_is_normalised_before_it_is_sent(run_action):
    _result, target = run_action(action, {"proxy": "Proxy.Corp.Example.:3128"}, reply("set_from_empty"))
    assert target.args["_values"][0]["data"] == "proxy.corp.example:3128"
    assert target.args["proxy"] == "proxy.corp.example:3128"


def test_second_run_reports_no_change(run_action):
    result, target = run_action(action, {"proxy": "10.0.0.6:8080"}, reply("already_set"), diff=True)

    assert result["changed"] is False
    assert result["before"] == result["after"] == SET
    assert result["diff"]["before"] == result["diff"]["after"]
    assert len(target.calls) == 1


def test_check_mode_predicts_after_without_writing(run_action):
    result, target = run_action(action, {"proxy": "10.0.0.6:8080"}, reply("check_mode_from_empty"), check_mode=True)

    assert result["changed"] is True
    assert result["before"] == UNSET
    assert result["after"] == SET
    assert len(target.calls) == 1


def test_diff_is_reg_file_text(run_action):
    result, _target = run_action(action, {"proxy": "10.0.0.6:8080"}, reply("replace_proxy_and_auth"), diff=True)

    assert result["changed"] is True
    before, after = result["diff"]["before"], result["diff"]["after"]
    assert "[HKEY_LOCAL_MACHINE\\%s]" % DC in before
    assert '"TelemetryProxyServer"="proxy.old.example:3128"' in before
    assert '"DisableEnterpriseAuthProxy"=dword:00000000' in before
    assert '"TelemetryProxyServer"="10.0.0.6:8080"' in after
    assert '"DisableEnterpriseAuthProxy"=dword:00000001' in after
    # Left as it was: the option was not given.
    assert '"PreferStaticProxyForHttpRequest"=dword:00000001' in before
    assert '"PreferStaticProxyForHttpRequest"=dword:00000001' in after
    assert result["after"]["prefer_static_proxy_for_http_request"] == 1


def test_diff_marks_unset_values(run_action):
    result, _target = run_action(action, {"proxy": "10.0.0.6:8080"}, reply("set_from_empty"), diff=True)
    assert "; TelemetryProxyServer is not set" in result["diff"]["before"]
    assert "; TelemetryProxyServer is not set" not in result["diff"]["after"]


def test_absent_removes_exactly_the_managed_values(run_action):
    result, target = run_action(
        action, {"state": "absent", "prefer_static_proxy_for_http_request": False}, reply("absent_from_set"))

    assert result["changed"] is True
    assert result["before"] == dict(SET, prefer_static_proxy_for_http_request=1)
    assert result["after"] == UNSET
    assert [(v["name"], v["state"]) for v in target.args["_values"]] == [
        ("TelemetryProxyServer", "absent"),
        ("DisableEnterpriseAuthProxy", "absent"),
        ("PreferStaticProxyForHttpRequest", "absent"),
    ]
    assert "proxy" not in target.args


def test_absent_leaves_preference_alone_when_not_asked(run_action):
    _result, target = run_action(action, {"state": "absent"}, reply("absent_already"))
    assert target.args["_values"][2]["state"] == "read"


def test_absent_twice_is_no_change(run_action):
    result, _target = run_action(
        action, {"state": "absent", "prefer_static_proxy_for_http_request": False}, reply("absent_already"))
    assert result["changed"] is False
    assert result["before"] == result["after"] == UNSET


def test_prefer_static_sets_the_atp_value(run_action):
    _result, target = run_action(
        action, {"proxy": "10.0.0.6:8080", "prefer_static_proxy_for_http_request": True}, reply("set_from_empty"))
    assert target.args["_values"][2] == {
        "path": ATP, "name": "PreferStaticProxyForHttpRequest", "state": "present", "kind": "DWord", "data": 1}


def test_write_that_did_not_stick_fails(run_action):
    result, _target = run_action(action, {"proxy": "10.0.0.6:8080"}, reply("write_blocked"))
    assert result["failed"] is True
    assert "TelemetryProxyServer" in result["msg"]


def test_module_failure_is_passed_on(run_action):
    failure = {"failed": True, "msg": "Unhandled exception while executing module: Access is denied"}
    result, _target = run_action(action, {"proxy": "10.0.0.6:8080"}, failure)
    assert result["failed"] is True
    assert result["msg"] == failure["msg"]


def test_reply_without_raw_fails_clearly(run_action):
    result, _target = run_action(action, {"proxy": "10.0.0.6:8080"}, {"changed": False})
    assert result["failed"] is True
    assert "raw" in result["msg"]


@pytest.mark.parametrize(
    "args, field, rule",
    [
        ({"proxy": "10.0.0.6:70000"}, "proxy", "port-range"),
        ({"proxy": "http://10.0.0.6:8080"}, "proxy", "no-scheme"),
        ({"proxy": "http=a:3128;https=b:3128"}, "proxy", "single-endpoint"),
        ({"proxy": "user:secret@proxy:8080"}, "proxy", None),
        ({}, "state", "required-if"),
        ({"state": "gone"}, "state", "choices"),
        ({"proxy": "10.0.0.6:8080", "colour": "blue"}, "colour", "unsupported"),
        ({"state": "absent", "proxy": "10.0.0.6:8080"}, "proxy", "absent-takes-no-proxy"),
        ({"state": "absent", "prefer_static_proxy_for_http_request": True}, "prefer_static_proxy_for_http_request", "needs-proxy"),
        ({"proxy": "10.0.0.6:8080", "prefer_static_proxy_for_http_request": "maybe"}, "prefer_static_proxy_for_http_request", "type"),
    ],
)
def test_bad_input_fails_before_the_host_is_contacted(run_action, args, field, rule):
    result, target = run_action(action, args)

    assert result["failed"] is True
    assert target.calls == []
    assert result["invalid_option"] == field
    if rule is not None:
        assert result["rule"] == rule
    assert result["msg"].startswith(field)
    assert "secret" not in result["msg"]
