# -*- coding: utf-8 -*-
"""squid_allowlist against a real running Squid: the block makes a host allowed, spliced and anonymous;
a block that fails validation leaves the file and the running Squid as they were."""

import json
import os
import time

import pytest
from ansible.module_utils.testing import patch_module_args

import squid_lab as L
from ansible_collections.purview.device_proxy.plugins.module_utils import probe_engine as pe
from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import parse_endpoint
from ansible_collections.purview.device_proxy.plugins.modules import squid_allowlist

# A proxy that authenticates everybody and inspects all TLS: what the service cannot work with.
LOCKED_DOWN = """
acl authenticated proxy_auth REQUIRED
acl step1 at_step SslBump1
http_access allow authenticated
http_access deny all
ssl_bump peek step1
ssl_bump bump all
"""

BLOCK = """acl svc_sites dstdomain {host}
acl svc_splice ssl::server_name {host}
http_access allow svc_sites
ssl_bump splice svc_splice
"""


@pytest.fixture(scope="module")
def locked(lab):
    """A second Squid (intercepting port) with the locked-down policy, sharing the lab's origins."""
    workdir = L.make_lab_dir()
    squid = L.Squid(workdir, LOCKED_DOWN, lab.hosts(), lab.origin_ca_file, lab.bump_ca_file,
                    auth_users={lab.user: lab.password}, port_names=("bump",), bump_ports=("bump",),
                    dns_server=lab.dns.host if lab.dns else None)
    try:
        squid.start()
        yield squid
    finally:
        squid.stop()
        import shutil
        shutil.rmtree(workdir, ignore_errors=True)


def run_module(args, capsys):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as info:
            squid_allowlist.main()
    output = json.loads(capsys.readouterr().out)
    output["_rc"] = info.value.code
    return output


def probe_allowed(lab, squid):
    target = pe.make_target(lab.url(L.ALLOWED))
    hop = pe.Hop(pe.NAMED, parse_endpoint("127.0.0.1:%d" % squid.port))
    return pe.run_jobs([pe.Job(target, pe.NAMED, hop)], policy=pe.TlsPolicy(ca_file=lab.origin_ca_file, expected_issuers=("Service Lab CA",)),
                       timeout=3)[0]


def wait_for(predicate, timeout=15.0):
    end = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > end:
            return value
        time.sleep(0.3)


def read_pid(squid):
    with open(squid.pid_file) as handle:
        return int(handle.read().strip())


def test_check_mode_validates_with_the_real_squid_and_changes_nothing(lab, locked, capsys):
    before = open(locked.conf).read()
    inode = os.stat(locked.conf).st_ino
    folder = sorted(os.listdir(os.path.dirname(locked.conf)))
    args = {"path": locked.conf, "block": BLOCK.format(host=L.ALLOWED), "squid_binary": L.SQUID,
            "_ansible_check_mode": True, "_ansible_diff": True}
    result = run_module(args, capsys)
    assert result["_rc"] == 0, result
    assert result["changed"] is True and result["validated"] is True and result["reloaded"] is False
    assert "acl svc_sites dstdomain" in result["diff"]["after"] and result["diff"]["before"] == before
    assert open(locked.conf).read() == before and os.stat(locked.conf).st_ino == inode
    assert sorted(os.listdir(os.path.dirname(locked.conf))) == folder
    assert probe_allowed(lab, locked).category == pe.PROXY_AUTH_REQUIRED

    broken = dict(args, block=args["block"] + "this_is_not_a_directive on\n")
    refused = run_module(broken, capsys)
    assert refused["_rc"] == 1 and "this_is_not_a_directive" in refused["parse_output"]
    assert open(locked.conf).read() == before


def test_block_makes_the_host_allowed_spliced_and_anonymous_then_stays_put(lab, locked, capsys):
    assert probe_allowed(lab, locked).category == pe.PROXY_AUTH_REQUIRED
    pid = read_pid(locked)
    args = {"path": locked.conf, "block": BLOCK.format(host=L.ALLOWED), "squid_binary": L.SQUID}
    first = run_module(args, capsys)
    assert first["_rc"] == 0, first
    assert first["changed"] and first["validated"] and first["reloaded"]
    # Reloaded in place: the same master process keeps serving, no restart.
    assert locked.running() and read_pid(locked) == pid
    assert first["placed_before"] == "http_access allow authenticated"
    result = wait_for(lambda: probe_allowed(lab, locked) if probe_allowed(lab, locked).category == pe.REACHABLE else None)
    assert result is not None, locked.log_tail()
    assert "O=Service Lab CA" in result.observation.issuer
    summary = pe.summarize([result])
    assert [summary[k]["status"] for k in ("allowed", "not_inspected", "anonymous")] == ["met", "met", "met"]

    second = run_module(args, capsys)
    assert second["_rc"] == 0 and second["changed"] is False and second["reloaded"] is False


def test_broken_block_never_replaces_the_working_configuration(lab, locked, capsys):
    before = open(locked.conf).read()
    stat_before = os.stat(locked.conf)
    broken = BLOCK.format(host=L.ALLOWED) + "this_is_not_a_directive on\n"
    result = run_module({"path": locked.conf, "block": broken, "squid_binary": L.SQUID}, capsys)
    assert result["_rc"] == 1
    assert "this_is_not_a_directive" in result["parse_output"]
    assert open(locked.conf).read() == before
    assert os.stat(locked.conf).st_ino == stat_before.st_ino
    assert locked.running()
    assert not any(name.endswith(".candidate") for name in os.listdir(os.path.dirname(locked.conf)))
    assert probe_allowed(lab, locked).category == (pe.REACHABLE if "svc_sites" in before else pe.PROXY_AUTH_REQUIRED)
