# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who sets each managed value, from recorded RSoP, Registry.pol, MDM and Group Policy Preferences answers."""

from __future__ import annotations

import copy
import json
import os
import struct

import pytest

from ansible_collections.purview.device_proxy.plugins.plugin_utils.policy_sources import (
    DOMAIN_GPO,
    GPP,
    LOCAL_GPO,
    MDM,
    PolicyEvidenceError,
    resolve_ownership,
)

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "policy")
DC = r"Software\Policies\Microsoft\Windows\DataCollection"


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        return handle.read() if name.endswith(".xml") else json.load(handle)


def pol_hex(*records):
    body = b""
    for key, name, reg_type, data in records:
        body += (u16("[") + u16(key + "\x00") + u16(";") + u16(name + "\x00") + u16(";") + struct.pack("<I", reg_type) + u16(";")
                 + struct.pack("<I", len(data)) + u16(";") + data + u16("]"))
    return (b"PReg" + struct.pack("<I", 1) + body).hex().upper()


def u16(text):
    return text.encode("utf-16-le")


def sz(text):
    return (text + "\x00").encode("utf-16-le")


# RSoP read and setting nothing: a logged policy processing always records the local GPO (an RSoP
# answer without any GPO is data never written, which is not "no policy").
ALL_READ = {"rsop": {"settings": [], "gpos": [{"id": "LocalGPO", "name": "Local Group Policy", "guidName": "LocalGPO"}]},
            "local_registry_pol": "", "mdm": {}, "gpp": []}


def test_nothing_set_anywhere_is_none_and_nothing_read_is_unknown():
    report = resolve_ownership(ALL_READ)
    assert {value.source for value in report.values.values()} == {"none"}
    assert report.findings == []
    report = resolve_ownership({})
    assert {value.source for value in report.values.values()} == {"unknown"}
    assert report.values["telemetry_proxy_server"].unread == ("RSoP", "local Group Policy", "Group Policy Preferences", "MDM")


def test_rsop_names_the_winning_domain_gpo_and_decodes_its_value():
    report = resolve_ownership(dict(ALL_READ, rsop=fixture("rsop_domain_member.json")["rsop"]))
    owner = report.values["telemetry_proxy_server"].owners[0]
    assert (owner.source, owner.name, owner.action, owner.kind, owner.value) == (
        DOMAIN_GPO, "Workstations - Proxy", "set", "String", "proxy.corp.example:3128")
    assert owner.enforced is True
    # The local GPO's value lost (precedence 2): named, not taken as the value in force.
    assert "Local Group Policy" in owner.detail
    assert len(report.values["telemetry_proxy_server"].owners) == 1
    # value as a list of byte numbers (ConvertTo-Json of uint8[]) decodes the same way.
    auth = report.values["disable_enterprise_auth_proxy"].owners[0]
    assert (auth.kind, auth.value) == ("DWord", 1)
    assert report.values["defender_proxy_server"].owners[0].value == "http://proxy.corp.example:3128"
    # WUServer is not a managed value; nothing else is claimed.
    assert report.values["winhttp_settings"].source == "none"


def test_rsop_error_is_a_finding_and_leaves_domain_owners_unknown():
    report = resolve_ownership(dict(ALL_READ, rsop={"error": "RSoP logging is turned off"}))
    assert report.values["telemetry_proxy_server"].source == "unknown"
    assert "RSoP logging is turned off" in report.findings[0]["message"]


def test_rsop_local_gpo_entry_is_the_local_source():
    rsop = {"gpos": [], "settings": [{"registryKey": DC, "valueName": "TelemetryProxyServer", "valueType": 1,
                                      "value": sz("a.example:1").hex(), "GPOID": "LocalGPO", "precedence": 1}]}
    evidence = dict(ALL_READ, rsop=rsop)
    evidence.pop("local_registry_pol")
    owner = resolve_ownership(evidence).values["telemetry_proxy_server"].owners[0]
    assert (owner.source, owner.name) == (LOCAL_GPO, "Local Group Policy")


def test_registry_pol_gives_the_local_owner():
    hex_text = pol_hex((DC, "TelemetryProxyServer", 1, sz("10.0.0.6:8080")),
                       (r"Software\Policies\Microsoft\Windows Defender", "**del.ProxyPacUrl", 1, sz(" ")))
    report = resolve_ownership(dict(ALL_READ, local_registry_pol=hex_text))
    owner = report.values["telemetry_proxy_server"].owners[0]
    assert (owner.source, owner.value, owner.enforced) == (LOCAL_GPO, "10.0.0.6:8080", True)
    pac = report.values["defender_proxy_pac_url"].owners[0]
    assert (pac.action, pac.value, pac.enforced) == ("delete", None, True)


def test_soft_registry_pol_value_is_not_enforced():
    hex_text = pol_hex((DC, "**soft.TelemetryProxyServer", 1, sz("10.0.0.6:8080")))
    owner = resolve_ownership(dict(ALL_READ, local_registry_pol=hex_text)).values["telemetry_proxy_server"].owners[0]
    assert (owner.action, owner.enforced) == ("set_if_absent", False)


def test_broken_registry_pol_is_a_finding_not_a_crash():
    evidence = dict(ALL_READ, local_registry_pol="50526567" + "02000000")
    del evidence["rsop"]
    report = resolve_ownership(evidence)
    assert report.values["telemetry_proxy_server"].source == "unknown"
    assert "local Group Policy" in report.values["telemetry_proxy_server"].unread
    assert "version 2" in report.findings[0]["message"]
    # With RSoP read, the local GPO is still known from it (RSoP lists the local GPO's settings too).
    report = resolve_ownership(dict(ALL_READ, local_registry_pol="5052656702000000"))
    assert "local Group Policy" not in report.values["telemetry_proxy_server"].unread
    assert "version 2" in report.findings[0]["message"]


def test_domain_gpo_comes_before_local_gpo():
    hex_text = pol_hex((DC, "TelemetryProxyServer", 1, sz("local.example:1")))
    report = resolve_ownership(dict(ALL_READ, rsop=fixture("rsop_domain_member.json")["rsop"], local_registry_pol=hex_text))
    assert [o.source for o in report.values["telemetry_proxy_server"].owners] == [DOMAIN_GPO, LOCAL_GPO]


def test_mdm_telemetry_proxy_is_named_not_enforced_and_becomes_the_caveat_finding():
    report = resolve_ownership(dict(ALL_READ, mdm=fixture("mdm_intune.json")["mdm"]))
    owner = report.values["telemetry_proxy_server"].owners[0]
    assert (owner.source, owner.name, owner.value, owner.enforced) == (MDM, "System/TelemetryProxy", "proxy.corp.example:3128", False)
    assert "5F1A3C2E" in owner.detail
    assert [f["severity"] for f in report.findings] == ["warning"]
    assert "asks not to deploy it by MDM" in report.findings[0]["message"]


def test_mdm_admx_defender_policies_are_decoded():
    report = resolve_ownership(dict(ALL_READ, mdm=fixture("mdm_intune.json")["mdm"]))
    server = report.values["defender_proxy_server"].owners[0]
    assert (server.name, server.action, server.value, server.enforced) == (
        "ADMX_MicrosoftDefenderAntivirus/ProxyServer", "set", "http://mdm-proxy.corp.example:8080", True)
    bypass = report.values["defender_proxy_bypass"].owners[0]
    assert (bypass.action, bypass.value) == ("delete", None)
    assert report.values["defender_proxy_pac_url"].source == "none"


def test_enabled_admx_policy_without_readable_data_is_named_not_taken_for_a_deletion():
    mdm = {"ADMX_MicrosoftDefenderAntivirus": {"ProxyServer": {"kind": "String", "data": '<enabled/><data id="Other"/>'}}}
    owner = resolve_ownership(dict(ALL_READ, mdm=mdm)).values["defender_proxy_server"].owners[0]
    assert (owner.action, owner.value, owner.enforced) == ("set", None, False)
    assert "names no value" in owner.detail


def test_no_mdm_telemetry_proxy_no_caveat():
    mdm = copy.deepcopy(fixture("mdm_intune.json")["mdm"])
    del mdm["System"]["TelemetryProxy"]
    assert resolve_ownership(dict(ALL_READ, mdm=mdm)).findings == []


def test_gpp_registry_items():
    gpp = [{"gpo_id": "{2B7E1F40-5A3C-4C1B-9E2D-7F0A1B2C3D4E}", "xml": fixture("gpp_winhttp_registry.xml")}]
    report = resolve_ownership(dict(ALL_READ, rsop=fixture("rsop_domain_member.json")["rsop"], gpp=gpp))
    winhttp = report.values["winhttp_settings"].owners[0]
    assert (winhttp.source, winhttp.name, winhttp.kind, winhttp.enforced) == (GPP, "Workstations - Proxy", "Binary", True)
    assert winhttp.value.startswith("28000000")
    # The disabled WOW6432Node item applies nothing.
    assert report.values["winhttp_settings_wow64"].source == "none"
    # "Create" only writes a missing value: it does not put a changed one back.
    prefer = report.values["prefer_static_proxy_for_http_request"].owners[0]
    assert (prefer.action, prefer.value, prefer.enforced) == ("set_if_absent", 1, False)
    ssl = report.values["defender_ssl_options"].owners[0]
    assert (ssl.value, ssl.enforced) == (2, False) and "applied once" in ssl.detail
    # The HKEY_CURRENT_USER item is not the machine value.
    assert [o.source for o in report.values["telemetry_proxy_server"].owners] == [DOMAIN_GPO]


@pytest.mark.parametrize("xml, rule", [
    ("<RegistrySettings><Registry>", "xml"),
    ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><RegistrySettings>&a;</RegistrySettings>', "dtd"),
    ("<Groups/>", "root"),
    ('<RegistrySettings><Registry><Properties action="U" hive="HKEY_LOCAL_MACHINE" '
     'key="SOFTWARE\\Policies\\Microsoft\\Windows Defender\\Spynet" name="SSLOptions" type="REG_DWORD" value="zz"/>'
     "</Registry></RegistrySettings>", "value"),
])
def test_bad_gpp_xml_names_the_part_and_the_rule(xml, rule):
    with pytest.raises(PolicyEvidenceError) as err:
        resolve_ownership(dict(ALL_READ, gpp=[{"gpo_name": "X", "xml": xml}]))
    assert err.value.field == "gpp[0].xml"
    assert err.value.rule == rule


@pytest.mark.parametrize("evidence, field", [
    ({"rsop": []}, "rsop"),
    ({"rsop": {"settings": [{"registryKey": DC, "valueName": "TelemetryProxyServer", "valueType": "x", "value": "00",
                             "GPOID": "LocalGPO", "precedence": 1}]}}, "rsop.settings[0].valueType"),
    ({"rsop": {"settings": [{"registryKey": DC, "valueName": "TelemetryProxyServer", "valueType": 1, "value": "0G",
                             "GPOID": "LocalGPO", "precedence": 1}]}}, "rsop.settings[0].value"),
    ({"rsop": {"settings": [{"registryKey": DC, "valueName": "TelemetryProxyServer", "valueType": 1, "value": "610062",
                             "GPOID": "LocalGPO", "precedence": 1}]}}, "rsop.settings[0].value"),
    ({"mdm": {"System": []}}, "mdm.System"),
    ({"gpp": {}}, "gpp"),
    ({"registry": {}}, "policy.registry"),
])
def test_evidence_of_the_wrong_shape_names_the_field(evidence, field):
    with pytest.raises(PolicyEvidenceError) as err:
        resolve_ownership(evidence)
    assert err.value.field == field


# --- RSoP that says nothing, RSoP deletion directives, MDM DisableEnterpriseAuthProxy -------------

# Every policy processing that logs RSoP records the local GPO among its GPOs, applied or filtered
# out as empty; an answer without a single GPO is RSoP data that was never written.
LOCAL_GPO_ROW = {"id": "LocalGPO", "name": "Local Group Policy", "guidName": "LocalGPO"}
DOMAIN_GPO_ROW = {"id": "cn={31B2F340-016D-11D2-945F-00C04FB984F9},cn=policies,cn=system,DC=corp,DC=example",
                  "name": "Proxy baseline", "guidName": "{31B2F340-016D-11D2-945F-00C04FB984F9}"}


def rsop_setting(name, reg_type=1, data=b"", gpo=DOMAIN_GPO_ROW["id"], precedence=1, key=DC, **extra):
    return dict({"registryKey": key, "valueName": name, "valueType": reg_type, "value": data.hex(), "deleted": False,
                 "GPOID": gpo, "precedence": precedence}, **extra)


def test_an_empty_rsop_answer_is_unknown_with_the_reason_not_no_domain_gpo():
    report = resolve_ownership(dict(ALL_READ, rsop={"settings": [], "gpos": [], "error": None}))
    ownership = report.values["telemetry_proxy_server"]
    assert ownership.source == "unknown"
    assert any(item.startswith("RSoP") and "no GPO" in item for item in ownership.unread)
    assert any("RSoP" in finding["message"] and "not written" in finding["message"] for finding in report.findings)


def test_rsop_logging_turned_off_by_policy_is_unknown_even_with_stale_data():
    # "Turn off Resultant Set of Policy logging": HKLM\Software\Policies\Microsoft\Windows\System\RSoPLogging
    # REG_DWORD 0 (https://learn.microsoft.com/en-us/previous-versions/windows/desktop/policy/developing-an-rsop-management-tool).
    rsop = {"settings": [], "gpos": [LOCAL_GPO_ROW, DOMAIN_GPO_ROW], "error": None,
            "logging_policy": {"kind": "DWord", "data": 0}}
    report = resolve_ownership(dict(ALL_READ, rsop=rsop))
    assert report.values["telemetry_proxy_server"].source == "unknown"
    assert any("RSoPLogging" in item for item in report.values["telemetry_proxy_server"].unread)
    assert any("turned off" in finding["message"] for finding in report.findings)
    # Logging left on (1, or no policy value) reads the answer as usual.
    for logging_policy in ({"kind": "DWord", "data": 1}, None):
        report = resolve_ownership(dict(ALL_READ, rsop=dict(rsop, logging_policy=logging_policy)))
        assert report.values["telemetry_proxy_server"].source == "none"


@pytest.mark.parametrize("setting, fields", [
    # [MS-GPREG] 2.2.1: the "**" value names are case-insensitive instructions.
    (rsop_setting("**delvals.", 1, sz(" ")), {"telemetry_proxy_server", "disable_enterprise_auth_proxy"}),
    (rsop_setting("**DelVals.", 1, sz(" ")), {"telemetry_proxy_server", "disable_enterprise_auth_proxy"}),
    (rsop_setting("**DeleteValues", 1, sz("TelemetryProxyServer;DisableEnterpriseAuthProxy")),
     {"telemetry_proxy_server", "disable_enterprise_auth_proxy"}),
    (rsop_setting("**deletevalues", 1, sz("telemetryproxyserver")), {"telemetry_proxy_server"}),
    (rsop_setting("**Del.TelemetryProxyServer", 1, sz(" ")), {"telemetry_proxy_server"}),
    (rsop_setting("**DeleteKeys", 1, sz("DataCollection"), key=r"Software\Policies\Microsoft\Windows"),
     {"telemetry_proxy_server", "disable_enterprise_auth_proxy"}),
    # The instruction in the command property, the value name plain.
    (rsop_setting("", 1, sz(" "), command="**delvals."), {"telemetry_proxy_server", "disable_enterprise_auth_proxy"}),
])
def test_rsop_deletion_directives_own_the_values_they_delete(setting, fields):
    report = resolve_ownership(dict(ALL_READ, rsop={"settings": [setting], "gpos": [LOCAL_GPO_ROW, DOMAIN_GPO_ROW]}))
    deleted = {field for field, value in report.values.items()
               if value.owners and value.owners[0].action == "delete" and value.owners[0].enforced}
    assert deleted == fields
    owner = report.values["telemetry_proxy_server"].owners[0]
    assert (owner.source, owner.name) == (DOMAIN_GPO, "Proxy baseline")


OTHER_GPO_ROW = {"id": "cn={6AC1786C-016F-11D2-945F-00C04FB984F9},cn=policies,cn=system,DC=corp,DC=example",
                 "name": "Site proxy", "guidName": "{6AC1786C-016F-11D2-945F-00C04FB984F9}"}
GPOS = [LOCAL_GPO_ROW, DOMAIN_GPO_ROW, OTHER_GPO_ROW]


def test_rsop_deletion_loses_to_a_set_of_higher_precedence_and_wins_over_a_lower_one():
    settings = [rsop_setting("**delvals.", 1, sz(" "), precedence=2),
                rsop_setting("TelemetryProxyServer", 1, sz("winner.example:8080"), gpo=OTHER_GPO_ROW["id"], precedence=1)]
    owner = resolve_ownership(dict(ALL_READ, rsop={"settings": settings, "gpos": GPOS})).values["telemetry_proxy_server"].owners[0]
    assert (owner.action, owner.value, owner.name) == ("set", "winner.example:8080", "Site proxy")
    assert "Proxy baseline" in owner.detail
    settings = [rsop_setting("**delvals.", 1, sz(" "), precedence=1),
                rsop_setting("TelemetryProxyServer", 1, sz("loser.example:8080"), gpo=OTHER_GPO_ROW["id"], precedence=2)]
    owner = resolve_ownership(dict(ALL_READ, rsop={"settings": settings, "gpos": GPOS})).values["telemetry_proxy_server"].owners[0]
    assert (owner.action, owner.name) == ("delete", "Proxy baseline")
    assert "Site proxy" in owner.detail


def test_within_one_gpo_a_value_written_after_its_key_is_cleared_is_the_owner():
    # ADMX-generated files write "**delvals." first, then the values: same GPO, same precedence.
    settings = [rsop_setting("**delvals.", 1, sz(" ")), rsop_setting("TelemetryProxyServer", 1, sz("kept.example:8080"))]
    report = resolve_ownership(dict(ALL_READ, rsop={"settings": settings, "gpos": GPOS}))
    owner = report.values["telemetry_proxy_server"].owners[0]
    assert (owner.action, owner.value) == ("set", "kept.example:8080")
    assert report.values["disable_enterprise_auth_proxy"].owners[0].action == "delete"


def test_mdm_disable_enterprise_auth_proxy_is_mapped():
    # Policy CSP System/DisableEnterpriseAuthProxy: an int policy (1 = enabled), Group Policy mapping
    # DisableEnterpriseAuthProxy under Software\Policies\Microsoft\Windows\DataCollection
    # (https://learn.microsoft.com/en-us/windows/client-management/mdm/policy-csp-system#disableenterpriseauthproxy).
    mdm = {"System": {"DisableEnterpriseAuthProxy": {"kind": "DWord", "data": 0},
                      "DisableEnterpriseAuthProxy_WinningProvider": {"kind": "String", "data": "INTUNE-ID"}}}
    report = resolve_ownership(dict(ALL_READ, mdm=mdm))
    owner = report.values["disable_enterprise_auth_proxy"].owners[0]
    assert (owner.source, owner.name, owner.value) == (MDM, "System/DisableEnterpriseAuthProxy", 0)
    assert "INTUNE-ID" in owner.detail


def test_one_bad_registry_pol_record_keeps_the_others():
    # A DWORD record with 3 bytes of data is well framed (its end is known): only it is lost.
    hex_text = pol_hex((DC, "DisableEnterpriseAuthProxy", 4, b"\x01\x00\x00"),
                       (DC, "TelemetryProxyServer", 1, sz("10.0.0.6:8080")))
    report = resolve_ownership(dict(ALL_READ, local_registry_pol=hex_text))
    owner = report.values["telemetry_proxy_server"].owners[0]
    assert (owner.source, owner.value) == (LOCAL_GPO, "10.0.0.6:8080")
    # The value of the bad record is unknown, with the record named.
    bad = report.values["disable_enterprise_auth_proxy"]
    assert bad.source == "unknown"
    assert any("byte 8" in item for item in bad.unread)
    assert any("byte 8" in finding["message"] and "DWORD" in finding["message"] for finding in report.findings)
