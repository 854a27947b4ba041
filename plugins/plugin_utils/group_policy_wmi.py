# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""WMI filters for the device classes of a Group Policy export, and what they cannot express.

A GPO has one WMI filter; the client runs each of its queries and applies the GPO only when every
query returns at least one instance ([MS-GPOL] 3.2.5.1.x, WMI filter evaluation,
https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-gpol/494e3623-391d-40ba-a648-672119a07b5f;
MSFT_SomFilter.Evaluate returns S_OK only "if all the queries ... return results",
https://learn.microsoft.com/en-us/previous-versions/windows/desktop/policmanprov/evaluate-method-in-class-msft-somfilter).
So the queries of a filter are ANDed, one WMI class each, and a filter cannot:

* OR across classes (a battery in Win32_Battery *or* a mobile PCSystemType in Win32_ComputerSystem):
  "WMI supports data queries from only one class at a time" (WQL (SQL for WMI),
  https://learn.microsoft.com/en-us/windows/win32/wmisdk/wql-sql-for-wmi, which also lists the
  AND, OR, NOT and LIKE keywords the queries use);
* test that a class has no instance (no battery);
* test an array: "WQL does not support queries of array datatypes"
  (https://learn.microsoft.com/en-us/windows/win32/wmisdk/querying-with-wql), which rules out
  Win32_SystemEnclosure.ChassisTypes.

The topology rules (``topology.derive_topology``) need all three. The filter this module renders
tests what one Win32_ComputerSystem query can: ``PCSystemType`` and the hypervisor strings of
``Manufacturer`` and ``Model`` (the same ``topology.VIRTUAL_MARKERS``). What it selects is exactly
``derive_topology`` applied to those three facts alone (:func:`filter_topology`); every device
where that differs from its real class is listed by :func:`misclassified`. The exact way to scope
a GPO to a class is security-group filtering with the class's computer list.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.purview.device_proxy.plugins.plugin_utils.topology import (
    MOBILE_PC_SYSTEM_TYPES,
    ROAMING,
    STABLE,
    UNKNOWN,
    VIRTUAL_MARKERS,
    TopologyError,
    derive_topology,
)

NAMESPACE = "root\\CIMv2"
QUERY_LANGUAGE = "WQL"
WMI_CLASS = "Win32_ComputerSystem"
# The hardware facts and the Win32_ComputerSystem property each one comes from.
SEEN_FACTS = {"pc_system_type": "PCSystemType", "manufacturer": "Manufacturer", "model": "Model"}
# What the filter cannot test, and why (the rule in topology.py it leaves out).
NOT_SEEN = (
    ("chassis_types", "Win32_SystemEnclosure.ChassisTypes is an array, and WQL does not support queries of array "
                      "datatypes; a portable chassis type is not seen"),
    ("has_battery", "a battery is an instance of another class (Win32_Battery): a filter cannot OR it with "
                    "PCSystemType, and cannot test that there is none"),
    ("bios_version", "the Hyper-V BIOS version is in another class (Win32_BIOS), which cannot be ORed with the "
                     "Win32_ComputerSystem test"),
    ("is_virtual", "a virtual machine is recognised by its Manufacturer and Model strings only"),
)
# How WQL compares the strings, where the topology rules differ.
STRING_NOTE = ("strings compare without regard to case, as the topology rules compare them, but spaces around an "
               "SMBIOS string are not trimmed as the topology rules trim them")

_LITERAL = re.compile(r"^[A-Za-z0-9 .,-]+$")


class WmiFilterError(ValueError):
    """A hypervisor marker has a pattern this module cannot turn into WQL."""


def _wql_string(text: str) -> str:
    # WHERE clause: backslash and quotes are escaped with a backslash.
    return '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"')


def _like_pattern(text: str) -> str:
    # LIKE metacharacters are matched literally inside brackets.
    return "".join("[%s]" % char if char in "[_%" else char for char in text)


def _marker_tests(key: str, pattern: str) -> List[str]:
    """WQL tests for one VIRTUAL_MARKERS regex: ^text$ is =, ^text is LIKE "text%", ^(a|b) two tests."""
    if not pattern.startswith("^"):
        raise WmiFilterError("marker %r for %s is not anchored at the start" % (pattern, key))
    body, exact = pattern[1:], pattern.endswith("$")
    if exact:
        body = body[:-1]
    alternatives = body[1:-1].split("|") if body.startswith("(") and body.endswith(")") else [body]
    prop = SEEN_FACTS[key]
    tests = []
    for literal in alternatives:
        if not _LITERAL.match(literal):
            raise WmiFilterError("marker %r for %s is not a plain text prefix WQL can express" % (pattern, key))
        if exact:
            tests.append("%s = %s" % (prop, _wql_string(literal)))
        else:
            tests.append("%s LIKE %s" % (prop, _wql_string(_like_pattern(literal) + "%")))
    return tests


def virtual_machine_tests() -> List[str]:
    """The WQL form of every hypervisor marker on Manufacturer or Model (WMI compares strings without case)."""
    tests: List[str] = []
    for key, pattern, _hypervisor in VIRTUAL_MARKERS:
        if key in SEEN_FACTS:
            tests.extend(test for test in _marker_tests(key, pattern) if test not in tests)
    return tests


def _mobile(operator: str, joiner: str) -> str:
    return "(%s)" % (" %s " % joiner).join("PCSystemType %s %d" % (operator, number) for number in sorted(MOBILE_PC_SYSTEM_TYPES))


def query_for(topology: str) -> Optional[str]:
    """The one query of the class's WMI filter; None for a class no filter can select."""
    virtual = " OR ".join(virtual_machine_tests())
    if topology == ROAMING:
        return "SELECT * FROM %s WHERE %s AND NOT (%s)" % (WMI_CLASS, _mobile("=", "OR"), virtual)
    if topology == STABLE:
        return "SELECT * FROM %s WHERE %s OR %s" % (WMI_CLASS, _mobile("<>", "AND"), virtual)
    return None


def seen_hardware(hardware: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    """The part of the hardware facts the filter can test."""
    if not isinstance(hardware, Mapping):
        return {}
    return {key: hardware[key] for key in SEEN_FACTS if hardware.get(key) is not None}


def filter_topology(hardware: Optional[Mapping[str, Any]]) -> str:
    """The class the rendered filters put a device in: the topology rules on the facts they can see."""
    try:
        return derive_topology(seen_hardware(hardware))["topology"]
    except TopologyError:
        return UNKNOWN


def misclassified(devices: Sequence[Tuple[str, str, Optional[Mapping[str, Any]]]], topology: str) -> Dict[str, List[Dict[str, str]]]:
    """Devices the filter of ``topology`` gets wrong: ``selected`` (not of the class, but the filter
    applies the GPO to them) and ``missed`` (of the class, but the filter leaves them out).

    ``devices`` is ``(host, class topology, hardware facts)``.
    """
    selected, missed = [], []
    for host, actual, hardware in devices:
        seen = filter_topology(hardware)
        chosen = seen == topology and query_for(topology) is not None
        if chosen and actual != topology:
            selected.append({"host": host, "class": actual, "why": _why(hardware, actual, seen)})
        elif not chosen and actual == topology and query_for(topology) is not None:
            missed.append({"host": host, "class": actual, "why": _why(hardware, actual, seen)})
    return {"selected": selected, "missed": missed}


def _why(hardware: Optional[Mapping[str, Any]], actual: str, seen: str) -> str:
    unseen = [key for key, _reason in NOT_SEEN if isinstance(hardware, Mapping) and hardware.get(key)]
    if seen == UNKNOWN and not seen_hardware(hardware):
        return "the facts carry no PCSystemType, Manufacturer or Model, so the filter's result cannot be known from them"
    if unseen:
        return "its class (%s) rests on %s, which the filter cannot test; on what it can test it looks %s" % (
            actual, ", ".join(unseen), seen)
    return "its class (%s) comes from the inventory or the reported facts, not from hardware the filter tests; " \
           "on what the filter can test it looks %s" % (actual, seen)


def limits_text(topology: str) -> List[str]:
    """What the class's filter cannot see, said once per rule, in the words of the topology rules."""
    if topology == ROAMING:
        lead = ("Roaming devices whose only sign of roaming is a portable chassis type or a battery (PCSystemType not "
                "2 or 8) are NOT selected; they get the registry-based proxy only through the security group")
    elif topology == STABLE:
        lead = ("Physical devices with a battery or a portable chassis type but a PCSystemType other than 2 (Mobile) or "
                "8 (Slate) ARE selected although the topology rules call them roaming: do not rely on this filter "
                "alone to keep the system-wide WinHTTP proxy off laptops; scope the GPO with the security group")
    else:
        return ["No WMI filter can select this class: the devices are unknown to the collection, not a kind of "
                "hardware. Scope the GPO with the security group of computers.txt, or gather their facts with "
                "purview.device_proxy.device_facts so they fall into the stable or roaming class"]
    keywords = len(re.findall(r"\b(?:AND|OR|NOT)\b", query_for(topology) or ""))
    quota_note = ("the query uses %d AND/OR/NOT keywords; Microsoft notes that too many make WMI answer "
                  "WBEM_E_QUOTA_VIOLATION (Querying with WQL): test it with Get-CimInstance -Query on one device "
                  "first" % keywords)
    null_note = ("physical devices that report no PCSystemType are selected by neither filter (a comparison with "
                 "NULL is false)")
    return [lead] + ["not tested: %s" % reason for _key, reason in NOT_SEEN] + [STRING_NOTE, null_note, quota_note]
