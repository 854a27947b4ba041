# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role's apply path, run for real with ansible-playbook over the simulated fleet.

The collection is assembled in a temporary folder from this checkout (role, playbooks, filters,
plugin_utils, module_utils) with stand-ins for the Windows modules: action plugins that keep each
device's state in a JSON file, apply the documented effect of the module arguments, and log every
call. winhttp_proxy runs its real controller (plugins/action/winhttp_proxy.py) with only the
target half simulated, so every logged call of it is one round trip the controller made. That
shows what the plan-driven role costs and does on a device:

* the first configure run calls device_facts once per host plus one call per module whose plan
  changes something, exactly the modules the fleet inventory expects; for winhttp_proxy that one
  call is the guarded write, because the role hands it the facts it read (current_settings);
* the second run calls device_facts only and reports no change;
* reset removes what the collection wrote and leaves what it did not write.
"""

from __future__ import annotations

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
            handle.write(json.dumps({"host": host, "module": self.NAME, "task": self._task._uuid, "args": args}) + "\\n")
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
        if self.NAME == "defender_av_proxy":
            values = facts.setdefault("defender_av", {"proxy_server": None, "proxy_pac_url": None,
                                                            "proxy_bypass": None, "ssl_options": None})
            if args.get("state", "present") == "present":
                values["proxy_server"] = args["proxy_server"]
                if "proxy_bypass" in args:
                    values["proxy_bypass"] = ";".join(args["proxy_bypass"]) or None
                if "ssl_options" in args:
                    values["ssl_options"] = args["ssl_options"]
            else:
                values.update(proxy_server=None, proxy_pac_url=None, proxy_bypass=None)
        result["changed"] = json.dumps(facts, sort_keys=True) != before
        with open(path, "w") as handle:
            json.dump(facts, handle)
        return result
'''


# The real winhttp_proxy controller; only the target half (winhttp_proxy.ps1) is played here, by
# the documented effect of each _mode on the device's WinHttpSettings bytes.
WINHTTP_STAND_IN = '''
import json
import os

from ansible_collections.purview.device_proxy.plugins.action.winhttp_proxy_controller import ActionModule as Controller
from ansible_collections.purview.device_proxy.plugins.module_utils.winhttp_settings import WinHttpSettings, encode_hex
from ansible_collections.purview.device_proxy.plugins.plugin_utils.winhttp_view import WinHttpView, winhttp_drift


# Facts supplied without WinHTTP (cmdb-transp-11): the device still holds the site's previous proxy.
_PREVIOUS = WinHttpView.from_hex(encode_hex(WinHttpSettings.named_proxy("10.0.0.6:8080"))).to_facts()
UNREPORTED = {"native": _PREVIOUS, "wow64": _PREVIOUS, "drift": False}


class ActionModule(Controller):
    _requires_connection = False

    def _execute_module(self, module_name=None, module_args=None, task_vars=None, **kwargs):
        host = task_vars["inventory_hostname"]
        folder = os.environ["STAND_IN_STATE"]
        path = os.path.join(folder, host + ".json")
        with open(path) as handle:
            facts = json.load(handle)
        with open(os.path.join(folder, "calls.jsonl"), "a") as handle:
            handle.write(json.dumps({"host": host, "module": "winhttp_proxy", "task": self._task._uuid,
                                     "mode": module_args["_mode"], "args": dict(self._task.args)}) + "\\n")
        views = facts.get("winhttp") or UNREPORTED
        native, wow64 = views["native"]["raw"], views["wow64"]["raw"]
        raw = {"is_64bit_os": True, "native_before": native, "wow64_before": wow64, "ie_proxy": None}
        if module_args["_mode"] == "apply":
            if (native or "") != module_args["_expected_native_hex"] or (wow64 or "") != module_args["_expected_wow64_hex"]:
                return {"failed": True, "rule": "changed-since-read", "msg": "WinHttpSettings changed on the host"}
            if module_args["_set_native"]:
                named = module_args["_access_type"] == "named_proxy"
                native = encode_hex(WinHttpSettings.named_proxy(module_args["_proxy"], module_args["_bypass"])
                                    if named else WinHttpSettings.direct())
            if module_args["_mirror_wow64"]:
                wow64 = native
            views = WinHttpView.from_hex(native), WinHttpView.from_hex(wow64)
            facts["winhttp"] = {"native": views[0].to_facts(), "wow64": views[1].to_facts(),
                                "drift": winhttp_drift(*views)}
            with open(path, "w") as handle:
                json.dump(facts, handle)
        raw.update(native_after=native, wow64_after=wow64)
        return {"changed": module_args["_mode"] == "apply", "raw": raw}
'''


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    base = tmp_path_factory.mktemp("role_apply")
    collection = base / "collections" / "ansible_collections" / "purview" / "device_proxy"
    (collection / "plugins" / "action").mkdir(parents=True)
    for part in ("roles", "playbooks", "meta"):
        os.symlink(os.path.join(ROOT, part), collection / part)
    for part in ("filter", "plugin_utils", "module_utils", "modules"):
        os.symlink(os.path.join(ROOT, "plugins", part), collection / "plugins" / part)
    for name in ("device_facts", "telemetry_proxy", "defender_av_proxy"):
        (collection / "plugins" / "action" / f"{name}.py").write_text(STAND_IN % {"name": name})
    os.symlink(os.path.join(ROOT, "plugins", "action", "winhttp_proxy.py"),
               collection / "plugins" / "action" / "winhttp_proxy_controller.py")
    # The role plans every host in one controller task (the real action).
    os.symlink(os.path.join(ROOT, "plugins", "action", "fleet_plan.py"), collection / "plugins" / "action" / "fleet_plan.py")
    (collection / "plugins" / "action" / "winhttp_proxy.py").write_text(WINHTTP_STAND_IN)
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
    """The module tasks that reached each host, in order (a task's round trips count once)."""
    result, seen = {}, set()
    for call in logged:
        if (call["host"], call["task"]) not in seen:
            seen.add((call["host"], call["task"]))
            result.setdefault(call["host"], []).append(call["module"])
    return result


def winhttp_round_trips(logged):
    """The winhttp_proxy round trips each host saw, by the _mode the controller sent."""
    result = {}
    for call in logged:
        if call["module"] == "winhttp_proxy":
            result.setdefault(call["host"], []).append(call["mode"])
    return result


def initial_facts(host):
    with open(os.path.join(FLEET, "facts", f"{host}.json")) as handle:
        return json.load(handle)


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
    # winhttp_proxy costs one round trip, the guarded write: the facts of the run were its read.
    # Only facts that do not report WinHTTP (cmdb-transp-11) leave the module to read first.
    trips = winhttp_round_trips(logged)
    assert set(trips) == {host for host, wanted in expected.items() if "winhttp_proxy" in wanted["apply"]}
    for host, modes in trips.items():
        assert modes == (["apply"] if "winhttp" in initial_facts(host) else ["read", "apply"]), host
    assert trips["cmdb-transp-11"] == ["read", "apply"]
    applied = {call["host"]: dict(call["args"]) for call in logged if call["module"] == "winhttp_proxy"}
    assert "current_settings" not in applied["cmdb-transp-11"]
    assert applied["dsk-static-04"].pop("current_settings") == initial_facts("dsk-static-04")["winhttp"]
    assert applied["dsk-static-04"] == {"state": "present", "proxy": "10.0.0.6:8080", "bypass": ["<local>", "*.corp.example"],
                                        "device_topology": "stable", "force": False}
    assert state_of(workspace, "dsk-static-04")["winhttp"]["native"]["decoded"]["proxy"] == "10.0.0.6:8080"
    assert state_of(workspace, "dsk-static-04")["winhttp"]["drift"] is False
    telemetry = {call["host"]: call["args"] for call in logged if call["module"] == "telemetry_proxy"}
    assert telemetry["srv-offline-06"] == {"state": "present", "proxy": "10.0.0.6:8080",
                                           "prefer_static_proxy_for_http_request": True}
    assert telemetry["lap-transp-10"] == {"state": "absent", "prefer_static_proxy_for_http_request": False}
    # A roaming device without a system-wide WinHTTP proxy: Defender Antivirus gets its own, SSLOptions untouched.
    defender = {call["host"]: call["args"] for call in logged if call["module"] == "defender_av_proxy"}
    assert defender["lap-static-01"] == {"state": "present", "proxy_server": "http://10.0.0.6:8080",
                                         "proxy_bypass": ["<local>", "*.corp.example"]}
    assert state_of(workspace, "lap-static-01")["defender_av"]["ssl_options"] is None

    # Second run: the facts call only, and no change anywhere.
    recap, logged = run_playbook(workspace, "configure.yml")
    assert calls_by_host(logged) == {host: ["device_facts"] for host in expected}
    assert all(counts[1] == 0 for counts in recap.values())

    # Reset: the collection's own settings go, a foreign WinHTTP proxy stays (reported).
    recap, logged = run_playbook(workspace, "reset.yml")
    assert winhttp_round_trips(logged) and all(modes == ["apply"] for modes in winhttp_round_trips(logged).values())
    assert state_of(workspace, "dsk-static-04")["telemetry_proxy"]["server"] is None
    assert state_of(workspace, "dsk-static-04")["winhttp"]["native"]["decoded"]["uses_proxy"] is False
    assert state_of(workspace, "cnv-static-02")["telemetry_proxy"]["server"] is None
    assert state_of(workspace, "cnv-static-02")["winhttp"]["native"]["decoded"]["proxy"] == "proxy.old.example:3128"
    assert state_of(workspace, "dsk-wpad-09")["telemetry_proxy"]["server"] == "oldproxy.corp.example:8080"
    assert state_of(workspace, "lap-static-01")["defender_av"]["proxy_server"] is None
    recap, logged = run_playbook(workspace, "reset.yml")
    assert calls_by_host(logged) == {host: ["device_facts"] for host in expected}
    assert all(counts[1] == 0 for counts in recap.values())
