# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/export_group_policy.yml on the example fleet, run with ansible-playbook: the files per
device class, byte for byte what the export builds, a second run that changes nothing, check mode
that writes nothing, and bad input that names the field and writes nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

from ansible_collections.purview.device_proxy.plugins.plugin_utils.policy_registry_pol import parse_registry_pol

ROOT = Path(__file__).resolve().parents[3]
COLLECTIONS = ROOT / ".build" / "pytest"
INVENTORY = ROOT / "examples" / "fleet" / "inventory.yml"
CLASSES = {
    "static-10.0.0.6-8080-stable": {"Registry.pol", "wmi-filter.txt", "computers.txt", "README.md", "winhttp-startup.cmd"},
    "static-10.0.0.6-8080-roaming": {"Registry.pol", "wmi-filter.txt", "computers.txt", "README.md"},
    "static-10.0.0.6-8080-unknown": {"Registry.pol", "wmi-filter.txt", "computers.txt", "README.md"},
    "wpad-stable": {"Registry.pol", "wmi-filter.txt", "computers.txt", "README.md"},
}


def run(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"), ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    command: List[str] = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(INVENTORY),
                          str(ROOT / "playbooks" / "export_group_policy.yml"), *extra]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_writes_every_class_and_a_second_run_changes_nothing(tmp_path):
    dest = tmp_path / "gpo"
    first = run(tmp_path, "-e", f"dest={dest}")
    assert first.returncode == 0, first.stdout + first.stderr
    assert {p.name for p in dest.iterdir() if p.is_dir()} == set(CLASSES)
    for name, files in CLASSES.items():
        assert {p.name for p in (dest / name).iterdir()} == files, name
    assert (dest / "static-10.0.0.6-8080-stable" / "computers.txt").read_text() == "desktop-01\nserver-03\n"
    roaming = parse_registry_pol((dest / "static-10.0.0.6-8080-roaming" / "Registry.pol").read_bytes())
    assert [(r.value_name, r.value) for r in roaming] == [
        ("TelemetryProxyServer", "10.0.0.6:8080"), ("DisableEnterpriseAuthProxy", 1),
        ("ProxyServer", "http://10.0.0.6:8080"), ("ProxyBypass", "<local>;*.corp.example")]
    assert "Do not deploy `netsh winhttp set proxy`" in (dest / "static-10.0.0.6-8080-roaming" / "README.md").read_text()
    assert "static-10.0.0.6-8080-roaming: laptop-02: refused" in first.stdout

    second = run(tmp_path, "-e", f"dest={dest}")
    assert second.returncode == 0, second.stdout
    assert "changed=0" in second.stdout and "changed=1" not in second.stdout, second.stdout


def test_check_mode_writes_nothing(tmp_path):
    dest = tmp_path / "gpo"
    proc = run(tmp_path, "-e", f"dest={dest}", "--check", "--diff")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "static-10.0.0.6-8080-stable/Registry.pol" in proc.stdout
    assert not dest.exists()


@pytest.mark.parametrize("extra,message", [
    ([], "dest: required"),
    (["-e", "device_proxy_proxy=10.0.0.6:99999"], "devices.cmdb-05.inputs.proxy: port 99999 is out of range"),
    (["-e", "device_proxy_network_mode=satellite"], "devices.cmdb-05.inputs.network_mode: must be one of"),
])
def test_bad_input_names_the_field_and_writes_nothing(tmp_path, extra, message):
    dest = tmp_path / "gpo"
    proc = run(tmp_path, *(["-e", f"dest={dest}"] if extra else []), *extra)
    assert proc.returncode != 0
    assert message in proc.stdout, proc.stdout
    assert not dest.exists()


def test_a_device_without_facts_stops_the_export_before_anything_is_written(tmp_path):
    facts = tmp_path / "facts"
    shutil.copytree(INVENTORY.parent / "facts", facts)
    (facts / "cmdb-05.json").unlink()
    dest = tmp_path / "gpo"
    proc = run(tmp_path, "-e", f"dest={dest}", "-e", f"device_proxy_facts_dir={facts}")
    assert proc.returncode != 0
    assert "plan-only mode needs the device facts of cmdb-05" in proc.stdout, proc.stdout
    assert not dest.exists()
