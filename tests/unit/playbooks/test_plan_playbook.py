# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/plan.yml through ansible-playbook on a fleet of 1,000 hosts built from the example fleet:
the console stays within 60 lines, the review files hold one row per host and target, and a host
without facts is named with its field and rule while the others are planned."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

ROOT = Path(__file__).resolve().parents[3]
COLLECTIONS = ROOT / ".build" / "pytest"
sys.path.insert(0, str(ROOT / "tools" / "bench"))
from bench_plan_playbook import build_fleet  # noqa: E402  (the benchmark's fleet builder, one truth)

TARGETS = ["telemetry_proxy", "prefer_static_proxy", "winhttp_proxy", "defender_av_proxy"]


def run(tmp_path: Path, inventory: str, *extra: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"), ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    command: List[str] = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", inventory,
                          str(ROOT / "playbooks" / "plan.yml"), *extra]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False, cwd=tmp_path)


@pytest.fixture(scope="module")
def fleet_of_1000(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fleet")
    inventory = build_fleet(1000, str(folder))
    work = tmp_path_factory.mktemp("run")
    proc = run(work, inventory, "-e", f"device_proxy_review_dir={work / 'review'}")
    return proc, work / "review", folder


def test_the_console_stays_within_60_lines(fleet_of_1000):
    proc, _review, _folder = fleet_of_1000
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert len(lines) <= 60, "\n".join(lines[:80])
    text = proc.stdout
    assert "1000 host(s): 1000 planned" in text
    # Totals per target and action, the reasons with their counts, the hosts that need a decision, capped.
    assert any(line.strip().strip("\"").strip().startswith("TelemetryProxyServer") for line in lines)
    assert "host(s))" in text
    assert "Hosts that need a decision (refusals, conflicts, risks): 400" in text  # laptop-02 and cmdb-05 copies
    assert "more, see " in text and "plan-review.csv" in text


def test_the_files_hold_one_row_per_host_and_target(fleet_of_1000):
    proc, review, folder = fleet_of_1000
    assert proc.returncode == 0, proc.stdout[-3000:]
    with open(review / "plan-review.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    hosts = sorted(p.stem for p in (Path(folder) / "facts").iterdir())
    assert len(hosts) == 1000
    assert sorted((row["host"], row["target"]) for row in rows) == sorted((host, target) for host in hosts for target in TARGETS)
    document = json.loads((review / "plan-review.json").read_text(encoding="utf-8"))
    assert sorted((row["host"], row["target"]) for row in document["rows"]) == sorted(
        (host, target) for host in hosts for target in TARGETS)
    assert document["planned"] == 1000 and not document["errors"]
    # Each reason once, with the number of hosts it covers; the counts add up to every host and target.
    assert sum(reason["hosts"] for reason in document["reasons"]) == 4000
    assert len({reason["rationale"] for reason in document["reasons"]}) == len(document["reasons"])
    page = (review / "plan-review.md").read_text(encoding="utf-8")
    assert page.count("\n| `desktop-01-") == 200
    # Each finding message once in the page, with the hosts that have it.
    messages = [line for line in page.splitlines() if re.match(r"- F\d+ \*\*", line)]
    assert len(messages) == len(set(messages)) == len(document["findings"])


def test_a_host_without_facts_is_named_and_the_rest_are_planned(tmp_path):
    inventory = build_fleet(10, str(tmp_path / "fleet"))
    os.remove(tmp_path / "fleet" / "facts" / "laptop-02-00001.json")
    proc = run(tmp_path, inventory, "-e", f"device_proxy_review_dir={tmp_path / 'review'}")
    assert proc.returncode != 0
    assert "1 host(s) cannot be planned: laptop-02-00001" in proc.stdout, proc.stdout[-3000:]
    document = json.loads((tmp_path / "review" / "plan-review.json").read_text(encoding="utf-8"))
    assert document["planned"] == 9
    assert document["errors"]["laptop-02-00001"]["field"] == "facts"
    assert document["errors"]["laptop-02-00001"]["rule"] == "required"
