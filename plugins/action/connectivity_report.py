# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""purview.device_proxy.connectivity_report: write the fleet reports on the controller.

Reads every host's registered connectivity_test result from hostvars (or takes ``results``),
builds the fleet model once and writes the text, JSON, JUnit and HTML reports
(plugin_utils.fleet_report). Runs entirely on the controller.
"""

from __future__ import annotations

import datetime
from typing import Any, Dict, Mapping

from ansible.plugins.action import ActionBase

from ansible_collections.purview.device_proxy.plugins.modules.connectivity_report import DOCUMENTATION
from ansible_collections.purview.device_proxy.plugins.plugin_utils import connectivity_verdict as cv
from ansible_collections.purview.device_proxy.plugins.plugin_utils import fleet_report
from ansible_collections.purview.device_proxy.plugins.plugin_utils.windows_module import (
    WindowsModuleInputError,
    argument_spec_from_documentation,
    validate_arguments,
)


def collect_results(params: Mapping[str, Any], task_vars: Mapping[str, Any]) -> Dict[str, Any]:
    """{host: result or None} from ``results`` or from each host's ``result_var``."""
    if params.get("results") is not None:
        return dict(params["results"])
    hosts = params.get("hosts")
    if hosts is None:
        hosts = task_vars.get("ansible_play_hosts_all") or []
    hostvars = task_vars.get("hostvars") or {}
    name = params["result_var"]
    collected: Dict[str, Any] = {}
    for host in hosts:
        host_vars = hostvars.get(host) if hasattr(hostvars, "get") else None
        collected[str(host)] = host_vars.get(name) if host_vars is not None and name in host_vars else None
    if not collected:
        raise WindowsModuleInputError("hosts", "empty", "no host to report on")
    return collected


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True
        self._supports_async = False
        result = super().run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        try:
            params = validate_arguments(self._task.args, argument_spec_from_documentation(DOCUMENTATION))
            results = collect_results(params, task_vars)
            generated = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            fleet = fleet_report.build_fleet(results, generated, params["fail_verdict"], params["title"])
            files = fleet_report.render_files(results, fleet, params["formats"], params["legacy_text"])
            if "json" in params["formats"] or "junit" in params["formats"] or "html" in params["formats"]:
                # The generation time alone must not make a report "changed": compare without it.
                files = _keep_unchanged_timestamps(params["dest"], files, fleet, results, params)
            policy_failures = {
                host: cv.policy_failures(res["summary"], params["fail_policy"], params["fail_verdict"])
                for host, res in results.items() if isinstance(res, Mapping) and "summary" in res
            }
            written = fleet_report.write_reports(params["dest"], files, check_mode=bool(self._task.check_mode))
        except (WindowsModuleInputError, fleet_report.FleetReportError, cv.VerdictInputError) as err:
            result.update(failed=True, msg=str(err), invalid_option=err.field, rule=err.rule)
            return result
        except OSError as err:
            result.update(failed=True, msg="dest: cannot write the reports: %s" % err)
            return result
        result.update(
            changed=bool(written["changed_files"]),
            dest=written["dest"],
            changed_files=written["changed_files"],
            sizes=written["sizes"],
            totals=fleet["totals"],
            failed_hosts=[h["host"] for h in fleet["hosts"] if h["verdict"] != "pass"],
            policy_failures=policy_failures,
        )
        if self._task.diff:
            result["diff"] = {
                "before": "".join("%s\n" % path for path in sorted(written["changed_files"])) if written["changed_files"] else "",
                "after": "".join("%s: %d bytes\n" % (path, written["sizes"][path]) for path in sorted(written["changed_files"])),
            }
        return result


def _keep_unchanged_timestamps(dest: str, files: Dict[str, str], fleet: Dict[str, Any], results: Dict[str, Any],
                               params: Mapping[str, Any]) -> Dict[str, str]:
    """Re-render with the previous generation time when that reproduces the existing fleet JSON."""
    import json
    import os

    path = os.path.join(dest, fleet_report.FILE_NAMES["json"])
    try:
        with open(path, encoding="utf-8") as handle:
            previous = json.load(handle).get("generated_at")
    except (OSError, ValueError, AttributeError):
        return files
    if not previous or previous == fleet["generated_at"]:
        return files
    again = dict(fleet, generated_at=previous)
    if fleet_report.render_json(again) != _read(path):
        return files
    return fleet_report.render_files(results, again, params["formats"], params["legacy_text"])


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()
