# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.purview.device_proxy.plugins.action import winhttp_proxy as action
from ansible_collections.purview.device_proxy.plugins.module_utils.winhttp_settings import WinHttpSettings, decode_hex, encode_hex
from ansible_collections.purview.device_proxy.plugins.modules import winhttp_proxy as doc

from .conftest import all_replies, assert_shaped_like, documented_return, load_reply

W1 = "1800000000000000010000000000000000000000"
PROXY_ARGS = {"proxy": "10.0.0.6:8080", "bypass": ["<local>", "*.corp.example"], "device_topology": "stable"}
NETSH_PROXY = 'netsh winhttp set proxy proxy-server="10.0.0.6:8080" bypass-list="<local>;*.corp.example"'


def reply(name):
    return load_reply("winhttp_proxy", name)


@pytest.mark.parametrize("name", sorted(all_replies("winhttp_proxy")))
def test_recorded_replies_are_shaped_like_return(name):
    assert_shaped_like(reply(name)["raw"], documented_return(doc)["raw"])


def test_idempotent_run_is_one_read(run_action):
    result, target = run_action(action, PROXY_ARGS, reply("read_proxy"), diff=True)

    assert result["changed"] is False
    assert len(target.calls) == 1
    assert target.args["_mode"] == "read"
    assert target.args["_read_ie"] is False
    assert result["before"] == result["after"]
    assert result["before"]["native"]["proxy"] == "10.0.0.6:8080"
    assert result["diff"]["before"] == result["diff"]["after"] == "native: %s\nWOW6432Node: %s\n" % (NETSH_PROXY, NETSH_PROXY)
    assert result["drift"] is False
    assert result["netsh"] == NETSH_PROXY
    assert "warnings" not in result


def test_other_spelling_of_the_same_setting_is_no_change(run_action):
    args = {"proxy": "proxy.corp.example:3128", "bypass": "<local>;*.corp.example", "device_topology": "stable"}
    result, target = run_action(action, args, reply("read_other_spelling"))
    assert result["changed"] is False
    assert len(target.calls) == 1


def test_change_is_read_then_guarded_apply(run_action):
    result, target = run_action(action, PROXY_ARGS, reply("read_direct"), reply("apply_set_proxy"), diff=True)

    assert result["changed"] is True
    assert len(target.calls) == 2
    apply_args = target.calls[1]["module_args"]
    assert apply_args["_mode"] == "apply"
    assert apply_args["_expected_native_hex"] == W1
    assert apply_args["_expected_wow64_hex"] == W1
    assert apply_args["_set_native"] is True
    assert apply_args["_mirror_wow64"] is True
    assert apply_args["_access_type"] == "named_proxy"
    assert apply_args["_proxy"] == "10.0.0.6:8080"
    assert apply_args["_bypass"] == "<local>;*.corp.example"
    assert result["before"]["native"] == {"raw": W1, "uses_proxy": False, "proxy": "", "bypass": "", "error": None}
    assert result["after"]["native"]["uses_proxy"] is True
    assert result["after"]["wow64"]["bypass"] == "<local>;*.corp.example"
    assert result["diff"]["before"] == "native: netsh winhttp reset proxy\nWOW6432Node: netsh winhttp reset proxy\n"
    assert result["diff"]["after"] == "native: %s\nWOW6432Node: %s\n" % (NETSH_PROXY, NETSH_PROXY)
    assert result["raw"]["native_before"] == W1
    assert decode_hex(result["raw"]["native_after"]).proxy == "10.0.0.6:8080"


def test_per_scheme_dict_is_sent_in_winhttp_form(run_action):
    args = {"proxy": {"https": "B:8443", "http": "a:3128"}, "device_topology": "stable"}
    applied = reply("apply_set_proxy")
    per_scheme = encode_hex(WinHttpSettings.named_proxy("http=a:3128;https=b:8443", version=0x28))
    applied["raw"].update(native_after=per_scheme, wow64_after=per_scheme,
                          api_after={"access_type": "named_proxy", "proxy": "http=a:3128;https=b:8443", "bypass": "",
                                     "error": None})
    result, target = run_action(action, args, reply("read_direct"), applied)
    assert result["changed"] is True and "failed" not in result
    assert target.calls[0]["module_args"]["proxy"] == "http=a:3128;https=b:8443"
    assert target.calls[1]["module_args"]["_proxy"] == "http=a:3128;https=b:8443"


def test_check_mode_reads_once_and_predicts(run_action):
    result, target = run_action(action, PROXY_ARGS, reply("read_direct"), check_mode=True, diff=True)

    assert result["changed"] is True
    assert len(target.calls) == 1
    assert result["after"]["native"] == {
        "raw": None, "uses_proxy": True, "proxy": "10.0.0.6:8080", "bypass": "<local>;*.corp.example", "error": None}
    assert result["diff"]["after"] == "native: %s\nWOW6432Node: %s\n" % (NETSH_PROXY, NETSH_PROXY)


def test_absent_resets_to_direct(run_action):
    result, target = run_action(action, {"state": "absent"}, reply("read_proxy"), reply("apply_reset"), diff=True)

    assert result["changed"] is True
    apply_args = target.calls[1]["module_args"]
    assert apply_args["_access_type"] == "no_proxy"
    assert apply_args["_proxy"] == "" and apply_args["_bypass"] == ""
    assert result["after"]["native"]["uses_proxy"] is False
    assert result["netsh"] == "netsh winhttp reset proxy"
    assert result["diff"]["after"] == "native: netsh winhttp reset proxy\nWOW6432Node: netsh winhttp reset proxy\n"


def test_absent_on_missing_values_is_no_change(run_action):
    result, target = run_action(action, {"state": "absent"}, reply("read_missing"))
    assert result["changed"] is False
    assert len(target.calls) == 1
    assert result["before"]["native"] == {"raw": None, "uses_proxy": False, "proxy": "", "bypass": "", "error": None}


def test_absent_needs_no_topology_guard(run_action):
    result, _target = run_action(action, {"state": "absent", "device_topology": "roaming"}, reply("read_direct"))
    assert result["changed"] is False
    assert "failed" not in result


def test_drift_between_views_is_reported_and_repaired(run_action):
    result, target = run_action(action, PROXY_ARGS, reply("read_drift"), reply("apply_mirror"))

    assert result["drift"] is True
    assert result["changed"] is True
    apply_args = target.calls[1]["module_args"]
    assert apply_args["_set_native"] is False
    assert apply_args["_mirror_wow64"] is True
    assert any("WOW6432Node" in warning and "netsh winhttp reset proxy" in warning for warning in result["warnings"])
    assert result["after"]["wow64"]["proxy"] == "10.0.0.6:8080"


def test_drift_in_check_mode_is_reported_without_writing(run_action):
    result, target = run_action(action, PROXY_ARGS, reply("read_drift"), check_mode=True)
    assert result["drift"] is True
    assert result["changed"] is True
    assert len(target.calls) == 1
    assert result["after"]["native"] == result["before"]["native"]
    assert result["after"]["wow64"]["raw"] is None


def test_32bit_os_has_no_wow64_view(run_action):
    result, target = run_action(action, {"state": "absent"}, reply("read_32bit"), diff=True)
    assert result["changed"] is False
    assert result["before"]["wow64"] is None
    assert result["drift"] is False
    assert result["diff"]["before"] == "native: netsh winhttp reset proxy\n"
    assert len(target.calls) == 1


def test_undecodable_value_is_replaced(run_action):
    result, target = run_action(action, {"state": "absent"}, reply("read_undecodable"), reply("apply_reset"), diff=True)
    assert result["changed"] is True
    assert "WinINet" in result["before"]["native"]["error"]
    assert result["diff"]["before"].startswith("native: # WinHttpSettings cannot be decoded")
    assert target.calls[1]["module_args"]["_set_native"] is True


def test_source_ie_imports_the_manual_proxy(run_action):
    args = {"source": "ie", "device_topology": "stable"}
    result, target = run_action(action, args, reply("read_ie"), reply("apply_set_named"))

    assert target.calls[0]["module_args"]["_read_ie"] is True
    apply_args = target.calls[1]["module_args"]
    assert apply_args["_proxy"] == "proxy.corp.example:3128"
    assert apply_args["_bypass"] == "<local>;*.corp.example"
    assert result["changed"] is True
    assert any("not imported" in warning for warning in result["warnings"])


def test_source_ie_without_manual_proxy_means_direct(run_action):
    result, target = run_action(action, {"source": "ie"}, reply("read_ie_none"), reply("apply_reset"))
    assert target.calls[1]["module_args"]["_access_type"] == "no_proxy"
    assert result["netsh"] == "netsh winhttp reset proxy"


def test_source_ie_without_any_ie_settings_fails_without_writing(run_action):
    result, target = run_action(action, {"source": "ie", "device_topology": "stable"}, reply("read_ie_not_found"))
    assert result["failed"] is True
    assert result["invalid_option"] == "source"
    assert result["rule"] == "no-ie-settings"
    assert result["msg"].startswith("source: WinHTTP found no Internet Options settings")
    assert len(target.calls) == 1  # the read only; nothing written


def test_source_ie_on_roaming_device_is_refused_after_the_read(run_action):
    result, target = run_action(action, {"source": "ie", "device_topology": "roaming"}, reply("read_ie"))
    assert result["failed"] is True
    assert result["rule"] == "roaming-static-proxy"
    assert len(target.calls) == 1  # the read only; nothing written


def test_source_ie_with_invalid_proxy_names_source(run_action):
    result, target = run_action(action, {"source": "ie", "device_topology": "stable"}, reply("read_ie_invalid"))
    assert result["failed"] is True
    assert result["invalid_option"] == "source"
    assert result["msg"].startswith("source: ")
    assert len(target.calls) == 1


def test_roaming_device_is_refused_before_the_host_is_contacted(run_action):
    result, target = run_action(action, dict(PROXY_ARGS, device_topology="roaming"))

    assert result["failed"] is True
    assert target.calls == []
    assert result["invalid_option"] == "device_topology"
    assert result["rule"] == "roaming-static-proxy"
    assert "roaming" in result["msg"]
    assert "telemetry_proxy" in result["msg"]
    assert "off the corporate network" in result["msg"]
    assert "force" in result["msg"]


def test_force_overrides_the_roaming_guard_with_a_warning(run_action):
    result, _target = run_action(
        action, dict(PROXY_ARGS, device_topology="roaming", force=True), reply("read_proxy"))
    assert "failed" not in result
    assert result["changed"] is False
    assert any("roaming" in warning for warning in result["warnings"])


def test_unknown_topology_warns(run_action):
    args = dict(PROXY_ARGS)
    del args["device_topology"]
    result, _target = run_action(action, args, reply("read_proxy"))
    assert any("device_topology is unknown" in warning for warning in result["warnings"])


def test_write_that_does_not_hold_is_undone(run_action):
    result, target = run_action(action, PROXY_ARGS, reply("read_direct"), reply("apply_not_held"), reply("restore"))

    assert result["failed"] is True
    assert "restored" in result["msg"]
    assert len(target.calls) == 3
    restore_args = target.calls[2]["module_args"]
    assert restore_args["_mode"] == "restore"
    assert restore_args["_restore_native"] == {"kind": "Binary", "data": W1}
    assert restore_args["_restore_wow64"] == {"kind": "Binary", "data": W1}


def test_guard_failure_on_the_host_is_passed_on(run_action):
    changed_underneath = {"failed": True, "msg": "WinHttpSettings changed on the host after it was read; nothing was written"}
    result, _target = run_action(action, PROXY_ARGS, reply("read_direct"), changed_underneath)
    assert result["failed"] is True
    assert result["msg"] == changed_underneath["msg"]


@pytest.mark.parametrize(
    "args, field, rule",
    [
        ({"proxy": "10.0.0.6:0", "device_topology": "stable"}, "proxy", "port-range"),
        ({"proxy": "10.0.0.6", "device_topology": "stable"}, "proxy", None),
        ({"proxy": "gopher=a:70", "device_topology": "stable"}, "proxy", "unknown-scheme"),
        ({"proxy": "a:3128", "bypass": ["intranet:80"], "device_topology": "stable"}, "bypass", "bypass-port"),
        ({"proxy": "a:3128", "source": "ie"}, "proxy", "mutually-exclusive"),
        ({"bypass": ["<local>"]}, "state", "required-if"),
        ({"state": "absent", "proxy": "a:3128"}, "proxy", "absent-takes-no-proxy"),
        ({"state": "absent", "source": "ie"}, "source", "absent-takes-no-proxy"),
        ({"source": "edge"}, "source", "choices"),
        ({"proxy": "a:3128", "device_topology": "laptop"}, "device_topology", "choices"),
        ({}, "state", "required-if"),
    ],
)
def test_bad_input_fails_before_the_host_is_contacted(run_action, args, field, rule):
    result, target = run_action(action, args)

    assert result["failed"] is True
    assert target.calls == []
    assert result["invalid_option"] == field
    if rule is not None:
        assert result["rule"] == rule
