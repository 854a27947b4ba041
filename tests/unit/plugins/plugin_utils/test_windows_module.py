# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from unittest.mock import MagicMock

import pytest

from ansible_collections.purview.device_proxy.plugins.plugin_utils import raw_registry_value as rv
from ansible_collections.purview.device_proxy.plugins.plugin_utils import task_arguments as ta
from ansible_collections.purview.device_proxy.plugins.plugin_utils import windows_module as wm

DOC = r"""
module: sample
options:
  state:
    type: str
    choices: [present, absent]
    default: present
  name:
    description: no type given means str
    required: true
    aliases: [n]
  secret:
    type: str
    no_log: true
  items:
    type: list
    elements: dict
    suboptions:
      key:
        type: int
        required: true
"""


def test_argument_spec_follows_the_documentation():
    spec = ta.argument_spec_from_documentation(DOC)
    assert spec == {
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        "name": {"type": "str", "required": True, "aliases": ["n"]},
        "secret": {"type": "str", "no_log": True},
        "items": {"type": "list", "elements": "dict", "options": {"key": {"type": "int", "required": True}}},
    }


def test_validate_fills_defaults_and_converts_types():
    spec = ta.argument_spec_from_documentation(DOC)
    params = ta.validate_arguments({"n": "x", "items": [{"key": "5"}]}, spec)
    assert params["state"] == "present"
    assert params["name"] == "x"
    assert params["items"] == [{"key": 5}]


@pytest.mark.parametrize(
    "args, rules, field, rule",
    [
        ({"name": "x", "state": "gone"}, None, "state", "choices"),
        ({}, None, "name", "required"),
        ({"name": "x", "bogus": 1}, None, "bogus", "unsupported"),
        ({"name": "x", "secret": "s"}, {"mutually_exclusive": [("name", "secret")]}, "name", "mutually-exclusive"),
        ({"name": "x", "state": "absent"}, {"required_if": [("state", "absent", ("secret",))]}, "state", "required-if"),
        ({"name": "x", "items": [{"key": "five"}]}, None, "items", "type"),
    ],
)
def test_validate_names_the_field_and_rule(args, rules, field, rule):
    spec = ta.argument_spec_from_documentation(DOC)
    with pytest.raises(ta.TaskInputError) as caught:
        ta.validate_arguments(args, spec, rules)
    assert caught.value.field == field
    assert caught.value.rule == rule
    assert str(caught.value).startswith(field + ": ")


def test_forward_options_drops_unset_and_applies_normalised_values():
    spec = ta.argument_spec_from_documentation(DOC)
    params = {"state": "present", "name": "X", "secret": None, "items": None}
    assert wm.forward_options(params, spec, {"name": "x", "secret": None}) == {"state": "present", "name": "x"}


def test_shape_result_adds_diff_only_when_asked():
    outcome = wm.Outcome(changed=True, before={"a": 1}, after={"a": 2}, extra={"raw": {}}, warnings=["careful"])
    plain = wm.shape_result(outcome, diff=False)
    assert plain == {"changed": True, "before": {"a": 1}, "after": {"a": 2}, "raw": {}, "warnings": ["careful"]}
    with_diff = wm.shape_result(outcome, diff=True)
    assert with_diff["diff"] == {"before": {"a": 1}, "after": {"a": 2}}


def test_shape_result_prefers_diff_text():
    outcome = wm.Outcome(changed=False, before={}, after={}, diff_before="x\n", diff_after="x\n")
    assert wm.shape_result(outcome, diff=True)["diff"] == {"before": "x\n", "after": "x\n"}
    assert "warnings" not in wm.shape_result(outcome, diff=True)


def test_shape_result_of_a_read_only_module_has_no_states_or_diff():
    outcome = wm.Outcome(changed=False, before=None, after=None, extra={"ansible_facts": {"x": 1}})
    assert wm.shape_result(outcome, diff=True) == {"changed": False, "ansible_facts": {"x": 1}}


def _session(replies, check_mode=False):
    action = MagicMock()
    action.MODULE_NAME = "purview.device_proxy.sample"
    action._task.check_mode = check_mode
    action._execute_module.side_effect = list(replies)
    return wm.TargetSession(action, {"x": 1}), action


def test_session_counts_calls_and_passes_module_name():
    session, action = _session([{"raw": {"a": 1}}, {"raw": {"a": 2}}])
    assert session.call({"_mode": "read"})["raw"] == {"a": 1}
    assert session.call({"_mode": "apply"})["raw"] == {"a": 2}
    assert action._execute_module.call_count == 2
    kwargs = action._execute_module.call_args.kwargs
    assert kwargs == {"module_name": "purview.device_proxy.sample", "module_args": {"_mode": "apply"}, "task_vars": {"x": 1}}


def test_session_raises_on_failure_and_on_missing_keys():
    session, _action = _session([{"failed": True, "msg": "boom"}, {"changed": False}])
    with pytest.raises(wm.ModuleFailedError) as failed:
        session.call({})
    assert failed.value.result["msg"] == "boom"
    with pytest.raises(wm.ModuleReplyError, match="raw"):
        session.call({})


def test_session_reports_check_mode():
    assert _session([], check_mode=True)[0].check_mode is True
    assert _session([], check_mode=False)[0].check_mode is False


def test_registry_value_round_trip():
    assert rv.RegistryValue.from_raw(None) is None
    value = rv.RegistryValue.from_raw({"kind": "DWord", "data": 1})
    assert value == rv.RegistryValue("DWord", 1)
    assert rv.registry_data({"kind": "String", "data": "a"}) == "a"
    assert rv.registry_data(None) is None


def test_only_the_actions_that_call_a_windows_module_import_its_base():
    """An action that runs on the controller alone validates through task_arguments, not the Windows module base."""
    import ast
    import os

    folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), *[os.pardir] * 4, "plugins", "action")
    checked = {}
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".py"):
            continue
        with open(os.path.join(folder, name), encoding="utf-8") as handle:
            tree = ast.parse(handle.read())
        imports = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        bases = {base.id for node in ast.walk(tree) if isinstance(node, ast.ClassDef) and node.name == "ActionModule"
                 for base in node.bases if isinstance(base, ast.Name)}
        calls_windows_module = "WindowsModuleAction" in bases
        checked[name] = calls_windows_module
        assert any(module.endswith(".windows_module") for module in imports) is calls_windows_module, name
    assert not checked["connectivity_report.py"] and not checked["group_policy_export.py"]
    assert checked["telemetry_proxy.py"] and checked["winhttp_proxy.py"]
