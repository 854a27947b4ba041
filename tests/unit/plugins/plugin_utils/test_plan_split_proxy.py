# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""No split brain after a refusal, and refusals a reviewer can read in the fleet table.

A GPO "HQ Desktops - Telemetry Proxy" enforces TelemetryProxyServer gpo.proxy.example:3128 (and
DisableEnterpriseAuthProxy 1) while the plan wants 10.0.0.6:8080. The static proxy is refused; moving
WinHTTP or Defender Antivirus to 10.0.0.6:8080 on the same device would leave the sensor on one proxy
and every other client on another. By default those changes are held too; with
``split_proxy_after_refusal: proceed`` they are made, with a warning that says so.
"""

from __future__ import annotations

import pytest

from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan import PlanInputError, compute_plan
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan_review import fleet_review, fleet_table

from .test_plan_ownership import DESKTOP, LAPTOP, action, facts, warnings

GPO_NAME = "HQ Desktops - Telemetry Proxy"
GPO_VALUE = "gpo.proxy.example:3128"
NEW = "10.0.0.6:8080"
GPO_ID = "CN={5D1C0E7A-1111-4C1B-9E2D-7F0A1B2C3D4E},CN=Policies,CN=System,DC=corp,DC=example"
KEY = r"Software\Policies\Microsoft\Windows\DataCollection"
VM_SERVER = {"is_virtual": True, "chassis_types": [1], "pc_system_type": 4, "has_battery": False,
             "manufacturer": "Microsoft Corporation", "model": "Virtual Machine"}


def gpo_evidence():
    text = (GPO_VALUE + "\x00").encode("utf-16-le").hex().upper()
    return {"rsop": {"error": None, "gpos": [{"id": GPO_ID, "guidName": "{5D1C0E7A}", "name": GPO_NAME}],
                     "settings": [{"registryKey": KEY, "valueName": "TelemetryProxyServer", "valueType": 1, "value": text,
                                   "deleted": False, "GPOID": GPO_ID, "precedence": 1},
                                  {"registryKey": KEY, "valueName": "DisableEnterpriseAuthProxy", "valueType": 4,
                                   "value": [1, 0, 0, 0], "deleted": False, "GPOID": GPO_ID, "precedence": 1}]},
            "local_registry_pol": "", "mdm": {}, "gpp": []}


def plan_for(hardware, **inputs):
    return compute_plan({"network_mode": "static", "proxy": NEW, **inputs},
                        facts(gpo_evidence(), server=GPO_VALUE, hardware=hardware), field_prefix="device_proxy_", host="dev1")


def test_winhttp_is_held_with_a_refused_static_proxy_by_default():
    plan = plan_for(DESKTOP, winhttp_policy="set")
    assert action(plan, "telemetry_proxy")["action"] == "refuse"
    winhttp = action(plan, "winhttp_proxy")
    assert winhttp["action"] == "refuse" and winhttp["changes"] is False, winhttp["reason"]
    assert "winhttp_proxy" not in plan["apply"]
    # WinHTTP held direct: Defender Antivirus would otherwise get its own new proxy; held too.
    assert "defender_av_proxy" not in plan["apply"]
    text = warnings(plan)
    assert "different proxies" in text and GPO_VALUE in text and NEW in text
    assert "device_proxy_split_proxy_after_refusal" in text


def test_defender_is_held_on_a_roaming_device():
    plan = plan_for(LAPTOP)
    defender = action(plan, "defender_av_proxy")
    assert defender["action"] == "refuse" and "defender_av_proxy" not in plan["apply"], defender["reason"]
    assert "different proxies" in warnings(plan)


def test_proceed_makes_the_changes_and_says_the_proxies_differ():
    plan = plan_for(DESKTOP, winhttp_policy="set", split_proxy_after_refusal="proceed")
    assert plan["apply"]["winhttp_proxy"]["proxy"] == NEW
    assert "different proxies" in warnings(plan)
    laptop = plan_for(LAPTOP, split_proxy_after_refusal="proceed")
    assert laptop["apply"]["defender_av_proxy"]["proxy_server"] == f"http://{NEW}"
    assert "different proxies" in warnings(laptop)


def test_no_split_when_winhttp_goes_to_the_sensors_proxy():
    plan = plan_for(DESKTOP, winhttp_policy="set", winhttp_proxy=GPO_VALUE)
    assert plan["apply"]["winhttp_proxy"]["proxy"] == GPO_VALUE
    assert "different proxies" not in warnings(plan)


def test_without_a_refusal_nothing_is_held():
    plan = compute_plan({"network_mode": "static", "proxy": NEW, "winhttp_policy": "set"},
                        facts(None, server=None, hardware=DESKTOP))
    assert "winhttp_proxy" in plan["apply"] and "different proxies" not in warnings(plan)


def test_bad_choice_names_the_option():
    with pytest.raises(PlanInputError) as info:
        plan_for(DESKTOP, split_proxy_after_refusal="sometimes")
    assert (info.value.field, info.value.rule) == ("device_proxy_split_proxy_after_refusal", "choice")


def test_the_fleet_table_names_the_cause_of_a_refusal():
    plan = plan_for(DESKTOP, winhttp_policy="set")
    table = "\n".join(fleet_table([plan]))
    assert f'refuse: GPO "{GPO_NAME}"' in table
    roaming = compute_plan({"network_mode": "static", "proxy": NEW, "winhttp_policy": "set"},
                           facts(None, server=NEW, hardware=LAPTOP), host="lap1")
    assert "refuse: roaming device" in "\n".join(fleet_table([roaming]))


def test_a_refusal_is_said_once_and_does_not_claim_a_replacement():
    plan = plan_for(DESKTOP)
    review = "\n".join(fleet_review([plan]))
    assert review.count("would be reverted at the next policy refresh") == 1, review
    telemetry = action(plan, "telemetry_proxy")
    assert "replaces" not in telemetry["reason"]


def test_a_virtual_server_is_not_called_a_desktop():
    plan = compute_plan({"network_mode": "static", "proxy": NEW, "winhttp_policy": "set"},
                        facts(None, server=NEW, hardware=VM_SERVER))
    winhttp = action(plan, "winhttp_proxy")
    assert winhttp["action"] == "set"
    assert "desktop" not in winhttp["reason"] and "virtual machine" in winhttp["reason"], winhttp["reason"]
