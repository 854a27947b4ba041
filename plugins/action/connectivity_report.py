# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""purview.device_proxy.connectivity_report: write the fleet reports on the controller.

Reads every host's registered device_connectivity_probe result from hostvars (or takes ``results``);
with ``source: network`` the hosts' network_url_probe results, which plugin_utils.network_results turns
into the same per-host shape (no renderer of their own). Builds the fleet model once and writes the text, summary, JSON, JUnit and HTML reports
(plugin_utils.fleet_report); with a history folder compares the run with the previous one
(plugin_utils.fleet_history) and with a metrics file writes the Prometheus text
(plugin_utils.fleet_metrics). Runs entirely on the controller.
"""

from __future__ import annotations

import datetime
import json
import os
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ansible_collections.purview.device_proxy.plugins.modules.connectivity_report import DOCUMENTATION
from ansible_collections.purview.device_proxy.plugins.plugin_utils import analyzer_import
from ansible_collections.purview.device_proxy.plugins.plugin_utils.controller_action import ControllerAction
from ansible_collections.purview.device_proxy.plugins.plugin_utils import connectivity_verdict as cv
from ansible_collections.purview.device_proxy.plugins.plugin_utils import fleet_history
from ansible_collections.purview.device_proxy.plugins.plugin_utils import fleet_metrics
from ansible_collections.purview.device_proxy.plugins.plugin_utils import fleet_report
from ansible_collections.purview.device_proxy.plugins.plugin_utils import network_results
from ansible_collections.purview.device_proxy.plugins.plugin_utils import report_files
from ansible_collections.purview.device_proxy.plugins.plugin_utils import report_text
from ansible_collections.purview.device_proxy.plugins.plugin_utils.task_arguments import TaskInputError


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
        raise TaskInputError("hosts", "empty", "no host to report on")
    return collected


# The play output carries counts and the first new failures and recoveries; the files have them all.
RESULT_LIST_LIMIT = 100


def check_options(params: Mapping[str, Any]) -> None:
    """Option rules the argument spec cannot express, checked before anything is read or written."""
    fleet_report.check_formats(params["formats"])
    if params.get("history_dir") is not None:
        if not params["history_dir"]:
            raise fleet_history.HistoryError("history_dir", "required", "must name a folder (leave it unset for no history)")
        fleet_history.check_keep(params["history_keep"])
    metrics = params.get("metrics_file")
    if metrics is not None and not str(metrics).endswith(".prom"):
        raise fleet_report.FleetReportError(
            "metrics_file", "suffix", "must end in .prom (node_exporter's textfile collector reads only *.prom): %r" % metrics)


def history_view(history_dir: Optional[str], keep: int, fleet: Mapping[str, Any],
                 now: Optional[datetime.datetime] = None
                 ) -> Tuple[Optional[Dict[str, Any]], Optional[Dict[str, Any]], Dict[str, Any], List[str]]:
    """(changes, trend, this run's entry, warnings) from the kept entries; (None, None, ...) without history.

    Never raises for what the folder holds: an entry that cannot be used is a warning, and a
    folder that cannot be read at all gives no comparison and a warning.
    """
    if not history_dir:
        return None, None, {}, []
    entry = fleet_history.entry_from_fleet(fleet)
    previous, warnings = fleet_history.load_entries(history_dir, keep, now=now)
    changes = fleet_history.compare(previous[0], entry) if previous else None
    runs = list(reversed(previous)) + [entry]
    return changes, fleet_history.trend(runs), entry, warnings


def host_policy_failures(host: str, result: Mapping[str, Any], params: Mapping[str, Any]) -> List[str]:
    """The URLs that fail ``host`` under the fail policy; a summary of the wrong shape is refused by host and field."""
    try:
        failures = cv.policy_failures(result["summary"], params["fail_policy"], params["fail_verdict"])
    except (AttributeError, TypeError) as err:
        raise fleet_report.FleetReportError("results[%s]" % host, "result-shape",
                                            "not a device_connectivity_probe result: summary is not a mapping of "
                                            "failed URL lists (%s)" % err) from err
    if not all(isinstance(url, str) for url in failures):
        raise fleet_report.FleetReportError("results[%s]" % host, "result-shape",
                                            "not a device_connectivity_probe result: summary lists a failed URL that is not text")
    return failures


def _utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


class ActionModule(ControllerAction):
    DOCUMENTATION = DOCUMENTATION

    def run_on_controller(self, params: Dict[str, Any], result: Dict[str, Any], task_vars: Dict[str, Any]) -> Dict[str, Any]:
        with fleet_report.gc_paused():
            return self._run(params, result, task_vars, bool(self._task.check_mode))

    def _run(self, params: Dict[str, Any], result: Dict[str, Any], task_vars: Mapping[str, Any],
             check_mode: bool) -> Dict[str, Any]:
        try:
            check_options(params)
            results = network_results.prepare(collect_results(params, task_vars), params["source"])
            now = _utc_now()
            generated = now.strftime("%Y-%m-%dT%H:%M:%SZ")
            fleet = fleet_report.build_fleet(results, generated, params["fail_verdict"], params["title"], params["source"])
            history_dir = params.get("history_dir")
            changes, trend, entry, warnings = history_view(history_dir, params["history_keep"], fleet, now)
            if not history_dir and set(params["formats"]) & {"summary", "json", "junit", "html"}:
                # The generation time alone must not make a report "changed": compare without it.
                fleet = _keep_unchanged_timestamp(params["dest"], fleet)
            policy_failures = {host: host_policy_failures(host, res, params)
                               for host, res in results.items() if isinstance(res, Mapping) and "summary" in res
                               # a result without a strict verdict (a file's, or probed as a user): no
                               # result, as in the fleet, never an empty list (which would read as a pass)
                               and not analyzer_import.strict_unavailable_reason(res, params["fail_verdict"])}
            # Rendered and written one format at a time: the largest format's text is the most
            # held in memory at once, not all of them.
            batches = fleet_report.iter_files(results, fleet, params["formats"], params["legacy_text"], changes, trend)
            written = fleet_report.write_report_batches(params["dest"], batches, check_mode=check_mode)
            saved: Dict[str, Any] = {"path": None, "removed": []}
            if history_dir and not check_mode:
                try:
                    saved = fleet_history.save_entry(history_dir, entry, params["history_keep"], now)
                except OSError as err:  # the reports are written; the run is not recorded
                    warnings.append(report_text.clean_text("%s: the history entry was not written: %s" % (history_dir, err)))
            metrics = params.get("metrics_file")
            if metrics and not check_mode:
                counts = fleet_history.counts(changes) if changes else None
                text = fleet_metrics.render_metrics(fleet, now.timestamp(), counts)
                os.makedirs(os.path.dirname(metrics) or ".", exist_ok=True)
                report_files.write_atomically(metrics, text)
        except OSError as err:  # an input error is reported by ControllerAction, naming the option
            result.update(failed=True, msg="dest: cannot write the reports: %s" % err)
            return result
        since = fleet_history.since_line(changes, None if history_dir else "No run history kept (history_dir is not set).")
        result.update(
            changed=bool(written["changed_files"]) or bool(history_dir) or bool(metrics),
            dest=written["dest"],
            changed_files=written["changed_files"],
            sizes=written["sizes"],
            totals=fleet["totals"],
            failed_hosts=[h["host"] for h in fleet["hosts"] if h["verdict"] != "pass"],
            policy_failures=policy_failures,
            since=since,
            msg=since,
        )
        if changes:
            result["changes"] = dict(fleet_history.counts(changes), previous_at=changes["previous_at"],
                                     new_failure_list=changes["new_failures"][:RESULT_LIST_LIMIT],
                                     recovery_list=changes["recoveries"][:RESULT_LIST_LIMIT])
        if history_dir:
            result["history"] = {"dir": history_dir, "entry": saved["path"], "removed": saved["removed"],
                                 "warnings": warnings}
            for warning in warnings:
                self._display.warning("run history: %s" % warning)
        if metrics:
            result["metrics_file"] = metrics
        if self._task.diff:
            result["diff"] = {
                "before": "".join("%s\n" % path for path in sorted(written["changed_files"])) if written["changed_files"] else "",
                "after": "".join("%s: %d bytes\n" % (path, written["sizes"][path]) for path in sorted(written["changed_files"])),
            }
        return result


def _keep_unchanged_timestamp(dest: str, fleet: Dict[str, Any]) -> Dict[str, Any]:
    """The fleet with the previous generation time when that reproduces the existing fleet JSON."""
    path = os.path.join(dest, fleet_report.FILE_NAMES["json"])
    try:
        with open(path, encoding="utf-8") as handle:
            previous = json.load(handle).get("generated_at")
    except (OSError, ValueError, AttributeError):
        return fleet
    if not previous or previous == fleet["generated_at"]:
        return fleet
    again = dict(fleet, generated_at=previous)
    if fleet_report.render_json(again) != _read(path):
        return fleet
    return again


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()
