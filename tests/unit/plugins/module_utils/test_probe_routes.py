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
    # Only secrets are masked: the userinfo and the token; "v=1" and the fragment are ordinary.
    ("https://u:pw@pac.example/proxy.pac?token=abc&v=1#frag", "https://***@pac.example/proxy.pac?token=***&v=1#frag"),
    ("http://pac.example/proxy.pac", "http://pac.example/proxy.pac"),
    ("u:pw@h:3128", "***@h:3128"),
])
def test_redact_url(value, shown):
    assert probe_routes.redact_url(value) == shown


# --- only secrets are masked ---------------------------------------------------------------------
# Azure Storage SAS (learn.microsoft.com/rest/api/storageservices/create-service-sas,
# .../create-account-sas, .../create-user-delegation-sas): "sig" is the HMAC-SHA256 of the
# string-to-sign under the account key or the user delegation key; whoever holds it has the access
# the SAS grants, so it is masked. The other fields (sv, ss, srt, sp, se, st, sip, spr, sr, si, and
# the user delegation key's skoid, sktid, skt, ske, sks, skv) are the signed values themselves: they
# say what is granted, until when and by whose key, but carry no key material, and an expired or
# too narrow SAS is diagnosed from them. They are shown.
SAS = ("https://acct.blob.core.windows.net/c/b.bin?sv=2022-11-02&ss=b&srt=co&sp=r&se=2030-01-01T00%3A00%3A00Z"
       "&st=2024-01-01T00%3A00%3A00Z&spr=https&skoid=11111111-2222-3333-4444-555555555555"
       "&sktid=66666666-7777-8888-9999-000000000000&sig=AbCdEf%2BGhIjKl%3D")
SAS_SHOWN = SAS.replace("sig=AbCdEf%2BGhIjKl%3D", "sig=***")


@pytest.mark.parametrize("value, shown", [
    ("https://go.microsoft.com/fwlink/?linkid=2164233", "https://go.microsoft.com/fwlink/?linkid=2164233"),
    ("https://mdav.us.endpoint.security.microsoft.com/packages/?ostype=mac",
     "https://mdav.us.endpoint.security.microsoft.com/packages/?ostype=mac"),
    (SAS, SAS_SHOWN),
    ("https://login.example/cb?code=0.AXoA-secret&state=12345678", "https://login.example/cb?code=***&state=12345678"),
    ("https://idp.example/t?client_id=abc12345&client_secret=s3cr3t-value&grant_type=x",
     "https://idp.example/t?client_id=abc12345&client_secret=***&grant_type=x"),
    ("https://api.example/x?Access_Token=eyJabc.def&PASSWORD=hunter22&apikey=AIzaXYZ123",
     "https://api.example/x?Access_Token=***&PASSWORD=***&apikey=***"),
    # AWS SigV4 and Google V4 presigned URLs: the signature, the credential scope and session token.
    ("https://b.s3.example/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20240101"
     "&X-Amz-Security-Token=FwoGZXIvYXdzEXAMPLE&X-Amz-Signature=abcdef0123456789",
     "https://b.s3.example/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=***"
     "&X-Amz-Security-Token=***&X-Amz-Signature=***"),
    ("https://s.example/o?X-Goog-Signature=0a1b2c3d4e5f&X-Goog-Date=20240101T000000Z",
     "https://s.example/o?X-Goog-Signature=***&X-Goog-Date=20240101T000000Z"),
    ("https://gw.example/api?subscription-key=0123456789abcdef&page=2", "https://gw.example/api?subscription-key=***&page=2"),
    # An OAuth implicit-flow answer carries its token in the fragment.
    ("https://app.example/#access_token=eyJhbGciOi&token_type=Bearer", "https://app.example/#access_token=***&token_type=Bearer"),
])
def test_redact_url_masks_only_secrets(value, shown):
    assert probe_routes.redact_url(value) == shown


def test_url_secrets_lists_only_secret_values():
    assert probe_routes.url_secrets("https://go.microsoft.com/fwlink/?linkid=2164233") == []
    assert probe_routes.url_secrets(SAS) == ["AbCdEf%2BGhIjKl%3D", "AbCdEf+GhIjKl="]
    assert probe_routes.url_secrets("https://pac.example/p.pac?token=Abcdef123&linkid=2164233") == ["Abcdef123"]
