# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A policy that should hold the wanted value while the device shows another one is not ``keep``.

The RSoP answer (tests' recorded domain member: the GPO "Workstations - Proxy" sets
TelemetryProxyServer proxy.corp.example:3128, DisableEnterpriseAuthProxy 1 and Defender
Antivirus's ProxyServer http://proxy.corp.example:3128) says what the policy applied; the registry
values say what the device uses. When they differ (failed Group Policy processing, a stale RSoP, a
local overwrite), the plan names the policy and the difference and writes nothing.
"""

from __future__ import annotations

from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan import compute_plan

from .test_plan_ownership import ALL_READ, GPO_PROXY, action, facts, rsop, warnings

WANTED = {"network_mode": "static", "proxy": GPO_PROXY}


def test_static_proxy_overwritten_locally_is_not_keep():
    plan = compute_plan(WANTED, facts(dict(ALL_READ, rsop=rsop()), server="10.9.9.9:8080"))
    telemetry = action(plan, "telemetry_proxy")
    assert telemetry["action"] not in ("keep", "set", "remove"), telemetry["reason"]
    assert telemetry["changes"] is False and "telemetry_proxy" not in plan["apply"]
    text = warnings(plan)
    assert '"Workstations - Proxy"' in text and "10.9.9.9:8080" in text and GPO_PROXY in text


def test_static_proxy_missing_although_the_policy_applied_is_not_keep():
    plan = compute_plan(WANTED, facts(dict(ALL_READ, rsop=rsop()), server=None))
    telemetry = action(plan, "telemetry_proxy")
    assert telemetry["action"] == "report", telemetry["reason"]
    assert "telemetry_proxy" not in plan["apply"]
    assert "shows no value" in warnings(plan) and '"Workstations - Proxy"' in warnings(plan)


def test_disable_enterprise_auth_proxy_wrong_on_the_device_is_named():
    device = facts(dict(ALL_READ, rsop=rsop()))
    device["telemetry_proxy"]["disable_enterprise_auth_proxy"] = 0
    plan = compute_plan(WANTED, device)
    assert action(plan, "telemetry_proxy")["action"] == "report"
    text = warnings(plan)
    assert "DisableEnterpriseAuthProxy" in text and "0" in text and '"Workstations - Proxy"' in text


def test_defender_proxy_overwritten_locally_is_not_keep():
    plan = compute_plan(WANTED, facts(dict(ALL_READ, rsop=rsop()), defender="http://10.9.9.9:8080"))
    defender = action(plan, "defender_av_proxy")
    assert defender["action"] == "report", defender["reason"]
    assert "defender_av_proxy" not in plan["apply"]
    text = warnings(plan)
    assert "http://10.9.9.9:8080" in text and '"Workstations - Proxy"' in text and f"http://{GPO_PROXY}" in text


def test_policy_value_in_place_stays_keep():
    plan = compute_plan(WANTED, facts(dict(ALL_READ, rsop=rsop()), defender=f"http://{GPO_PROXY}"))
    assert action(plan, "telemetry_proxy")["action"] == "keep"
    assert action(plan, "defender_av_proxy")["action"] == "keep"
    assert "not in effect" not in warnings(plan)


def test_a_held_static_proxy_is_not_removed_through_prefer_static():
    # PreferStaticProxyForHttpRequest is written only in the call that states the static proxy: that call
    # must not become "state: absent" when the static proxy is held back.
    plan = compute_plan(dict(WANTED, os_has_other_route=False), facts(dict(ALL_READ, rsop=rsop()), server="10.9.9.9:8080"))
    assert "telemetry_proxy" not in plan["apply"]
    assert action(plan, "prefer_static_proxy")["changes"] is False
