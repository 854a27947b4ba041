# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""device_facts, the plan and winhttp_proxy give one answer to "do the two WinHTTP copies differ".

WINHTTP_PROXY_INFO documents the bypass list as names "separated by semicolons or whitespace", so a
native copy ``<local>;*.corp.example`` and a 32-bit copy ``<local>; *.corp.example`` bypass the same
hosts: no drift, nothing to rewrite. Each case feeds the same bytes to all three.
"""

from __future__ import annotations

import copy

import pytest

from ansible_collections.purview.device_proxy.plugins.action import device_facts as facts_action
from ansible_collections.purview.device_proxy.plugins.action import winhttp_proxy as winhttp_action
from ansible_collections.purview.device_proxy.plugins.module_utils.winhttp_settings import WinHttpSettings, encode_hex
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan import compute_plan

from .conftest import load_reply

PROXY = "10.0.0.6:8080"


def hex_of(bypass: str, proxy: str = PROXY) -> str:
    return encode_hex(WinHttpSettings.named_proxy(proxy, bypass))


# (native bypass, 32-bit bypass, whether the copies differ)
CASES = [
    pytest.param("<local>;*.corp.example", "<local>; *.corp.example", False, id="space-after-semicolon"),
    pytest.param("<local>;*.corp.example", "<local> *.corp.example", False, id="space-as-separator"),
    pytest.param("<local>;*.corp.example", "<LOCAL>;*.CORP.EXAMPLE", False, id="case"),
    pytest.param("<local>;*.corp.example", "<local>", True, id="entry-missing"),
    pytest.param("<local>;*.corp.example", "*.corp.example;<local>", True, id="order"),
]


def device_facts_for(run_action, native: str, wow64: str):
    reply = copy.deepcopy(load_reply("device_facts", "hyperv_server_drift"))
    reply["raw"]["winhttp"] = {"native": native, "wow64": wow64}
    reply["raw"]["hardware"]["battery_count"] = 0
    result, _session = run_action(facts_action, {}, reply)
    assert "failed" not in result, result
    return result["ansible_facts"]["purview_device_proxy"], result.get("warnings", [])


@pytest.mark.parametrize("native_bypass,wow64_bypass,differ", CASES)
def test_three_answers_agree(run_action, native_bypass, wow64_bypass, differ):
    native, wow64 = hex_of(native_bypass), hex_of(wow64_bypass)

    facts, facts_warnings = device_facts_for(run_action, native, wow64)
    assert facts["winhttp"]["drift"] is differ
    assert any("WOW6432Node" in warning for warning in facts_warnings) is differ

    inputs = {"network_mode": "static", "proxy": PROXY, "bypass": native_bypass, "winhttp_policy": "set",
              "topology": "stable"}
    plan = compute_plan(inputs, facts)
    plan_warns = any("differ" in finding["message"] for finding in plan["findings"])
    assert plan_warns is differ, plan["findings"]
    winhttp = next(action for action in plan["actions"] if action["target"] == "winhttp_proxy")
    # Asked for the native copy's setting: only a real difference in the 32-bit copy is a change.
    assert winhttp["action"] == ("set" if differ else "keep"), winhttp["reason"]

    args = {"proxy": PROXY, "bypass": native_bypass.split(";"), "device_topology": "stable"}
    read = {"changed": False, "raw": {"is_64bit_os": True, "native_before": native, "wow64_before": wow64,
                                      "native_after": native, "wow64_after": wow64, "ie_proxy": None}}
    result, _session = run_action(winhttp_action, args, read, check_mode=True)
    assert "failed" not in result, result
    assert result["drift"] is differ
    assert result["changed"] is differ

    supplied, target = run_action(winhttp_action, dict(args, current_settings=facts["winhttp"]), check_mode=True)
    assert target.calls == []
    assert supplied["drift"] is differ
    assert supplied["changed"] is differ
