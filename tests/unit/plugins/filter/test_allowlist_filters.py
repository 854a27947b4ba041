# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The allowlist filters as Jinja2 sees them (FilterModule.filters())."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.purview.device_proxy.plugins.filter.allowlist import FilterModule
from ansible_collections.purview.device_proxy.plugins.plugin_utils.allowlist import render_pac, render_squid
from ansible_collections.purview.device_proxy.plugins.plugin_utils.catalog import allowlist_items, load_catalog

ITEMS = allowlist_items(load_catalog().select("commercial", ["uk"]))


@pytest.fixture(scope="module")
def filters():
    table = FilterModule().filters()
    assert set(table) == {"allowlist_domains", "allowlist_pac", "allowlist_squid", "allowlist_table", "allowlist_title"}
    return table.__getitem__


def test_filters_render_what_the_renderers_render(filters):
    assert filters("allowlist_pac")(ITEMS, proxy="10.0.0.6:8080") == render_pac(ITEMS, proxy="10.0.0.6:8080")
    assert filters("allowlist_squid")(ITEMS, acl_name="mde_uk") == render_squid(ITEMS, acl_name="mde_uk")
    domains = filters("allowlist_domains")(ITEMS, collapse=True)
    assert "winatp-gw-uks.microsoft.com" in domains


@pytest.mark.parametrize("name,kwargs,text", [
    ("allowlist_pac", {"proxy": "10.0.0.6:99999"}, "proxy"),
    ("allowlist_squid", {"acl_name": "1bad"}, "acl_name"),
    ("allowlist_domains", {"style": "xml"}, "style"),
])
def test_bad_options_raise_filter_errors(filters, name, kwargs, text):
    with pytest.raises(AnsibleFilterError) as caught:
        filters(name)(ITEMS, **kwargs)
    assert ("purview.device_proxy.%s: %s" % (name, text)) in str(caught.value)


def test_a_plain_http_path_with_white_space_fails_the_filter_naming_the_entry(filters):
    entry = {"host": "crl.example.com", "port": 80, "scheme": "http", "path": "/pki/ .*"}
    with pytest.raises(AnsibleFilterError, match=r"allowlist_squid: entries\[0\]: the path '/pki/ \.\*'"):
        filters("allowlist_squid")([entry])


def test_an_acl_name_with_a_trailing_newline_fails_the_filter(filters):
    with pytest.raises(AnsibleFilterError, match="acl_name"):
        filters("allowlist_squid")(ITEMS, acl_name="mde\n")
