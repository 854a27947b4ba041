# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/allowlist.yml, run with ansible-playbook: the five files for the proxy team, the same
text the filters render, a second run that changes nothing, and bad input that writes nothing."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

from ansible_collections.purview.device_proxy.plugins.plugin_utils.allowlist import render_squid
from ansible_collections.purview.device_proxy.plugins.plugin_utils.catalog import entries_as_dicts, load_catalog

ROOT = Path(__file__).resolve().parents[3]
COLLECTIONS = ROOT / ".build" / "pytest"
FILES = ("mde-domains.txt", "mde-proxy.pac", "mde-squid.conf", "mde-proxy-team.csv", "mde-proxy-team.md")


def run(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"), ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    command: List[str] = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,",
                          str(ROOT / "playbooks" / "allowlist.yml"), *extra]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_writes_the_five_files_for_a_cloud_and_regions_and_a_second_run_changes_nothing(tmp_path):
    dest = tmp_path / "handover"
    first = run(tmp_path, "-e", f"dest={dest}", "-e", "region=eu,uk", "-e", "proxy=10.0.0.6:8080")
    assert first.returncode == 0, first.stdout + first.stderr
    assert sorted(p.name for p in dest.iterdir()) == sorted(FILES)

    selection = entries_as_dicts(load_catalog().select("commercial", ["eu", "uk"]))
    assert (dest / "mde-squid.conf").read_text(encoding="utf-8") == render_squid(selection)
    domains = (dest / "mde-domains.txt").read_text(encoding="utf-8").splitlines()
    assert "winatp-gw-uks.microsoft.com" in domains and "winatp-gw-neu.microsoft.com" in domains
    assert not any(d.startswith("winatp-gw-cus") for d in domains), "a US gateway in an EU/UK selection"
    pac = (dest / "mde-proxy.pac").read_text(encoding="utf-8")
    assert '"PROXY 10.0.0.6:8080"' in pac and "commercial: worldwide and EU, UK rows" in pac

    table = list(csv.DictReader(io.StringIO((dest / "mde-proxy-team.csv").read_text(encoding="utf-8"))))
    pkiops = [r for r in table if r["host"] == "www.microsoft.com" and r["path"] == "/pkiops/*"]
    assert [(r["port"], r["scheme"], r["must not be TLS-inspected"], r["must allow anonymous"]) for r in pkiops] == [
        ("80", "http", "n/a (plain http)", "yes")]
    assert {r["host"] for r in table if r["port"] == "80"} >= {"crl.microsoft.com", "ctldl.windowsupdate.com"}
    assert "| `www.microsoft.com` | 80 | http | `/pkiops/*` |" in (dest / "mde-proxy-team.md").read_text(encoding="utf-8")

    second = run(tmp_path, "-e", f"dest={dest}", "-e", "region=eu,uk", "-e", "proxy=10.0.0.6:8080")
    assert second.returncode == 0 and "changed=0" in second.stdout, second.stdout


@pytest.mark.parametrize("give_dest,extra,message", [
    (False, ["-e", "proxy=10.0.0.6:8080"], "dest: required"),
    (True, [], "proxy: required"),
    (True, ["-e", "proxy=10.0.0.6:99999"], "proxy: port 99999 is out of range 1-65535"),
    (True, ["-e", "proxy=10.0.0.6:8080", "-e", "region=mars"], "regions: unknown regions 'mars'; valid:"),
])
def test_bad_input_fails_naming_the_field_and_writes_nothing(tmp_path, give_dest, extra, message):
    dest = tmp_path / "handover"
    proc = run(tmp_path, *(["-e", f"dest={dest}"] if give_dest else []), *extra)
    assert proc.returncode != 0
    assert message in proc.stdout, proc.stdout
    assert not dest.exists(), "nothing may be written before the input is checked"


def test_check_mode_writes_nothing(tmp_path):
    dest = tmp_path / "handover"
    proc = run(tmp_path, "-e", f"dest={dest}", "-e", "proxy=10.0.0.6:8080", "--check", "--diff")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "mde-proxy-team.csv" in proc.stdout
    assert not dest.exists()


def test_two_tenants_in_one_run(tmp_path):
    """EU commercial and GCC High in one handover: a cloud column, Live Response push
    notifications DIRECT in the PAC, and a title that does not call GCC High 'worldwide'."""
    dest = tmp_path / "handover"
    tenants = '{"tenants": [{"cloud": "commercial", "regions": ["eu"]}, {"cloud": "gcc-high"}]}'
    proc = run(tmp_path, "-e", f"dest={dest}", "-e", "proxy=10.0.0.6:8080", "-e", tenants)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    table = list(csv.DictReader(io.StringIO((dest / "mde-proxy-team.csv").read_text(encoding="utf-8"))))
    clouds = {r["host"]: r["cloud"] for r in table if r["port"] == "443"}
    assert clouds["winatp-gw-neu.microsoft.com"] == "commercial"
    assert clouds["winatp-gw-usgt.microsoft.com"] == "gcc-high"
    markdown = (dest / "mde-proxy-team.md").read_text(encoding="utf-8")
    title = markdown.splitlines()[0]
    assert "commercial: worldwide and EU rows" in title and "GCC High: all rows" in title, title
    assert "regions worldwide" not in markdown
    pac = (dest / "mde-proxy.pac").read_text(encoding="utf-8")
    assert "GCC High: all rows" in pac
    from pypac.parser import PACFile
    engine = PACFile(pac)
    assert engine.find_proxy_for_url("https://login.live.com/", "login.live.com") == "DIRECT"
    assert engine.find_proxy_for_url("https://winatp-gw-usgt.microsoft.com/", "winatp-gw-usgt.microsoft.com") \
        == "PROXY 10.0.0.6:8080"


def test_direct_only_hosts_can_be_routed_to_the_proxy(tmp_path):
    dest = tmp_path / "handover"
    proc = run(tmp_path, "-e", f"dest={dest}", "-e", "proxy=10.0.0.6:8080", "-e", "direct_only=proxy")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    from pypac.parser import PACFile
    engine = PACFile((dest / "mde-proxy.pac").read_text(encoding="utf-8"))
    assert engine.find_proxy_for_url("https://login.live.com/", "login.live.com") == "PROXY 10.0.0.6:8080"
    rows = list(csv.DictReader(io.StringIO((dest / "mde-proxy-team.csv").read_text(encoding="utf-8"))))
    assert any(r["host"] == "login.live.com" and "PAC file sends it to the proxy" in r["note"] for r in rows)


def test_the_title_says_required_rows_only(tmp_path):
    dest = tmp_path / "handover"
    proc = run(tmp_path, "-e", f"dest={dest}", "-e", "proxy=10.0.0.6:8080", "-e", "required_only=true", "--check")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "commercial: worldwide rows; required rows only" in proc.stdout, proc.stdout
