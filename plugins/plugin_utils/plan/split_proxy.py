# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""No split brain after a refusal: when a policy holds the sensor's static proxy back, moving WinHTTP or
Defender Antivirus to another proxy would leave the sensor on one proxy and the rest of the device on
another. ``split_proxy_after_refusal`` says whether such a move is held (the default) or made; either
way a warning says which proxies would differ."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.decider import PlanContext
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.reasons import normal_telemetry
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.vocabulary import (
    REFUSE,
    REPORT,
    SET,
    TELEMETRY_PROXY,
    WARNING,
    finding as _finding,
    rebuilder,
)

HELD_CAUSE = "held with TelemetryProxyServer"


def sensor_proxy_held(plan: PlanContext) -> Optional[str]:
    """The static proxy the sensor keeps when the plan's one is held back by a policy, else None."""
    telemetry = plan.decided[TELEMETRY_PROXY.name]
    held = telemetry["action"] == REFUSE or (telemetry["action"] == REPORT and telemetry["desired"].get("server"))
    server = plan.current.telemetry_server
    if not held or server is None:
        return None  # nothing held back, or the sensor has no static proxy and follows WinHTTP itself
    return normal_telemetry(server)


def hold_split(plan: PlanContext, action: Dict[str, Any], what: str, new_proxy: str,
               same_as_sensor: bool) -> Tuple[Dict[str, Any], List[Dict[str, str]]]:
    """Hold (or, with proceed, keep with a warning) a move of ``what`` to ``new_proxy`` away from the sensor's proxy."""
    sensor = sensor_proxy_held(plan)
    if action["action"] != SET or sensor is None or same_as_sensor:
        return action, []
    option = plan.inputs.name("split_proxy_after_refusal")
    split = (f"TelemetryProxyServer stays {sensor} (held back by a policy, see the static proxy) while {what} would move "
             f"to {new_proxy}: the sensor and the rest of the device would use different proxies")
    if plan.inputs.split_proxy_after_refusal == "proceed":
        return action, [_finding(WARNING, f"{split}; changed anyway because {option} is proceed")]
    held = rebuilder(action)(REFUSE, f"{action['reason']}; held: the sensor keeps its policy's proxy (see the warning)",
                             HELD_CAUSE)
    return held, [_finding(WARNING, f"{split}; held (set {option} to proceed to make the change anyway)")]
