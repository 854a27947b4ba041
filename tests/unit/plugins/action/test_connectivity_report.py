# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connectivity_report action: hostvars, idempotence, check mode, options, history and metrics."""

from __future__ import annotations

import importlib.util
import json
import os
import re
from unittest.mock import MagicMock

import jsonschema
import pytest
from prometheus_client.parser import text_string_to_metric_families

from ansible.playbook.task import Task

from ansible_collections.purview.device_proxy.plugins.action import connectivity_report
from ansible_collections.purview.device_proxy.plugins.plugin_utils import fleet_schema
from ansible_collections.purview.device_proxy.plugins.plugin_utils import fleet_report

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "connectivity_report")
ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", ".."))
_spec = importlib.util.spec_from_file_location("regenerate_golden", os.path.join(FIXTURES, "regenerate_golden.py"))
golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden)


@pytest.fixture(scope="module")
def results():
    return golden.fleet_inputs()


# --- the report action -----------------------------------------------------------------------------
def run_report(args, task_vars, check_mode=False):
    task = MagicMock(Task)
    task.args = args
    task.check_mode = check_mode
    task.diff = True
    task.async_val = 0
    plugin = connectivity_report.ActionModule(task, MagicMock(), MagicMock(), loader=None, templar=None,
                                              shared_loader_obj=None)
    return plugin.run(task_vars=task_vars)


def test_action_reads_hostvars_and_is_idempotent(tmp_path, results):
    hostvars = {host: ({"connectivity_check_result": result} if result is not None else {})
                for host, result in results.items()}
    task_vars = {"hostvars": hostvars, "ansible_play_hosts_all": list(results)}
    first = run_report({"dest": str(tmp_path)}, task_vars)
    assert first.get("failed") is not True, first
    assert first["changed"] is True
    assert first["totals"]["hosts"] == 7
    # Hosts without a result first: the unreachable ones and the device probed as a user (no strict
    # verdict without SYSTEM; it passed before, which was the bug).
    assert first["failed_hosts"][:3] == ["win10-branch-09.corp.example", "win11-dev-12.corp.example",
                                         "win11-hq-99.corp.example"]
    assert len(first["failed_hosts"]) == 6
    second = run_report({"dest": str(tmp_path)}, task_vars)
    assert second["changed"] is False, second["changed_files"]
    fleet = json.loads((tmp_path / "connectivity-fleet.json").read_text())
    jsonschema.validate(fleet, fleet_schema.FLEET_SCHEMA)


def test_action_check_mode_and_bad_options(tmp_path, results):
    outcome = run_report({"dest": str(tmp_path / "r"), "results": results, "formats": ["junit"]}, {}, check_mode=True)
    assert outcome["changed_files"] == ["connectivity-junit.xml"]
    assert not (tmp_path / "r").exists()
    bad = run_report({"dest": str(tmp_path), "results": results, "formats": ["pdf"]}, {})
    assert bad["failed"] is True and bad["invalid_option"] == "formats"
    empty = run_report({"dest": str(tmp_path)}, {"hostvars": {}, "ansible_play_hosts_all": []})
    assert empty["failed"] is True and empty["invalid_option"] == "hosts"


@pytest.mark.parametrize("policy,expected", [
    ("any", {"win11-hq-07.corp.example": 4, "win10-lab-03.corp.example": 2, "srv2022-dc-02.corp.example": 2}),
    ("required", {"win11-hq-07.corp.example": 3, "win10-lab-03.corp.example": 1, "srv2022-dc-02.corp.example": 2}),
    ("never", {}),
])
def test_action_lists_policy_failures_per_tested_host(tmp_path, results, policy, expected):
    outcome = run_report({"dest": str(tmp_path), "results": results, "formats": ["json"], "fail_policy": policy}, {})
    failures = outcome["policy_failures"]
    # Hosts without a result are not in it: the unreachable ones, and the device probed as a user
    # whose route depends on the account (no strict verdict, never an empty list that reads as a pass).
    assert set(failures) == set(golden.HOSTS.values()) - {golden.HOSTS["not_system"]}
    assert {host: len(urls) for host, urls in failures.items() if urls} == expected


# --- history and metrics ---------------------------------------------------------------------------
def test_action_compares_with_the_previous_run(tmp_path, results):
    history = tmp_path / "history"
    metrics = tmp_path / "textfile" / "purview.prom"
    args = {"dest": str(tmp_path / "r"), "history_dir": str(history), "history_keep": 2, "metrics_file": str(metrics)}
    yesterday = dict(results)
    yesterday["win11-hq-07.corp.example"] = results["win10-branch-01.corp.example"]
    first = run_report(dict(args, results=yesterday), {})
    assert first.get("failed") is not True, first
    assert first["since"] == "No earlier run to compare with."
    assert "changes" not in first
    second = run_report(dict(args, results=results), {})
    assert second["changes"]["new_failures"] == 4 and second["changes"]["recoveries"] == 0
    assert second["since"].startswith("Since ") and second["since"].endswith(": 4 new failures, 0 recoveries.")
    assert second["msg"] == second["since"]
    assert ["win11-hq-07.corp.example", "https://winatp-gw-cus.microsoft.com/commands/test"] in \
        second["changes"]["new_failure_list"]
    summary = (tmp_path / "r" / "connectivity-summary.txt").read_text()
    assert summary.splitlines()[2] == second["since"]
    assert '<section id="since">' in (tmp_path / "r" / "connectivity-fleet.html").read_text()
    families = {f.name: f for f in text_string_to_metric_families(metrics.read_text())}
    kinds = {s.labels["kind"]: s.value for s in families["purview_connectivity_changes"].samples}
    assert kinds["new_failures"] == 4
    run_report(dict(args, results=results), {})
    assert len(os.listdir(history)) == 2  # history_keep
    assert second["history"]["warnings"] == []


def test_action_check_mode_keeps_the_history_as_it_is(tmp_path, results):
    history = tmp_path / "history"
    args = {"dest": str(tmp_path / "r"), "results": results, "history_dir": str(history),
            "metrics_file": str(tmp_path / "m.prom")}
    run_report(args, {})
    before = sorted(os.listdir(history))
    outcome = run_report(args, {}, check_mode=True)
    assert outcome.get("failed") is not True, outcome
    assert outcome["since"].startswith("Since ")
    assert sorted(os.listdir(history)) == before
    assert outcome["history"]["entry"] is None


@pytest.mark.parametrize("extra,field", [
    ({"history_dir": "H", "history_keep": 0}, "history_keep"),
    ({"history_dir": "H", "history_keep": 100000}, "history_keep"),
    ({"metrics_file": "metrics.txt"}, "metrics_file"),
])
def test_action_refuses_bad_history_and_metrics_options_before_writing(tmp_path, results, extra, field):
    extra = {key: (str(tmp_path / value) if key in ("history_dir", "metrics_file") else value) for key, value in extra.items()}
    outcome = run_report(dict({"dest": str(tmp_path / "r"), "results": results}, **extra), {})
    assert outcome["failed"] is True and outcome["invalid_option"] == field, outcome
    assert not (tmp_path / "r").exists()


def test_action_names_the_host_of_a_malformed_result(tmp_path, results):
    bad = dict(results)
    bad["win11-hq-07.corp.example"] = {"urls": [{"url": "https://x.example"}], "summary": {}}
    outcome = run_report({"dest": str(tmp_path), "results": bad}, {})
    assert outcome["failed"] is True
    assert outcome["invalid_option"] == "results[win11-hq-07.corp.example]"
    assert "urls[0].channel" in outcome["msg"]


def _report_example_tool():
    spec = importlib.util.spec_from_file_location("report_example", os.path.join(ROOT, "tools", "build", "report_example.py"))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


def test_the_shipped_report_example_data_is_the_recorded_results(results):
    # examples/reports is what playbooks/report_example.yml renders (tests/unit/playbooks/test_report_example_playbook.py);
    # it must be the action's own results for the recorded fixtures, not a hand-edited copy.
    tool = _report_example_tool()
    assert tool.main(["--check"]) == 0
    with open(os.path.join(ROOT, "examples", "reports", "results.json"), encoding="utf-8") as handle:
        assert json.load(handle) == results


def test_the_report_example_check_finds_a_stale_file(tmp_path):
    tool = _report_example_tool()
    assert tool.main(["--dest", str(tmp_path)]) == 0
    assert tool.main(["--dest", str(tmp_path), "--check"]) == 0
    path = tmp_path / "results.json"
    path.write_text(path.read_text(encoding="utf-8").replace('"status_code": null', '"status_code": 200', 1), encoding="utf-8")
    assert tool.main(["--dest", str(tmp_path), "--check"]) == 1


def test_reports_page_counts_the_example_data_as_the_reports_do(results):
    # docs/reports.md describes `make report-example`'s data in numbers; they are the fleet's totals.
    with open(os.path.join(ROOT, "docs", "reports.md"), encoding="utf-8") as handle:
        text = " ".join(handle.read().split())
    said = re.search(r"render them from the example data \((\d+) devices, (\d+) of them without a result", text)
    assert said, "docs/reports.md no longer describes the example data"
    totals = fleet_report.build_fleet(results, golden.GENERATED_AT)["totals"]
    assert (int(said.group(1)), int(said.group(2))) == (totals["hosts"], totals["no_result"])
