# -*- coding: utf-8 -*-
"""A real bumping Squid whose inspection CA the probing host trusts.

Verification succeeds on every connection, so only the issuer can show the inspection. The user
gives no ``expected_issuers``: the module's default (Microsoft's issuers) must catch it.
"""

from __future__ import annotations


import pytest

import squid_lab as L
from ansible_collections.purview.device_proxy.plugins.module_utils import probe_engine as pe
from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import parse_endpoint
from ansible_collections.purview.device_proxy.plugins.modules import network_url_probe
from ansible_collections.purview.device_proxy.tests.unit.plugins.modules.module_runner import run_module as run_python_module


def run_module(args, capsys):
    return run_python_module(network_url_probe.main, args, capsys)


@pytest.fixture
def trusting_bundle(lab, tmp_path):
    """The host's trust store: the services' CA and the inspection CA (no private key)."""
    bundle = tmp_path / "trust-store.pem"
    with open(lab.origin_ca_file, "rb") as handle:
        bundle.write_bytes(handle.read() + lab.bump_ca.cert_pem.bytes())
    return str(bundle)


def test_trusted_inspection_ca_is_detected_without_expected_issuers(lab, trusting_bundle, capsys):
    result = run_module({"urls": [lab.url(L.BUMPED)], "routes": ["named"], "proxy": lab.proxy("bump"),
                         "ca_path": trusting_bundle, "timeout": 3, "deadline": 20}, capsys)
    probe = result["results"][0]
    # The handshake verified (the bump CA is trusted) and the service answered through the bump...
    assert probe["status"] == 200 and probe["proxy_status"] is None
    # ...but the certificate came from the inspection CA, not from an expected issuer.
    assert probe["category"] == "tls_intercepted" and probe["reachable"] is False
    assert probe["issuer_expected"] is False
    assert "Inspection Lab CA" in probe["issuer"]
    assert result["summary"]["not_inspected"]["status"] == "not_met"
    assert result["summary"]["not_inspected"]["urls"] == [lab.url(L.BUMPED)]


def test_the_same_trust_store_tells_the_spliced_service_from_the_bumped_one(lab, trusting_bundle, capsys):
    # With the lab services' issuer expected, the spliced host is the service's own and the bumped one is not.
    result = run_module({"urls": [lab.url(L.ALLOWED), lab.url(L.BUMPED)], "routes": ["named"],
                         "proxy": lab.proxy("bump"), "ca_path": trusting_bundle, "expected_issuers": ["Service Lab CA"],
                         "timeout": 3, "deadline": 20}, capsys)
    categories = [(r["url"], r["category"], r["issuer_expected"]) for r in result["results"]]
    assert categories == [(lab.url(L.ALLOWED), "reachable", True), (lab.url(L.BUMPED), "tls_intercepted", False)]
    assert result["summary"]["not_inspected"]["status"] == "not_met"


def test_squid_denial_inside_trusted_intercepted_tls_is_the_proxys_answer(lab, trusting_bundle):
    # The CONNECT is allowed and bumped; the request inside is refused by Squid with 403 and
    # X-Squid-Error. The handshake verified, so only the headers show whose answer it is.
    target = pe.make_target(lab.url(L.BUMPED, L.DENIED_INSIDE_PATH + "/x"))
    hop = pe.Hop(pe.NAMED, parse_endpoint(lab.proxy("bump")))
    result = pe.run_jobs([pe.Job(target, pe.NAMED, hop)], policy=pe.TlsPolicy(ca_file=trusting_bundle),
                         timeout=3, deadline=20)[0]
    assert result.category == pe.BLOCKED and not result.reachable
    assert result.observation.proxy_status == 403 and result.observation.status is None
    assert result.observation.proxy_error == "err_access_denied"
    assert "inside TLS" in result.detail and "Inspection Lab CA" in result.detail
