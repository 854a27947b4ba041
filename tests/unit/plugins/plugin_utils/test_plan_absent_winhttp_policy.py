# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""state absent and the WinHTTP policy: every policy is honoured or refused, none is silently ignored.

* ``reset`` returns WinHTTP to direct access whoever set it, exactly as it does with state present
  (the naive reading, "absent removes only what this collection wrote", would leave a foreign netsh
  proxy in place although the policy says reset);
* ``set`` and ``stable_only`` ask for a proxy that state absent never writes: an input error that
  names both variables and the rule, raised before the facts are read (no device is contacted);
* ``leave`` keeps what it did: this collection's own WinHTTP proxy goes, anything else is reported.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.purview.device_proxy.plugins.filter.plan import device_proxy_plan_inputs
from ansible_collections.purview.device_proxy.plugins.module_utils.winhttp_settings import WinHttpSettings, encode_hex
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan import PlanInputError, compute_plan
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.fleet import PREFIX, check_fleet_inputs
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.inputs import parse_inputs

PROXY = "10.0.0.6:8080"
FOREIGN = "legacy.proxy.example:3128"
DESKTOP = {"chassis_types": [3], "pc_system_type": 1, "has_battery": False, "is_virtual": False}
LAPTOP = {"chassis_types": [10], "pc_system_type": 2, "has_battery": True, "is_virtual": False}
RULE = "absent-needs-leave-or-reset"


def _view(proxy: Optional[str]) -> Dict[str, Any]:
    settings = WinHttpSettings.direct() if proxy is None else WinHttpSettings.named_proxy(proxy, "<local>")
    return {"raw": encode_hex(settings), "decoded": None, "error": None}


def facts(netsh: Optional[str], telemetry: Optional[str] = None, hardware: Optional[Dict[str, Any]] = None,
          winhttp_known: bool = True) -> Dict[str, Any]:
    built = {"telemetry_proxy": {"server": telemetry, "disable_enterprise_auth_proxy": 1 if telemetry else None,
                                 "prefer_static_proxy_for_http_request": None},
             "hardware": dict(hardware or DESKTOP)}
    if winhttp_known:
        built["winhttp"] = {"native": _view(netsh), "wow64": _view(netsh)}
    return built


def action_of(plan: Dict[str, Any], target: str) -> Dict[str, Any]:
    return next(action for action in plan["actions"] if action["target"] == target)


# --- set / stable_only: refused, naming both variables and the rule -------------------------------------------


@pytest.mark.parametrize("policy", ["set", "stable_only"])
@pytest.mark.parametrize("extra", [{}, {"network_mode": "static", "proxy": PROXY}, {"winhttp_force": True},
                                   {"remove_stale": True}])
def test_a_policy_that_sets_winhttp_is_refused_with_state_absent(policy, extra):
    with pytest.raises(PlanInputError) as info:
        parse_inputs({"state": "absent", "winhttp_policy": policy, **extra}, PREFIX)
    err = info.value
    assert err.field == "device_proxy_winhttp_policy"
    assert err.rule == RULE
    # Both variables by their role names, the value given, and what would be accepted.
    assert "device_proxy_state" in err.message and "absent" in err.message
    assert f"'{policy}'" in err.message
    assert "leave" in err.message and "reset" in err.message


@pytest.mark.parametrize("policy", ["set", "stable_only"])
def test_the_refusal_comes_before_the_facts_are_read(policy):
    # Facts that would fail their own check: the input error must win, so no device needs to be asked.
    with pytest.raises(PlanInputError) as info:
        compute_plan({"state": "absent", "winhttp_policy": policy}, {"winhttp": "not a mapping"})
    assert info.value.rule == RULE


def test_the_refusal_names_the_host_in_the_fleet_input_check():
    """An inventory that says set, a play that says absent: the host's own value is read, and refused."""
    hosts = [("desktop-01", {PREFIX + "winhttp_policy": "set"}),
             ("desktop-02", {PREFIX + "winhttp_policy": "reset"}),
             ("desktop-03", {})]
    play = {PREFIX + "state": "absent", PREFIX + "winhttp_policy": "leave"}
    errors = check_fleet_inputs(hosts, play)
    assert list(errors) == ["desktop-01"]
    assert errors["desktop-01"]["field"] == "device_proxy_winhttp_policy" and errors["desktop-01"]["rule"] == RULE


@pytest.mark.parametrize("policy", ["set", "stable_only"])
def test_the_inputs_filter_refuses_it_too(policy):
    with pytest.raises(AnsibleFilterError, match="device_proxy_state"):
        device_proxy_plan_inputs({"state": "absent", "winhttp_policy": policy}, PREFIX)


@pytest.mark.parametrize("policy", ["leave", "reset"])
def test_leave_and_reset_are_accepted_with_state_absent(policy):
    assert device_proxy_plan_inputs({"state": "absent", "winhttp_policy": policy})["winhttp_policy"] == policy


def test_set_with_state_present_is_still_accepted():
    parsed = parse_inputs({"state": "present", "network_mode": "static", "proxy": PROXY, "winhttp_policy": "set"})
    assert parsed.winhttp_policy == "set"


# --- reset: honoured with state absent -------------------------------------------------------------------------


@pytest.mark.parametrize("hardware", [DESKTOP, LAPTOP])
def test_reset_removes_a_winhttp_proxy_this_collection_did_not_write(hardware):
    plan = compute_plan({"state": "absent", "proxy": PROXY, "winhttp_policy": "reset"}, facts(FOREIGN, hardware=hardware))
    winhttp = action_of(plan, "winhttp_proxy")
    assert winhttp["action"] == "remove", winhttp["reason"]
    assert plan["apply"]["winhttp_proxy"] == {"state": "absent"}
    assert "winhttp_policy is reset" in winhttp["reason"] and FOREIGN in winhttp["reason"]
    assert "reported only" not in winhttp["reason"]


def test_reset_with_state_absent_removes_what_reset_with_state_present_removes():
    for netsh in (None, PROXY, FOREIGN):
        absent = compute_plan({"state": "absent", "proxy": PROXY, "winhttp_policy": "reset"}, facts(netsh))
        present = compute_plan({"network_mode": "wpad", "proxy": PROXY, "winhttp_policy": "reset"}, facts(netsh))
        assert action_of(absent, "winhttp_proxy")["action"] == action_of(present, "winhttp_proxy")["action"], netsh
        assert absent["apply"].get("winhttp_proxy") == present["apply"].get("winhttp_proxy"), netsh


def test_reset_keeps_winhttp_that_is_already_direct():
    plan = compute_plan({"state": "absent", "winhttp_policy": "reset"}, facts(None))
    assert action_of(plan, "winhttp_proxy")["action"] == "keep"
    assert "winhttp_proxy" not in plan["apply"]


def test_reset_resets_winhttp_the_facts_do_not_report_as_reset_does_with_state_present():
    absent = compute_plan({"state": "absent", "winhttp_policy": "reset"}, facts(None, winhttp_known=False))
    present = compute_plan({"network_mode": "wpad", "winhttp_policy": "reset"}, facts(None, winhttp_known=False))
    assert action_of(absent, "winhttp_proxy")["action"] == action_of(present, "winhttp_proxy")["action"] == "remove"
    # leave cannot know whose proxy it would remove: nothing is done.
    leave = compute_plan({"state": "absent"}, facts(None, winhttp_known=False))
    assert action_of(leave, "winhttp_proxy")["action"] == "keep"


def test_reset_does_not_widen_the_other_settings():
    """The WinHTTP policy is about WinHTTP: a foreign TelemetryProxyServer is still only reported."""
    plan = compute_plan({"state": "absent", "proxy": PROXY, "winhttp_policy": "reset"}, facts(FOREIGN, telemetry=FOREIGN))
    assert action_of(plan, "telemetry_proxy")["action"] == "report"
    assert "telemetry_proxy" not in plan["apply"]


# --- leave: as before ---------------------------------------------------------------------------------------


def test_leave_with_state_absent_removes_only_what_this_collection_wrote():
    ours = compute_plan({"state": "absent", "proxy": PROXY}, facts(PROXY))
    assert action_of(ours, "winhttp_proxy")["action"] == "remove"
    foreign = compute_plan({"state": "absent", "proxy": PROXY}, facts(FOREIGN))
    assert action_of(foreign, "winhttp_proxy")["action"] == "report"
    assert "winhttp_proxy" not in foreign["apply"]
    stale = compute_plan({"state": "absent", "proxy": PROXY, "remove_stale": True}, facts(FOREIGN))
    assert action_of(stale, "winhttp_proxy")["action"] == "remove"
