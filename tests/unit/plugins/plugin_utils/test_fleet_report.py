# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fleet reports: golden text and JUnit, JSON schema, HTML structure, files.

The connectivity_report action is tested in tests/unit/plugins/action/test_connectivity_report.py.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import jsonschema
import pytest

from ansible_collections.purview.device_proxy.plugins.module_utils import analyzer_text
from ansible_collections.purview.device_proxy.plugins.plugin_utils import fleet_schema
from ansible_collections.purview.device_proxy.plugins.plugin_utils import fleet_report
from ansible_collections.purview.device_proxy.plugins.plugin_utils import fleet_report_html

# The golden reports sit beside the tests of the action that writes them.
FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "action", "fixtures",
                        "connectivity_report")
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
        "%s differs; if the change is intended run tests/unit/plugins/action/fixtures/connectivity_report/regenerate_golden.py" % name)


def test_golden_text_reads_back_as_analyzer_text():
    for name in _golden_names():
        if name.startswith("text/"):
            with open(os.path.join(golden.GOLDEN, name), encoding="utf-8") as handle:
                blocks = analyzer_text.parse_report(handle.read())
            assert len(blocks) == 4
            assert all(set(b.methods) <= {1, 2, 3, 4, 5} for b in blocks)


# --- JSON ------------------------------------------------------------------------------------------
def test_fleet_json_follows_the_schema(fleet):
    jsonschema.Draft202012Validator.check_schema(fleet_schema.FLEET_SCHEMA)
    jsonschema.validate(json.loads(fleet_report.render_json(fleet)), fleet_schema.FLEET_SCHEMA)


def test_schema_rejects_a_broken_report(fleet):
    broken = json.loads(fleet_report.render_json(fleet))
    broken["hosts"][3]["results"][0]["methods"] = ["OK"] * 5
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, fleet_schema.FLEET_SCHEMA)


def test_a_device_report_names_no_source_and_an_unknown_source_is_refused(results, fleet):
    assert "source" not in fleet  # unchanged from before network reports existed
    network = fleet_report.build_fleet(results, golden.GENERATED_AT, source="network")
    assert network["source"] == "network"
    jsonschema.validate(json.loads(fleet_report.render_json(network)), fleet_schema.FLEET_SCHEMA)
    with pytest.raises(fleet_report.FleetReportError) as err:
        fleet_report.build_fleet(results, golden.GENERATED_AT, source="satellite")
    assert (err.value.field, err.value.rule) == ("source", "choices")


def test_hosts_are_ordered_failures_first(fleet):
    order = [(h["verdict"], h["failed"], h["host"]) for h in fleet["hosts"]]
    # Three without a result: two unreachable, and the device probed as a user (no strict verdict).
    assert [v for v, _f, _h in order] == ["no-result"] * 3 + ["fail"] * 3 + ["pass"] * 1
    fails = [f for v, f, _h in order if v == "fail"]
    assert fails == sorted(fails, reverse=True)
    assert fleet["totals"] == {"hosts": 7, "tested": 4, "no_result": 3, "passed": 1, "failed": 3, "urls": 4,
                               "cells": 16, "failed_cells": 8}


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
    tested = [c for c in cases if c.get("name") != "device_connectivity_probe"]
    assert len(tested) == 16
    assert int(root.get("tests")) == len(cases) == 19
    assert int(root.get("failures")) == len(root.findall("testsuite/testcase/failure")) == 8
    # Two unreachable hosts, and the host that ran as another account than SYSTEM: its route
    # (method 1) depends on the account, so it has no strict result, never a pass.
    assert int(root.get("errors")) == 3
    assert "not SYSTEM" in ET.tostring(root, encoding="unicode")
    # Two URLs past the deadline.
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
    assert verdicts == ["no-result"] * 3 + ["fail"] * 3 + ["pass"] * 1
    letters = {h[0]: h[6] for h in data["hosts"]}
    assert letters["win11-hq-07.corp.example"] == "WWWW"      # named proxy 407, direct works
    assert letters["win10-lab-03.corp.example"] == "PPWF"     # blob TLS on default; settings-win unresolvable
    assert letters["srv2022-dc-02.corp.example"] == "WWUU"      # only "proxy disabled" answered
    assert letters["win10-branch-01.corp.example"] == "PPPP"
    assert data["hosts"][3][7] == {"0": "S200 F12180 S200 F407 S200", "1": "S200 F12180 S200 F407 S200",
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


# --- item: reports that always parse ----------------------------------------------------------------
HOSTILE = "connect failed\x00\x1b[31m red \x1b[0m\x08\x0b\ufffe\ud800 end"


def test_junit_parses_whatever_unreachable_hosts_report(results):
    hostile = dict(results)
    hostile["win10-ansi-01.corp.example"] = {"unreachable": True, "msg": HOSTILE}
    hostile["bad\x01host\x1b[1m"] = None
    text = fleet_report.render_junit(fleet_report.build_fleet(hostile, golden.GENERATED_AT, title="t\x00"))
    root = ET.fromstring(text.encode("utf-8"))  # a parse error fails the test
    case = next(s for s in root.findall("testsuite") if s.get("name") == "win10-ansi-01.corp.example")
    message = case.find("testcase/error").get("message")
    assert message.startswith("connect failed") and message.endswith(" end")
    assert "\x1b" not in message and "[31m" not in message and " red " in message
    assert root.get("name") == "t\ufffd"
    assert any(s.get("name") == "bad\ufffdhost" for s in root.findall("testsuite"))


def test_junit_failure_is_the_hosts_analyzer_block(results, fleet):
    """Built from the structured outcomes, the JUnit failure text is the same block as the host's text file."""
    root = ET.fromstring(fleet_report.render_junit(fleet))
    host = "win11-hq-07.corp.example"
    text_blocks = fleet_report.render_host_text(results[host]).split("Testing URL : ")[1:]
    failures = [c.find("failure").text for c in root.findall("testsuite/testcase")
                if c.get("classname") == "connectivity." + host and c.find("failure") is not None]
    assert len(failures) == 4
    assert [f + "\n" for f in failures] == ["Testing URL : " + b for b in text_blocks]
    assert "4 - Named proxy (proxy.corp.example:3128): Failed (407)" in failures[0]


def test_junit_names_stay_the_same_across_runs(results):
    before = ET.fromstring(fleet_report.render_junit(fleet_report.build_fleet(results, "2026-07-01T00:00:00Z",
                                                                              verdict="analyzer")))
    changed = dict(results)
    changed["win11-hq-07.corp.example"] = results["win10-branch-01.corp.example"]  # it passes now
    after = ET.fromstring(fleet_report.render_junit(fleet_report.build_fleet(changed, "2026-07-02T00:00:00Z",
                                                                             verdict="analyzer")))

    def names(root):
        return {(c.get("classname"), c.get("name")) for c in root.findall("testsuite/testcase")}

    assert names(before) == names(after)
    assert ("connectivity.win11-hq-07.corp.example", "https://winatp-gw-cus.microsoft.com/commands/test") in names(after)


# --- item: files written safely ------------------------------------------------------------------
def test_a_planted_temporary_symlink_is_not_followed(tmp_path, results, fleet):
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    dest = tmp_path / "reports"
    dest.mkdir()
    # The old writer opened "<file>.tmp" for writing, following a link planted there.
    os.symlink(victim, dest / "connectivity-fleet.json.tmp")
    fleet_report.write_reports(str(dest), fleet_report.render_files(results, fleet, ["json"]))
    assert victim.read_text() == "keep me"
    assert json.loads((dest / "connectivity-fleet.json").read_text())["hosts"]
    assert not os.path.islink(dest / "connectivity-fleet.json")
    assert [p.name for p in dest.iterdir() if p.name.startswith(".")] == []  # no temporary file left


def test_a_symlinked_report_file_is_replaced_not_written_through(tmp_path, results, fleet):
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    dest = tmp_path / "reports"
    dest.mkdir()
    os.symlink(victim, dest / "connectivity-junit.xml")
    fleet_report.write_reports(str(dest), fleet_report.render_files(results, fleet, ["junit"]))
    assert victim.read_text() == "keep me"
    assert not os.path.islink(dest / "connectivity-junit.xml")


def test_a_symlinked_hosts_folder_is_refused(tmp_path, results, fleet):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    dest = tmp_path / "reports"
    dest.mkdir()
    os.symlink(elsewhere, dest / "hosts")
    with pytest.raises(OSError, match="symbolic link"):
        fleet_report.write_reports(str(dest), fleet_report.render_files(results, fleet, ["text"]))
    assert list(elsewhere.iterdir()) == []


def test_report_files_are_readable_as_the_umask_allows(tmp_path, results, fleet):
    fleet_report.write_reports(str(tmp_path), fleet_report.render_files(results, fleet, ["json"]))
    mask = os.umask(0o022)
    os.umask(mask)
    assert os.stat(tmp_path / "connectivity-fleet.json").st_mode & 0o777 == 0o666 & ~mask


def test_long_host_names_get_short_distinct_file_names(tmp_path, results):
    long_a = "a" * 300 + ".corp.example"
    long_b = "a" * 300 + ".corp.example2"
    many = {long_a: results["win10-branch-01.corp.example"], long_b: results["win10-branch-01.corp.example"]}
    files = fleet_report.render_files(many, fleet_report.build_fleet(many, golden.GENERATED_AT), ["text"])
    names = [os.path.basename(name) for name in files]
    assert len(set(names)) == 2
    assert all(len(name.encode()) <= 255 for name in names)
    fleet_report.write_reports(str(tmp_path), files)  # the old names were too long to create
    assert len(list((tmp_path / "hosts").iterdir())) == 2


@pytest.mark.parametrize("mutate,where", [
    (lambda r: r["urls"][1].pop("strict"), "urls[1].strict"),
    (lambda r: r["urls"][0].update(channel="nowhere"), "urls[0].channel"),
    (lambda r: r["urls"].__setitem__(2, "https://x.example"), "urls[2]"),
    (lambda r: r["urls"][3].update(probes=[]), "urls[3].probes"),
    (lambda r: r.update(urls="https://x.example"), "urls"),
    (lambda r: r["urls"][1].update(configured_elapsed_ms="slow"), "urls[1].configured_elapsed_ms"),
])
def test_a_malformed_result_names_the_host(results, mutate, where):
    broken = json.loads(json.dumps(results["win11-hq-07.corp.example"]))
    mutate(broken)
    bad = dict(results)
    bad["win11-hq-07.corp.example"] = broken
    with pytest.raises(fleet_report.FleetReportError) as err:
        fleet_report.build_fleet(bad, golden.GENERATED_AT)
    assert err.value.field == "results[win11-hq-07.corp.example]"
    assert err.value.rule == "result-shape"
    assert where in str(err.value)


# --- renderers and the summary ---------------------------------------------------------------------
def test_one_renderer_per_format(results, fleet):
    assert set(fleet_report.RENDERERS) == set(fleet_report.FORMATS)
    for name in fleet_report.FORMATS:
        assert fleet_report.render_files(results, fleet, [name]), name


def test_summary_lists_totals_and_failing_hosts(fleet):
    text = fleet_report.render_summary(fleet)
    lines = text.splitlines()
    assert lines[1] == "7 hosts: 3 failing, 1 passing, 3 without result; 4 URLs, 8 of 16 cells failed"
    assert any(line.startswith("  win11-dev-12.corp.example: no result under the strict verdict: the probes ran as ")
               for line in lines)
    assert lines[2] == "No earlier run to compare with."
    assert "  win10-branch-09.corp.example: no result: ntlm: the specified credentials were rejected by the server" in lines
    assert "  win11-hq-07.corp.example: 4 URL(s) failed" in lines
    assert not any("win10-branch-01" in line for line in lines)


def test_sizes_are_bytes_on_disk_for_non_ascii_reports(tmp_path, results):
    named = {"wïn-büro-01.corp.example": results["win10-branch-01.corp.example"]}
    files = fleet_report.render_files(named, fleet_report.build_fleet(named, golden.GENERATED_AT, title="Prüfung"),
                                      ["json", "junit", "html"])
    written = fleet_report.write_reports(str(tmp_path), files)
    for name, size in written["sizes"].items():
        assert os.path.getsize(tmp_path / name) == size == len(files[name].encode("utf-8"))
    assert fleet_report.write_reports(str(tmp_path), files)["changed_files"] == []


def test_the_garbage_collector_is_back_on_after_a_build(results):
    import gc

    assert gc.isenabled()
    fleet_report.build_fleet(results, golden.GENERATED_AT)
    assert gc.isenabled()
    gc.disable()
    try:
        fleet_report.build_fleet(results, golden.GENERATED_AT)
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()
