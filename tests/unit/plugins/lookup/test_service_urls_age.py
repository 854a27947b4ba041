# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The catalog's age: the lookup warns when the catalog was last compared with Microsoft's pages
more than catalog_max_age_days ago (default 90), and the documented comparison date is the
catalog's."""

from __future__ import annotations

import datetime
import os
import re

import pytest
import yaml
from ansible.errors import AnsibleLookupError
from ansible.plugins.loader import lookup_loader

from ansible_collections.purview.device_proxy.plugins.lookup import service_urls
from ansible_collections.purview.device_proxy.plugins.plugin_utils.catalog import Catalog, load_catalog, staleness_warning

NAME = "purview.device_proxy.service_urls"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))


@pytest.fixture
def lookup(monkeypatch):
    lookup_loader._load_config_defs(NAME, service_urls, service_urls.__file__)
    plugin = service_urls.LookupModule()
    plugin._load_name = NAME
    warnings = []
    monkeypatch.setattr(service_urls.display, "warning", warnings.append)
    plugin.warnings = warnings
    return plugin


def aged(compared):
    shipped = load_catalog()
    return Catalog(shipped.entries, shipped.source, shipped.date, shipped.excluded, shipped.origin, compared=compared)


def days_ago(days):
    return (datetime.date.today() - datetime.timedelta(days=days)).isoformat()


def test_an_old_comparison_warns_and_says_how_to_refresh(lookup, monkeypatch):
    monkeypatch.setattr(service_urls, "load_catalog", lambda: aged(days_ago(91)))
    assert lookup.run([], variables={})
    assert len(lookup.warnings) == 1
    assert "last compared with Microsoft's pages on %s, 91 days ago" % days_ago(91) in lookup.warnings[0]
    assert "make catalog-refresh" in lookup.warnings[0]


def test_a_recent_comparison_is_quiet(lookup, monkeypatch):
    monkeypatch.setattr(service_urls, "load_catalog", lambda: aged(days_ago(90)))
    assert lookup.run([], variables={})
    assert lookup.warnings == []


def test_the_age_is_configurable_by_option_variable_and_environment(lookup, monkeypatch):
    monkeypatch.setattr(service_urls, "load_catalog", lambda: aged(days_ago(40)))
    lookup.run([], variables={}, catalog_max_age_days=30)
    assert len(lookup.warnings) == 1 and "more than catalog_max_age_days=30" in lookup.warnings[0]
    lookup.run([], variables={"purview_device_proxy_catalog_max_age_days": 60})
    assert len(lookup.warnings) == 1
    monkeypatch.setenv("PURVIEW_DEVICE_PROXY_CATALOG_MAX_AGE_DAYS", "10")
    lookup.run([], variables={})
    assert len(lookup.warnings) == 2
    lookup.run([], variables={}, catalog_max_age_days=0)  # 0: no check
    assert len(lookup.warnings) == 2


def test_no_recorded_comparison_warns(lookup, monkeypatch):
    monkeypatch.setattr(service_urls, "load_catalog", lambda: aged(""))
    lookup.run([], variables={})
    assert lookup.warnings and "records no comparison" in lookup.warnings[0]


def test_a_negative_age_is_refused(lookup):
    with pytest.raises(AnsibleLookupError, match="catalog_max_age_days: must be a whole number of days"):
        lookup.run([], variables={}, catalog_max_age_days=-1)


def test_staleness_is_decided_on_the_recorded_date():
    catalog = aged("2026-01-01")
    assert staleness_warning(catalog, 90, today=datetime.date(2026, 3, 31)) == ""   # 89 days
    assert staleness_warning(catalog, 90, today=datetime.date(2026, 4, 2))          # 91 days


def test_the_documented_comparison_date_is_the_catalogs():
    compared = load_catalog().compared
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", compared)
    option = yaml.safe_load(service_urls.DOCUMENTATION)["options"]["catalog_max_age_days"]
    assert "last compared on %s " % compared in " ".join(option["description"])
    with open(os.path.join(ROOT, "docs", "service-url-catalog.md"), encoding="utf-8") as handle:
        text = handle.read()
    assert "last compared with Microsoft's pages on %s" % compared in text
