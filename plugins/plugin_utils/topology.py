# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Roaming or stable: the device topology, derived from hardware facts with its evidence.

The documentation allows the system-wide WinHTTP proxy (``netsh winhttp set proxy``) only on
desktops that always sit behind the same proxy; laptops that move between networks malfunction
with it. Whether a device roams is therefore decided here, once, from the ``hardware`` facts that
``purview.device_proxy.device_facts`` returns, and every conclusion lists the facts it used so a
reviewer can check it.

Rules:

* a virtual machine is stable: its chassis and battery are virtual and say nothing about roaming.
  ``is_virtual`` says so; when the facts do not carry it (a CMDB export), the SMBIOS manufacturer,
  model and BIOS version strings of the well-known hypervisors do;
* a portable SMBIOS chassis type, ``PCSystemType`` 2 (Mobile) or 8 (Slate), or a battery on
  physical hardware makes a device roaming;
* desktops, towers, all-in-ones and servers are stable;
* no chassis type, ``PCSystemType``, battery or hypervisor at all is ``unknown``: a laptop whose
  inventory record names only its maker looks the same, so it is not called stable.

The same module decides whether a static system-wide WinHTTP proxy may be set on a device of a
given topology (:func:`static_winhttp_decision`), for the plan and for ``winhttp_proxy`` alike.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ansible_collections.purview.device_proxy.plugins.module_utils._input_error import InputError

ROAMING = "roaming"
STABLE = "stable"
UNKNOWN = "unknown"

# SMBIOS "System Enclosure or Chassis Types" (DMTF DSP0134, table 17), as Windows reports them in
# Win32_SystemEnclosure.ChassisTypes.
CHASSIS_TYPE_NAMES = {
    1: "Other",
    2: "Unknown",
    3: "Desktop",
    4: "Low Profile Desktop",
    5: "Pizza Box",
    6: "Mini Tower",
    7: "Tower",
    8: "Portable",
    9: "Laptop",
    10: "Notebook",
    11: "Hand Held",
    12: "Docking Station",
    13: "All in One",
    14: "Sub Notebook",
    15: "Space-Saving",
    16: "Lunch Box",
    17: "Main System Chassis",
    18: "Expansion Chassis",
    19: "SubChassis",
    20: "Bus Expansion Chassis",
    21: "Peripheral Chassis",
    22: "Storage Chassis",
    23: "Rack Mount Chassis",
    24: "Sealed-Case PC",
    25: "Multi-system Chassis",
    26: "Compact PCI",
    27: "Advanced TCA",
    28: "Blade",
    29: "Blade Enclosure",
    30: "Tablet",
    31: "Convertible",
    32: "Detachable",
    33: "IoT Gateway",
    34: "Embedded PC",
    35: "Mini PC",
    36: "Stick PC",
}

PORTABLE_CHASSIS_TYPES = frozenset({8, 9, 10, 11, 14, 30, 31, 32})

# Win32_ComputerSystem.PCSystemType.
PC_SYSTEM_TYPE_NAMES = {
    0: "Unspecified",
    1: "Desktop",
    2: "Mobile",
    3: "Workstation",
    4: "Enterprise Server",
    5: "SOHO Server",
    6: "Appliance PC",
    7: "Performance Server",
    8: "Slate",
}

MOBILE_PC_SYSTEM_TYPES = frozenset({2, 8})

# The only evidence when the hardware facts name no chassis type, PCSystemType, battery or
# hypervisor. Releases before the topology could be unknown reported it with "stable".
NO_EVIDENCE = "no chassis type, PCSystemType or battery reported: no sign of a portable device"

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


class TopologyError(InputError):
    """The hardware facts have the wrong shape. ``field`` names the offending key."""

    def __init__(self, field: str, message: str, rule: str = "hardware") -> None:
        super().__init__(field, rule, message)


def classify_virtual(hardware: Mapping[str, Any]) -> Tuple[bool, List[str]]:
    """Whether the SMBIOS strings name a hypervisor, and which strings said so."""
    evidence = []
    for key, pattern, hypervisor in VIRTUAL_MARKERS:
        value = hardware.get(key)
        if isinstance(value, str) and re.search(pattern, value.strip(), re.IGNORECASE):
            evidence.append("%s '%s' is a %s virtual machine" % (key.replace("_", " "), value.strip(), hypervisor))
    return bool(evidence), evidence


def _as_int(value: Any) -> Optional[int]:
    """An integer from facts that may come from WMI (int) or a CMDB export (numeric text)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _chassis_types(hardware: Mapping[str, Any]) -> List[int]:
    raw = hardware.get("chassis_types")
    if raw is None:
        return []
    if isinstance(raw, (int, str)) and not isinstance(raw, bool):
        raw = [raw]
    if not isinstance(raw, (list, tuple)):
        raise TopologyError("hardware.chassis_types", f"must be a list of integers, got {type(raw).__name__}")
    types = []
    for item in raw:
        number = _as_int(item)
        if number is None:
            raise TopologyError("hardware.chassis_types", f"entry {item!r} is not an integer")
        types.append(number)
    return types


def _flag(hardware: Mapping[str, Any], key: str) -> Optional[bool]:
    value = hardware.get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "yes", "no", "1", "0"):
        return value.strip().lower() in ("true", "yes", "1")
    raise TopologyError(f"hardware.{key}", f"must be true or false, got {value!r}")


def chassis_name(number: int) -> str:
    return CHASSIS_TYPE_NAMES.get(number, "undefined")


def pc_system_type_name(number: int) -> str:
    return PC_SYSTEM_TYPE_NAMES.get(number, "undefined")


def _machine_label(hardware: Mapping[str, Any]) -> str:
    parts = [str(hardware[key]) for key in ("manufacturer", "model") if hardware.get(key)]
    return f" ({' '.join(parts)})" if parts else ""


def derive_topology(hardware: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    """Return ``{"topology": "roaming"|"stable"|"unknown", "evidence": [str, ...]}`` for hardware facts.

    ``hardware`` is the ``hardware`` mapping of the device facts; missing keys count as "not
    reported", and ``None`` as no hardware facts at all.
    """
    if hardware is None:
        hardware = {}
    if not isinstance(hardware, Mapping):
        raise TopologyError("hardware", f"must be a mapping, got {type(hardware).__name__}")

    chassis = _chassis_types(hardware)
    pc_type = _as_int(hardware.get("pc_system_type"))
    if hardware.get("pc_system_type") is not None and pc_type is None:
        raise TopologyError("hardware.pc_system_type", f"must be an integer, got {hardware.get('pc_system_type')!r}")
    has_battery = _flag(hardware, "has_battery")
    is_virtual = _flag(hardware, "is_virtual")
    named_hypervisor, marker_evidence = classify_virtual(hardware)
    if is_virtual is None:
        is_virtual = named_hypervisor

    if is_virtual:
        evidence = marker_evidence + [f"virtual machine{_machine_label(hardware)}: its chassis and battery are virtual "
                                      "and say nothing about roaming"]
        if has_battery:
            evidence.append("battery ignored: it belongs to the virtual machine")
        portable = [number for number in chassis if number in PORTABLE_CHASSIS_TYPES]
        if portable:
            evidence.append("portable chassis type ignored: "
                            + ", ".join(f"{n} ({chassis_name(n)})" for n in portable))
        return {"topology": STABLE, "evidence": evidence}

    roaming_evidence = []
    stable_evidence = []
    for number in chassis:
        if number in PORTABLE_CHASSIS_TYPES:
            roaming_evidence.append(f"chassis type {number} ({chassis_name(number)}) is portable")
        else:
            stable_evidence.append(f"chassis type {number} ({chassis_name(number)}) is not portable")
    if pc_type is not None:
        if pc_type in MOBILE_PC_SYSTEM_TYPES:
            roaming_evidence.append(f"PCSystemType {pc_type} ({pc_system_type_name(pc_type)}) is a mobile system")
        else:
            stable_evidence.append(f"PCSystemType {pc_type} ({pc_system_type_name(pc_type)}) is not a mobile system")
    if has_battery:
        roaming_evidence.append("a battery is present on physical hardware")
    elif has_battery is False:
        stable_evidence.append("no battery")

    if roaming_evidence:
        # The conflicting facts are listed too: a reviewer may know better (a desktop on a UPS).
        return {"topology": ROAMING, "evidence": roaming_evidence + stable_evidence}
    if not stable_evidence:
        return {"topology": UNKNOWN, "evidence": [NO_EVIDENCE]}
    return {"topology": STABLE, "evidence": stable_evidence}


def reported_topology(topology: Any, evidence: Any) -> Optional[Dict[str, Any]]:
    """A roaming or stable conclusion that facts carry, or None when they carry none.

    Earlier releases reported ``stable`` with :data:`NO_EVIDENCE` alone; that is no conclusion.
    """
    if topology not in (ROAMING, STABLE):
        return None
    evidence = [str(item) for item in evidence or []]
    if evidence == [NO_EVIDENCE]:
        return None
    return {"topology": topology, "evidence": evidence}


# ---------------------------------------------------------------------------------------------
# the static WinHTTP proxy and the topology
# ---------------------------------------------------------------------------------------------

ROAMING_WHY = (
    "devices that move between networks (office, home, travel) malfunction with a static WinHTTP proxy "
    "(netsh winhttp set proxy): off the corporate network every WinHTTP client (the sensor, certificate "
    "revocation checks, Windows Update) keeps sending its traffic to a proxy it cannot reach")
STATIC_ALTERNATIVE = (
    "the registry-based static proxy (purview.device_proxy.telemetry_proxy, TelemetryProxyServer) covers Sense "
    "and falls back to a direct connection off the network")


@dataclasses.dataclass(frozen=True)
class StaticWinHttpDecision:
    """Whether a static WinHTTP proxy may be set: ``allowed``, and the refusal or warning text."""

    allowed: bool
    refusal: str = ""
    warning: str = ""


def static_winhttp_decision(topology: str, force: bool, unknown_refused: bool,
                            force_option: str = "force", topology_option: str = "device_topology",
                            unknown_hint: str = "") -> StaticWinHttpDecision:
    """The one rule for a static system-wide WinHTTP proxy on a device of ``topology``.

    Stable devices may have it. Roaming devices are refused unless forced (then warned). A device
    of unknown topology is refused like a roaming one when ``unknown_refused`` (the plan, which
    knows the facts), otherwise warned about (the module on its own, whose default is unknown).
    """
    if topology == STABLE:
        return StaticWinHttpDecision(True)
    roaming = topology == ROAMING
    if roaming or unknown_refused:
        if force:
            device = "a roaming device" if roaming else "a device of unknown topology"
            return StaticWinHttpDecision(True, warning=(
                f"static WinHTTP forced on {device} ({force_option} is true), against the documentation: {ROAMING_WHY}"))
        subject = "roaming device" if roaming else (
            f"unknown topology ({unknown_hint or f'{topology_option} is unknown'}); the system-wide proxy "
            "suits only desktops known to be stable")
        return StaticWinHttpDecision(False, refusal=(
            f"static WinHTTP refused: {subject}; {ROAMING_WHY}. Instead, {STATIC_ALTERNATIVE} "
            f"(set {force_option} to override)"))
    return StaticWinHttpDecision(True, warning=(
        f"{topology_option} is unknown: {ROAMING_WHY}; pass the topology fact of purview.device_proxy.device_facts "
        "to have roaming devices refused"))
