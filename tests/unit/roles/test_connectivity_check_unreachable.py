# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connectivity_check role writes the fleet reports even when no device can be reached.

Every host points at WinRM on a closed loopback port, so each connection is refused at once;
nothing leaves the machine.
"""

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
COLLECTIONS = os.path.join(ROOT, ".build", "pytest")

INVENTORY = """[windows]
down1 ansible_host=127.0.0.1
down2 ansible_host=127.0.0.1

[windows:vars]
ansible_connection=winrm
ansible_port=9
ansible_user=nobody
ansible_password=unused
ansible_winrm_transport=ntlm
ansible_winrm_scheme=http
"""

PLAYBOOK = """- name: Verify with every device down
  hosts: windows
  gather_facts: false
  roles:
    - role: purview.device_proxy.connectivity_check
      vars:
        connectivity_check_report_dir: "{report_dir}"
        connectivity_check_become: false
"""


def test_reports_are_written_when_every_host_is_unreachable(tmp_path):
    report_dir = tmp_path / "reports"
    (tmp_path / "inventory.ini").write_text(INVENTORY, encoding="utf-8")
    (tmp_path / "verify.yml").write_text(PLAYBOOK.format(report_dir=report_dir), encoding="utf-8")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1",
               ANSIBLE_HOST_KEY_CHECKING="0")
    playbook = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    proc = subprocess.run([playbook, "-i", str(tmp_path / "inventory.ini"), str(tmp_path / "verify.yml")],
                          env=env, capture_output=True, text=True, timeout=300, check=False)

    # The hosts fail (their test did not run), but only after the reports were written.
    assert proc.returncode != 0, proc.stdout
    assert "The connectivity test did not run" in proc.stdout
    fleet = json.loads((report_dir / "connectivity-fleet.json").read_text(encoding="utf-8"))
    assert sorted((host["host"], host["status"]) for host in fleet["hosts"]) == [
        ("down1", "no-result"), ("down2", "no-result")]
    assert (report_dir / "connectivity-junit.xml").is_file()
    assert (report_dir / "connectivity-fleet.html").is_file()
