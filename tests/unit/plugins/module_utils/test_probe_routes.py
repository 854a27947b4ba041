# -*- coding: utf-8 -*-
"""Proxy URLs, credentials and the environment's proxy variables (no network)."""

from __future__ import annotations

import pytest

from ansible_collections.purview.device_proxy.plugins.module_utils import probe_model
from ansible_collections.purview.device_proxy.plugins.module_utils import probe_routes
from ansible_collections.purview.device_proxy.plugins.module_utils import probe_targets
from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import ProxyEndpoint

HTTPS = probe_targets.make_target("https://winatp-gw-cus.microsoft.com/test")
CTL = probe_targets.make_target("http://ctldl.windowsupdate.com/msdownload/update/v3/static/trustedr/en/disallowedcertstl.cab")


# --- proxies from text, environment and PAC ---------------------------------------------------

def test_split_proxy_url_keeps_credentials_out_of_the_endpoint():
    endpoint, credentials = probe_routes.split_proxy_url("http://us%40er:p%3Ass@proxy.corp.example:3128/", "https_proxy")
    assert endpoint == ProxyEndpoint("proxy.corp.example", 3128)
    assert (credentials.username, credentials.password) == ("us@er", "p:ss")
    assert "p:ss" not in repr(credentials)


def test_split_proxy_url_error_names_variable_and_hides_password():
    with pytest.raises(probe_model.ProbeConfigError) as info:
        probe_routes.split_proxy_url("https://user:hunter2@proxy.example:3128", "https_proxy")
    assert info.value.field == "https_proxy"
    assert info.value.rule == "unsupported-scheme"
    assert "hunter2" not in str(info.value)


def test_basic_credentials_header():
    assert probe_model.Credentials("Aladdin", "open sesame").header_value() == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="


@pytest.mark.parametrize("no_proxy, host, port, expected", [
    ("microsoft.com", "winatp-gw-cus.microsoft.com", 443, True),
    (".microsoft.com", "winatp-gw-cus.microsoft.com", 443, True),
    ("microsoft.com", "notmicrosoft.com", 443, False),
    ("*", "anything.example", 443, True),
    ("10.0.0.0/8", "10.1.2.3", 443, True),
    ("10.0.0.0/8", "11.1.2.3", 443, False),
    ("a.example:8443", "a.example", 443, False),
    ("a.example:8443", "a.example", 8443, True),
    ("localhost, 127.0.0.1", "127.0.0.1", 80, True),
    ("", "a.example", 443, False),
])
def test_no_proxy_matching(no_proxy, host, port, expected):
    assert probe_routes.no_proxy_matches(no_proxy, host, port) is expected


def test_environment_hop_prefers_lower_case_and_scheme_variable():
    environ = {"HTTPS_PROXY": "http://upper.example:1", "https_proxy": "http://lower.example:2",
               "http_proxy": "http://plain.example:3"}
    assert probe_routes.environment_hop(HTTPS, environ).proxy == ProxyEndpoint("lower.example", 2)
    assert probe_routes.environment_hop(CTL, environ).proxy == ProxyEndpoint("plain.example", 3)


def test_environment_hop_none_without_variables_and_direct_when_bypassed():
    assert probe_routes.environment_hop(HTTPS, {}) is None
    hop = probe_routes.environment_hop(HTTPS, {"https_proxy": "http://p.example:3128", "no_proxy": ".microsoft.com"})
    assert hop.route == probe_model.ENVIRONMENT and hop.proxy is None and "no_proxy" in hop.note


def test_environment_hop_without_variable_for_the_scheme_goes_direct():
    hop = probe_routes.environment_hop(HTTPS, {"http_proxy": "http://p.example:3128"})
    assert hop.proxy is None


def test_environment_credentials_are_carried_not_shown():
    hop = probe_routes.environment_hop(HTTPS, {"https_proxy": "http://u:secret@p.example:3128"})
    assert hop.credentials.password == "secret"
    job = probe_model.ProbeResult(HTTPS, hop, probe_model.Observation(status=200), probe_model.REACHABLE, "HTTP 200")
    assert "secret" not in repr(job.as_dict())
    assert job.as_dict()["proxy_authenticated"] is True


def test_validate_environment_fails_before_probing():
    with pytest.raises(probe_model.ProbeConfigError) as info:
        probe_routes.validate_environment({"http_proxy": "http://p.example"})
    assert info.value.field == "http_proxy"


@pytest.mark.parametrize("value, secrets", [
    ("http://u:p%40ss@h:3128", ["u:p%40ss", "p%40ss", "p@ss"]),
    ("u:pw@h:3128", ["u:pw", "pw"]),
    ("http://user@h:3128", ["user"]),
    ("http://h:3128", []),
    ("h:3128", []),
    (None, []),
])
def test_proxy_url_secrets_names_what_must_be_masked(value, secrets):
    assert probe_routes.proxy_url_secrets(value) == secrets


@pytest.mark.parametrize("value, secrets", [
    ("https://pac.example/proxy.pac?token=Abcdef123&v=1", ["Abcdef123"]),
    ("https://u:pw@pac.example/a@b", ["u:pw", "pw"]),  # an "@" in the path is not userinfo
    ("https://pac.example/x?sig=a%2Bb%3Dcc", ["a%2Bb%3Dcc", "a+b=cc"]),
    ("https://pac.example/proxy.pac", []),
])
def test_url_secrets_cover_userinfo_and_query_tokens(value, secrets):
    assert probe_routes.url_secrets(value) == secrets


@pytest.mark.parametrize("value, shown", [
    ("https://u:pw@pac.example/proxy.pac?token=abc&v=1#frag", "https://***@pac.example/proxy.pac?token=***&v=***#***"),
    ("http://pac.example/proxy.pac", "http://pac.example/proxy.pac"),
    ("u:pw@h:3128", "***@h:3128"),
])
def test_redact_url(value, shown):
    assert probe_routes.redact_url(value) == shown
