# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A cloud is one row of catalog.CLOUD_TABLE: everything else that knows clouds reads that row.

The geography names are the spellings of the "Geography" column in Microsoft's downloadable
connectivity tables for the US Government clouds (docs/reference/service-urls.md): every row of the
GCC, GCC High and DoD tables is filed under the US region.
"""

import os
import re

import pytest

from ansible_collections.purview.device_proxy.plugins.plugin_utils import (
    allowlist_selection,
    catalog,
    catalog_import,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))


def test_every_cloud_list_is_derived_from_the_table():
    assert catalog.CLOUDS == tuple(row.key for row in catalog.CLOUD_TABLE)
    assert catalog.GOV_CLOUDS == tuple(row.key for row in catalog.CLOUD_TABLE if row.government)
    assert catalog.ALWAYS_INCLUDED_REGIONS == {row.key: row.always_included_regions for row in catalog.CLOUD_TABLE}
    assert set(catalog.CLOUD_LABELS) == set(catalog.CLOUDS)


@pytest.mark.parametrize("row", catalog.CLOUD_TABLE, ids=lambda row: row.key)
def test_the_tables_geography_names_of_a_cloud_file_its_rows_under_that_cloud(row):
    for name in row.geography_names:
        assert catalog_import.GEOGRAPHIES[name] == row.home_region
        assert catalog_import._clouds_for(name.upper(), None) == (row.key,)


def test_us_gov_rows_belong_to_every_government_cloud():
    assert catalog_import._clouds_for("US Gov", None) == catalog.GOV_CLOUDS
    assert catalog_import._clouds_for("WW", None) == ("commercial",)


def test_an_unknown_geography_is_still_refused_with_the_valid_names():
    with pytest.raises(catalog.CatalogError) as err:
        columns = catalog_import._Columns(["URL", "Port", "Geography"], "urls", 2)
        catalog_import.rows_to_entries([(3, columns, ["x.microsoft.com", "443", "Mars"], str)], "urls", "standard")
    assert "unknown geography 'Mars'" in str(err.value)
    assert "Gcc High" in str(err.value)  # a geography name that comes from the gcc-high row


def test_the_title_prints_the_clouds_label_from_the_table():
    title = allowlist_selection.selection_title([{"cloud": "gcc-high", "regions": None}])
    label = catalog.CLOUD_LABELS["gcc-high"]
    assert label == "GCC High"
    assert label + ": all rows" in title


def test_no_plugin_file_but_the_catalog_spells_a_cloud_table():
    """Cloud keys may appear elsewhere only as generated choice lists, examples and prose, not as
    a mapping or tuple of clouds written out again (the duplication the table removed)."""
    keyed = re.compile(r"""["'](?:gcc-high|dod|gcc)["']\s*:""")        # a dict keyed by cloud
    tupled = re.compile(r"""\(\s*["']gcc["']\s*,\s*["']gcc-high["']""")  # a tuple of clouds
    offenders = []
    for folder, _dirs, files in os.walk(os.path.join(ROOT, "plugins")):
        for name in files:
            path = os.path.join(folder, name)
            if not name.endswith(".py") or path.endswith(os.path.join("plugin_utils", "catalog.py")):
                continue
            with open(path, encoding="utf-8") as handle:
                for number, line in enumerate(handle, 1):
                    if keyed.search(line) or tupled.search(line):
                        offenders.append("%s:%d: %s" % (os.path.relpath(path, ROOT), number, line.strip()))
    assert offenders == []
