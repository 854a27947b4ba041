# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The registry-value engine shared by telemetry_proxy and defender_av_proxy."""

from __future__ import annotations

import pytest

from ansible_collections.purview.device_proxy.plugins.plugin_utils import registry_locations as reg
from ansible_collections.purview.device_proxy.plugins.plugin_utils.registry_values import (
    ABSENT,
    READ,
    holds,
    module_values,
    reported_values,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.raw_registry_value import RegistryValue
from ansible_collections.purview.device_proxy.plugins.plugin_utils.windows_module import OutcomeError

SLOTS = (reg.TELEMETRY_PROXY_SERVER, reg.DISABLE_ENTERPRISE_AUTH_PROXY)


@pytest.mark.parametrize("current, desired, expected", [
    (None, READ, True),
    (RegistryValue("String", "x"), READ, True),
    (None, ABSENT, True),
    (RegistryValue("DWord", 0), ABSENT, False),
    (RegistryValue("DWord", 1), ("present", RegistryValue("DWord", 1)), True),
    # A number that did not read back as one is not the number.
    (RegistryValue("DWord", "1"), ("present", RegistryValue("DWord", 1)), False),
    (RegistryValue("String", "1"), ("present", RegistryValue("DWord", 1)), False),
    # Text is compared exactly, case included, as the target compares it.
    (RegistryValue("String", "Proxy:3128"), ("present", RegistryValue("String", "proxy:3128")), False),
    (None, ("present", RegistryValue("String", "proxy:3128")), False),
])
def test_holds_is_the_targets_exact_comparison(current, desired, expected):
    assert holds(current, desired) is expected


def test_module_values_follow_the_slots_and_carry_kind_and_data_only_when_present():
    wanted = {"server": ("present", RegistryValue("String", "10.0.0.6:8080")), "disable_enterprise_auth_proxy": ABSENT}
    assert module_values(SLOTS, wanted) == [
        {"path": reg.TELEMETRY_PROXY_SERVER.path, "name": "TelemetryProxyServer", "state": "present",
         "kind": "String", "data": "10.0.0.6:8080"},
        {"path": reg.DISABLE_ENTERPRISE_AUTH_PROXY.path, "name": "DisableEnterpriseAuthProxy", "state": "absent"},
    ]


def test_a_value_the_target_did_not_report_is_an_error_not_a_missing_value():
    raw = {"values": [{"path": reg.TELEMETRY_PROXY_SERVER.path.upper(), "name": "telemetryproxyserver",
                       "before": None, "after": {"kind": "String", "data": "p:1"}}]}
    with pytest.raises(OutcomeError, match="DisableEnterpriseAuthProxy"):
        reported_values(raw, SLOTS)
    with pytest.raises(OutcomeError, match="no list of values"):
        reported_values({"values": None}, SLOTS)
