# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest

from ansible_collections.purview.device_proxy.plugins.action import device_facts as action
from ansible_collections.purview.device_proxy.plugins.modules import device_facts as doc
from ansible_collections.purview.device_proxy.plugins.plugin_utils.registry_locations import device_facts_reads

from .conftest import all_replies, assert_shaped_like, documented_return, load_reply

W1 = "1800000000000000010000000000000000000000"
FACT_KEYS = {"telemetry_proxy", "winhttp", "wininet", "hardware", "topology", "topology_evidence", "services", "os"}


def reply(name):
    return load_reply("device_facts", name)


def facts_of(result):
    return result["ansible_facts"]["purview_device_proxy"]


@pytest.mark.parametrize("name", sorted(all_replies("device_facts")))
def test_recorded_replies_are_shaped_like_return(name):
    assert_shaped_like(reply(name)["raw"], documented_return(doc)["raw"])


@pytest.mark.parametrize("name", sorted(all_replies("device_facts")))
def test_facts_have_the_documented_keys(run_action, name):
    result, target = run_action(action, {}, reply(name))
    documented = documented_return(doc)["ansible_facts"]["contains"]["purview_device_proxy"]["contains"]
    assert set(facts_of(result)) == set(documented) == FACT_KEYS
    assert len(target.calls) == 1
    assert result["changed"] is False


def test_laptop(run_action):
    result, target = run_action(action, {}, reply("laptop_win11"), check_mode=True, diff=True)
    facts = facts_of(result)

    # No user option reaches the target, only the registry locations the controller owns.
    assert target.args == {"_registry": device_facts_reads()}
    assert facts["telemetry_proxy"] == {
        "server": "10.0.0.6:8080", "disable_enterprise_auth_proxy": 1, "prefer_static_proxy_for_http_request": None}
    assert facts["winhttp"]["native"] == {
        "raw": W1,
        "decoded": {"version": 0x18, "counter": 0, "flags": 1, "proxy": "", "bypass": "", "autoconfig_url": None,
                    "uses_proxy": False},
        "error": None,
    }
    assert facts["winhttp"]["drift"] is False
    assert facts["wininet"] == {
        "machine": {"proxy_enable": None, "proxy_server": None, "auto_config_url": None},
        "system_account": {"proxy_enable": 0, "proxy_server": None, "auto_config_url": None},
    }
    assert facts["hardware"] == {
        "chassis_types": [10], "pc_system_type": 2, "has_battery": True, "is_virtual": False,
        "manufacturer": "LENOVO", "model": "20XW0026GE"}
    assert facts["topology"] == "roaming"
    assert "chassis type 10 (Notebook) is portable" in facts["topology_evidence"]
    assert facts["services"]["sense"] == {"state": "Running", "start_mode": "Auto"}
    assert facts["os"] == {"build": 22631, "version": "10.0.22631", "caption": "Microsoft Windows 11 Enterprise",
                           "architecture": "64-bit"}
    # Read-only: nothing to diff.
    assert "diff" not in result and "before" not in result
    assert "warnings" not in result


def test_hyperv_guest_is_stable_and_drift_is_found(run_action):
    result, _target = run_action(action, {}, reply("hyperv_server_drift"))
    facts = facts_of(result)

    assert facts["hardware"]["is_virtual"] is True
    assert facts["hardware"]["has_battery"] is True
    assert facts["topology"] == "stable"
    assert facts["topology_evidence"][0] == "model 'Virtual Machine' is a Hyper-V virtual machine"
    assert facts["winhttp"]["drift"] is True
    assert facts["winhttp"]["native"]["decoded"]["proxy"] == "10.0.0.6:8080"
    assert facts["winhttp"]["wow64"]["decoded"]["uses_proxy"] is False
    assert any("WOW6432Node" in warning for warning in result["warnings"])
    assert facts["services"]["sense"] == {"state": None, "start_mode": None}
    assert facts["wininet"]["machine"] == {"proxy_enable": 1, "proxy_server": "10.0.0.6:8080", "auto_config_url": None}
    assert facts["wininet"]["system_account"]["auto_config_url"] == "http://wpad.corp.example/wpad.dat"


def test_32bit_desktop_has_one_view(run_action):
    result, _target = run_action(action, {}, reply("desktop_32bit"))
    facts = facts_of(result)

    assert facts["os"]["architecture"] == "32-bit"
    assert facts["winhttp"]["wow64"] == {"raw": None, "decoded": None, "error": None}
    assert facts["winhttp"]["native"] == {"raw": None, "decoded": None, "error": None}
    assert facts["winhttp"]["drift"] is False
    assert facts["hardware"]["has_battery"] is False
    assert facts["topology"] == "stable"


def test_no_hardware_evidence_is_unknown_not_stable(run_action):
    raw = reply("laptop_win11")
    raw["raw"]["hardware"].update(chassis_types=None, pc_system_type=None, battery_count=None)
    facts = facts_of(run_action(action, {}, raw)[0])
    assert facts["topology"] == "unknown"
    assert any("no chassis type" in item for item in facts["topology_evidence"])


def test_read_errors_become_warnings_and_nulls(run_action):
    result, _target = run_action(action, {}, reply("wmi_errors"))
    facts = facts_of(result)

    assert facts["hardware"]["has_battery"] is None
    assert result["warnings"][0] == "device_facts: could not read Win32_Battery: Generic failure "
    assert facts["winhttp"]["native"]["decoded"] is None
    assert "WinINet" in facts["winhttp"]["native"]["error"]
    assert facts["winhttp"]["drift"] is True


def test_options_are_refused_before_the_host_is_contacted(run_action):
    result, target = run_action(action, {"gather": "all"})
    assert result["failed"] is True
    assert result["invalid_option"] == "gather"
    assert target.calls == []
