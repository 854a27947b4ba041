# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""catalog_file import of Learn pages as Microsoft publishes them: the Markdown source
(``ms.date: MM/DD/YYYY``) and the rendered page (``ms.date`` as an ISO date or timestamp), and the
consolidated streamlined domain named by its real function.

The rows are excerpts of the streamlined commercial page
(https://learn.microsoft.com/en-us/defender-endpoint/streamlined-device-connectivity-urls-commercial,
rendered copy with ms.date 2026-09-03T00:00:00.0000000Z)."""

from __future__ import annotations

import os

import pytest

from ansible_collections.purview.device_proxy.plugins.plugin_utils.catalog_import import load_catalog_file

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "catalog")
with open(os.path.join(FIXTURES, "streamlined-commercial-rows.md"), encoding="utf-8") as _handle:
    TABLE = _handle.read()


def page(tmp_path, date_line, name="streamlined-device-connectivity-urls-commercial.md"):
    path = tmp_path / name
    path.write_text("---\ntitle: Microsoft Defender for Endpoint streamlined connectivity URLs - commercial\n%s\n---\n%s"
                    % (date_line, TABLE), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("date_line", [
    "ms.date: 09/03/2026",                          # Markdown source in MicrosoftDocs/defender-docs
    "ms.date: 2026-09-03",                          # ISO date
    "ms.date: 2026-09-03T00:00:00.0000000Z",        # rendered Learn page
])
def test_the_page_date_is_read_in_every_published_form(tmp_path, date_line):
    assert load_catalog_file(page(tmp_path, date_line)).date == "2026-09-03"


@pytest.mark.parametrize("date_line", ["ms.date: 2026-13-03", "ms.date: 02/30/2026"])
def test_an_impossible_date_is_not_taken_as_the_page_date(tmp_path, date_line):
    assert load_catalog_file(page(tmp_path, date_line)).date != "2026-09-03"


def test_the_consolidated_domain_is_the_core_services_not_command_and_control(tmp_path):
    catalog = load_catalog_file(page(tmp_path, "ms.date: 2026-09-03"))
    (core,) = [e for e in catalog.select("commercial", ["worldwide"], "streamlined", "linux")
               if e.host == "*.endpoint.security.microsoft.com"]
    assert core.function == "core"
    (tool,) = [e for e in catalog.select("commercial", ["worldwide"], "streamlined", "linux")
               if e.host == "msdefender.download.prss.microsoft.com"]
    assert tool.function == "linux-packages"
    assert tool.os == ("linux",)


# Rows of the standard commercial page (rendered copy, ms.date 2026-07-03T00:00:00.0000000Z) and of
# the streamlined commercial page (ms.date 2026-09-03): the macOS product-update row names the MAU
# ChannelURL instead of a host, and the rendered page runs code spans together.
with open(os.path.join(FIXTURES, "standard-commercial-rendered-rows.md"), encoding="utf-8") as _handle:
    STANDARD = _handle.read()


def test_the_channel_url_row_becomes_the_mau_host_for_macos(tmp_path):
    path = tmp_path / "standard-device-connectivity-urls-commercial.md"
    path.write_text(STANDARD, encoding="utf-8")
    catalog = load_catalog_file(str(path))
    mac = [e for e in catalog.select("commercial", ["worldwide"], "standard", "macos") if e.host == "officecdnmac.microsoft.com"]
    assert [(e.port, e.function, e.os) for e in mac] == [(443, "updates", ("macos",))]
    assert not [e for e in catalog.select("commercial", ["worldwide"], "standard", "windows") if e.host == "officecdnmac.microsoft.com"]
    paths = sorted(e.path for e in catalog.entries if e.cloud == "commercial" and e.list_name == "standard"
                   and e.host == "www.microsoft.com")
    assert paths == ["/pki/*", "/pkiops/*"]
