# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan function: input validation, facts handling, reasons and findings.

The full decision table is in test_plan_decision_table.py; this file covers the edges.
"""

from __future__ import annotations

import json

import pytest

from ansible_collections.purview.device_proxy.plugins.module_utils.winhttp_settings import WinHttpSettings, encode_hex
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan import (
    PlanFactsError,
    PlanInputError,
    compute_plan,
    parse_inputs,
    summarise_plan,
)

STATIC = {"network_mode": "static", "proxy": "10.0.0.6:8080"}
DESKTOP = {"chassis_types": [3], "pc_system_type": 1, "has_battery": False, "is_virtual": False}
LAPTOP = {"chassis_types": [10], "pc_system_type": 2, "has_battery": True, "is_virtual": False}


def clean_facts(**extra):
    facts = {
        "telemetry_proxy": {"server": None, "disable_enterprise_auth_proxy": None, "prefer_static_proxy_for_http_request": None},
        "winhttp": {"native": {"raw": None, "decoded": None, "error": None},
                    "wow64": {"raw": None, "decoded": None, "error": None}, "drift": False},
        "hardware": dict(DESKTOP),
    }
    facts.update(extra)
    return facts


def by_target(plan):
    return {action["target"]: action for action in plan["actions"]}


# ---------------------------------------------------------------------------------------------
# input validation: errors name the option and the rule, before anything is decided
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("inputs,field,rule,words", [
    ({}, "network_mode", "required", "is required"),
    ({"network_mode": "proxy"}, "network_mode", "choice", "must be one of transparent, wpad, static"),
    ({"network_mode": "static"}, "proxy", "required", "is required when network_mode is static"),
    ({"network_mode": "static", "proxy": ""}, "proxy", "required", "host:port"),
    ({**STATIC, "proxy": "10.0.0.6"}, "proxy", "port-required", "has no port"),
    ({**STATIC, "proxy": "10.0.0.6:70000"}, "proxy", "port-range", "out of range 1-65535"),
    ({**STATIC, "proxy": "http://10.0.0.6:8080"}, "proxy", "no-scheme", "scheme"),
    ({**STATIC, "proxy": "user:pw@10.0.0.6:8080"}, "proxy", "no-credentials", "credentials"),
    ({**STATIC, "proxy": "http=a.example:3128;https=b.example:3128"}, "proxy", "single-endpoint", "TelemetryProxyServer"),
    ({**STATIC, "winhttp_proxy": "http=a.example:3128;ftp"}, "winhttp_proxy", "mixed-forms", "give every part a scheme"),
    ({**STATIC, "bypass": ["*.corp.example:443"]}, "bypass", "bypass-port", "port"),
    ({**STATIC, "previous_proxies": ["10.0.0.5"]}, "previous_proxies[1]", "port-required", "has no port"),
    ({**STATIC, "previous_proxies": 8080}, "previous_proxies", "type", "list of proxy addresses"),
    ({**STATIC, "topology": "laptop"}, "topology", "choice", "auto, stable, roaming"),
    ({**STATIC, "winhttp_policy": "import"}, "winhttp_policy", "choice", "leave, set, reset"),
    ({**STATIC, "state": "gone"}, "state", "choice", "present, absent"),
    ({**STATIC, "remove_stale": "perhaps"}, "remove_stale", "type", "true or false"),
    ({**STATIC, "os_has_other_route": 2}, "os_has_other_route", "type", "true or false"),
    ({**STATIC, "winhttp_force": []}, "winhttp_force", "type", "true or false"),
    ({**STATIC, "proxi": "10.0.0.6:8080"}, "proxi", "unknown-option", "valid options are"),
    ({"network_mode": "wpad", "winhttp_policy": "set"}, "winhttp_policy", "set-needs-static", "needs network_mode static"),
    ({"network_mode": "transparent", "winhttp_policy": "set", "proxy": "10.0.0.6:8080"}, "winhttp_policy", "set-needs-static",
     "transparent proxy network needs no device configuration"),
])
def test_bad_inputs_are_refused_with_field_and_rule(inputs, field, rule, words):
    with pytest.raises(PlanInputError) as info:
        compute_plan(inputs, clean_facts())
    assert (info.value.field, info.value.rule) == (field, rule)
    assert str(info.value).startswith(f"{field}: ")
    assert words in str(info.value)


def test_field_prefix_names_the_role_variable():
    with pytest.raises(PlanInputError) as info:
        compute_plan({"network_mode": "static", "proxy": "10.0.0.6:0"}, clean_facts(), field_prefix="device_proxy_")
    assert str(info.value) == "device_proxy_proxy: port 0 is out of range 1-65535"
    plan = compute_plan({**STATIC, "remove_stale": False, "network_mode": "wpad"},
                        clean_facts(telemetry_proxy={"server": "other.example:1", "disable_enterprise_auth_proxy": 1,
                                                     "prefer_static_proxy_for_http_request": None}),
                        field_prefix="device_proxy_")
    assert "set device_proxy_remove_stale to true" in by_target(plan)["telemetry_proxy"]["reason"]


def test_credentials_never_appear_in_the_error():
    with pytest.raises(PlanInputError) as info:
        compute_plan({"network_mode": "static", "proxy": "alice:s3cret@10.0.0.6:8080"}, clean_facts())
    assert "s3cret" not in str(info.value)


def test_absent_needs_no_network_mode_and_refuses_policy_set():
    plan = compute_plan({"state": "absent"}, clean_facts())
    assert [action["action"] for action in plan["actions"]] == ["keep", "keep", "keep", "keep"]
    assert plan["apply"] == {}
    # A policy that sets WinHTTP cannot be honoured by a reset: refused, never silently ignored.
    with pytest.raises(PlanInputError) as info:
        compute_plan({"state": "absent", "winhttp_policy": "set"}, clean_facts())
    assert (info.value.field, info.value.rule) == ("winhttp_policy", "absent-needs-leave-or-reset")


def test_string_booleans_from_inventory_are_accepted():
    parsed = parse_inputs({**STATIC, "remove_stale": "yes", "os_has_other_route": "False", "winhttp_force": "true"})
    assert (parsed.remove_stale, parsed.os_has_other_route, parsed.winhttp_force) == (True, False, True)


def test_inputs_are_normalised_in_the_plan():
    plan = compute_plan({"network_mode": "static", "proxy": "Proxy.Corp.Example.:3128", "bypass": "<LOCAL>;*.Corp.Example;*.corp.example",
                         "winhttp_proxy": {"https": "b.example:8443", "http": "a.example:3128"}}, clean_facts())
    assert plan["inputs"]["proxy"] == "proxy.corp.example:3128"
    assert plan["inputs"]["winhttp_proxy"] == "http=a.example:3128;https=b.example:8443"
    assert plan["inputs"]["bypass"] == ["<local>", "*.corp.example"]


# ---------------------------------------------------------------------------------------------
# the telemetry proxy
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("deap,words", [(0, "DisableEnterpriseAuthProxy is 0"), (None, "DisableEnterpriseAuthProxy is not set")])
def test_right_server_with_wrong_enterprise_auth_flag_is_rewritten(deap, words):
    facts = clean_facts(telemetry_proxy={"server": "10.0.0.6:8080", "disable_enterprise_auth_proxy": deap,
                                         "prefer_static_proxy_for_http_request": None})
    plan = compute_plan(STATIC, facts)
    action = by_target(plan)["telemetry_proxy"]
    assert action["action"] == "set"
    assert words in action["reason"] and "cannot authenticate to the proxy" in action["reason"]
    # No system-wide WinHTTP proxy carries Defender Antivirus on this device: it gets its own.
    assert plan["apply"] == {"telemetry_proxy": {"state": "present", "proxy": "10.0.0.6:8080"},
                             "defender_av_proxy": {"state": "present", "proxy_server": "http://10.0.0.6:8080"}}


def test_current_value_is_compared_in_normal_form():
    facts = clean_facts(telemetry_proxy={"server": "PROXY.corp.example:3128", "disable_enterprise_auth_proxy": 1,
                                         "prefer_static_proxy_for_http_request": None})
    plan = compute_plan({"network_mode": "static", "proxy": "proxy.corp.example:3128"}, facts)
    assert by_target(plan)["telemetry_proxy"]["action"] == "keep"


def test_unparsable_current_value_is_replaced_and_named():
    facts = clean_facts(telemetry_proxy={"server": "http://10.0.0.6:8080", "disable_enterprise_auth_proxy": 1,
                                         "prefer_static_proxy_for_http_request": None})
    action = by_target(compute_plan(STATIC, facts))["telemetry_proxy"]
    assert action["action"] == "set"
    assert "replaces http://10.0.0.6:8080, which this collection did not write" in action["reason"]


def test_without_a_declared_proxy_every_stale_value_is_foreign():
    facts = clean_facts(telemetry_proxy={"server": "10.0.0.6:8080", "disable_enterprise_auth_proxy": 1,
                                         "prefer_static_proxy_for_http_request": 1})
    plan = compute_plan({"network_mode": "transparent"}, facts)
    assert [by_target(plan)[target]["action"] for target in ("telemetry_proxy", "prefer_static_proxy")] == ["report", "report"]
    assert plan["apply"] == {}


def test_only_prefer_static_changes_restates_the_proxy():
    facts = clean_facts(telemetry_proxy={"server": "10.0.0.6:8080", "disable_enterprise_auth_proxy": 1,
                                         "prefer_static_proxy_for_http_request": None})
    plan = compute_plan({**STATIC, "os_has_other_route": False}, facts)
    assert [action["action"] for action in plan["actions"]] == ["keep", "set", "keep", "set"]
    assert plan["apply"] == {"telemetry_proxy": {"state": "present", "proxy": "10.0.0.6:8080",
                                                 "prefer_static_proxy_for_http_request": True},
                             "defender_av_proxy": {"state": "present", "proxy_server": "http://10.0.0.6:8080"}}


def test_ipv6_proxy_is_flagged():
    plan = compute_plan({"network_mode": "static", "proxy": "[2001:db8::6]:8080"}, clean_facts())
    assert plan["inputs"]["proxy"] == "[2001:db8::6]:8080"
    assert any("IPv6" in finding["message"] and finding["severity"] == "warning" for finding in plan["findings"])


# ---------------------------------------------------------------------------------------------
# WinHTTP
# ---------------------------------------------------------------------------------------------

def _view(proxy=None, bypass=""):
    settings = WinHttpSettings.direct() if proxy is None else WinHttpSettings.named_proxy(proxy, bypass)
    return {"raw": encode_hex(settings), "decoded": None, "error": None}


def test_drift_between_views_is_rewritten_and_explained():
    facts = clean_facts(winhttp={"native": _view("10.0.0.6:8080"), "wow64": _view(), "drift": True})
    plan = compute_plan({**STATIC, "winhttp_policy": "set"}, facts)
    action = by_target(plan)["winhttp_proxy"]
    assert action["action"] == "set"
    assert "the wow64 copy differs" in action["reason"] and "both registry views are written" in action["reason"]
    assert any("WOW6432Node" in finding["message"] for finding in plan["findings"])


def test_raw_hex_only_facts_are_decoded_with_the_codec():
    facts = clean_facts(winhttp={"native": _view("10.0.0.6:8080", "<local>"), "wow64": _view("10.0.0.6:8080", "<local>")})
    plan = compute_plan({**STATIC, "winhttp_policy": "set", "bypass": "<local>"}, facts)
    action = by_target(plan)["winhttp_proxy"]
    assert action["action"] == "keep"
    assert action["current"]["views"]["native"]["proxy"] == "10.0.0.6:8080"


@pytest.mark.parametrize("flags, uses_proxy", [(3, True), (2, True), (1, False)])
def test_decoded_facts_without_uses_proxy_are_judged_by_the_proxy_flag(flags, uses_proxy):
    # A CMDB export may carry the decoded fields but not the derived uses_proxy.
    decoded = {"flags": flags, "proxy": "10.0.0.6:8080", "bypass": ""}
    view = {"raw": None, "decoded": decoded, "error": None}
    facts = clean_facts(winhttp={"native": view, "wow64": dict(view), "drift": False})
    action = by_target(compute_plan({"network_mode": "transparent"}, facts))["winhttp_proxy"]
    assert action["current"]["views"]["native"]["uses_proxy"] is uses_proxy
    assert action["action"] == ("report" if uses_proxy else "keep")


def test_undecodable_winhttp_is_a_finding_and_counts_as_a_proxy():
    facts = clean_facts(hardware=dict(LAPTOP),
                        winhttp={"native": {"raw": "46000000", "decoded": None, "error": None}, "wow64": _view()})
    plan = compute_plan({"network_mode": "wpad"}, facts)
    assert by_target(plan)["winhttp_proxy"]["action"] == "report"
    assert any("cannot be decoded" in finding["message"] for finding in plan["findings"])
    reset = compute_plan({"state": "absent", "proxy": "10.0.0.6:8080"}, facts)
    assert by_target(reset)["winhttp_proxy"]["action"] == "report"


def test_refusal_on_a_roaming_device_with_netsh_already_set_warns():
    facts = clean_facts(hardware=dict(LAPTOP), winhttp={"native": _view("old.example:3128"), "wow64": _view("old.example:3128")})
    plan = compute_plan({**STATIC, "winhttp_policy": "set"}, facts)
    assert by_target(plan)["winhttp_proxy"]["action"] == "refuse"
    warnings = [finding["message"] for finding in plan["findings"] if finding["severity"] == "warning"]
    assert any("already set on a roaming device" in message for message in warnings)


def test_winhttp_bypass_difference_alone_is_a_change():
    facts = clean_facts(winhttp={"native": _view("10.0.0.6:8080", "<local>"), "wow64": _view("10.0.0.6:8080", "<local>")})
    plan = compute_plan({**STATIC, "winhttp_policy": "set", "bypass": ["<local>", "*.corp.example"]}, facts)
    assert by_target(plan)["winhttp_proxy"]["action"] == "set"
    assert plan["apply"]["winhttp_proxy"]["bypass"] == ["<local>", "*.corp.example"]


# ---------------------------------------------------------------------------------------------
# facts
# ---------------------------------------------------------------------------------------------

def test_ansible_facts_wrapper_is_accepted():
    wrapped = {"purview_device_proxy": clean_facts(), "os_family": "Windows"}
    assert compute_plan(STATIC, wrapped)["actions"] == compute_plan(STATIC, clean_facts())["actions"]


def test_missing_facts_are_refused():
    with pytest.raises(PlanFactsError) as info:
        compute_plan(STATIC, None)
    assert info.value.field == "facts"


@pytest.mark.parametrize("facts,field", [
    ([], "facts"),
    ({"telemetry_proxy": "10.0.0.6:8080"}, "facts.telemetry_proxy"),
    ({"telemetry_proxy": {"prefer_static_proxy_for_http_request": "on"}}, "facts.telemetry_proxy.prefer_static_proxy_for_http_request"),
    ({"winhttp": {"native": "direct"}}, "facts.winhttp.native"),
    ({"hardware": {"chassis_types": ["x"]}}, "facts.hardware.chassis_types"),
])
def test_malformed_facts_name_the_field(facts, field):
    with pytest.raises(PlanFactsError) as info:
        compute_plan(STATIC, facts)
    assert info.value.field == field


def test_partial_cmdb_facts_plan_conservatively():
    facts = {"topology": "roaming", "topology_evidence": ["CMDB asset class: notebook"]}
    plan = compute_plan({**STATIC, "winhttp_policy": "set"}, facts)
    actions = by_target(plan)
    assert plan["topology"] == {"value": "roaming", "source": "facts", "evidence": ["CMDB asset class: notebook"]}
    assert actions["telemetry_proxy"]["action"] == "set"
    assert "not reported by the facts" in actions["telemetry_proxy"]["reason"]
    assert actions["winhttp_proxy"]["action"] == "refuse"
    messages = [finding["message"] for finding in plan["findings"]]
    assert "the facts do not report the telemetry proxy registry values" in messages
    assert "the facts do not report the WinHTTP settings" in messages
    # Nothing is removed on unknown state.
    transparent = compute_plan({"network_mode": "transparent", "proxy": "10.0.0.6:8080"}, facts)
    assert transparent["apply"] == {}


def test_inventory_topology_overrides_detection_and_keeps_the_evidence():
    plan = compute_plan({**STATIC, "topology": "stable"}, clean_facts(hardware=dict(LAPTOP)))
    assert plan["topology"]["value"] == "stable" and plan["topology"]["source"] == "inventory"
    assert plan["topology"]["evidence"][0] == "set by topology"
    assert "detection would say roaming: chassis type 10 (Notebook) is portable" in plan["topology"]["evidence"][1]


def test_context_findings():
    facts = clean_facts(
        services={"sense": None, "diagtrack": {"state": "Running", "start_mode": "Auto"}},
        wininet={"machine": {"proxy_enable": 1, "proxy_server": "wininet.example:8080", "auto_config_url": None},
                 "system_account": {"proxy_enable": 0, "proxy_server": None, "auto_config_url": None}})
    plan = compute_plan({"network_mode": "transparent", "os_has_other_route": False}, facts)
    messages = " | ".join(finding["message"] for finding in plan["findings"])
    assert "Sense (the Defender for Endpoint sensor) is not installed" in messages
    assert "WinINet (Internet Options) proxy wininet.example:8080 is set for the machine" in messages
    assert "system account" not in messages
    assert "PreferStaticProxyForHttpRequest works only with the static proxy" in messages
    stopped = compute_plan(STATIC, clean_facts(services={"sense": {"state": "Stopped", "start_mode": "Manual"}}))
    assert any("Sense is Stopped" in finding["message"] for finding in stopped["findings"])


def test_device_summary_and_host():
    facts = clean_facts(os={"build": 22631, "caption": "Microsoft Windows 11 Enterprise", "version": "10.0.22631",
                            "architecture": "64-bit"},
                        hardware={**DESKTOP, "manufacturer": "Dell Inc.", "model": "OptiPlex 7010"},
                        services={"sense": {"state": "Running", "start_mode": "Auto"}})
    plan = compute_plan(STATIC, facts, host="dsk-01")
    assert plan["host"] == "dsk-01"
    assert plan["device"] == {"os": "Microsoft Windows 11 Enterprise build 22631", "machine": "Dell Inc. OptiPlex 7010",
                              "virtual": False, "sense": "Running"}
    assert json.loads(json.dumps(plan)) == plan


def test_summary_lines():
    plan = compute_plan({**STATIC, "winhttp_policy": "set"}, clean_facts(hardware=dict(LAPTOP)), host="lap-01")
    lines = summarise_plan(plan)
    assert lines[0].startswith("lap-01: topology roaming (detected: chassis type 10 (Notebook) is portable")
    assert lines[1].startswith("telemetry_proxy: set - static proxy network")
    assert lines[2].startswith("prefer_static_proxy: keep - ")
    assert lines[3].startswith("winhttp_proxy: refuse - static WinHTTP refused: roaming device")
    assert lines[4].startswith("defender_av_proxy: set - static proxy network and no system-wide WinHTTP proxy")
    assert len(lines) == 5 + len(plan["findings"])


def test_a_32_bit_windows_has_no_wow64_copy():
    facts = clean_facts(os={"architecture": "32-bit", "build": 19045, "caption": "Windows 10 Pro", "version": "10.0.19045"},
                        winhttp={"native": _view("10.0.0.6:8080"), "wow64": {"raw": None, "decoded": None, "error": None},
                                 "drift": False})
    plan = compute_plan({**STATIC, "winhttp_policy": "set"}, facts)
    action = by_target(plan)["winhttp_proxy"]
    assert action["action"] == "keep"
    assert list(action["current"]["views"]) == ["native"]
    assert not any("WOW6432Node" in finding["message"] for finding in plan["findings"])


def test_device_facts_evidence_is_kept_when_it_agrees():
    hardware = {"chassis_types": [3], "is_virtual": True, "manufacturer": "VMware, Inc.", "model": "VMware7,1"}
    evidence = ["manufacturer 'VMware, Inc.' is a VMware virtual machine", "virtual machine (VMware, Inc. VMware7,1): ..."]
    plan = compute_plan(STATIC, clean_facts(hardware=hardware, topology="stable", topology_evidence=evidence))
    assert plan["topology"] == {"value": "stable", "source": "detected", "evidence": evidence}
    # A stale topology in the facts does not win over the hardware.
    stale = compute_plan(STATIC, clean_facts(hardware=dict(LAPTOP), topology="stable", topology_evidence=["asset class: desktop"]))
    assert stale["topology"]["value"] == "roaming"
    assert stale["topology"]["evidence"][0] == "chassis type 10 (Notebook) is portable"


@pytest.mark.parametrize("facts", [
    # An inventory record with the machine's name only.
    {"hardware": {"manufacturer": "Contoso", "model": "Traveller 14"}},
    # device_facts' own conclusion from the same nothing.
    {"hardware": {"manufacturer": "Contoso", "chassis_types": []}, "topology": "stable",
     "topology_evidence": ["no chassis type, PCSystemType or battery reported: no sign of a portable device"]},
    {"topology": "stable",
     "topology_evidence": ["no chassis type, PCSystemType or battery reported: no sign of a portable device"]},
])
def test_hardware_facts_without_evidence_leave_the_topology_unknown(facts):
    """Stable for want of any chassis type, PCSystemType or battery would allow netsh on a laptop."""
    plan = compute_plan({**STATIC, "winhttp_policy": "set"}, facts)
    assert plan["topology"]["value"] == "unknown" and plan["topology"]["source"] == "none"
    assert "the topology cannot be detected" in plan["topology"]["evidence"][0]
    winhttp = by_target(plan)["winhttp_proxy"]
    assert winhttp["action"] == "refuse"
    assert "unknown topology (the facts do not show whether the device roams, and no topology is set)" in winhttp["reason"]
    assert "winhttp_proxy" not in plan["apply"]
    # The inventory still decides when it says so.
    stable = compute_plan({**STATIC, "winhttp_policy": "set", "topology": "stable"}, facts)
    assert by_target(stable)["winhttp_proxy"]["action"] == "set"


def test_hardware_without_evidence_keeps_a_conclusive_topology_from_the_facts():
    facts = {"hardware": {"manufacturer": "Fujitsu"}, "topology": "stable", "topology_evidence": ["CMDB asset class: desktop"]}
    plan = compute_plan({**STATIC, "winhttp_policy": "set"}, facts)
    assert plan["topology"] == {"value": "stable", "source": "facts", "evidence": ["CMDB asset class: desktop"]}
    assert by_target(plan)["winhttp_proxy"]["action"] == "set"
    # One real fact is enough: a desktop chassis type.
    desktop = compute_plan({**STATIC, "winhttp_policy": "set"}, {"hardware": {"chassis_types": [3]}})
    assert desktop["topology"]["value"] == "stable" and by_target(desktop)["winhttp_proxy"]["action"] == "set"


def test_plan_only_cmdb_facts_recognise_a_virtual_machine():
    """A CMDB export names the hypervisor but has no is_virtual; its virtual battery must not make it roam."""
    hardware = {"manufacturer": "VMware, Inc.", "model": "VMware7,1", "chassis_types": [1], "has_battery": True}
    plan = compute_plan({**STATIC, "winhttp_policy": "set"}, {"hardware": hardware})
    assert plan["topology"]["value"] == "stable", plan["topology"]
    assert any("VMware virtual machine" in line for line in plan["topology"]["evidence"])
    assert by_target(plan)["winhttp_proxy"]["action"] == "set"
