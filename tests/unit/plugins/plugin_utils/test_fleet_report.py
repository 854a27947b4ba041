# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fleet reports: golden text and JUnit, JSON schema, HTML structure, files and the report action."""

import importlib.util
import json
import os
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from unittest.mock import MagicMock

import jsonschema
import pytest

from ansible.playbook.task import Task

from ansible_collections.purview.device_proxy.plugins.action import connectivity_report
from ansible_collections.purview.device_proxy.plugins.module_utils import analyzer_text
from ansible_collections.purview.device_proxy.plugins.plugin_utils import fleet_report
from ansible_collections.purview.device_proxy.plugins.plugin_utils import fleet_report_html

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                        "fixtures", "connectivity")
_spec = importlib.util.spec_from_file_location("regenerate_golden", os.path.join(FIXTURES, "regenerate_golden.py"))
golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden)


@pytest.fixture(scope="module")
def results():
    return golden.fleet_inputs()


@pytest.fixture(scope="module")
def fleet(results):
    return fleet_report.build_fleet(results, golden.GENERATED_AT)


def _golden_names():
    names = []
    for folder, _dirs, files in os.walk(golden.GOLDEN):
        names.extend(os.path.relpath(os.path.join(folder, name), golden.GOLDEN).replace(os.sep, "/") for name in files)
    return sorted(names)


def test_golden_set_is_complete():
    assert _golden_names() == sorted(golden.golden_files())


@pytest.mark.parametrize("name", _golden_names())
def test_renderers_match_golden_files(name):
    with open(os.path.join(golden.GOLDEN, name), encoding="utf-8", newline="") as handle:
        expected = handle.read()
    assert golden.golden_files()[name] == expected, (
        "%s differs; if the change is intended run tests/unit/fixtures/connectivity/regenerate_golden.py" % name)


def test_golden_text_reads_back_as_analyzer_text():
    for name in _golden_names():
        if name.startswith("text/"):
            with open(os.path.join(golden.GOLDEN, name), encoding="utf-8") as handle:
                blocks = analyzer_text.parse_report(handle.read())
            assert len(blocks) == 4
            assert all(set(b.methods) <= {1, 2, 3, 4, 5} for b in blocks)


# --- JSON ------------------------------------------------------------------------------------------
def test_fleet_json_follows_the_schema(fleet):
    jsonschema.Draft202012Validator.check_schema(fleet_report.FLEET_SCHEMA)
    jsonschema.validate(json.loads(fleet_report.render_json(fleet)), fleet_report.FLEET_SCHEMA)


def test_schema_rejects_a_broken_report(fleet):
    broken = json.loads(fleet_report.render_json(fleet))
    broken["hosts"][3]["results"][0]["methods"] = ["OK"] * 5
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, fleet_report.FLEET_SCHEMA)


def test_hosts_are_ordered_failures_first(fleet):
    order = [(h["verdict"], h["failed"], h["host"]) for h in fleet["hosts"]]
    assert [v for v, _f, _h in order] == ["no-result"] * 2 + ["fail"] * 3 + ["pass"] * 2
    fails = [f for v, f, _h in order if v == "fail"]
    assert fails == sorted(fails, reverse=True)
    assert fleet["totals"] == {"hosts": 7, "tested": 5, "no_result": 2, "passed": 2, "failed": 3, "urls": 4,
                               "cells": 20, "failed_cells": 8}


def test_unreachable_host_keeps_its_message(fleet):
    host = next(h for h in fleet["hosts"] if h["host"] == "win10-branch-09.corp.example")
    assert host["error"] == "ntlm: the specified credentials were rejected by the server"
    assert host["results"] == [None] * 4


def test_cells_carry_method_tokens(fleet):
    host = next(h for h in fleet["hosts"] if h["host"] == "win11-hq-07.corp.example")
    # WPAD found nothing (12180): its direct answer is not a WPAD success.
    assert host["results"][0]["methods"] == ["S200", "F12180", "S200", "F407", "S200"]
    assert host["configured"] == {"method": "named", "proxy": "proxy.corp.example:3128"}


def test_analyzer_verdict_counts_differently(results):
    fleet = fleet_report.build_fleet(results, golden.GENERATED_AT, verdict="analyzer")
    assert fleet["totals"]["failed_cells"] == 3  # settings-win on the lab host, two URLs past the deadline
    with pytest.raises(fleet_report.FleetReportError) as err:
        fleet_report.build_fleet(results, golden.GENERATED_AT, verdict="loose")
    assert err.value.field == "fail_verdict"


# --- JUnit -----------------------------------------------------------------------------------------
def test_junit_has_one_case_per_host_and_url(fleet):
    root = ET.fromstring(fleet_report.render_junit(fleet))
    suites = root.findall("testsuite")
    assert len(suites) == 7
    cases = root.findall("testsuite/testcase")
    tested = [c for c in cases if c.get("name") != "connectivity_test"]
    assert len(tested) == 20
    assert int(root.get("tests")) == len(cases) == 22
    assert int(root.get("failures")) == len(root.findall("testsuite/testcase/failure")) == 8
    assert int(root.get("errors")) == 2
    assert int(root.get("skipped")) == len(root.findall("testsuite/testcase/skipped")) == 2
    for suite in suites:
        assert int(suite.get("tests")) == len(suite.findall("testcase"))


# --- HTML ------------------------------------------------------------------------------------------
class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []
        self.ids = {}
        self.scripts = []
        self._script = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if "id" in attrs:
            self.ids[attrs["id"]] = (tag, attrs)
        if tag == "script":
            self._script = [attrs, ""]

    def handle_data(self, data):
        if self._script is not None:
            self._script[1] += data

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append(tuple(self._script))
            self._script = None


def parse_page(text):
    collector = _Collector()
    collector.feed(text)
    return collector


def test_html_is_self_contained_with_filters(fleet):
    page = parse_page(fleet_report_html.render_html(fleet))
    for tag, attrs in page.tags:
        assert "src" not in attrs, tag
        assert not (tag == "link" and "href" in attrs), "external stylesheet"
    assert page.ids["filter"][0] == "input"
    assert page.ids["status"][0] == "select"
    assert page.ids["urlfilter"][0] == "input"
    assert {"prev", "next", "pagesize", "matrix", "fleet-data"} <= set(page.ids)
    assert not re.search(r"https?://(?!json-schema)[^\"']*\.(js|css)", fleet_report_html._PAGE)


def test_html_data_lists_failures_first(fleet):
    page = parse_page(fleet_report_html.render_html(fleet))
    data_attrs, data_text = next(s for s in page.scripts if s[0].get("id") == "fleet-data")
    data = json.loads(data_text)
    verdicts = [h[1] for h in data["hosts"]]
    assert verdicts == ["no-result"] * 2 + ["fail"] * 3 + ["pass"] * 2
    letters = {h[0]: h[6] for h in data["hosts"]}
    assert letters["win11-hq-07.corp.example"] == "WWWW"      # named proxy 407, direct works
    assert letters["win10-lab-03.corp.example"] == "PPWF"     # blob TLS on default; settings-win unresolvable
    assert letters["srv2022-dc-02.corp.example"] == "WWUU"      # only "proxy disabled" answered
    assert letters["win10-branch-01.corp.example"] == "PPPP"
    assert data["hosts"][2][7] == {"0": "S200 F12180 S200 F407 S200", "1": "S200 F12180 S200 F407 S200",
                                   "2": "S400 F12180 S400 F407 S400", "3": "S200 F12180 S200 F407 S200"}


def test_html_escapes_script_breakers(results):
    hostile = dict(results)
    hostile["</script><script>alert(1)</script>"] = None
    text = fleet_report_html.render_html(fleet_report.build_fleet(hostile, golden.GENERATED_AT, title="@DATA@ <b>"))
    assert "<script>alert(1)" not in text
    assert "<title>@DATA@ &lt;b&gt;</title>" in text
    data = json.loads(next(s for s in parse_page(text).scripts if s[0].get("id") == "fleet-data")[1])
    assert data["hosts"][0][0] == "</script><script>alert(1)</script>"


# --- files -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("host,name", [("win10.corp.example", "win10.corp.example.txt"),
                                       ("..\\..\\etc/passwd", "_.._etc_passwd.txt"), ("", "_.txt")])
def test_host_file_names_are_safe(host, name):
    assert fleet_report.host_file_name(host) == name


def test_files_are_written_once(tmp_path, results, fleet):
    files = fleet_report.render_files(results, fleet, ["text", "json", "junit", "html"])
    assert sorted(files) == sorted(["connectivity-fleet.html", "connectivity-fleet.json", "connectivity-junit.xml"]
                                   + ["hosts/%s.txt" % h for h in golden.HOSTS.values()])
    first = fleet_report.write_reports(str(tmp_path), files)
    assert sorted(first["changed_files"]) == sorted(files)
    assert (tmp_path / "hosts" / "win11-hq-07.corp.example.txt").read_text() == \
        fleet_report.render_host_text(results["win11-hq-07.corp.example"])
    again = fleet_report.write_reports(str(tmp_path), files)
    assert again["changed_files"] == []
    assert again["sizes"]["connectivity-junit.xml"] == len(files["connectivity-junit.xml"].encode())


def test_check_mode_writes_nothing(tmp_path, results, fleet):
    files = fleet_report.render_files(results, fleet, ["json"])
    outcome = fleet_report.write_reports(str(tmp_path / "reports"), files, check_mode=True)
    assert outcome["changed_files"] == ["connectivity-fleet.json"]
    assert not (tmp_path / "reports").exists()


def test_unknown_format_is_refused(results, fleet):
    with pytest.raises(fleet_report.FleetReportError) as err:
        fleet_report.render_files(results, fleet, ["pdf"])
    assert (err.value.field, err.value.rule) == ("formats", "choices")


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
    assert first["failed_hosts"][:2] == ["win10-branch-09.corp.example", "win11-hq-99.corp.example"]
    assert len(first["failed_hosts"]) == 5
    second = run_report({"dest": str(tmp_path)}, task_vars)
    assert second["changed"] is False, second["changed_files"]
    fleet = json.loads((tmp_path / "connectivity-fleet.json").read_text())
    jsonschema.validate(fleet, fleet_report.FLEET_SCHEMA)


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
    assert set(failures) == set(golden.HOSTS.values())  # hosts without a result are not in it
    assert {host: len(urls) for host, urls in failures.items() if urls} == expected
