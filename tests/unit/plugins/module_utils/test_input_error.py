# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One bad-input error: every validator's error is an InputError with field, rule and message."""

from __future__ import annotations

import os

import pytest
import yaml

from ansible_collections.purview.device_proxy.plugins.module_utils._input_error import InputError
from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import ProxyAddressError, parse_proxy_server
from ansible_collections.purview.device_proxy.plugins.plugin_utils import plan
from ansible_collections.purview.device_proxy.plugins.plugin_utils.catalog import CatalogError
from ansible_collections.purview.device_proxy.plugins.plugin_utils.topology import TopologyError, derive_topology
from ansible_collections.purview.device_proxy.plugins.plugin_utils.task_arguments import TaskInputError


@pytest.mark.parametrize("error", [
    ProxyAddressError("proxy", "port-range", "port 0 is out of range 1-65535", "a:0"),
    TaskInputError("device_topology", "roaming-static-proxy", "refused"),
    plan.PlanInputError("network_mode", "required", "is required"),
    plan.PlanFactsError("facts.winhttp", "type", "must be a mapping"),
    TopologyError("hardware.chassis_types", "entry 'x' is not an integer"),
    CatalogError("cloud", "unknown-name", "unknown cloud 'moon'", valid=("commercial",)),
])
def test_every_validator_error_is_an_input_error(error):
    assert isinstance(error, InputError)
    assert error.field and error.rule and error.message
    assert str(error).startswith(f"{error.field}")
    assert error.message in str(error)


def test_the_message_is_available_without_parsing_the_text():
    with pytest.raises(InputError) as info:
        parse_proxy_server("10.0.0.6:70000", "command_line_proxy")
    err = info.value
    assert (err.field, err.rule) == ("command_line_proxy", "port-range")
    assert str(err) == f"command_line_proxy: {err.message}"
    assert not err.message.startswith("command_line_proxy")


def test_topology_errors_carry_a_rule():
    with pytest.raises(InputError) as info:
        derive_topology({"chassis_types": ["ten"]})
    assert info.value.rule == "hardware"


ROLE_SPEC = os.path.join(os.path.dirname(__file__), *[os.pardir] * 4, "roles", "device_proxy", "meta", "argument_specs.yml")


def test_the_plan_booleans_are_the_role_argument_spec_booleans():
    """The role validates its variables with argument_specs; the filter's own checks accept the same values.

    The choice lists of the plan inputs are compared by tools/gates/choice_lists.py (tests/unit/tools).
    """
    with open(ROLE_SPEC, encoding="utf-8") as handle:
        options = yaml.safe_load(handle)["argument_specs"]["main"]["options"]
    for name in ("os_has_other_route", "winhttp_force", "remove_stale"):
        assert options[f"device_proxy_{name}"]["type"] == "bool"
        assert options[f"device_proxy_{name}"]["default"] == plan.DEFAULT_INPUTS[name]


@pytest.mark.parametrize("value", ["y", "off", 1, 0, "TRUE", True])
def test_the_plan_converts_booleans_as_the_argument_spec_does(value):
    from ansible.module_utils.common.validation import check_type_bool

    inputs = {"network_mode": "static", "proxy": "10.0.0.6:8080", "remove_stale": value}
    assert plan.parse_inputs(inputs).remove_stale is check_type_bool(value)


@pytest.mark.parametrize("value", ["perhaps", 2, [], {}])
def test_the_plan_refuses_what_the_argument_spec_refuses(value):
    from ansible.module_utils.common.validation import check_type_bool

    with pytest.raises(TypeError):
        check_type_bool(value)
    with pytest.raises(plan.PlanInputError) as info:
        plan.parse_inputs({"network_mode": "static", "proxy": "10.0.0.6:8080", "remove_stale": value})
    assert (info.value.field, info.value.rule) == ("remove_stale", "type")
