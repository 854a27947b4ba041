# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The device facts contract: the shipped JSON Schema, the collection's validator checked against the
reference implementation (the jsonschema library, JSON Schema 2020-12), one test per kind of error
(each naming the file, the field and the rule), and readable values that are encoded with the
collection's codecs or refused when they contradict the bytes beside them, never ignored."""

from __future__ import annotations

import copy
import glob
import json
import os

import jsonschema
import pytest

from ansible_collections.purview.device_proxy.plugins.module_utils.winhttp_settings import WinHttpSettings, encode_hex
from ansible_collections.purview.device_proxy.plugins.plugin_utils.facts_schema import SCHEMA, schema_errors
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan import PlanFactsError, compute_plan
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan import fleet
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.readable_facts import checked_facts

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..")
SCHEMA_FILE = os.path.join(ROOT, "docs", "reference", "device-facts.schema.json")
READABLE = os.path.join(ROOT, "examples", "fleet", "facts-readable", "hq-desktop-06.json")
OFFICE = {"network_mode": "static", "proxy": "10.0.0.6:8080", "winhttp_policy": "set"}
FACTS_FILES = sorted(glob.glob(os.path.join(ROOT, "examples", "fleet", "facts*", "*.json"))
                     + glob.glob(os.path.join(ROOT, "tests", "unit", "fixtures", "fleet", "facts", "*.json"))
                     + glob.glob(os.path.join(ROOT, "extensions", "molecule", "device_proxy_plan", "facts", "*.json")))
PROXY_HEX = encode_hex(WinHttpSettings.named_proxy("10.0.0.6:8080", "<local>"))
DIRECT_HEX = encode_hex(WinHttpSettings.direct())


def load(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def test_the_shipped_schema_is_the_one_the_plan_checks():
    assert load(SCHEMA_FILE) == json.loads(json.dumps(SCHEMA))
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


# Documents that break the schema in one place, and where (the reference validator must agree).
BROKEN = [
    ({"winhttp": {"native": {"raw": "18000000ZZ"}}}, "winhttp.native.raw", "pattern"),
    ({"telemetry_proxy": {"server": 3128}}, "telemetry_proxy.server", "type"),
    ({"telemetry_proxy": {"sever": "p:1"}}, "telemetry_proxy.sever", "unknown-key"),
    ({"hostname": "x"}, "hostname", "unknown-key"),
    ({"topology": "mobile"}, "topology", "enum"),
    ({"hardware": {"chassis_types": [300]}}, "hardware.chassis_types[0]", "maximum"),
    ({"telemetry_proxy": {"disable_enterprise_auth_proxy": -1}}, "telemetry_proxy.disable_enterprise_auth_proxy", "minimum"),
    ({"policy": {"local_registry_pol": [{"key": "Software\\X", "name": "Y", "kind": "String"}]}},
     "policy.local_registry_pol[0].value", "required"),
    ({"policy": {"mdm": {"System": {"TelemetryProxy": {"kind": "String", "value": "x"}}}}},
     "policy.mdm.System.TelemetryProxy.value", "unknown-key"),
]


@pytest.mark.parametrize("facts_file", FACTS_FILES, ids=os.path.basename)
def test_every_facts_file_of_the_collection_keeps_the_contract(facts_file):
    facts = load(facts_file)
    assert [str(error) for error in schema_errors(facts)] == []
    assert list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(facts)) == []


@pytest.mark.parametrize("facts,field,rule", BROKEN, ids=[case[2] + ":" + case[1] for case in BROKEN])
def test_the_validator_agrees_with_the_reference_implementation(facts, field, rule):
    mine = schema_errors(facts)
    reference = list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(facts))
    assert len(mine) == 1 and len(reference) == 1, (mine, [error.message for error in reference])
    assert (mine[0].field, mine[0].rule) == (field, rule)
    assert reference[0].validator == {"unknown-key": "additionalProperties"}.get(rule, rule)


@pytest.mark.parametrize("facts,field,rule", BROKEN, ids=[case[2] + ":" + case[1] for case in BROKEN])
def test_each_error_kind_names_the_file_the_field_and_the_rule(tmp_path, facts, field, rule):
    path = tmp_path / "desktop-09.json"
    path.write_text(json.dumps(facts), encoding="utf-8")
    plans, errors = fleet.plan_fleet([("desktop-09", {"device_proxy_facts_dir": str(tmp_path)})], {"device_proxy_network_mode": "wpad"},
                                     lambda host, variables: fleet.supplied_facts(host, variables, {}), checked_facts)
    assert not plans
    error = errors["desktop-09"]
    assert (error["field"], error["rule"], error["source"]) == (field, rule, str(path))
    assert str(path) in error["message"] and field in error["message"]


def readable_view(**decoded):
    return {"winhttp": {"native": {"raw": None, "decoded": decoded, "error": None}, "wow64": None}}


def test_a_decoded_winhttp_value_alone_is_encoded_with_the_codec_and_planned():
    facts = checked_facts(readable_view(proxy="10.0.0.6:8080", bypass="<local>"), "cmdb.json")
    assert facts["winhttp"]["native"]["raw"] == PROXY_HEX
    plan = compute_plan(dict(OFFICE, bypass=["<local>"]), dict(facts, hardware={"chassis_types": [3], "has_battery": False}))
    winhttp = next(action for action in plan["actions"] if action["target"] == "winhttp_proxy")
    assert winhttp["current"]["views"]["native"]["proxy"] == "10.0.0.6:8080"


def test_a_decoded_edit_beside_the_raw_bytes_is_refused_not_ignored():
    # A copied facts file: raw says direct access; the user edited decoded to a proxy. The plan used to
    # read raw alone and report direct access, ignoring the edit.
    facts = {"winhttp": {"native": {"raw": DIRECT_HEX, "decoded": {"proxy": "10.0.0.6:8080", "flags": 3}, "error": None},
                         "wow64": None}}
    with pytest.raises(PlanFactsError) as err:
        compute_plan(OFFICE, facts)
    assert err.value.field == "facts.winhttp.native.decoded.proxy" and err.value.rule == "contradicts-raw"
    with pytest.raises(PlanFactsError) as err:
        checked_facts(facts, "copied.json")
    assert err.value.rule == "contradicts-raw" and "copied.json" in str(err.value)
    # The same decoded value that raw holds is fine.
    agreeing = copy.deepcopy(facts)
    agreeing["winhttp"]["native"]["raw"] = PROXY_HEX
    checked_facts(agreeing, "copied.json")


def test_readable_uses_proxy_that_contradicts_flags_is_refused():
    with pytest.raises(PlanFactsError) as err:
        checked_facts(readable_view(proxy="10.0.0.6:8080", flags=1, uses_proxy=True), "cmdb.json")
    assert err.value.field == "winhttp.native.decoded.uses_proxy" and err.value.rule == "contradicts-flags"


def test_an_rsop_decoded_value_is_encoded_as_rsop_stores_it_or_refused():
    setting = {"GPOID": "LocalGPO", "registryKey": "Software\\Policies\\Microsoft\\Windows\\DataCollection",
               "valueName": "TelemetryProxyServer", "valueType": 1, "decoded": "p.corp:3128", "precedence": 1}
    facts = checked_facts({"policy": {"rsop": {"settings": [setting], "gpos": []}}}, "f.json")
    # RSoP keeps REG_SZ data as UTF-16LE with its terminating NUL.
    assert facts["policy"]["rsop"]["settings"][0]["value"] == ("p.corp:3128\0".encode("utf-16-le")).hex().upper()
    dword = dict(setting, valueName="DisableEnterpriseAuthProxy", valueType=4, decoded=1)
    assert checked_facts({"policy": {"rsop": {"settings": [dword]}}})["policy"]["rsop"]["settings"][0]["value"] == "01000000"
    with pytest.raises(PlanFactsError) as err:
        checked_facts({"policy": {"rsop": {"settings": [dict(setting, value="00")]}}}, "f.json")
    assert (err.value.field, err.value.rule) == ("policy.rsop.settings[0].decoded", "contradicts-raw")
    with pytest.raises(PlanFactsError) as err:
        checked_facts({"policy": {"rsop": {"settings": [dict(dword, decoded="one")]}}}, "f.json")
    assert (err.value.field, err.value.rule) == ("policy.rsop.settings[0].decoded", "kind")


def test_a_readable_local_policy_value_that_cannot_be_written_names_the_value():
    values = [{"key": "HKLM\\Software\\Policies\\Microsoft\\Windows\\DataCollection", "name": "TelemetryProxyServer",
               "kind": "String", "value": "p:1"}]
    with pytest.raises(PlanFactsError) as err:
        checked_facts({"policy": {"local_registry_pol": values}}, "f.json")
    assert err.value.field.startswith("policy.local_registry_pol[0]") and err.value.rule == "hive-prefix"


def test_the_readable_example_plans_with_its_gpo_local_policy_and_mdm_evidence():
    facts = checked_facts(load(READABLE), READABLE)
    assert facts["policy"]["local_registry_pol"].startswith("5052656701000000")  # PReg, version 1
    plan = compute_plan(OFFICE, facts, host="hq-desktop-06")
    telemetry = next(action for action in plan["actions"] if action["target"] == "telemetry_proxy")
    assert telemetry["action"] == "refuse"
    assert telemetry["cause"].startswith('GPO "HQ Desktops - Telemetry Proxy"') and "local Group Policy" in telemetry["cause"]
    owners = plan["ownership"]
    assert any(owner["source"] == "mdm" for owner in owners["defender_proxy_server"]["owners"])
