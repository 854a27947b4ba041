# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every module declares the attributes ansible-core documents for modules (check_mode, diff_mode,
platform; https://docs.ansible.com/ansible/latest/dev_guide/developing_modules_documenting.html,
"attributes"), read as ansible-doc shows them, so the collection's doc fragments are merged by
ansible-core itself rather than by a model of its rules."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
MODULES_DIR = os.path.join(REPO, "plugins", "modules")
MODULES = sorted(name[:-3] for name in os.listdir(MODULES_DIR) if name.endswith(".py") and not name.startswith("_"))
# A module with a PowerShell half runs on Windows; one with neither a .ps1 nor Linux code runs on
# the controller alone (its action plugin does the work).
WINDOWS = sorted(name for name in MODULES if os.path.exists(os.path.join(MODULES_DIR, name + ".ps1")))
CONTROLLER = ("analyzer_results", "connectivity_report", "fleet_plan", "group_policy_export")
SUPPORT = ("full", "partial", "none", "N/A")


@pytest.fixture(scope="module")
def docs():
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-doc"), "--json", "-t", "module"]
    command += ["purview.device_proxy." + name for name in MODULES]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False,
                          env=dict(os.environ, ANSIBLE_NOCOLOR="1"))
    assert proc.returncode == 0, proc.stderr
    return {name.split(".")[-1]: entry["doc"] for name, entry in json.loads(proc.stdout).items()}


def test_the_lists_are_not_empty():
    assert len(WINDOWS) >= 5 and set(CONTROLLER) <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_every_module_declares_check_mode_diff_mode_and_platform(docs, name):
    attributes = docs[name].get("attributes") or {}
    missing = {"check_mode", "diff_mode", "platform"} - set(attributes)
    assert not missing, "%s: attributes missing %s" % (name, sorted(missing))
    for key in ("check_mode", "diff_mode"):
        assert attributes[key].get("support") in SUPPORT, (name, key, attributes[key])
        assert attributes[key].get("details"), "%s: %s says how, not only whether" % (name, key)
    assert attributes["platform"].get("platforms"), name


@pytest.mark.parametrize("name", WINDOWS)
def test_windows_modules_run_on_windows_through_their_action(docs, name):
    doc = docs[name]
    assert doc["attributes"]["platform"]["platforms"] == "windows"
    assert any("Runs only through its action plugin" in note for note in doc.get("notes") or []), name


@pytest.mark.parametrize("name", CONTROLLER)
def test_controller_only_modules_say_they_run_on_the_controller(docs, name):
    platform = docs[name]["attributes"]["platform"]
    assert platform["platforms"] == "all"
    details = platform.get("details") or ""
    assert "controller" in (" ".join(details) if isinstance(details, list) else details)
