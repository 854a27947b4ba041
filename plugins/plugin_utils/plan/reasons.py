# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Clauses every target's reason shares: how the situation is named, and the stale-setting rule."""

from __future__ import annotations

from functools import lru_cache
from typing import Tuple

from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import (
    ProxyAddressError,
    telemetry_proxy_server_value,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.inputs import MODE_WORDS, PlanInputs
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.vocabulary import REMOVE, REPORT

_NO_CONFIG_WHY = {
    "transparent": "the network's transparent proxy carries the traffic, so no device configuration is needed",
    "wpad": "WinHTTP discovers the proxy through WPAD by itself, so no device configuration is needed",
}


@lru_cache(maxsize=1024)
def normal_telemetry(value: str) -> str:
    """A current TelemetryProxyServer in normal form, or as found when it does not parse."""
    try:
        return telemetry_proxy_server_value(value)
    except ProxyAddressError:
        return value


def context(inputs: PlanInputs) -> str:
    """How the situation is named at the start of a reason."""
    if inputs.state == "absent":
        return "reset to direct access"
    return MODE_WORDS[inputs.network_mode]


def no_config_why(inputs: PlanInputs) -> str:
    if inputs.state == "absent":
        return "reset to direct access: this collection's static proxy settings go"
    return f"{context(inputs)}: {_NO_CONFIG_WHY[inputs.network_mode]}"


def stale_decision(inputs: PlanInputs, what: str, ours: bool, why_unneeded: str) -> Tuple[str, str]:
    """Remove a setting the collection wrote; report anything else unless asked to remove it."""
    if ours:
        return REMOVE, f"{why_unneeded}; removes {what}, which this collection wrote"
    if inputs.remove_stale:
        return REMOVE, (f"{why_unneeded}; removes the stale {what}, which this collection did not write, "
                        f"because {inputs.name('remove_stale')} is true")
    return REPORT, (f"{why_unneeded}, but the stale {what} was not written by this collection: reported only "
                    f"(set {inputs.name('remove_stale')} to true to remove it)")
