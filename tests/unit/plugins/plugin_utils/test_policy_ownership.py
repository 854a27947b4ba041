# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""keep / refuse / override for a conflicting and an agreeing policy from each source."""

from __future__ import annotations

import struct

import pytest

from ansible_collections.purview.device_proxy.plugins.plugin_utils.policy_ownership import (
    KEEP,
    OVERRIDE,
    REFUSE,
    UNOWNED,
    PolicyConflictInputError,
    decide_ownership,
    same_value,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.policy_sources import resolve_ownership

DC = r"Software\Policies\Microsoft\Windows\DataCollection"
DEFENDER = r"Software\Policies\Microsoft\Windows Defender"
GPO = "CN={2B7E1F40-5A3C-4C1B-9E2D-7F0A1B2C3D4E},CN=Policies,CN=System,DC=corp,DC=example"
# RSoP read (a logged policy processing always records the local GPO) and setting nothing.
ALL_READ = {"rsop": {"settings": [], "gpos": [{"id": "LocalGPO", "name": "Local Group Policy", "guidName": "LocalGPO"}]},
            "local_registry_pol": "", "mdm": {}, "gpp": []}


def u16(text):
    return text.encode("utf-16-le")


def sz(text):
    return (text + "\x00").encode("utf-16-le")


def pol_hex(key, name, reg_type, data):
    body = (u16("[") + u16(key + "\x00") + u16(";") + u16(name + "\x00") + u16(";") + struct.pack("<I", reg_type) + u16(";")
            + struct.pack("<I", len(data)) + u16(";") + data + u16("]"))
    return (b"PReg\x01\x00\x00\x00" + body).hex()


def domain(key, name, reg_type, data):
    return {"rsop": {"gpos": [{"id": GPO, "name": "Workstations - Proxy"}],
                     "settings": [{"registryKey": key, "valueName": name, "valueType": reg_type, "value": data.hex(),
                                   "GPOID": GPO, "precedence": 1}]}}


def local(key, name, reg_type, data):
    return {"local_registry_pol": pol_hex(key, name, reg_type, data)}


def mdm_admx(policy, value):
    return {"mdm": {"ADMX_MicrosoftDefenderAntivirus": {
        policy: {"kind": "String", "data": '<enabled/><data id="%s" value="%s"/>' % (policy, value)}}}}


def gpp(key, name, reg_type, value):
    xml = ('<RegistrySettings><Registry name="x"><Properties action="U" hive="HKEY_LOCAL_MACHINE" key="%s" name="%s" '
           'type="%s" value="%s"/></Registry></RegistrySettings>' % (key, name, reg_type, value))
    return {"gpp": [{"gpo_name": "Proxy Preferences", "xml": xml}]}


# (evidence maker, field, value the policy sets, the policy's name in the message)
SOURCES = {
    "domain_gpo": (lambda v: domain(DC, "TelemetryProxyServer", 1, sz(v)), "telemetry_proxy_server", 'Group Policy object "Workstations - Proxy"'),
    "local_gpo": (lambda v: local(DC, "TelemetryProxyServer", 1, sz(v)), "telemetry_proxy_server", "local Group Policy (gpedit.msc"),
    "mdm": (lambda v: mdm_admx("ProxyServer", v), "defender_proxy_server", "MDM policy ADMX_MicrosoftDefenderAntivirus/ProxyServer"),
    "gpp": (lambda v: gpp(r"SOFTWARE\Policies\Microsoft\Windows Defender", "ProxyServer", "REG_SZ", v), "defender_proxy_server",
            'Group Policy Preferences registry item in "Proxy Preferences"'),
}


def ownership(source, value):
    make, field, _words = SOURCES[source]
    return resolve_ownership(dict(ALL_READ, **make(value))).values[field]


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_agreeing_policy_is_keep_with_the_owner_named(source):
    decision = decide_ownership(ownership(source, "http://p.example:3128"), "http://p.example:3128")
    assert decision.action == KEEP
    assert SOURCES[source][2] in decision.reason
    assert decision.writes is False
    assert decision.owners[0]["source"] == source


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_conflicting_policy_is_refused_by_default_naming_the_policy_to_change(source):
    decision = decide_ownership(ownership(source, "http://old.example:8080"), "http://p.example:3128")
    assert decision.action == REFUSE
    assert decision.writes is False
    assert SOURCES[source][2] in decision.reason
    assert "'http://old.example:8080'" in decision.reason
    assert "policy_conflict: override" in decision.reason
    assert decision.warnings == ()


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_override_writes_with_a_warning_that_the_refresh_reverts_it(source):
    decision = decide_ownership(ownership(source, "http://old.example:8080"), "http://p.example:3128", "override")
    assert decision.action == OVERRIDE
    assert decision.writes is True
    assert "next policy refresh reverts it" in decision.warnings[0]
    assert SOURCES[source][2] in decision.warnings[0]


def test_group_policy_setting_path_is_named_for_domain_gpo():
    decision = decide_ownership(ownership("domain_gpo", "old.example:1"), "p.example:3128")
    assert "Configure connected user experiences and telemetry" in decision.reason


def test_policy_that_deletes_the_value_conflicts_with_setting_it_and_agrees_with_absent():
    found = resolve_ownership(dict(ALL_READ, **local(DC, "**del.TelemetryProxyServer", 1, sz(" ")))).values["telemetry_proxy_server"]
    assert decide_ownership(found, "p.example:3128").action == REFUSE
    assert "deleted" in decide_ownership(found, "p.example:3128").reason
    assert decide_ownership(found, None).action == KEEP


def test_policy_that_sets_a_value_conflicts_with_removing_it():
    # A naive check that only compares when something is to be written would let state=absent through.
    assert decide_ownership(ownership("domain_gpo", "p.example:3128"), None).action == REFUSE


def test_a_policy_that_does_not_enforce_never_blocks():
    found = resolve_ownership(dict(ALL_READ, **local(DC, "**soft.TelemetryProxyServer", 1, sz("old.example:1")))).values["telemetry_proxy_server"]
    decision = decide_ownership(found, "p.example:3128")
    assert decision.action == UNOWNED
    assert "not enforced" in decision.reason


def test_mdm_telemetry_proxy_does_not_block_but_is_named():
    found = resolve_ownership(dict(ALL_READ, mdm={"System": {"TelemetryProxy": {"kind": "String", "data": "old.example:1"}}}))
    decision = decide_ownership(found.values["telemetry_proxy_server"], "p.example:3128")
    assert decision.action == UNOWNED
    assert "System/TelemetryProxy" in decision.reason


def test_one_agreeing_and_one_conflicting_owner_is_a_conflict():
    evidence = dict(ALL_READ, **domain(DC, "TelemetryProxyServer", 1, sz("p.example:3128")))
    evidence.update(local(DC, "TelemetryProxyServer", 1, sz("old.example:1")))
    decision = decide_ownership(resolve_ownership(evidence).values["telemetry_proxy_server"], "p.example:3128")
    assert decision.action == REFUSE
    assert "local Group Policy" in decision.reason
    assert "Workstations - Proxy" not in decision.reason.split("not the requested")[0]


def test_no_owner_is_unowned_and_says_what_was_not_read():
    found = resolve_ownership({"mdm": {}}).values["telemetry_proxy_server"]
    decision = decide_ownership(found, "p.example:3128")
    assert decision.action == UNOWNED and decision.writes
    assert "RSoP" in decision.reason


def test_a_normalising_comparison_can_be_given():
    found = ownership("domain_gpo", "PROXY.example:3128")
    assert decide_ownership(found, "proxy.example:3128").action == REFUSE
    assert decide_ownership(found, "proxy.example:3128", same=lambda a, b: str(a).lower() == str(b).lower()).action == KEEP


def test_dword_policy_compares_as_number():
    found = resolve_ownership(dict(ALL_READ, **domain(DC, "DisableEnterpriseAuthProxy", 4, struct.pack("<I", 1)))).values[
        "disable_enterprise_auth_proxy"]
    assert decide_ownership(found, 1).action == KEEP
    assert decide_ownership(found, 0).action == REFUSE


@pytest.mark.parametrize("value", ["Override", "force", None, True])
def test_bad_policy_conflict_is_rejected_naming_the_option(value):
    with pytest.raises(PolicyConflictInputError) as err:
        decide_ownership(ownership("local_gpo", "a:1"), "a:1", value)
    assert (err.value.field, err.value.rule) == ("policy_conflict", "choices")


@pytest.mark.parametrize("left, right, equal", [
    (None, None, True), (None, "", False), (1, "1", True), (True, 1, True), (1, 2, False),
    ("a", "A", False), (["a", "b"], ("a", "b"), True), (["a"], "a", False), ("abc", 1, False),
])
def test_same_value(left, right, equal):
    assert same_value(left, right) is equal
