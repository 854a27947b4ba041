# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the Windows modules' action plugins against recorded target replies.

``_execute_module`` is replaced by :class:`RecordedTarget`, which hands out recorded module
results (``fixtures/<module>/<name>.json``, shaped like the module's RETURN ``raw``) in order
and keeps every call, so a test can assert what was sent and that nothing was sent at all.
"""

import copy
import json
import os
from unittest.mock import MagicMock

import pytest
import yaml

from ansible.playbook.task import Task

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


def load_reply(module, name):
    """A recorded module result: the ``result`` member of fixtures/<module>/<name>.json."""
    with open(os.path.join(FIXTURES, module, name + ".json"), encoding="utf-8") as handle:
        return json.load(handle)["result"]


def all_replies(module):
    folder = os.path.join(FIXTURES, module)
    return {name[:-5]: load_reply(module, name[:-5]) for name in sorted(os.listdir(folder)) if name.endswith(".json")}


class RecordedTarget:
    """Stands in for ActionBase._execute_module; every call is one round trip."""

    def __init__(self, *replies):
        self.replies = list(replies)
        self.calls = []

    def __call__(self, module_name=None, module_args=None, task_vars=None, **kwargs):
        self.calls.append({"module_name": module_name, "module_args": copy.deepcopy(module_args), "kwargs": kwargs})
        if not self.replies:
            raise AssertionError("the action plugin made an unexpected module call %d" % len(self.calls))
        return copy.deepcopy(self.replies.pop(0))

    @property
    def args(self):
        """The module arguments of the last call."""
        return self.calls[-1]["module_args"]


def make_action(action_module, args, check_mode=False, diff=False):
    task = MagicMock(Task)
    task.args = args
    task.check_mode = check_mode
    task.diff = diff
    task.async_val = 0
    task.action = action_module.ActionModule.MODULE_NAME
    connection = MagicMock()
    connection._shell.tmpdir = "C:\\Windows\\TEMP\\ansible-tmp"
    play_context = MagicMock()
    play_context.check_mode = check_mode
    return action_module.ActionModule(task, connection, play_context, loader=None, templar=None, shared_loader_obj=None)


@pytest.fixture
def run_action():
    """run_action(action_module, args, *replies, check_mode=False, diff=False) -> (result, target)."""

    def run(action_module, args, *replies, check_mode=False, diff=False):
        plugin = make_action(action_module, args, check_mode=check_mode, diff=diff)
        target = RecordedTarget(*replies)
        plugin._execute_module = target
        result = plugin.run(task_vars={"inventory_hostname": "win10-01"})
        return result, target

    return run


def documented_return(doc_module):
    return yaml.safe_load(doc_module.RETURN)


def assert_shaped_like(value, documented, where="raw"):
    """``value`` has exactly the keys RETURN documents under ``documented`` (recursively)."""
    contains = documented.get("contains")
    if contains is None or value is None:
        return
    if documented.get("type") == "list":
        assert isinstance(value, list), where
        for position, item in enumerate(value):
            assert_shaped_like(item, {"type": "dict", "contains": contains}, "%s[%d]" % (where, position))
        return
    assert isinstance(value, dict), where
    assert set(value) == set(contains), "%s: keys %s, RETURN documents %s" % (where, sorted(value), sorted(contains))
    for key, doc in contains.items():
        assert_shaped_like(value[key], doc, "%s.%s" % (where, key))
