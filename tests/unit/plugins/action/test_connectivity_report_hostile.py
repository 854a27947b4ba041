# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connectivity_report action against what devices and history folders can hand it.

Secrets in a device's proxy settings, terminal escapes and unpaired surrogates in host names and
errors, a history that cannot be read: the reports are always written, and nothing a device
reported ends up on a terminal or in a file as a credential or an escape sequence.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import re
import subprocess
from unittest.mock import MagicMock

import pytest

from ansible.playbook.task import Task

from ansible_collections.purview.device_proxy.plugins.action import connectivity_report
from ansible_collections.purview.device_proxy.plugins.plugin_utils import connectivity_verdict as cv
from ansible_collections.purview.device_proxy.plugins.plugin_utils import fleet_history
from ansible_collections.purview.device_proxy.plugins.plugin_utils import fleet_report

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures", "connectivity_report")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(HERE))))
_spec = importlib.util.spec_from_file_location("regenerate_golden", os.path.join(FIXTURES, "regenerate_golden.py"))
golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden)

HQ = "win11-hq-07.corp.example"
SECRET = "s3cr3t-Pa55"
# The user name is one no other fixture uses (the not-SYSTEM device runs as CORP\alice).
PROXY_USER = "proxyuser-q7"
CREDENTIALS = "http://%s:%s@proxy.corp.example:8080" % (PROXY_USER, SECRET)


@pytest.fixture(scope="module")
def results():
    return golden.fleet_inputs()


def run_report(args, task_vars=None, check_mode=False):
    task = MagicMock(Task)
    task.args = args
    task.check_mode = check_mode
    task.diff = True
    task.async_val = 0
    plugin = connectivity_report.ActionModule(task, MagicMock(), MagicMock(), loader=None, templar=None,
                                              shared_loader_obj=None)
    return plugin.run(task_vars=task_vars or {})


def every_output(folder):
    """{relative path: text} of every file under ``folder``."""
    files = {}
    for base, _dirs, names in os.walk(folder):
        for name in names:
            path = os.path.join(base, name)
            with open(path, "rb") as handle:
                files[os.path.relpath(path, folder)] = handle.read().decode("utf-8")
    return files


# --- history that cannot be used -------------------------------------------------------------------
def test_reports_are_written_past_a_malformed_newest_entry(tmp_path, results):
    history = tmp_path / "history"
    args = {"dest": str(tmp_path / "r"), "results": results, "history_dir": str(history)}
    assert not run_report(args).get("failed")
    bad = fleet_history.entry_from_fleet(fleet_report.build_fleet(results, "2026-07-02T09:00:00Z"))
    bad["hosts"][HQ] = 5
    bad["generated_at"] = 20260702
    name = "run-20990101T000000.000000Z-4242-0000beef.jsonl"
    (history / name).write_bytes(fleet_history.encode_entry(bad))
    (tmp_path / "r" / "connectivity-fleet.json").unlink()
    outcome = run_report(args)
    assert outcome.get("failed") is not True, outcome
    assert (tmp_path / "r" / "connectivity-fleet.json").exists()
    assert outcome["since"].startswith("Since ")  # compared with the good first run
    assert len(outcome["history"]["warnings"]) == 1 and name in outcome["history"]["warnings"][0]
    assert (history / name).exists()
    # And the run after that too: the bad entry stays, warned about, and stops nothing.
    again = run_report(args)
    assert again.get("failed") is not True and len(again["history"]["warnings"]) == 1


def test_reports_are_written_when_the_history_cannot_be_read_at_all(tmp_path, results):
    history = tmp_path / "history"
    history.write_text("a file where the history folder should be")
    outcome = run_report({"dest": str(tmp_path / "r"), "results": results, "history_dir": str(history)})
    assert outcome.get("failed") is not True, outcome
    assert (tmp_path / "r" / "connectivity-fleet.html").exists()
    assert outcome["history"]["warnings"] and "history" in outcome["history"]["warnings"][0]
    assert outcome["history"]["entry"] is None


def test_seeding_as_documented_works(tmp_path, results):
    """docs/reports.md shows how to seed the history with an existing fleet JSON: run exactly that."""
    with open(os.path.join(ROOT, "docs", "reports.md"), encoding="utf-8") as handle:
        text = handle.read()
    block = re.search(r"<!-- seed-example -->\s*```sh\n(.*?)```", text, re.S)
    assert block, "docs/reports.md has no seeding example"
    reports = tmp_path / "reports" / "connectivity"
    reports.mkdir(parents=True)
    seed_fleet = fleet_report.build_fleet(results, "2026-06-30T09:00:00Z")
    (reports / "connectivity-fleet.json").write_text(fleet_report.render_json(seed_fleet, indent=1))
    subprocess.run(["bash", "-euc", block.group(1)], cwd=str(tmp_path), check=True, timeout=30)
    outcome = run_report({"dest": str(reports), "results": results, "history_dir": str(reports / "history")})
    assert outcome.get("failed") is not True, outcome
    assert outcome["history"]["warnings"] == []
    assert outcome["since"].startswith("Since 2026-06-30T09:00:00Z: "), outcome["since"]


# --- credentials in the proxy settings a device reports --------------------------------------------
def credentialled_results(results):
    """HQ reports a named proxy with user information, in every proxy field the device returns."""
    data = {}
    with open(os.path.join(HERE, "fixtures", "device_connectivity_probe", "named_proxy_auth_required.json"),
              encoding="utf-8") as handle:
        data = json.load(handle)
    raw = copy.deepcopy(data["result"]["raw"])
    raw["telemetry_proxy_server"] = CREDENTIALS
    for probe in raw["probes"]:
        if probe.get("proxy"):
            probe["proxy"] = CREDENTIALS
        if probe.get("proxy_used") not in (None, "direct"):
            probe["proxy_used"] = CREDENTIALS
    from ansible_collections.purview.device_proxy.plugins.action.device_connectivity_probe import task_result

    specs = [cv.normalise_url_spec(item, index) for index, item in enumerate(data["urls"])]
    hostile = dict(results)
    hostile[HQ] = task_result(specs, raw, {})
    assert SECRET in json.dumps(hostile[HQ])  # the device result itself carries it
    hostile["win10-branch-09.corp.example"] = {"unreachable": True,
                                               "msg": "proxy %s refused the connection" % CREDENTIALS}
    return hostile


def test_credentials_in_a_reported_proxy_are_redacted_everywhere(tmp_path, results):
    hostile = credentialled_results(results)
    history = tmp_path / "history"
    args = {"dest": str(tmp_path / "r"), "results": hostile, "history_dir": str(history),
            "metrics_file": str(tmp_path / "m.prom")}
    run_report(args)
    outcome = run_report(args)
    assert outcome.get("failed") is not True, outcome
    files = every_output(tmp_path / "r")
    files.update(("history/" + k, v) for k, v in every_output(history).items())
    files["m.prom"] = (tmp_path / "m.prom").read_text()
    files["task result"] = json.dumps(outcome)
    leaks = sorted(name for name, text in files.items() if SECRET in text or PROXY_USER in text)
    assert leaks == [], "credentials in %s" % leaks
    fleet = json.loads(files["connectivity-fleet.json"])
    host = next(h for h in fleet["hosts"] if h["host"] == HQ)
    assert host["configured"]["proxy"] == "http://***@proxy.corp.example:8080"
    assert "***@proxy.corp.example:8080" in files["hosts/%s.txt" % HQ]


# --- terminal escapes and unpaired surrogates ------------------------------------------------------
EVIL_HOST = "evil\x1b[2J\x1b]0;owned\x07host\r"
EVIL_ERROR = "unreachable\x1b[31m: boom\r\x1b[1Afake line\x9b2J\x00"
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def test_summary_per_host_text_and_notes_carry_no_escapes(tmp_path, results):
    hostile = copy.deepcopy(results)
    hostile[EVIL_HOST] = {"unreachable": True, "msg": EVIL_ERROR}
    hostile[HQ]["analyzer_text"] = "Testing URL : https://x.example\x1b[2K\r\n1 - Default proxy: Failed (\x1b]8;;x\x07)\n"
    history = tmp_path / "history"
    history.mkdir()
    (history / "run-\x1b[31mred.jsonl").write_text("{}")
    outcome = run_report({"dest": str(tmp_path / "r"), "results": hostile, "history_dir": str(history)})
    assert outcome.get("failed") is not True, outcome
    files = every_output(tmp_path / "r")
    summary = files["connectivity-summary.txt"]
    assert not CONTROL.search(summary), repr(summary)
    assert "evil" in summary and "boom" in summary
    text = files["hosts/%s.txt" % HQ]
    assert not CONTROL.search(text), repr(text)
    for note in outcome["history"]["warnings"] + [outcome["msg"], outcome["since"]]:
        assert not CONTROL.search(note), repr(note)
    assert outcome["history"]["warnings"], "the odd file name is warned about"


def test_unpaired_surrogates_are_replaced_in_every_writer(tmp_path, results):
    hostile = copy.deepcopy(results)
    hostile["bad\ud800host"] = {"unreachable": True, "msg": "error \udcff text"}
    hostile[HQ]["urls"][0]["diagnosis"] = "diagnosis \ud83d alone"
    hostile[HQ]["analyzer_text"] = "text \udfff\n"
    outcome = run_report({"dest": str(tmp_path / "r"), "results": hostile, "history_dir": str(tmp_path / "h"),
                          "metrics_file": str(tmp_path / "m.prom")})
    assert outcome.get("failed") is not True, outcome
    files = every_output(tmp_path / "r")  # decoding as strict UTF-8 succeeds
    fleet = json.loads(files["connectivity-fleet.json"])
    assert "bad\ufffdhost" in [h["host"] for h in fleet["hosts"]]
    assert "bad\ufffdhost" in files["connectivity-fleet.html"]
    assert "bad\ufffdhost" in files["connectivity-junit.xml"]
    assert "bad\ufffdhost" in files["connectivity-summary.txt"]
    assert "text \ufffd" in files["hosts/%s.txt" % HQ]
    again = run_report({"dest": str(tmp_path / "r"), "results": hostile, "formats": ["json", "junit", "text"]})
    assert again.get("failed") is not True, again
