# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Import of Microsoft's downloadable tables (Learn Markdown source, xlsx) into the catalog."""

import os

import openpyxl
import pytest

from ansible_collections.purview.device_proxy.plugins.plugin_utils.catalog import (
    SHIPPED_CATALOG,
    CatalogError,
    load_catalog,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.catalog_import import load_catalog_file

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "catalog")
MARKDOWN = os.path.join(FIXTURES, "standard-commercial-excerpt.md")

HEADER = ["Service", "Geography", "Category", "Port", "Endpoint/URL", "Endpoint/URL Description",
          "Required or Optional", "Windows 10, 11; Server 2022, 2019, 2016 (Unified Agent)", "Windows 7, 8.1",
          "Windows Server 2008 R2, 2012 R2, 2016 (MMA Based)", "Mac", "Linux", "Comments"]
MDE = "Microsoft Defender for Endpoint"


def write_xlsx(path, rows, header=tuple(HEADER), title_rows=1):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "URLs"
    for _row in range(title_rows):
        sheet.append(["Microsoft Defender for Endpoint URL list"])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return str(path)


def xlsx_row(geo, port, url, description, required="Required", win="Yes", legacy="", mac="Yes", linux="Yes"):
    return [MDE, geo, "Test", port, url, description, required, win, legacy, "", mac, linux, ""]


# --- Markdown -----------------------------------------------------------------------------------

def test_markdown_table_replaces_the_standard_commercial_list():
    shipped = load_catalog()
    imported = load_catalog_file(MARKDOWN)
    assert imported.date == "2026-05-20"  # the page's ms.date
    assert "standard-commercial-excerpt.md" in imported.source
    selection = imported.select("commercial", ["us"], "standard", "windows")
    hosts = {e.host for e in selection}
    assert hosts == {"crl.microsoft.com", "www.microsoft.com", "events.data.microsoft.com", "*.wns.windows.com",
                     "winatp-gw-cus.microsoft.com", "winatp-gw-eus.microsoft.com",
                     "us-v20.events.data.microsoft.com", "automatedirstrprdcus.blob.core.windows.net",
                     "ussus1eastprod.blob.core.windows.net", "wsus1eastprod.blob.core.windows.net"}
    # a host in no Microsoft list is dropped and recorded
    assert "winatp-gw-wus.microsoft.com" not in {e.host for e in imported.entries}
    assert any(x["url"] == "winatp-gw-wus.microsoft.com" for x in imported.excluded)
    # other clouds and the streamlined list are untouched
    assert imported.select("gcc") == shipped.select("gcc")
    assert imported.select("commercial", ["us"], "streamlined") == shipped.select("commercial", ["us"], "streamlined")


def test_markdown_columns_are_understood():
    imported = load_catalog_file(MARKDOWN)
    entries = {e.url: e for e in imported.entries if e.list_name == "standard" and e.cloud == "commercial"}
    pki = entries["www.microsoft.com/pkiops/*"]  # escaped \* in the Markdown source
    assert (pki.port, pki.scheme, pki.path) == (80, "http", "/pkiops/*")
    assert entries["*.wns.windows.com"].required is False
    assert entries["winatp-gw-cus.microsoft.com"].function == "command-and-control"
    assert entries["winatp-gw-cus.microsoft.com"].os == ("windows", "windows-legacy", "macos", "linux")
    assert entries["wsus1eastprod.blob.core.windows.net"].os == ("windows",)
    assert entries["*.blob.core.windows.net"].os == ("windows-legacy",)
    assert entries["winatp-gw-weu.microsoft.com"].region == "eu"


def test_probes_follow_the_imported_list():
    imported = load_catalog_file(MARKDOWN)
    urls = {p["url"] for p in imported.probe_urls("commercial", ["us"])}
    assert "https://winatp-gw-cus.microsoft.com/commands/test" in urls
    # winatp-gw-cus3 is not in the imported excerpt, so it is no longer probed
    assert "https://winatp-gw-cus3.microsoft.com/commands/test" not in urls


def test_streamlined_model_is_taken_from_the_title(tmp_path):
    text = open(MARKDOWN, encoding="utf-8").read().replace("Standard connectivity", "Streamlined connectivity")
    path = tmp_path / "copy.md"
    path.write_text(text, encoding="utf-8")
    imported = load_catalog_file(str(path))
    assert {e.host for e in imported.select("commercial", ["eu"], "streamlined")} >= {"winatp-gw-weu.microsoft.com"}
    assert imported.select("commercial", ["eu"], "standard") == load_catalog().select("commercial", ["eu"], "standard")


def _bad_markdown(tmp_path, old, new):
    text = open(MARKDOWN, encoding="utf-8").read()
    assert old in text
    path = tmp_path / "bad.md"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("old,new,rule,row,column", [
    ("|WW|CRL|80|crl.microsoft.com|", "|WW|CRL|eighty|crl.microsoft.com|", "port", 14, "4 (Port)"),
    ("|US|Microsoft Defender for Endpoint US|443|winatp-gw-eus.microsoft.com|",
     "|Mars|Microsoft Defender for Endpoint US|443|winatp-gw-eus.microsoft.com|", "geography", 20, "2 (Geography)"),
    ("|443|us-v20.events.data.microsoft.com|", "|443|us v20 events|", "host", 21, "5 (Endpoint/URL)"),
    ("|443|us-v20.events.data.microsoft.com|", "|443|ftp://us-v20.events.data.microsoft.com|", "scheme", 21, "5 (Endpoint/URL)"),
    ("|EDR Cyber Data|Required|", "|EDR Cyber Data|Maybe|", "required", 21, "7 (Required or Optional)"),
    ("|EU|Microsoft Defender for Endpoint EU|443|winatp-gw-weu.microsoft.com|Command and Control|",
     "|EU|Microsoft Defender for Endpoint EU|443|winatp-gw-weu.microsoft.com|Command | Control|", "cells", 25, 14),
])
def test_malformed_markdown_is_rejected_with_row_and_column(tmp_path, old, new, rule, row, column):
    path = _bad_markdown(tmp_path, old, new)
    with pytest.raises(CatalogError) as caught:
        load_catalog_file(path)
    assert caught.value.rule == rule
    assert caught.value.row == row
    if column is not None:
        assert caught.value.column == column
    assert ("row %d" % row) in str(caught.value) and path in str(caught.value)


def test_markdown_without_a_url_table_is_rejected(tmp_path):
    path = tmp_path / "none.md"
    path.write_text("# Nothing here\n\n|a|b|\n|-|-|\n|1|2|\n", encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        load_catalog_file(str(path))
    assert caught.value.rule == "no-table"


def test_a_rejected_file_leaves_the_shipped_catalog_in_use(tmp_path):
    with open(SHIPPED_CATALOG, "rb") as handle:
        before = handle.read()
    path = _bad_markdown(tmp_path, "|WW|CRL|80|crl.microsoft.com|", "|WW|CRL|x|crl.microsoft.com|")
    with pytest.raises(CatalogError):
        load_catalog_file(path)
    with open(SHIPPED_CATALOG, "rb") as handle:
        assert handle.read() == before
    assert load_catalog().to_json_text() == before.decode("utf-8")


# --- xlsx ---------------------------------------------------------------------------------------

def test_xlsx_download_is_imported(tmp_path):
    path = write_xlsx(tmp_path / "mde-urls-commercial.xlsx", [
        xlsx_row("WW", 80, "crl.microsoft.com", "Certificate Revocation Lists"),
        xlsx_row("WW", 443, "*.wns.windows.com", "Push notifications", required="Optional", mac="", linux=""),
        xlsx_row("UK", 443, "winatp-gw-uks.microsoft.com", "Command and Control", legacy="Yes"),
        xlsx_row("UK", 443, "automatedirstrprduks.blob.core.windows.net", "AutoIR Sample Storage"),
        [None] * len(HEADER),
        xlsx_row("UK", "443", "uk-v20.events.data.microsoft.com", "EDR Cyber Data"),
    ])
    imported = load_catalog_file(path)
    selected = {e.host: e for e in imported.select("commercial", ["uk"], "standard", "windows")}
    assert set(selected) == {"crl.microsoft.com", "*.wns.windows.com", "winatp-gw-uks.microsoft.com",
                             "automatedirstrprduks.blob.core.windows.net", "uk-v20.events.data.microsoft.com"}
    assert selected["winatp-gw-uks.microsoft.com"].function == "command-and-control"
    assert selected["*.wns.windows.com"].required is False
    assert selected["crl.microsoft.com"].scheme == "http"
    legacy = {e.host for e in imported.select("commercial", ["uk"], "standard", "windows-legacy")}
    # The legacy column says Yes for the gateway only; the CRL row applies to every Windows device (build rule).
    assert legacy == {"winatp-gw-uks.microsoft.com", "crl.microsoft.com"}
    assert len(imported.date) == 10


def test_xlsx_gov_geography_applies_to_every_gov_cloud(tmp_path):
    path = write_xlsx(tmp_path / "mde-urls-gov.xlsx", [
        xlsx_row("US Gov", 443, "winatp-gw-usgt.microsoft.com", "Command and Control"),
        xlsx_row("GCC", 443, "winatp-gw-usmt.microsoft.com", "Command and Control"),
    ])
    imported = load_catalog_file(path)
    assert {e.host for e in imported.select("gcc")} == {"winatp-gw-usgt.microsoft.com", "winatp-gw-usmt.microsoft.com"}
    assert {e.host for e in imported.select("dod")} == {"winatp-gw-usgt.microsoft.com"}
    assert imported.select("commercial", ["us"]) == load_catalog().select("commercial", ["us"])


@pytest.mark.parametrize("row,rule,column", [
    (xlsx_row("UK", 99999, "winatp-gw-uks.microsoft.com", "Command and Control"), "port", "D (Port, sheet URLs)"),
    (xlsx_row("UK", 443, "winatp gw uks", "Command and Control"), "host", "E (Endpoint/URL, sheet URLs)"),
    (xlsx_row("Atlantis", 443, "winatp-gw-uks.microsoft.com", "Command and Control"), "geography",
     "B (Geography, sheet URLs)"),
    (xlsx_row("UK", 443, None, "Command and Control"), "url", "E (Endpoint/URL, sheet URLs)"),
])
def test_malformed_xlsx_is_rejected_with_row_and_column(tmp_path, row, rule, column):
    good = xlsx_row("WW", 80, "crl.microsoft.com", "Certificate Revocation Lists")
    path = write_xlsx(tmp_path / "bad.xlsx", [good, row], title_rows=2)
    with pytest.raises(CatalogError) as caught:
        load_catalog_file(path)
    assert caught.value.rule == rule
    assert caught.value.row == 5  # two title rows, the header, one good row
    assert caught.value.column == column


def test_xlsx_without_url_columns_is_rejected(tmp_path):
    path = write_xlsx(tmp_path / "other.xlsx", [["a", "b"]], header=["Name", "Value"])
    with pytest.raises(CatalogError) as caught:
        load_catalog_file(path)
    assert caught.value.rule == "no-table"


def test_damaged_xlsx_is_rejected(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(CatalogError) as caught:
        load_catalog_file(str(path))
    assert caught.value.rule == "xlsx"


# --- other files --------------------------------------------------------------------------------

def test_catalog_json_round_trips(tmp_path):
    path = tmp_path / "catalog.json"
    path.write_text(load_catalog().to_json_text(), encoding="utf-8")
    assert load_catalog_file(str(path)).to_json_text() == load_catalog().to_json_text()


def test_broken_json_names_line_and_column(tmp_path):
    path = tmp_path / "catalog.json"
    path.write_text('{\n "format": 1,\n "entries": [,]\n}\n', encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        load_catalog_file(str(path))
    assert (caught.value.rule, caught.value.row, caught.value.column) == ("json", 3, 14)


@pytest.mark.parametrize("name,rule", [("list.csv", "file-type"), ("missing.md", "missing")])
def test_unsupported_or_missing_files_are_rejected(tmp_path, name, rule):
    path = tmp_path / name
    if name.endswith(".csv"):
        path.write_text("a,b\n", encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        load_catalog_file(str(path))
    assert caught.value.rule == rule


def test_catalog_does_not_import_the_importer():
    """catalog_import builds on catalog; the reverse import would make a cycle."""
    import ast

    from ansible_collections.purview.device_proxy.plugins.plugin_utils import catalog

    with open(catalog.__file__, encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert not any(name.endswith("catalog_import") for name in imported)
