# -*- coding: utf-8 -*-
"""The transport: OS errors to failure kinds, and the client against loopback servers (head limits, address fallback)."""

from __future__ import annotations

import errno
import socket

import pytest

from ansible_collections.purview.device_proxy.plugins.module_utils import probe_classify
from ansible_collections.purview.device_proxy.plugins.module_utils import probe_client
from ansible_collections.purview.device_proxy.plugins.module_utils import probe_model
from ansible_collections.purview.device_proxy.plugins.module_utils import probe_targets
from ansible_collections.purview.device_proxy.tests.unit.plugins.module_utils.loopback_server import answering


def test_os_errors_map_to_failures():
    assert probe_client._os_failure(ConnectionRefusedError(errno.ECONNREFUSED, "x"), probe_model.AT_PROXY).failure == probe_model.F_REFUSED
    assert probe_client._os_failure(OSError(errno.ENETUNREACH, "x"), probe_model.AT_ORIGIN).failure == probe_model.F_UNREACHABLE
    assert probe_client._os_failure(OSError(errno.EINVAL, "x"), probe_model.AT_ORIGIN).failure == probe_model.F_UNREACHABLE
    assert probe_client._os_failure(OSError(errno.ETIMEDOUT, "x"), probe_model.AT_ORIGIN).failure == probe_model.F_TIMEOUT
    assert probe_client._os_failure(ConnectionResetError(), probe_model.AT_ORIGIN).failure == probe_model.F_RESET
    assert probe_client._os_failure(OSError(errno.EIO, "x"), probe_model.AT_ORIGIN).failure == probe_model.F_OTHER


# --- on loopback --------------------------------------------------------------------------------

def probe_direct(port, timeout=3.0):
    target = probe_targets.make_target("http://127.0.0.1:%d/test" % port)
    obs = probe_client.perform_probe(target, probe_model.Hop(probe_model.DIRECT), probe_model.TlsPolicy(), timeout)
    return obs, probe_classify.classify(target, obs)


@pytest.mark.parametrize("response", [
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n",  # closed before the end of the head
    b"HTTP/1.1 200 OK\r\n" + b"X-Filler: " + b"a" * (probe_client.MAX_HEAD_BYTES + 10) + b"\r\n\r\n",  # over the cap
])
def test_a_cut_off_or_oversized_head_is_a_protocol_failure_not_success(response):
    server = answering(response)
    try:
        obs, (category, _detail) = probe_direct(server.port)
    finally:
        server.stop()
    assert obs.failure == probe_model.F_PROTOCOL and obs.status is None
    assert category == probe_model.ERROR


def test_a_complete_head_within_the_cap_is_read():
    server = answering(b"HTTP/1.1 204 No Content\r\nX-Filler: " + b"a" * 60000 + b"\r\n\r\n")
    try:
        obs, (category, _detail) = probe_direct(server.port)
    finally:
        server.stop()
    assert (obs.status, category) == (204, probe_model.REACHABLE)


def test_the_next_address_is_tried_after_a_connect_timeout_on_the_first(monkeypatch):
    # First address: a listener whose accept queue is full, so SYNs are dropped (a black hole,
    # like IPv6 without a route out). Second address: a working service.
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(0)
    filler = socket.create_connection(hole.getsockname(), timeout=2)
    server = answering(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    infos = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", hole.getsockname()),
             (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", server.port))]
    monkeypatch.setattr(probe_client.socket, "getaddrinfo", lambda *args, **kwargs: infos)
    try:
        target = probe_targets.make_target("http://dual.svc.example/test")
        obs = probe_client.perform_probe(target, probe_model.Hop(probe_model.DIRECT), probe_model.TlsPolicy(), 2.0)
    finally:
        server.stop()
        filler.close()
        hole.close()
    assert obs.failure is None and obs.status == 200


def test_a_proxy_name_that_does_not_resolve_is_the_proxys_failure_not_the_urls(monkeypatch):
    from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import parse_endpoint

    looked_up = []

    def no_such_name(host, *args, **kwargs):
        looked_up.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(probe_client.socket, "getaddrinfo", no_such_name)
    for url in ("https://svc.example/test", "http://svc.example/crl"):
        target = probe_targets.make_target(url)
        hop = probe_model.Hop(probe_model.NAMED, parse_endpoint("proxy.corp.example:3128"))
        obs = probe_client.perform_probe(target, hop, probe_model.TlsPolicy(), 2)
        category, detail = probe_classify.classify(target, obs)
        assert category == "proxy_dns_failure", (url, category, detail)
        assert "proxy" in detail and "Name or service not known" in detail
    # Only the proxy's name was looked up: through a proxy the URL's name is the proxy's business.
    assert set(looked_up) == {"proxy.corp.example"}
