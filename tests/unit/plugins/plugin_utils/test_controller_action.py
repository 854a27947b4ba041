# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of the controller-only actions: arguments checked against the module's DOCUMENTATION,
and any input error reported as a failed task naming the option and the rule."""

from __future__ import annotations

import importlib
from unittest.mock import MagicMock

import pytest
from ansible.playbook.task import Task

from ansible_collections.purview.device_proxy.plugins.module_utils._input_error import InputError
from ansible_collections.purview.device_proxy.plugins.plugin_utils.controller_action import ControllerAction

DOCUMENTATION = r"""
module: example
short_description: x
options:
  dest:
    type: path
    required: true
  level:
    type: int
    default: 3
"""


class _Example(ControllerAction):
    DOCUMENTATION = DOCUMENTATION
    seen = None

    def run_on_controller(self, params, result, task_vars):
        type(self).seen = (params, task_vars)
        if params["level"] > 5:
            raise InputError("level", "range", "must be at most 5")
        result.update(changed=False, msg="ok")
        return result


def _run(plugin_class, args, task_vars=None):
    task = MagicMock(Task)
    task.args = args
    task.check_mode = True
    task.diff = False
    task.async_val = 0
    plugin = plugin_class(task, MagicMock(), MagicMock(), loader=None, templar=None, shared_loader_obj=None)
    return plugin.run(task_vars=task_vars)


def test_arguments_are_defaulted_from_the_documentation_and_task_vars_default_to_a_dict():
    result = _run(_Example, {"dest": "/tmp/x"})
    assert result["msg"] == "ok" and not result.get("failed")
    assert _Example.seen == ({"dest": "/tmp/x", "level": 3}, {})


@pytest.mark.parametrize("args, field, rule", [
    ({}, "dest", "required"),
    ({"dest": "/tmp/x", "level": "high"}, "level", "type"),
    ({"dest": "/tmp/x", "colour": "red"}, "colour", "unsupported"),
    ({"dest": "/tmp/x", "level": 9}, "level", "range"),          # raised by the action's own check
])
def test_an_input_error_fails_the_task_naming_the_option_and_the_rule(args, field, rule):
    result = _run(_Example, args)
    assert result["failed"] is True
    assert (result["invalid_option"], result["rule"]) == (field, rule)
    assert field in result["msg"]


@pytest.mark.parametrize("name", ["analyzer_results", "fleet_plan", "group_policy_export", "connectivity_report"])
def test_every_controller_only_action_is_built_on_the_base(name):
    action = importlib.import_module("ansible_collections.purview.device_proxy.plugins.action." + name)
    module = importlib.import_module("ansible_collections.purview.device_proxy.plugins.modules." + name)
    assert issubclass(action.ActionModule, ControllerAction)
    assert action.ActionModule.DOCUMENTATION is module.DOCUMENTATION
    assert action.ActionModule._requires_connection is False
