# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller half of purview.device_proxy.device_facts.

One round trip for the raw state; here it is decoded (WinHttpSettings codec), classified
(virtual machine) and the topology derived (plugin_utils.topology) with its evidence.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ansible_collections.purview.device_proxy.plugins.modules.device_facts import DOCUMENTATION
from ansible_collections.purview.device_proxy.plugins.plugin_utils.topology import derive_topology, is_conclusive
from ansible_collections.purview.device_proxy.plugins.plugin_utils.windows_module import (
    Outcome,
    TargetSession,
    WindowsModuleAction,
    registry_data,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.winhttp_view import WinHttpView, winhttp_drift

FACTS_KEY = "purview_device_proxy"

# (hardware key, pattern, hypervisor): strings the well-known hypervisors put in SMBIOS, as
# Win32_ComputerSystem and Win32_BIOS report them. Matched case-insensitively.
VIRTUAL_MARKERS: Tuple[Tuple[str, str, str], ...] = (
    ("model", r"^virtual machine$", "Hyper-V"),
    ("bios_version", r"^hyper-v\b", "Hyper-V"),
    ("manufacturer", r"^vmware", "VMware"),
    ("model", r"^vmware", "VMware"),
    ("model", r"^virtualbox$", "VirtualBox"),
    ("manufacturer", r"^innotek gmbh$", "VirtualBox"),
    ("manufacturer", r"^qemu$", "QEMU"),
    ("model", r"^kvm$", "KVM"),
    ("manufacturer", r"^xen$", "Xen"),
    ("model", r"^hvm domu$", "Xen"),
    ("manufacturer", r"^amazon ec2$", "Amazon EC2"),
    ("model", r"^google compute engine$", "Google Compute Engine"),
    ("manufacturer", r"^parallels", "Parallels"),
    ("model", r"^parallels", "Parallels"),
    ("manufacturer", r"^nutanix$", "Nutanix AHV"),
    ("model", r"^openstack", "OpenStack"),
    ("model", r"^(rhev hypervisor|ovirt node)", "oVirt/RHV"),
    ("manufacturer", r"^bochs$", "Bochs"),
)


def classify_virtual(hardware: Mapping[str, Any]) -> Tuple[bool, List[str]]:
    """Whether the SMBIOS strings name a hypervisor, and which strings said so."""
    evidence = []
    for key, pattern, hypervisor in VIRTUAL_MARKERS:
        value = hardware.get(key)
        if isinstance(value, str) and re.search(pattern, value.strip(), re.IGNORECASE):
            evidence.append("%s '%s' is a %s virtual machine" % (key.replace("_", " "), value.strip(), hypervisor))
    return bool(evidence), evidence


def hardware_facts(raw: Mapping[str, Any]) -> Tuple[Dict[str, Any], List[str]]:
    is_virtual, evidence = classify_virtual(raw)
    battery_count = raw.get("battery_count")
    return {
        "chassis_types": [int(number) for number in raw.get("chassis_types") or []],
        "pc_system_type": raw.get("pc_system_type"),
        "has_battery": None if battery_count is None else battery_count > 0,
        "is_virtual": is_virtual,
        "manufacturer": raw.get("manufacturer"),
        "model": raw.get("model"),
    }, evidence


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
    hardware, virtual_evidence = hardware_facts(raw["hardware"])
    topology = derive_topology(hardware)
    facts = {
        "telemetry_proxy": {name: registry_data(value) for name, value in raw["telemetry_proxy"].items()},
        "winhttp": winhttp_facts(raw["winhttp"], bool(raw["os"].get("is_64bit"))),
        "wininet": {
            "machine": wininet_facts(raw["wininet"]["machine"]),
            "system_account": wininet_facts(raw["wininet"]["system_account"]),
        },
        "hardware": hardware,
        # "stable" only for lack of any hardware evidence would let a static
        # WinHTTP proxy through on a laptop whose WMI answered nothing.
        "topology": topology["topology"] if is_conclusive(topology) else "unknown",
        "topology_evidence": virtual_evidence + list(topology["evidence"]),
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
        reply = session.call({})
        facts, warnings = build_facts(reply["raw"])
        # Read-only: no before/after and nothing to diff.
        return Outcome(
            changed=False,
            before=None,
            after=None,
            extra={"ansible_facts": {FACTS_KEY: facts}, "raw": reply["raw"]},
            warnings=warnings,
        )
