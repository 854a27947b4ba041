# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""purview.device_proxy.fleet_plan: every host's plan in one controller pass (plugin_utils.plan.fleet)."""

from __future__ import annotations

import os
from typing import Any, Dict, List, Mapping, Tuple

from ansible_collections.purview.device_proxy.plugins.modules.fleet_plan import DOCUMENTATION
from ansible_collections.purview.device_proxy.plugins.plugin_utils.controller_action import ControllerAction
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan import fleet, readable_facts
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan_review import console_review
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan_review_files import file_paths, review_files, write_review

# Hosts named in a failure message; the rest are counted.
NAMED_ERRORS = 10


class _HostVariables(Mapping):
    """A host's variables as its inventory, facts and extra vars give them; a value is templated (with the
    host's variables) only when it is a template: most are plain, and templating every value of
    thousands of hosts would cost more than planning them."""

    def __init__(self, raw: Mapping[str, Any], templar: Any):
        self._raw = raw
        self._templar = templar
        self._host_templar = None

    def __getitem__(self, key: str) -> Any:
        value = self._raw[key]
        if not self._templar.is_template(value):
            return value
        if self._host_templar is None:
            self._host_templar = self._templar.copy_with_new_env(available_variables=self._raw)
        return self._host_templar.template(value)

    def __contains__(self, key: object) -> bool:
        return key in self._raw

    def __iter__(self):
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


def _host_variables(task_vars: Mapping[str, Any], hosts: List[str], templar: Any) -> List[Tuple[str, Mapping[str, Any]]]:
    hostvars = task_vars["hostvars"]
    found = []
    for host in hosts:
        raw = hostvars.raw_get(host)
        found.append((host, _HostVariables(raw if isinstance(raw, Mapping) else {}, templar)))
    return found


class _PlayVariables(Mapping):
    """The running host's variables (role defaults, play vars), templated on access."""

    def __init__(self, task_vars: Mapping[str, Any], templar: Any):
        self._vars = task_vars
        self._templar = templar

    def __getitem__(self, key: str) -> Any:
        return self._templar.template(self._vars[key])

    def __contains__(self, key: object) -> bool:
        return key in self._vars

    def __iter__(self):
        return iter(self._vars)

    def __len__(self) -> int:
        return len(self._vars)

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self._vars else default


def _play_level_overrides(play: Mapping[str, Any], own: Mapping[str, Any]) -> List[str]:
    """Inputs the play sets over the inventory (play vars, role parameters): this pass reads each host's
    own value, so such a setting would silently lose; it is refused instead."""
    return [name for name in (*fleet.INPUT_VARIABLES, fleet.PREFIX + "facts_dir")
            if name in own and name in play and own[name] != play[name]]


def failure_text(errors: Mapping[str, Mapping[str, str]], what: str) -> str:
    named = ["%s: %s" % (host, error["message"]) for host, error in list(errors.items())[:NAMED_ERRORS]]
    more = len(errors) - len(named)
    return "%d host(s) %s: %s%s" % (len(errors), what, "; ".join(named), " and %d more" % more if more > 0 else "")


class ActionModule(ControllerAction):
    DOCUMENTATION = DOCUMENTATION

    def run_on_controller(self, params: Dict[str, Any], result: Dict[str, Any], task_vars: Dict[str, Any]) -> Dict[str, Any]:
        hosts = _host_variables(task_vars, list(params["hosts"]), self._templar)
        play = _PlayVariables(task_vars, self._templar)
        if task_vars.get("inventory_hostname") in task_vars["hostvars"]:
            overridden = _play_level_overrides(play, task_vars["hostvars"][task_vars["inventory_hostname"]])
            if overridden:
                result.update(failed=True, invalid_option=overridden[0], rule="inventory",
                              msg="%s: set by the play over the inventory's value; the plan reads each host's own "
                                  "variables, so set it in the inventory (group_vars, host_vars) or with -e" % overridden[0])
                return result

        if params["stage"] == "inputs":
            errors = fleet.check_fleet_inputs(hosts, play)
            result.update(errors=errors)
            if errors:
                result.update(failed=True, msg=failure_text(errors, "with inputs that break a rule (no device was contacted)"))
            return result

        if params["facts_from"] == "supplied":
            def read_facts(host, variables):
                return fleet.supplied_facts(host, variables, play)
        else:
            read_facts = fleet.gathered_facts
        # Supplied facts are checked against the facts contract and their readable forms encoded;
        # this run's device_facts output is the contract's source and is read as it is.
        check = readable_facts.checked_facts if params["facts_from"] == "supplied" else None
        plans, errors = fleet.plan_fleet(hosts, play, read_facts, check)
        review_dir = os.path.abspath(params["review_dir"]) if params.get("review_dir") else None
        files: Dict[str, str] = {}
        if review_dir:
            contents = review_files(list(plans.values()), errors)
            if self._task.check_mode:
                files = file_paths(review_dir)
            else:
                try:
                    files = write_review(review_dir, contents)
                except OSError as err:
                    result.update(failed=True, msg="review_dir: cannot write the review files: %s" % err)
                    return result
        result.update(plans=plans if params["return_plans"] else {}, errors=errors, changed_hosts=fleet.changed_hosts(plans),
                      review=console_review(list(plans.values()), errors, files), files=sorted(files.values()))
        return result
