# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rows of the shipped catalog checked against Microsoft's pages, selected through the lookup as
users select them (cloud, model, OS, region). Each case cites the page and its ms.date:

STD-COM  https://learn.microsoft.com/en-us/defender-endpoint/standard-device-connectivity-urls-commercial (2026-07-03)
STD-GOV  https://learn.microsoft.com/en-us/defender-endpoint/standard-device-connectivity-urls-gov (2026-07-03)
STR-COM  https://learn.microsoft.com/en-us/defender-endpoint/streamlined-device-connectivity-urls-commercial (2026-09-03)
ENV      https://learn.microsoft.com/en-us/defender-endpoint/configure-environment (2026-09-21)
AV       https://learn.microsoft.com/en-us/defender-endpoint/configure-network-connections-microsoft-defender-antivirus (2026-07-02)
MAU      https://learn.microsoft.com/en-us/microsoft-365-apps/mac/mau-configure-organization-specific-updates
         (the ChannelURL the lists point to: https://officecdnmac.microsoft.com/pr/<channel>/MacAutoupdate/)
"""

from __future__ import annotations

import pytest
from ansible.plugins.loader import lookup_loader

from ansible_collections.purview.device_proxy.plugins.lookup import service_urls

NAME = "purview.device_proxy.service_urls"
GOV = ("gcc", "gcc-high", "dod")


@pytest.fixture(scope="module")
def lookup():
    lookup_loader._load_config_defs(NAME, service_urls, service_urls.__file__)
    plugin = service_urls.LookupModule()
    plugin._load_name = NAME
    return plugin


def entries(lookup, **selection):
    return lookup.run([], variables={}, output="entries", **selection)


def hosts(lookup, **selection):
    return {e["host"] for e in entries(lookup, **selection)}


def test_linux_deployment_tool_host_for_streamlined_linux(lookup):
    # STR-COM, "URLs used for updates": Linux deployment tool downloads, 443, Required, OS Linux.
    found = [e for e in entries(lookup, model="streamlined", os="linux") if e["host"] == "msdefender.download.prss.microsoft.com"]
    assert [(e["port"], e["required"], e["os"]) for e in found] == [(443, True, ["linux"])]
    assert "2026-09-03" in found[0]["source"]
    for os_name in ("windows", "windows-legacy", "macos"):
        assert "msdefender.download.prss.microsoft.com" not in hosts(lookup, model="streamlined", os=os_name)


def test_macos_product_updates_host_for_standard_macos(lookup):
    # STD-COM: "Mac", 443, ChannelURL (MAU), Required, Mac=Yes only.
    found = [e for e in entries(lookup, model="standard", os="macos") if e["host"] == "officecdnmac.microsoft.com"]
    assert [(e["port"], e["required"]) for e in found] == [(443, True)]
    assert "officecdnmac.microsoft.com" not in hosts(lookup, model="standard", os="linux")
    assert "officecdnmac.microsoft.com" not in hosts(lookup, model="standard", os="windows")


@pytest.mark.parametrize("cloud", GOV)
@pytest.mark.parametrize("os_name", ["macos", "linux"])
def test_gov_product_updates_host_for_macos_and_linux(lookup, cloud, os_name):
    # STD-GOV: "Common (Mac/Linux)", ChannelURL, Required, Mac=Yes, Linux=Yes.
    assert "officecdnmac.microsoft.com" in hosts(lookup, cloud=cloud, model="standard", os=os_name)


@pytest.mark.parametrize("cloud", GOV)
@pytest.mark.parametrize("os_name", ["windows", "windows-legacy", "macos", "linux"])
def test_gov_standard_includes_the_gov_consolidated_domain(lookup, cloud, os_name):
    # ENV: devices must reach the consolidated domain of their cloud even with standard connectivity.
    found = [e for e in entries(lookup, cloud=cloud, model="standard", os=os_name) if e["host"] == "*.endpoint.security.microsoft.us"]
    assert found and all(e["required"] and "2026-09-21" in e["source"] for e in found)


def test_mma_agent_service_host_for_windows_legacy(lookup):
    # ENV, "Configure proxy and firewall requirements for commercial MMA devices".
    assert "*.agentsvc.azure-automation.net" in hosts(lookup, model="standard", os="windows-legacy")
    assert "*.agentsvc.azure-automation.net" not in hosts(lookup, model="standard", os="windows")


@pytest.mark.parametrize("os_name", ["windows", "windows-legacy"])
def test_maps_alternate_host_for_standard_windows(lookup, os_name):
    # AV lists *.wdcp, *.wdcpalt and *.wd for MAPS; STD-COM lists only *.wdcp and *.wd. The
    # collection follows AV for this host (docs/service-url-catalog.md#conflicts).
    found = [e for e in entries(lookup, model="standard", os=os_name) if e["host"] == "*.wdcpalt.microsoft.com"]
    assert [(e["function"], e["port"]) for e in found] == [("maps", 443)]
    assert "*.wdcpalt.microsoft.com" not in hosts(lookup, model="standard", os="macos")


@pytest.mark.parametrize("cloud", GOV)
@pytest.mark.parametrize("os_name", ["macos", "linux"])
def test_gov_live_response_push_hosts_are_windows_only(lookup, cloud, os_name):
    # STD-GOV: the three WNS rows are marked for Windows 10/11 (unified agent) only.
    assert not {"*.wns.windows.com", "login.live.com"} & hosts(lookup, cloud=cloud, os=os_name)


@pytest.mark.parametrize("cloud", GOV)
def test_gov_live_response_push_hosts_need_a_bypass(lookup, cloud):
    # STD-GOV comments: "Required for Live Response Performance (Direct Connection or proxy bypass required)".
    wns = [e for e in entries(lookup, cloud=cloud, os="windows") if e["host"] == "*.wns.windows.com"]
    assert wns and all(e["function"] == "live-response-wns" for e in wns)
    assert all("Direct Connection or proxy bypass required" in e["notes"] for e in wns)


@pytest.mark.parametrize("cloud,host,os_names", [
    ("gcc", "ctldl.windowsupdate.com", {"windows", "windows-legacy"}),   # Windows column only (+ CRL rule)
    ("gcc", "unitedstates4.cp.wd.microsoft.us", {"windows"}),           # MAPS row: unified agent only
    ("gcc", "wsusg1virginiaff4.blob.core.usgovcloudapi.net", {"windows"}),
    ("gcc", "*.ods.opinsights.azure.us", {"windows-legacy"}),          # MMA rows
    ("dod", "winatp-gw-usgt.microsoft.com", {"windows", "windows-legacy", "macos", "linux"}),
    ("gcc-high", "unitedstates1.ss.wd.microsoft.us", {"windows", "macos", "linux"}),
])
def test_gov_rows_keep_the_per_os_columns(lookup, cloud, host, os_names):
    selected = {os_name for os_name in ("windows", "windows-legacy", "macos", "linux")
                if host in hosts(lookup, cloud=cloud, os=os_name)}
    assert selected == os_names


@pytest.mark.parametrize("region", ["us", "eu", "uk", "au"])
def test_onecollector_alternatives_are_windows_only(lookup, region):
    # STD-COM: the *.events.data.microsoft.com row (whose comment names the OneCollector
    # alternatives) is marked for Windows (unified agent and MMA-based servers) only.
    def onecollector(os_name):
        return {e["url"] for e in entries(lookup, regions=[region], os=os_name) if "/OneCollector/" in e["path"]}
    assert onecollector("windows")
    assert not onecollector("macos") and not onecollector("linux")
