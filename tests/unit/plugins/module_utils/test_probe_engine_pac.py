# -*- coding: utf-8 -*-
"""PAC results and PAC scripts (no network)."""

import pytest

from ansible_collections.purview.device_proxy.plugins.module_utils import probe_model
from ansible_collections.purview.device_proxy.plugins.module_utils import probe_pac
from ansible_collections.purview.device_proxy.plugins.module_utils import probe_targets
from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import ProxyEndpoint

HTTPS = probe_targets.make_target("https://winatp-gw-cus.microsoft.com/test")
BLOB = probe_targets.make_target({"url": "https://ussus1eastprod.blob.core.windows.net", "no_pinning": True, "expected_status": [400]})
PROXY = ProxyEndpoint("10.0.0.6", 8080)


@pytest.mark.parametrize("text, expected", [
    ("DIRECT", [None]),
    ("PROXY 10.0.0.6:8080; DIRECT", [PROXY, None]),
    ("proxy 10.0.0.6:8080", [PROXY]),
    ("HTTP 10.0.0.6:8080;", [PROXY]),
    ("", [None]),
    (None, [None]),
])
def test_parse_pac_result(text, expected):
    assert probe_pac.parse_pac_result(text) == expected


@pytest.mark.parametrize("text", ["SOCKS5 10.0.0.6:1080", "PROXY 10.0.0.6", "HTTPS a.example:443"])
def test_parse_pac_result_rejects_unsupported(text):
    with pytest.raises(probe_model.ProbeConfigError):
        probe_pac.parse_pac_result(text)


def test_pac_resolver_chooses_proxy_per_host():
    pytest.importorskip("pypac")
    script = """
    function FindProxyForURL(url, host) {
        if (dnsDomainIs(host, ".microsoft.com")) { return "PROXY 10.0.0.6:8080; DIRECT"; }
        return "DIRECT";
    }"""
    resolver = probe_pac.PacResolver(script, "test")
    assert resolver.hop_for(HTTPS) == probe_model.Hop(probe_model.PAC, PROXY, None, "PAC returned PROXY 10.0.0.6:8080")
    assert resolver.hop_for(BLOB).proxy is None


def test_pac_resolver_rejects_broken_script_up_front():
    pytest.importorskip("pypac")
    with pytest.raises(probe_model.ProbeConfigError) as info:
        probe_pac.PacResolver("function FindProxyForURL(url, host) { return ", "broken.pac")
    assert info.value.field == "pac_url"


def test_load_pac_reads_a_file(tmp_path):
    pytest.importorskip("pypac")
    path = tmp_path / "proxy.pac"
    path.write_text('function FindProxyForURL(url, host) { return "PROXY 10.0.0.6:8080"; }')
    assert probe_pac.load_pac(pac_file=str(path)).hop_for(HTTPS).proxy == PROXY
    with pytest.raises(probe_model.ProbeConfigError) as info:
        probe_pac.load_pac(pac_file=str(tmp_path / "missing.pac"))
    assert info.value.field == "pac_file"
