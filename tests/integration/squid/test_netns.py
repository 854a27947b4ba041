# -*- coding: utf-8 -*-
"""A locked-down device network built and torn down by the test: a client network namespace whose
only way out is the proxy (every other destination is black-holed), so direct probes fail and
proxied probes succeed.

Layout: namespace <ns> --veth--> this host. The client has 10.231.N.2/30 and a blackhole default
route; the host end 10.231.N.1 carries only the lab Squid. Names resolve (through a hosts file
that ``ip netns exec`` mounts for the namespace) to a TEST-NET address, so the direct failure is
the dropped egress, not DNS.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys

import pytest

import squid_lab as L

HERE = os.path.dirname(os.path.abspath(__file__))
COLLECTIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(HERE))), ".build", "pytest")
IP = shutil.which("ip") or "/usr/sbin/ip"

CLIENT_SCRIPT = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from ansible_collections.purview.device_proxy.plugins.module_utils import probe_engine as pe
from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import parse_endpoint
urls, proxy, ca = json.loads(sys.argv[2]), sys.argv[3], sys.argv[4]
targets = pe.make_targets(urls)
named = pe.Hop(pe.NAMED, parse_endpoint(proxy))
jobs = pe.plan_jobs(targets, [pe.DIRECT, pe.NAMED], named=named)
results = pe.run_jobs(jobs, policy=pe.TlsPolicy(ca_file=ca, expected_issuers=("Service Lab CA",)), timeout=3, deadline=20)
print(json.dumps({"results": [r.as_dict() for r in results], "summary": pe.summarise(results),
                  "verdict": pe.verdict(results)}))
"""


def ip(*args, check=True):
    return subprocess.run([IP] + list(args), capture_output=True, text=True, check=check)


class DeviceNetwork:
    """The namespace, its veth link and its /etc/netns files; ``close`` removes all of them."""

    def __init__(self):
        suffix = "%05d" % random.randint(0, 99999)
        self.name = "pdp-dev-%s" % suffix
        self.host_if, self.client_if = "pdph%s" % suffix, "pdpc%s" % suffix
        octet = random.randint(0, 63) * 4
        self.host_ip, self.client_ip = "10.231.%d.1" % (octet // 4), "10.231.%d.2" % (octet // 4)
        self.etc = os.path.join("/etc/netns", self.name)
        self.created = False

    def open(self, hosts):
        ip("netns", "add", self.name)
        self.created = True
        ip("link", "add", self.host_if, "type", "veth", "peer", "name", self.client_if)
        ip("link", "set", self.client_if, "netns", self.name)
        ip("addr", "add", self.host_ip + "/30", "dev", self.host_if)
        ip("link", "set", self.host_if, "up")
        ip("-n", self.name, "addr", "add", self.client_ip + "/30", "dev", self.client_if)
        ip("-n", self.name, "link", "set", self.client_if, "up")
        ip("-n", self.name, "link", "set", "lo", "up")
        # Direct egress dropped: everything but the proxy link goes nowhere.
        ip("-n", self.name, "route", "add", "blackhole", "default")
        os.makedirs(self.etc, exist_ok=True)
        with open(os.path.join(self.etc, "hosts"), "w") as handle:
            handle.write("127.0.0.1 localhost\n")
            for name in hosts:
                handle.write("192.0.2.10 %s\n" % name)
        with open(os.path.join(self.etc, "resolv.conf"), "w") as handle:
            handle.write("nameserver 127.0.0.1\n")

    def run(self, *command, timeout=60):
        return subprocess.run([IP, "netns", "exec", self.name] + list(command), capture_output=True, text=True,
                              timeout=timeout, check=False)

    def close(self):
        if self.created:
            ip("netns", "del", self.name, check=False)  # also removes the veth pair
        ip("link", "del", self.host_if, check=False)
        shutil.rmtree(self.etc, ignore_errors=True)


def namespaces_missing_reason():
    if os.geteuid() != 0:
        return "network namespaces need root"
    if not os.path.exists(IP):
        return "the ip command (iproute2) is missing"
    probe = "pdp-probe-%05d" % random.randint(0, 99999)
    made = ip("netns", "add", probe, check=False)
    if made.returncode != 0:
        return "cannot create a network namespace here: %s" % made.stderr.strip()
    ip("netns", "del", probe, check=False)
    return None


@pytest.fixture(scope="module")
def device_network():
    reason = namespaces_missing_reason()
    if reason:
        pytest.skip("namespace scenario skipped: " + reason)
    network = DeviceNetwork()
    lab = None
    try:
        network.open([L.ALLOWED, L.DENIED])
        lab = L.Lab(extra_addresses=(network.host_ip,))
        lab.start_squid()
        yield network, lab
    finally:
        if lab is not None:
            lab.stop()
        network.close()


def test_only_the_proxy_gets_out_of_the_device_network(device_network):
    network, lab = device_network
    urls = [lab.url(L.ALLOWED), lab.url(L.DENIED)]
    proxy = "%s:%d" % (network.host_ip, lab.squid.ports["forward"])
    run = network.run(sys.executable, "-c", CLIENT_SCRIPT, COLLECTIONS_DIR, json.dumps(urls), proxy, lab.origin_ca_file)
    assert run.returncode == 0, run.stderr[-3000:]
    data = json.loads(run.stdout)
    outcome = [(r["route"], r["url"], r["category"]) for r in data["results"]]
    assert outcome == [
        ("direct", urls[0], "network_unreachable"),
        ("direct", urls[1], "network_unreachable"),
        ("named", urls[0], "reachable"),
        ("named", urls[1], "blocked"),
    ]
    assert data["summary"]["anonymous"]["status"] == "met"
    assert data["summary"]["not_inspected"]["status"] == "met"
    assert "direct: 0 of 2 reachable (network_unreachable 2)" in data["verdict"]


def test_the_namespace_really_has_no_direct_way_out(device_network):
    network, lab = device_network
    # The lab's origin listens on the host's loopback; from the namespace even its port is out of reach.
    script = ("import socket\ntry:\n    socket.create_connection(('%s', %d), timeout=2)\n    print('connected')\n"
              "except OSError as exc:\n    print(type(exc).__name__)\n") % ("192.0.2.10", lab.https.port)
    run = network.run(sys.executable, "-c", script)
    assert run.stdout.strip() != "connected"
    assert run.stdout.strip() in ("OSError", "TimeoutError", "timeout")
