# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet review reads like a change review: per-host details, one table, each rationale once."""

from __future__ import annotations

import json
import os
import re
from typing import Any, Dict, List

import pytest
import yaml

from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan import compute_plan, summarise_plan
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan_review import (
    ReviewInputError,
    evidence_word,
    fleet_review,
    fleet_table,
)

FLEET = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "fleet")
PREFIX = "device_proxy_"


def _hosts(group: Dict[str, Any], inherited: Dict[str, Any]):
    variables = {**inherited, **(group.get("vars") or {})}
    for name, host_vars in (group.get("hosts") or {}).items():
        yield name, {**variables, **(host_vars or {})}
    for child in (group.get("children") or {}).values():
        yield from _hosts(child or {}, variables)


def fleet() -> Dict[str, Dict[str, Any]]:
    """The simulated fleet's hosts and variables, in inventory order."""
    with open(os.path.join(FLEET, "inventory.yml")) as handle:
        return dict(_hosts(yaml.safe_load(handle)["all"], {}))


def fleet_plans() -> List[Dict[str, Any]]:
    plans = []
    for host, variables in fleet().items():  # inventory order
        with open(os.path.join(FLEET, "facts", f"{host}.json")) as handle:
            facts = json.load(handle)
        inputs = {key[len(PREFIX):]: value for key, value in variables.items() if key.startswith(PREFIX)}
        plans.append(compute_plan(inputs, facts, field_prefix=PREFIX, host=host))
    return plans


PRESCRIBED = "the documentation prescribes the registry-based static proxy"


def test_the_long_rationale_appears_once_however_many_hosts_share_it():
    plans = fleet_plans()
    sharing = [plan["host"] for plan in plans
               for action in plan["actions"] if action["target"] == "telemetry_proxy" and PRESCRIBED in action["reason"]]
    assert len(sharing) >= 5
    # The per-host summaries repeat it on every host; the review says it once.
    assert sum("\n".join(summarise_plan(plan)).count(PRESCRIBED) for plan in plans) == len(sharing)
    review = "\n".join(fleet_review(plans))
    assert review.count(PRESCRIBED) == 1


def test_host_lines_keep_what_is_particular_to_the_host_and_point_at_the_rationale():
    lines = fleet_review(fleet_plans())
    start = lines.index(next(line for line in lines if line.startswith("lap-static-01:")))
    block = lines[start:start + 6]
    telemetry = next(line for line in block if line.strip().startswith("telemetry_proxy:"))
    assert re.match(r"  telemetry_proxy: set \[W\d+\] ", telemetry)
    number = re.search(r"\[W(\d+)\]", telemetry).group(1)
    why = [line for line in lines if line.startswith(f"  [W{number}] ")]
    assert len(why) == 1 and why[0].startswith(f"  [W{number}] telemetry_proxy: static proxy network")
    # Every reference resolves to exactly one rationale line.
    referenced = set(re.findall(r"\[W(\d+)\]", "\n".join(line for line in lines if not line.startswith("  [W"))))
    defined = {re.match(r"  \[W(\d+)\]", line).group(1) for line in lines if line.startswith("  [W")}
    assert referenced == defined


def test_fleet_table_is_in_inventory_order_with_a_row_per_host():
    plans = fleet_plans()
    table = fleet_table(plans)
    assert table[0].split("|")[1:-1] and [cell.strip() for cell in table[0].strip("|").split("|")] == [
        "host", "topology (evidence)", "TelemetryProxyServer", "PreferStatic", "WinHTTP", "Defender AV", "changes", "warnings"]
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in table[2:]]
    assert [row[0] for row in rows] == [plan["host"] for plan in plans] == list(fleet())
    by_host = {row[0]: row for row in rows}
    for plan in plans:
        row = by_host[plan["host"]]
        assert row[6] == str(plan["changes"])
        assert row[7] == str(sum(1 for finding in plan["findings"] if finding["severity"] == "warning"))
        actions = {action["target"]: action["action"] for action in plan["actions"]}
        # A cell is the verdict, then its value ("set 10.0.0.6:8080") or its cause ("refuse: roaming device").
        assert [cell.split()[0].rstrip(":") for cell in row[2:6]] == [actions[target] for target in (
            "telemetry_proxy", "prefer_static_proxy", "winhttp_proxy", "defender_av_proxy")]
    assert by_host["lap-static-01"][1] == "roaming (Notebook)"
    assert by_host["lap-override-08"][1] == "stable (inventory)"
    assert by_host["vm-static-07"][1] == "stable (virtual machine)"
    assert by_host["dsk-static-04"][2] == "set 10.0.0.6:8080"
    assert by_host["lap-static-01"][5] == "set http://10.0.0.6:8080"


def test_the_review_comes_after_the_details_and_ends_with_the_rationales():
    lines = fleet_review(fleet_plans())
    table_at = next(i for i, line in enumerate(lines) if line.startswith("| host"))
    why_at = lines.index("Why (each decision kind once):")
    last_host = max(i for i, line in enumerate(lines) if line.startswith("cmdb-transp-11:"))
    assert last_host < table_at < why_at


def test_evidence_word():
    assert evidence_word({"source": "none", "evidence": ["no hardware facts"]}) == "no evidence"
    assert evidence_word({"source": "detected", "evidence": ["PCSystemType 8 (Slate) is a mobile system"]}) == "Slate"
    assert evidence_word({"source": "detected", "evidence": ["CMDB asset class: desktop"]}) == "CMDB asset class"


@pytest.mark.parametrize("value,field", [("plan", "plans"), ([{"host": "x"}], "plans[0]"), ([None], "plans[0]")])
def test_what_is_not_a_list_of_plans_is_refused(value, field):
    with pytest.raises(ReviewInputError) as info:
        fleet_review(value)
    assert info.value.field == field
