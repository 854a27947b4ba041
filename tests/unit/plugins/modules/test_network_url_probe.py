# -*- coding: utf-8 -*-
"""network_url_probe module: validation before probing, routes, results shape, credentials never shown.

The wire is replaced by a fake ``perform_probe``; tests/integration/squid proves the transport.
"""

from __future__ import annotations

import json

import pytest

from ansible_collections.purview.device_proxy.plugins.module_utils import microsoft_tls_trust
from ansible_collections.purview.device_proxy.plugins.module_utils import probe_engine as engine
from ansible_collections.purview.device_proxy.plugins.modules import network_url_probe
from ansible_collections.purview.device_proxy.tests.unit.plugins.modules.module_runner import run_module as run_python_module


def run(args, capsys):
    return run_python_module(network_url_probe.main, args, capsys)


@pytest.fixture
def wire(monkeypatch):
    """Record probes; answer 200 directly, 407 from proxies unless credentials are offered."""
    calls = []

    def fake(target, hop, policy, timeout):
        calls.append((target, hop, policy, timeout))
        if hop.proxy is None:
            return engine.Observation(failure=engine.F_DNS)
        if hop.credentials is None:
            return engine.Observation(proxy_status=407, at=engine.AT_PROXY)
        return engine.Observation(status=200, issuer="O=Microsoft Corporation, CN=Service CA",
                                  issuer_names=(("O", "Microsoft Corporation"), ("CN", "Service CA")))

    monkeypatch.setattr(engine, "perform_probe", fake)
    for name in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    return calls


def test_direct_and_named_routes_with_summary_and_report(wire, capsys):
    result = run({"urls": ["https://a.example/test", {"url": "http://b.example/x", "channel": "crl"}],
                  "proxy": "http://10.0.0.6:8080/"}, capsys)
    assert result["_rc"] == 0
    assert result["changed"] is False
    assert [(r["route"], r["category"]) for r in result["results"]] == [
        ("direct", "dns_failure"), ("direct", "dns_failure"),
        ("named", "proxy_auth_required"), ("named", "proxy_auth_required")]
    assert result["results"][1]["channel"] == "crl"
    assert result["results"][2]["proxy"] == "10.0.0.6:8080"
    assert result["summary"]["anonymous"]["status"] == "not_met"
    assert result["skipped_routes"] == {
        "environment": "no https_proxy, http_proxy or all_proxy variable is set",
        "pac": "neither pac_url nor pac_file is given"}
    assert result["counts"] == {"direct": {"dns_failure": 2}, "named": {"proxy_auth_required": 2}}
    assert result["reachable_urls"] == 0 and result["url_count"] == 2
    assert result["verdict"].startswith("Nothing was reachable")
    assert "4 - Named proxy (10.0.0.6:8080): Failed (407)" in result["report"]
    assert "3 - Proxy disabled: Failed (dns_failure)" in result["report"]


def test_credentials_are_used_but_never_returned(wire, capsys):
    result = run({"urls": ["https://a.example/test"], "routes": ["named"], "proxy": "10.0.0.6:8080",
                  "proxy_username": "svc", "proxy_password": "Secr3t-Pa55"}, capsys)
    assert result["_rc"] == 0
    assert wire[0][1].credentials.password == "Secr3t-Pa55"
    assert "Secr3t-Pa55" not in json.dumps(result)
    assert result["results"][0]["proxy_authenticated"] is True
    assert result["summary"]["anonymous"]["status"] == "unknown"


def test_environment_route_reads_the_module_environment(wire, capsys, monkeypatch):
    monkeypatch.setenv("https_proxy", "http://user:EnvSecret@proxy.env.example:3128")
    result = run({"urls": ["https://a.example/test"], "routes": ["environment"]}, capsys)
    assert result["results"][0]["proxy"] == "proxy.env.example:3128"
    assert result["results"][0]["category"] == "reachable"
    assert "EnvSecret" not in json.dumps(result)
    assert "1 - Default proxy: Succeeded (200)" in result["report"]


def test_policy_and_settings_reach_the_engine(wire, capsys, tmp_path):
    trustme = pytest.importorskip("trustme")
    bundle = tmp_path / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(bundle))  # loaded before probing, so it must be a real CA
    run({"urls": ["https://a.example/test"], "routes": ["direct"], "ca_path": str(bundle),
         "expected_issuers": ["Microsoft"], "timeout": 2.5}, capsys)
    _target, _hop, policy, timeout = wire[0]
    assert policy == engine.TlsPolicy(ca_file=str(bundle), ca_dir=None, expected_issuers=("Microsoft",))
    assert 2.0 < timeout <= 2.5


@pytest.mark.parametrize("args, field, rule", [
    ({"urls": ["https://a.example/"], "proxy": "10.0.0.6"}, "proxy", None),
    ({"urls": ["https://a.example/"], "proxy": "https://10.0.0.6:8080"}, "proxy", "unsupported-scheme"),
    ({"urls": ["ftp://a.example/"]}, "urls", "url-scheme"),
    ({"urls": []}, "urls", "non-empty-list"),
    ({"urls": ["https://a.example/"], "timeout": 0}, "timeout", "positive"),
    ({"urls": ["https://a.example/"], "concurrency": 0}, "concurrency", "positive"),
    ({"urls": ["https://a.example/"], "proxy_password": "lonely-Secret"}, "proxy_password", "needs-username"),
    ({"urls": ["https://a.example/"], "ca_path": "/nonexistent/ca.pem"}, "ca_path", "exists"),
    ({"urls": ["https://a.example/"], "routes": ["pac"], "pac_file": "/nonexistent.pac"}, "pac_file", "readable"),
])
def test_bad_input_fails_before_any_probe(wire, capsys, args, field, rule):
    result = run(args, capsys)
    assert result["_rc"] == 1 and result["failed"] is True
    assert result["field"] == field
    assert result["msg"].startswith(field + ": ")
    if rule:
        assert result["rule"] == rule
    assert wire == []


def test_bad_environment_proxy_fails_before_any_probe(wire, capsys, monkeypatch):
    monkeypatch.setenv("http_proxy", "socks5://user:EnvSecret@p.example:1080")
    result = run({"urls": ["https://a.example/"], "routes": ["environment"]}, capsys)
    assert result["_rc"] == 1 and result["field"] == "http_proxy"
    assert "EnvSecret" not in json.dumps(result)
    assert wire == []


def test_require_fails_with_results_when_unmet(wire, capsys):
    result = run({"urls": ["https://a.example/"], "routes": ["named"], "proxy": "10.0.0.6:8080",
                  "require": ["anonymous", "reachable"]}, capsys)
    assert result["_rc"] == 1
    assert "anonymous: not_met" in result["msg"]
    assert "reachable: only 0 of 1" in result["msg"]
    assert result["results"][0]["category"] == "proxy_auth_required"


def test_require_passes_when_met(wire, capsys):
    result = run({"urls": ["https://a.example/"], "routes": ["named"], "proxy": "10.0.0.6:8080",
                  "proxy_username": "u", "proxy_password": "p", "require": ["allowed", "not_inspected", "reachable"]}, capsys)
    assert result["_rc"] == 0


def test_pac_file_route(wire, capsys, tmp_path):
    pytest.importorskip("pypac")
    pac = tmp_path / "proxy.pac"
    pac.write_text('function FindProxyForURL(url, host) { return host == "a.example" ? "PROXY 10.0.0.7:3128" : "DIRECT"; }')
    result = run({"urls": ["https://a.example/", "https://b.example/"], "routes": ["pac"], "pac_file": str(pac)}, capsys)
    assert [(r["route"], r["proxy"]) for r in result["results"]] == [("pac", "10.0.0.7:3128"), ("pac", None)]
    assert "2 - Proxy auto discovery (WPAD): Failed (407)" in result["report"]


def test_check_mode_runs_the_probes(wire, capsys):
    result = run({"urls": ["https://a.example/"], "routes": ["direct"], "_ansible_check_mode": True}, capsys)
    assert result["_rc"] == 0 and len(wire) == 1


@pytest.mark.parametrize("proxy", ["http://svc:Opt1onSecret@10.0.0.6:8080", "svc:Opt1onSecret@10.0.0.6:8080",
                                   "http://svc:Opt1on%53ecret@10.0.0.6:8080"])
def test_credentials_written_into_the_proxy_option_are_refused_and_never_echoed(wire, capsys, proxy):
    result = run({"urls": ["https://a.example/"], "proxy": proxy}, capsys)
    assert result["_rc"] == 1 and result["field"] == "proxy" and result["rule"] == "no-credentials"
    text = json.dumps(result)
    assert "Opt1onSecret" not in text and "Opt1on%53ecret" not in text
    assert "10.0.0.6:8080" in result["invocation"]["module_args"]["proxy"]
    assert wire == []


@pytest.mark.parametrize("args, field, rule", [
    ({"timeout": "nan"}, "timeout", "finite"),
    ({"deadline": "inf"}, "deadline", "finite"),
    ({"timeout": 301}, "timeout", "range"),
    ({"deadline": 3601}, "deadline", "range"),
    ({"concurrency": 257}, "concurrency", "range"),
])
def test_run_settings_must_be_finite_and_within_the_documented_ranges(wire, capsys, args, field, rule):
    result = run(dict({"urls": ["https://a.example/"], "routes": ["direct"]}, **args), capsys)
    assert result["_rc"] == 1 and result["field"] == field and result["rule"] == rule
    assert result["msg"].startswith(field + ": ")
    assert wire == []


@pytest.fixture
def inspecting_wire(monkeypatch):
    """A proxy whose inspection CA this host trusts: every handshake verifies, the issuer is the proxy's."""
    calls = []

    def fake(target, hop, policy, timeout):
        calls.append(policy)
        return engine.Observation(status=200, issuer="O=Microsoft Corporation Inspection, CN=Contoso Proxy CA",
                                  issuer_names=(("O", "Microsoft Corporation Inspection"), ("CN", "Contoso Proxy CA")))

    monkeypatch.setattr(engine, "perform_probe", fake)
    return calls


def test_trusted_inspection_ca_is_caught_without_expected_issuers_from_the_user(inspecting_wire, capsys):
    result = run({"urls": ["https://winatp-gw-cus.microsoft.com/test"], "routes": ["named"], "proxy": "10.0.0.6:8080",
                  "require": ["not_inspected"]}, capsys)
    assert result["_rc"] == 1
    assert result["results"][0]["category"] == "tls_intercepted"
    assert result["results"][0]["issuer_expected"] is False
    assert result["summary"]["not_inspected"]["status"] == "not_met"
    # The default is Microsoft's issuer organisations and root fingerprints, from the cited data.
    policy = inspecting_wire[0]
    assert "Microsoft Corporation" in policy.expected_issuers and "DigiCert Inc" in policy.expected_issuers
    assert set(microsoft_tls_trust.root_thumbprints()) <= set(policy.expected_issuers)


def test_no_expected_issuers_leaves_not_inspected_unknown_never_met(inspecting_wire, capsys):
    result = run({"urls": ["https://winatp-gw-cus.microsoft.com/test"], "routes": ["named"], "proxy": "10.0.0.6:8080",
                  "expected_issuers": []}, capsys)
    assert result["_rc"] == 0
    assert result["results"][0]["category"] == "reachable"
    assert result["summary"]["not_inspected"]["status"] == "unknown"


@pytest.mark.parametrize("content", [b"not a certificate\n", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"])
def test_unusable_ca_path_fails_before_any_probe(wire, capsys, tmp_path, content):
    bundle = tmp_path / "ca.pem"
    bundle.write_bytes(content)
    result = run({"urls": ["https://a.example/"], "routes": ["direct"], "ca_path": str(bundle)}, capsys)
    assert result["_rc"] == 1 and result["field"] == "ca_path" and result["rule"] == "readable"
    assert str(bundle) in result["msg"]
    assert wire == []


@pytest.mark.parametrize("url, secret", [
    ("https://svc:UrlSecret99@a.example/", "UrlSecret99"),
    ("ftp://svc:UrlSecret99@a.example/", "UrlSecret99"),
    ("https://svc:UrlSecret99@a.example:bad/", "UrlSecret99"),
])
def test_credentials_in_urls_are_masked_in_every_message(wire, capsys, url, secret):
    result = run({"urls": [url], "routes": ["direct"]}, capsys)
    assert result["_rc"] == 1 and result["field"] == "urls"
    assert secret not in json.dumps(result)
    assert wire == []


def test_pac_url_credentials_and_tokens_are_masked(wire, capsys):
    pytest.importorskip("requests")
    # Port 9 on loopback: nothing listens, the download fails and the error names the URL.
    url = "http://pacuser:PacSecret77@127.0.0.1:9/proxy.pac?token=PacToken12345&v=1"
    result = run({"urls": ["https://a.example/"], "routes": ["pac"], "pac_url": url, "timeout": 5}, capsys)
    assert result["_rc"] == 1 and result["field"] == "pac_url"
    text = json.dumps(result)
    assert "PacSecret77" not in text and "PacToken12345" not in text
    assert "127.0.0.1:9/proxy.pac" in result["msg"]


def test_environment_proxy_credentials_are_masked(wire, capsys, monkeypatch):
    monkeypatch.setenv("https_proxy", "http://envuser:EnvPass4242@proxy.env.example:3128")
    result = run({"urls": ["https://envpass4242.example/", "https://a.example/EnvPass4242"], "routes": ["direct"]}, capsys)
    assert "EnvPass4242" not in json.dumps(result)


# --- only secrets are masked in what the module returns ------------------------------------------

def test_catalog_query_values_are_returned_as_they_are_and_a_sas_signature_is_not(wire, capsys):
    fwlink = "https://go.microsoft.com/fwlink/?linkid=2164233"
    sas = "https://acct.blob.core.windows.net/c/b.bin?sv=2022-11-02&sp=r&se=2030-01-01&sig=SasSignature0123%3D"
    result = run({"urls": [fwlink, sas], "proxy": "10.0.0.6:8080"}, capsys)
    assert result["_rc"] == 0
    assert [r["url"] for r in result["results"] if r["route"] == "direct"][0] == fwlink
    assert fwlink in result["table"] and fwlink in result["report"]
    assert "linkid=*" not in json.dumps(result)
    text = json.dumps(result)
    assert "SasSignature0123" not in text
    assert "sv=2022-11-02&sp=r&se=2030-01-01" in text


# --- the proxy's own name does not resolve: its own kind, in the default output ------------------

def test_a_proxy_name_that_does_not_resolve_is_named_in_the_table_and_the_verdict(monkeypatch, capsys):
    def fake(target, hop, policy, timeout):
        if hop.proxy is None:
            return engine.Observation(status=200)
        return engine.Observation(failure=engine.F_DNS, at=engine.AT_PROXY, detail="Name or service not known")

    monkeypatch.setattr(engine, "perform_probe", fake)
    result = run({"urls": ["https://a.example/test"], "routes": ["direct", "named"], "proxy": "proxy.corp.example:3128"},
                 capsys)
    named = [r for r in result["results"] if r["route"] == "named"][0]
    assert named["category"] == "proxy_dns_failure" and named["failed_at"] == "proxy"
    # check_network.yml shows the table, the requirements and the verdict without any -v.
    assert "proxy_dns_failure" in result["table"]
    assert "proxy_dns_failure" in result["verdict"]
    assert "dns_failure" not in result["table"].replace("proxy_dns_failure", "")
