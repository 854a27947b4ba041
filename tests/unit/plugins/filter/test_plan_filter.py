# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan filters: the decision function behind them, errors as AnsibleFilterError."""

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
    assert set(FILTERS) == {"device_proxy_plan", "device_proxy_plan_summary"}


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
