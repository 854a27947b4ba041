# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.purview.device_proxy.plugins.action import device_facts as action
from ansible_collections.purview.device_proxy.plugins.modules import device_facts as doc
from ansible_collections.purview.device_proxy.plugins.plugin_utils.registry_locations import (
    device_facts_policy_option,
    device_facts_reads,
)

from .conftest import all_replies, assert_shaped_like, documented_return, load_reply

W1 = "1800000000000000010000000000000000000000"
FACT_KEYS = {"telemetry_proxy", "winhttp", "wininet", "defender_av", "policy", "ownership", "hardware", "topology",
             "topology_evidence", "services", "os"}
I2 = "460000003A00000001000000" + "00" * 44


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
    assert target.args == {"_registry": device_facts_reads(), "_policy": device_facts_policy_option()}
    assert facts["telemetry_proxy"] == {
        "server": "10.0.0.6:8080", "disable_enterprise_auth_proxy": 1, "prefer_static_proxy_for_http_request": None}
    assert facts["winhttp"]["native"] == {
        "raw": W1,
        "decoded": {"version": 0x18, "counter": 0, "flags": 1, "proxy": "", "bypass": "", "autoconfig_url": None,
                    "uses_proxy": False, "trailing": ""},
        "error": None,
    }
    assert facts["winhttp"]["drift"] is False
    assert facts["wininet"] == {
        "machine": {"proxy_enable": None, "proxy_server": None, "auto_config_url": None},
        "system_account": {
            "proxy_enable": 0, "proxy_server": None, "auto_config_url": None,
            "default_connection_settings": {
                "raw": I2, "error": None,
                "decoded": {"version": 0x46, "counter": 58, "flags": 1, "proxy_enabled": False,
                            "auto_config_enabled": False, "auto_detect": False, "proxy": "", "bypass": "",
                            "autoconfig_url": ""}}},
        "default_user": {"proxy_enable": None, "proxy_server": None, "auto_config_url": None,
                         "default_connection_settings": {"raw": None, "decoded": None, "error": None}},
    }
    assert facts["defender_av"] == {"proxy_server": None, "proxy_pac_url": None, "proxy_bypass": None, "ssl_options": None}
    # Every source was read and none sets anything: "none", not "unknown".
    assert {value["source"] for value in facts["ownership"]["values"].values()} == {"none"}
    assert facts["ownership"]["findings"] == []
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


def owner_of(facts, field):
    return facts["ownership"]["values"][field]


def test_domain_policies_are_resolved_per_managed_value(run_action):
    result, target = run_action(action, {}, reply("domain_policies"))
    facts = facts_of(result)
    assert len(target.calls) == 1

    # Agreeing: the winning domain GPO sets the TelemetryProxyServer the device holds.
    telemetry = owner_of(facts, "telemetry_proxy_server")
    assert telemetry["source"] == "domain_gpo"
    assert telemetry["owners"][0]["name"] == "Workstations - Proxy"
    assert telemetry["owners"][0]["value"] == "proxy.corp.example:3128"
    assert telemetry["current"] == "proxy.corp.example:3128"
    assert telemetry["policy_value_in_place"] is True
    # The local GPO (from the Registry.pol bytes) and MDM set it too, after the domain GPO.
    assert [owner["source"] for owner in telemetry["owners"]] == ["domain_gpo", "local_gpo", "mdm"]
    assert telemetry["owners"][1]["value"] == "local-proxy.corp.example:8080"

    # Conflicting: the domain GPO enforces a Defender Antivirus proxy the device does not hold; the
    # local GPO (Registry.pol) sets yet another one and loses.
    defender = owner_of(facts, "defender_proxy_server")
    assert defender["source"] == "domain_gpo"
    assert [owner["source"] for owner in defender["owners"]] == ["domain_gpo", "local_gpo"]
    assert defender["owners"][0]["value"] == "http://proxy.corp.example:3128"
    assert defender["owners"][1]["value"] == "http://old-proxy.corp.example:8080"
    assert defender["owners"][0]["enforced"] is True
    assert defender["current"] == "http://stale-proxy.corp.example:8080"
    assert defender["policy_value_in_place"] is False

    # A Group Policy Preferences item owns WinHttpSettings, named after its GPO through RSoP.
    winhttp = owner_of(facts, "winhttp_settings")
    assert winhttp["source"] == "gpp"
    assert winhttp["owners"][0]["name"] == "Workstations - Proxy"

    # No owner, every source read.
    assert owner_of(facts, "defender_proxy_pac_url")["source"] == "none"
    assert owner_of(facts, "defender_proxy_pac_url")["policy_value_in_place"] is None
    assert facts["defender_av"]["ssl_options"] == 2

    # The MDM caveat is a finding and a warning.
    assert any("TelemetryProxyServer is deployed through MDM" in item["message"] for item in facts["ownership"]["findings"])
    assert any("deployed through MDM" in warning for warning in result["warnings"])


def test_policy_fact_is_the_documented_evidence_and_resolves_the_same(run_action):
    from ansible_collections.purview.device_proxy.plugins.plugin_utils.policy_sources import resolve_ownership

    result, _target = run_action(action, {}, reply("domain_policies"))
    facts = facts_of(result)
    evidence = facts["policy"]
    assert set(evidence) == {"rsop", "local_registry_pol", "mdm", "gpp"}
    # Hex in the fact (the documented shape), base64 on the wire.
    assert evidence["local_registry_pol"].startswith("5052656701000000")
    again = resolve_ownership(evidence).as_dict()
    for field, value in again["values"].items():
        assert facts["ownership"]["values"][field]["owners"] == value["owners"]


def test_rsop_not_readable_is_unknown_never_none(run_action):
    result, _target = run_action(action, {}, reply("wmi_errors"))
    facts = facts_of(result)
    value = owner_of(facts, "telemetry_proxy_server")
    assert value["source"] == "unknown"
    assert "RSoP" in value["unread"] and "Group Policy Preferences" in value["unread"]
    assert any("RSoP could not be read (Access denied)" in item["message"] for item in facts["ownership"]["findings"])


def test_a_malformed_evidence_part_is_dropped_and_named_not_fatal(run_action):
    raw = reply("domain_policies")
    raw["raw"]["policy"]["gpp"][0]["xml"] = "<RegistrySettings><Registry"
    result, _target = run_action(action, {}, raw)
    facts = facts_of(result)
    assert "failed" not in result
    assert "Group Policy Preferences" in owner_of(facts, "winhttp_settings")["unread"]
    assert owner_of(facts, "winhttp_settings")["source"] == "unknown"
    # The other sources still count.
    assert owner_of(facts, "telemetry_proxy_server")["source"] == "domain_gpo"
    assert any("the gpp evidence could not be used" in warning for warning in result["warnings"])


def test_registry_pol_that_is_not_base64_is_not_read(run_action):
    raw = reply("domain_policies")
    raw["raw"]["policy"]["local_registry_pol"] = "not base64!"
    result, _target = run_action(action, {}, raw)
    facts = facts_of(result)
    assert facts["policy"]["local_registry_pol"] is None
    # What the file said is gone; RSoP names the local GPO only as the loser in the winner's detail.
    assert [owner["source"] for owner in owner_of(facts, "defender_proxy_server")["owners"]] == ["domain_gpo"]
    assert [owner["source"] for owner in owner_of(facts, "telemetry_proxy_server")["owners"]] == ["domain_gpo", "mdm"]
    assert any("Registry.pol was not valid base64" in warning for warning in result["warnings"])


def test_winhttp_settings_of_the_wrong_kind_is_reported_not_decoded_as_hex(run_action):
    # The REG_SZ holds text that happens to be valid WinHttpSettings hex: a reader that decodes
    # the text would report direct access; WinHTTP stores its proxy only as REG_BINARY.
    result, _target = run_action(action, {}, reply("odd_kinds"))
    facts = facts_of(result)
    native, wow64 = facts["winhttp"]["native"], facts["winhttp"]["wow64"]
    assert native["decoded"] is None and native["raw"] is None
    assert "REG_SZ" in native["error"] and "not REG_BINARY" in native["error"]
    assert wow64["decoded"] is None and "REG_MULTI_SZ" in wow64["error"]


def test_wininet_connection_blobs_of_system_and_default_user(run_action):
    result, _target = run_action(action, {}, reply("odd_kinds"))
    wininet = facts_of(result)["wininet"]
    system = wininet["system_account"]["default_connection_settings"]["decoded"]
    assert system["proxy_enabled"] is True and system["auto_config_enabled"] is True and system["auto_detect"] is True
    assert (system["proxy"], system["bypass"], system["autoconfig_url"]) == ("google.com:42", "Lol;<local>", "http://google.fr/")
    default = wininet["default_user"]["default_connection_settings"]
    assert default["error"] is None
    assert default["decoded"]["flags"] == 1 and default["decoded"]["proxy"] == ""


def test_connection_blob_in_winhttp_format_or_wrong_kind_is_an_error():
    facts = action.connection_settings_facts({"kind": "Binary", "data": "1800000000000000010000000000000000000000"})
    assert facts["decoded"] is None and "WinHttpSettings format" in facts["error"]
    facts = action.connection_settings_facts({"kind": "String", "data": "46000000"})
    assert facts == {"raw": None, "decoded": None, "error": "DefaultConnectionSettings is a REG_SZ value, not REG_BINARY"}


def test_rsop_logging_turned_off_by_policy_is_unknown_with_the_reason(run_action):
    raw = reply("domain_policies")
    # The registry read of HKLM\Software\Policies\Microsoft\Windows\System\RSoPLogging travels in the RSoP answer.
    raw["raw"]["policy"]["rsop"]["logging_policy"] = {"kind": "DWord", "data": 0}
    result, _target = run_action(action, {}, raw)
    facts = facts_of(result)
    assert facts["policy"]["rsop"]["logging_policy"] == {"kind": "DWord", "data": 0}
    value = owner_of(facts, "defender_proxy_server")
    assert any("RSoPLogging" in item for item in value["unread"])
    assert [owner["source"] for owner in value["owners"]] == ["local_gpo"]
    assert any("RSoP logging is turned off by policy" in warning for warning in result["warnings"])


def test_a_value_of_a_kind_dotnet_cannot_read_is_named_by_kind_not_taken_for_absent(run_action):
    # RegistryKey.GetValue returns null for REG_LINK (6) and the resource lists (8, 9, 10); RawRegistry
    # reports such a value as {kind: Unknown, data: null, reg_type: N} instead of failing to bind null.
    raw = reply("laptop_win11")
    raw["raw"]["telemetry_proxy"]["server"] = {"kind": "Unknown", "data": None, "reg_type": 6}
    raw["raw"]["defender_av"]["proxy_server"] = {"kind": "Unknown", "data": None, "reg_type": 8}
    raw["raw"]["winhttp"]["native"] = {"kind": "Unknown", "data": None, "reg_type": 10}
    result, _target = run_action(action, {}, raw)
    facts = facts_of(result)
    assert facts["telemetry_proxy"]["server"] is None
    assert any("telemetry_proxy.server exists as a REG_LINK value" in w for w in result["warnings"])
    assert any("defender_av.proxy_server exists as a REG_RESOURCE_LIST value" in w for w in result["warnings"])
    assert "REG_RESOURCE_REQUIREMENTS_LIST" in facts["winhttp"]["native"]["error"]
