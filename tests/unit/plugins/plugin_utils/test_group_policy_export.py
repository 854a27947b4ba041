# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan as Group Policy: classes, Registry.pol values, WinHTTP delivery and WMI filters.

* Every value comes from the plan: the export's values are compared with the plan of each real
  device of the class (compute_plan on examples/fleet), not with a table written here.
* A roaming (or unknown) class never gets a WinHTTP rendering, even when the inputs force it on
  single devices: Microsoft's guidance says the system-wide WinHTTP proxy breaks roaming devices.
* Each class's Registry.pol loads in Samba's PReg parser (python3-samba, /usr/bin/python3) with
  exactly the planned records.
* The WMI filter queries are run by an independent WQL evaluator (wql_evaluator.py, written from
  Microsoft's WQL pages) on WMI instances built from the facts, and compared with derive_topology
  per device: every difference must be one the export lists, and every listed one must be real.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
from pathlib import Path

import pytest
import yaml

from ansible_collections.purview.device_proxy.plugins.module_utils.winhttp_settings import decode_hex
from ansible_collections.purview.device_proxy.plugins.plugin_utils.group_policy_export import (
    GroupPolicyExportError,
    export_group_policy,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.group_policy_readme import (
    REGISTRY_POL,
    STARTUP_SCRIPT,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan import compute_plan
from ansible_collections.purview.device_proxy.plugins.plugin_utils.policy_registry_pol import parse_registry_pol
from ansible_collections.purview.device_proxy.plugins.plugin_utils.topology import derive_topology
from ansible_collections.purview.device_proxy.plugins.plugin_utils.winhttp_view import WinHttpView

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]
FLEET = ROOT / "examples" / "fleet"


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


wql = _load("gpo_wql_evaluator", HERE / "wql_evaluator.py")
writer_tests = _load("gpo_writer_tests", HERE / "test_policy_registry_pol_writer.py")


def example_devices() -> dict:
    """{host: {inputs, facts}} of examples/fleet, the inputs as the role builds them from the group vars."""
    inventory = yaml.safe_load((FLEET / "inventory.yml").read_text(encoding="utf-8"))
    devices = {}
    for group in inventory["all"]["children"]["windows"]["children"].values():
        inputs = {key[len("device_proxy_"):]: value for key, value in group["vars"].items() if key.startswith("device_proxy_")}
        for host in group["hosts"]:
            devices[host] = {"inputs": inputs, "facts": json.loads((FLEET / "facts" / f"{host}.json").read_text(encoding="utf-8"))}
    return devices


@pytest.fixture(scope="module")
def example_export():
    return export_group_policy(example_devices())


def by_name(export) -> dict:
    return {item["name"]: item for item in export["classes"]}


def test_the_example_fleet_falls_into_its_classes_with_virtual_machines_stable(example_export):
    assert {name: item["hosts"] for name, item in by_name(example_export).items()} == {
        "static-10.0.0.6-8080-stable": ["desktop-01", "server-03"],  # server-03 is a Hyper-V VM with a battery
        "static-10.0.0.6-8080-roaming": ["laptop-02"],
        "static-10.0.0.6-8080-unknown": ["cmdb-05"],
        "wpad-stable": ["desktop-04"],
    }


def test_registry_values_are_what_each_devices_own_plan_applies_once_its_current_settings_are_gone(example_export):
    """Never re-decided: the values of a class equal the apply arguments of the plan of each of its
    devices, from its own hardware facts, with nothing configured (a Group Policy states the desired
    values; what a device has today only changes what the plan reports about it)."""
    devices = example_devices()
    nothing_set = {
        "telemetry_proxy": {"server": None, "disable_enterprise_auth_proxy": None, "prefer_static_proxy_for_http_request": None},
        "winhttp": {"native": {"raw": None}, "wow64": {"raw": None}},
        "defender_av": {"proxy_server": None, "proxy_pac_url": None, "proxy_bypass": None, "ssl_options": None},
    }
    checked = 0
    for item in example_export["classes"]:
        records = {(r.key, r.value_name): r.value for r in parse_registry_pol(item["files"][REGISTRY_POL])}
        for host in item["hosts"]:
            facts = dict(nothing_set, hardware=devices[host]["facts"]["hardware"])
            apply = compute_plan(devices[host]["inputs"], facts, host=host)["apply"]
            expected = {}
            if apply.get("telemetry_proxy", {}).get("state") == "present":
                expected[(r"SOFTWARE\Policies\Microsoft\Windows\DataCollection", "TelemetryProxyServer")] = apply["telemetry_proxy"]["proxy"]
                expected[(r"SOFTWARE\Policies\Microsoft\Windows\DataCollection", "DisableEnterpriseAuthProxy")] = 1
                if apply["telemetry_proxy"].get("prefer_static_proxy_for_http_request"):
                    expected[(r"SOFTWARE\Policies\Microsoft\Windows Advanced Threat Protection", "PreferStaticProxyForHttpRequest")] = 1
            defender = apply.get("defender_av_proxy")
            if defender:
                expected[(r"SOFTWARE\Policies\Microsoft\Windows Defender", "ProxyServer")] = defender["proxy_server"]
                if defender.get("proxy_bypass"):
                    expected[(r"SOFTWARE\Policies\Microsoft\Windows Defender", "ProxyBypass")] = ";".join(defender["proxy_bypass"])
            assert records == expected, host
            assert ("winhttp_proxy" in apply) == (STARTUP_SCRIPT in item["files"]), host
            checked += 1
    assert checked == 5


def test_every_class_registry_pol_loads_in_samba_with_exactly_the_planned_records(example_export, tmp_path):
    for item in example_export["classes"]:
        path = tmp_path / (item["name"] + ".pol")
        path.write_bytes(item["files"][REGISTRY_POL])
        read = writer_tests.samba_read(path)
        types = {"String": 1, "DWord": 4}
        assert [(e["key"], e["name"], e["type"], e["data"]) for e in read["entries"]] == [
            (v["key"], v["name"], types[v["kind"]], v["value"]) for v in item["values"]], item["name"]
    roaming = by_name(example_export)["static-10.0.0.6-8080-roaming"]
    assert [(v["name"], v["value"]) for v in roaming["values"]] == [
        ("TelemetryProxyServer", "10.0.0.6:8080"), ("DisableEnterpriseAuthProxy", 1),
        ("ProxyServer", "http://10.0.0.6:8080"), ("ProxyBypass", "<local>;*.corp.example")]
    assert by_name(example_export)["wpad-stable"]["values"] == []


def _site(**extra):
    inputs = {"network_mode": "static", "proxy": "proxy.corp.example:3128", "bypass": ["<local>"], "winhttp_policy": "set"}
    inputs.update(extra)
    laptop = {"hardware": {"chassis_types": [10], "pc_system_type": 2, "has_battery": True, "is_virtual": False}}
    desktop = {"hardware": {"chassis_types": [3], "pc_system_type": 1, "has_battery": False, "is_virtual": False}}
    unknown = {"hardware": {"manufacturer": "HP"}}
    return {"laptop": {"inputs": inputs, "facts": laptop}, "desktop": {"inputs": inputs, "facts": desktop},
            "unknown": {"inputs": inputs, "facts": unknown}}


@pytest.mark.parametrize("extra", [{}, {"winhttp_force": True}])
def test_a_roaming_or_unknown_class_never_gets_a_winhttp_rendering(extra):
    devices = _site(**extra)
    if extra:
        # The plan itself would set WinHTTP on the single forced laptop...
        plan = compute_plan(devices["laptop"]["inputs"], devices["laptop"]["facts"])
        assert next(a for a in plan["actions"] if a["target"] == "winhttp_proxy")["action"] == "set"
    for item in export_group_policy(devices)["classes"]:
        if item["topology"] == "stable":
            continue
        assert STARTUP_SCRIPT not in item["files"], item["name"]
        assert item["winhttp"]["delivery"] == "refused" and item["winhttp"]["command"] is None
        assert item["winhttp"]["registry_hex"] is None
        readme = item["files"]["README.md"].decode()
        assert "Do not deploy `netsh winhttp set proxy`" in readme and "roaming" in readme
        assert "proxy-server=" not in readme and "WinHttpSettings`, REG_BINARY" not in readme
        assert "WinHttpSettings" not in {v["name"] for v in item["values"]}


def test_a_stable_class_gets_the_netsh_form_of_the_one_winhttp_model():
    stable = next(i for i in export_group_policy(_site())["classes"] if i["topology"] == "stable")
    expected = WinHttpView.proxy_setting("proxy.corp.example:3128", "<local>").netsh()
    assert stable["winhttp"]["command"] == expected
    script = stable["files"][STARTUP_SCRIPT].decode("ascii")
    assert "\r\n" in script and script.count("winhttp set proxy proxy-server=\"proxy.corp.example:3128\" bypass-list=\"<local>\"") == 2
    assert "SysWOW64" in script
    decoded = decode_hex(stable["winhttp"]["registry_hex"])
    assert (decoded.proxy, decoded.bypass, decoded.uses_proxy) == ("proxy.corp.example:3128", "<local>", True)
    readme = stable["files"]["README.md"].decode()
    assert "not a policy value" in readme
    # WinHttpSettings is not a policy value: it is never in Registry.pol.
    assert all(r.value_name != "WinHttpSettings" for r in parse_registry_pol(stable["files"][REGISTRY_POL]))


def test_prefer_static_proxy_and_ssl_options_when_the_plan_sets_them():
    devices = _site(os_has_other_route=False, defender_ssl_options=2)
    classes = {i["topology"]: i for i in export_group_policy(devices)["classes"]}
    roaming = {(v["key"], v["name"]): v["value"] for v in classes["roaming"]["values"]}
    assert roaming[(r"SOFTWARE\Policies\Microsoft\Windows Advanced Threat Protection", "PreferStaticProxyForHttpRequest")] == 1
    assert roaming[(r"SOFTWARE\Policies\Microsoft\Windows Defender\Spynet", "SSLOptions")] == 2
    stable = {(v["key"], v["name"]) for v in classes["stable"]["values"]}
    # On stable devices the system-wide WinHTTP proxy carries Defender Antivirus: the plan sets no ProxyServer.
    assert (r"SOFTWARE\Policies\Microsoft\Windows Defender", "ProxyServer") not in stable


@pytest.mark.parametrize("devices,field,rule", [
    ({}, "devices", "required"),
    ({"pc-1": {"inputs": {"network_mode": "static", "proxy": "p:1"}}}, "devices.pc-1.facts", "required"),
    ({"pc-1": {"inputs": {"network_mode": "static", "proxy": "p:99999"}, "facts": {}}}, "devices.pc-1.inputs.proxy", None),
    ({"pc-1": {"inputs": {"network_mode": "static", "proxy": "p:1"}, "facts": {"hardware": {"chassis_types": "x"}}}},
     "devices.pc-1.facts.hardware.chassis_types", None),
    ({"pc-1": "nope"}, "devices.pc-1", "type"),
])
def test_bad_input_names_the_device_and_field(devices, field, rule):
    with pytest.raises(GroupPolicyExportError) as err:
        export_group_policy(devices)
    assert err.value.field == field
    if rule:
        assert err.value.rule == rule


# ----------------------------------------------------------------------------------------------
# WMI filters, evaluated on facts
# ----------------------------------------------------------------------------------------------

def _check_filters_against_topology(devices: dict, export) -> int:
    """Evaluate every class filter on every device of its site; return how many differences were seen."""
    hardware = {host: entry["facts"].get("hardware") for host, entry in devices.items()}
    differences = 0
    for item in export["classes"]:
        query = item["wmi_filter"]["query"]
        if query is None:
            assert item["topology"] == "unknown"
            continue
        site_hosts = [h for i in export["classes"] if i["site"] == item["site"] for h in i["hosts"]]
        listed_selected = {e["host"] for e in item["misclassified"]["selected"]}
        listed_missed = {e["host"] for e in item["misclassified"]["missed"]}
        for host in site_hosts:
            selects = wql.filter_selects([query], wql.instances_from_facts(hardware[host]))
            actual = derive_topology(hardware[host])["topology"]
            in_class = actual == item["topology"]
            if selects and not in_class:
                differences += 1
                assert host in listed_selected, (item["name"], host, hardware[host])
            elif in_class and not selects:
                differences += 1
                assert host in listed_missed, (item["name"], host, hardware[host])
            else:
                assert host not in listed_selected | listed_missed, (item["name"], host, hardware[host])
    return differences


def test_the_wmi_filters_agree_with_the_topology_rules_on_the_example_facts(example_export):
    assert _check_filters_against_topology(example_devices(), example_export) == 0
    stable = by_name(example_export)["static-10.0.0.6-8080-stable"]["wmi_filter"]["query"]
    roaming = by_name(example_export)["static-10.0.0.6-8080-roaming"]["wmi_filter"]["query"]
    hardware = {h: d["facts"].get("hardware") for h, d in example_devices().items()}
    assert wql.query_selects(stable, wql.instances_from_facts(hardware["server-03"])), "a VM is stable"
    assert not wql.query_selects(roaming, wql.instances_from_facts(hardware["server-03"])), "a VM with a battery is not roaming"
    assert wql.query_selects(roaming, wql.instances_from_facts(hardware["laptop-02"]))
    # cmdb-05 has no PCSystemType: neither filter selects it (it is unknown to the collection).
    assert not wql.query_selects(stable, wql.instances_from_facts(hardware["cmdb-05"]))
    assert not wql.query_selects(roaming, wql.instances_from_facts(hardware["cmdb-05"]))


def _hardware_cases():
    markers = [{}, {"model": "Virtual Machine", "manufacturer": "Microsoft Corporation"}, {"manufacturer": "VMware, Inc."},
               {"bios_version": "Hyper-V UEFI Release v4.1"}, {"is_virtual": True}, {"manufacturer": "Dell Inc.", "model": "Latitude"}]
    for pc, chassis, battery, marker in itertools.product((None, 0, 1, 2, 3, 8), (None, [3], [10], [3, 31]),
                                                          (None, False, True), markers):
        hardware = dict(marker)
        if pc is not None:
            hardware["pc_system_type"] = pc
        if chassis is not None:
            hardware["chassis_types"] = chassis
        if battery is not None:
            hardware["has_battery"] = battery
        yield hardware


def test_the_wmi_filters_on_every_combination_differ_only_where_the_export_says():
    inputs = {"network_mode": "static", "proxy": "10.0.0.6:8080", "winhttp_policy": "set"}
    devices = {"pc-%03d" % n: {"inputs": inputs, "facts": {"hardware": hw}} for n, hw in enumerate(_hardware_cases())}
    export = export_group_policy(devices)
    differences = _check_filters_against_topology(devices, export)
    # The documented gaps are real: a laptop whose PCSystemType says desktop is selected by the stable filter.
    stable = next(i for i in export["classes"] if i["topology"] == "stable")
    gap = [e for e in stable["misclassified"]["selected"]
           if devices[e["host"]]["facts"]["hardware"].get("has_battery") and devices[e["host"]]["facts"]["hardware"].get("pc_system_type") == 1]
    assert gap and differences >= len(gap)
    assert "battery" in gap[0]["why"]


def test_the_stable_filter_cannot_use_chassis_types_because_wql_refuses_arrays():
    with pytest.raises(wql.WqlError, match="array"):
        wql.query_selects("SELECT * FROM Win32_SystemEnclosure WHERE ChassisTypes = 10",
                          wql.instances_from_facts({"chassis_types": [10]}))


@pytest.mark.parametrize("query,expected", [
    # OR is evaluated after AND (WQL (SQL for WMI)).
    ('SELECT * FROM Win32_ComputerSystem WHERE PCSystemType = 1 OR PCSystemType = 5 AND Model = "x"', True),
    ('SELECT * FROM Win32_ComputerSystem WHERE NOT PCSystemType = 1', False),
    ('SELECT * FROM Win32_ComputerSystem WHERE Model LIKE "virt%"', True),
    ('SELECT * FROM Win32_ComputerSystem WHERE Model LIKE "virtual[_]%"', False),
    ('SELECT * FROM Win32_ComputerSystem WHERE Manufacturer = "acme"', False),  # NULL compares false
    ('SELECT * FROM Win32_ComputerSystem WHERE Manufacturer <> "acme"', False),
    ("SELECT * FROM Win32_Battery", False),
])
def test_the_wql_evaluator_follows_the_documented_rules(query, expected):
    instances = wql.instances_from_facts({"pc_system_type": 1, "model": "Virtual Machine", "has_battery": False})
    assert wql.query_selects(query, instances) is expected


def test_the_policy_names_come_from_the_settings_table():
    # The Administrative Templates settings (Computer Configuration > Administrative Templates > Windows
    # Components) and their options, as the Defender for Endpoint proxy page
    # (https://learn.microsoft.com/en-us/defender-endpoint/configure-proxy-internet) and the Defender
    # Antivirus network page name them.
    from ansible_collections.purview.device_proxy.plugins.plugin_utils import registry_locations as reg
    from ansible_collections.purview.device_proxy.plugins.plugin_utils.group_policy_export import policy_name

    assert {row.name: policy_name(row) for row in (
        reg.TELEMETRY_PROXY_SERVER, reg.DISABLE_ENTERPRISE_AUTH_PROXY, reg.PREFER_STATIC_PROXY_FOR_HTTP_REQUEST,
        reg.DEFENDER_PROXY_SERVER, reg.DEFENDER_PROXY_BYPASS, reg.DEFENDER_SSL_OPTIONS)} == {
        "TelemetryProxyServer": "Data Collection and Preview Builds > Configure connected user experiences and telemetry "
                                "(Proxy Server Name)",
        "DisableEnterpriseAuthProxy": "Data Collection and Preview Builds > Configure Authenticated Proxy usage for the "
                                      "Connected User Experience and Telemetry Service (Disable Authenticated Proxy usage)",
        "PreferStaticProxyForHttpRequest": None,
        "ProxyServer": "Microsoft Defender Antivirus > Define proxy server for connecting to the network",
        "ProxyBypass": "Microsoft Defender Antivirus > Define addresses to bypass proxy server",
        "SSLOptions": None,
    }
