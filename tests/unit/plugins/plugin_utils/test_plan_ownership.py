# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ownership in the plan: a value a policy enforces is not fought over.

The facts carry the policy evidence in the shape policy_sources.py documents (``policy``: RSoP,
the local Registry.pol, MDM, Group Policy Preferences). The naive plan writes the value anyway:
the next policy refresh puts the old one back and every run reports a change. These tests build
facts from the recorded RSoP answer of a domain member (a GPO "Workstations - Proxy" that sets
TelemetryProxyServer proxy.corp.example:3128, DisableEnterpriseAuthProxy 1 and Defender
Antivirus's ProxyServer) and from hand-built MDM and Group Policy Preferences evidence.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, Optional

import pytest

from ansible_collections.purview.device_proxy.plugins.module_utils.winhttp_settings import WinHttpSettings, encode_hex
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan import PlanFactsError, compute_plan

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "policy")
GPO_PROXY = "proxy.corp.example:3128"
NEW_PROXY = "10.0.0.6:8080"
LAPTOP = {"chassis_types": [10], "pc_system_type": 2, "has_battery": True, "is_virtual": False}
DESKTOP = {"chassis_types": [3], "pc_system_type": 1, "has_battery": False, "is_virtual": False}
ALL_READ = {"rsop": {"settings": [], "gpos": []}, "local_registry_pol": "", "mdm": {}, "gpp": []}


def rsop() -> Dict[str, Any]:
    with open(os.path.join(FIXTURES, "rsop_domain_member.json"), encoding="utf-8") as handle:
        return json.load(handle)["rsop"]


def _view(proxy: Optional[str]) -> Dict[str, Any]:
    settings = WinHttpSettings.direct() if proxy is None else WinHttpSettings.named_proxy(proxy, "")
    return {"raw": encode_hex(settings), "decoded": None, "error": None}


def facts(policy: Optional[Dict[str, Any]], server: Optional[str] = GPO_PROXY, hardware=None,
          winhttp: Optional[str] = None, defender: Optional[str] = None) -> Dict[str, Any]:
    result = {"telemetry_proxy": {"server": server, "disable_enterprise_auth_proxy": 1 if server else None,
                                  "prefer_static_proxy_for_http_request": None},
              "winhttp": {"native": _view(winhttp), "wow64": _view(winhttp)},
              "hardware": dict(hardware or LAPTOP),
              "defender_av": {"proxy_server": defender, "proxy_pac_url": None, "proxy_bypass": None,
                              "ssl_options": None}}
    if policy is not None:
        result["policy"] = policy
    return result


def action(plan: Dict[str, Any], target: str) -> Dict[str, Any]:
    return next(item for item in plan["actions"] if item["target"] == target)


def warnings(plan: Dict[str, Any]) -> str:
    return "\n".join(f["message"] for f in plan["findings"] if f["severity"] == "warning")


STATIC_NEW = {"network_mode": "static", "proxy": NEW_PROXY}


def test_conflicting_gpo_is_refused_and_named():
    plan = compute_plan(STATIC_NEW, facts(dict(ALL_READ, rsop=rsop())), field_prefix="device_proxy_")
    telemetry = action(plan, "telemetry_proxy")
    assert telemetry["action"] == "refuse", telemetry["reason"]
    assert "telemetry_proxy" not in plan["apply"]
    assert '"Workstations - Proxy"' in telemetry["reason"]
    assert "Configure connected user experiences and telemetry" in telemetry["reason"]
    assert "device_proxy_policy_conflict: override" in telemetry["reason"]
    assert "Workstations - Proxy" in warnings(plan)
    # The same GPO owns Defender Antivirus's ProxyServer with its own proxy: refused too.
    defender = action(plan, "defender_av_proxy")
    assert defender["action"] == "refuse" and "defender_av_proxy" not in plan["apply"]


def test_without_evidence_the_same_device_is_written():
    plan = compute_plan(STATIC_NEW, facts(None))
    assert action(plan, "telemetry_proxy")["action"] == "set"
    assert plan["ownership"] is None


def test_override_writes_and_warns_that_the_refresh_reverts_it():
    plan = compute_plan({**STATIC_NEW, "policy_conflict": "override"}, facts(dict(ALL_READ, rsop=rsop())),
                        field_prefix="device_proxy_")
    telemetry = action(plan, "telemetry_proxy")
    assert telemetry["action"] == "set"
    assert plan["apply"]["telemetry_proxy"] == {"state": "present", "proxy": NEW_PROXY}
    assert "next policy refresh reverts it" in warnings(plan)
    assert "device_proxy_policy_conflict: override" in warnings(plan)


def test_policy_with_the_same_value_is_keep_with_the_owner_named():
    plan = compute_plan({"network_mode": "static", "proxy": GPO_PROXY}, facts(dict(ALL_READ, rsop=rsop())))
    telemetry = action(plan, "telemetry_proxy")
    assert telemetry["action"] == "keep"
    assert "owned by" in telemetry["reason"] and "Workstations - Proxy" in telemetry["reason"]


def test_policy_with_the_same_value_is_reported_while_the_registry_lacks_it():
    """The registry still holds nothing, but the policy should have written the wanted value: nothing to
    write, and the plan says the policy is not in effect instead of calling the device right."""
    plan = compute_plan({"network_mode": "static", "proxy": GPO_PROXY},
                        facts(dict(ALL_READ, rsop=rsop()), server=None))
    assert action(plan, "telemetry_proxy")["action"] == "report"
    assert "telemetry_proxy" not in plan["apply"]


def test_removing_a_value_a_policy_sets_is_refused():
    plan = compute_plan({"network_mode": "transparent", "proxy": GPO_PROXY}, facts(dict(ALL_READ, rsop=rsop())))
    telemetry = action(plan, "telemetry_proxy")
    assert telemetry["action"] == "refuse"
    assert "telemetry_proxy" not in plan["apply"]


def test_right_value_today_but_a_policy_sets_another_is_a_warning():
    plan = compute_plan(STATIC_NEW, facts(dict(ALL_READ, rsop=rsop()), server=NEW_PROXY))
    assert action(plan, "telemetry_proxy")["action"] == "keep"
    assert "next policy refresh changes it" in warnings(plan)
    assert '"Workstations - Proxy"' in warnings(plan) and repr(GPO_PROXY) in warnings(plan)
    # Nothing is written either way: override must not claim a write.
    plan = compute_plan({**STATIC_NEW, "policy_conflict": "override"}, facts(dict(ALL_READ, rsop=rsop()), server=NEW_PROXY))
    assert "telemetry_proxy" not in plan["apply"] and "written anyway" not in warnings(plan)


def test_a_stale_value_reported_names_the_gpo_that_sets_it():
    """Not the collection's value on a WPAD network: reported, and the GPO to ask is named."""
    plan = compute_plan({"network_mode": "wpad"}, facts(dict(ALL_READ, rsop=rsop())))
    telemetry = action(plan, "telemetry_proxy")
    assert telemetry["action"] == "report"
    assert 'set by the Group Policy object "Workstations - Proxy"' in telemetry["reason"]


def test_mdm_telemetry_proxy_is_a_finding():
    mdm = {"System": {"TelemetryProxy": {"kind": "String", "data": NEW_PROXY}}}
    plan = compute_plan(STATIC_NEW, facts(dict(ALL_READ, mdm=mdm), server=NEW_PROXY))
    assert "deployed through MDM" in warnings(plan)
    # MDM's TelemetryProxy does not enforce the registry value: the collection still manages it.
    assert action(plan, "telemetry_proxy")["action"] == "keep"


GPP_WINHTTP = """<?xml version="1.0" encoding="utf-8"?>
<RegistrySettings clsid="{A3CCFC41-DFDB-43a5-8D26-0FE8B954DA51}">
  <Registry clsid="{9CD4B2F4-923D-47f5-A062-E897DD1DAD50}" name="WinHttpSettings" status="WinHttpSettings"
    changed="2024-01-01 00:00:00" uid="{11111111-2222-3333-4444-555555555555}">
    <Properties action="U" displayDecimal="0" default="0" hive="HKEY_LOCAL_MACHINE"
      key="SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\Connections" name="WinHttpSettings"
      type="REG_BINARY" value="%s"/>
  </Registry>
</RegistrySettings>
"""


def test_gpp_winhttp_item_with_another_proxy_blocks_a_winhttp_set():
    old = encode_hex(WinHttpSettings.named_proxy("legacy.proxy.example:3128", ""))
    evidence = dict(ALL_READ, gpp=[{"gpo_id": "{AAAA}", "gpo_name": "Legacy WinHTTP", "xml": GPP_WINHTTP % old}])
    plan = compute_plan({**STATIC_NEW, "winhttp_policy": "set"}, facts(evidence, server=NEW_PROXY, hardware=DESKTOP))
    winhttp = action(plan, "winhttp_proxy")
    assert winhttp["action"] == "refuse", winhttp["reason"]
    assert "Legacy WinHTTP" in winhttp["reason"]
    assert "winhttp_proxy" not in plan["apply"]


def test_gpp_winhttp_item_with_the_same_proxy_is_keep():
    same = encode_hex(WinHttpSettings.named_proxy(NEW_PROXY, ""))
    evidence = dict(ALL_READ, gpp=[{"gpo_id": "{AAAA}", "gpo_name": "Site WinHTTP", "xml": GPP_WINHTTP % same}])
    plan = compute_plan({**STATIC_NEW, "winhttp_policy": "set"},
                        facts(evidence, server=NEW_PROXY, hardware=DESKTOP, winhttp=NEW_PROXY))
    winhttp = action(plan, "winhttp_proxy")
    assert winhttp["action"] == "keep"
    assert "Site WinHTTP" in winhttp["reason"]
    # The item writes the 64-bit copy only: a direct device still gets both copies written, harmlessly.
    plan = compute_plan({**STATIC_NEW, "winhttp_policy": "set"}, facts(evidence, server=NEW_PROXY, hardware=DESKTOP))
    assert action(plan, "winhttp_proxy")["action"] == "set"


def test_bad_evidence_is_a_facts_error_naming_the_part():
    evidence = dict(ALL_READ, rsop={"settings": "not a list", "gpos": []})
    with pytest.raises(PlanFactsError) as info:
        compute_plan(STATIC_NEW, facts(evidence))
    assert info.value.field.startswith("facts.policy.rsop")


def test_bad_policy_conflict_is_refused_with_the_option_named():
    with pytest.raises(Exception) as info:
        compute_plan({**STATIC_NEW, "policy_conflict": "fight"}, facts(None), field_prefix="device_proxy_")
    assert getattr(info.value, "field", None) == "device_proxy_policy_conflict"
    assert info.value.rule == "choice"


def test_plan_records_ownership_for_review():
    plan = compute_plan(STATIC_NEW, facts(dict(ALL_READ, rsop=rsop())))
    assert plan["ownership"]["telemetry_proxy_server"]["source"] == "domain_gpo"
    assert json.loads(json.dumps(plan)) == plan


def test_a_defender_proxy_reported_beside_winhttp_names_the_gpo_that_sets_it():
    """WinHTTP carries Defender Antivirus; its own ProxyServer, set by the GPO, is reported with the GPO named."""
    evidence = dict(ALL_READ, rsop=rsop())
    plan = compute_plan({"network_mode": "static", "proxy": NEW_PROXY, "winhttp_policy": "set"},
                        facts(evidence, server=NEW_PROXY, hardware=DESKTOP, defender="http://" + GPO_PROXY))
    defender = action(plan, "defender_av_proxy")
    assert defender["action"] == "report"
    assert '"Workstations - Proxy"' in defender["reason"]


@pytest.mark.parametrize("inputs,server", [
    # PreferStaticProxyForHttpRequest would be set: the module call would restate the refused proxy.
    ({**STATIC_NEW, "os_has_other_route": False}, GPO_PROXY),
    # PreferStaticProxyForHttpRequest would be removed: state absent would delete the GPO's proxy too.
    ({"network_mode": "transparent", "proxy": GPO_PROXY}, GPO_PROXY),
])
def test_a_refused_static_proxy_is_not_written_through_prefer_static(inputs, server):
    device = facts(dict(ALL_READ, rsop=rsop()), server=server)
    device["telemetry_proxy"]["prefer_static_proxy_for_http_request"] = None if inputs.get("os_has_other_route") is False else 1
    plan = compute_plan(inputs, device)
    assert action(plan, "telemetry_proxy")["action"] == "refuse"
    assert "telemetry_proxy" not in plan["apply"], plan["apply"]
    assert action(plan, "prefer_static_proxy")["action"] == "refuse"
    assert "TelemetryProxyServer" in action(plan, "prefer_static_proxy")["reason"]


def test_a_baseline_that_enforces_disable_enterprise_auth_proxy_does_not_block_removing_our_proxy():
    """CIS baselines set DisableEnterpriseAuthProxy=1 by GPO; removing our static proxy must still happen."""
    evidence = rsop()
    evidence["settings"] = [item for item in evidence["settings"] if item["valueName"] == "DisableEnterpriseAuthProxy"]
    plan = compute_plan({"network_mode": "transparent", "proxy": GPO_PROXY}, facts(dict(ALL_READ, rsop=evidence)))
    assert action(plan, "telemetry_proxy")["action"] == "remove"
    assert plan["apply"]["telemetry_proxy"]["state"] == "absent"
