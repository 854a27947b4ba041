# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/allowlist.yml passes catalog_max_age_days to the lookup that warns about the catalog's
age (the warning itself is tested with the lookup: tests/unit/plugins/lookup/test_service_urls_age.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
COLLECTIONS = ROOT / ".build" / "pytest"


def run(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"), ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,",
               str(ROOT / "playbooks" / "allowlist.yml"), *extra]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_the_age_limit_reaches_the_lookup_and_a_recent_catalog_is_quiet(tmp_path):
    dest = tmp_path / "handover"
    bad = run(tmp_path, "-e", f"dest={dest}", "-e", "proxy=10.0.0.6:8080", "-e", "catalog_max_age_days=-1")
    assert bad.returncode != 0
    assert "catalog_max_age_days: must be a whole number of days" in bad.stdout + bad.stderr
    assert not dest.exists()
    good = run(tmp_path, "-e", f"dest={dest}", "-e", "proxy=10.0.0.6:8080", "-e", "catalog_max_age_days=36500")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "last compared with Microsoft's pages" not in good.stdout + good.stderr
