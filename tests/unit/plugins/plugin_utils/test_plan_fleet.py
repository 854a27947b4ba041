# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The simulated fleet (tests/unit/fixtures/fleet): each device gets the plan its inventory expects.

The molecule scenario extensions/molecule/device_proxy_plan runs the role over the same inventory.
"""

from __future__ import annotations

import json
import os

import pytest
import yaml

from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan import compute_plan

FLEET = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "fleet")
PREFIX = "device_proxy_"


def _hosts(group, inherited):
    variables = {**inherited, **(group.get("vars") or {})}
    for name, host_vars in (group.get("hosts") or {}).items():
        yield name, {**variables, **(host_vars or {})}
    for child in (group.get("children") or {}).values():
        yield from _hosts(child or {}, variables)


def fleet():
    with open(os.path.join(FLEET, "inventory.yml")) as handle:
        inventory = yaml.safe_load(handle)
    return dict(_hosts(inventory["all"], {}))


def test_fleet_has_at_least_eight_devices_with_facts():
    hosts = fleet()
    assert len(hosts) >= 8
    for name in hosts:
        assert os.path.exists(os.path.join(FLEET, "facts", f"{name}.json")), name


@pytest.mark.parametrize("host,variables", sorted(fleet().items()))
def test_fleet_plan(host, variables):
    with open(os.path.join(FLEET, "facts", f"{host}.json")) as handle:
        facts = json.load(handle)
    inputs = {key[len(PREFIX):]: value for key, value in variables.items() if key.startswith(PREFIX)}
    plan = compute_plan(inputs, facts, field_prefix=PREFIX, host=host)
    expected = variables["fleet_expected"]
    got = {action["target"]: action["action"] for action in plan["actions"]}
    assert got == {**{target: expected[target] for target in ("telemetry_proxy", "prefer_static_proxy", "winhttp_proxy")},
                   "defender_av_proxy": variables["fleet_expected_defender"]}
    assert plan["topology"]["value"] == expected["topology"]
    assert list(plan["apply"]) == expected["apply"]
    assert plan["host"] == host
