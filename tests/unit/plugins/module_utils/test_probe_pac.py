# -*- coding: utf-8 -*-
"""PAC results, PAC scripts, and loading them within a hard time limit and a size cap (loopback only)."""

from __future__ import annotations

import http.server
import os
import ssl
import subprocess
import threading
import time

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


# --- hard time limit, size cap, CA folder ----------------------------------------------------

LOOPING = "function FindProxyForURL(url, host) { while (true) {} }"
PAC_TEXT = 'function FindProxyForURL(url, host) { return "PROXY 10.0.0.6:8080"; }'


def test_a_looping_pac_script_is_stopped_at_the_hard_limit(tmp_path):
    pytest.importorskip("pypac")
    path = tmp_path / "loop.pac"
    path.write_text(LOOPING)
    started = time.monotonic()
    with pytest.raises(probe_model.ProbeConfigError) as info:
        probe_pac.load_pac(pac_file=str(path), timeout=1.0, targets=[HTTPS])
    assert (info.value.field, info.value.rule) == ("pac_file", "pac-time-limit")
    # Generous: the point is that it ends at all (the old evaluation held the GIL forever).
    assert time.monotonic() - started < 15


def test_a_pac_file_over_the_size_cap_is_refused(tmp_path):
    path = tmp_path / "huge.pac"
    path.write_bytes(b"//" + b"x" * probe_pac.MAX_PAC_BYTES + b"\n" + PAC_TEXT.encode())
    with pytest.raises(probe_model.ProbeConfigError) as info:
        probe_pac.load_pac(pac_file=str(path), timeout=5.0)
    assert (info.value.field, info.value.rule) == ("pac_file", "pac-size")


class PacServer:
    """Serves ``body`` for every GET on 127.0.0.1 (optionally over TLS, optionally dripping)."""

    def __init__(self, body, tls_context=None, drip=None, content_length=True):
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ns-proxy-autoconfig")
                if content_length:
                    self.send_header("Content-Length", str(len(outer.body)))
                self.end_headers()
                try:
                    if drip is None:
                        self.wfile.write(outer.body)
                        return
                    for byte in outer.body:
                        if outer.stopped.is_set():
                            return
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(drip)
                except OSError:
                    pass

            def log_message(self, *args):
                pass

        self.body = body
        self.stopped = threading.Event()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if tls_context is not None:
            self.server.socket = tls_context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()

    def stop(self):
        self.stopped.set()
        self.server.shutdown()
        self.server.server_close()


def test_a_download_over_the_size_cap_is_refused_without_reading_it_all():
    pytest.importorskip("requests")
    pytest.importorskip("pypac")
    server = PacServer(b"/" * (probe_pac.MAX_PAC_BYTES + 4096), content_length=False)
    try:
        with pytest.raises(probe_model.ProbeConfigError) as info:
            probe_pac.load_pac(pac_url="http://127.0.0.1:%d/proxy.pac" % server.port, timeout=10.0)
    finally:
        server.stop()
    assert (info.value.field, info.value.rule) == ("pac_url", "pac-size")


def test_a_dripping_download_is_stopped_at_the_hard_limit():
    # One byte every 0.2 s never trips a per-read timeout; only a total budget ends it.
    pytest.importorskip("requests")
    pytest.importorskip("pypac")
    server = PacServer(PAC_TEXT.encode() * 4, drip=0.2)
    started = time.monotonic()
    try:
        with pytest.raises(probe_model.ProbeConfigError) as info:
            probe_pac.load_pac(pac_url="http://127.0.0.1:%d/proxy.pac" % server.port, timeout=1.5, targets=[HTTPS])
    finally:
        server.stop()
    assert (info.value.field, info.value.rule) == ("pac_url", "pac-time-limit")
    assert time.monotonic() - started < 15


def test_the_pac_download_verifies_against_a_ca_folder(tmp_path):
    pytest.importorskip("requests")
    pytest.importorskip("pypac")
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    folder = tmp_path / "cas"
    folder.mkdir()
    pem = folder / "lab-ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    # A hashed CA folder, as c_rehash builds it: <subject hash>.0 -> the certificate.
    subject_hash = subprocess.run(["openssl", "x509", "-hash", "-noout", "-in", str(pem)], capture_output=True,
                                  text=True, check=True).stdout.strip()
    os.symlink(str(pem), str(folder / (subject_hash + ".0")))
    server = PacServer(PAC_TEXT.encode(), tls_context=context)
    try:
        resolver = probe_pac.load_pac(pac_url="https://127.0.0.1:%d/proxy.pac" % server.port, timeout=10.0,
                                      ca_dir=str(folder), targets=[HTTPS])
    finally:
        server.stop()
    assert resolver.hop_for(HTTPS).proxy == PROXY


def test_pac_answers_for_all_targets_come_from_one_evaluation(tmp_path):
    pytest.importorskip("pypac")
    path = tmp_path / "proxy.pac"
    path.write_text('function FindProxyForURL(url, host) { return host == "%s" ? "PROXY 10.0.0.6:8080" : "DIRECT"; }'
                    % HTTPS.host)
    resolver = probe_pac.load_pac(pac_file=str(path), timeout=10.0, targets=[HTTPS, BLOB])
    resolver.script = LOOPING  # evaluated already: no further evaluation may happen
    assert resolver.hop_for(HTTPS).proxy == PROXY
    assert resolver.hop_for(BLOB).proxy is None


# --- what the script is shown ------------------------------------------------------------------
# Browsers hand FindProxyForURL only scheme://host[:port]/ for https URLs: Chromium strips the path
# and query of https:// URLs since Chrome 52, with no way to turn it off since Chrome 75
# (chromium.googlesource.com/chromium/src/+/HEAD/net/docs/proxy.md, "PAC URL stripping"), and
# Firefox does the same unless network.proxy.autoconfig_url.include_path is set. http:// URLs are
# passed whole. A probe must ask the script the same question the devices' clients ask it.

ECHO_URL = """
function FindProxyForURL(url, host) {
    var seen = url.replace(/[^A-Za-z0-9]/g, "-");
    return "PROXY " + seen.substring(0, 60) + "x.seen.test:1";
}"""


def _url_seen(resolver, target):
    return resolver.hop_for(target).proxy.host[:-len("x.seen.test")]


def test_the_pac_script_sees_only_scheme_and_host_of_an_https_url(tmp_path):
    pytest.importorskip("pypac")
    path = tmp_path / "echo.pac"
    path.write_text(ECHO_URL)
    sas = probe_targets.make_target("https://acct.blob.core.windows.net/c/f?sv=2022-11-02&sig=SECRETSIG")
    ported = probe_targets.make_target("https://svc.example:8443/deep/path?x=1")
    plain = probe_targets.make_target("http://crl.example/pki/crl/x.crl?v=2")
    resolver = probe_pac.load_pac(pac_file=str(path), targets=[sas, ported, plain])
    assert _url_seen(resolver, sas) == "https---acct-blob-core-windows-net-"
    assert _url_seen(resolver, ported) == "https---svc-example-8443-"
    assert _url_seen(resolver, plain) == "http---crl-example-pki-crl-x-crl-v-2"
    # The same through a resolver that evaluates on first use.
    lazy = probe_pac.PacResolver(ECHO_URL, "echo.pac")
    assert _url_seen(lazy, sas) == "https---acct-blob-core-windows-net-"
