# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""winhttp_policy stable_only: WinHTTP set on stable devices, a static one reset on roaming devices.

The naive readings fail here: ``set`` leaves an existing netsh proxy on a laptop (it only refuses to
write one), and ``reset`` also takes it from desktops. stable_only must do both halves in one run,
and on a roaming device remove only what this collection wrote unless remove_stale says otherwise.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

import pytest

from ansible_collections.purview.device_proxy.plugins.module_utils.winhttp_settings import WinHttpSettings, encode_hex
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan import PlanInputError, compute_plan

PROXY = "10.0.0.6:8080"
PREVIOUS = "10.0.0.5:8080"
FOREIGN = "legacy.proxy.example:3128"
DESKTOP = {"chassis_types": [3], "pc_system_type": 1, "has_battery": False, "is_virtual": False}
LAPTOP = {"chassis_types": [10], "pc_system_type": 2, "has_battery": True, "is_virtual": False}
INPUTS = {"network_mode": "static", "proxy": PROXY, "previous_proxies": [PREVIOUS], "winhttp_policy": "stable_only"}


def _view(proxy: Optional[str]) -> Dict[str, Any]:
    settings = WinHttpSettings.direct() if proxy is None else WinHttpSettings.named_proxy(proxy, "<local>")
    return {"raw": encode_hex(settings), "decoded": None, "error": None}


def facts(hardware: Dict[str, Any], netsh: Optional[str]) -> Dict[str, Any]:
    return {"telemetry_proxy": {"server": PROXY, "disable_enterprise_auth_proxy": 1,
                                "prefer_static_proxy_for_http_request": None},
            "winhttp": {"native": _view(netsh), "wow64": _view(netsh)},
            "hardware": dict(hardware)}


def winhttp(plan: Dict[str, Any]) -> Dict[str, Any]:
    return next(action for action in plan["actions"] if action["target"] == "winhttp_proxy")


@pytest.mark.parametrize("netsh", [PROXY, PREVIOUS])
def test_roaming_device_with_a_collection_written_netsh_proxy_is_reset(netsh: str) -> None:
    plan = compute_plan(INPUTS, facts(LAPTOP, netsh))
    action = winhttp(plan)
    assert action["action"] == "remove", action["reason"]
    assert plan["apply"]["winhttp_proxy"] == {"state": "absent"}
    assert "stable_only" in action["reason"] and "which this collection wrote" in action["reason"]


def test_roaming_device_with_a_foreign_netsh_proxy_is_reported_not_reset() -> None:
    plan = compute_plan(INPUTS, facts(LAPTOP, FOREIGN))
    action = winhttp(plan)
    assert action["action"] == "report"
    assert "winhttp_proxy" not in plan["apply"]
    assert any(f["severity"] == "warning" and FOREIGN in f["message"] and "remove_stale" in f["message"]
               for f in plan["findings"])


def test_roaming_device_with_a_foreign_netsh_proxy_is_reset_with_remove_stale() -> None:
    plan = compute_plan({**INPUTS, "remove_stale": True}, facts(LAPTOP, FOREIGN))
    assert winhttp(plan)["action"] == "remove"
    assert plan["apply"]["winhttp_proxy"] == {"state": "absent"}


def test_roaming_device_without_netsh_proxy_is_left_direct() -> None:
    plan = compute_plan(INPUTS, facts(LAPTOP, None))
    assert winhttp(plan)["action"] == "keep"
    assert "winhttp_proxy" not in plan["apply"]


@pytest.mark.parametrize("netsh", [None, PREVIOUS, FOREIGN])
def test_stable_device_gets_the_proxy_whatever_it_had(netsh: Optional[str]) -> None:
    plan = compute_plan(INPUTS, facts(DESKTOP, netsh))
    action = winhttp(plan)
    assert action["action"] == "set", action["reason"]
    assert plan["apply"]["winhttp_proxy"]["proxy"] == PROXY
    assert plan["apply"]["winhttp_proxy"]["force"] is False
    assert "winhttp_policy is stable_only" in action["reason"]


def test_stable_device_with_the_collection_written_proxy_is_kept() -> None:
    plan = compute_plan({**INPUTS, "bypass": ["<local>"]}, facts(DESKTOP, PROXY))
    assert winhttp(plan)["action"] == "keep"
    assert "winhttp_proxy" not in plan["apply"]


def test_one_run_over_a_mixed_fleet_does_both_halves() -> None:
    desktop = compute_plan(INPUTS, facts(DESKTOP, None))
    laptop = compute_plan(INPUTS, facts(LAPTOP, PROXY))
    assert (winhttp(desktop)["action"], winhttp(laptop)["action"]) == ("set", "remove")


@pytest.mark.parametrize("inputs,field,rule", [
    ({**INPUTS, "winhttp_force": True}, "device_proxy_winhttp_force", "force-needs-set"),
    ({**INPUTS, "network_mode": "wpad"}, "device_proxy_winhttp_policy", "set-needs-static"),
])
def test_contradicting_inputs_are_refused(inputs: Dict[str, Any], field: str, rule: str) -> None:
    with pytest.raises(PlanInputError) as info:
        compute_plan(inputs, facts(DESKTOP, None), field_prefix="device_proxy_")
    assert (info.value.field, info.value.rule) == (field, rule)
    assert field in str(info.value)
