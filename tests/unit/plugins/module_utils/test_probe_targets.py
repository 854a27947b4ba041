# -*- coding: utf-8 -*-
"""Probe targets from user input (no network)."""

from __future__ import annotations

import pytest

from ansible_collections.purview.device_proxy.plugins.module_utils import probe_model
from ansible_collections.purview.device_proxy.plugins.module_utils import probe_targets

HTTPS = probe_targets.make_target("https://winatp-gw-cus.microsoft.com/test")
CTL = probe_targets.make_target("http://ctldl.windowsupdate.com/msdownload/update/v3/static/trustedr/en/disallowedcertstl.cab")


# --- targets -----------------------------------------------------------------------------------

def test_target_from_plain_url_uses_default_port_and_path():
    assert (HTTPS.scheme, HTTPS.host, HTTPS.port, HTTPS.path) == ("https", "winatp-gw-cus.microsoft.com", 443, "/test")
    assert HTTPS.host_header == "winatp-gw-cus.microsoft.com"
    assert HTTPS.authority == "winatp-gw-cus.microsoft.com:443"
    assert CTL.port == 80


def test_target_from_catalog_probe_dict():
    target = probe_targets.make_target({"url": "https://go.microsoft.com/fwlink/?linkid=2120136", "channel": "updates",
                                        "expected_status": [200], "no_pinning": False, "method": "HEAD", "host": "ignored"})
    assert target.path == "/fwlink/?linkid=2120136"
    assert target.expected_status == (200,)
    assert target.method == "HEAD"
    assert target.channel == "updates"


def test_non_default_port_goes_into_host_header():
    target = probe_targets.make_target("https://svc.test:8443/x")
    assert target.host_header == "svc.test:8443"


@pytest.mark.parametrize("value, rule", [
    ("ftp://a.example/", "url-scheme"),
    ("https://*.wd.microsoft.com/", "url-host"),
    ("https://user:secret@a.example/", "url-credentials"),
    ("", "url-required"),
    ({"url": "https://a.example/", "method": "POST"}, "method"),
    ({"url": "https://a.example/", "expected_status": [999]}, "status"),
    ({"url": "https://a.example/", "expected_status": ["ok"]}, "status"),
    (42, "entry-type"),
])
def test_bad_targets_name_the_field_and_rule(value, rule):
    with pytest.raises(probe_model.ProbeConfigError) as info:
        probe_targets.make_target(value, "urls")
    assert info.value.rule == rule
    assert str(info.value).startswith("urls: ")
    assert "secret" not in str(info.value)


def test_make_targets_removes_duplicates_and_requires_one():
    assert len(probe_targets.make_targets(["https://a.example/", "https://a.example/", "http://b.example/"])) == 2
    with pytest.raises(probe_model.ProbeConfigError, match="at least one"):
        probe_targets.make_targets([])


# --- host names, paths and control characters ---------------------------------------------------

def test_international_host_names_are_sent_in_punycode():
    target = probe_targets.make_target("https://bücher.example/test")
    assert target.host == "xn--bcher-kva.example"
    assert target.host_header == "xn--bcher-kva.example"
    assert target.url == "https://bücher.example/test"  # reported as given


def test_paths_are_percent_encoded_and_existing_escapes_kept():
    target = probe_targets.make_target("https://a.example/pfad mit leer/ä%20x?q=ü&r=1")
    assert target.path == "/pfad%20mit%20leer/%C3%A4%20x?q=%C3%BC&r=1"
    target.path.encode("ascii")  # the request line is ASCII


@pytest.mark.parametrize("url", [
    "https://a.example/x\r\nX-Injected: 1",  # header injection; urlsplit would silently drop CR and LF
    "https://a.example/\tx",
    "https://a.exa\nmple/",
    "https://a.example/\x00",
    "https://a.example/\x1b[31m",
    "https://a.example/\x85",
    "https://a.example/\n",
])
def test_control_characters_are_input_errors(url):
    with pytest.raises(probe_model.ProbeConfigError) as info:
        probe_targets.make_target(url)
    assert (info.value.field, info.value.rule) == ("urls", "url-control-characters")


def test_errors_never_echo_credentials():
    for url in ("https://svc:Secr3tPw@a.example/", "ftp://svc:Secr3tPw@a.example/", "https://svc:Secr3tPw@a.example:x/",
                "https://svc:Secr3tPw@a.example/\r\n"):
        with pytest.raises(probe_model.ProbeConfigError) as info:
            probe_targets.make_target(url)
        assert "Secr3tPw" not in str(info.value)
