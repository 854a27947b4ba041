# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.purview.device_proxy.plugins.action import defender_av_proxy as action
from ansible_collections.purview.device_proxy.plugins.modules import defender_av_proxy as doc

from .conftest import all_replies, assert_shaped_like, documented_return, load_reply

DEF = r"SOFTWARE\Policies\Microsoft\Windows Defender"
SPYNET = r"SOFTWARE\Policies\Microsoft\Windows Defender\Spynet"
UNSET = {"proxy_server": None, "proxy_pac_url": None, "proxy_bypass": None, "ssl_options": None}
SET = dict(UNSET, proxy_server="http://10.0.0.6:8080")


def reply(name):
    return load_reply("defender_av_proxy", name)


@pytest.mark.parametrize("name", sorted(all_replies("defender_av_proxy")))
def test_recorded_replies_are_shaped_like_return(name):
    assert_shaped_like(reply(name)["raw"], documented_return(doc)["raw"])


def test_sets_the_proxy_server_in_one_call_and_leaves_the_rest_alone(run_action):
    result, target = run_action(action, {"proxy_server": "http://10.0.0.6:8080"}, reply("set_from_empty"))

    assert result["changed"] is True
    assert "failed" not in result
    assert result["before"] == UNSET
    assert result["after"] == SET
    assert len(target.calls) == 1
    assert target.calls[0]["module_name"] == "purview.device_proxy.defender_av_proxy"
    assert target.args["_values"] == [
        {"path": DEF, "name": "ProxyServer", "state": "present", "kind": "String", "data": "http://10.0.0.6:8080"},
        {"path": DEF, "name": "ProxyPacUrl", "state": "read"},
        {"path": DEF, "name": "ProxyBypass", "state": "read"},
        {"path": SPYNET, "name": "SSLOptions", "state": "read"},
    ]
    assert "warnings" not in result
    assert "diff" not in result


def test_ssl_options_is_never_sent_unless_given(run_action):
    _result, target = run_action(action, {"proxy_server": "http://10.0.0.6:8080"}, reply("set_from_empty"))
    assert target.args["_values"][3]["state"] == "read"
    assert "ssl_options" not in target.args


def test_address_is_normalised_before_it_is_sent(run_action):
    _result, target = run_action(action, {"proxy_server": "HTTP://Proxy.Corp.Example.:3128/"}, reply("set_from_empty"))
    assert target.args["_values"][0]["data"] == "http://proxy.corp.example:3128"
    assert target.args["proxy_server"] == "http://proxy.corp.example:3128"


def test_second_run_reports_no_change(run_action):
    result, target = run_action(action, {"proxy_server": "http://10.0.0.6:8080"}, reply("already_set"), diff=True)
    assert result["changed"] is False
    assert result["before"] == result["after"] == SET
    assert result["diff"]["before"] == result["diff"]["after"]
    assert len(target.calls) == 1


def test_check_mode_predicts_after_without_writing(run_action):
    result, target = run_action(action, {"proxy_server": "http://10.0.0.6:8080"}, reply("check_mode_from_empty"), check_mode=True)
    assert result["changed"] is True
    assert result["before"] == UNSET
    assert result["after"] == SET
    # The target reported nothing written; the prediction comes from the controller.
    assert all(value["after"] is None for value in reply("check_mode_from_empty")["raw"]["values"])
    assert len(target.calls) == 1


def test_bypass_is_normalised_and_joined_and_the_diff_is_reg_text(run_action):
    result, target = run_action(
        action, {"proxy_server": "http://10.0.0.6:8080", "proxy_bypass": ["*.Corp.Example", "10.*", "*.corp.example"]},
        reply("replace_with_bypass"), diff=True)
    assert target.args["_values"][2] == {"path": DEF, "name": "ProxyBypass", "state": "present", "kind": "String",
                                         "data": "*.corp.example;10.*"}
    assert result["changed"] is True
    before, after = result["diff"]["before"], result["diff"]["after"]
    assert "[HKEY_LOCAL_MACHINE\\%s]" % DEF in before
    assert '"ProxyServer"="http://old.corp.example:3128"' in before
    assert '"ProxyServer"="http://10.0.0.6:8080"' in after
    assert "; ProxyBypass is not set" in before
    assert '"ProxyBypass"="*.corp.example;10.*"' in after
    # Not given: left as they were, and shown so.
    assert '"ProxyPacUrl"="http://wpad.corp.example/proxy.pac"' in after
    assert '"SSLOptions"=dword:00000002' in after
    assert result["after"]["ssl_options"] == 2


def test_ssl_options_is_written_with_the_documented_trade_off(run_action):
    result, target = run_action(action, {"proxy_server": "http://10.0.0.6:8080", "ssl_options": 2}, reply("ssl_options_set"))
    assert target.args["_values"][3] == {"path": SPYNET, "name": "SSLOptions", "state": "present", "kind": "DWord", "data": 2}
    assert result["after"]["ssl_options"] == 2
    warning = result["warnings"][0]
    assert "turns off certificate revocation checks" in warning
    assert "recommends SSLOptions 2" in warning and "says 0" in warning and "both weaken security" in warning


def test_ssl_options_3_gives_no_warning(run_action):
    result, _target = run_action(action, {"proxy_server": "http://10.0.0.6:8080", "ssl_options": 3}, reply("set_from_empty"))
    assert "warnings" not in result


def test_absent_removes_exactly_the_proxy_values(run_action):
    result, target = run_action(action, {"state": "absent", "reset_ssl_options": True}, reply("absent_from_set"))
    assert result["changed"] is True
    assert result["after"] == UNSET
    assert [(v["name"], v["state"]) for v in target.args["_values"]] == [
        ("ProxyServer", "absent"), ("ProxyPacUrl", "absent"), ("ProxyBypass", "absent"), ("SSLOptions", "absent")]


def test_absent_leaves_ssl_options_alone_when_not_asked(run_action):
    result, target = run_action(action, {"state": "absent"}, reply("absent_already"))
    assert target.args["_values"][3]["state"] == "read"
    assert result["changed"] is False


def test_empty_values_remove_single_values(run_action):
    _result, target = run_action(action, {"proxy_pac_url": "http://wpad.corp.example/proxy.pac", "proxy_server": "",
                                          "proxy_bypass": []}, reply("set_from_empty"))
    states = [(v["name"], v["state"], v.get("data")) for v in target.args["_values"]]
    assert states[:3] == [("ProxyServer", "absent", None), ("ProxyPacUrl", "present", "http://wpad.corp.example/proxy.pac"),
                          ("ProxyBypass", "absent", None)]


def test_write_that_did_not_stick_fails(run_action):
    result, _target = run_action(action, {"proxy_server": "http://10.0.0.6:8080"}, reply("write_blocked"))
    assert result["failed"] is True
    assert "ProxyServer" in result["msg"]


def test_module_failure_is_passed_on(run_action):
    failure = {"failed": True, "msg": "changing the Defender Antivirus proxy registry values failed: Access is denied; "
                                      "the previous values were restored"}
    result, _target = run_action(action, {"proxy_server": "http://10.0.0.6:8080"}, failure)
    assert result["failed"] is True
    assert result["msg"] == failure["msg"]


def test_reply_without_raw_fails_clearly(run_action):
    result, _target = run_action(action, {"proxy_server": "http://10.0.0.6:8080"}, {"changed": False})
    assert result["failed"] is True
    assert "raw" in result["msg"]


@pytest.mark.parametrize("args, field, rule", [
    # The TelemetryProxyServer form is wrong here: Defender Antivirus needs the scheme.
    ({"proxy_server": "10.0.0.6:8080"}, "proxy_server", "scheme-required"),
    ({"proxy_server": "socks5://10.0.0.6:1080"}, "proxy_server", "unsupported-scheme"),
    ({"proxy_server": "http://10.0.0.6:70000"}, "proxy_server", "port-range"),
    ({"proxy_server": "http://10.0.0.6"}, "proxy_server", "port-required"),
    ({"proxy_server": "http://10.0.0.6:8080/path"}, "proxy_server", "no-path"),
    ({"proxy_server": "http://user:secret@proxy:8080"}, "proxy_server", "no-credentials"),
    ({"proxy_server": "http://proxy .corp:8080"}, "proxy_server", "whitespace"),
    ({"proxy_server": "http://2001:db8::1:8080"}, "proxy_server", "ipv6-brackets"),
    ({"proxy_pac_url": "wpad.corp.example/proxy.pac"}, "proxy_pac_url", "scheme-required"),
    ({"proxy_pac_url": "file://c:/proxy.pac"}, "proxy_pac_url", "unsupported-scheme"),
    ({"proxy_pac_url": "http://user:secret@wpad/proxy.pac"}, "proxy_pac_url", "no-credentials"),
    ({"proxy_pac_url": "http://wpad.corp.example/proxy pac"}, "proxy_pac_url", "forbidden-character"),
    ({"proxy_pac_url": 'http://wpad.corp.example/a"b'}, "proxy_pac_url", "forbidden-character"),
    ({"proxy_pac_url": "http://wpad.corp.example/%zz"}, "proxy_pac_url", "percent-encoding"),
    ({"proxy_pac_url": "http://wpad..corp/proxy.pac"}, "proxy_pac_url", "empty-label"),
    ({"proxy_pac_url": "http:///proxy.pac"}, "proxy_pac_url", "empty-host"),
    ({"proxy_server": "http://p:1", "proxy_bypass": ["corp.example:443"]}, "proxy_bypass", "bypass-port"),
    ({"proxy_server": "http://p:1", "proxy_bypass": ["a;b"]}, "proxy_bypass", "forbidden-character"),
    ({"proxy_pac_url": "http://wpad/proxy.pac", "proxy_bypass": ["*.corp.example"]}, "proxy_bypass", "needs-proxy-server"),
    ({}, "proxy_server", "required-one-of"),
    ({"proxy_server": ""}, "proxy_server", "required-one-of"),
    ({"state": "absent", "proxy_server": "http://p:1"}, "proxy_server", "absent-takes-no-value"),
    ({"state": "absent", "proxy_bypass": []}, "proxy_bypass", "absent-takes-no-value"),
    ({"state": "absent", "ssl_options": 2}, "ssl_options", "absent-takes-no-value"),
    ({"proxy_server": "http://p:1", "ssl_options": 2, "reset_ssl_options": True}, "ssl_options", "mutually-exclusive"),
    ({"proxy_server": "http://p:1", "ssl_options": 4}, "ssl_options", "choices"),
    ({"proxy_server": "http://p:1", "ssl_options": "weak"}, "ssl_options", "type"),
    ({"proxy_server": "http://p:1", "colour": "blue"}, "colour", "unsupported"),
    ({"state": "gone"}, "state", "choices"),
])
def test_bad_input_fails_before_the_host_is_contacted(run_action, args, field, rule):
    result, target = run_action(action, args)

    assert result["failed"] is True
    assert target.calls == []
    assert result["invalid_option"] == field
    assert result["rule"] == rule
    assert result["msg"].startswith(field)
    assert "secret" not in result["msg"]


@pytest.mark.parametrize("text, expected", [
    ("http://wpad.corp.example/proxy.pac", "http://wpad.corp.example/proxy.pac"),
    ("HTTPS://WPAD.Corp.Example:8443/p/proxy.pac?site=a%20b", "https://wpad.corp.example:8443/p/proxy.pac?site=a%20b"),
    ("http://[2001:DB8::1]/proxy.pac", "http://[2001:db8::1]/proxy.pac"),
    ("http://10.0.0.5", "http://10.0.0.5"),
])
def test_pac_url_is_normalised(run_action, text, expected):
    _result, target = run_action(action, {"proxy_pac_url": text}, reply("set_from_empty"))
    assert target.args["_values"][1]["data"] == expected
