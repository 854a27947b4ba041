# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one table of registry locations: the controller owns them, the PowerShell halves receive them."""

from __future__ import annotations

import os
import re

import pytest

from ansible_collections.purview.device_proxy.plugins.plugin_utils import registry_locations as reg

from ..action.conftest import all_replies

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), *[os.pardir] * 4)
MODULES = os.path.join(ROOT, "plugins", "modules")


def place(entries, read):
    """What device_facts.ps1's Read-RegistryEntries builds, with ``read(entry)`` standing in for the registry."""
    tree = {}
    for entry in entries:
        node = tree
        for key in entry["at"][:-1]:
            node = node.setdefault(key, {})
        node[entry["at"][-1]] = read(entry)
    return tree


def key_paths(tree, prefix=()):
    paths = set()
    for key, value in tree.items():
        if isinstance(value, dict) and not {"kind", "data"} & set(value):
            paths |= key_paths(value, prefix + (key,))
        else:
            paths.add(prefix + (key,))
    return paths


@pytest.mark.parametrize("name", sorted(all_replies("device_facts")))
def test_the_reads_fill_exactly_the_registry_part_of_the_recorded_replies(name):
    raw = all_replies("device_facts")[name]["raw"]
    recorded = {section: raw[section] for section in ("telemetry_proxy", "winhttp", "wininet", "defender_av")}
    # Of the policy evidence, only the MDM values and the RSoP logging policy are registry reads;
    # the rest comes from _policy.
    recorded["policy"] = {"mdm": raw["policy"]["mdm"], "rsop": {"logging_policy": raw["policy"]["rsop"]["logging_policy"]}}
    built = place(reg.device_facts_reads(), lambda entry: None)
    assert key_paths(built) == key_paths(recorded)


def test_every_location_is_read_once_and_wow64_only_on_64_bit_windows():
    entries = reg.device_facts_reads()
    locations = [(entry["hive"], entry["path"].lower(), entry["name"].lower()) for entry in entries]
    assert len(locations) == len(set(locations))
    only_64 = [entry["at"] for entry in entries if entry["only_64bit_os"]]
    assert only_64 == [["winhttp", "wow64"]]
    assert [entry["at"] for entry in entries if entry["hex_data"]] == [["winhttp", "native"], ["winhttp", "wow64"]]


# A registry key written out, or a value name given as a literal rather than from the arguments.
SPELLED = re.compile(r"""(['"]?(?:SOFTWARE|S-1-5-18)\\|RawRegistryValue\b.*-(?:Name|Path)\s+['"]?[A-Za-z])""", re.IGNORECASE)


@pytest.mark.parametrize("script", ["device_facts.ps1", "telemetry_proxy.ps1", "winhttp_proxy.ps1", "defender_av_proxy.ps1",
                                    "device_connectivity_probe.ps1"])
def test_the_powershell_halves_spell_no_registry_location(script):
    with open(os.path.join(MODULES, script), encoding="utf-8") as handle:
        code = [line for line in handle if not line.lstrip().startswith("#")]
    spelled = [line.strip() for line in code if SPELLED.search(line)]
    assert spelled == []


def test_winhttp_proxy_gets_both_views():
    assert reg.winhttp_views_option() == {
        "native": r"SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings\Connections",
        "wow64": r"SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Internet Settings\Connections",
        "name": "WinHttpSettings",
    }


def test_connectivity_test_gets_the_same_locations():
    option = reg.device_probe_option()
    assert option["telemetry_proxy_server"] == {
        "path": r"SOFTWARE\Policies\Microsoft\Windows\DataCollection", "name": "TelemetryProxyServer"}
    assert option["winhttp"] == reg.winhttp_views_option()


def test_every_managed_value_is_a_row_of_the_one_table_and_read_by_device_facts():
    read = {(entry["hive"], entry["path"].lower(), entry["name"].lower()) for entry in reg.device_facts_reads()}
    rows = {value for value in vars(reg).values() if isinstance(value, reg.RegistryLocation)}
    for managed in reg.MANAGED_LOCATIONS:
        assert managed in rows
        assert (managed.hive, managed.path.lower(), managed.name.lower()) in read, managed.ownership_field
        assert reg.find_location("HKLM\\" + managed.path.upper(), managed.name.lower()) is managed


def test_mdm_reads_name_each_policy_and_its_winning_provider():
    mdm = [entry for entry in reg.device_facts_reads() if entry["at"][:2] == ["policy", "mdm"]]
    assert {tuple(entry["at"][2:]) for entry in mdm} == {
        ("System", "TelemetryProxy"), ("System", "TelemetryProxy_WinningProvider"),
        ("System", "DisableEnterpriseAuthProxy"), ("System", "DisableEnterpriseAuthProxy_WinningProvider"),
        *((reg._DEFENDER_ADMX, name + suffix) for name in ("ProxyServer", "ProxyPacUrl", "ProxyBypass")
          for suffix in ("", "_WinningProvider"))}
    assert all(entry["path"].startswith(reg.MDM_DEVICE_KEY + "\\") for entry in mdm)


def test_the_policy_option_names_the_keys_of_every_managed_value():
    option = reg.device_facts_policy_option()
    assert option["rsop_namespace"] == "root\\rsop\\computer"
    assert {managed.path for managed in reg.MANAGED_LOCATIONS} == set(option["rsop_keys"])
    assert option["registry_pol"].endswith("\\GroupPolicy\\Machine\\Registry.pol")


def test_the_local_registry_pol_is_reached_from_a_32bit_host_process_too():
    # A 32-bit process on 64-bit Windows asking for System32 gets SysWOW64 (file system redirector,
    # https://learn.microsoft.com/en-us/windows/win32/winprog64/file-system-redirector); Sysnative is
    # the documented way for it to reach the real System32, where the local GPO lives.
    option = reg.device_facts_policy_option()
    assert option["registry_pol"].lower() == r"%systemroot%\system32\grouppolicy\machine\registry.pol"
    assert option["registry_pol_32bit_process"].lower() == r"%systemroot%\sysnative\grouppolicy\machine\registry.pol"
    with open(os.path.join(MODULES, "device_facts.ps1"), encoding="utf-8") as handle:
        script = handle.read()
    # The script picks the Sysnative path exactly when its own process is 32-bit on a 64-bit OS.
    assert re.search(r"if \(\$is64BitOs -and -not \[System\.Environment\]::Is64BitProcess\) \{\s*\$Path = \$PathFrom32BitProcess",
                     script)
    assert "PathFrom32BitProcess = $policyOption.registry_pol_32bit_process" in script


def test_one_row_type_gives_each_value_one_set_of_names():
    import dataclasses as dc
    row_types = [value for value in vars(reg).values() if isinstance(value, type) and dc.is_dataclass(value)]
    assert row_types == [reg.RegistryLocation]
    fields = [managed.ownership_field for managed in reg.MANAGED_LOCATIONS]
    assert len(fields) == len(set(fields)) and None not in fields


@pytest.mark.parametrize("name", sorted(all_replies("device_facts")))
def test_the_current_value_of_every_managed_value_is_where_the_built_facts_hold_it(name):
    from ansible_collections.purview.device_proxy.plugins.action import device_facts

    raw = all_replies("device_facts")[name]["raw"]
    facts, _warnings = device_facts.build_facts(raw)
    assert device_facts.CURRENT_VALUE_AT is reg.CURRENT_VALUE_AT
    assert set(reg.CURRENT_VALUE_AT) == set(facts["ownership"]["values"])
    for field_name, path in reg.CURRENT_VALUE_AT.items():
        node = facts
        for key in path[:-1]:
            node = node[key]
        assert path[-1] in node, field_name
        assert facts["ownership"]["values"][field_name]["current"] == node[path[-1]]


def test_each_registry_module_writes_the_rows_that_name_it_in_table_order():
    assert [row.name for row in reg.values_written_by("telemetry_proxy")] == [
        "TelemetryProxyServer", "DisableEnterpriseAuthProxy", "PreferStaticProxyForHttpRequest"]
    assert [row.name for row in reg.values_written_by("defender_av_proxy")] == [
        "ProxyServer", "ProxyPacUrl", "ProxyBypass", "SSLOptions"]
    assert reg.keys_written_by("telemetry_proxy") == (reg.DATA_COLLECTION_KEY, reg.ATP_POLICY_KEY)
    assert reg.keys_written_by("defender_av_proxy") == (reg.DEFENDER_POLICY_KEY, reg.DEFENDER_SPYNET_KEY)
    # Every value a module writes is one device_facts reads, at its result key.
    read = {tuple(entry["at"]) for entry in reg.device_facts_reads()}
    for module in ("telemetry_proxy", "defender_av_proxy"):
        for row in reg.values_written_by(module):
            assert row.at in read and row.result_key == row.at[-1]


def test_the_group_policy_an_administrator_is_sent_to_comes_from_the_row():
    from ansible_collections.purview.device_proxy.plugins.plugin_utils.policy_ownership import describe_owner
    from ansible_collections.purview.device_proxy.plugins.plugin_utils.policy_sources import LOCAL_GPO, PolicyOwner

    owner = PolicyOwner(LOCAL_GPO, "Local Group Policy", "set", "String", "p:1", True, "")
    for managed in reg.MANAGED_LOCATIONS:
        words = describe_owner(owner, managed.ownership_field)
        if managed.group_policy:
            assert managed.group_policy in words
        else:
            assert "Administrative Templates" not in words
