# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller half of purview.device_proxy.device_facts.

One round trip for the raw state; here it is decoded (plugin_utils.winhttp_view), and the
virtual-machine classification and the topology are derived (plugin_utils.topology) with their evidence.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Tuple

from ansible_collections.purview.device_proxy.plugins.modules.device_facts import DOCUMENTATION
from ansible_collections.purview.device_proxy.plugins.plugin_utils.registry_locations import device_facts_reads
from ansible_collections.purview.device_proxy.plugins.plugin_utils.topology import classify_virtual, derive_topology
from ansible_collections.purview.device_proxy.plugins.plugin_utils.windows_module import (
    Outcome,
    TargetSession,
    WindowsModuleAction,
    registry_data,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.winhttp_view import WinHttpView, winhttp_drift

FACTS_KEY = "purview_device_proxy"

def hardware_facts(raw: Mapping[str, Any]) -> Dict[str, Any]:
    battery_count = raw.get("battery_count")
    return {
        "chassis_types": [int(number) for number in raw.get("chassis_types") or []],
        "pc_system_type": raw.get("pc_system_type"),
        "has_battery": None if battery_count is None else battery_count > 0,
        "is_virtual": classify_virtual(raw)[0],
        "manufacturer": raw.get("manufacturer"),
        "model": raw.get("model"),
    }


def wininet_facts(raw: Mapping[str, Any]) -> Dict[str, Any]:
    return {name: registry_data(raw.get(name)) for name in ("proxy_enable", "proxy_server", "auto_config_url")}


def service_facts(raw: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    if raw is None:
        return {"state": None, "start_mode": None}
    return {"state": raw.get("state"), "start_mode": raw.get("start_mode")}


def os_facts(raw: Mapping[str, Any]) -> Dict[str, Any]:
    build = raw.get("build_number")
    return {
        "build": int(build) if isinstance(build, str) and build.isdigit() else None,
        "version": raw.get("version"),
        "caption": raw.get("caption"),
        "architecture": "64-bit" if raw.get("is_64bit") else "32-bit",
    }


def winhttp_facts(raw: Mapping[str, Any], is_64bit: bool) -> Dict[str, Any]:
    native = WinHttpView.from_hex(raw.get("native"))
    wow64 = WinHttpView.from_hex(raw.get("wow64")) if is_64bit else None
    absent = {"raw": None, "decoded": None, "error": None}
    return {
        "native": native.to_facts(),
        "wow64": wow64.to_facts() if wow64 else absent,
        "drift": winhttp_drift(native, wow64),
    }


def build_facts(raw: Mapping[str, Any]) -> Tuple[Dict[str, Any], List[str]]:
    """The ``purview_device_proxy`` facts from the target's raw reply, and warnings."""
    warnings = ["device_facts: could not read %s" % error for error in raw.get("errors") or []]
    hardware = hardware_facts(raw["hardware"])
    # The BIOS version names some hypervisors; the facts do not carry it, the derivation sees it.
    topology = derive_topology(dict(hardware, bios_version=raw["hardware"].get("bios_version")))
    facts = {
        "telemetry_proxy": {name: registry_data(value) for name, value in raw["telemetry_proxy"].items()},
        "winhttp": winhttp_facts(raw["winhttp"], bool(raw["os"].get("is_64bit"))),
        "wininet": {
            "machine": wininet_facts(raw["wininet"]["machine"]),
            "system_account": wininet_facts(raw["wininet"]["system_account"]),
        },
        "hardware": hardware,
        "topology": topology["topology"],
        "topology_evidence": list(topology["evidence"]),
        "services": {name: service_facts(raw["services"].get(name)) for name in ("sense", "diagtrack")},
        "os": os_facts(raw["os"]),
    }
    if facts["winhttp"]["drift"]:
        warnings.append("the native and WOW6432Node copies of WinHttpSettings hold different settings")
    return facts, warnings


class ActionModule(WindowsModuleAction):
    MODULE_NAME = "purview.device_proxy.device_facts"
    DOCUMENTATION = DOCUMENTATION

    def decide(self, params: Dict[str, Any], session: TargetSession) -> Outcome:
        reply = session.call({"_registry": device_facts_reads()})
        facts, warnings = build_facts(reply["raw"])
        # Read-only: no before/after and nothing to diff.
        return Outcome(
            changed=False,
            before=None,
            after=None,
            extra={"ansible_facts": {FACTS_KEY: facts}, "raw": reply["raw"]},
            warnings=warnings,
        )
