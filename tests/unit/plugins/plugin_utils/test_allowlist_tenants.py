# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One handover for several tenants: a selection over several clouds and regions, a table with a
cloud column and without rows another row already covers, and titles that say what is covered."""

from __future__ import annotations

import csv
import io

import pytest

from ansible_collections.purview.device_proxy.plugins.plugin_utils.catalog import (
    CatalogError,
    entries_as_dicts,
    load_catalog,
    pattern_covers,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.proxy_team_table import (
    render_table,
    table_rows,
)

CATALOG = load_catalog()
TWO_TENANTS = [{"cloud": "commercial", "regions": ["eu"]}, {"cloud": "gcc-high"}]


def selection_module():
    from ansible_collections.purview.device_proxy.plugins.plugin_utils import allowlist_selection
    return allowlist_selection


def test_two_tenants_select_the_union_of_their_clouds():
    chosen = selection_module().select_tenants(CATALOG, TWO_TENANTS)
    expected = CATALOG.select("commercial", ["eu"]) + CATALOG.select("gcc-high", ["us"])
    assert set(chosen) == set(expected) and len(chosen) == len(set(chosen))
    assert {e.cloud for e in chosen} == {"commercial", "gcc-high"}


def test_a_single_cloud_selection_is_unchanged():
    assert selection_module().select_tenants(CATALOG, [{"cloud": "commercial", "regions": ["eu", "uk"]}]) \
        == CATALOG.select("commercial", ["eu", "uk"])


@pytest.mark.parametrize("tenants,field_name", [
    ([{"cloud": "mars"}], "tenants[0].cloud"),
    ([{"cloud": "commercial"}, {"cloud": "gcc-high", "regions": ["eu"]}], "tenants[1].regions"),
    ([{"cloud": "commercial", "region": ["eu"]}], "tenants[0]"),
    (["commercial"], "tenants[0]"),
    ([], "tenants"),
    ({"cloud": "commercial"}, "tenants"),
])
def test_bad_tenants_name_the_item(tenants, field_name):
    with pytest.raises(CatalogError) as caught:
        selection_module().select_tenants(CATALOG, tenants)
    assert caught.value.field == field_name, str(caught.value)


def test_the_table_has_a_cloud_column():
    chosen = entries_as_dicts(selection_module().select_tenants(CATALOG, TWO_TENANTS))
    rows = table_rows(chosen)
    by_host = {}
    for row in rows:
        by_host.setdefault(row["host"], set()).update(row["cloud"].split(", "))
    assert by_host["winatp-gw-neu.microsoft.com"] == {"commercial"}
    assert by_host["winatp-gw-usgt.microsoft.com"] == {"gcc-high"}
    assert by_host["crl.microsoft.com"] == {"commercial", "gcc-high"}
    assert next(csv.reader(io.StringIO(render_table(chosen, output="csv"))))[-1] == "cloud"


def treatment(row):
    return (row["port"], row["scheme"], row["path"], row["must_not_be_tls_inspected"], row["must_allow_anonymous"],
            row["direct_only"])


@pytest.mark.parametrize("cloud,regions,os_name", [
    ("commercial", ["us", "eu", "uk", "au", "uae"], "windows"),
    ("commercial", ["us"], "windows-legacy"),
    ("gcc-high", ["us"], "windows-legacy"),
])
def test_rows_covered_by_another_row_with_the_same_treatment_are_folded(cloud, regions, os_name):
    chosen = CATALOG.select(cloud, regions, "standard", os_name)
    if os_name == "windows-legacy":
        # MMA's *.blob wildcard together with the unified agent's own storage accounts
        chosen += CATALOG.select(cloud, regions, "standard", "windows")
    rows = table_rows(entries_as_dicts(chosen))
    covered = [(inner["host"], outer["host"]) for inner in rows for outer in rows
               if inner is not outer and treatment(inner) == treatment(outer)
               and pattern_covers(outer["host"], inner["host"])]
    assert covered == []
    # folding never hides a different treatment: the service's own storage accounts stay, spliced
    if os_name == "windows-legacy":
        blob = [r for r in rows if r["host"].endswith(".blob.core.windows.net") or r["host"].endswith("usgovcloudapi.net")]
        assert any(r["host"].startswith("*.") and r["must_not_be_tls_inspected"] is False for r in blob)
        assert any(not r["host"].startswith("*.") and r["must_not_be_tls_inspected"] is True for r in blob)


def test_a_folded_row_keeps_what_the_covered_row_said():
    rows = table_rows([
        {"host": "*.x.example.com", "port": 443, "scheme": "https", "function": "maps", "required": False},
        {"host": "a.x.example.com", "port": 443, "scheme": "https", "function": "smartscreen", "required": True},
        {"host": "a.x.example.com", "port": 80, "scheme": "http", "function": "crl"},
    ])
    assert [(r["host"], r["port"]) for r in rows] == [("*.x.example.com", 443), ("a.x.example.com", 80)]
    assert "SmartScreen" in rows[0]["purpose"] and rows[0]["required"] is True
    assert "a.x.example.com" in rows[0]["note"]


@pytest.mark.parametrize("tenants,model,os_name,must,must_not", [
    (TWO_TENANTS, "standard", "windows",
     ["commercial: worldwide and EU rows", "GCC High: all rows (every row is listed under the US Gov geography)",
      "standard", "Windows 10/11"], ["regions worldwide"]),
    ([{"cloud": "gcc-high"}], "streamlined", "windows", ["GCC High: all rows"], ["worldwide"]),
    ([{"cloud": "commercial"}], "standard", "macos", ["commercial: worldwide rows", "macOS"], ["EU"]),
])
def test_titles_say_exactly_what_is_covered(tenants, model, os_name, must, must_not):
    title = selection_module().selection_title(tenants, model=model, os=os_name)
    for text in must:
        assert text in title, title
    for text in must_not:
        assert text not in title, title


def test_a_title_says_when_only_required_rows_are_covered():
    title = selection_module().selection_title([{"cloud": "commercial", "regions": ["uk"]}], required_only=True)
    assert "commercial: worldwide and UK rows" in title and "required rows only" in title
    assert "required rows only" not in selection_module().selection_title([{"cloud": "commercial"}])
