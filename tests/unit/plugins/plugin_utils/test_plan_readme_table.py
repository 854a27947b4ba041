# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The decision table users read (roles/device_proxy/README.md) says what the plan function does.

The three tables of the README are parsed and every row is expanded into the device states its
cells name (a fixed vocabulary below: a cell the vocabulary does not know fails the test, so an
edited README must be checked again). Each expanded case is planned with compute_plan and must get
the action the row states. Then the whole space (situation x policy x topology x current state x
switches) is walked: every case must be covered by at least one row, and rows that overlap must
agree. So the README can neither promise something the function does not do nor leave a case out.
"""

from __future__ import annotations

import itertools
import os
import re

import pytest

from ansible_collections.purview.device_proxy.plugins.module_utils.winhttp_settings import WinHttpSettings, encode_hex
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan import PlanInputError, compute_plan

README = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "roles", "device_proxy", "README.md")

PROXY = "10.0.0.6:8080"
PREVIOUS = "10.0.0.5:8080"
FOREIGN = "legacy.proxy.example:3128"
BYPASS = ["<local>", "*.corp.example"]

NON_STATIC = ("transparent", "wpad", "reset")
PRESENT = ("transparent", "wpad", "static")
SITUATIONS = PRESENT + ("reset",)
TOPOLOGIES = ("stable", "roaming", "unknown")
BOOLS = (False, True)

# ---------------------------------------------------------------------------------------------
# reading the README
# ---------------------------------------------------------------------------------------------


def readme_table(heading_start):
    """Rows (lists of cells, without the header) of the first table under the heading."""
    with open(README, encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("### " + heading_start)), None)
    assert start is not None, f"the README has no heading starting with ### {heading_start}"
    rows = []
    for line in lines[start + 1:]:
        if line.startswith("#"):
            break
        if line.startswith("|"):
            rows.append([cell.strip().replace("**", "") for cell in line.strip().strip("|").split("|")])
        elif rows:
            break
    assert len(rows) > 2, f"no table under ### {heading_start}"
    assert set("".join(rows[1])) <= set("-: "), "the second table line must be the separator"
    return rows[2:]


def vocabulary(table, cell, what):
    assert cell in table, f"README {what} cell {cell!r} is not in the test's vocabulary: check the row against plan.py"
    return table[cell]


def parallel(current_cell, action_cell, current_words, action_words, what):
    """'not set / set' with 'set / keep': the n-th current state gets the n-th action."""
    if current_cell in current_words and action_cell in action_words:
        return [(state, action_words[action_cell]) for state in current_words[current_cell]]
    currents, actions = current_cell.split(" / "), action_cell.split(" / ")
    assert len(currents) == len(actions) > 1, f"README {what}: {current_cell!r} does not pair with {action_cell!r}"
    return [(state, vocabulary(action_words, action, f"{what} action"))
            for current, action in zip(currents, actions)
            for state in vocabulary(current_words, current, f"{what} current")]


# An action cell -> the action, given remove_stale.
ACTIONS = {
    "keep": lambda stale: "keep",
    "set": lambda stale: "set",
    "remove": lambda stale: "remove",
    "refuse": lambda stale: "refuse",
    "report": lambda stale: "report",
    "report (remove with `remove_stale`)": lambda stale: "remove" if stale else "report",
    "input error": lambda stale: "error",
}
SITUATION_CELLS = {
    "static": ("static",),
    "transparent / WPAD": ("transparent", "wpad"),
    "transparent / WPAD / static": PRESENT,
    "transparent / WPAD / reset": NON_STATIC,
    "reset (`state: absent`)": ("reset",),
}

# ---------------------------------------------------------------------------------------------
# building facts and inputs
# ---------------------------------------------------------------------------------------------


def _view(proxy=None):
    settings = WinHttpSettings.direct() if proxy is None else WinHttpSettings.named_proxy(proxy, ";".join(BYPASS))
    return {"raw": encode_hex(settings), "decoded": None, "error": None}


WINHTTP = {
    "direct": (_view(), _view()),
    "desired": (_view(PROXY), _view(PROXY)),
    "previous": (_view(PREVIOUS), _view(PREVIOUS)),
    "foreign": (_view(FOREIGN), _view(FOREIGN)),
    "drift": (_view(PROXY), _view()),
}
TELEMETRY = {"none": None, "desired": PROXY, "previous": PREVIOUS, "foreign": FOREIGN}


def plan_of(situation, *, telemetry="none", deap=None, prefer=None, winhttp="direct", policy="leave",
            topology="stable", route=True, stale=False, force=False):
    """The action of each target, or 'error' for every target when the inputs are refused."""
    native, wow64 = WINHTTP[winhttp]
    facts = {"telemetry_proxy": {"server": TELEMETRY[telemetry], "disable_enterprise_auth_proxy": deap,
                                 "prefer_static_proxy_for_http_request": prefer},
             "winhttp": {"native": native, "wow64": wow64}}
    inputs = {"proxy": PROXY, "previous_proxies": [PREVIOUS], "bypass": BYPASS, "winhttp_policy": policy,
              # "unknown": automatic detection without hardware facts
              "topology": "auto" if topology == "unknown" else topology,
              "os_has_other_route": route, "remove_stale": stale, "winhttp_force": force}
    if situation == "reset":
        inputs["state"] = "absent"
    else:
        inputs["network_mode"] = situation
    try:
        plan = compute_plan(inputs, facts)
    except PlanInputError:
        return {"telemetry_proxy": "error", "prefer_static_proxy": "error", "winhttp_proxy": "error"}
    assert plan["topology"]["value"] == topology
    return {action["target"]: action["action"] for action in plan["actions"]}


def check_coverage(space, expected_cases, what):
    """Every case of the space is stated by the README, and overlapping rows agree."""
    stated = {}
    for case, action, row in expected_cases:
        if case in stated:
            assert stated[case][0] == action, f"README {what}: rows {stated[case][1]} and {row} disagree on {case}"
        stated.setdefault(case, (action, row))
    missing = [case for case in space if case not in stated]
    assert not missing, f"README {what}: no row covers {missing[:5]} ({len(missing)} cases)"
    return {case: action for case, (action, row) in stated.items()}


# ---------------------------------------------------------------------------------------------
# TelemetryProxyServer + DisableEnterpriseAuthProxy
# ---------------------------------------------------------------------------------------------

# (telemetry state, DisableEnterpriseAuthProxy)
TELEMETRY_CURRENT = {
    "equal to the proxy, `DisableEnterpriseAuthProxy=1`": [("desired", 1)],
    "missing, different, or `DisableEnterpriseAuthProxy` not 1": [
        ("none", None), ("previous", 1), ("foreign", 1), ("desired", None), ("desired", 0)],
    "not set": [("none", None)],
    "ours": [("desired", 1), ("desired", None), ("previous", 1)],
    "not ours": [("foreign", 1)],
}


def telemetry_cases():
    for row in readme_table("Registry-based static proxy"):
        assert len(row) == 4, row
        situations = vocabulary(SITUATION_CELLS, row[0], "situation")
        for (state, deap), action in parallel(row[1], row[2], TELEMETRY_CURRENT, ACTIONS, "static proxy"):
            for situation, stale in itertools.product(situations, BOOLS):
                yield (situation, state, deap, stale), action(stale), row


def test_static_proxy_table_matches_the_plan():
    cases = list(telemetry_cases())
    assert cases
    for (situation, state, deap, stale), action, row in cases:
        got = plan_of(situation, telemetry=state, deap=deap, stale=stale)["telemetry_proxy"]
        assert got == action, (row, situation, state, deap, stale)
    space = [(situation, state, deap, stale) for situation, (state, deap), stale in itertools.product(
        SITUATIONS, [("none", None), ("desired", 1), ("desired", None), ("previous", 1), ("foreign", 1)], BOOLS)]
    check_coverage(space, cases, "static proxy")


# ---------------------------------------------------------------------------------------------
# PreferStaticProxyForHttpRequest
# ---------------------------------------------------------------------------------------------

ROUTE_CELLS = {"no": (False,), "yes": (True,), "any": BOOLS}
# (PreferStaticProxyForHttpRequest, telemetry states it is found beside)
PREFER_CURRENT = {
    "not set": [(None, state) for state in TELEMETRY],
    "set": [(1, state) for state in TELEMETRY],
    "set, beside our static proxy": [(1, "desired"), (1, "previous")],
    "set, otherwise": [(1, "none"), (1, "foreign")],
}


def prefer_cases():
    for row in readme_table("`PreferStaticProxyForHttpRequest=1`"):
        assert len(row) == 5, row
        situations = vocabulary(SITUATION_CELLS, row[0], "situation")
        routes = vocabulary(ROUTE_CELLS, row[1], "OS has another route")
        for (prefer, telemetry), action in parallel(row[2], row[3], PREFER_CURRENT, ACTIONS, "PreferStaticProxy"):
            for situation, route, stale in itertools.product(situations, routes, BOOLS):
                yield (situation, route, prefer, telemetry, stale), action(stale), row


def test_prefer_static_proxy_table_matches_the_plan():
    cases = list(prefer_cases())
    assert cases
    for (situation, route, prefer, telemetry, stale), action, row in cases:
        got = plan_of(situation, telemetry=telemetry, deap=1 if telemetry != "none" else None, prefer=prefer,
                      route=route, stale=stale)["prefer_static_proxy"]
        assert got == action, (row, situation, route, prefer, telemetry, stale)
    space = list(itertools.product(SITUATIONS, BOOLS, (None, 1), TELEMETRY, BOOLS))
    check_coverage(space, cases, "PreferStaticProxy")


# ---------------------------------------------------------------------------------------------
# system-wide WinHTTP proxy
# ---------------------------------------------------------------------------------------------

# policy cell -> (policy, winhttp_force values)
POLICY_CELLS = {
    "set": (("set", BOOLS),),
    "set, without `winhttp_force`": (("set", (False,)),),
    "set + `winhttp_force`": (("set", (True,)),),
    "leave": (("leave", BOOLS),),
    "reset": (("reset", BOOLS),),
    "stable_only": (("stable_only", BOOLS),),
    "stable_only, without `winhttp_force`": (("stable_only", (False,)),),
    "stable_only + `winhttp_force`": (("stable_only", (True,)),),
    "any": (("leave", BOOLS), ("set", BOOLS), ("reset", BOOLS), ("stable_only", BOOLS)),
}
TOPOLOGY_CELLS = {"stable": ("stable",), "roaming / unknown": ("roaming", "unknown"), "any": TOPOLOGIES,
                  "": TOPOLOGIES}
NOT_EQUAL = ["direct", "previous", "foreign", "drift"]
WINHTTP_CURRENT = {
    "equal on both registry views": ["desired"],
    "equal": ["desired"],
    "direct, different, or the two views differ": NOT_EQUAL,
    "not equal": NOT_EQUAL,
    "any": list(WINHTTP),
    "": list(WINHTTP),
    "direct": ["direct"],
    "a proxy": ["desired", "previous", "foreign", "drift"],
    "ours": ["desired", "previous", "drift"],
    "not ours": ["foreign"],
}


def winhttp_cases():
    for row in readme_table("System-wide WinHTTP proxy"):
        assert len(row) == 6, row
        situations = vocabulary(SITUATION_CELLS, row[0], "situation")
        topologies = vocabulary(TOPOLOGY_CELLS, row[2], "topology")
        for (policy, forces), (state, action) in itertools.product(
                vocabulary(POLICY_CELLS, row[1], "WinHTTP policy"),
                parallel(row[3], row[4], WINHTTP_CURRENT, ACTIONS, "WinHTTP")):
            for situation, topology, force, stale in itertools.product(situations, topologies, forces, BOOLS):
                yield (situation, policy, topology, state, force, stale), action(stale), row


def test_winhttp_table_matches_the_plan():
    cases = list(winhttp_cases())
    assert cases
    for (situation, policy, topology, state, force, stale), action, row in cases:
        got = plan_of(situation, winhttp=state, policy=policy, topology=topology, force=force,
                      stale=stale)["winhttp_proxy"]
        assert got == action, (row, situation, policy, topology, state, force, stale)
    space = list(itertools.product(SITUATIONS, ("leave", "set", "reset", "stable_only"), TOPOLOGIES, WINHTTP, BOOLS, BOOLS))
    check_coverage(space, cases, "WinHTTP")


def test_the_check_can_fail():
    """A row that states the wrong action, or a cell outside the vocabulary, is caught."""
    wrong = plan_of("static", winhttp="direct", policy="set", topology="roaming")["winhttp_proxy"]
    assert wrong == "refuse" and wrong != "set"
    with pytest.raises(AssertionError, match="not in the test's vocabulary"):
        vocabulary(WINHTTP_CURRENT, "a proxy, sometimes", "WinHTTP current")
    with pytest.raises(AssertionError, match="disagree"):
        check_coverage([("x",)], [(("x",), "keep", ["row 1"]), (("x",), "remove", ["row 2"])], "test")
    with pytest.raises(AssertionError, match="no row covers"):
        check_coverage([("x",), ("y",)], [(("x",), "keep", ["row 1"])], "test")


def test_readme_mentions_every_action_word():
    with open(README, encoding="utf-8") as handle:
        text = handle.read()
    for action in ("set", "remove", "keep", "report", "refuse"):
        assert re.search(rf"`{action}`", text), action


# ---------------------------------------------------------------------------------------------
# Defender Antivirus's own proxy
# ---------------------------------------------------------------------------------------------

DEFENDER_VALUES = {
    "none": None,
    "desired": "http://" + PROXY,
    "previous": "http://" + PREVIOUS,
    "foreign": "http://" + FOREIGN,
}
DEFENDER_CURRENT = {
    "not set": ["none"],
    "equal to the proxy": ["desired"],
    "ours, an earlier proxy": ["previous"],
    "not ours": ["foreign"],
    "ours": ["desired", "previous"],
}
# WinHTTP after the plan -> the (WinHTTP policy, topology, WinHTTP state) that produce it
WINHTTP_AFTER = {
    "a proxy (set or kept)": [("set", "stable", "direct"), ("set", "stable", "desired"), ("leave", "stable", "desired")],
    "direct": [("leave", "roaming", "direct"), ("set", "roaming", "direct"), ("reset", "stable", "desired")],
}
WINHTTP_AFTER["any"] = WINHTTP_AFTER["a proxy (set or kept)"] + WINHTTP_AFTER["direct"]


def defender_plan(situation, defender, winhttp_after, stale):
    policy, topology, winhttp = winhttp_after
    native, wow64 = WINHTTP[winhttp]
    facts = {"telemetry_proxy": {"server": PROXY, "disable_enterprise_auth_proxy": 1,
                                 "prefer_static_proxy_for_http_request": None},
             "winhttp": {"native": native, "wow64": wow64},
             "defender_av": {"proxy_server": DEFENDER_VALUES[defender], "proxy_pac_url": None,
                             "proxy_bypass": ";".join(BYPASS) if defender == "desired" else None,
                             "ssl_options": None}}
    inputs = {"proxy": PROXY, "previous_proxies": [PREVIOUS], "bypass": BYPASS, "winhttp_policy": policy,
              "topology": topology, "remove_stale": stale}
    if situation == "reset":
        inputs["state"] = "absent"
    else:
        inputs["network_mode"] = situation
    if situation != "static" and policy == "set":
        # set needs a static network and is refused with state absent; WinHTTP is left as it is found.
        inputs["winhttp_policy"] = "leave"
    return compute_plan(inputs, facts)


def defender_cases():
    for row in readme_table("Defender Antivirus's own proxy"):
        assert len(row) == 5, row
        situations = vocabulary(SITUATION_CELLS, row[0], "situation")
        afters = vocabulary(WINHTTP_AFTER, row[1], "WinHTTP after the plan")
        for state, action in parallel(row[2], row[3], DEFENDER_CURRENT, ACTIONS, "Defender"):
            for situation, after, stale in itertools.product(situations, afters, BOOLS):
                yield (situation, after, state, stale), action(stale), row


def test_defender_table_matches_the_plan():
    cases = list(defender_cases())
    assert cases
    for (situation, after, state, stale), action, row in cases:
        plan = defender_plan(situation, state, after, stale)
        if situation == "static":
            # The WinHTTP cell is what the plan's own WinHTTP action leaves behind.
            winhttp = next(a for a in plan["actions"] if a["target"] == "winhttp_proxy")
            proxied = any(view["uses_proxy"] for view in winhttp["current"]["views"].values())
            carried = winhttp["action"] == "set" or (winhttp["action"] in ("keep", "report", "refuse") and proxied)
            assert carried == (after in WINHTTP_AFTER["a proxy (set or kept)"]), (after, winhttp["action"])
        got = next(a for a in plan["actions"] if a["target"] == "defender_av_proxy")["action"]
        assert got == action, (row, situation, after, state, stale)
    space = list(itertools.product(SITUATIONS, WINHTTP_AFTER["any"], DEFENDER_VALUES, BOOLS))
    check_coverage(space, cases, "Defender")


# ---------------------------------------------------------------------------------------------
# values a policy owns
# ---------------------------------------------------------------------------------------------

GPO_ID = "CN={2B7E1F40-5A3C-4C1B-9E2D-7F0A1B2C3D4E},CN=Policies,CN=System,DC=corp,DC=example"


def _gpo_evidence(server):
    text = (server + "\x00").encode("utf-16-le").hex().upper()
    key = r"Software\Policies\Microsoft\Windows\DataCollection"
    return {"rsop": {"error": None, "gpos": [{"id": GPO_ID, "guidName": "{2B7E1F40-5A3C-4C1B-9E2D-7F0A1B2C3D4E}",
                                              "name": "Workstations - Proxy"}],
                     "settings": [{"registryKey": key, "valueName": "TelemetryProxyServer", "valueType": 1, "value": text,
                                   "deleted": False, "GPOID": GPO_ID, "precedence": 1},
                                  {"registryKey": key, "valueName": "DisableEnterpriseAuthProxy", "valueType": 4,
                                   "value": [1, 0, 0, 0], "deleted": False, "GPOID": GPO_ID, "precedence": 1}]},
            "local_registry_pol": "", "mdm": {}, "gpp": []}


EVIDENCE = {
    "none": None,
    "unowned": {"rsop": {"error": None, "gpos": [], "settings": []}, "local_registry_pol": "", "mdm": {}, "gpp": []},
    "gpo-proxy": _gpo_evidence(PROXY),
    "gpo-foreign": _gpo_evidence(FOREIGN),
}
# base situation of the telemetry_proxy target -> (situation, current TelemetryProxyServer); the action it gets
# without evidence is read from the plan, not assumed.
BASES = {"static-none": ("static", "none"), "static-desired": ("static", "desired"),
         "transparent-previous": ("transparent", "previous")}
EVIDENCE_CELLS = {"none in the facts": ["none"], "no policy enforces it": ["unowned"],
                  "a policy enforces it": ["gpo-proxy", "gpo-foreign"]}
CONFLICT_CELLS = {"any": ("refuse", "override"), "refuse": ("refuse",), "override": ("override",)}


def owned_plan(evidence, base, conflict):
    situation, current = BASES[base]
    facts = {"telemetry_proxy": {"server": TELEMETRY[current], "disable_enterprise_auth_proxy": 1 if current != "none" else None,
                                 "prefer_static_proxy_for_http_request": None},
             "winhttp": {"native": WINHTTP["direct"][0], "wow64": WINHTTP["direct"][1]}}
    if EVIDENCE[evidence] is not None:
        facts["policy"] = EVIDENCE[evidence]
    inputs = {"proxy": PROXY, "previous_proxies": [PREVIOUS], "network_mode": situation, "policy_conflict": conflict,
              "topology": "stable"}
    plan = compute_plan(inputs, facts)
    return next(a for a in plan["actions"] if a["target"] == "telemetry_proxy"), plan


def policy_value(evidence, base_action):
    """Whether the owner's value is what the plan wants: the proxy when it writes or keeps it, nothing when it removes."""
    wanted = PROXY if base_action in ("set", "keep") else None
    owner = PROXY if evidence == "gpo-proxy" else FOREIGN
    return "the plan's value" if owner == wanted else "another value"


def ownership_cases():
    for row in readme_table("Values a policy owns"):
        assert len(row) == 6, row
        evidences = vocabulary(EVIDENCE_CELLS, row[0], "policy evidence")
        conflicts = vocabulary(CONFLICT_CELLS, row[2], "policy_conflict")
        base_cell = row[3]
        for evidence, base, conflict in itertools.product(evidences, BASES, conflicts):
            base_action = owned_plan("none", base, conflict)[0]["action"]
            if base_cell != "any":
                bases = base_cell.split(" / ")
                if base_action not in bases:
                    continue
                results = row[4].split(" / ")
                assert len(results) in (1, len(bases)), row
                expected = results[bases.index(base_action)] if len(results) > 1 else results[0]
            else:
                expected = "unchanged"
            if row[1] and evidence in ("gpo-proxy", "gpo-foreign") and policy_value(evidence, base_action) != row[1]:
                continue
            if expected == "unchanged":
                expected = base_action
            yield (evidence, base, conflict), expected, row


def test_ownership_table_matches_the_plan():
    cases = list(ownership_cases())
    assert cases
    for (evidence, base, conflict), action, row in cases:
        got, plan = owned_plan(evidence, base, conflict)
        assert got["action"] == action, (row, evidence, base, conflict, got["reason"])
        if "warning" in row[5]:
            assert any(f["severity"] == "warning" and "Workstations - Proxy" in f["message"] for f in plan["findings"]), row
        if "named" in row[5] or "refuse" == action:
            assert "Workstations - Proxy" in got["reason"], row
    space = list(itertools.product(EVIDENCE, BASES, ("refuse", "override")))
    check_coverage(space, cases, "ownership")


# ---------------------------------------------------------------------------------------------
# what `refuse` means, where the user reads it
# ---------------------------------------------------------------------------------------------


def test_every_definition_of_refuse_names_each_kind_of_cause():
    """`refuse` is not only "WinHTTP on a roaming device": a policy that owns the value and the split-proxy
    hold are refusals too. Each kind of cause the plan gives is named where the action is defined."""
    from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.split_proxy import HELD_CAUSE

    plan = plan_of("static", winhttp="direct", policy="set", topology="roaming")
    assert plan["winhttp_proxy"] == "refuse"
    with open(README, encoding="utf-8") as handle:
        readme = " ".join(handle.read().split())
    definition = re.search(r"and `refuse` \((.*?)\) change nothing", readme)
    assert definition, "roles/device_proxy/README.md no longer defines `refuse` in its decision table intro"
    guide = os.path.join(os.path.dirname(README), "..", "..", "docs", "docsite", "rst", "reading_the_reports.rst")
    with open(guide, encoding="utf-8") as handle:
        text = handle.read()
    rst = " ".join(text.split("``refuse``\n", 1)[1].split("\n\n", 1)[0].split())
    for where, words in (("role README", definition.group(1)), ("reading_the_reports.rst", rst)):
        assert "roaming device" in words, where
        assert "policy" in words and "GPO" in words, where
        assert HELD_CAUSE in words, where
