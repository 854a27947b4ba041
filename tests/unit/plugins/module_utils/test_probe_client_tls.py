# -*- coding: utf-8 -*-
"""The connection made after TLS verification failed, on loopback.

An "interceptor" (a TLS server whose certificate does not chain to the trust store in use) answers
200 to anything it is asked, and a CONNECT proxy records what it is sent. The probe must never
count that 200 as success, must name the interceptor's issuer, and must send nothing over the
unverified TLS but a bare GET: no proxy credentials, no body.
"""

from __future__ import annotations

import socket
import ssl
import threading

import pytest
from hypothesis import given, strategies as st

from ansible_collections.purview.device_proxy.plugins.module_utils import microsoft_tls_trust
from ansible_collections.purview.device_proxy.plugins.module_utils import probe_classify
from ansible_collections.purview.device_proxy.plugins.module_utils import probe_client
from ansible_collections.purview.device_proxy.plugins.module_utils import probe_model
from ansible_collections.purview.device_proxy.plugins.module_utils import probe_report
from ansible_collections.purview.device_proxy.plugins.module_utils import probe_runner
from ansible_collections.purview.device_proxy.plugins.module_utils import probe_targets
from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import parse_endpoint
from ansible_collections.purview.device_proxy.tests.unit.plugins.module_utils.loopback_server import LoopbackServer

trustme = pytest.importorskip("trustme")


def _read_head(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


@pytest.fixture
def lab(tmp_path):
    interceptor_ca = trustme.CA(organization_name="Interceptor Test CA")
    trusted_ca = trustme.CA(organization_name="Trusted Test CA")
    trusted_file = tmp_path / "trusted.pem"
    trusted_ca.cert_pem.write_to_path(str(trusted_file))
    # A host that trusts the inspection CA as well (a corporate Linux host, typically).
    both_file = tmp_path / "trusted-and-inspection.pem"
    both_file.write_bytes(trusted_ca.cert_pem.bytes() + interceptor_ca.cert_pem.bytes())
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    interceptor_ca.issue_cert("svc.test", "127.0.0.1").configure_cert(server_context)
    seen = {"inner": [], "connect": []}

    def interceptor(conn):
        tls = server_context.wrap_socket(conn, server_side=True)
        try:
            tls.settimeout(0.5)
            head = _read_head(tls)
            try:
                rest = tls.recv(4096)  # anything sent after the head would be a body
            except (socket.timeout, ssl.SSLError, OSError):
                rest = b""
            seen["inner"].append((head, rest))
            tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        finally:
            tls.close()

    origin = LoopbackServer(interceptor)

    def proxy(conn):
        seen["connect"].append(_read_head(conn))
        upstream = socket.create_connection(("127.0.0.1", origin.port), timeout=5)
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")

        def pump(src, dst):
            try:
                while True:
                    data = src.recv(65536)
                    if not data:
                        break
                    dst.sendall(data)
            except OSError:
                pass
            finally:
                try:
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass

        back = threading.Thread(target=pump, args=(upstream, conn), daemon=True)
        back.start()
        pump(conn, upstream)
        back.join(5)
        upstream.close()

    forward = LoopbackServer(proxy)
    try:
        yield {"origin": origin, "proxy": forward, "seen": seen,
               "policy": probe_model.TlsPolicy(ca_file=str(trusted_file)), "both_file": str(both_file)}
    finally:
        forward.stop()
        origin.stop()


def test_direct_interception_is_named_and_never_success(lab):
    target = probe_targets.make_target("https://127.0.0.1:%d/probe" % lab["origin"].port)
    obs = probe_client.perform_probe(target, probe_model.Hop(probe_model.DIRECT), lab["policy"], 5)
    category, detail = probe_classify.classify(target, obs, lab["policy"])
    assert obs.failure == probe_model.F_TLS_VERIFY and obs.status is None
    assert category == probe_model.TLS_INTERCEPTED
    assert "Interceptor Test CA" in obs.issuer and "Interceptor Test CA" in detail
    # The interceptor answered 200 on the unverified connection; that answer is not the result.
    assert len(lab["seen"]["inner"]) == 1
    head, rest = lab["seen"]["inner"][0]
    assert head.startswith(b"GET /probe HTTP/1.1\r\n") and rest == b""


def test_inspection_through_a_proxy_sends_no_credentials_inside_the_unverified_tls(lab):
    target = probe_targets.make_target("https://127.0.0.1:%d/probe" % lab["origin"].port)
    credentials = probe_model.Credentials("svc", "Tunnel-Secret")
    hop = probe_model.Hop(probe_model.NAMED, parse_endpoint("127.0.0.1:%d" % lab["proxy"].port), credentials)
    result = probe_runner.run_jobs([probe_runner.Job(target, probe_model.NAMED, hop)], policy=lab["policy"], timeout=5)[0]
    assert result.category == probe_model.TLS_INTERCEPTED and not result.reachable
    assert "Interceptor Test CA" in result.observation.issuer
    # Two CONNECTs to the same proxy (verified attempt, then inspection), both as configured.
    connects = lab["seen"]["connect"]
    assert len(connects) == 2
    assert all(c.startswith(b"CONNECT 127.0.0.1:%d HTTP/1.1\r\n" % lab["origin"].port) for c in connects)
    assert all(credentials.header_value().encode() in c for c in connects)
    # Inside the unverified TLS: a bare GET, no credentials, no body.
    assert len(lab["seen"]["inner"]) == 1
    head, rest = lab["seen"]["inner"][0]
    lowered = head.lower()
    assert head.startswith(b"GET /probe HTTP/1.1\r\n")
    assert b"proxy-authorization" not in lowered and b"authorization" not in lowered
    assert b"content-length" not in lowered and b"cookie" not in lowered
    assert rest == b""
    assert "Tunnel-Secret" not in repr(result.as_dict()) and "Tunnel-Secret" not in result.detail


def _answer_with(response):
    def handle(conn):
        conn.settimeout(2)
        _read_head(conn)
        conn.sendall(response)
    return handle


def test_non_squid_block_page_over_plain_http_is_blocked_not_reachable():
    # An appliance proxy's block page: 403, HTML, no X-Squid-Error, no Proxy-Status.
    page = (b"HTTP/1.1 403 Forbidden\r\nServer: SecureGateway\r\nContent-Type: text/html\r\n"
            b"Content-Length: 20\r\nConnection: close\r\n\r\n<h1>Blocked</h1>    ")
    proxy = LoopbackServer(_answer_with(page))
    try:
        target = probe_targets.make_target("http://crl.svc.example/pki/crl")
        hop = probe_model.Hop(probe_model.NAMED, parse_endpoint("127.0.0.1:%d" % proxy.port))
        result = probe_runner.run_jobs([probe_runner.Job(target, probe_model.NAMED, hop)], timeout=5)[0]
    finally:
        proxy.stop()
    assert result.category == probe_model.BLOCKED and not result.reachable
    assert "block page" in result.detail


MICROSOFT_EXPECTATIONS = tuple(microsoft_tls_trust.MICROSOFT_SERVICE_ISSUER_ORGANISATIONS) + tuple(
    sorted(microsoft_tls_trust.root_thumbprints()))


def test_interception_with_a_trusted_inspection_ca_is_caught_by_the_expected_issuers(lab):
    # Verification succeeds (the host trusts the inspection CA); only the issuer tells.
    target = probe_targets.make_target("https://127.0.0.1:%d/probe" % lab["origin"].port)
    hop = probe_model.Hop(probe_model.NAMED, parse_endpoint("127.0.0.1:%d" % lab["proxy"].port))
    policy = probe_model.TlsPolicy(ca_file=lab["both_file"], expected_issuers=MICROSOFT_EXPECTATIONS)
    results = probe_runner.run_jobs([probe_runner.Job(target, probe_model.NAMED, hop)], policy=policy, timeout=5)
    obs = results[0].observation
    assert obs.failure is None and obs.status == 200
    assert ("O", "Interceptor Test CA") in obs.issuer_names
    assert results[0].category == probe_model.TLS_INTERCEPTED and not results[0].reachable
    assert results[0].as_dict()["issuer_expected"] is False
    assert probe_report.summarise(results)["not_inspected"]["status"] == probe_report.NOT_MET


def test_trusted_inspection_ca_without_expected_issuers_is_never_called_not_inspected(lab):
    target = probe_targets.make_target("https://127.0.0.1:%d/probe" % lab["origin"].port)
    hop = probe_model.Hop(probe_model.NAMED, parse_endpoint("127.0.0.1:%d" % lab["proxy"].port))
    policy = probe_model.TlsPolicy(ca_file=lab["both_file"])
    results = probe_runner.run_jobs([probe_runner.Job(target, probe_model.NAMED, hop)], policy=policy, timeout=5)
    assert results[0].category == probe_model.REACHABLE
    assert results[0].as_dict()["issuer_expected"] is None
    assert probe_report.summarise(results)["not_inspected"]["status"] == probe_report.UNKNOWN


@given(status=st.one_of(st.none(), st.integers(100, 599)),
       proxy_status=st.one_of(st.none(), st.integers(100, 599)),
       proxy_error=st.one_of(st.none(), st.sampled_from(["err_access_denied", "errno:111", "dns_error", "bogus"])),
       verify_code=st.one_of(st.none(), st.integers(0, 80)),
       issuer=st.one_of(st.none(), st.text(max_size=20)),
       scheme=st.sampled_from(["https", "http"]))
def test_no_observation_after_failed_verification_is_ever_reachable(status, proxy_status, proxy_error, verify_code,
                                                                    issuer, scheme):
    target = probe_targets.make_target("%s://svc.example/" % scheme)
    obs = probe_model.Observation(failure=probe_model.F_TLS_VERIFY, status=status, proxy_status=proxy_status,
                                  proxy_error=proxy_error, verify_code=verify_code, issuer=issuer)
    category, _detail = probe_classify.classify(target, obs)
    assert category != probe_model.REACHABLE
