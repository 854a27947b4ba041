# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of the actions that run on the controller alone (reports, exports, the fleet plan).

Such an action contacts no host: it supports check mode, not async, and its task arguments are
checked against its module's DOCUMENTATION before anything happens. An input error, from that check
or from the action's own rules, fails the task with the option (``invalid_option``) and the rule.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from ansible.plugins.action import ActionBase

from ansible_collections.purview.device_proxy.plugins.module_utils._input_error import InputError
from ansible_collections.purview.device_proxy.plugins.plugin_utils.task_arguments import (
    argument_spec_from_documentation,
    validate_arguments,
)


class ControllerAction(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    DOCUMENTATION = ""  # the module's DOCUMENTATION (plugins/modules/<name>.py)

    def run(self, tmp: Optional[str] = None, task_vars: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        self._supports_check_mode = True
        self._supports_async = False
        result = super().run(tmp, task_vars)
        del tmp
        try:
            params = validate_arguments(self._task.args, argument_spec_from_documentation(self.DOCUMENTATION))
            return self.run_on_controller(params, result, task_vars or {})
        except InputError as err:
            result.update(failed=True, msg=str(err), invalid_option=err.field, rule=err.rule)
            return result

    def run_on_controller(self, params: Dict[str, Any], result: Dict[str, Any],
                          task_vars: Dict[str, Any]) -> Dict[str, Any]:
        raise NotImplementedError
