# -*- coding: utf-8 -*-
"""squid_allowlist against a real running Squid: the block makes a host allowed, spliced and anonymous;
a block that fails validation leaves the file and the running Squid as they were; a comment holding a
form feed stays a comment."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time

import pytest

import squid_lab as L
from ansible_collections.purview.device_proxy.plugins.module_utils import probe_engine as pe
from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import parse_endpoint
from ansible_collections.purview.device_proxy.plugins.modules import squid_allowlist
from ansible_collections.purview.device_proxy.tests.unit.plugins.modules.module_runner import run_module as run_python_module

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


def serving(workdir, squid):
    """Start ``squid`` for a fixture; stop it and remove its folder when the tests are done."""
    try:
        squid.start()
        yield squid
    finally:
        squid.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def locked(lab):
    """A second Squid (intercepting port) with the locked-down policy, sharing the lab's origins."""
    workdir = L.make_lab_dir()
    squid = L.Squid(workdir, LOCKED_DOWN, lab.hosts(), lab.origin_ca_file, lab.bump_ca_file,
                    auth_users={lab.user: lab.password}, port_names=("bump",), bump_ports=("bump",),
                    dns_server=lab.dns.host if lab.dns else None)
    yield from serving(workdir, squid)


def run_module(args, capsys):
    return run_python_module(squid_allowlist.main, args, capsys)


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
    # The diff is the managed block alone: the rest of squid.conf (auth_param, ...) stays out of it.
    assert "acl svc_sites dstdomain" in result["diff"]["after"] and result["diff"]["before"] == ""
    assert "auth_param" not in result["diff"]["after"]
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
    summary = pe.summarise([result])
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


# --- a comment that holds a form feed stays a comment ----------------------------------------------

# Squid ends a line at "\n" only: the form feed below is part of a comment. A rewrite that splits
# the file at every line break Python knows writes the tail back as a live "http_access allow all".
FORM_FEED_POLICY = """
acl svc_sites dstdomain {allowed}
# old rule:\x0chttp_access allow all
http_access deny all
"""


def connect_status(port: int, host: str, target_port: int) -> int:
    """The status code a Squid answers to a CONNECT for host:target_port."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(("CONNECT %s:%d HTTP/1.1\r\nHost: %s:%d\r\n\r\n" % (host, target_port, host, target_port)).encode())
        head = b""
        while b"\r\n" not in head:
            data = sock.recv(4096)
            if not data:
                break
            head += data
    return int(head.split(b" ", 2)[1])


def settled_status(port: int, host: str, target_port: int) -> int:
    """connect_status, or 0 while a reloading Squid has its port closed."""
    try:
        return connect_status(port, host, target_port)
    except OSError:
        return 0


def processed(conf: str) -> list[str]:
    """The directives 'squid -k parse' reports it processed."""
    done = subprocess.run([L.SQUID, "-k", "parse", "-f", conf], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return [line.split("Processing: ", 1)[1].strip() for line in done.stderr.splitlines() if "Processing: " in line]


@pytest.fixture
def form_feed_squid(lab):
    workdir = L.make_lab_dir()
    squid = L.Squid(workdir, FORM_FEED_POLICY.format(allowed=L.ALLOWED), lab.hosts(), lab.origin_ca_file,
                    dns_server=lab.dns.host if lab.dns else None)
    yield from serving(workdir, squid)


def test_a_form_feed_in_a_comment_never_opens_the_proxy(lab, form_feed_squid, capsys):
    squid = form_feed_squid
    original = open(squid.conf, "rb").read()
    assert b"# old rule:\x0chttp_access allow all\n" in original
    assert "http_access allow all" not in processed(squid.conf)
    assert connect_status(squid.port, L.DENIED, lab.https.port) == 403

    block = "acl svc_extra dstdomain %s\nhttp_access allow svc_extra\n" % L.BUMPED
    result = run_module({"path": squid.conf, "block": block, "squid_binary": L.SQUID}, capsys)
    assert result["_rc"] == 0 and result["changed"] and result["validated"] and result["reloaded"], result

    # The reloaded Squid allows the block's host and still refuses everything else.
    assert wait_for(lambda: settled_status(squid.port, L.BUMPED, lab.https.port) == 200), squid.log_tail()
    assert connect_status(squid.port, L.DENIED, lab.https.port) == 403
    # Squid itself still reads the comment as a comment: no live allow-all rule.
    assert "http_access allow all" not in processed(squid.conf)
    written = open(squid.conf, "rb").read()
    assert written.replace(("# BEGIN purview.device_proxy allowlist\n%s# END purview.device_proxy allowlist\n"
                            % block).encode(), b"") == original


# --- an authentication rule in an included file ------------------------------------------------------

INCLUDED_AUTH = """acl authenticated proxy_auth REQUIRED
http_access allow authenticated
"""


@pytest.fixture
def include_squid(lab):
    workdir = L.make_lab_dir()
    included = os.path.join(workdir, "auth.conf")
    with open(included, "w") as handle:
        handle.write(INCLUDED_AUTH)
    squid = L.Squid(workdir, "include %s\nhttp_access deny all\n" % included, lab.hosts(), lab.origin_ca_file,
                    auth_users={lab.user: lab.password}, dns_server=lab.dns.host if lab.dns else None)
    yield from serving(workdir, squid)


def test_the_block_precedes_an_authentication_rule_in_an_included_file(lab, include_squid, capsys):
    squid = include_squid
    assert connect_status(squid.port, L.ALLOWED, lab.https.port) == 407
    result = run_module({"path": squid.conf, "block": BLOCK.format(host=L.ALLOWED), "squid_binary": L.SQUID}, capsys)
    assert result["_rc"] == 0 and result["reloaded"], result
    # Anonymous devices reach the service; everything else still needs credentials.
    assert wait_for(lambda: settled_status(squid.port, L.ALLOWED, lab.https.port) == 200), squid.log_tail()
    assert connect_status(squid.port, L.DENIED, lab.https.port) == 407
    assert result["placed_before"] == "http_access allow authenticated"


# --- what the real Squid echoes, and what the module returns of it ------------------------------------

def test_parse_output_withholds_a_secret_the_real_squid_echoes(tmp_path, capsys):
    # An external_acl_type line Squid 5.7 cannot read ('%>ul' is no format code): squid -k parse
    # echoes the whole line, bind password included ("Bungled FILE line N: ...").
    conf = tmp_path / "squid.conf"
    conf.write_text("http_port 127.0.0.1:3128\n"
                    "external_acl_type ldap_group %>ul /usr/lib/squid/ext_ldap_group_acl -b dc=corp,dc=example "
                    "-D cn=squid,dc=corp,dc=example -w Sq41d-bind -f (member=%u) -h ldap.corp.example\n"
                    "http_access deny all\n")
    echoed = subprocess.run([L.SQUID, "-k", "parse", "-f", str(conf)], capture_output=True, text=True, check=False)
    assert echoed.returncode != 0 and "Sq41d-bind" in echoed.stderr  # the leak is real
    result = run_module({"path": str(conf), "block": BLOCK.format(host=L.ALLOWED), "squid_binary": L.SQUID}, capsys)
    assert result["_rc"] == 1 and "Bungled" in result["parse_output"], result
    assert "external_acl_type" in result["parse_output"]
    assert "Sq41d" not in json.dumps(result)


def test_squid_merges_an_acl_name_in_another_case_and_the_module_refuses_it(tmp_path, capsys):
    conf = tmp_path / "squid.conf"
    original = "http_port 127.0.0.1:3128\nacl SVC_SITES dstdomain .example.org\nhttp_access deny all\n"
    conf.write_text(original)
    merged = original + "acl svc_sites dstdomain %s\n" % L.ALLOWED
    probe = tmp_path / "merged.conf"
    probe.write_text(merged)
    debug = subprocess.run([L.SQUID, "-X", "-k", "parse", "-f", str(probe)], capture_output=True, text=True, check=False)
    assert "Appending to 'svc_sites'" in debug.stderr  # Squid's own reading: one ACL, two lists
    result = run_module({"path": str(conf), "block": BLOCK.format(host=L.ALLOWED), "squid_binary": L.SQUID}, capsys)
    assert result["_rc"] == 1 and result["rule"] == "acl-name-collision", result
    assert conf.read_text() == original
