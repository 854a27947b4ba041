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

* a virtual machine is stable: its chassis and battery are virtual and say nothing about roaming;
* a portable SMBIOS chassis type, ``PCSystemType`` 2 (Mobile) or 8 (Slate), or a battery on
  physical hardware makes a device roaming;
* anything else (desktops, towers, all-in-ones, servers, or no evidence at all) is stable.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

ROAMING = "roaming"
STABLE = "stable"

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

# The only evidence when the hardware facts name no chassis type, PCSystemType or battery.
NO_EVIDENCE = "no chassis type, PCSystemType or battery reported: no sign of a portable device"


class TopologyError(ValueError):
    """The hardware facts have the wrong shape. ``field`` names the offending key."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


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
    """Return ``{"topology": "roaming"|"stable", "evidence": [str, ...]}`` for hardware facts.

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

    if is_virtual:
        evidence = [f"virtual machine{_machine_label(hardware)}: its chassis and battery are virtual "
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
        stable_evidence.append(NO_EVIDENCE)
    return {"topology": STABLE, "evidence": stable_evidence}


def is_conclusive(result: Mapping[str, Any]) -> bool:
    """Whether a derive_topology result rests on a hardware fact, not on the absence of all of them.

    Stable for lack of evidence is fine for a report, but not enough to allow a system-wide WinHTTP
    proxy: a laptop whose inventory record lists only its manufacturer looks the same.
    """
    return list(result.get("evidence") or []) != [NO_EVIDENCE]
