# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/reset.yml through ansible-playbook on the example fleet, whose office group says
``device_proxy_winhttp_policy: set``.

State absent refuses set and stable_only (it writes no proxy), so the playbook maps the inventory's
policy itself. The traps: a play variable would lose against the host's own value (the plan reads
hostvars) or be refused as a play-level override; a mapping that also swallowed -e would make
``-e device_proxy_winhttp_policy=reset`` quietly act as leave. Variable precedence as ansible-core
documents it ("Understanding variable precedence"): inventory group_vars < play vars < set_fact < role
params < extra vars.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import yaml

ROOT = Path(__file__).resolve().parents[3]
COLLECTIONS = ROOT / ".build" / "pytest"
INVENTORY = ROOT / "examples" / "fleet" / "inventory.yml"


def run(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"), ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    command: List[str] = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(INVENTORY),
                          str(ROOT / "playbooks" / "reset.yml"), *extra]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False, cwd=tmp_path)


def plan_only(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    return run(tmp_path, "-e", "device_proxy_plan_only=true", "-e", f"device_proxy_review_dir={tmp_path / 'review'}", *extra)


def winhttp_actions(tmp_path: Path) -> Dict[str, Dict[str, str]]:
    document = json.loads((tmp_path / "review" / "plan-review.json").read_text(encoding="utf-8"))
    assert not document["errors"], document["errors"]
    return {row["host"]: row for row in document["rows"] if row["target"] == "winhttp_proxy"}


NEW_PROXY = "proxy.new.example:3128"  # the site moved its proxy, and nobody listed the old one


def office() -> Dict:
    inventory = yaml.safe_load(INVENTORY.read_text(encoding="utf-8"))
    group = inventory["all"]["children"]["windows"]["children"]["office"]
    assert group["vars"]["device_proxy_winhttp_policy"] == "set"  # the premise of this test
    return group


def netsh_proxies() -> Dict[str, str]:
    """{host: WinHTTP proxy} for the example devices whose facts carry one."""
    found = {}
    for path in sorted((ROOT / "examples" / "fleet" / "facts").glob("*.json")):
        winhttp = json.loads(path.read_text(encoding="utf-8")).get("winhttp") or {}
        native = (winhttp.get("native") or {}).get("decoded") or {}
        if native.get("uses_proxy"):
            found[path.stem] = native["proxy"]
    assert found, "the example fleet has devices with a netsh proxy"
    return found


def test_an_inventory_that_says_set_is_reset_and_the_collections_winhttp_goes(tmp_path):
    proc = plan_only(tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    actions = winhttp_actions(tmp_path)
    group = office()
    assert set(group["hosts"]) <= set(actions)
    for host, proxy in netsh_proxies().items():
        ours = host in group["hosts"] and proxy == group["vars"]["device_proxy_proxy"]
        assert actions[host]["action"] == ("remove" if ours else "report"), actions[host]
    for host in set(actions) - set(netsh_proxies()):
        assert actions[host]["action"] == "keep", actions[host]


def test_a_winhttp_proxy_the_collection_did_not_write_is_reported_not_removed(tmp_path):
    proc = plan_only(tmp_path, "-e", f"device_proxy_proxy={NEW_PROXY}")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    actions = winhttp_actions(tmp_path)
    for host in netsh_proxies():
        assert actions[host]["action"] == "report", actions[host]


def test_extra_vars_reset_removes_any_winhttp_proxy(tmp_path):
    proc = plan_only(tmp_path, "-e", f"device_proxy_proxy={NEW_PROXY}", "-e", "device_proxy_winhttp_policy=reset")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    actions = winhttp_actions(tmp_path)
    for host in netsh_proxies():
        assert actions[host]["action"] == "remove", actions[host]
        assert "winhttp_policy is reset" in actions[host]["reason"], actions[host]


def test_extra_vars_set_is_refused_before_any_device_is_contacted(tmp_path):
    # Not plan-only: the example devices point at a closed port, so contacting one would show as unreachable.
    proc = run(tmp_path, "-e", "device_proxy_winhttp_policy=set")
    assert proc.returncode != 0
    out = proc.stdout
    assert "with inputs that break a rule (no device was contacted)" in out, out[-3000:]
    assert "device_proxy_winhttp_policy: 'set' cannot be honoured with device_proxy_state absent" in out
    assert "unreachable=1" not in out and "UNREACHABLE" not in out
    assert "Read the device facts" not in out
