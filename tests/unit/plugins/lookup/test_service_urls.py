# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The service_urls lookup, instantiated directly with its documented options registered the way
ansible-core's plugin loader registers them (the loader itself cannot load the collection here: the
tests import it by its real name before the loader's collection finder is installed)."""

import os

import pytest
import yaml
from ansible.errors import AnsibleError
from ansible.plugins.loader import lookup_loader

from ansible_collections.purview.device_proxy.plugins.lookup import service_urls
from ansible_collections.purview.device_proxy.plugins.plugin_utils.catalog import load_catalog

NAME = "purview.device_proxy.service_urls"

# The catalog's own fixtures, beside the catalog tests (plugin_utils).
FIXTURE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "plugin_utils", "fixtures", "catalog",
                       "standard-commercial-excerpt.md")


@pytest.fixture(scope="module")
def lookup():
    lookup_loader._load_config_defs(NAME, service_urls, service_urls.__file__)
    plugin = service_urls.LookupModule()
    plugin._load_name = NAME
    return plugin


def test_default_output_is_allowlist_items(lookup):
    result = lookup.run([], variables={})
    assert result
    assert all(set(item) == {"url", "host", "port", "scheme", "path", "functions", "required", "clouds", "direct_only"}
               for item in result)
    keys = [(i["scheme"], i["host"], i["port"], i["path"]) for i in result]
    assert len(keys) == len(set(keys))
    assert {i["host"] for i in result} == {e.host for e in load_catalog().select()}


def test_probe_output_for_the_windows_test(lookup):
    probes = lookup.run([], variables={}, cloud="commercial", regions=["eu"], output="probe")
    assert probes == load_catalog().probe_urls("commercial", ["eu"])
    cnc = [p for p in probes if p["channel"] == "command-and-control"]
    assert {p["url"] for p in cnc} >= {"https://winatp-gw-weu.microsoft.com/commands/test"}
    assert all(isinstance(code, int) for p in probes for code in p["expected_status"])


def test_entries_output_with_every_option(lookup):
    entries = lookup.run([], variables={}, cloud="gcc-high", regions=["us"], model="streamlined",
                         os="windows-legacy", required_only=True, extra_lists=["portal"], output="entries")
    assert entries and all(e["cloud"] == "gcc-high" and e["required"] for e in entries)
    assert {e["list_name"] for e in entries} <= {"streamlined", "portal"}
    assert all(isinstance(e["os"], list) for e in entries)


@pytest.mark.parametrize("option,value,valid", [
    ("cloud", "china", "commercial, gcc, gcc-high, dod"),
    ("regions", ["eu", "apac"], "worldwide, au, eu, uae, uk, us"),
    ("model", "turbo", "standard, streamlined"),
    ("os", "android", "windows, windows-legacy, macos, linux"),
    ("output", "csv", "probe, allowlist, entries"),
])
def test_unknown_names_fail_with_the_valid_ones(lookup, option, value, valid):
    with pytest.raises(AnsibleError) as caught:
        lookup.run([], variables={}, **{option: value})
    assert ("valid: " + valid) in str(caught.value)
    assert option in str(caught.value)


def test_catalog_file_refreshes_the_list(lookup):
    hosts = {i["host"] for i in lookup.run([], variables={}, regions=["us"], catalog_file=FIXTURE)}
    assert "winatp-gw-cus.microsoft.com" in hosts
    assert "winatp-gw-cus3.microsoft.com" not in hosts  # not in the supplied copy


def test_bad_catalog_file_fails_or_falls_back(lookup, tmp_path):
    bad = tmp_path / "bad.md"
    bad.write_text(open(FIXTURE, encoding="utf-8").read().replace("|WW|CRL|80|", "|WW|CRL|8o|", 1), encoding="utf-8")
    with pytest.raises(AnsibleError) as caught:
        lookup.run([], variables={}, catalog_file=str(bad))
    assert "row 14" in str(caught.value) and "Port" in str(caught.value)
    fallback = lookup.run([], variables={}, regions=["us"], catalog_file=str(bad), catalog_fallback=True)
    assert "winatp-gw-cus3.microsoft.com" in {i["host"] for i in fallback}  # the shipped catalog


@pytest.mark.parametrize("kwargs,unknown", [
    ({"region": ["eu"]}, "'region'"),
    ({"regions": ["eu"], "clouds": "gcc", "required": True}, "'clouds', 'required'"),
])
def test_unknown_option_names_fail_with_the_valid_ones(lookup, kwargs, unknown):
    # ansible-core itself ignores unknown keywords: a misspelt 'regions' would drop the tenant's region.
    with pytest.raises(AnsibleError) as caught:
        lookup.run([], variables={}, **kwargs)
    message = str(caught.value)
    assert "options: unknown option " + unknown in message
    assert message.endswith("valid: cloud, regions, tenants, model, os, required_only, extra_lists, output, "
                            "catalog_file, catalog_model, catalog_fallback, catalog_max_age_days")


def test_terms_are_rejected_instead_of_ignored(lookup):
    with pytest.raises(AnsibleError) as caught:
        lookup.run(["eu"], variables={})
    assert "terms: the lookup takes no terms (got ['eu'])" in str(caught.value)
    assert "regions=['eu']" in str(caught.value)


def test_accepted_option_names_are_the_documented_ones():
    documented = set(yaml.safe_load(service_urls.DOCUMENTATION)["options"]) - {"_terms"}
    assert set(service_urls.OPTION_NAMES) == documented
