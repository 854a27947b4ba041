# -*- coding: utf-8 -*-
"""The analyzer_results action: options, the example folder, and its results in connectivity_report."""

from __future__ import annotations

import os
from unittest.mock import MagicMock

import yaml
from ansible.playbook.task import Task

from ansible_collections.purview.device_proxy.plugins.action import analyzer_results, connectivity_report
from ansible_collections.purview.device_proxy.plugins.modules import analyzer_results as docs

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
EXAMPLES = os.path.join(REPO, "examples", "analyzer")


def run(plugin_class, args, check_mode=False):
    task = MagicMock(Task)
    task.args = args
    task.check_mode = check_mode
    task.diff = False
    task.async_val = 0
    plugin = plugin_class.ActionModule(task, MagicMock(), MagicMock(), loader=None, templar=None, shared_loader_obj=None)
    return plugin.run(task_vars={})


def test_documentation_is_valid_yaml():
    for text in (docs.DOCUMENTATION, docs.EXAMPLES, docs.RETURN):
        assert yaml.safe_load(text)


def test_unknown_option_and_missing_folder_are_refused_by_name(tmp_path):
    result = run(analyzer_results, {"path": str(tmp_path), "colour": "red"})
    assert result["failed"] and "colour" in result["msg"]
    result = run(analyzer_results, {"path": str(tmp_path / "nowhere")})
    assert result["failed"] and result["invalid_option"] == "path" and "is not a folder" in result["msg"]
    result = run(analyzer_results, {"path": str(tmp_path)})
    assert result["failed"] and result["rule"] == "no-results"
    assert run(analyzer_results, {"path": str(tmp_path), "require_results": False})["results"] == {}


def test_the_example_folder_into_the_reports(tmp_path):
    imported = run(analyzer_results, {"path": EXAMPLES})
    assert imported.get("failed") is not True, imported
    assert imported["changed"] is False
    statuses = {d["device"]: d["status"] for d in imported["devices"]}
    assert statuses == {"branch-pc-03": "read", "hq-desktop-01": "read", "hq-laptop-02": "read",
                        "lab-vm-05": "read", "old-pc-04": "error"}
    (error,) = imported["errors"]
    assert "old-pc-04/MDEClientAnalyzerResult.txt: line" in error and "cut short" in error
    report = run(connectivity_report, {"dest": str(tmp_path), "results": imported["results"],
                                       "fail_verdict": "analyzer"})
    assert report.get("failed") is not True, report
    assert report["totals"]["hosts"] == 5 and report["totals"]["no_result"] == 1
    assert sorted(report["failed_hosts"]) == ["hq-laptop-02", "old-pc-04"]
    strict = run(connectivity_report, {"dest": str(tmp_path / "strict"), "results": imported["results"],
                                       "fail_policy": "any"})
    assert strict["totals"]["passed"] == 0 and strict["totals"]["no_result"] == 5
    assert strict["policy_failures"] == {}  # no strict verdict: never an empty list of failures (a pass)
    assert len(strict["failed_hosts"]) == 5
    by_analyzer = run(connectivity_report, {"dest": str(tmp_path / "a"), "results": imported["results"],
                                            "fail_verdict": "analyzer", "fail_policy": "any"})
    assert by_analyzer["policy_failures"]["hq-laptop-02"] == ["https://eu-v20.events.data.microsoft.com/ping"]
    assert by_analyzer["policy_failures"]["hq-desktop-01"] == []


# --- golden reports of the example files ---------------------------------------------------------------
import importlib.util  # noqa: E402

import pytest  # noqa: E402

_FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "analyzer_results")
_spec = importlib.util.spec_from_file_location("analyzer_golden", os.path.join(_FIXTURES, "regenerate_golden.py"))
golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden)


def _golden_names():
    names = []
    for root, _dirs, files in os.walk(golden.GOLDEN):
        names += [os.path.relpath(os.path.join(root, f), golden.GOLDEN).replace(os.sep, "/") for f in files]
    return sorted(names)


def test_every_golden_file_is_still_rendered():
    assert _golden_names() == sorted(golden.golden_files())


@pytest.mark.parametrize("name", _golden_names())
def test_reports_of_the_example_files_match_golden_files(name):
    with open(os.path.join(golden.GOLDEN, name), encoding="utf-8", newline="") as handle:
        expected = handle.read()
    assert golden.golden_files()[name] == expected, (
        "%s differs; if the change is intended run tests/unit/plugins/action/fixtures/analyzer_results/regenerate_golden.py"
        % name)
