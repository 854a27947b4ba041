# -*- coding: utf-8 -*-
"""squid_allowlist in corporate configurations, run in a real Squid.

For every file of corpus/ (see corpus/README.md: each starts from Squid's own documentation and
names its source): start Squid with the file as written, ask as an anonymous device for the
allowlisted hosts and for a host nobody listed, place the block with the module (which validates and
reloads), and ask again. Every allowlisted host must then pass, its TLS spliced (the origin's own
certificate) where the file bumps; the unlisted host must get exactly the answer it got before
(status and offered authentication schemes, or the same interception). One Squid runs at a time.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import ssl
import time

import pytest

import squid_lab as L
from ansible_collections.purview.device_proxy.plugins.modules import squid_allowlist
from ansible_collections.purview.device_proxy.plugins.plugin_utils.allowlist import render_squid
from ansible_collections.purview.device_proxy.tests.unit.plugins.modules.module_runner import run_module as run_python_module

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = sorted(glob.glob(os.path.join(HERE, "corpus", "*.conf")))
# The test device: inside the client networks the files list (@CLIENT@), never "localhost" (127.0.0.1).
CLIENT = "127.0.0.9"
# The stand-in service listens on port 443 like the real one: the files refuse CONNECT to other ports.
# Its own loopback address keeps it apart from other tests that listen on 127.0.0.1.
ORIGIN_ADDRESS = "127.44.%d.%d" % ((os.getpid() >> 8) % 250 + 1, os.getpid() % 250 + 1)
LISTED = ["events.data.mde.test", "eu-v20.events.wd.mde.test", "winatp-gw-weu.wd.mde.test"]
UNLISTED = "unlisted.example.test"
BLOCK = render_squid(["https://events.data.mde.test/", "https://*.wd.mde.test/"], acl_name="mde_service")
# Helpers that cannot run without a directory here; anonymous clients never reach a helper.
STUBBED_HELPERS = ("negotiate_kerberos_auth", "negotiate_wrapper_auth")
STUB = "#!/bin/sh\nwhile read -r line; do echo 'BH stub helper'; done\n"


@pytest.fixture(scope="module")
def corpus_lab():
    trustme = pytest.importorskip("trustme")
    from cryptography import x509

    workdir = L.make_lab_dir("pdp-corpus-")
    origin_ca = trustme.CA(organization_name="Corpus Service CA", key_type=trustme.KeyType.RSA)
    origin_ca_file = os.path.join(workdir, "origin-ca.pem")
    origin_ca.cert_pem.write_to_path(origin_ca_file)
    bump_ca = trustme.CA(organization_name="Corpus Inspection CA", key_type=trustme.KeyType.RSA)
    bump_ca_file = os.path.join(workdir, "bump-ca.pem")
    L.write_pem(bump_ca_file, bump_ca.cert_pem, bump_ca.private_key_pem)
    leaf = origin_ca.issue_cert(*(LISTED + [UNLISTED]), key_type=trustme.KeyType.RSA)
    try:
        origin = L.Origin(host=ORIGIN_ADDRESS, port=443, tls_cert=leaf, label="corpus-origin").start()
    except OSError as exc:
        shutil.rmtree(workdir, ignore_errors=True)
        pytest.skip("cannot listen on %s:443 (%s)" % (ORIGIN_ADDRESS, exc))
    dns = L.start_dns()
    lab = dict(workdir=workdir, origin_ca_file=origin_ca_file, bump_ca_file=bump_ca_file, x509=x509,
               dns=dns.host if dns else None, hosts={name: ORIGIN_ADDRESS for name in LISTED + [UNLISTED]})
    try:
        yield lab
    finally:
        origin.stop()
        if dns is not None:
            dns.stop()
        shutil.rmtree(workdir, ignore_errors=True)


# --- the configuration as the test runs it -----------------------------------------------------

def prepare(source: str, workdir: str, squid: L.Squid, lab: dict) -> str:
    """Copy the file and its companion folder into ``workdir`` with the placeholders filled in;
    return the text of squid.conf (the lab's own lines first)."""
    companion = source[:-len(".conf")] + ".d"
    if os.path.isdir(companion):
        shutil.copytree(companion, workdir, dirs_exist_ok=True)
    stub = os.path.join(workdir, "stub-helper")
    with open(stub, "w") as handle:
        handle.write(STUB)
    os.chmod(stub, 0o755)
    values = {"@LISTEN@": "127.0.0.1:%d" % squid.port, "@CLIENT@": CLIENT + "/32", "@CONF_DIR@": workdir,
              "@BUMP_CA@": lab["bump_ca_file"], "@SSL_DB@": squid.ssl_db}

    def fill(text: str) -> str:
        for key, value in values.items():
            text = text.replace(key, value)
        return "\n".join(stubbed(line, stub) for line in text.split("\n"))

    for root, _dirs, files in os.walk(workdir):
        for name in files:
            if name.endswith(".conf"):
                path = os.path.join(root, name)
                with open(path) as handle:
                    text = handle.read()
                with open(path, "w") as handle:
                    handle.write(fill(text))
    with open(source) as handle:
        body = fill(handle.read())
    lab_lines = [
        "# test lab: files, loopback DNS, the stand-in service's CA",
        "pid_filename %s" % squid.pid_file,
        "cache_log %s" % squid.cache_log,
        "access_log stdio:%s" % squid.access_log,
        "cache_store_log none",
        "hosts_file %s" % squid.hosts_file,
        "dns_nameservers %s" % (lab["dns"] or "127.0.0.1"),
        "dns_timeout 3 seconds",
        "connect_timeout 5 seconds",
        "pinger_enable off",
        "shutdown_lifetime 0 seconds",
        "visible_hostname squid-corpus.test",
        "tls_outgoing_options cafile=%s" % lab["origin_ca_file"],
    ]
    return "\n".join(lab_lines) + "\n" + body


def stubbed(line: str, stub: str) -> str:
    """An auth_param program line whose helper cannot run here, pointed at the stub."""
    words = line.split()
    if len(words) >= 4 and words[0] == "auth_param" and words[2] == "program":
        program = words[3]
        if os.path.basename(program) in STUBBED_HELPERS or not os.path.exists(program):
            return "auth_param %s program %s" % (words[1], stub)
    return line


# --- what an anonymous device sees -----------------------------------------------------------------

def answer(lab: dict, port: int, host: str) -> tuple:
    """What the proxy answers a device's CONNECT to host:443: (status, authentication schemes
    offered) when it refuses, (200, 'spliced' | 'bumped', origin status) when it lets it through."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(10)
    try:
        sock.bind((CLIENT, 0))
        sock.connect(("127.0.0.1", port))
        sock.sendall(("CONNECT %s:443 HTTP/1.1\r\nHost: %s:443\r\n\r\n" % (host, host)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            data = sock.recv(4096)
            if not data:
                break
            head += data
        lines = head.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        if status != 200:
            schemes = sorted(line.split(":", 1)[1].split()[0] for line in lines[1:]
                             if line.lower().startswith("proxy-authenticate:"))
            return (status, tuple(schemes))
        return (200,) + tls_through(lab, sock, host)
    finally:
        sock.close()


def tls_through(lab: dict, sock: socket.socket, host: str) -> tuple:
    """('spliced', origin status) when the origin's own certificate arrives, ('bumped', issuer) when
    the proxy's interception CA signed it."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # read the certificate whoever issued it, then judge the issuer
    with context.wrap_socket(sock, server_hostname=host) as tls:
        issuer = lab["x509"].load_der_x509_certificate(tls.getpeercert(binary_form=True)).issuer.rfc4514_string()
        if "Corpus Inspection CA" in issuer:
            return ("bumped", "Corpus Inspection CA")
        assert "Corpus Service CA" in issuer, issuer
        tls.sendall(("GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % host).encode())
        first = tls.recv(4096).split(b"\r\n", 1)[0].decode("latin-1")
        return ("spliced", int(first.split(" ", 2)[1]))


def settled(lab: dict, port: int, host: str, timeout: float = 20.0) -> tuple:
    """The answer once a reloading Squid has taken the new configuration (it passes), or the last one."""
    end = time.monotonic() + timeout
    seen: tuple = ()
    while time.monotonic() < end:
        try:
            seen = answer(lab, port, host)
        except OSError:
            seen = ("no answer",)
        if seen[:2] == (200, "spliced"):
            return seen
        time.sleep(0.3)
    return seen


# --- the corpus -------------------------------------------------------------------------------------

def test_the_corpus_is_as_large_as_promised():
    assert len(CORPUS) >= 12
    for path in CORPUS:
        with open(path) as handle:
            head = handle.read(2000)
        assert "Source" in head, "%s names no source" % os.path.basename(path)


@pytest.mark.parametrize("source", CORPUS, ids=[os.path.basename(p)[:-5] for p in CORPUS])
def test_corpus_file(corpus_lab, source, capsys, record_property):
    lab = corpus_lab
    workdir = L.make_lab_dir("pdp-corpus-run-")
    bumps = "ssl-bump" in open(source).read()
    squid = L.Squid(workdir, "", lab["hosts"], lab["origin_ca_file"], lab["bump_ca_file"], port_names=("corpus",),
                    bump_ports=("corpus",) if bumps else (), dns_server=lab["dns"])
    text = prepare(source, workdir, squid, lab)
    with open(squid.conf, "w") as handle:
        handle.write(text)
    try:
        squid.start()
        before = {host: answer(lab, squid.port, host) for host in LISTED + [UNLISTED]}

        result = run_python_module(squid_allowlist.main, {"path": squid.conf, "block": BLOCK, "squid_binary": L.SQUID}, capsys)
        assert result["_rc"] == 0 and result["changed"] and result["validated"] and result["reloaded"], result

        after = {host: settled(lab, squid.port, host) for host in LISTED}
        after[UNLISTED] = answer(lab, squid.port, UNLISTED)
        for host in LISTED:
            assert after[host] == (200, "spliced", 200), (host, after[host], squid.log_tail())
        assert after[UNLISTED] == before[UNLISTED], (before[UNLISTED], after[UNLISTED])
        record_property("corpus", "%s: block before %r; listed %s -> %s; unlisted %s -> %s" % (
            os.path.basename(source), result["placed_before"], before[LISTED[0]], after[LISTED[0]],
            before[UNLISTED], after[UNLISTED]))

        # Idempotent: a second run changes nothing and reloads nothing.
        again = run_python_module(squid_allowlist.main, {"path": squid.conf, "block": BLOCK, "squid_binary": L.SQUID}, capsys)
        assert again["_rc"] == 0 and again["changed"] is False and again["reloaded"] is False, again
    finally:
        squid.stop()
        shutil.rmtree(workdir, ignore_errors=True)
