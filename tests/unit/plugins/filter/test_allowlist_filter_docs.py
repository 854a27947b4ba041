# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The allowlist filters' documentation as ansible-doc shows it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

FILTERS = ("allowlist_domains", "allowlist_pac", "allowlist_squid", "allowlist_table", "allowlist_title")


def ansible_doc(name):
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-doc"), "-t", "filter",
               "purview.device_proxy.%s" % name]
    env = dict(os.environ, ANSIBLE_NOCOLOR="1")
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False, env=env)


def test_the_table_doc_shows_the_plain_http_value_intact():
    proc = ansible_doc("allowlist_table")
    assert proc.returncode == 0, proc.stderr
    text = " ".join(proc.stdout.split())
    assert "n/a (plain http)" in text
    assert "(plain http')" not in text


@pytest.mark.parametrize("name", FILTERS)
def test_every_allowlist_filter_has_documentation(name):
    proc = ansible_doc(name)
    assert proc.returncode == 0 and name in proc.stdout, proc.stdout + proc.stderr
