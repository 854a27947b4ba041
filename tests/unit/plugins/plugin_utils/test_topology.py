# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""derive_topology: roaming or stable from hardware facts, with the evidence used."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.purview.device_proxy.plugins.plugin_utils.topology import (
    NO_EVIDENCE,
    TopologyError,
    classify_virtual,
    derive_topology,
    reported_topology,
    static_winhttp_decision,
)

# Portable SMBIOS chassis types named in the contract (DMTF DSP0134 table 17).
PORTABLE = {8: "Portable", 9: "Laptop", 10: "Notebook", 11: "Hand Held", 14: "Sub Notebook",
            30: "Tablet", 31: "Convertible", 32: "Detachable"}
STATIONARY = {1: "Other", 2: "Unknown", 3: "Desktop", 4: "Low Profile Desktop", 6: "Mini Tower", 7: "Tower",
              13: "All in One", 15: "Space-Saving", 17: "Main System Chassis", 23: "Rack Mount Chassis",
              24: "Sealed-Case PC", 28: "Blade", 35: "Mini PC"}


@pytest.mark.parametrize("chassis,name", sorted(PORTABLE.items()))
def test_portable_chassis_type_alone_means_roaming(chassis, name):
    result = derive_topology({"chassis_types": [chassis]})
    assert result == {"topology": "roaming", "evidence": [f"chassis type {chassis} ({name}) is portable"]}


@pytest.mark.parametrize("chassis,name", sorted(STATIONARY.items()))
def test_stationary_chassis_type_alone_means_stable(chassis, name):
    result = derive_topology({"chassis_types": [chassis]})
    assert result == {"topology": "stable", "evidence": [f"chassis type {chassis} ({name}) is not portable"]}


@pytest.mark.parametrize("pc_type,name,expected", [
    (2, "Mobile", "roaming"),
    (8, "Slate", "roaming"),
    (0, "Unspecified", "stable"),
    (1, "Desktop", "stable"),
    (3, "Workstation", "stable"),
    (4, "Enterprise Server", "stable"),
    (5, "SOHO Server", "stable"),
    (7, "Performance Server", "stable"),
])
def test_pc_system_type_alone(pc_type, name, expected):
    result = derive_topology({"pc_system_type": pc_type})
    assert result["topology"] == expected
    suffix = "is a mobile system" if expected == "roaming" else "is not a mobile system"
    assert result["evidence"] == [f"PCSystemType {pc_type} ({name}) {suffix}"]


@pytest.mark.parametrize("profile,hardware,expected,phrases", [
    ("laptop", {"chassis_types": [10], "pc_system_type": 2, "has_battery": True, "is_virtual": False},
     "roaming", ["chassis type 10 (Notebook) is portable", "PCSystemType 2 (Mobile)", "a battery is present"]),
    ("convertible", {"chassis_types": [31], "pc_system_type": 2, "has_battery": True, "is_virtual": False},
     "roaming", ["chassis type 31 (Convertible) is portable"]),
    ("tablet", {"chassis_types": [30], "pc_system_type": 8, "has_battery": True, "is_virtual": False},
     "roaming", ["chassis type 30 (Tablet) is portable", "PCSystemType 8 (Slate)"]),
    ("desktop", {"chassis_types": [3], "pc_system_type": 1, "has_battery": False, "is_virtual": False},
     "stable", ["chassis type 3 (Desktop) is not portable", "PCSystemType 1 (Desktop) is not a mobile system", "no battery"]),
    ("server", {"chassis_types": [23], "pc_system_type": 4, "has_battery": False, "is_virtual": False},
     "stable", ["chassis type 23 (Rack Mount Chassis) is not portable", "PCSystemType 4 (Enterprise Server)"]),
    ("virtual machine", {"chassis_types": [1], "pc_system_type": 1, "has_battery": True, "is_virtual": True,
                         "manufacturer": "Microsoft Corporation", "model": "Virtual Machine"},
     "stable", ["virtual machine (Microsoft Corporation Virtual Machine)", "battery ignored"]),
    ("virtual machine with a portable chassis", {"chassis_types": [10], "has_battery": False, "is_virtual": True},
     "stable", ["virtual machine", "portable chassis type ignored: 10 (Notebook)"]),
    ("desktop on a UPS", {"chassis_types": [3], "pc_system_type": 1, "has_battery": True, "is_virtual": False},
     "roaming", ["a battery is present on physical hardware", "chassis type 3 (Desktop) is not portable"]),
    ("battery only", {"has_battery": True}, "roaming", ["a battery is present on physical hardware"]),
    ("docking station and notebook", {"chassis_types": [12, 10]}, "roaming",
     ["chassis type 10 (Notebook) is portable", "chassis type 12 (Docking Station) is not portable"]),
    ("CMDB export with text numbers", {"chassis_types": ["9"], "pc_system_type": "2", "has_battery": "true"},
     "roaming", ["chassis type 9 (Laptop) is portable", "PCSystemType 2 (Mobile)"]),
    ("single chassis number", {"chassis_types": 35}, "stable", ["chassis type 35 (Mini PC) is not portable"]),
])
def test_device_profiles(profile, hardware, expected, phrases):
    result = derive_topology(hardware)
    assert result["topology"] == expected, profile
    text = "\n".join(result["evidence"])
    for phrase in phrases:
        assert phrase in text, (profile, phrase, result["evidence"])


@pytest.mark.parametrize("hardware", [None, {}, {"manufacturer": "Contoso", "model": "X"}, {"chassis_types": []}])
def test_no_evidence_is_unknown_and_says_so(hardware):
    result = derive_topology(hardware)
    assert result["topology"] == "unknown"
    assert result["evidence"] == ["no chassis type, PCSystemType or battery reported: no sign of a portable device"]


def test_undefined_chassis_number_is_named_as_such():
    assert derive_topology({"chassis_types": [99]})["evidence"] == ["chassis type 99 (undefined) is not portable"]


@pytest.mark.parametrize("hardware,field", [
    ([10], "hardware"),
    ("laptop", "hardware"),
    ({"chassis_types": ["ten"]}, "hardware.chassis_types"),
    ({"chassis_types": [True]}, "hardware.chassis_types"),
    ({"chassis_types": {"a": 1}}, "hardware.chassis_types"),
    ({"pc_system_type": "mobile"}, "hardware.pc_system_type"),
    ({"has_battery": "maybe"}, "hardware.has_battery"),
    ({"is_virtual": 3}, "hardware.is_virtual"),
])
def test_malformed_hardware_names_the_field(hardware, field):
    with pytest.raises(TopologyError) as info:
        derive_topology(hardware)
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}: ")


@settings(max_examples=300, deadline=None)
@given(
    chassis=st.lists(st.integers(min_value=1, max_value=40), max_size=3),
    pc_type=st.one_of(st.none(), st.integers(min_value=0, max_value=9)),
    battery=st.one_of(st.none(), st.booleans()),
    virtual=st.one_of(st.none(), st.booleans()),
)
def test_contract_rule_holds_for_any_hardware(chassis, pc_type, battery, virtual):
    hardware = {"chassis_types": chassis, "pc_system_type": pc_type, "has_battery": battery, "is_virtual": virtual}
    result = derive_topology(hardware)
    portable = bool(set(chassis) & set(PORTABLE)) or pc_type in (2, 8) or bool(battery)
    any_evidence = bool(chassis) or pc_type is not None or battery is not None or bool(virtual)
    expected = "roaming" if portable and not virtual else "stable" if any_evidence else "unknown"
    assert result["topology"] == expected
    assert result["evidence"], "every conclusion lists its evidence"
    assert all(isinstance(item, str) and item for item in result["evidence"])


def test_unknown_means_no_hardware_fact_was_used():
    assert derive_topology({"manufacturer": "Contoso"})["topology"] == "unknown"
    assert derive_topology(None)["topology"] == "unknown"
    assert derive_topology({"chassis_types": [3]})["topology"] == "stable"
    assert derive_topology({"has_battery": False})["topology"] == "stable"
    assert derive_topology({"is_virtual": True})["topology"] == "stable"
    assert NO_EVIDENCE in derive_topology({})["evidence"]


def test_a_reported_conclusion_needs_evidence_beyond_the_old_no_evidence_line():
    assert reported_topology("stable", ["CMDB asset class: desktop"]) == {
        "topology": "stable", "evidence": ["CMDB asset class: desktop"]}
    assert reported_topology("stable", [NO_EVIDENCE]) is None
    assert reported_topology("unknown", ["anything"]) is None
    assert reported_topology(None, None) is None


@pytest.mark.parametrize("hardware,hypervisor", [
    ({"manufacturer": "VMware, Inc.", "model": "VMware7,1"}, "VMware"),
    ({"manufacturer": "Microsoft Corporation", "model": "Virtual Machine"}, "Hyper-V"),
    ({"manufacturer": "QEMU", "model": "Standard PC (Q35 + ICH9, 2009)"}, "QEMU"),
])
def test_cmdb_hardware_without_is_virtual_is_recognised_as_a_virtual_machine(hardware, hypervisor):
    """A CMDB export names the hypervisor but carries no is_virtual: the battery must not make it roam."""
    result = derive_topology(dict(hardware, chassis_types=[10], has_battery=True))
    assert result["topology"] == "stable", result
    assert any(hypervisor in line for line in result["evidence"])
    assert "battery ignored: it belongs to the virtual machine" in result["evidence"]


def test_an_explicit_is_virtual_false_wins_over_the_strings():
    result = derive_topology({"manufacturer": "VMware, Inc.", "is_virtual": False, "chassis_types": [10]})
    assert result["topology"] == "roaming"


def test_static_winhttp_rule():
    assert static_winhttp_decision("stable", False, unknown_refused=True).allowed
    refused = static_winhttp_decision("roaming", False, unknown_refused=False)
    assert not refused.allowed
    assert refused.refusal.startswith("static WinHTTP refused: roaming device; ")
    assert "off the corporate network" in refused.refusal and "telemetry_proxy" in refused.refusal
    forced = static_winhttp_decision("roaming", True, unknown_refused=False)
    assert forced.allowed and "against the documentation" in forced.warning
    assert not static_winhttp_decision("unknown", False, unknown_refused=True).allowed
    warned = static_winhttp_decision("unknown", False, unknown_refused=False)
    assert warned.allowed and warned.warning.startswith("device_topology is unknown")


@pytest.mark.parametrize(
    "hardware, hypervisor",
    [
        ({"manufacturer": "VMware, Inc.", "model": "VMware7,1"}, "VMware"),
        ({"manufacturer": "innotek GmbH", "model": "VirtualBox"}, "VirtualBox"),
        ({"manufacturer": "QEMU", "model": "Standard PC (Q35 + ICH9, 2009)"}, "QEMU"),
        ({"manufacturer": "Xen", "model": "HVM domU"}, "Xen"),
        ({"manufacturer": "Amazon EC2", "model": "t3.large"}, "Amazon EC2"),
        ({"manufacturer": "Google", "model": "Google Compute Engine"}, "Google Compute Engine"),
        ({"manufacturer": "Parallels International GmbH.", "model": "Parallels ARM Virtual Machine"}, "Parallels"),
    ],
)
def test_hypervisors_are_recognised(hardware, hypervisor):
    is_virtual, evidence = classify_virtual(hardware)
    assert is_virtual is True
    assert any(hypervisor in line for line in evidence)


@pytest.mark.parametrize(
    "hardware",
    [
        {"manufacturer": "Microsoft Corporation", "model": "Surface Laptop 5", "bios_version": "1.2.3"},
        {"manufacturer": "LENOVO", "model": "20XW0026GE"},
        {"manufacturer": None, "model": None},
        {},
    ],
)
def test_physical_machines_are_not_virtual(hardware):
    assert classify_virtual(hardware) == (False, [])
