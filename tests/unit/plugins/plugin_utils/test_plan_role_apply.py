# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role's apply path, run for real with ansible-playbook over the simulated fleet.

The collection is assembled in a temporary folder from this checkout (role, playbooks, filters,
plugin_utils, module_utils) with stand-ins for the three Windows modules: action plugins that
keep each device's state in a JSON file, apply the documented effect of the module arguments, and
log every call. That shows what the plan-driven role costs and does on a device:

* the first configure run calls device_facts once per host plus one call per module whose plan
  changes something, exactly the modules the fleet inventory expects;
* the second run calls device_facts only and reports no change;
* reset removes what the collection wrote and leaves what it did not write.
"""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
FLEET = os.path.join(ROOT, "tests", "unit", "fixtures", "fleet")

STAND_IN = '''
import json
import os

from ansible.plugins.action import ActionBase
from ansible_collections.purview.device_proxy.plugins.module_utils.winhttp_settings import (
    WinHttpSettings, decode_hex, encode_hex)


def _view(settings):
    return {"raw": encode_hex(settings), "error": None,
            "decoded": {"version": settings.version, "counter": settings.counter, "flags": settings.flags,
                        "proxy": settings.proxy, "bypass": settings.bypass, "autoconfig_url": None,
                        "uses_proxy": settings.uses_proxy}}


class ActionModule(ActionBase):
    _requires_connection = False
    NAME = "%(name)s"

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        host = task_vars["inventory_hostname"]
        folder = os.environ["STAND_IN_STATE"]
        path = os.path.join(folder, host + ".json")
        with open(path) as handle:
            facts = json.load(handle)
        args = dict(self._task.args)
        with open(os.path.join(folder, "calls.jsonl"), "a") as handle:
            handle.write(json.dumps({"host": host, "module": self.NAME, "args": args}) + "\\n")
        before = json.dumps(facts, sort_keys=True)
        if self.NAME == "device_facts":
            result.update(changed=False, ansible_facts={"purview_device_proxy": facts})
            return result
        if self.NAME == "telemetry_proxy":
            values = facts.setdefault("telemetry_proxy", {"server": None, "disable_enterprise_auth_proxy": None,
                                                          "prefer_static_proxy_for_http_request": None})
            if args.get("state", "present") == "present":
                values["server"] = args["proxy"]
                values["disable_enterprise_auth_proxy"] = 1
            else:
                values["server"] = None
                values["disable_enterprise_auth_proxy"] = None
            if "prefer_static_proxy_for_http_request" in args:
                values["prefer_static_proxy_for_http_request"] = 1 if args["prefer_static_proxy_for_http_request"] else None
        if self.NAME == "winhttp_proxy":
            if args.get("state", "present") == "present":
                if args.get("device_topology") == "roaming" and not args.get("force"):
                    result.update(failed=True, msg="refused on a roaming device")
                    return result
                bypass = args.get("bypass") or []
                settings = WinHttpSettings.named_proxy(args["proxy"], ";".join(bypass) if isinstance(bypass, list) else bypass)
            else:
                settings = WinHttpSettings.direct()
            facts["winhttp"] = {"native": _view(settings), "wow64": _view(settings), "drift": False}
        result["changed"] = json.dumps(facts, sort_keys=True) != before
        with open(path, "w") as handle:
            json.dump(facts, handle)
        return result
'''


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    base = tmp_path_factory.mktemp("role_apply")
    collection = base / "collections" / "ansible_collections" / "purview" / "device_proxy"
    (collection / "plugins" / "action").mkdir(parents=True)
    for part in ("roles", "playbooks", "meta"):
        os.symlink(os.path.join(ROOT, part), collection / part)
    for part in ("filter", "plugin_utils", "module_utils"):
        os.symlink(os.path.join(ROOT, "plugins", part), collection / "plugins" / part)
    for name in ("device_facts", "telemetry_proxy", "winhttp_proxy"):
        (collection / "plugins" / "action" / f"{name}.py").write_text(STAND_IN % {"name": name})
    state = base / "state"
    state.mkdir()
    for name in os.listdir(os.path.join(FLEET, "facts")):
        shutil.copy(os.path.join(FLEET, "facts", name), state / name)
    return {"base": base, "collection": collection, "state": state}


def run_playbook(workspace, playbook):
    calls = workspace["state"] / "calls.jsonl"
    if calls.exists():
        calls.unlink()
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(workspace["base"] / "collections"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_FORKS="11", ANSIBLE_HOST_KEY_CHECKING="0", STAND_IN_STATE=str(workspace["state"]),
               ANSIBLE_LOCAL_TEMP=str(workspace["base"] / "tmp"), ANSIBLE_RETRY_FILES_ENABLED="0")
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
               "-i", os.path.join(FLEET, "inventory.yml"), "-e", "device_proxy_target=all",
               str(workspace["collection"] / "playbooks" / playbook)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    recap = {match.group(1): (int(match.group(2)), int(match.group(3)), int(match.group(4)))
             for match in re.finditer(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)", done.stdout, re.M)}
    logged = [json.loads(line) for line in calls.read_text().splitlines()] if calls.exists() else []
    return recap, logged


def fleet_expectations():
    with open(os.path.join(FLEET, "inventory.yml")) as handle:
        inventory = yaml.safe_load(handle)
    expected = {}
    for group in inventory["all"]["children"].values():
        for host, host_vars in group["hosts"].items():
            expected[host] = host_vars["fleet_expected"]
    return expected


def calls_by_host(logged):
    result = {}
    for call in logged:
        result.setdefault(call["host"], []).append(call["module"])
    return result


def state_of(workspace, host):
    with open(workspace["state"] / f"{host}.json") as handle:
        return json.load(handle)


def test_configure_reset_cost_and_effect(workspace):
    expected = fleet_expectations()

    # First run: facts plus one call per module with a change, nothing else.
    recap, logged = run_playbook(workspace, "configure.yml")
    assert set(recap) == set(expected)
    calls = calls_by_host(logged)
    for host, wanted in expected.items():
        assert calls[host] == ["device_facts"] + wanted["apply"], host
        assert recap[host][1] == len(wanted["apply"]), host
        assert recap[host][2] == 0
    applied = {call["host"]: call["args"] for call in logged if call["module"] == "winhttp_proxy"}
    assert applied["dsk-static-04"] == {"state": "present", "proxy": "10.0.0.6:8080", "bypass": ["<local>", "*.corp.example"],
                                        "device_topology": "stable", "force": False}
    telemetry = {call["host"]: call["args"] for call in logged if call["module"] == "telemetry_proxy"}
    assert telemetry["srv-offline-06"] == {"state": "present", "proxy": "10.0.0.6:8080",
                                           "prefer_static_proxy_for_http_request": True}
    assert telemetry["lap-transp-10"] == {"state": "absent", "prefer_static_proxy_for_http_request": False}

    # Second run: the facts call only, and no change anywhere.
    recap, logged = run_playbook(workspace, "configure.yml")
    assert calls_by_host(logged) == {host: ["device_facts"] for host in expected}
    assert all(counts[1] == 0 for counts in recap.values())

    # Reset: the collection's own settings go, a foreign WinHTTP proxy stays (reported).
    recap, logged = run_playbook(workspace, "reset.yml")
    assert state_of(workspace, "dsk-static-04")["telemetry_proxy"]["server"] is None
    assert state_of(workspace, "dsk-static-04")["winhttp"]["native"]["decoded"]["uses_proxy"] is False
    assert state_of(workspace, "cnv-static-02")["telemetry_proxy"]["server"] is None
    assert state_of(workspace, "cnv-static-02")["winhttp"]["native"]["decoded"]["proxy"] == "proxy.old.example:3128"
    assert state_of(workspace, "dsk-wpad-09")["telemetry_proxy"]["server"] == "oldproxy.corp.example:8080"
    recap, logged = run_playbook(workspace, "reset.yml")
    assert calls_by_host(logged) == {host: ["device_facts"] for host in expected}
    assert all(counts[1] == 0 for counts in recap.values())
