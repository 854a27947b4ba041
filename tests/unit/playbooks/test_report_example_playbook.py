# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/report_example.yml through ansible-playbook from this checkout: every report from the
example data shipped in examples/reports, two runs so the page opens with what changed. The
numbers come from the shipped data, never written here (tests/distribution runs the same playbook
from the installed collection)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema

from ansible_collections.purview.device_proxy.plugins.plugin_utils import fleet_history, fleet_schema

ROOT = Path(__file__).resolve().parents[3]
COLLECTIONS = ROOT / ".build" / "pytest"
DATA = ROOT / "examples" / "reports"


def run(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"), ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
               str(ROOT / "playbooks" / "report_example.yml"), *extra]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False, cwd=tmp_path)


def test_the_example_renders_every_report_from_the_shipped_data(tmp_path):
    dest = tmp_path / "reports"
    proc = run(tmp_path, "-e", f"dest={dest}")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    data = json.loads((DATA / "results.json").read_text(encoding="utf-8"))
    with_result = [host for host, result in data.items() if result is not None and not result.get("unreachable")]
    assert {"connectivity-fleet.html", "connectivity-fleet.json", "connectivity-junit.xml", "connectivity-summary.txt",
            "purview_connectivity.prom", "hosts", "history"} <= set(os.listdir(dest))
    assert sorted(os.listdir(dest / "hosts")) == sorted(host + ".txt" for host in with_result)
    fleet = json.loads((dest / "connectivity-fleet.json").read_text(encoding="utf-8"))
    jsonschema.validate(fleet, fleet_schema.FLEET_SCHEMA)
    assert fleet["totals"]["hosts"] == len(data)
    assert f"{len(data)} devices:" in proc.stdout
    # Two runs: the previous one (previous-run.json over today's data) and this one, compared.
    assert len(fleet_history.entry_names(str(dest / "history"))) == 2
    changed = json.loads((DATA / "previous-run.json").read_text(encoding="utf-8"))
    assert changed and set(changed) <= set(data)
    summary = (dest / "connectivity-summary.txt").read_text(encoding="utf-8")
    assert " new failures, 0 recoveries." in summary and ": 0 new failures" not in summary
    assert '<section id="since">' in (dest / "connectivity-fleet.html").read_text(encoding="utf-8")


def test_without_dest_it_says_what_is_missing_and_writes_nothing(tmp_path):
    proc = run(tmp_path)
    assert proc.returncode != 0
    assert "dest: required" in proc.stdout
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "tmp") == []
