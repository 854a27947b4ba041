# -*- coding: utf-8 -*-
"""Answers a proxy makes itself, from proxies that are not Squid, over plain HTTP and CONNECT.

A loopback stand-in plays the proxy. It relays ``ok.test`` (plain HTTP to a loopback origin, CONNECT
to a loopback TLS origin) and answers every other host by itself, the way corporate and cloud
proxies do. Header names and formats come from published sources, cited per answer:

* RFC 9110 section 11.7.1 (``Proxy-Authenticate`` is sent by a proxy with 407), section 7.6.3
  (``Via``: protocol, the proxy's name and an optional comment naming the product).
* RFC 9209 (``Proxy-Status``: the proxy's name, then parameters; ``error=<type>`` from the registry
  in section 2.3, for example ``http_request_denied``).
* RFC 7725 (451 Unavailable For Legal Reasons, with ``Link: <...>; rel="blocked-by"``).
* Zscaler, "Block Custom Notification" (help.zscaler.com/zia/block-custom-notification): a blocked
  request is redirected to an external notification URL carrying ``url``, ``reason`` and
  ``reasoncode`` query parameters; Zscaler's sign-in flow redirects the same way.
* Broadcom knowledge article 166820 (ProxySG): redirect-based authentication modes answer 302 (307
  for Internet Explorer), and 401 with ``WWW-Authenticate`` where a redirect cannot be used.

None of these answers is the service's: none may be ``reachable``, none may make ``allowed`` or
``anonymous`` met. Malformed proxy headers must fail only their own probe.
"""

from __future__ import annotations

import socket
import ssl
import threading

import pytest

from ansible_collections.purview.device_proxy.plugins.module_utils import probe_classify
from ansible_collections.purview.device_proxy.plugins.module_utils import probe_model
from ansible_collections.purview.device_proxy.plugins.module_utils import probe_report
from ansible_collections.purview.device_proxy.plugins.module_utils import probe_runner
from ansible_collections.purview.device_proxy.plugins.module_utils import probe_targets
from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import parse_endpoint
from ansible_collections.purview.device_proxy.tests.unit.plugins.module_utils.loopback_server import LoopbackServer

trustme = pytest.importorskip("trustme")

CRLF = b"\r\n"
# The failure kind of a redirect made by the proxy (failure_kinds.PROXY_REDIRECT).
PROXY_REDIRECT = "proxy_redirect"


def _answer(status_line, *headers):
    lines = [status_line] + list(headers) + [b"Content-Length: 0", b"Connection: close"]
    return CRLF.join(lines) + CRLF + CRLF


# What the stand-in answers by itself, per host name.
PROXY_ANSWERS = {
    # Zscaler-style sign-in / block redirect (Zscaler "Block Custom Notification"; ProxySG KB 166820).
    "portal.test": _answer(
        b"HTTP/1.1 302 Found",
        b"Location: https://login.gateway.example/auth?url=http%3A%2F%2Fportal.test%2F&reasoncode=AUTH_REQUIRED",
        b"Via: 1.1 gateway.example (Zscaler-style cloud proxy)"),
    # ProxySG-style temporary redirect for authentication (KB 166820: 307 for some clients).
    "portal307.test": _answer(b"HTTP/1.1 307 Temporary Redirect", b"Location: https://proxysg.corp.example:4433/login"),
    # RFC 7725: 451 with the blocking party in a Link header, no Squid header.
    "legal.test": _answer(b"HTTP/1.1 451 Unavailable For Legal Reasons",
                          b'Link: <https://policy.corp.example/>; rel="blocked-by"'),
    # A gateway error made by the proxy; Via with a product comment (RFC 9110 section 7.6.3).
    "badgw.test": _answer(b"HTTP/1.1 502 Bad Gateway", b"Via: 1.1 swg.corp.example (Forcepoint-style web gateway)"),
    "unavailable.test": _answer(b"HTTP/1.1 503 Service Unavailable", b"Retry-After: 30"),
    # ProxySG answering 401 where a redirect-based mode cannot be used (KB 166820).
    "auth401.test": _answer(b"HTTP/1.1 401 Unauthorized", b"WWW-Authenticate: Negotiate", b"WWW-Authenticate: NTLM"),
    # 407 with the challenges an AD-integrated proxy sends (RFC 9110 section 11.7.1), no Squid header.
    "auth407.test": _answer(b"HTTP/1.1 407 Proxy Authentication Required", b"Proxy-Authenticate: Negotiate",
                            b"Proxy-Authenticate: NTLM", b'Proxy-Authenticate: Basic realm="CORP"',
                            b"Via: 1.1 proxysg.corp.example (Bluecoat-style appliance)"),
    # An RFC 9209 error on a status a service could also send.
    "denied.test": _answer(b"HTTP/1.1 403 Forbidden",
                           b'Proxy-Status: swg.corp.example; error=http_request_denied; details="category blocked"'),
    # A Proxy-Authenticate challenge on a non-407 answer: only a proxy sends that header.
    "challenge.test": _answer(b"HTTP/1.1 200 OK", b"Proxy-Authenticate: Negotiate"),
}

# Malformed proxy error headers: each must fail its own probe only.
MALFORMED_ANSWERS = {
    "errno-letters.test": _answer(b"HTTP/1.1 502 Bad Gateway", b"Proxy-Status: x; error=errno:abc"),
    "errno-empty.test": _answer(b"HTTP/1.1 502 Bad Gateway", b"Proxy-Status: x; error=errno:"),
    # ARABIC-INDIC DIGIT ONE and TWO, sent as UTF-8.
    "errno-arabic.test": _answer(b"HTTP/1.1 503 Service Unavailable",
                                 b"X-Squid-Error: ERR_CONNECT_FAIL " + u"\u0661\u0662".encode("utf-8")),
    # SUPERSCRIPT TWO as one ISO-8859-1 byte: a "digit" to str.isdigit(), not to int().
    "errno-superscript.test": _answer(b"HTTP/1.1 503 Service Unavailable", b"X-Squid-Error: ERR_CONNECT_FAIL \xb2"),
    "errno-huge.test": _answer(b"HTTP/1.1 503 Service Unavailable", b"X-Squid-Error: ERR_CONNECT_FAIL " + b"9" * 400),
    "status-garbage.test": _answer(b"HTTP/1.1 502 Bad Gateway", b'Proxy-Status: ;;; error="\xff\xfe; ==, ,;error'),
}


def _read_head(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def _pump(src, dst):
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


def _relay(conn, upstream):
    back = threading.Thread(target=_pump, args=(upstream, conn), daemon=True)
    back.start()
    _pump(conn, upstream)
    back.join(5)
    upstream.close()


@pytest.fixture(scope="module")
def stand_in(tmp_path_factory):
    """The stand-in proxy, a plain HTTP origin and a TLS origin for ok.test, all on 127.0.0.1."""
    folder = tmp_path_factory.mktemp("stand-in")
    ca = trustme.CA(organization_name="Stand-in Service CA")
    ca_file = folder / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("ok.test").configure_cert(server_context)
    answers = dict(PROXY_ANSWERS, **MALFORMED_ANSWERS)

    def plain_origin(conn):
        _read_head(conn)
        conn.sendall(_answer(b"HTTP/1.1 200 OK"))

    def tls_origin(conn):
        tls = server_context.wrap_socket(conn, server_side=True)
        try:
            _read_head(tls)
            tls.sendall(_answer(b"HTTP/1.1 200 OK"))
        finally:
            tls.close()

    plain = LoopbackServer(plain_origin)
    secure = LoopbackServer(tls_origin)

    def proxy(conn):
        head = _read_head(conn)
        method, target = head.split(b" ", 2)[:2]
        if method == b"CONNECT":
            host = target.rsplit(b":", 1)[0].decode("ascii")
        else:  # absolute form: http://host[:port]/path
            host = target.split(b"/", 3)[2].split(b":")[0].decode("ascii")
        if host in answers:
            conn.sendall(answers[host])
            return
        if host != "ok.test":
            conn.sendall(_answer(b"HTTP/1.1 500 Stand-in Has No Rule"))
            return
        if method == b"CONNECT":
            upstream = socket.create_connection(("127.0.0.1", secure.port), timeout=5)
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            _relay(conn, upstream)
        else:
            upstream = socket.create_connection(("127.0.0.1", plain.port), timeout=5)
            upstream.sendall(head)
            _relay(conn, upstream)

    server = LoopbackServer(proxy)
    try:
        yield {"proxy": server, "policy": probe_model.TlsPolicy(ca_file=str(ca_file))}
    finally:
        server.stop()
        secure.stop()
        plain.stop()


def _run(stand_in, urls, credentials=None):
    hop = probe_model.Hop(probe_model.NAMED, parse_endpoint("127.0.0.1:%d" % stand_in["proxy"].port), credentials)
    jobs = [probe_runner.Job(probe_targets.make_target(url), probe_model.NAMED, hop) for url in urls]
    return probe_runner.run_jobs(jobs, policy=stand_in["policy"], timeout=5, deadline=30, concurrency=16)


def test_the_stand_in_relays_a_service_answer_which_is_reachable(stand_in):
    # The control: the same proxy relaying the service's own answer passes, over both transports.
    results = _run(stand_in, ["http://ok.test/x", "https://ok.test/x"])
    assert [r.category for r in results] == [probe_model.REACHABLE, probe_model.REACHABLE]
    summary = probe_report.summarise(results)
    assert summary["allowed"]["status"] == probe_report.MET
    assert summary["anonymous"]["status"] == probe_report.MET


EXPECTED_CATEGORY = {
    "portal.test": PROXY_REDIRECT,
    "portal307.test": PROXY_REDIRECT,
    "legal.test": probe_model.BLOCKED,
    "badgw.test": probe_model.PROXY_ERROR,
    "unavailable.test": probe_model.PROXY_ERROR,
    "auth401.test": probe_model.PROXY_AUTH_REQUIRED,
    "auth407.test": probe_model.PROXY_AUTH_REQUIRED,
    "denied.test": probe_model.BLOCKED,
    "challenge.test": probe_model.PROXY_AUTH_REQUIRED,
}


@pytest.mark.parametrize("scheme", ["http", "https"])
@pytest.mark.parametrize("host", sorted(PROXY_ANSWERS))
def test_an_answer_the_proxy_made_is_never_reachable(stand_in, scheme, host):
    result = _run(stand_in, ["%s://%s/probe" % (scheme, host)])[0]
    assert not result.reachable, result.detail
    assert result.category == EXPECTED_CATEGORY[host], result.detail
    assert result.as_dict()["failed_at"] == "proxy"
    summary = probe_report.summarise([result])
    assert summary["allowed"]["status"] != probe_report.MET
    assert summary["anonymous"]["status"] != probe_report.MET


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_portal_redirect_for_anonymous_requests_fails_anonymous_even_beside_a_relayed_answer(stand_in, scheme):
    results = _run(stand_in, ["%s://ok.test/a" % scheme, "%s://portal.test/b" % scheme])
    summary = probe_report.summarise(results)
    assert summary["anonymous"]["status"] == probe_report.NOT_MET
    assert summary["anonymous"]["urls"] == ["%s://portal.test/b" % scheme]
    assert "redirect" in summary["anonymous"]["reason"]
    assert summary["allowed"]["status"] != probe_report.MET


def test_the_redirect_detail_names_where_it_went_without_its_query(stand_in):
    result = _run(stand_in, ["http://portal.test/probe"])[0]
    assert "https://login.gateway.example/" in result.detail
    assert "reasoncode" not in result.detail


def test_malformed_proxy_headers_fail_only_their_own_probe(stand_in):
    urls = ["http://ok.test/first"]
    for host in sorted(MALFORMED_ANSWERS):
        urls.extend(("http://%s/p" % host, "https://%s/p" % host))
    urls.append("https://ok.test/last")
    results = _run(stand_in, urls)
    assert [r.target.url for r in results] == urls
    assert results[0].reachable and results[-1].reachable
    for result in results[1:-1]:
        assert not result.reachable, result.target.url
        assert result.category == probe_model.PROXY_ERROR, (result.target.url, result.category, result.detail)
        assert result.as_dict()["failed_at"] == "proxy"
    # Everything reports: the summary, the verdict and both texts are built.
    probe_report.summarise(results)
    assert probe_report.verdict(results)
    assert "ok.test/last" in probe_report.render_table(results)
    assert probe_report.render_analyzer_text(results)


@pytest.mark.parametrize("value", [
    "x; error=errno:abc", "x; error=errno:", "x; error=errno:\u00b2", "x; error=errno:\u0661\u0662",
    'x; error="unterminated', ";;;", "x; error", "x; error=\u00ff\u00fe",
])
def test_a_malformed_proxy_status_classifies_as_a_proxy_error(value):
    target = probe_targets.make_target("http://svc.test/")
    token = probe_classify.parse_proxy_error({"proxy-status": value})
    obs = probe_model.Observation(proxy_status=502, proxy_error=token, at=probe_model.AT_PROXY, via_proxy=True)
    category, detail = probe_classify.classify(target, obs)
    assert category == probe_model.PROXY_ERROR
    assert not probe_classify.proxy_tried_to_forward(obs)
    assert all(32 <= ord(ch) < 127 for ch in detail), detail


def test_an_ascii_errno_is_still_read():
    assert probe_classify.parse_proxy_error({"x-squid-error": "ERR_CONNECT_FAIL 111"}) == "errno:111"
    obs = probe_model.Observation(proxy_status=503, proxy_error="errno:111", at=probe_model.AT_PROXY)
    assert probe_classify.classify(probe_targets.make_target("http://svc.test/"), obs)[0] == probe_model.CONNECTION_REFUSED


def test_a_classification_error_is_reported_for_its_probe_only(monkeypatch):
    real = probe_classify.classify

    def flaky(target, obs, policy=None):
        if target.host == "bad.test":
            raise ValueError("boom")
        return real(target, obs, policy)

    monkeypatch.setattr(probe_runner, "classify", flaky)
    jobs = [probe_runner.Job(probe_targets.make_target(url), probe_model.DIRECT, probe_model.Hop(probe_model.DIRECT))
            for url in ("http://good.test/", "http://bad.test/", "http://good2.test/")]
    results = probe_runner.run_jobs(jobs, timeout=1, probe=lambda t, h, p, s: probe_model.Observation(status=200))
    assert [r.category for r in results] == [probe_model.REACHABLE, probe_model.ERROR, probe_model.REACHABLE]
    assert "boom" in results[1].detail


# --- pure: which statuses through a proxy are the proxy's ---------------------------------------

PLAIN = probe_targets.make_target("http://svc.test/x")
EXPECTS_REDIRECT = probe_targets.make_target({"url": "http://svc.test/fwlink", "expected_status": [302]})


@pytest.mark.parametrize("status, category", [
    (301, PROXY_REDIRECT), (302, PROXY_REDIRECT), (303, PROXY_REDIRECT),
    (307, PROXY_REDIRECT), (308, PROXY_REDIRECT),
    (401, probe_model.PROXY_AUTH_REQUIRED), (451, probe_model.BLOCKED),
    (500, probe_model.PROXY_ERROR), (502, probe_model.PROXY_ERROR), (503, probe_model.PROXY_ERROR),
    (504, probe_model.PROXY_ERROR),
])
def test_a_status_through_a_proxy_that_only_a_proxy_would_answer_is_not_reachable(status, category):
    obs = probe_model.Observation(status=status, via_proxy=True)
    assert probe_classify.classify(PLAIN, obs)[0] == category
    # Directly, the same status is the service's.
    assert probe_classify.classify(PLAIN, probe_model.Observation(status=status))[0] == probe_model.REACHABLE


def test_a_redirect_the_catalog_expects_is_the_services():
    obs = probe_model.Observation(status=302, via_proxy=True)
    assert probe_classify.classify(EXPECTS_REDIRECT, obs)[0] == probe_model.REACHABLE
    other = probe_model.Observation(status=301, via_proxy=True)
    assert probe_classify.classify(EXPECTS_REDIRECT, other)[0] == PROXY_REDIRECT


def test_an_https_answer_with_the_services_certificate_is_the_services_whatever_its_status():
    target = probe_targets.make_target("https://svc.test/x")
    policy = probe_model.TlsPolicy(expected_issuers=("Service CA",))
    obs = probe_model.Observation(status=302, via_proxy=True, issuer_names=(("O", "Service CA"),))
    assert probe_classify.classify(target, obs, policy)[0] == probe_model.REACHABLE
    unchecked = probe_model.Observation(status=302, via_proxy=True)
    assert probe_classify.classify(target, unchecked, probe_model.TlsPolicy())[0] == PROXY_REDIRECT
