# -*- coding: utf-8 -*-
"""The probe engine against a real Squid on loopback: every classification on real traffic.

Service hosts are local HTTPS/HTTP servers with a throwaway CA, mapped by Squid's hosts_file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import squid_lab as L
from ansible_collections.purview.device_proxy.plugins.module_utils import probe_engine as pe
from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import parse_endpoint

TIMEOUT = 3.0


def policy(lab, **kwargs):
    return pe.TlsPolicy(ca_file=lab.origin_ca_file, **kwargs)


def hop(lab, port="forward", credentials=None):
    return pe.Hop(pe.NAMED, parse_endpoint(lab.proxy(port)), credentials)


def probe(lab, name, port="forward", credentials=None, path="/test", **policy_args):
    target = pe.make_target(lab.url(name, path))
    jobs = [pe.Job(target, pe.NAMED, hop(lab, port, credentials))]
    return pe.run_jobs(jobs, policy=policy(lab, **policy_args), timeout=TIMEOUT, deadline=30)[0]


def test_allowed_host_is_reachable_with_the_service_certificate(lab):
    result = probe(lab, L.ALLOWED)
    assert result.category == pe.REACHABLE
    assert result.observation.status == 200
    assert "O=Service Lab CA" in result.observation.issuer
    assert lab.https.hits[-1] == "%s:%d" % (L.ALLOWED, lab.https.port)


def test_status_of_the_service_is_reported(lab):
    result = probe(lab, L.ALLOWED, path="/status/404")
    assert (result.category, result.observation.status) == (pe.REACHABLE, 404)


def test_non_allowed_host_is_blocked_with_403(lab):
    result = probe(lab, L.DENIED)
    assert result.category == pe.BLOCKED
    assert result.observation.proxy_status == 403
    assert result.observation.proxy_error == "err_access_denied"


def test_port_requiring_proxy_auth_answers_407(lab):
    result = probe(lab, L.ALLOWED, port="auth")
    assert result.category == pe.PROXY_AUTH_REQUIRED
    assert result.observation.proxy_status == 407


def test_credentials_pass_the_auth_port_and_stay_hidden(lab):
    credentials = pe.Credentials(lab.user, lab.password)
    result = probe(lab, L.ALLOWED, port="auth", credentials=credentials)
    assert result.category == pe.REACHABLE
    assert lab.password not in json.dumps(result.as_dict())
    wrong = probe(lab, L.ALLOWED, port="auth", credentials=pe.Credentials(lab.user, "wrong"))
    assert wrong.category == pe.PROXY_AUTH_REQUIRED


def test_bumped_host_is_tls_intercepted_and_the_issuer_is_reported(lab):
    result = probe(lab, L.BUMPED, port="bump")
    assert result.category == pe.TLS_INTERCEPTED
    assert "O=Inspection Lab CA" in result.observation.issuer
    assert "Inspection Lab CA" in result.detail


def test_spliced_host_on_the_intercepting_port_keeps_its_certificate(lab):
    result = probe(lab, L.ALLOWED, port="bump")
    assert result.category == pe.REACHABLE
    assert "O=Service Lab CA" in result.observation.issuer


def test_denial_delivered_over_intercepted_tls_is_still_blocked(lab):
    result = probe(lab, L.DENIED, port="bump")
    assert result.category == pe.BLOCKED
    assert result.observation.proxy_status == 403
    assert "Inspection Lab CA" in result.detail


def test_issuer_other_than_expected_is_interception(lab):
    result = probe(lab, L.ALLOWED, expected_issuers=("Microsoft",))
    assert result.category == pe.TLS_INTERCEPTED
    assert "Service Lab CA" in result.detail
    # Whole organisation or common name, case folded; a part of the name is not enough.
    assert probe(lab, L.ALLOWED, expected_issuers=("service lab ca",)).category == pe.REACHABLE
    assert probe(lab, L.ALLOWED, expected_issuers=("Service Lab",)).category == pe.TLS_INTERCEPTED


def test_black_holed_host_times_out(lab):
    result = probe(lab, L.BLACKHOLE)
    assert result.category == pe.TIMEOUT
    assert result.observation.elapsed >= TIMEOUT * 0.9


def test_unknown_name_is_a_dns_failure_at_the_proxy(lab):
    if lab.dns is None:
        pytest.skip("cannot bind the NXDOMAIN server to 127.53.0.1:53 (needs root); Squid would only time out")
    result = probe(lab, L.UNKNOWN)
    assert result.category == pe.DNS_FAILURE
    assert result.observation.proxy_status == 500


def test_an_offline_proxy_still_proves_allowed_and_anonymous(lab):
    # Squid let the anonymous CONNECT through its access rules and then found no address: the
    # proxy side is ready even though nothing is reachable (a lab or a site without Internet).
    if lab.dns is None:
        pytest.skip("cannot bind the NXDOMAIN server to 127.53.0.1:53 (needs root); Squid would only time out")
    results = [probe(lab, L.UNKNOWN), probe(lab, L.UNKNOWN, path="/other")]
    assert [r.category for r in results] == [pe.DNS_FAILURE, pe.DNS_FAILURE]
    assert results[0].as_dict()["failed_at"] == "proxy"
    summary = pe.summarise(results)
    assert summary["allowed"]["status"] == pe.MET and summary["anonymous"]["status"] == pe.MET
    assert not any(r.reachable for r in results)
    assert "the proxy could not resolve" in pe.verdict(results)
    # The same through the port that demands authentication stops at 407: no evidence then.
    denied = pe.summarise([probe(lab, L.UNKNOWN, port="auth")])
    assert denied["anonymous"]["status"] == pe.NOT_MET


def test_unknown_name_is_a_dns_failure_directly(lab):
    target = pe.make_target("https://%s/test" % L.UNKNOWN)
    result = pe.run_jobs([pe.Job(target, pe.DIRECT, pe.Hop(pe.DIRECT))], policy=policy(lab), timeout=TIMEOUT)[0]
    assert result.category == pe.DNS_FAILURE
    assert result.observation.at == pe.AT_ORIGIN


def test_plain_http_through_the_proxy(lab):
    assert probe(lab, L.PLAIN).category == pe.REACHABLE
    denied = probe(lab, L.PLAIN_DENIED)
    assert denied.category == pe.BLOCKED
    assert denied.observation.proxy_status == 403


def test_proxy_that_is_not_listening_is_refused_at_the_proxy(lab):
    target = pe.make_target(lab.url(L.ALLOWED))
    dead = pe.Hop(pe.NAMED, parse_endpoint("127.0.0.1:%d" % L.free_port()))
    result = pe.run_jobs([pe.Job(target, pe.NAMED, dead)], policy=policy(lab), timeout=TIMEOUT)[0]
    assert result.category == pe.CONNECTION_REFUSED
    assert result.observation.at == pe.AT_PROXY


def test_direct_probe_to_a_local_service(lab):
    target = pe.make_target("https://localhost:%d/test" % lab.https.port)
    result = pe.run_jobs([pe.Job(target, pe.DIRECT, pe.Hop(pe.DIRECT))], policy=policy(lab), timeout=TIMEOUT)[0]
    assert result.category == pe.REACHABLE
    # Without the lab CA in the trust store the same service looks intercepted.
    untrusted = pe.run_jobs([pe.Job(target, pe.DIRECT, pe.Hop(pe.DIRECT))], policy=pe.TlsPolicy(), timeout=TIMEOUT)[0]
    assert untrusted.category == pe.TLS_INTERCEPTED
    assert "Service Lab CA" in untrusted.observation.issuer


def test_environment_and_pac_routes_reach_the_proxy(lab):
    pytest.importorskip("pypac")
    lab.http.server.pac_script = (
        'function FindProxyForURL(url, host) { if (dnsDomainIs(host, ".svc.test")) return "PROXY %s"; return "DIRECT"; }'
        % lab.proxy())
    pac = pe.load_pac(pac_url="http://127.0.0.1:%d/proxy.pac" % lab.http.port, timeout=TIMEOUT)
    targets = [pe.make_target(lab.url(L.ALLOWED)), pe.make_target(lab.url(L.DENIED))]
    environ = {"https_proxy": "http://%s" % lab.proxy(), "no_proxy": "localhost"}
    jobs = pe.plan_jobs(targets, [pe.ENVIRONMENT, pe.PAC], environ=environ, pac=pac)
    results = pe.run_jobs(jobs, policy=policy(lab), timeout=TIMEOUT)
    assert [(r.hop.route, r.category) for r in results] == [
        (pe.ENVIRONMENT, pe.REACHABLE), (pe.ENVIRONMENT, pe.BLOCKED), (pe.PAC, pe.REACHABLE), (pe.PAC, pe.BLOCKED)]
    assert results[2].hop.proxy.port == lab.squid.ports["forward"]


def test_one_run_covers_every_outcome_and_judges_the_requirements(lab):
    names = [L.ALLOWED, L.DENIED, L.BUMPED, L.BLACKHOLE]
    jobs = []
    for port in ("forward", "bump", "auth"):
        for name in names:
            jobs.append(pe.Job(pe.make_target(lab.url(name)), pe.NAMED, hop(lab, port)))
    results = pe.run_jobs(jobs, policy=policy(lab), timeout=TIMEOUT, deadline=30, concurrency=16)
    categories = [(r.hop.proxy.port, r.target.host, r.category) for r in results]
    ports = lab.squid.ports
    assert (ports["forward"], L.ALLOWED, pe.REACHABLE) in categories
    assert (ports["bump"], L.BUMPED, pe.TLS_INTERCEPTED) in categories
    assert (ports["auth"], L.ALLOWED, pe.PROXY_AUTH_REQUIRED) in categories
    summary = pe.summarise(results)
    assert summary["allowed"]["status"] == pe.NOT_MET and lab.url(L.DENIED) in summary["allowed"]["urls"]
    assert summary["not_inspected"]["status"] == pe.NOT_MET and "Inspection Lab CA" in summary["not_inspected"]["reason"]
    assert summary["anonymous"]["status"] == pe.NOT_MET
    report = pe.render_analyzer_text(results)
    assert "Testing URL : %s\n" % lab.url(L.ALLOWED) in report
    assert "4 - Named proxy (127.0.0.1:%d): Succeeded (200)" % ports["forward"] in report or \
        "4 - Named proxy (127.0.0.1:%d): Failed (407)" % ports["auth"] in report


def test_module_through_ansible_playbook(lab, tmp_path):
    """The module as Ansible ships it (module_utils packed by AnsiballZ), against the lab."""
    playbook = tmp_path / "probe.yml"
    out = tmp_path / "result.json"
    playbook.write_text("""
- hosts: localhost
  gather_facts: false
  tasks:
    - purview.device_proxy.network_url_probe:
        urls: {urls}
        routes: [direct, named]
        proxy: http://{proxy}
        ca_path: {ca}
        expected_issuers: [Service Lab CA]
        timeout: 3
        deadline: 20
      register: probe
    - ansible.builtin.copy:
        content: "{{{{ probe | to_json }}}}"
        dest: {out}
""".format(urls=json.dumps([lab.url(L.ALLOWED), lab.url(L.DENIED)]), proxy=lab.proxy(), ca=lab.origin_ca_file, out=out))
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0")
    bin_dir = os.path.dirname(sys.executable)
    run = subprocess.run([os.path.join(bin_dir, "ansible-playbook"), str(playbook)], capture_output=True, text=True,
                         env=env, timeout=120, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    result = json.loads(out.read_text())
    assert [(r["route"], r["category"]) for r in result["results"]] == [
        ("direct", "dns_failure"), ("direct", "dns_failure"), ("named", "reachable"), ("named", "blocked")]
    assert result["summary"]["allowed"]["status"] == "not_met"
    assert result["reachable_urls"] == 1
