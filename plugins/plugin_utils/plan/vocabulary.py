# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan's words, defined once: verdicts, severities, targets, errors, and the shape of an action."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional

from ansible_collections.purview.device_proxy.plugins.module_utils._input_error import InputError

PLAN_VERSION = 1

# Verdicts: what the plan does with one target.
SET = "set"
REMOVE = "remove"
KEEP = "keep"
REPORT = "report"
REFUSE = "refuse"
CHANGING_ACTIONS = (SET, REMOVE)

# Severities of a finding.
INFO = "info"
WARNING = "warning"


class PlanError(InputError):
    """Bad input or facts. ``field`` names what the user wrote, ``rule`` the rule it broke."""


class PlanInputError(PlanError):
    """An input (role variable) is missing, has the wrong type, or contradicts another one."""


class PlanFactsError(PlanError):
    """The device facts have the wrong shape."""


@dataclass(frozen=True)
class Target:
    """A setting the plan decides on: its name in the plan, the module that writes it, its review column."""

    name: str
    module: str
    column: str

    def action(self, verdict: str, reason: str, params: Optional[Dict[str, Any]] = None,
               current: Optional[Dict[str, Any]] = None, desired: Optional[Dict[str, Any]] = None,
               cause: Optional[str] = None) -> Dict[str, Any]:
        """An action in the plan's shape; only a changing verdict carries module parameters, only a
        refusal its cause in a few words (the policy, the topology...) for a fleet table."""
        built = {
            "target": self.name,
            "action": verdict,
            "module": self.module,
            "changes": verdict in CHANGING_ACTIONS,
            "params": params if verdict in CHANGING_ACTIONS and params else {},
            "current": current or {},
            "desired": desired or {},
            "reason": reason,
        }
        if verdict == REFUSE and cause:
            built["cause"] = cause
        return built


TELEMETRY_PROXY = Target("telemetry_proxy", "purview.device_proxy.telemetry_proxy", "TelemetryProxyServer")
PREFER_STATIC_PROXY = Target("prefer_static_proxy", "purview.device_proxy.telemetry_proxy", "PreferStatic")
WINHTTP_PROXY = Target("winhttp_proxy", "purview.device_proxy.winhttp_proxy", "WinHTTP")
DEFENDER_AV_PROXY = Target("defender_av_proxy", "purview.device_proxy.defender_av_proxy", "Defender AV")


def finding(severity: str, message: str) -> Dict[str, str]:
    return {"severity": severity, "message": message}


def rebuilder(action: Dict[str, Any]) -> Callable[..., Dict[str, Any]]:
    """Rebuild an action with another verdict and reason, keeping what it found and wanted."""
    def rebuild(verdict: str, reason: str, cause: Optional[str] = None) -> Dict[str, Any]:
        changes = verdict in CHANGING_ACTIONS
        rebuilt = dict(action, action=verdict, changes=changes, params=action["params"] if changes and action["params"] else {},
                       reason=reason)
        rebuilt.pop("cause", None)
        if verdict == REFUSE and cause:
            rebuilt["cause"] = cause
        return rebuilt
    return rebuild
