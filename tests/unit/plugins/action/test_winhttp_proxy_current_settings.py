# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""winhttp_proxy with current_settings: the bytes device_facts read earlier replace the read call."""

from __future__ import annotations

import pytest

from ansible_collections.purview.device_proxy.plugins.action import winhttp_proxy as action
from ansible_collections.purview.device_proxy.plugins.plugin_utils.winhttp_view import WinHttpView, winhttp_drift

from .conftest import load_reply

W1 = "1800000000000000010000000000000000000000"
PROXY = ("2800000000000000030000000D00000031302E302E302E363A38303830160000003C6C6F63616C3E3B2A2E636F72702E6578616D706C65")
UNDECODABLE = "460000000800000001000000"
PROXY_ARGS = {"proxy": "10.0.0.6:8080", "bypass": ["<local>", "*.corp.example"], "device_topology": "stable"}
NETSH_PROXY = 'netsh winhttp set proxy proxy-server="10.0.0.6:8080" bypass-list="<local>;*.corp.example"'
REFUSED = {"failed": True, "rule": "changed-since-read",
           "msg": "WinHttpSettings changed on the host after it was read; nothing was written, run the task again"}


def reply(name):
    return load_reply("winhttp_proxy", name)


def winhttp_facts(native, wow64, is_64bit=True):
    """The winhttp facts as device_facts builds them (same view model, same drift rule)."""
    native_view = WinHttpView.from_hex(native)
    wow64_view = WinHttpView.from_hex(wow64) if is_64bit else None
    absent = {"raw": None, "decoded": None, "error": None}
    return {
        "native": native_view.to_facts(),
        "wow64": wow64_view.to_facts() if wow64_view else absent,
        "drift": winhttp_drift(native_view, wow64_view),
    }


def with_settings(args, settings):
    return dict(args, current_settings=settings)


def test_no_change_from_the_facts_makes_no_call(run_action):
    result, target = run_action(action, with_settings(PROXY_ARGS, winhttp_facts(PROXY, PROXY)), diff=True)

    assert "failed" not in result
    assert result["changed"] is False
    assert target.calls == []
    assert result["before_source"] == "current_settings"
    assert result["raw"] is None
    assert result["before"] == result["after"]
    assert result["before"]["native"] == {
        "raw": PROXY, "uses_proxy": True, "proxy": "10.0.0.6:8080", "bypass": "<local>;*.corp.example", "error": None}
    assert result["diff"]["before"] == result["diff"]["after"] == "native: %s\nWOW6432Node: %s\n" % (NETSH_PROXY, NETSH_PROXY)
    assert result["drift"] is False


def test_plain_hex_in_any_case_is_accepted(run_action):
    settings = {"native": PROXY.lower(), "wow64": " %s " % PROXY}
    result, target = run_action(action, with_settings(PROXY_ARGS, settings))
    assert result["changed"] is False
    assert target.calls == []
    assert result["before"]["native"]["raw"] == PROXY


def test_missing_values_mean_direct_access(run_action):
    result, target = run_action(action, with_settings({"state": "absent"}, {"native": None, "wow64": None}))
    assert result["changed"] is False
    assert target.calls == []
    assert result["before"]["wow64"] == {"raw": None, "uses_proxy": False, "proxy": "", "bypass": "", "error": None}


def test_change_is_the_guarded_write_alone(run_action):
    result, target = run_action(
        action, with_settings(PROXY_ARGS, winhttp_facts(W1, W1)), reply("apply_set_proxy"), diff=True)

    assert "failed" not in result
    assert result["changed"] is True
    assert len(target.calls) == 1
    apply_args = target.args
    assert apply_args["_mode"] == "apply"
    assert apply_args["_expected_native_hex"] == W1
    assert apply_args["_expected_wow64_hex"] == W1
    assert apply_args["_set_native"] is True
    assert apply_args["_mirror_wow64"] is True
    assert apply_args["_proxy"] == "10.0.0.6:8080"
    # The target sees the normalised bytes only, not the decoded facts.
    assert apply_args["current_settings"] == {"native": W1, "wow64": W1}
    assert result["before_source"] == "current_settings"
    assert result["before"]["native"]["uses_proxy"] is False
    assert result["after"]["native"]["raw"] == PROXY
    assert result["after"]["wow64"]["proxy"] == "10.0.0.6:8080"
    assert result["raw"] == reply("apply_set_proxy")["raw"]
    assert result["diff"]["before"] == "native: netsh winhttp reset proxy\nWOW6432Node: netsh winhttp reset proxy\n"
    assert result["diff"]["after"] == "native: %s\nWOW6432Node: %s\n" % (NETSH_PROXY, NETSH_PROXY)


def test_lower_case_hex_is_sent_as_the_host_reports_it(run_action):
    # The host compares the guard bytes case-sensitively with its own upper-case hex.
    result, target = run_action(
        action, with_settings({"state": "absent"}, {"native": PROXY.lower(), "wow64": PROXY.lower()}), reply("apply_reset"))
    assert result["changed"] is True
    assert target.args["_expected_native_hex"] == PROXY
    assert target.args["_expected_wow64_hex"] == PROXY


def test_drift_in_the_facts_is_repaired_with_one_call(run_action):
    settings = winhttp_facts(PROXY, W1)
    assert settings["drift"] is True
    result, target = run_action(action, with_settings(PROXY_ARGS, settings), reply("apply_mirror"))

    assert len(target.calls) == 1
    assert target.args["_set_native"] is False
    assert target.args["_mirror_wow64"] is True
    assert result["drift"] is True
    assert result["changed"] is True
    assert any("WOW6432Node" in warning for warning in result["warnings"])


def test_undecodable_bytes_in_the_facts_are_replaced(run_action):
    result, target = run_action(
        action, with_settings({"state": "absent"}, winhttp_facts(UNDECODABLE, W1)), reply("apply_reset"))
    assert len(target.calls) == 1
    assert target.args["_expected_native_hex"] == UNDECODABLE
    assert target.args["_set_native"] is True
    assert result["before"]["native"]["error"]


def test_check_mode_makes_no_call_and_diffs_the_supplied_bytes(run_action):
    result, target = run_action(
        action, with_settings(PROXY_ARGS, winhttp_facts(W1, W1)), check_mode=True, diff=True)

    assert target.calls == []
    assert result["changed"] is True
    assert result["before_source"] == "current_settings"
    assert result["raw"] is None
    assert result["before"]["native"]["raw"] == W1
    assert result["after"]["native"] == {
        "raw": None, "uses_proxy": True, "proxy": "10.0.0.6:8080", "bypass": "<local>;*.corp.example", "error": None}
    assert result["diff"]["before"] == "native: netsh winhttp reset proxy\nWOW6432Node: netsh winhttp reset proxy\n"
    assert result["diff"]["after"] == "native: %s\nWOW6432Node: %s\n" % (NETSH_PROXY, NETSH_PROXY)


def test_check_mode_without_change_makes_no_call(run_action):
    result, target = run_action(action, with_settings(PROXY_ARGS, winhttp_facts(PROXY, PROXY)), check_mode=True)
    assert target.calls == []
    assert result["changed"] is False


def test_stale_facts_read_again_and_write_once_more(run_action):
    # The facts said direct; by the time of the write a GPO had set another proxy.
    result, target = run_action(
        action, with_settings(PROXY_ARGS, winhttp_facts(W1, W1)),
        REFUSED, reply("read_drift"), reply("apply_mirror"))

    assert "failed" not in result
    assert [call["module_args"]["_mode"] for call in target.calls] == ["apply", "read", "apply"]
    retry = target.calls[2]["module_args"]
    assert retry["_expected_native_hex"] == PROXY
    assert retry["_expected_wow64_hex"] == W1
    assert retry["_set_native"] is False
    assert result["changed"] is True
    assert result["before_source"] == "host"
    assert result["before"]["native"]["raw"] == PROXY
    assert any("changed on the host after current_settings were taken" in warning for warning in result["warnings"])


def test_stale_facts_whose_host_already_holds_the_setting_is_no_change(run_action):
    result, target = run_action(
        action, with_settings(PROXY_ARGS, winhttp_facts(W1, W1)), REFUSED, reply("read_proxy"))

    assert "failed" not in result
    assert len(target.calls) == 2
    assert target.args["_mode"] == "read"
    assert result["changed"] is False
    assert result["before_source"] == "host"
    assert result["raw"]["native_before"] == PROXY


def test_a_second_refusal_fails_the_task(run_action):
    result, target = run_action(
        action, with_settings(PROXY_ARGS, winhttp_facts(W1, W1)), REFUSED, reply("read_direct"), REFUSED)
    assert result["failed"] is True
    assert result["msg"] == REFUSED["msg"]
    assert len(target.calls) == 3


def test_other_failures_of_the_write_are_not_retried(run_action):
    broken = {"failed": True, "msg": "WinHttpSetDefaultProxyConfiguration failed: access is denied (5)"}
    result, target = run_action(action, with_settings(PROXY_ARGS, winhttp_facts(W1, W1)), broken)
    assert result["failed"] is True
    assert result["msg"] == broken["msg"]
    assert len(target.calls) == 1


def test_32bit_facts_have_no_wow64_view(run_action):
    settings = winhttp_facts(PROXY, None, is_64bit=False)
    assert settings["wow64"]["raw"] is None and settings["drift"] is False
    result, target = run_action(action, with_settings(PROXY_ARGS, settings), diff=True)

    assert target.calls == []
    assert result["changed"] is False
    assert result["before"]["wow64"] is None
    assert result["diff"]["before"] == "native: %s\n" % NETSH_PROXY


def test_32bit_change_from_facts_writes_the_native_view_only(run_action):
    result, target = run_action(
        action, with_settings(PROXY_ARGS, winhttp_facts(W1, None, is_64bit=False)), reply("apply_set_proxy_32bit"))
    assert len(target.calls) == 1
    # Direct native bytes and a null wow64 look the same on both kinds of OS; asking to mirror
    # is harmless, the host mirrors only where a WOW6432Node view exists, and its reply decides.
    assert target.args["_set_native"] is True
    assert target.args["_expected_wow64_hex"] == ""
    assert result["changed"] is True
    assert result["before"]["wow64"] is None
    assert result["after"]["wow64"] is None
    assert result["after"]["native"]["raw"] == PROXY


def test_32bit_told_by_the_reply_when_no_drift_fact_was_given(run_action):
    # Plain hex cannot say whether wow64 is a missing value or a missing view: the write's reply does.
    result, target = run_action(
        action, with_settings(PROXY_ARGS, {"native": PROXY, "wow64": None}), reply("apply_nothing_32bit"))
    assert len(target.calls) == 1
    assert target.args["_set_native"] is False
    assert result["changed"] is False
    assert result["before"]["wow64"] is None
    assert result["drift"] is False
    assert "warnings" not in result


GOOD = {"native": W1, "wow64": W1}


@pytest.mark.parametrize(
    "settings, field, rule",
    [
        ({"native": "ZZ", "wow64": W1}, "current_settings.native", "hex"),
        ({"native": W1, "wow64": W1[:-1]}, "current_settings.wow64", "hex"),
        ({"native": "18,00,00,00", "wow64": W1}, "current_settings.native", "hex"),
        ({"native": 24, "wow64": W1}, "current_settings.native", "type"),
        ({"native": ["18"], "wow64": W1}, "current_settings.native", "type"),
        ({"native": {"raw": "XY", "decoded": None, "error": None}, "wow64": W1}, "current_settings.native.raw", "hex"),
        ({"native": {"decoded": None}, "wow64": W1}, "current_settings.native.raw", "required"),
        ({"native": {"raw": W1, "bytes": W1}, "wow64": W1}, "current_settings.native.bytes", "unknown-key"),
        ({"native": {"raw": {"raw": W1}}, "wow64": W1}, "current_settings.native.raw", "type"),
        ({"native": W1}, "current_settings.wow64", "required"),
        (dict(GOOD, topology="stable"), "current_settings.topology", "unknown-key"),
        (dict(GOOD, drift="no"), "current_settings.drift", "type"),
        (dict(GOOD, drift=True), "current_settings.drift", "inconsistent"),
        ({"native": PROXY, "wow64": W1, "drift": False}, "current_settings.drift", "inconsistent"),
        ("not a mapping", "current_settings", "type"),
    ],
)
def test_bad_current_settings_fail_before_any_call(run_action, settings, field, rule):
    result, target = run_action(action, with_settings(PROXY_ARGS, settings))

    assert result["failed"] is True
    assert target.calls == []
    assert result["invalid_option"] == field
    assert result["rule"] == rule
    assert result["msg"].startswith(field + ": ")


def test_current_settings_and_source_ie_are_mutually_exclusive(run_action):
    result, target = run_action(action, {"source": "ie", "current_settings": GOOD})
    assert result["failed"] is True
    assert target.calls == []
    assert result["rule"] == "mutually-exclusive"


def test_roaming_refusal_comes_first(run_action):
    result, target = run_action(action, with_settings(dict(PROXY_ARGS, device_topology="roaming"), GOOD))
    assert result["failed"] is True
    assert target.calls == []
    assert result["invalid_option"] == "device_topology"


def test_without_current_settings_the_host_is_read(run_action):
    result, target = run_action(action, PROXY_ARGS, reply("read_proxy"))
    assert len(target.calls) == 1
    assert target.args["_mode"] == "read"
    assert "current_settings" not in target.args
    assert result["before_source"] == "host"


def test_facts_of_a_wrong_kind_value_are_not_taken_for_a_missing_value(run_action):
    # device_facts reports a REG_SZ WinHttpSettings as raw null with an error naming the kind. A
    # missing value means direct access, so taking the facts at their raw word would call a
    # reset "no change" without asking the host; the host must be read instead.
    facts = {"native": {"raw": None, "decoded": None,
                        "error": "WinHttpSettings is a REG_SZ value, not REG_BINARY (data '18000000'); "
                                 "the WinHTTP proxy is stored as REG_BINARY"},
             "wow64": {"raw": W1, "decoded": None, "error": None}, "drift": True}
    read = reply("read_direct")
    read["raw"].update(native_before={"kind": "String", "data": "18000000"},
                       guard_before={"native": 'String:"18000000"', "wow64": W1})
    result, target = run_action(action, with_settings({"state": "absent"}, facts), read, reply("apply_reset"))
    assert target.calls[0]["module_args"]["_mode"] == "read"
    assert result["changed"] is True
    assert target.calls[1]["module_args"]["_expected_native_hex"] == 'String:"18000000"'
    assert any("current_settings" in warning and "read" in warning for warning in result["warnings"])
