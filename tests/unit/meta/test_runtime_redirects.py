# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The renamed modules' old names, run with ansible-playbook: each still reaches the new module
(and, for the Windows module, its controller-side action plugin, which checks the input before a
host is contacted), says it is deprecated, and still belongs to its module_defaults group."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
COLLECTIONS = ROOT / ".build" / "pytest"
RENAMED = {"connectivity_test": "device_connectivity_probe", "service_url_probe": "network_url_probe"}


def play(tmp_path: Path, text: str) -> subprocess.CompletedProcess:
    playbook = tmp_path / "play.yml"
    playbook.write_text(text, encoding="utf-8")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"), ANSIBLE_PYTHON_INTERPRETER=sys.executable,
               ANSIBLE_DEPRECATION_WARNINGS="1")
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", "-c", "local",
               str(playbook)]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_runtime_redirects_every_old_name_to_its_new_module_with_a_deprecation():
    runtime = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text(encoding="utf-8"))
    routing = runtime["plugin_routing"]
    for old, new in RENAMED.items():
        assert not (ROOT / "plugins" / "modules" / (old + ".py")).exists(), old
        assert (ROOT / "plugins" / "modules" / (new + ".py")).exists(), new
        entry = routing["modules"][old]
        assert entry["redirect"] == "purview.device_proxy." + new
        assert entry["deprecation"]["removal_version"] == "2.0.0"
        assert new in entry["deprecation"]["warning_text"]
        # An old name that is still in a group would be a second spelling of the same member.
        for members in runtime["action_groups"].values():
            assert old not in members
    # The Windows module has a controller half: without this redirect the old name would send
    # the PowerShell module to the host unchecked.
    assert routing["action"]["connectivity_test"]["redirect"] == "purview.device_proxy.device_connectivity_probe"


def test_old_network_probe_name_runs_the_new_module_and_warns(tmp_path):
    result = play(tmp_path, """
- hosts: localhost
  gather_facts: false
  tasks:
    - purview.device_proxy.service_url_probe:
        urls: ["ftp://proxy.example/"]
""")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "urls: 'ftp://proxy.example/' must start with http:// or https://" in output
    assert "service_url_probe has been deprecated" in output
    assert "purview.device_proxy.network_url_probe" in output


def test_old_device_probe_name_reaches_the_action_plugin_and_its_module_defaults_group(tmp_path):
    # The cloud comes only from the group default: the check failing on that value proves the old
    # name is still a member of group/purview.device_proxy.windows and that the controller-side
    # action plugin (not the bare PowerShell module) ran.
    result = play(tmp_path, """
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/purview.device_proxy.windows:
      cloud: nowhere-from-group
  tasks:
    - purview.device_proxy.connectivity_test:
""")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "cloud: value of cloud must be one of" in output and "got: nowhere-from-group" in output
    assert "powershell" not in output.lower()
    assert "connectivity_test has been deprecated" in output
    assert "purview.device_proxy.device_connectivity_probe" in output


@pytest.mark.parametrize("old", sorted(RENAMED))
def test_old_names_are_documented_as_deprecated(old):
    fragments = (ROOT / "changelogs" / "fragments").glob("*.yml")
    texts = [yaml.safe_load(p.read_text(encoding="utf-8")) or {} for p in fragments]
    deprecated = " ".join(" ".join(t.get("deprecated_features", [])) for t in texts)
    assert "purview.device_proxy." + old in deprecated and RENAMED[old] in deprecated
