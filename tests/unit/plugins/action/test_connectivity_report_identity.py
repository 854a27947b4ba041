"""A device probed under another account than SYSTEM never passes the strict verdict.

The sensor runs as SYSTEM; methods 1 and 2 (WinHTTP's default configuration, WPAD) depend on the
account (docs/connectivity-check.md, "Who runs the probes"). When the device's route is one of
them and the probes ran as a user, the strict verdict cannot be given: the host has no result
(with the reason), never a pass, in the fleet and in the fail policy. The analyzer verdict,
which takes any method, still reports the host.
"""

from __future__ import annotations

import pytest

from ansible_collections.purview.device_proxy.plugins.plugin_utils import fleet_report
from ansible_collections.purview.device_proxy.tests.unit.plugins.action.test_connectivity_report import (
    golden,
    run_report,
)

HOST = golden.HOSTS["not_system"]


@pytest.fixture(scope="module")
def results():
    return golden.fleet_inputs()


def entry(fleet):
    return next(h for h in fleet["hosts"] if h["host"] == HOST)


def test_not_system_host_has_no_strict_result(results):
    assert results[HOST]["identity"]["system"] is False
    host = entry(fleet_report.build_fleet(results, golden.GENERATED_AT, "strict"))
    assert host["verdict"] != "pass"
    assert host["status"] == fleet_report.NO_RESULT
    assert "SYSTEM" in host["error"] and "become" in host["error"]


def test_not_system_host_is_still_reported_by_the_analyzer_rule(results):
    host = entry(fleet_report.build_fleet(results, golden.GENERATED_AT, "analyzer"))
    assert host["status"] == "tested"


@pytest.mark.parametrize("policy", ["any", "required"])
def test_fail_policy_never_lists_the_host_as_passing(tmp_path, results, policy):
    outcome = run_report({"dest": str(tmp_path / "r"), "results": results, "fail_policy": policy,
                          "fail_verdict": "strict"}, {})
    assert HOST not in outcome["policy_failures"]  # no result, as in the fleet; an empty list would read as a pass
