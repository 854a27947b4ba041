# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The decision table of the plan function, checked over every combination.

Dimensions: the situation (transparent / WPAD / static network, or reset), the WinHTTP policy,
the topology (inventory value or detection from laptop, convertible, tablet, desktop, server and
virtual machine evidence, or none), and the current state of each target, plus the switches
(OS has another route, remove stale settings, force WinHTTP). The expected action of each target
comes from the explicit tables below (one row per rule, "*" matches anything); every combination
must match exactly one row, so the tables are complete and unambiguous. Each result is also
checked for its reason, its module arguments, and that applying it converges: a second plan over
the resulting state changes nothing.
"""

from __future__ import annotations

import itertools
import json

import pytest

from ansible_collections.purview.device_proxy.plugins.module_utils.winhttp_settings import WinHttpSettings, encode_hex
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan import PlanInputError, compute_plan

ANY = "*"
PROXY = "10.0.0.6:8080"
PREVIOUS = "10.0.0.5:8080"
FOREIGN = "legacy.proxy.example:3128"
BYPASS = ["<local>", "*.corp.example"]
BYPASS_TEXT = "<local>;*.corp.example"

HARDWARE = {
    "laptop": {"chassis_types": [10], "pc_system_type": 2, "has_battery": True, "is_virtual": False},
    "convertible": {"chassis_types": [31], "pc_system_type": 2, "has_battery": True, "is_virtual": False},
    "tablet": {"chassis_types": [30], "pc_system_type": 8, "has_battery": True, "is_virtual": False},
    "desktop": {"chassis_types": [3], "pc_system_type": 1, "has_battery": False, "is_virtual": False},
    "server": {"chassis_types": [23], "pc_system_type": 4, "has_battery": False, "is_virtual": False},
    "vm": {"chassis_types": [1], "pc_system_type": 1, "has_battery": True, "is_virtual": True},
    "none": None,
}

# (topology input, hardware evidence) -> (topology used, where it came from)
TOPOLOGIES = {
    ("stable", "desktop"): ("stable", "inventory"),
    ("stable", "laptop"): ("stable", "inventory"),
    ("roaming", "desktop"): ("roaming", "inventory"),
    ("auto", "laptop"): ("roaming", "detected"),
    ("auto", "convertible"): ("roaming", "detected"),
    ("auto", "tablet"): ("roaming", "detected"),
    ("auto", "desktop"): ("stable", "detected"),
    ("auto", "server"): ("stable", "detected"),
    ("auto", "vm"): ("stable", "detected"),
    ("auto", "none"): ("unknown", "none"),
}

SITUATIONS = ("transparent", "wpad", "static", "reset")
POLICIES = ("leave", "set", "reset", "stable_only")
TELEMETRY_STATES = ("none", "desired", "previous", "foreign")
PREFER_STATES = (None, 1)
WINHTTP_STATES = ("direct", "desired", "previous", "foreign", "drift")

NON_STATIC = ("transparent", "wpad", "reset")
PRESENT = ("transparent", "wpad", "static")
OURS = ("desired", "previous")
PROXIED = ("desired", "previous", "foreign", "drift")
ROAMINGISH = ("roaming", "unknown")

# ---------------------------------------------------------------------------------------------
# the decision tables: (key pattern) -> (action, phrases the reason must contain)
# ---------------------------------------------------------------------------------------------

# key: (situation, telemetry state, remove_stale)
TELEMETRY_TABLE = [
    (("static", "desired", ANY), ("keep", ["registry-based static proxy", "already set"])),
    (("static", "none", ANY), ("set", ["registry-based static proxy", "DisableEnterpriseAuthProxy=1", "not set yet"])),
    (("static", "previous", ANY), ("set", ["registry-based static proxy", f"replaces {PREVIOUS}, an earlier proxy this collection wrote"])),
    (("static", "foreign", ANY), ("set", ["registry-based static proxy", f"replaces {FOREIGN}, which this collection did not write"])),
    ((NON_STATIC, "none", ANY), ("keep", ["TelemetryProxyServer is not set"])),
    ((NON_STATIC, OURS, ANY), ("remove", ["which this collection wrote"])),
    ((NON_STATIC, "foreign", False), ("report", ["was not written by this collection: reported only", "remove_stale"])),
    ((NON_STATIC, "foreign", True), ("remove", ["which this collection did not write", "remove_stale is true"])),
]

# key: (situation, os_has_other_route, PreferStaticProxyForHttpRequest, telemetry state, remove_stale)
PREFER_TABLE = [
    (("static", False, 1, ANY, ANY), ("keep", ["no other route", "already set"])),
    (("static", False, None, ANY, ANY), ("set", ["no other route", "PreferStaticProxyForHttpRequest=1", "10.8210"])),
    (("static", True, None, ANY, ANY), ("keep", ["not needed", "not set"])),
    (("static", True, 1, ANY, False), ("report", ["not needed", "cannot tell whether it wrote it", "reported only"])),
    (("static", True, 1, ANY, True), ("remove", ["not needed", "remove_stale is true"])),
    ((NON_STATIC, ANY, None, ANY, ANY), ("keep", ["works only with TelemetryProxyServer", "not set"])),
    ((NON_STATIC, ANY, 1, OURS, ANY), ("remove", ["which this collection wrote"])),
    ((NON_STATIC, ANY, 1, ("none", "foreign"), False), ("report", ["not written by this collection: reported only"])),
    ((NON_STATIC, ANY, 1, ("none", "foreign"), True), ("remove", ["remove_stale is true"])),
]

# key: (situation, policy, topology used, WinHTTP state, winhttp_force, remove_stale)
WINHTTP_TABLE = [
    # reset to direct access with WinHTTP policy leave: only what this collection wrote, unless asked
    # (set and stable_only are input errors with state absent, see the test below)
    (("reset", "leave", ANY, "direct", ANY, ANY), ("keep", ["already direct access"])),
    (("reset", "leave", ANY, ("desired", "previous", "drift"), ANY, ANY), ("remove", ["which this collection wrote"])),
    (("reset", "leave", ANY, "foreign", ANY, False), ("report", ["not written by this collection: reported only"])),
    (("reset", "leave", ANY, "foreign", ANY, True), ("remove", ["remove_stale is true"])),
    # WinHTTP policy leave: never touched
    ((PRESENT, "leave", ANY, "direct", ANY, ANY), ("keep", ["winhttp_policy is leave", "direct access"])),
    ((PRESENT, "leave", ROAMINGISH, PROXIED, ANY, ANY), ("report", ["malfunction", "reported only"])),
    (("static", "leave", "stable", PROXIED, ANY, ANY), ("keep", ["winhttp_policy is leave"])),
    ((("transparent", "wpad"), "leave", "stable", PROXIED, ANY, ANY), ("report", ["stale system-wide WinHTTP proxy", "reported only"])),
    # WinHTTP policy reset: back to direct access, whoever wrote it (with state absent too)
    ((SITUATIONS, "reset", ANY, "direct", ANY, ANY), ("keep", ["already direct access"])),
    ((SITUATIONS, "reset", ANY, PROXIED, ANY, ANY), ("remove", ["netsh winhttp reset proxy"])),
    # WinHTTP policy set: stable desktops only, roaming refused unless forced
    (("static", "set", "stable", "desired", ANY, ANY), ("keep", ["stable topology", "already set on both registry views"])),
    (("static", "set", "stable", ("direct", "previous", "foreign", "drift"), ANY, ANY),
     ("set", ["stable topology", "netsh winhttp set proxy", "every WinHTTP client"])),
    (("static", "set", ROAMINGISH, ANY, False, ANY), ("refuse", ["static WinHTTP refused", "malfunction with a static WinHTTP proxy"])),
    (("static", "set", ROAMINGISH, "desired", True, ANY), ("keep", ["forced", "already set"])),
    (("static", "set", ROAMINGISH, ("direct", "previous", "foreign", "drift"), True, ANY),
     ("set", ["forced", "against the documentation"])),
    # WinHTTP policy stable_only: set on stable devices, reset on roaming ones (only what the collection wrote)
    (("static", "stable_only", "stable", "desired", False, ANY), ("keep", ["stable topology", "already set on both registry views"])),
    (("static", "stable_only", "stable", ("direct", "previous", "foreign", "drift"), False, ANY),
     ("set", ["stable topology", "winhttp_policy is stable_only", "netsh winhttp set proxy"])),
    (("static", "stable_only", ROAMINGISH, "direct", False, ANY), ("keep", ["stable_only", "already direct access"])),
    (("static", "stable_only", ROAMINGISH, ("desired", "previous", "drift"), False, ANY),
     ("remove", ["stable_only", "malfunction", "which this collection wrote"])),
    (("static", "stable_only", ROAMINGISH, "foreign", False, False),
     ("report", ["stable_only", "not written by this collection: reported only", "remove_stale"])),
    (("static", "stable_only", ROAMINGISH, "foreign", False, True),
     ("remove", ["stable_only", "which this collection did not write", "remove_stale is true"])),
]

SITUATION_WORDS = {
    "transparent": "transparent proxy network",
    "wpad": "WPAD network",
    "static": "static proxy network",
    "reset": "reset to direct access",
}


def _matches(pattern, value):
    if pattern == ANY:
        return True
    if isinstance(pattern, tuple):
        return value in pattern
    return pattern == value


def lookup(table, key):
    rows = [outcome for pattern, outcome in table if all(_matches(p, v) for p, v in zip(pattern, key))]
    assert len(rows) == 1, f"{len(rows)} rows of the decision table match {key}"
    return rows[0]


# ---------------------------------------------------------------------------------------------
# building facts and inputs
# ---------------------------------------------------------------------------------------------

def _view(proxy=None, bypass=""):
    settings = WinHttpSettings.direct() if proxy is None else WinHttpSettings.named_proxy(proxy, bypass)
    return {"raw": encode_hex(settings),
            "decoded": {"version": settings.version, "counter": settings.counter, "flags": settings.flags,
                        "proxy": settings.proxy, "bypass": settings.bypass, "autoconfig_url": None,
                        "uses_proxy": settings.uses_proxy},
            "error": None}


WINHTTP_VIEWS = {
    "direct": (_view(), _view()),
    "desired": (_view(PROXY, BYPASS_TEXT), _view(PROXY, BYPASS_TEXT)),
    "previous": (_view(PREVIOUS), _view(PREVIOUS)),
    "foreign": (_view(FOREIGN, "<local>"), _view(FOREIGN, "<local>")),
    "drift": (_view(PROXY, BYPASS_TEXT), _view()),
}
TELEMETRY_VALUES = {"none": None, "desired": PROXY, "previous": PREVIOUS, "foreign": FOREIGN}


def make_facts(hardware, telemetry, prefer, winhttp):
    native, wow64 = WINHTTP_VIEWS[winhttp]
    facts = {
        "telemetry_proxy": {"server": TELEMETRY_VALUES[telemetry],
                            "disable_enterprise_auth_proxy": 1 if telemetry != "none" else None,
                            "prefer_static_proxy_for_http_request": prefer},
        "winhttp": {"native": native, "wow64": wow64, "drift": winhttp == "drift"},
    }
    if HARDWARE[hardware] is not None:
        facts["hardware"] = dict(HARDWARE[hardware])
    return facts


def make_inputs(situation, policy, topology, route, stale, force):
    inputs = {"proxy": PROXY, "previous_proxies": [PREVIOUS], "bypass": BYPASS, "winhttp_policy": policy,
              "topology": topology, "os_has_other_route": route, "remove_stale": stale, "winhttp_force": force}
    if situation == "reset":
        inputs["state"] = "absent"
    else:
        inputs["network_mode"] = situation
    return inputs


def apply_plan(facts, plan):
    """What the modules do with the plan's arguments (their documented effect)."""
    result = json.loads(json.dumps(facts))
    telemetry = plan["apply"].get("telemetry_proxy")
    if telemetry is not None:
        values = result["telemetry_proxy"]
        if telemetry["state"] == "present":
            values["server"] = telemetry["proxy"]
            values["disable_enterprise_auth_proxy"] = 1
        else:
            values["server"] = None
        if "prefer_static_proxy_for_http_request" in telemetry:
            values["prefer_static_proxy_for_http_request"] = 1 if telemetry["prefer_static_proxy_for_http_request"] else None
    winhttp = plan["apply"].get("winhttp_proxy")
    if winhttp is not None:
        if winhttp["state"] == "present":
            view = _view(winhttp["proxy"], ";".join(winhttp["bypass"]))
        else:
            view = _view()
        result["winhttp"] = {"native": view, "wow64": view, "drift": False}
    defender = plan["apply"].get("defender_av_proxy")
    if defender is not None:
        present = defender["state"] == "present"
        result["defender_av"] = {"proxy_server": defender.get("proxy_server") if present else None,
                                 "proxy_pac_url": None,
                                 "proxy_bypass": ";".join(defender.get("proxy_bypass", [])) or None if present else None,
                                 "ssl_options": None}
    return result


def _cases():
    for situation, policy, (topology, hardware) in itertools.product(SITUATIONS, POLICIES, TOPOLOGIES):
        yield pytest.param(situation, policy, topology, hardware, id=f"{situation}-{policy}-{topology}-{hardware}")


# ---------------------------------------------------------------------------------------------
# the test
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("situation,policy,topology,hardware", list(_cases()))
def test_decision_table(situation, policy, topology, hardware):
    used_topology, source = TOPOLOGIES[(topology, hardware)]
    checked = 0
    for telemetry, prefer, winhttp, route, stale, force in itertools.product(
            TELEMETRY_STATES, PREFER_STATES, WINHTTP_STATES, (True, False), (False, True), (False, True)):
        inputs = make_inputs(situation, policy, topology, route, stale, force)
        facts = make_facts(hardware, telemetry, prefer, winhttp)
        label = dict(telemetry=telemetry, prefer=prefer, winhttp=winhttp, route=route, stale=stale, force=force)

        if situation in ("transparent", "wpad") and policy in ("set", "stable_only"):
            with pytest.raises(PlanInputError) as info:
                compute_plan(inputs, facts)
            assert info.value.field == "winhttp_policy" and info.value.rule == "set-needs-static"
            checked += 1
            continue
        if situation == "reset" and policy in ("set", "stable_only"):
            with pytest.raises(PlanInputError) as info:
                compute_plan(inputs, facts)
            assert info.value.field == "winhttp_policy" and info.value.rule == "absent-needs-leave-or-reset"
            checked += 1
            continue
        if situation == "static" and policy == "stable_only" and force:
            with pytest.raises(PlanInputError) as info:
                compute_plan(inputs, facts)
            assert info.value.field == "winhttp_force" and info.value.rule == "force-needs-set"
            checked += 1
            continue

        plan = compute_plan(inputs, facts)
        actions = {action["target"]: action for action in plan["actions"]}
        assert [action["target"] for action in plan["actions"]] == ["telemetry_proxy", "prefer_static_proxy", "winhttp_proxy",
                                                                    "defender_av_proxy"]
        assert plan["topology"]["value"] == used_topology and plan["topology"]["source"] == source
        assert plan["topology"]["evidence"]

        expected = {
            "telemetry_proxy": lookup(TELEMETRY_TABLE, (situation, telemetry, stale)),
            "prefer_static_proxy": lookup(PREFER_TABLE, (situation, route, prefer, telemetry, stale)),
            "winhttp_proxy": lookup(WINHTTP_TABLE, (situation, policy, used_topology, winhttp, force, stale)),
        }
        for target, (action, phrases) in expected.items():
            got = actions[target]
            assert got["action"] == action, (target, label, got["reason"])
            for phrase in phrases:
                assert phrase in got["reason"], (target, label, phrase, got["reason"])
            assert got["changes"] == (action in ("set", "remove"))
            assert bool(got["params"]) == got["changes"]
        # Every reason starts from the situation, in the documentation's terms.
        assert SITUATION_WORDS[situation] in actions["telemetry_proxy"]["reason"]
        _check_winhttp_reason_words(actions["winhttp_proxy"], used_topology)
        _check_apply(plan, actions, used_topology)
        assert json.loads(json.dumps(plan)) == plan

        # Applying the plan converges: the next plan changes nothing.
        if plan["apply"]:
            again = compute_plan(inputs, apply_plan(facts, plan))
            assert again["apply"] == {} and again["changes"] == 0, (label, again["actions"])
        checked += 1
    assert checked == 4 * 2 * 5 * 2 * 2 * 2


def _check_winhttp_reason_words(action, used_topology):
    if action["action"] == "refuse":
        expected = "roaming device" if used_topology == "roaming" else "unknown topology"
        assert expected in action["reason"]
        assert "winhttp_force" in action["reason"]


def _check_apply(plan, actions, used_topology):
    telemetry_changes = actions["telemetry_proxy"]["changes"] or actions["prefer_static_proxy"]["changes"]
    expected_modules = [name for name, changes in (("telemetry_proxy", telemetry_changes),
                                                   ("winhttp_proxy", actions["winhttp_proxy"]["changes"]),
                                                   ("defender_av_proxy", actions["defender_av_proxy"]["changes"])) if changes]
    assert list(plan["apply"]) == expected_modules
    assert plan["changes"] == sum(1 for action in actions.values() if action["changes"])

    telemetry = plan["apply"].get("telemetry_proxy")
    if telemetry is not None:
        assert telemetry["state"] in ("present", "absent")
        if telemetry["state"] == "present":
            assert telemetry["proxy"] == PROXY
        else:
            assert "proxy" not in telemetry
        if actions["prefer_static_proxy"]["action"] in ("set", "keep") and actions["prefer_static_proxy"]["desired"].get("value") == 1:
            assert telemetry["prefer_static_proxy_for_http_request"] is True
        elif actions["prefer_static_proxy"]["action"] == "remove":
            assert telemetry["prefer_static_proxy_for_http_request"] is False
        else:
            # Not the collection's to change: the module must leave it alone.
            assert "prefer_static_proxy_for_http_request" not in telemetry

    winhttp = plan["apply"].get("winhttp_proxy")
    if winhttp is not None:
        if actions["winhttp_proxy"]["action"] == "remove":
            assert winhttp == {"state": "absent"}
        else:
            assert winhttp == {"state": "present", "proxy": PROXY, "bypass": BYPASS, "device_topology": used_topology,
                               "force": used_topology != "stable"}
