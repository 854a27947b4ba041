# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Does Defender Antivirus need its own proxy? The decision, situation by situation."""

from __future__ import annotations

import pytest

from ansible_collections.purview.device_proxy.plugins.plugin_utils.defender_av_plan import (
    DefenderPlanError,
    decide_defender_av_proxy,
    winhttp_carries_after,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.policy_sources import resolve_ownership

NOTHING = {"proxy_server": None, "proxy_pac_url": None, "proxy_bypass": None, "ssl_options": None}
STATIC = {"network_mode": "static", "proxy": "10.0.0.6:8080"}
ALL_READ = {"rsop": {"settings": [], "gpos": []}, "local_registry_pol": "", "mdm": {}, "gpp": []}


def decide(**kwargs):
    args = dict(STATIC, current=dict(NOTHING))
    args.update(kwargs)
    return decide_defender_av_proxy(**args)


def test_roaming_device_with_only_the_sensor_proxy_gets_its_own_defender_proxy():
    # A naive plan stops at TelemetryProxyServer: cloud protection then has no route off a direct network.
    action = decide(topology="roaming", winhttp_carries=False)
    assert action["action"] == "set"
    assert action["params"] == {"state": "present", "proxy_server": "http://10.0.0.6:8080"}
    assert "roaming device" in action["reason"]
    assert "TelemetryProxyServer" in action["reason"]
    assert action["module"] == "purview.device_proxy.defender_av_proxy"


@pytest.mark.parametrize("topology", ["stable", "unknown"])
def test_any_device_without_a_system_wide_winhttp_proxy_needs_it(topology):
    assert decide(topology=topology, winhttp_carries=False)["action"] == "set"


def test_system_wide_winhttp_proxy_carries_it():
    action = decide(topology="stable", winhttp_carries=True)
    assert action["action"] == "keep"
    assert action["changes"] is False
    assert "WinHTTP proxy carries Defender Antivirus" in action["reason"]


def test_an_old_defender_proxy_of_ours_is_replaced_even_when_winhttp_carries():
    # Defender Antivirus tries its own static proxy first: leaving the old one would bypass WinHTTP.
    action = decide(topology="stable", winhttp_carries=True, previous_proxies=["old.corp.example:3128"],
                    current=dict(NOTHING, proxy_server="http://old.corp.example:3128"))
    assert action["action"] == "set"
    assert action["params"]["proxy_server"] == "http://10.0.0.6:8080"


def test_a_foreign_defender_proxy_is_reported_when_winhttp_carries():
    action = decide(topology="stable", winhttp_carries=True, current=dict(NOTHING, proxy_server="http://other.example:1"))
    assert action["action"] == "report"
    assert any("tries before the system-wide WinHTTP proxy" in f["message"] for f in action["findings"])
    action = decide(topology="stable", winhttp_carries=True, remove_stale=True,
                    current=dict(NOTHING, proxy_server="http://other.example:1"))
    assert (action["action"], action["params"]) == ("remove", {"state": "absent"})


def test_already_set_is_keep_in_any_spelling():
    action = decide(topology="roaming", current=dict(NOTHING, proxy_server="HTTP://10.0.0.6:8080/"))
    assert action["action"] == "keep"


def test_bypass_is_part_of_the_desired_state():
    current = dict(NOTHING, proxy_server="http://10.0.0.6:8080")
    action = decide(topology="roaming", bypass=["*.Corp.Example"], current=current)
    assert action["action"] == "set"
    assert action["params"]["proxy_bypass"] == ["*.corp.example"]
    current["proxy_bypass"] = "*.corp.example"
    assert decide(topology="roaming", bypass=["*.corp.example"], current=current)["action"] == "keep"


def test_unknown_current_values_are_set():
    action = decide(topology="roaming", current=None)
    assert action["action"] == "set"
    assert "not reported" in action["reason"]


def test_ssl_options_is_never_set_by_default_even_without_a_route_but_the_trade_off_is_reported():
    action = decide(topology="roaming", os_has_other_route=False)
    assert "ssl_options" not in action["params"]
    message = " ".join(f["message"] for f in action["findings"])
    assert "0x80072F8F" in message
    assert "recommends SSLOptions 2" in message and "says 0" in message and "both weaken security" in message
    assert "SSLOptions is not changed unless defender_ssl_options is given" in message


def test_ssl_options_only_when_asked():
    action = decide(topology="roaming", os_has_other_route=False, ssl_options=2)
    assert action["params"]["ssl_options"] == 2
    assert any("SSLOptions is set to 2" in f["message"] for f in action["findings"])


def test_no_trade_off_finding_when_the_os_has_a_route_or_winhttp_carries():
    assert decide(topology="roaming")["findings"] == []
    assert decide(topology="stable", winhttp_carries=True, os_has_other_route=False)["findings"] == []


@pytest.mark.parametrize("mode", ["transparent", "wpad"])
def test_no_device_configuration_networks_remove_ours_and_report_others(mode):
    ours = decide(network_mode=mode, proxy=None, previous_proxies=["10.0.0.6:8080"],
                  current=dict(NOTHING, proxy_server="http://10.0.0.6:8080"))
    assert (ours["action"], ours["params"]) == ("remove", {"state": "absent"})
    foreign = decide(network_mode=mode, proxy=None, current=dict(NOTHING, proxy_server="http://other.example:1"))
    assert foreign["action"] == "report"
    assert foreign["params"] == {}
    assert decide(network_mode=mode, proxy=None)["action"] == "keep"


def test_absent_removes_ours():
    action = decide(state="absent", network_mode=None, proxy=None, previous_proxies=["10.0.0.6:8080"],
                    current=dict(NOTHING, proxy_server="http://10.0.0.6:8080"))
    assert action["action"] == "remove"


def test_a_gpo_that_sets_another_proxy_refuses_and_override_warns():
    evidence = dict(ALL_READ, mdm={"ADMX_MicrosoftDefenderAntivirus": {
        "ProxyServer": {"kind": "String", "data": '<enabled/><data id="ProxyServer" value="http://mdm.example:1"/>'}}})
    owner = resolve_ownership(evidence).values["defender_proxy_server"]
    refused = decide(topology="roaming", ownership=owner)
    assert refused["action"] == "refuse"
    assert refused["changes"] is False
    assert "ADMX_MicrosoftDefenderAntivirus/ProxyServer" in refused["reason"]
    forced = decide(topology="roaming", ownership=owner, policy_conflict="override")
    assert forced["action"] == "set"
    assert any("next policy refresh reverts it" in f["message"] for f in forced["findings"])


def test_a_policy_that_sets_the_same_proxy_is_keep():
    evidence = dict(ALL_READ, mdm={"ADMX_MicrosoftDefenderAntivirus": {
        "ProxyServer": {"kind": "String", "data": '<enabled/><data id="ProxyServer" value="http://10.0.0.6:8080"/>'}}})
    owner = resolve_ownership(evidence).values["defender_proxy_server"]
    action = decide(topology="roaming", ownership=owner, current=dict(NOTHING, proxy_server="http://10.0.0.6:8080"))
    assert action["action"] == "keep"
    assert "MDM policy" in action["reason"]
    # The device lacks the value the policy should have written: not in effect, reported, nothing written.
    action = decide(topology="roaming", ownership=owner)
    assert action["action"] == "report" and action["changes"] is False
    assert "MDM policy" in action["reason"] and "not in effect" in action["reason"]


@pytest.mark.parametrize("kwargs, field, rule", [
    ({"network_mode": "proxy"}, "network_mode", "choice"),
    ({"proxy": None}, "proxy", "required"),
    ({"proxy": "http://10.0.0.6:8080"}, "proxy", "no-scheme"),
    ({"topology": "laptop"}, "topology", "choice"),
    ({"winhttp_carries": "yes"}, "winhttp_carries", "type"),
    ({"ssl_options": 5}, "defender_ssl_options", "choice"),
    ({"ssl_options": True}, "defender_ssl_options", "choice"),
    ({"bypass": ["a:1"]}, "bypass", "bypass-port"),
    ({"current": "http://x:1"}, "facts.defender_av", "type"),
    ({"policy_conflict": "force", "ownership": resolve_ownership(ALL_READ).values["defender_proxy_server"]},
     "policy_conflict", "choice"),
    ({"policy_conflict": "force"}, "policy_conflict", "choice"),
])
def test_bad_input_names_the_field_and_the_rule(kwargs, field, rule):
    with pytest.raises(DefenderPlanError) as err:
        decide(**kwargs)
    assert (err.value.field, err.value.rule) == (field, rule)
    assert str(err.value).startswith(field + ": ")


def test_prefix_names_role_variables():
    with pytest.raises(DefenderPlanError) as err:
        decide(topology="laptop", prefix="device_proxy_")
    assert err.value.field == "device_proxy_topology"


@pytest.mark.parametrize("winhttp, carries", [
    ({"action": "set"}, True),
    ({"action": "remove"}, False),
    ({"action": "keep", "current": {"views": {"native": {"known": True, "uses_proxy": True},
                                              "wow64": {"known": True, "uses_proxy": True}}}}, True),
    ({"action": "keep", "current": {"views": {"native": {"known": True, "uses_proxy": True},
                                              "wow64": {"known": True, "uses_proxy": False}}}}, False),
    ({"action": "refuse", "current": {"views": {"native": {"known": True, "uses_proxy": False}}}}, False),
    ({"action": "keep", "current": {"views": {"native": {"known": False}}}}, False),
])
def test_winhttp_carries_after_the_plan(winhttp, carries):
    assert winhttp_carries_after(winhttp) is carries
