# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The proxy_allowlist role on a Squid configuration in a temporary folder (no install, no service,
no reload; the real squid -k parse validates): one block for two tenants, and the single-cloud
variables unchanged."""

import os
import subprocess
import sys

import pytest

from ansible_collections.purview.device_proxy.plugins.plugin_utils.allowlist import render_squid
from ansible_collections.purview.device_proxy.plugins.plugin_utils.catalog import entries_as_dicts, load_catalog

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
COLLECTIONS = os.path.join(ROOT, ".build", "pytest")
SQUID = "/usr/sbin/squid"

PLAYBOOK = """- name: Allowlist on a test Squid
  hosts: localhost
  connection: local
  gather_facts: false
  roles:
    - role: purview.device_proxy.proxy_allowlist
      vars:
        proxy_allowlist_config_path: "{conf}"
        proxy_allowlist_install: false
        proxy_allowlist_manage_service: false
        proxy_allowlist_reload: false
        proxy_allowlist_backup: false
"""


def run_role(tmp_path, *extra):
    conf = tmp_path / "squid.conf"
    conf.write_text("\n".join([
        "http_port 127.0.0.1:3198", "pid_filename none", "cache_log stdio:%s" % (tmp_path / "cache.log"),
        "access_log none", "http_access deny all", "",
    ]), encoding="utf-8")
    (tmp_path / "play.yml").write_text(PLAYBOOK.format(conf=conf), encoding="utf-8")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"), ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    playbook = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    proc = subprocess.run([playbook, "-i", "localhost,", str(tmp_path / "play.yml"), *extra], env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    return proc, conf.read_text(encoding="utf-8")


@pytest.mark.skipif(not os.path.exists(SQUID), reason="squid is missing (scripts/bootstrap.sh installs squid-openssl)")
def test_one_block_for_two_tenants(tmp_path):
    tenants = '{"proxy_allowlist_tenants": [{"cloud": "commercial", "regions": ["eu"]}, {"cloud": "gcc-high"}]}'
    proc, text = run_role(tmp_path, "-e", tenants)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    catalog = load_catalog()
    expected = render_squid(entries_as_dicts(catalog.select("commercial", ["eu"]) + catalog.select("gcc-high", ["us"])))
    assert expected.strip() in text
    assert "winatp-gw-neu.microsoft.com" in text and "winatp-gw-usgt.microsoft.com" in text


@pytest.mark.skipif(not os.path.exists(SQUID), reason="squid is missing (scripts/bootstrap.sh installs squid-openssl)")
def test_single_cloud_variables_are_unchanged(tmp_path):
    proc, text = run_role(tmp_path, "-e", '{"proxy_allowlist_cloud": "gcc", "proxy_allowlist_regions": ["us"]}')
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert render_squid(entries_as_dicts(load_catalog().select("gcc", ["us"]))).strip() in text
