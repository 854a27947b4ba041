# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action base reports any validator's InputError as a failed task naming the option and rule."""

from __future__ import annotations

import types

import pytest

from ansible_collections.purview.device_proxy.plugins.plugin_utils.catalog import CatalogError
from ansible_collections.purview.device_proxy.plugins.plugin_utils.topology import TopologyError
from ansible_collections.purview.device_proxy.plugins.plugin_utils.windows_module import WindowsModuleAction

DOC = """
module: sample
options:
  name:
    type: str
"""


def action_raising(error):
    class ActionModule(WindowsModuleAction):
        MODULE_NAME = "purview.device_proxy.sample"
        DOCUMENTATION = DOC

        def decide(self, params, session):
            raise error

    return types.SimpleNamespace(ActionModule=ActionModule)


@pytest.mark.parametrize("error", [
    CatalogError("cloud", "unknown-name", "unknown cloud 'moon'", valid=("commercial", "gcc")),
    TopologyError("hardware.chassis_types", "entry 'x' is not an integer"),
])
def test_any_input_error_fails_the_task_with_field_and_rule(run_action, error):
    result, target = run_action(action_raising(error), {"name": "x"})
    assert result["failed"] is True
    assert result["invalid_option"] == error.field
    assert result["rule"] == error.rule
    assert result["msg"] == str(error)
    assert target.calls == []
