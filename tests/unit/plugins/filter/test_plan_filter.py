# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan filters: the decision function behind them, errors as AnsibleFilterError."""

from __future__ import annotations

import json
import os

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.purview.device_proxy.plugins.filter.plan import FilterModule
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan import compute_plan

FILTERS = FilterModule().filters()
FACTS_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "fleet", "facts")
INPUTS = {"network_mode": "static", "proxy": "10.0.0.6:8080", "winhttp_policy": "set"}


def load(host):
    with open(os.path.join(FACTS_DIR, f"{host}.json")) as handle:
        return json.load(handle)


def test_filters_are_registered():
    assert set(FILTERS) == {"device_proxy_plan", "device_proxy_plan_summary", "device_proxy_plan_inputs",
                            "device_proxy_fleet_review"}


def test_plan_filter_is_the_decision_function():
    facts = load("dsk-static-04")
    plan = FILTERS["device_proxy_plan"](facts, INPUTS, field_prefix="device_proxy_", host="dsk-static-04")
    assert plan == compute_plan(INPUTS, facts, field_prefix="device_proxy_", host="dsk-static-04")
    assert list(plan["apply"]) == ["telemetry_proxy", "winhttp_proxy"]


def test_bad_input_becomes_a_filter_error_naming_the_variable():
    with pytest.raises(AnsibleFilterError) as info:
        FILTERS["device_proxy_plan"](load("dsk-static-04"), {"network_mode": "static"}, field_prefix="device_proxy_")
    assert str(info.value).startswith("purview.device_proxy.device_proxy_plan: device_proxy_proxy: is required when "
                                      "device_proxy_network_mode is static")


def test_bad_facts_become_a_filter_error():
    with pytest.raises(AnsibleFilterError) as info:
        FILTERS["device_proxy_plan"]({"hardware": {"chassis_types": "notebook"}}, INPUTS)
    assert "facts.hardware.chassis_types" in str(info.value)


def test_summary_filter():
    plan = FILTERS["device_proxy_plan"](load("lap-static-01"), INPUTS, host="lap-static-01")
    lines = FILTERS["device_proxy_plan_summary"](plan)
    assert lines[0].startswith("lap-static-01: topology roaming (detected")
    assert lines[3].startswith("winhttp_proxy: refuse")


@pytest.mark.parametrize("value", [None, "plan", {"host": "x"}])
def test_summary_filter_refuses_what_is_not_a_plan(value):
    with pytest.raises(AnsibleFilterError, match="must be a plan"):
        FILTERS["device_proxy_plan_summary"](value)


@pytest.mark.parametrize("inputs,message", [
    ({"network_mode": "static", "proxy": "10.0.0.6:8080", "winhttp_policy": "stable_only", "winhttp_force": True},
     "device_proxy_winhttp_force: cannot be true with device_proxy_winhttp_policy stable_only"),
    ({"network_mode": "static", "proxy": "10.0.0.6:8080", "policy_conflict": "fight"},
     "device_proxy_policy_conflict: must be one of refuse, override"),
    ({"network_mode": "wpad", "defender_ssl_options": 2},
     "device_proxy_defender_ssl_options: is written only with Defender Antivirus's own proxy"),
    ({"network_mode": "static", "proxy": "10.0.0.6:8080", "defender_ssl_options": 5},
     "device_proxy_defender_ssl_options: must be one of 0, 1, 2, 3"),
    ({"network_mode": "static", "proxy": "10.0.0.6:8080", "defender_av_policy": "always"},
     "device_proxy_defender_av_policy: must be one of auto, leave"),
])
def test_inputs_filter_refuses_bad_input_without_facts(inputs, message):
    with pytest.raises(AnsibleFilterError) as info:
        FILTERS["device_proxy_plan_inputs"](inputs, field_prefix="device_proxy_")
    assert message in str(info.value)


def test_inputs_filter_returns_the_normalised_inputs():
    checked = FILTERS["device_proxy_plan_inputs"]({"network_mode": "static", "proxy": "PROXY.corp.example:3128",
                                                   "defender_ssl_options": "2"})
    assert checked["proxy"] == "proxy.corp.example:3128"
    assert checked["defender_ssl_options"] == 2 and checked["policy_conflict"] == "refuse"
