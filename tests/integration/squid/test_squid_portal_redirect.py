# -*- coding: utf-8 -*-
"""A real Squid that redirects denied requests to a portal (``deny_info 302:URL``), on loopback.

Squid's ``deny_info`` takes ``3xx:URL`` to answer a denial with a redirect instead of an error page
(squid-cache.org/Doc/config/deny_info: "deny_info 302:https://..."; ``%u`` is the request URL). That
is what a portal or a hosted block page looks like from a client: a redirect the proxy made, not the
service's answer. The probe must not count it as reachable, over plain HTTP or on CONNECT, and it
must not make ``allowed`` or ``anonymous`` met.
"""

from __future__ import annotations

import pytest

import squid_lab as L

from ansible_collections.purview.device_proxy.plugins.module_utils import probe_engine as pe
from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import parse_endpoint

PORTAL_POLICY = """
acl allowed_sites dstdomain {allowed} {plain}
acl portal_sites dstdomain %s %s
acl auth_port localport {auth_port}
acl authenticated proxy_auth REQUIRED
acl step1 at_step SslBump1
deny_info 302:http://portal.corp.test/login?origin=%%u portal_sites
http_access deny auth_port !authenticated
http_access deny portal_sites
http_access allow allowed_sites
http_access deny all
ssl_bump peek step1
ssl_bump splice all
""" % (L.PLAIN_DENIED, L.DENIED)


@pytest.fixture(scope="module")
def portal_lab():
    pytest.importorskip("trustme")
    instance = L.Lab()
    try:
        instance.start_squid(PORTAL_POLICY)
        yield instance
    finally:
        instance.stop()


def _run(lab, names):
    hop = pe.Hop(pe.NAMED, parse_endpoint(lab.proxy()))
    jobs = [pe.Job(pe.make_target(lab.url(name, "/portal-probe")), pe.NAMED, hop) for name in names]
    return pe.run_jobs(jobs, policy=pe.TlsPolicy(ca_file=lab.origin_ca_file), timeout=10, deadline=30)


def test_squid_portal_redirects_are_never_reachable(portal_lab):
    results = _run(portal_lab, [L.ALLOWED, L.PLAIN, L.PLAIN_DENIED, L.DENIED])
    by_host = {r.target.host: r for r in results}
    # The control: the allowed hosts pass the same Squid.
    assert by_host[L.ALLOWED].reachable and by_host[L.PLAIN].reachable
    for name in (L.PLAIN_DENIED, L.DENIED):
        result = by_host[name]
        assert not result.reachable, (name, result.category, result.detail)
        assert result.category == "proxy_redirect", (name, result.category, result.detail)
        assert result.observation.proxy_status == 302
        assert result.as_dict()["failed_at"] == "proxy"
        # Where it went, without the query that carries the original URL.
        assert "http://portal.corp.test/" in result.detail and "origin=" not in result.detail
    # The CONNECT was answered by Squid before any TLS: nothing was delivered inside TLS.
    assert "inside TLS" not in by_host[L.DENIED].detail
    summary = pe.summarise(results)
    expected = sorted(by_host[name].target.url for name in (L.PLAIN_DENIED, L.DENIED))
    assert summary["anonymous"]["status"] == pe.NOT_MET and summary["anonymous"]["urls"] == expected
    assert summary["allowed"]["status"] != pe.MET
