# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A network-side run end to end: the real network_url_probe on loopback, then connectivity_report.

ansible-playbook runs network_url_probe on five local hosts against servers this test starts on
127.0.0.1 (a plain HTTP service, a TLS service whose certificate comes from a throwaway CA, a
stand-in proxy that refuses with 403 and ``X-Squid-Error`` as Squid does, one that demands
authentication with 407 and ``Proxy-Authenticate`` as RFC 9110 section 11.7.1 describes), registers
the results, and connectivity_report with ``source: network`` writes every report from them. Nothing
leaves the machine.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ansible_collections.purview.device_proxy.plugins.module_utils import failure_kinds as fk
from ansible_collections.purview.device_proxy.plugins.plugin_utils import fleet_history
from ansible_collections.purview.device_proxy.tests.unit.plugins.module_utils.loopback_server import (
    LoopbackServer,
    answering,
)

trustme = pytest.importorskip("trustme")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
COLLECTIONS = os.path.join(ROOT, ".build", "pytest")

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
# Squid's refusal: 403 with its error header (squid-cache.org, ERR_ACCESS_DENIED).
DENIED = (b"HTTP/1.1 403 Forbidden\r\nX-Squid-Error: ERR_ACCESS_DENIED 0\r\nContent-Length: 0\r\n"
          b"Connection: close\r\n\r\n")
# RFC 9110 section 11.7.1: a proxy demanding credentials answers 407 with Proxy-Authenticate.
AUTH = (b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"corp\"\r\n"
        b"Content-Length: 0\r\nConnection: close\r\n\r\n")

PLAYBOOK = """- name: Probe from every network-side host, then report once
  hosts: probes
  gather_facts: false
  tasks:
    - name: Probe the service URLs
      purview.device_proxy.network_url_probe:
        urls: "{{ probe_urls }}"
        routes: "{{ probe_routes }}"
        proxy: "{{ probe_proxy | default(omit) }}"
        ca_path: "{{ probe_ca | default(omit) }}"
        timeout: 5
        deadline: 30
      register: network_check_result
      ignore_errors: true

    - name: Write the fleet reports
      purview.device_proxy.connectivity_report:
        dest: "{{ report_dir }}"
        source: network
        result_var: network_check_result
        fail_policy: any
        history_dir: "{{ report_dir }}/history"
        metrics_file: "{{ report_dir }}/metrics/network.prom"
      run_once: true
      register: report

    - name: Show the report task's result
      ansible.builtin.debug:
        msg: "REPORT={{ report | to_json }}"
      run_once: true
"""


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    ca = trustme.CA()
    ca_file = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)

    def tls_handle(conn):
        with context.wrap_socket(conn, server_side=True) as tls:
            tls.recv(65536)
            tls.sendall(OK)

    running = {"origin": answering(OK), "tls": LoopbackServer(tls_handle), "denied": answering(DENIED),
               "auth": answering(AUTH)}
    yield running, str(ca_file)
    for server in running.values():
        server.stop()


@pytest.fixture(scope="module")
def run(servers, tmp_path_factory):
    running, ca_file = servers
    work = tmp_path_factory.mktemp("network-run")
    report_dir = work / "reports"
    http_url = {"url": "http://127.0.0.1:%d/test" % running["origin"].port, "channel": "command-and-control"}
    tls_url = {"url": "https://127.0.0.1:%d/test" % running["tls"].port, "channel": "cyber-data"}
    hosts = {
        "net-direct": {"probe_urls": [http_url], "probe_routes": ["direct"]},
        "net-blocked": {"probe_urls": [http_url], "probe_routes": ["direct", "named"],
                        "probe_proxy": "127.0.0.1:%d" % running["denied"].port},
        "net-auth": {"probe_urls": [http_url], "probe_routes": ["named"],
                     "probe_proxy": "127.0.0.1:%d" % running["auth"].port},
        "net-tls": {"probe_urls": [tls_url], "probe_routes": ["direct"], "probe_ca": ca_file},
        "net-broken": {"probe_urls": [http_url], "probe_routes": ["direct"], "probe_ca": str(work / "missing.pem")},
    }
    inventory = {"probes": {"hosts": {name: dict(variables, ansible_connection="local",
                                                 ansible_python_interpreter=sys.executable)
                                      for name, variables in hosts.items()}}}
    (work / "inventory.json").write_text(json.dumps({"all": {"children": inventory}}), encoding="utf-8")
    (work / "play.yml").write_text(PLAYBOOK, encoding="utf-8")
    env = {key: value for key, value in os.environ.items()
           if key.lower() not in ("https_proxy", "http_proxy", "all_proxy", "no_proxy")}
    env.update(ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0",
               ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_FORKS="5")
    playbook = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    proc = subprocess.run([playbook, "-i", str(work / "inventory.json"), str(work / "play.yml"),
                           "-e", "report_dir=%s" % report_dir],
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    line = next(line for line in proc.stdout.splitlines() if '"msg": "REPORT=' in line)
    task = json.loads(json.loads("{%s}" % line.strip())["msg"][len("REPORT="):])
    return task, report_dir


def test_the_fleet_json_has_every_network_host_with_its_verdict(run):
    task, report_dir = run
    assert task.get("failed") is not True, task
    fleet = json.loads((report_dir / "connectivity-fleet.json").read_text(encoding="utf-8"))
    assert fleet["source"] == "network"
    hosts = {h["host"]: h for h in fleet["hosts"]}
    assert {name: h["verdict"] for name, h in hosts.items()} == {
        "net-direct": "pass", "net-blocked": "fail", "net-auth": "fail", "net-tls": "fail",
        "net-broken": "no-result"}
    assert "ca_path" in hosts["net-broken"]["error"]
    # A 200 directly: method 3 (Proxy disabled) succeeded, and it is the route judged.
    assert hosts["net-direct"]["configured"] == {"method": "disabled", "proxy": None}
    assert hosts["net-direct"]["results"][0]["methods"] == ["N", "N", "S200", "N", "N"]
    # The proxy's 403 fails the named route, which is judged though direct answered.
    blocked = hosts["net-blocked"]
    assert blocked["configured"]["method"] == "named"
    assert blocked["results"][0]["strict"] == "fail" and blocked["results"][0]["analyzer"] == "pass"
    assert blocked["results"][0]["methods"][2:4] == ["S200", "F403"]
    assert blocked["failures"][0]["methods"][3]["code"] == "403 from the proxy"
    assert fk.DESCRIPTIONS[fk.BLOCKED] in blocked["failures"][0]["diagnosis"]
    assert hosts["net-auth"]["failures"][0]["methods"][3]["code"] == "407"
    assert fk.DESCRIPTIONS[fk.PROXY_AUTH_REQUIRED] in hosts["net-auth"]["failures"][0]["diagnosis"]
    tls = hosts["net-tls"]["failures"][0]
    assert tls["methods"][2]["code"].startswith("tls_intercepted, issuer ")
    column = [u["url"] for u in fleet["urls"]].index(tls["url"])
    assert tls["url"].startswith("https://") and hosts["net-tls"]["results"][column]["methods"][2] == "Ftls-intercepted"
    assert task["totals"]["hosts"] == 5 and task["totals"]["no_result"] == 1
    assert sorted(task["failed_hosts"]) == ["net-auth", "net-blocked", "net-broken", "net-tls"]
    assert task["policy_failures"]["net-direct"] == []
    assert task["policy_failures"]["net-blocked"] == [blocked["failures"][0]["url"]]


def test_junit_html_and_text_carry_the_network_hosts(run):
    _task, report_dir = run
    suites = {s.get("name"): s for s in ET.parse(str(report_dir / "connectivity-junit.xml")).getroot()}
    assert set(suites) == {"net-direct", "net-blocked", "net-auth", "net-tls", "net-broken"}
    assert suites["net-direct"].get("failures") == "0" and suites["net-direct"].get("tests") == "1"
    failure = suites["net-blocked"].find("testcase/failure")
    assert failure is not None and "4 - Named proxy (127.0.0.1:" in failure.text
    assert "Failed (403 from the proxy)" in failure.text
    assert suites["net-broken"].get("errors") == "1"
    # A host without a result is named after the module that did not give one.
    assert suites["net-broken"].find("testcase").get("name") == "network_url_probe"
    html = (report_dir / "connectivity-fleet.html").read_text(encoding="utf-8")
    for host in ("net-direct", "net-blocked", "net-auth", "net-tls", "net-broken"):
        assert host in html
    assert "network side (network_url_probe)" in html
    text = (report_dir / "hosts" / "net-direct.txt").read_text(encoding="utf-8")
    assert "3 - Proxy disabled (direct): Succeeded (200)" in text
    assert "Source: network_url_probe on net-direct" in text
    assert not (report_dir / "hosts" / "net-broken.txt").exists()
    summary = (report_dir / "connectivity-summary.txt").read_text(encoding="utf-8")
    assert "5 hosts: 3 failing, 1 passing, 1 without result" in summary


def test_history_and_metrics_carry_the_network_hosts(run):
    _task, report_dir = run
    entries, warnings = fleet_history.load_entries(str(report_dir / "history"), 10)
    assert warnings == [] and len(entries) == 1
    # One letter per URL under the strict and the analyzer verdict; "." where the host did not test it
    # (the HTTP URL first, the TLS URL second, in the order first seen).
    assert entries[0]["hosts"] == {
        "net-direct": ["tested", "disabled", "P.", "P."],
        "net-blocked": ["tested", "named", "F.", "P."],
        "net-auth": ["tested", "named", "F.", "F."],
        "net-tls": ["tested", "disabled", ".F", ".F"],
        "net-broken": ["no-result", None, "", ""],
    }
    text = (report_dir / "metrics" / "network.prom").read_text(encoding="utf-8")
    families = {f.name: f for f in text_string_to_metric_families(text)}
    tested = {s.labels["host"]: s.value for s in families["purview_connectivity_host_tested"].samples}
    assert tested == {"net-direct": 1, "net-blocked": 1, "net-auth": 1, "net-tls": 1, "net-broken": 0}
    failed = {s.labels["host"]: s.value for s in families["purview_connectivity_host_failed_urls"].samples}
    assert failed["net-direct"] == 0 and failed["net-blocked"] == 1 and failed["net-tls"] == 1
    method = {s.labels["host"]: s.labels["method"] for s in families["purview_connectivity_host_configured_method"].samples}
    assert method["net-blocked"] == "named" and method["net-direct"] == "disabled"


# --- the source option through the action ---------------------------------------------------------
def _network_result(category="reachable", status=200):
    from ansible_collections.purview.device_proxy.plugins.module_utils import probe_engine as engine

    target = engine.make_target("https://winatp-gw-cus.microsoft.com/test")
    observation = engine.Observation(status=status)
    probe = engine.ProbeResult(target, engine.Hop(engine.DIRECT), observation, category, "HTTP %s" % status)
    return {"changed": False, "results": [probe.as_dict()], "skipped_routes": {}, "counts": {}}


def _report(args, task_vars):
    from ansible_collections.purview.device_proxy.tests.unit.plugins.action.test_connectivity_report import run_report

    return run_report(args, task_vars)


def test_a_network_result_in_a_device_report_is_refused_naming_the_host(tmp_path):
    hostvars = {"net-01": {"connectivity_check_result": _network_result()}}
    outcome = _report({"dest": str(tmp_path)}, {"hostvars": hostvars, "ansible_play_hosts_all": ["net-01"]})
    assert outcome["failed"] is True
    assert outcome["invalid_option"] == "results[net-01].results"
    assert "source: network" in outcome["msg"]
    assert not os.listdir(str(tmp_path))  # refused before anything is written


def test_a_device_result_in_a_network_report_is_refused_naming_the_host(tmp_path):
    device = {"changed": False, "urls": [], "summary": {}, "configured": {"method": "default"}}
    results = {"net-01": _network_result(), "win10-01": device}
    outcome = _report({"dest": str(tmp_path), "source": "network", "results": results}, {})
    assert outcome["failed"] is True and outcome["invalid_option"] == "results[win10-01].urls"
    bad = _report({"dest": str(tmp_path), "source": "networks", "results": results}, {})
    assert bad["failed"] is True and "source" in bad["msg"]


def test_network_hosts_get_policy_failures_like_devices(tmp_path):
    results = {"net-ok": _network_result(), "net-bad": _network_result("dns_failure", None), "net-none": None}
    outcome = _report({"dest": str(tmp_path), "source": "network", "results": results, "fail_policy": "any",
                       "formats": ["json"]}, {})
    assert outcome.get("failed") is not True, outcome
    assert outcome["policy_failures"] == {"net-ok": [], "net-bad": ["https://winatp-gw-cus.microsoft.com/test"]}
    assert sorted(outcome["failed_hosts"]) == ["net-bad", "net-none"]
