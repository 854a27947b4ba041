# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run history: every transition kind, schema versions, retention, concurrent writers, metrics."""

from __future__ import annotations

import copy
import importlib.util
import json
import multiprocessing
import os

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ansible_collections.purview.device_proxy.plugins.plugin_utils import fleet_history
from ansible_collections.purview.device_proxy.plugins.plugin_utils import fleet_metrics
from ansible_collections.purview.device_proxy.plugins.plugin_utils import fleet_report
from ansible_collections.purview.device_proxy.plugins.plugin_utils import fleet_report_html

# The golden reports sit beside the tests of the action that writes them.
FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "action", "fixtures",
                        "connectivity_report")
_spec = importlib.util.spec_from_file_location("regenerate_golden", os.path.join(FIXTURES, "regenerate_golden.py"))
golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden)

HQ = "win11-hq-07.corp.example"        # named proxy answers 407 on every URL: four strict failures
BRANCH = "win10-branch-01.corp.example"  # passes everything
LAB = "win10-lab-03.corp.example"
C2 = "https://winatp-gw-cus.microsoft.com/commands/test"


@pytest.fixture(scope="module")
def results():
    return golden.fleet_inputs()


def entry(results, when="2026-07-03T09:00:00Z", verdict="strict"):
    return fleet_history.entry_from_fleet(fleet_report.build_fleet(results, when, verdict))


# --- transitions -----------------------------------------------------------------------------------
def test_identical_runs_change_nothing(results):
    changes = fleet_history.compare(entry(results, "2026-07-02T09:00:00Z"), entry(results))
    assert fleet_history.counts(changes) == dict.fromkeys(fleet_history.COUNT_KEYS, 0)
    assert changes["changed_cells"] == {}
    assert fleet_history.since_line(changes) == "Since 2026-07-02T09:00:00Z: 0 new failures, 0 recoveries."


def test_new_failures_and_recoveries(results):
    before = dict(results)
    before[HQ] = results[BRANCH]      # passed yesterday
    after = dict(results)
    after[BRANCH] = results[HQ]       # fails today; HQ fails today too
    changes = fleet_history.compare(entry(before, "2026-07-02T09:00:00Z"), entry(after))
    assert sorted(changes["new_failures"]) == sorted([[HQ, u] for u in _urls(results)] + [[BRANCH, u] for u in _urls(results)])
    assert changes["recoveries"] == []
    assert set(changes["changed_cells"]) == {HQ, BRANCH}
    assert changes["changed_cells"][HQ] == {0: "P", 1: "P", 2: "P", 3: "P"}
    back = fleet_history.compare(entry(after, "2026-07-02T09:00:00Z"), entry(before))
    assert sorted(back["recoveries"]) == sorted([[HQ, u] for u in _urls(results)] + [[BRANCH, u] for u in _urls(results)])
    assert back["new_failures"] == []


def _urls(results):
    return [u["url"] for u in results[HQ]["urls"]]


def test_hosts_appear_disappear_lose_and_regain_results(results):
    before = {h: r for h, r in results.items() if h != LAB}
    before["win10-gone-01.corp.example"] = results[BRANCH]
    before["win10-branch-09.corp.example"] = results[BRANCH]          # tested yesterday, unreachable today
    after = dict(results)
    after["win11-hq-99.corp.example"] = results[BRANCH]               # no result yesterday, tested today
    changes = fleet_history.compare(entry(before, "2026-07-02T09:00:00Z"), entry(after))
    assert changes["hosts_appeared"] == [LAB]
    assert changes["hosts_disappeared"] == ["win10-gone-01.corp.example"]
    assert changes["hosts_lost"] == ["win10-branch-09.corp.example"]
    assert changes["hosts_back"] == ["win11-hq-99.corp.example"]
    # Cells of a host without a baseline are not called new failures.
    assert not any(h in (LAB, "win11-hq-99.corp.example") for h, _u in changes["new_failures"])


def test_catalog_change_adds_and_removes_urls(results):
    after = copy.deepcopy(results)
    for result in after.values():
        if isinstance(result, dict) and "urls" in result:
            result["urls"][0]["url"] = "https://new-endpoint.microsoft.com/test"
    changes = fleet_history.compare(entry(results, "2026-07-02T09:00:00Z"), entry(after))
    assert changes["urls_added"] == ["https://new-endpoint.microsoft.com/test"]
    assert changes["urls_removed"] == [C2]
    # The URLs that stayed keep their state: no transitions from the remapping.
    assert changes["new_failures"] == [] and changes["recoveries"] == []
    assert "1 URL added, 1 URL removed" in fleet_history.since_line(changes)


def test_configured_method_changes(results):
    after = copy.deepcopy(results)
    after[HQ]["configured"]["method"] = "default"
    changes = fleet_history.compare(entry(results, "2026-07-02T09:00:00Z"), entry(after))
    assert changes["method_changes"] == [[HQ, "named", "default"]]


def test_the_current_verdict_decides(results):
    """Strict yesterday and analyzer today: cells compare by today's verdict, not yesterday's letters."""
    changes = fleet_history.compare(entry(results, "2026-07-02T09:00:00Z", "strict"), entry(results, verdict="analyzer"))
    assert changes["new_failures"] == [] and changes["recoveries"] == []


# --- the folder ------------------------------------------------------------------------------------
def test_entries_round_trip_and_retention(tmp_path, results):
    folder = str(tmp_path / "history")
    written = []
    for day in range(1, 6):
        saved = fleet_history.save_entry(folder, entry(results, "2026-07-0%dT09:00:00Z" % day), keep=3)
        written.append(os.path.basename(saved["path"]))
    names = fleet_history.entry_names(folder)
    assert names == written[-3:]
    entries, warnings = fleet_history.load_entries(folder, 3)
    assert warnings == []
    assert [e["generated_at"] for e in entries] == ["2026-07-05T09:00:00Z", "2026-07-04T09:00:00Z", "2026-07-03T09:00:00Z"]
    assert entries[0]["hosts"] == entry(results)["hosts"]
    assert "hosts" not in entries[1]  # older entries: header only, for the trend
    trend = fleet_history.trend(list(reversed(entries)))
    assert trend["urls"][C2] == [2, 2, 2]


def test_keep_is_checked(tmp_path, results):
    for bad in (0, -1, True, 1.5, "3", fleet_history.MAX_KEEP + 1):
        with pytest.raises(fleet_history.HistoryError) as err:
            fleet_history.save_entry(str(tmp_path), entry(results), keep=bad)
        assert err.value.field == "history_keep"
    assert not fleet_history.entry_names(str(tmp_path))


def test_other_schema_versions_are_refused_by_name(tmp_path, results):
    folder = tmp_path / "history"
    fleet_history.save_entry(str(folder), entry(results, "2026-07-01T09:00:00Z"), keep=10)
    newer = dict(entry(results, "2026-07-02T09:00:00Z"), version=fleet_history.SCHEMA_VERSION + 1)
    (folder / "run-20260702T090000.000000Z-1-aaaaaaaa.jsonl").write_bytes(fleet_history.encode_entry(newer))
    (folder / "run-20260703T090000.000000Z-1-bbbbbbbb.jsonl").write_text("not json\n")
    entries, warnings = fleet_history.load_entries(str(folder), 10)
    # The readable older entry is used; the two others are named with the reason, never misread.
    assert [e["generated_at"] for e in entries] == ["2026-07-01T09:00:00Z"]
    assert len(warnings) == 2
    assert "run-20260702" in warnings[1] and "history schema version 2, this collection reads version 1" in warnings[1]
    assert "newer collection" in warnings[1]
    assert "run-20260703" in warnings[0] and "not valid JSON" in warnings[0]


def test_a_fleet_json_is_read_as_an_entry(tmp_path, results):
    fleet = fleet_report.build_fleet(results, "2026-07-01T09:00:00Z")
    path = tmp_path / "run-20260701T090000.000000Z-1-cccc.jsonl"
    path.write_text(fleet_report.render_json(fleet, indent=1))
    assert fleet_history.read_entry(str(path)) == fleet_history.entry_from_fleet(fleet)
    old = dict(json.loads(fleet_report.render_json(fleet)), version=99)
    path.write_text(json.dumps(old))
    with pytest.raises(fleet_history.HistoryError, match="fleet report schema version 99"):
        fleet_history.read_entry(str(path))


def _writer(folder, results, count, keep):
    for index in range(count):
        fleet_history.save_entry(folder, entry(results, "2026-07-01T09:00:%02dZ" % index), keep=keep)


def test_two_runs_at_once_leave_a_sound_folder(tmp_path, results):
    folder = str(tmp_path / "history")
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_writer, args=(folder, results, 25, 4)) for _worker in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    names = os.listdir(folder)
    assert not [n for n in names if n.startswith(".")], "temporary files left behind"
    # Whoever pruned last saw every entry: exactly the newest four remain, and every one reads.
    assert len(fleet_history.entry_names(folder)) == 4
    entries, warnings = fleet_history.load_entries(folder, 10, header_only_after=10)
    assert warnings == [] and len(entries) == 4
    assert all(e["hosts"] == entry(results)["hosts"] for e in entries)


# --- HTML with history -----------------------------------------------------------------------------
def test_html_opens_with_the_since_section_and_marks_changed_cells(results):
    before = dict(results)
    before[HQ] = results[BRANCH]
    previous, current = entry(before, "2026-07-02T09:00:00Z"), entry(results)
    changes = fleet_history.compare(previous, current)
    trend = fleet_history.trend([previous, current])
    page = fleet_report_html.render_html(fleet_report.build_fleet(results, golden.GENERATED_AT), changes, trend)
    assert page.index('<section id="since">') < page.index('id="matrix"')
    assert "<h2>Since 2026-07-02T09:00:00Z</h2>" in page
    assert "4 new failures" in page
    assert "%s: %s</li>" % (HQ, C2) in page
    assert page.count('<svg class="spark"') == 4
    data = json.loads(page.split('id="fleet-data">')[1].split("</script>")[0])
    row = next(h for h in data["hosts"] if h[0] == HQ)
    assert row[9] == {"0": "P", "1": "P", "2": "P", "3": "P"}
    assert all(h[9] == {} for h in data["hosts"] if h[0] != HQ)


def test_html_without_history_has_no_since_section(results):
    page = fleet_report_html.render_html(fleet_report.build_fleet(results, golden.GENERATED_AT))
    assert 'id="since"' not in page


# --- metrics ---------------------------------------------------------------------------------------
def test_metrics_parse_with_prometheus_client_and_carry_the_series(results):
    hostile = dict(results)
    hostile['odd"host\\name\nx'] = None
    fleet = fleet_report.build_fleet(hostile, golden.GENERATED_AT)
    text = fleet_metrics.render_metrics(fleet, 1783069200.0, {"new_failures": 3, "recoveries": 1})
    families = {f.name: f for f in text_string_to_metric_families(text)}
    prefix = fleet_metrics.PREFIX
    assert set(families) == {prefix + name for name in fleet_metrics.SERIES}
    assert all(f.type == "gauge" and f.documentation for f in families.values())
    url = {(s.labels["url"], s.labels["channel"], s.labels["required"]): s.value
           for s in families[prefix + "url_failing_hosts"].samples}
    assert url[(C2, "command-and-control", "true")] == 2
    failed = {s.labels["host"]: s.value for s in families[prefix + "host_failed_urls"].samples}
    assert failed[HQ] == 4 and failed[BRANCH] == 0
    tested = {s.labels["host"]: s.value for s in families[prefix + "host_tested"].samples}
    assert tested['odd"host\\name\nx'] == 0 and tested[HQ] == 1
    methods = {s.labels["host"]: s.labels["method"] for s in families[prefix + "host_configured_method"].samples}
    assert methods[HQ] == "named"
    states = {s.labels["state"]: s.value for s in families[prefix + "hosts"].samples}
    # The device probed as a user has no strict result (it passed before, which was the bug).
    assert states == {"passed": 1, "failed": 3, "no_result": 4}
    channels = {s.labels["channel"]: s.value for s in families[prefix + "channel_failing_hosts"].samples}
    assert channels["command-and-control"] == 2
    assert families[prefix + "run_timestamp_seconds"].samples[0].value == 1783069200.0
    assert families[prefix + "run_duration_seconds"].samples[0].value > 0
    changes = {s.labels["kind"]: s.value for s in families[prefix + "changes"].samples}
    assert changes == {"new_failures": 3, "recoveries": 1}
    for line in text.splitlines():
        if not line.startswith("#"):
            assert line.startswith(prefix)
