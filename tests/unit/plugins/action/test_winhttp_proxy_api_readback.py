# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""winhttp_proxy decides whether a write held from WinHTTP's own API reading, and handles values
of any registry kind: recorded replies with byte layouts the codec does not know and odd kinds."""

from __future__ import annotations

import pytest

from ansible_collections.purview.device_proxy.plugins.action import winhttp_proxy as action

from .conftest import load_reply

W1 = "1800000000000000010000000000000000000000"
PROXY_ARGS = {"proxy": "10.0.0.6:8080", "bypass": ["<local>", "*.corp.example"], "device_topology": "stable"}
API_PROXY = {"access_type": "named_proxy", "proxy": "10.0.0.6:8080", "bypass": "<local>;*.corp.example", "error": None}
API_DIRECT = {"access_type": "no_proxy", "proxy": "", "bypass": "", "error": None}


def lp(text: str) -> str:
    raw = text.encode("ascii")
    return (len(raw).to_bytes(4, "little") + raw).hex().upper()


# A layout a newer Windows might write: version word 0x30 (unknown to the codec) and 8 bytes after
# the bypass list that are no length-prefixed string.
NEW_LAYOUT = ("30000000" + "05000000" + "03000000" + lp("10.0.0.6:8080") + lp("<local>;*.corp.example")
              + "FFFFFFFF01020304")


def reply(name):
    return load_reply("winhttp_proxy", name)


def applied_with(native_after, wow64_after, api_after):
    result = reply("apply_set_proxy")
    result["raw"].update(native_after=native_after, wow64_after=wow64_after, api_after=api_after)
    return result


def test_unknown_version_and_trailing_data_after_a_write_that_the_api_confirms_is_success(run_action):
    result, target = run_action(action, PROXY_ARGS, reply("read_direct"), applied_with(NEW_LAYOUT, NEW_LAYOUT, API_PROXY))
    assert "failed" not in result, result.get("msg")
    assert result["changed"] is True
    # Read and guarded write; no restore.
    assert [call["module_args"]["_mode"] for call in target.calls] == ["read", "apply"]
    assert result["after"]["native"]["proxy"] == "10.0.0.6:8080"
    assert result["after"]["native"]["raw"] == NEW_LAYOUT
    # The mirror copied the same bytes: the WOW6432Node view holds what the native one holds.
    assert result["after"]["wow64"]["proxy"] == "10.0.0.6:8080"


def test_the_api_reading_decides_even_when_the_bytes_decode_to_the_requested_setting(run_action):
    # The bytes say the proxy is set, WinHTTP says it is not: the write did not hold.
    held_bytes = reply("apply_set_proxy")["raw"]["native_after"]
    result, target = run_action(action, PROXY_ARGS, reply("read_direct"), applied_with(held_bytes, held_bytes, API_DIRECT),
                                reply("restore"))
    assert result["failed"] is True
    assert "did not hold" in result["msg"] and "restored" in result["msg"]
    assert target.calls[2]["module_args"]["_mode"] == "restore"


def test_unknown_layout_the_api_does_not_confirm_is_restored_and_fails(run_action):
    result, target = run_action(action, PROXY_ARGS, reply("read_direct"), applied_with(NEW_LAYOUT, NEW_LAYOUT, API_DIRECT),
                                reply("restore"))
    assert result["failed"] is True
    restore = target.calls[2]["module_args"]
    assert restore["_restore_native"] == {"kind": "Binary", "data": W1}


def test_without_an_api_reading_the_bytes_decide_as_before(run_action):
    unreadable = {"access_type": "", "proxy": "", "bypass": "", "error": "Win32Exception: Access is denied"}
    result, target = run_action(action, PROXY_ARGS, reply("read_direct"), applied_with(NEW_LAYOUT, NEW_LAYOUT, unreadable),
                                reply("restore"))
    assert result["failed"] is True
    assert len(target.calls) == 3


def test_unknown_layout_already_holding_the_setting_is_no_change(run_action):
    read = reply("read_proxy")
    read["raw"].update(native_before=NEW_LAYOUT, wow64_before=NEW_LAYOUT, api_before=API_PROXY,
                       guard_before={"native": NEW_LAYOUT, "wow64": NEW_LAYOUT})
    result, target = run_action(action, PROXY_ARGS, read)
    assert result["changed"] is False
    assert len(target.calls) == 1
    assert result["drift"] is False


def test_unknown_layout_in_the_wow64_copy_alone_is_still_repaired(run_action):
    # The API speaks for the native view only; another WOW6432Node layout is not taken on trust.
    read = reply("read_proxy")
    read["raw"].update(wow64_before=NEW_LAYOUT, guard_before={"native": read["raw"]["native_before"], "wow64": NEW_LAYOUT})
    applied = reply("apply_mirror")
    result, target = run_action(action, PROXY_ARGS, read, applied)
    assert result["changed"] is True
    apply_args = target.calls[1]["module_args"]
    assert apply_args["_set_native"] is False and apply_args["_mirror_wow64"] is True
    assert apply_args["_expected_wow64_hex"] == NEW_LAYOUT


# ------------------------------------------------------------------------------ registry kinds

STRING_TOKEN = 'String:"%s"' % W1
MULTI_TOKEN = 'MultiString:["18000000","00000000"]'


def read_wrong_kinds():
    read = reply("read_direct")
    read["raw"].update(
        native_before={"kind": "String", "data": W1},
        wow64_before={"kind": "MultiString", "data": ["18000000", "00000000"]},
        guard_before={"native": STRING_TOKEN, "wow64": MULTI_TOKEN},
        api_before=API_DIRECT,
    )
    return read


def test_wrong_kind_is_reported_as_such_not_decoded_as_hex(run_action):
    # The REG_SZ holds text that is valid WinHttpSettings hex for direct access: decoding it would
    # call the state "direct access" and change nothing.
    result, target = run_action(action, {"state": "absent"}, read_wrong_kinds(), check_mode=True)
    assert result["changed"] is True
    assert len(target.calls) == 1
    assert "REG_SZ" in result["before"]["native"]["error"]
    assert "REG_MULTI_SZ" in result["before"]["wow64"]["error"]
    assert result["before"]["native"]["raw"] is None


def test_wrong_kind_is_guarded_by_the_hosts_token_and_restored_with_its_kind(run_action):
    result, target = run_action(action, {"state": "absent"}, read_wrong_kinds(),
                                applied_with(W1, W1, API_PROXY), reply("restore"))
    apply_args = target.calls[1]["module_args"]
    assert apply_args["_expected_native_hex"] == STRING_TOKEN
    assert apply_args["_expected_wow64_hex"] == MULTI_TOKEN
    # The API says a proxy is still set: restore each view with the kind it had.
    assert result["failed"] is True
    restore = target.calls[2]["module_args"]
    assert restore["_restore_native"] == {"kind": "String", "data": W1}
    assert restore["_restore_wow64"] == {"kind": "MultiString", "data": ["18000000", "00000000"]}


def test_reg_none_is_restored_as_reg_none(run_action):
    read = reply("read_direct")
    read["raw"].update(native_before={"kind": "None", "data": ""}, guard_before={"native": 'None:""', "wow64": W1})
    result, target = run_action(action, PROXY_ARGS, read, applied_with(W1, W1, API_DIRECT), reply("restore"))
    assert result["failed"] is True
    assert target.calls[2]["module_args"]["_restore_native"] == {"kind": "None", "data": ""}
    assert target.calls[2]["module_args"]["_restore_wow64"] == {"kind": "Binary", "data": W1}


def test_a_kind_that_cannot_be_written_back_is_refused_before_any_write(run_action):
    read = reply("read_direct")
    read["raw"].update(native_before={"kind": "Unknown", "data": "0102"})
    result, target = run_action(action, PROXY_ARGS, read)
    assert result["failed"] is True
    assert "cannot write back" in result["msg"] and "nothing was changed" in result["msg"]
    assert len(target.calls) == 1


@pytest.mark.parametrize("value", [{"kind": "String", "data": W1}, {"kind": "MultiString", "data": [W1]}])
def test_two_wrong_kind_values_differ_unless_they_are_the_same(value):
    from ansible_collections.purview.device_proxy.plugins.plugin_utils.winhttp_view import WinHttpView, views_differ

    same = WinHttpView.from_reported(dict(value))
    assert not views_differ(WinHttpView.from_reported(value), same)
    assert views_differ(WinHttpView.from_reported(value), WinHttpView.from_reported({"kind": "String", "data": "other"}))
    assert views_differ(WinHttpView.from_reported(value), WinHttpView.from_hex(W1))


# --- the codec's reading checked against WinHTTP's own on every run --------------------------------

API_BYPASS_PROXY = {"access_type": "named_proxy", "proxy": "10.0.0.6:8080", "bypass": "<local>;*.corp.example", "error": None}


def read_with(native_hex, api_before, api_view="native"):
    result = reply("read_proxy")
    result["raw"].update(native_before=native_hex, wow64_before=native_hex, api_before=api_before, api_view=api_view)
    result["raw"]["guard_before"] = {"native": native_hex, "wow64": native_hex}
    return result


def test_bytes_misread_as_direct_while_the_api_reads_the_proxy_decide_no_write(run_action):
    # The codec reads direct access (W1), WinHTTP reads the requested proxy: the API is trusted, so
    # the setting is already in place and nothing is written.
    result, target = run_action(action, PROXY_ARGS, read_with(W1, API_BYPASS_PROXY))
    assert "failed" not in result, result.get("msg")
    assert [call["module_args"]["_mode"] for call in target.calls] == ["read"]
    assert result["changed"] is False
    assert result["before"]["native"]["proxy"] == "10.0.0.6:8080"
    check = result["codec_check"]
    assert (check["view"], check["agrees"]) == ("native", False)
    assert "direct" in check["codec"] and "10.0.0.6:8080" in check["api"]
    assert any("WinHTTP's own reading" in warning and "trusted" in warning for warning in result["warnings"])


def test_bytes_misread_as_a_proxy_while_the_api_reads_direct_decide_no_removal(run_action):
    read_proxy_bytes = reply("read_proxy")["raw"]["native_before"]
    result, target = run_action(action, {"state": "absent"}, read_with(read_proxy_bytes, API_DIRECT))
    assert "failed" not in result, result.get("msg")
    assert [call["module_args"]["_mode"] for call in target.calls] == ["read"]
    assert result["changed"] is False
    assert result["codec_check"]["agrees"] is False


def test_a_misread_that_hides_a_needed_change_still_writes_from_the_api_reading(run_action):
    # The codec reads the requested proxy, WinHTTP reads direct access: the write is needed.
    read_proxy_bytes = reply("read_proxy")["raw"]["native_before"]
    result, target = run_action(action, PROXY_ARGS, read_with(read_proxy_bytes, API_DIRECT), reply("apply_set_proxy"))
    assert [call["module_args"]["_mode"] for call in target.calls][:2] == ["read", "apply"]
    assert target.calls[1]["module_args"]["_set_native"] is True
    assert result["codec_check"]["agrees"] is False


def test_when_codec_and_api_agree_there_is_no_warning(run_action):
    result, target = run_action(action, PROXY_ARGS, reply("read_proxy"))
    assert result["changed"] is False
    assert result["codec_check"] == {"view": "native", "agrees": True, "codec": result["codec_check"]["codec"],
                                     "api": result["codec_check"]["api"]}
    assert not any("WinHTTP's own reading" in warning for warning in result.get("warnings", []))


def test_a_32bit_host_process_checks_the_wow64_copy_the_api_read(run_action):
    # A 32-bit process's WinHTTP reads the WOW6432Node copy; the check is against that copy.
    raw = reply("read_proxy")
    raw["raw"].update(wow64_before=W1, api_view="wow64", api_before=API_BYPASS_PROXY)
    raw["raw"]["guard_before"]["wow64"] = W1
    result, target = run_action(action, PROXY_ARGS, raw)
    assert [call["module_args"]["_mode"] for call in target.calls] == ["read"]
    assert (result["codec_check"]["view"], result["codec_check"]["agrees"]) == ("wow64", False)
    assert result["changed"] is False


def test_with_current_settings_the_writes_own_reading_reports_a_misread(run_action):
    # The supplied bytes (W1) decode to direct access; the write's reply says WinHTTP read a
    # different proxy before the write: the mismatch is reported (the write sets the requested value anyway).
    applied = reply("apply_set_proxy")
    applied["raw"]["api_before"] = {"access_type": "named_proxy", "proxy": "10.9.9.9:3128", "bypass": "", "error": None}
    args = dict(PROXY_ARGS, current_settings={"native": W1, "wow64": W1})
    result, target = run_action(action, args, applied)
    assert [call["module_args"]["_mode"] for call in target.calls] == ["apply"]
    assert result["codec_check"]["agrees"] is False and "10.9.9.9:3128" in result["codec_check"]["api"]
    assert any("WinHTTP's own reading" in warning for warning in result["warnings"])
