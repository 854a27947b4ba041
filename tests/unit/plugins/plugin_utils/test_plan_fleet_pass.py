# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every host's plan in one pass (plan/fleet.py), the console review that stays short at any fleet
size (plan_review.console_review), and the review files (plan_review_files)."""

from __future__ import annotations

import copy
import csv
import io
import json
import os

import pytest

from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan import fleet
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.vocabulary import PlanFactsError
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan_review import CONSOLE_LINES, console_review
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan_review_files import (
    COLUMNS,
    render_csv,
    review_files,
    rows,
    write_review,
)

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "examples", "fleet", "facts")
OFFICE = {"device_proxy_network_mode": "static", "device_proxy_proxy": "10.0.0.6:8080", "device_proxy_winhttp_policy": "set"}


def example(name):
    with open(os.path.join(EXAMPLE, f"{name}.json"), encoding="utf-8") as handle:
        return json.load(handle)


def test_a_host_variable_wins_over_the_play_and_the_play_fills_what_the_host_lacks():
    inputs = fleet.host_inputs({"device_proxy_proxy": "10.1.1.1:3128", "unrelated": 1},
                               {"device_proxy_proxy": "10.9.9.9:80", "device_proxy_network_mode": "static"})
    assert inputs == {"proxy": "10.1.1.1:3128", "network_mode": "static"}


def test_the_facts_sources_first_found_wins(tmp_path):
    (tmp_path / "h1.json").write_text(json.dumps({"from": "file"}))
    (tmp_path / "h2.yml").write_text("from: yaml\n")
    given = {"device_proxy_facts": {"from": "variable"}, "device_proxy_facts_dir": str(tmp_path)}
    assert fleet.supplied_facts("h1", given, {})[0] == {"from": "variable"}
    facts, source = fleet.supplied_facts("h1", {"device_proxy_facts_dir": str(tmp_path)}, {})
    assert facts == {"from": "file"} and source == str(tmp_path / "h1.json")
    assert fleet.supplied_facts("h2", {}, {"device_proxy_facts_dir": str(tmp_path)})[0] == {"from": "yaml"}
    cached = {"ansible_facts": {"purview_device_proxy": {"from": "cache"}}}
    assert fleet.supplied_facts("h3", dict(cached, device_proxy_facts_dir=str(tmp_path)), {})[0] == {"from": "cache"}


def test_no_facts_names_the_host_and_the_folder(tmp_path):
    with pytest.raises(PlanFactsError) as err:
        fleet.supplied_facts("h9", {"device_proxy_facts_dir": str(tmp_path)}, {})
    assert err.value.field == "facts" and err.value.rule == "required"
    assert "h9.json" in str(err.value) and str(tmp_path) in str(err.value)


def test_a_broken_facts_file_is_named(tmp_path):
    (tmp_path / "h1.json").write_text("{not json")
    with pytest.raises(PlanFactsError) as err:
        fleet.supplied_facts("h1", {"device_proxy_facts_dir": str(tmp_path)}, {})
    assert err.value.field == str(tmp_path / "h1.json") and err.value.rule == "json"


def test_one_bad_host_does_not_stop_the_others():
    hosts = [("desktop-01", dict(OFFICE, device_proxy_facts=example("desktop-01"))),
             ("broken", dict(OFFICE, device_proxy_proxy="not a proxy:99999", device_proxy_facts=example("desktop-01"))),
             ("nofacts", dict(OFFICE))]
    plans, errors = fleet.plan_fleet(hosts, {}, lambda host, variables: fleet.supplied_facts(host, variables, {}))
    assert list(plans) == ["desktop-01"] and plans["desktop-01"]["changes"] == 2
    assert errors["broken"]["field"] == "device_proxy_proxy"
    assert errors["nofacts"]["rule"] == "required"
    assert fleet.check_fleet_inputs(hosts, {}) == {"broken": errors["broken"]}


def _many(count):
    """``count`` plans: copies of the example fleet's plans under new names (planning is tested elsewhere)."""
    templates = []
    for name, variables in (("desktop-01", OFFICE), ("laptop-02", OFFICE), ("cmdb-05", OFFICE),
                            ("desktop-04", {"device_proxy_network_mode": "wpad"})):
        plans, _errors = fleet.plan_fleet([(name, dict(variables, device_proxy_facts=example(name)))], {},
                                          lambda host, variables: fleet.supplied_facts(host, variables, {}))
        templates.append(plans[name])
    many = []
    for index in range(count):
        plan = copy.copy(templates[index % len(templates)])
        plan["host"] = f"host-{index:05d}"
        many.append(plan)
    return many


@pytest.mark.parametrize("count", [1, 4, 9, 1000, 10000])
def test_the_console_review_stays_within_its_lines_at_any_size(count):
    plans = _many(count)
    errors = {f"bad-{index}": {"field": "facts", "rule": "required", "message": "no facts"} for index in range(count // 10)}
    lines = console_review(plans, errors, {"md": "r.md", "csv": "r.csv", "json": "r.json"})
    assert len(lines) <= CONSOLE_LINES, "\n".join(lines)
    text = "\n".join(lines)
    assert f"{count + len(errors)} host(s): {count} planned" in text
    assert "TelemetryProxyServer" in text and "refuse" in text
    if count >= 1000:
        # Capped lists point at the files and say how many were left out.
        assert "more, see r.csv" in text
        assert f"Hosts that cannot be planned: {len(errors)}" in text
    # Every reason appears once, with its number of hosts.
    reasons = [line for line in lines if line.lstrip().startswith("[W")]
    assert len(reasons) == len(set(reasons))


def test_the_csv_has_one_row_per_host_and_target_and_no_formula():
    plans = _many(8)
    plans[0] = dict(plans[0], host="=HYPERLINK(\"http://x\")")
    table = rows(plans, {"@bad": {"field": "facts", "rule": "required", "message": "no facts"}})
    assert len(table) == 8 * 4 + 1
    parsed = list(csv.reader(io.StringIO(render_csv(table))))
    assert parsed[0] == list(COLUMNS)
    hosts = {row[0] for row in parsed[1:]}
    assert "'=HYPERLINK(\"http://x\")" in hosts and "'@bad" in hosts
    assert not any(cell[:1] in "=+-@" for row in parsed[1:] for cell in row if cell)


def test_the_files_are_written_and_each_finding_message_appears_once(tmp_path):
    plans = _many(40)
    written = write_review(str(tmp_path / "review"), review_files(plans, {}))
    assert sorted(os.path.basename(path) for path in written.values()) == ["plan-review.csv", "plan-review.json", "plan-review.md"]
    document = json.loads((tmp_path / "review" / "plan-review.json").read_text(encoding="utf-8"))
    messages = [entry["message"] for entry in document["findings"]]
    assert len(messages) == len(set(messages))
    laptop_warning = next(entry for entry in document["findings"] if "roaming device" in entry["message"])
    assert len(laptop_warning["hosts"]) == 10
    page = (tmp_path / "review" / "plan-review.md").read_text(encoding="utf-8")
    assert page.count(laptop_warning["message"].split(":")[0]) == 1
