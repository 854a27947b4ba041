# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shipped service URL catalog: rebuild equality, selections counted against the CSV, probes."""

import csv
import hashlib
import json
import itertools
import os
import re

import pytest

from ansible_collections.purview.device_proxy.plugins.plugin_utils.catalog import (
    CLOUDS,
    MODELS,
    NOT_IN_MICROSOFT_LISTS,
    OS_NAMES,
    SHIPPED_CATALOG,
    CatalogError,
    host_matches,
    load_catalog,
    pattern_covers,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.catalog_import import (
    build_from_reference_csv,
)

# The source data the shipped catalog is built from (every row names its Microsoft page and the
# page's date); it lives once, beside the build script.
CSV_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "tools", "build", "catalog",
                        "mde-service-urls.csv")

COMPARISON_PATH = os.path.join(os.path.dirname(CSV_PATH), "comparison.json")
with open(COMPARISON_PATH, encoding="utf-8") as _handle:
    COMPARED = json.load(_handle)["compared"]

CATALOG = load_catalog()


def csv_rows():
    with open(CSV_PATH, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def listed_host(url):
    text = url.split("://", 1)[-1]
    return text.split("/", 1)[0].lower()


def union_over_os(cloud, regions, model):
    """Every entry some OS selects: the OS filter only splits, it never drops a row."""
    found = set()
    for os_name in OS_NAMES:
        found.update(CATALOG.select(cloud, regions, model, os_name))
    return found


# --- the shipped file ----------------------------------------------------------------------------

def test_shipped_catalog_equals_a_fresh_rebuild_from_the_csv():
    with open(SHIPPED_CATALOG, encoding="utf-8") as handle:
        shipped = handle.read()
    assert build_from_reference_csv(CSV_PATH, compared=COMPARED).to_json_text() == shipped, (
        "plugins/plugin_utils/service_url_catalog.json is stale: run tools/build/build_catalog.py")


def test_catalog_records_its_source_and_date():
    # newest page date named in the CSV's source column: the environment page of 2026-09-21
    assert CATALOG.date == "2026-09-21"
    assert CATALOG.compared == COMPARED
    assert "mde-service-urls.csv" in CATALOG.source
    assert CATALOG.origin.startswith("sha256:")


def test_the_csv_copy_is_the_one_the_catalog_was_built_from():
    with open(CSV_PATH, "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
    assert CATALOG.origin == "sha256:" + digest


def test_csv_row_counts_match_the_published_table():
    # FACTS.md 4.6 row count table, plus the rows added after comparing with the pages of
    # 2026-07-02..2026-09-21 (docs/service-url-catalog.md#changes): 3 commercial standard
    # (officecdnmac, *.agentsvc.azure-automation.net, *.wdcpalt), 1 streamlined
    # (msdefender.download.prss), 2 per US Government cloud (officecdnmac, *.endpoint.security.microsoft.us).
    rows = csv_rows()
    assert len(rows) == 643
    counts = {}
    for row in rows:
        list_name = row["category"].split(":", 1)[0]
        counts[(row["cloud"], list_name)] = counts.get((row["cloud"], list_name), 0) + 1
    assert counts[("commercial", "standard")] == 108 + 3
    assert counts[("commercial", "streamlined")] == 86 + 1
    assert counts[("gcc", "standard")] == 35 + 2
    assert counts[("gcc-high", "standard")] == 33 + 2
    assert counts[("dod", "standard")] == 35 + 2


# FACTS.md 4.6 "Row counts (computed from the CSV)": (cloud, region) -> rows per list
# (standard, streamlined, portal, mdav-page, probe); worldwide and the gov clouds with the rows added
# since (see test_csv_row_counts_match_the_published_table).
PUBLISHED_ROW_COUNTS = {
    ("commercial", "worldwide"): (42 + 3, 32 + 1, 18, 19, 17),
    ("commercial", "us"): (24, 22, 0, 12, 59),
    ("commercial", "eu"): (16, 14, 0, 4, 47),
    ("commercial", "uk"): (12, 10, 0, 4, 35),
    ("commercial", "au"): (12, 8, 0, 0, 18),
    ("commercial", "uae"): (2, 0, 0, 0, 0),
    ("commercial", "asm (undocumented)"): (0, 0, 0, 0, 2),
    ("commercial", "us (undocumented)"): (0, 0, 0, 0, 1),
    ("gcc", "us"): (35 + 2, 16, 8, 0, 8),
    ("gcc-high", "us"): (33 + 2, 16, 8, 0, 10),
    ("dod", "us"): (35 + 2, 16, 8, 0, 10),
}
LIST_COLUMNS = ("standard", "streamlined", "portal", "mdav-page", "probe")


def test_csv_rows_per_cloud_region_and_list_match_the_published_table():
    counts = {}
    for row in csv_rows():
        list_name = row["category"].split(":", 1)[0]
        key = (row["cloud"], row["region"])
        counts.setdefault(key, dict.fromkeys(LIST_COLUMNS, 0))[list_name] += 1
    assert {key: tuple(per_list[name] for name in LIST_COLUMNS) for key, per_list in counts.items()} == (
        PUBLISHED_ROW_COUNTS)


# --- selections counted against the CSV ----------------------------------------------------------

def _csv_count(rows, cloud, region, model):
    """Rows of one list/cloud/region in the CSV, minus hosts no Microsoft list carries any more,
    counting a "443;80" row once per port as the catalog does."""
    total = 0
    for row in rows:
        if row["cloud"] != cloud or row["region"] != region or row["category"].split(":")[0] != model:
            continue
        if listed_host(row["url"]) in NOT_IN_MICROSOFT_LISTS:
            continue
        total += len(row["port"].split(";"))
    return total


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("region", ["us", "eu", "uk", "au", "uae"])
def test_commercial_region_selection_adds_exactly_the_csv_rows_of_that_region(model, region):
    rows = csv_rows()
    base = union_over_os("commercial", [], model)
    with_region = union_over_os("commercial", [region], model)
    assert base <= with_region
    expected = _csv_count(rows, "commercial", region, model)
    assert len(with_region - base) == expected
    assert {e.region for e in with_region - base} == ({region} if expected else set())


@pytest.mark.parametrize("model", MODELS)
def test_commercial_worldwide_selection_counts_against_csv(model):
    rows = csv_rows()
    expected = _csv_count(rows, "commercial", "worldwide", model)
    assert len(union_over_os("commercial", [], model)) == expected
    # FACTS 4.6: 42 standard and 32 streamlined worldwide rows; the historical Office CDN row is
    # dropped; 3 standard and 1 streamlined rows added since.
    assert expected == {"standard": 41 + 3, "streamlined": 32 + 1}[model]


@pytest.mark.parametrize("cloud,standard,streamlined", [("gcc", 37, 16), ("gcc-high", 35, 16), ("dod", 37, 16)])
def test_gov_selection_counts_against_csv(cloud, standard, streamlined):
    rows = csv_rows()
    for model, published in (("standard", standard), ("streamlined", streamlined)):
        assert _csv_count(rows, cloud, "us", model) == published
        assert len(union_over_os(cloud, [], model)) == published  # "us" is always included for gov
        assert len(union_over_os(cloud, ["us"], model)) == published


def test_regions_accumulate_and_worldwide_is_always_included():
    us_eu = CATALOG.select("commercial", ["us", "eu"])
    assert {e.region for e in us_eu} == {"worldwide", "us", "eu"}
    assert set(CATALOG.select("commercial", ["us"])) | set(CATALOG.select("commercial", ["eu"])) == set(us_eu)


def test_streamlined_windows_uses_the_consolidated_host_and_no_legacy_gateways():
    hosts = {e.host for e in CATALOG.select("commercial", ["us"], "streamlined", "windows")}
    assert "*.endpoint.security.microsoft.com" in hosts
    assert "winatp-gw-cus.microsoft.com" not in hosts  # only MMA/down-level devices need it
    legacy = {e.host for e in CATALOG.select("commercial", ["us"], "streamlined", "windows-legacy")}
    assert "winatp-gw-cus.microsoft.com" in legacy


def test_os_filter_follows_the_lists_columns():
    linux = {e.host for e in CATALOG.select("commercial", ["us"], "standard", "linux")}
    windows = {e.host for e in CATALOG.select("commercial", ["us"], "standard", "windows")}
    assert "packages.microsoft.com" in linux and "packages.microsoft.com" not in windows
    assert "unitedstates.x.cp.wd.microsoft.com" in linux and "unitedstates.x.cp.wd.microsoft.com" not in windows
    # ws* storage accounts are Windows only (FACTS 4.2)
    assert "wsus1eastprod.blob.core.windows.net" in windows and "wsus1eastprod.blob.core.windows.net" not in linux
    # MMA rows are for down-level Windows only
    assert "*.ods.opinsights.azure.com" not in windows


def test_required_only_keeps_required_rows_and_drops_optional_ones():
    everything = CATALOG.select("commercial", ["us"])
    required = CATALOG.select("commercial", ["us"], required_only=True)
    assert required and all(e.required for e in required)
    assert set(required) == {e for e in everything if e.required}
    assert "*.wns.windows.com" in {e.host for e in everything} - {e.host for e in required}


def test_port_80_certificate_rows_are_http():
    crl = [e for e in CATALOG.select("commercial") if e.function == "crl"]
    assert crl and all(e.port == 80 and e.scheme == "http" for e in crl)
    pkiops = [e for e in crl if e.url == "www.microsoft.com/pkiops/*"]
    assert pkiops[0].host == "www.microsoft.com" and pkiops[0].path == "/pkiops/*"


def _certificate_urls(cloud, model, os_name):
    return sorted((e.url, e.port) for e in CATALOG.select(cloud, [], model, os_name) if e.function == "crl")


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("cloud", CLOUDS)
def test_every_windows_selection_has_the_certificate_revocation_and_trust_lists(cloud, model):
    """Every Windows device validates the service certificates: a legacy (MMA, Windows 7/8.1) device without
    the CRL/CTL rows would pass an allowlist review and then fail the TLS revocation check."""
    legacy = _certificate_urls(cloud, model, "windows-legacy")
    assert legacy, (cloud, model)
    assert legacy == _certificate_urls(cloud, model, "windows")
    assert all(port == 80 for _url, port in legacy)


def test_commercial_legacy_certificate_rows_say_why_they_apply():
    rows = [e for e in CATALOG.select("commercial", [], "standard", "windows-legacy") if e.function == "crl"]
    assert sorted(e.url for e in rows) == [
        "crl.microsoft.com", "ctldl.windowsupdate.com", "www.microsoft.com/pki/*", "www.microsoft.com/pkiops/*"]
    assert all("every Windows device validates the service certificates" in e.notes for e in rows)
    assert "every Windows device validates the service certificates" in CATALOG.source


@pytest.mark.parametrize("model,os_name,count", [
    # The published per-OS columns, plus the four CRL/CTL rows for legacy Windows in the standard list,
    # plus *.wdcpalt (both) and *.agentsvc.azure-automation.net (legacy) added since.
    ("standard", "windows", 35 + 1), ("standard", "windows-legacy", 27 + 2),
    ("streamlined", "windows", 24), ("streamlined", "windows-legacy", 27),
])
def test_commercial_worldwide_windows_selection_counts(model, os_name, count):
    assert len(CATALOG.select("commercial", [], model, os_name)) == count


def test_dual_port_row_becomes_one_entry_per_port():
    rows = [e for e in CATALOG.select("commercial", extra_lists=["mdav-page"]) if e.host == "go.microsoft.com"
            and e.list_name == "mdav-page"]
    assert sorted((e.port, e.scheme) for e in rows) == [(80, "http"), (443, "https")]


# --- hosts in no Microsoft list -----------------------------------------------------------------

def test_hosts_in_no_microsoft_list_are_never_selected_or_probed():
    for cloud, model, os_name in itertools.product(CLOUDS, MODELS, OS_NAMES):
        regions = [r for r in CATALOG.regions(cloud) if r != "worldwide"]
        hosts = {e.host for e in CATALOG.select(cloud, regions, model, os_name, extra_lists=["mdav-page", "portal"])}
        hosts |= {p["host"] for p in CATALOG.probe_urls(cloud, regions, model, os_name)}
        assert not hosts & NOT_IN_MICROSOFT_LISTS
        assert "graph.microsoft.com" not in hosts  # analyzer data only, in no Learn list
        assert not any(h.startswith("winatp-gw-asm") for h in hosts)


def test_excluded_rows_are_recorded_with_a_reason():
    urls = {item["url"] for item in CATALOG.excluded}
    assert "https://us5-v20.events.data.microsoft.com/ping" in urls
    assert "officecdn-microsoft-com.akamaized.net" in urls
    assert all(item["reason"] for item in CATALOG.excluded)


def test_undocumented_regions_are_not_valid_names():
    assert "asm (undocumented)" not in CATALOG.regions("commercial")
    assert CATALOG.regions("gcc") == ("worldwide", "us")


# --- probes -------------------------------------------------------------------------------------

def test_windows_probes_follow_the_analyzer():
    probes = CATALOG.probe_urls("commercial", ["us"], "standard", "windows")
    by_url = {p["url"]: p for p in probes}
    cnc = by_url["https://winatp-gw-cus.microsoft.com/commands/test"]
    assert cnc["channel"] == "command-and-control"
    assert cnc["expected_status"] == [200, 400, 404]
    assert cnc["no_pinning"] is False
    blob = by_url["https://automatedirstrprdcus.blob.core.windows.net"]
    assert blob["channel"] == "autoir-sample-storage" and blob["no_pinning"] is True
    assert by_url["https://ussus1eastprod.blob.core.windows.net"]["channel"] == "sample-submission-storage"
    assert by_url["https://us-v20.events.data.microsoft.com/ping"]["channel"] == "edr-cyber-data"
    ctl = by_url["http://ctldl.windowsupdate.com/msdownload/update/v3/static/trustedr/en/disallowedcertstl.cab"]
    assert ctl["port"] == 80 and ctl["no_pinning"] is True
    assert all(set(p) >= {"url", "channel", "expected_status", "no_pinning", "cloud", "region"} for p in probes)
    assert {p["region"] for p in probes} <= {"worldwide", "us"}


def test_every_probe_host_is_in_the_selection_for_the_same_os():
    for cloud, model, os_name in itertools.product(CLOUDS, MODELS, OS_NAMES):
        regions = [r for r in CATALOG.regions(cloud) if r != "worldwide"]
        selected = CATALOG.select(cloud, regions, model, os_name)
        for probe in CATALOG.probe_urls(cloud, regions, model, os_name):
            assert any(e.port == probe["port"] and host_matches(e.host, probe["host"]) for e in selected), probe


def test_xmde_probe_codes_come_from_the_csv_notes():
    expected = {}
    for row in csv_rows():
        if row["category"] == "probe:xmde-connectivitytest" and row["cloud"] == "commercial":
            code = int(row["notes"].split("expected HTTP ")[1][:3])
            expected[row["url"]] = code
    probes = CATALOG.probe_urls("commercial", ["eu"], "streamlined", "linux")
    assert probes
    for probe in probes:
        assert probe["expected_status"] == [expected[probe["url"]]]
    channels = {p["channel"] for p in probes}
    assert {"command-and-control", "autoir-sample-storage", "sample-submission-storage", "maps"} <= channels


def test_streamlined_windows_probes_target_the_consolidated_hosts():
    probes = CATALOG.probe_urls("commercial", ["uk"], "streamlined", "windows")
    hosts = {p["host"] for p in probes}
    assert "edr-uks.uk.endpoint.security.microsoft.com" in hosts
    assert "winatp-gw-uks.microsoft.com" not in hosts


def test_required_only_probes_are_required():
    probes = CATALOG.probe_urls("commercial", ["us"], required_only=True)
    assert probes and all(p["required"] for p in probes)
    assert "https://settings-win.data.microsoft.com/qos" not in {p["url"] for p in probes}


def test_macos_only_hosts_are_not_probed_from_windows():
    urls = {p["url"] for p in CATALOG.probe_urls("commercial", ["us"], "standard", "windows")}
    assert "https://unitedstates.x.cp.wd.microsoft.com/api/report" not in urls
    mac = {p["url"] for p in CATALOG.probe_urls("commercial", ["us"], "standard", "macos")}
    assert "https://unitedstates.x.cp.wd.microsoft.com/api/report" in mac


# --- bad names ----------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs,field_name,valid", [
    ({"cloud": "azure-china"}, "cloud", "commercial, gcc, gcc-high, dod"),
    ({"regions": ["us", "mars"]}, "regions", "worldwide, au, eu, uae, uk, us"),
    ({"cloud": "gcc", "regions": ["eu"]}, "regions", "worldwide, us"),
    ({"model": "fast"}, "model", "standard, streamlined"),
    ({"os": "bsd"}, "os", "windows, windows-legacy, macos, linux"),
    ({"extra_lists": ["everything"]}, "extra_lists", "mdav-page, portal"),
])
def test_unknown_names_fail_with_the_valid_ones(kwargs, field_name, valid):
    with pytest.raises(CatalogError) as caught:
        CATALOG.select(**kwargs)
    assert caught.value.field == field_name
    assert str(caught.value).endswith("valid: " + valid)
    with pytest.raises(CatalogError):
        CATALOG.probe_urls(**kwargs)


# --- wildcard semantics -------------------------------------------------------------------------

@pytest.mark.parametrize("pattern,host,matches", [
    ("*.wd.microsoft.com", "x.wd.microsoft.com", True),
    ("*.wd.microsoft.com", "a.b.wd.microsoft.com", True),
    ("*.wd.microsoft.com", "wd.microsoft.com", False),
    ("*.wd.microsoft.com", "evilwd.microsoft.com", False),
    ("*ecs.office.com", "ecs.office.com", True),
    ("*ecs.office.com", "fooecs.office.com", True),
    ("*ecs.office.com", "ecs.office.com.evil.example", False),
    ("crl.microsoft.com", "CRL.microsoft.com", True),
    ("crl.microsoft.com", "www.crl.microsoft.com", False),
])
def test_host_matches(pattern, host, matches):
    assert host_matches(pattern, host) is matches


@pytest.mark.parametrize("outer,inner,covers", [
    ("*.microsoft.com", "*.wd.microsoft.com", True),
    ("*.wd.microsoft.com", "*.microsoft.com", False),
    ("*.events.data.microsoft.com", "us-v20.events.data.microsoft.com", True),
    ("*.events.data.microsoft.com", "events.data.microsoft.com", False),
    ("www.microsoft.com", "www.microsoft.com", True),
    ("*.windowsupdate.com", "*.download.windowsupdate.com", True),
])
def test_pattern_covers(outer, inner, covers):
    assert pattern_covers(outer, inner) is covers


# --- provenance ----------------------------------------------------------------------------------

PAGE_AND_DATE = re.compile(r"^(https://learn\.microsoft\.com/en-us/\S+) \(ms\.date (\d{4}-\d{2}-\d{2})[;)]")


def test_every_list_entry_names_its_microsoft_page_and_the_page_date():
    undated = [(e.cloud, e.list_name, e.url) for e in CATALOG.entries if not e.is_probe and not PAGE_AND_DATE.match(e.source)]
    assert undated == []
    dates = {PAGE_AND_DATE.match(e.source).group(2) for e in CATALOG.entries if not e.is_probe}
    assert max(dates) == CATALOG.date
    assert all("2026-01-01" <= date <= CATALOG.compared for date in dates)


def test_the_comparison_record_names_the_page_dates_the_rows_cite():
    with open(COMPARISON_PATH, encoding="utf-8") as handle:
        pages = json.load(handle)["pages"]
    cited = {}
    for entry in CATALOG.entries:
        match = PAGE_AND_DATE.match(entry.source)
        if match:
            cited.setdefault(match.group(1), set()).add(match.group(2))
    for page, dates in cited.items():
        assert page in pages, page
        assert pages[page] == max(dates), page
