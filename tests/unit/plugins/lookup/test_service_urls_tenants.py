# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The service_urls lookup with several tenants (clouds and regions) in one call, and the
single-cloud options unchanged."""

import pytest
from ansible.errors import AnsibleError
from ansible.plugins.loader import lookup_loader

from ansible_collections.purview.device_proxy.plugins.lookup import service_urls
from ansible_collections.purview.device_proxy.plugins.plugin_utils.catalog import (
    allowlist_items,
    entries_as_dicts,
    load_catalog,
)

NAME = "purview.device_proxy.service_urls"
TWO_TENANTS = [{"cloud": "commercial", "regions": ["eu"]}, {"cloud": "gcc-high"}]


@pytest.fixture(scope="module")
def lookup():
    lookup_loader._load_config_defs(NAME, service_urls, service_urls.__file__)
    plugin = service_urls.LookupModule()
    plugin._load_name = NAME
    return plugin


def test_two_tenants_in_one_call(lookup):
    entries = lookup.run([], variables={}, tenants=TWO_TENANTS, output="entries")
    catalog = load_catalog()
    expected = entries_as_dicts(catalog.select("commercial", ["eu"]) + catalog.select("gcc-high", ["us"]))
    assert sorted(map(repr, entries)) == sorted(map(repr, expected))


def test_allowlist_items_say_their_clouds_and_whether_they_are_direct_only(lookup):
    items = lookup.run([], variables={}, tenants=TWO_TENANTS)
    by_host = {(i["host"], i["port"], i["path"]): i for i in items}
    assert by_host[("ctldl.windowsupdate.com", 80, "")]["clouds"] == ["commercial", "gcc-high"]
    assert by_host[("winatp-gw-neu.microsoft.com", 443, "")]["clouds"] == ["commercial"]
    assert by_host[("login.live.com", 443, "")]["direct_only"] is True
    assert by_host[("winatp-gw-neu.microsoft.com", 443, "")]["direct_only"] is False


def test_probe_urls_for_two_tenants(lookup):
    probes = lookup.run([], variables={}, tenants=TWO_TENANTS, output="probe")
    assert {p["cloud"] for p in probes} == {"commercial", "gcc-high"}


def test_single_cloud_options_still_work_as_before(lookup):
    items = lookup.run([], variables={}, cloud="gcc", regions=["us"])
    legacy = allowlist_items(load_catalog().select("gcc", ["us"]))
    assert [{k: i[k] for k in legacy[0]} for i in items] == legacy


@pytest.mark.parametrize("kwargs,text", [
    ({"tenants": TWO_TENANTS, "cloud": "gcc"}, "tenants: give either tenants or cloud and regions"),
    ({"tenants": [{"cloud": "gcc-high", "regions": ["eu"]}]}, "tenants[0].regions"),
    ({"tenants": [{"cloud": "mars"}]}, "tenants[0].cloud"),
])
def test_bad_tenants_fail_naming_the_field(lookup, kwargs, text):
    with pytest.raises(AnsibleError) as caught:
        lookup.run([], variables={}, **kwargs)
    assert text in str(caught.value)
