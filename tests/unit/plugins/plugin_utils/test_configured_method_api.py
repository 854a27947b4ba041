"""The configured method is decided from what WinHTTP's API reports, not from the registry bytes.

Source: WinHttpGetDefaultProxyConfiguration (Microsoft Learn, winhttp.h) is how WinHTTP itself
reads the default proxy that the sensor's WinHTTP session uses; the WinHttpSettings layout is
undocumented (docs/reference/device-settings.md), so the bytes are a fallback only.
"""

from __future__ import annotations

from ansible_collections.purview.device_proxy.plugins.module_utils.winhttp_settings import WinHttpSettings, encode_hex
from ansible_collections.purview.device_proxy.plugins.plugin_utils.configured_method import configured_method
from ansible_collections.purview.device_proxy.plugins.plugin_utils import connectivity_verdict as cv

DIRECT_HEX = encode_hex(WinHttpSettings.direct())
PROXY_HEX = encode_hex(WinHttpSettings.named_proxy("10.0.0.6:8080", "<local>"))


def api(access_type="named_proxy", proxy="10.0.0.9:3128", bypass="", error=None):
    return {"access_type": access_type, "proxy": proxy, "bypass": bypass, "error": error}


def test_api_proxy_wins_over_bytes_that_read_direct():
    configured = configured_method(None, DIRECT_HEX, api())
    assert configured["method"] == "default"
    assert configured["proxy"] == "10.0.0.9:3128"
    assert any("registry bytes" in note and "the API" in note for note in configured["notes"])


def test_api_direct_wins_over_bytes_that_name_a_proxy():
    configured = configured_method(None, PROXY_HEX, api("no_proxy", "", ""))
    assert configured["proxy"] is None
    assert configured["fallbacks"] == ["wpad", "disabled"]
    assert any("10.0.0.6:8080" in note for note in configured["notes"])


def test_agreeing_api_and_bytes_add_no_note_about_them():
    configured = configured_method(None, PROXY_HEX, api(proxy="10.0.0.6:8080", bypass="<local>"))
    assert configured["proxy"] == "10.0.0.6:8080"
    assert not any("registry bytes" in note for note in configured["notes"])


def test_unreadable_api_falls_back_to_the_bytes_and_says_so():
    configured = configured_method(None, PROXY_HEX, api(error="Win32Exception: access denied", proxy="", access_type=""))
    assert configured["proxy"] == "10.0.0.6:8080"
    assert any("could not be read" in note and "access denied" in note for note in configured["notes"])


def test_telemetry_proxy_server_still_decides_first():
    configured = configured_method("10.0.0.7:8080", DIRECT_HEX, api())
    assert configured["method"] == "named" and configured["proxy"] == "10.0.0.7:8080"


def test_the_verdict_reads_the_api_the_module_returns():
    raw = {"probes": [], "telemetry_proxy_server": None, "winhttp_settings": {"native": DIRECT_HEX, "wow64": None},
           "winhttp_api": api()}
    assert cv.host_verdict([], raw)["configured"]["proxy"] == "10.0.0.9:3128"
