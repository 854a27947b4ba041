# -*- coding: utf-8 -*-
"""A loopback lab for proxy tests: TLS origin servers, a black hole, and a real Squid.

Everything listens on 127.0.0.0/8 (or on links the caller creates), on free ports, with its own
files in one temporary folder, and stops when asked. Used by the pytest integration tests, the
molecule scenario (through the command line at the bottom) and tools/bench/bench_network_probe.py.

Squid notes (TESTING-NOTES.md): started as root it drops to the ``proxy`` user, so the lab
folder is opened up and handed to that user; ``hosts_file`` holds one name per line and
``dns_nameservers 127.0.0.1`` keeps lookups on the machine.
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

SQUID = os.environ.get("SQUID_BINARY", "/usr/sbin/squid")
CERTGEN = "/usr/lib/squid/security_file_certgen"
NCSA_AUTH = "/usr/lib/squid/basic_ncsa_auth"


def squid_missing_reason():
    """Why the Squid tests cannot run here, or None."""
    if not os.path.exists(SQUID):
        return "squid is not installed at %s (Debian package squid-openssl)" % SQUID
    version = subprocess.run([SQUID, "-v"], capture_output=True, text=True, check=False).stdout
    if "--with-openssl" not in version:
        return "%s is built without OpenSSL; install the Debian package squid-openssl" % SQUID
    for helper in (CERTGEN, NCSA_AUTH):
        if not os.path.exists(helper):
            return "the Squid helper %s is missing (Debian package squid-openssl)" % helper
    return None


def free_port(host="127.0.0.1"):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def wait_for_port(host, port, timeout=20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("nothing listens on %s:%d after %gs" % (host, port, timeout))


def make_lab_dir(prefix="pdp-lab-"):
    """A temporary folder the Squid user can enter (mkdtemp makes 0700 folders)."""
    path = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
    os.chmod(path, 0o755)
    return path


# --- origins ---------------------------------------------------------------------------------

class _Handler(http.server.BaseHTTPRequestHandler):
    """Answers every request; ``/status/<code>`` answers that code. Records the Host header."""

    protocol_version = "HTTP/1.1"

    def _answer(self, with_body):
        if self.path == "/proxy.pac" and self.server.pac_script is not None:
            body = self.server.pac_script.encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "application/x-ns-proxy-autoconfig")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if with_body:
                self.wfile.write(body)
            return
        code = 200
        parts = self.path.split("?")[0].strip("/").split("/")
        if len(parts) == 2 and parts[0] == "status" and parts[1].isdigit():
            code = int(parts[1])
        body = ("%s %s\n" % (self.server.label, self.headers.get("Host", ""))).encode("ascii", "replace")
        self.server.hits.append(self.headers.get("Host", ""))
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def do_GET(self):  # noqa: N802 - http.server naming
        self._answer(True)

    def do_HEAD(self):  # noqa: N802
        self._answer(False)

    def log_message(self, *args):
        pass


class Origin:
    """A threaded HTTP or HTTPS server on a loopback address standing in for a service host."""

    def __init__(self, host="127.0.0.1", port=0, tls_cert=None, label="origin"):
        self.server = http.server.ThreadingHTTPServer((host, port), _Handler)
        self.server.daemon_threads = True
        self.server.label = label
        self.server.hits = []
        self.server.pac_script = None  # served at /proxy.pac when set
        self.tls = tls_cert is not None
        if self.tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            tls_cert.configure_cert(context)
            # The handshake happens in the handler thread, so a silent client cannot stall accept().
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True, do_handshake_on_connect=False)
        self.host, self.port = self.server.server_address[:2]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)

    @property
    def hits(self):
        return self.server.hits

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class _RemoteOrigin:
    """The port of an origin that runs in another process (stopped with that process)."""

    def __init__(self, port):
        self.host, self.port = "127.0.0.1", port

    def stop(self):
        pass


class BlackHole:
    """Accepts TCP connections and never answers: probes to it end in a read timeout."""

    def __init__(self, host="127.0.0.1", port=0):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(1024)
        self.host, self.port = self.sock.getsockname()[:2]
        self.held = []
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self):
        self.sock.settimeout(0.2)
        while self.running:
            try:
                conn, _addr = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.held.append(conn)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.running = False
        self.thread.join(2)
        for conn in self.held:
            conn.close()
        self.sock.close()


class NxDomainServer:
    """A DNS server on a loopback address that answers NXDOMAIN to every question, so Squid
    reports unknown names as DNS failures at once instead of waiting for a silent resolver."""

    def __init__(self, host="127.53.0.1", port=53):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, port))
        self.host, self.port = host, port
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)

    @staticmethod
    def answer(query):
        offset = 12
        while offset < len(query) and query[offset] != 0:
            offset += 1 + query[offset]
        question = query[12:offset + 5]
        flags = bytes([0x80 | (query[2] & 0x79), 0x83])  # response, same opcode and RD, RA, NXDOMAIN
        return query[:2] + flags + query[4:6] + b"\x00\x00\x00\x00\x00\x00" + question

    def _serve(self):
        self.sock.settimeout(0.2)
        while self.running:
            try:
                query, address = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            if len(query) > 12:
                self.sock.sendto(self.answer(query), address)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.running = False
        self.thread.join(2)
        self.sock.close()


def start_dns():
    """An NXDOMAIN server when this process may bind port 53, else None (Squid then reports
    unknown names as ERR_CANNOT_FORWARD after its DNS timeout)."""
    try:
        return NxDomainServer().start()
    except OSError:
        return None


# --- Squid -----------------------------------------------------------------------------------

def write_pem(path, *blobs):
    with open(path, "wb") as handle:
        for blob in blobs:
            handle.write(blob.bytes() if hasattr(blob, "bytes") else blob)


def htpasswd_line(user, password):
    hashed = subprocess.run(["openssl", "passwd", "-apr1", password], capture_output=True, text=True, check=True).stdout.strip()
    return "%s:%s\n" % (user, hashed)


class Squid:
    """A real Squid on loopback with its own configuration, folders, pid file and ports.

    ``body`` is the access policy (acl, http_access, ssl_bump lines); the lab adds ports, files,
    TLS and DNS settings around it. ``hosts`` maps names to addresses through Squid's hosts_file.
    """

    def __init__(self, workdir, body, hosts, origin_ca_file, bump_ca_file=None, auth_users=None,
                 port_names=("forward",), bump_ports=(), extra_addresses=(), dns_server=None):
        self.workdir = workdir
        self.dns_server = dns_server
        # name -> port; ports named in bump_ports get ssl-bump (they need bump_ca_file).
        self.ports = dict((name, free_port()) for name in port_names)
        self.port = self.ports[port_names[0]]
        self.bump_ports = tuple(bump_ports)
        self.conf = os.path.join(workdir, "squid.conf")
        self.pid_file = os.path.join(workdir, "squid.pid")
        self.cache_log = os.path.join(workdir, "cache.log")
        self.access_log = os.path.join(workdir, "access.log")
        self.hosts_file = os.path.join(workdir, "hosts")
        self.passwd_file = os.path.join(workdir, "passwd")
        self.ssl_db = os.path.join(workdir, "ssl_db")
        self.origin_ca_file = origin_ca_file
        self.bump_ca_file = bump_ca_file
        self.auth_users = dict(auth_users or {})
        self.extra_addresses = tuple(extra_addresses)
        self.process = None
        with open(self.hosts_file, "w") as handle:
            for name, address in sorted(hosts.items()):
                handle.write("%s %s\n" % (address, name))  # one name per line: long lines are cut
        with open(self.passwd_file, "w") as handle:
            for user, password in sorted(self.auth_users.items()):
                handle.write(htpasswd_line(user, password))
        with open(self.conf, "w") as handle:
            handle.write(self.render(body))

    def port_lines(self):
        lines = []
        for name, port in self.ports.items():
            for address in ("127.0.0.1",) + self.extra_addresses:
                if name in self.bump_ports:
                    lines.append("http_port %s:%d ssl-bump tls-cert=%s generate-host-certificates=on "
                                 "dynamic_cert_mem_cache_size=4MB" % (address, port, self.bump_ca_file))
                else:
                    lines.append("http_port %s:%d" % (address, port))
        return lines

    def render(self, body):
        lines = ["# loopback test proxy; generated by squid_lab.py"]
        lines += self.port_lines()
        lines += [
            "pid_filename %s" % self.pid_file,
            "cache_log %s" % self.cache_log,
            "access_log stdio:%s" % self.access_log,
            "cache_store_log none",
            "coredump_dir %s" % self.workdir,
            "cache deny all",
            "hosts_file %s" % self.hosts_file,
            "dns_nameservers %s" % (self.dns_server or "127.0.0.1"),
            "dns_timeout 3 seconds",
            "connect_timeout 5 seconds",
            "pinger_enable off",
            "shutdown_lifetime 0 seconds",
            "visible_hostname squid-lab.test",
            "tls_outgoing_options cafile=%s" % self.origin_ca_file,
            "auth_param basic program %s %s" % (NCSA_AUTH, self.passwd_file),
            "auth_param basic realm squid-lab",
        ]
        if self.bump_ports:
            lines.append("sslcrtd_program %s -s %s -M 4MB" % (CERTGEN, self.ssl_db))
            lines.append("sslcrtd_children 3 startup=1 idle=1")
        lines.append("# --- policy ---")
        lines.append(body.strip())
        return "\n".join(lines) + "\n"

    def _hand_over(self):
        """Give the lab folder to the Squid user when running as root."""
        if os.geteuid() != 0:
            return
        user = pwd.getpwnam("proxy")
        for root, dirs, files in os.walk(self.workdir):
            os.chown(root, user.pw_uid, user.pw_gid)
            for name in dirs + files:
                os.chown(os.path.join(root, name), user.pw_uid, user.pw_gid)

    def start(self, timeout=30.0):
        if self.bump_ports and not os.path.exists(self.ssl_db):
            subprocess.run([CERTGEN, "-c", "-s", self.ssl_db, "-M", "4MB"], check=True, capture_output=True)
        self._hand_over()
        self.parse()
        self.process = subprocess.Popen([SQUID, "-N", "-f", self.conf], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            for port in self.ports.values():
                wait_for_port("127.0.0.1", port, timeout)
        except RuntimeError:
            self.stop()
            raise RuntimeError("squid did not start; cache.log:\n%s" % self.log_tail())
        return self

    def parse(self, conf=None):
        result = subprocess.run([SQUID, "-k", "parse", "-f", conf or self.conf], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError("squid -k parse failed:\n%s" % result.stderr[-3000:])

    def reconfigure(self):
        subprocess.run([SQUID, "-k", "reconfigure", "-f", self.conf], check=True, capture_output=True)

    def running(self):
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines=40):
        try:
            with open(self.cache_log) as handle:
                return "".join(handle.readlines()[-lines:])
        except OSError:
            return "(no cache.log)"

    def stop(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        # Helpers (certificate generator, authenticator) belong to Squid's process group.
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except OSError:
            pass
        self.process = None


# --- the standard scenario: one Squid, every kind of outcome -----------------------------------

ALLOWED = "allowed.svc.test"
DENIED = "denied.svc.test"
BUMPED = "bumped.svc.test"
BLACKHOLE = "blackhole.svc.test"
UNKNOWN = "nxdomain.svc.test"
PLAIN = "plain.svc.test"
PLAIN_DENIED = "plain-denied.svc.test"

# Three ports: "forward" answers on CONNECT (403, 503 for DNS failures); "bump" intercepts TLS
# for the bumped host and splices the rest; "auth" demands proxy_auth (407) before anything else.
# Paths under DENIED_INSIDE_PATH are refused after the CONNECT was allowed: on a bumped host Squid
# answers that 403 inside the intercepted TLS.
DENIED_INSIDE_PATH = "/denied-inside"
STANDARD_POLICY = """
acl allowed_sites dstdomain {allowed} {bumped} {blackhole} {unknown} {plain}
acl bumped_sites ssl::server_name {bumped}
acl auth_port localport {auth_port}
acl authenticated proxy_auth REQUIRED
acl step1 at_step SslBump1
acl denied_inside urlpath_regex ^/denied-inside
http_access deny auth_port !authenticated
http_access deny denied_inside
http_access allow allowed_sites
http_access deny all
ssl_bump peek step1
ssl_bump bump bumped_sites
ssl_bump splice all
"""


class Lab:
    """Origins for every outcome plus a Squid that allows, denies, bumps and authenticates.

    Ports (``squid.ports``): ``forward`` (anonymous), ``bump`` (anonymous, intercepts the bumped
    host), ``auth`` (demands proxy_auth).
    """

    def __init__(self, extra_addresses=(), origin_names=(), origins_in_subprocess=False):
        import trustme  # test-only dependency

        self.workdir = make_lab_dir()
        names = [ALLOWED, DENIED, BUMPED, BLACKHOLE, UNKNOWN, "localhost"] + list(origin_names)
        self.origin_process = None
        if origins_in_subprocess:
            # Stand-in services in their own process, so they do not compete with the probes for
            # this interpreter (the benchmark measures the probes, not the servers).
            self._start_origin_process(names)
        else:
            self.origin_ca = trustme.CA(organization_name="Service Lab CA", key_type=trustme.KeyType.RSA)
            leaf = self.origin_ca.issue_cert(*names, key_type=trustme.KeyType.RSA)
            self.origin_ca_file = os.path.join(self.workdir, "origin-ca.pem")
            self.origin_ca.cert_pem.write_to_path(self.origin_ca_file)
            self.https = Origin(tls_cert=leaf, label="https-origin").start()
            self.http = Origin(label="http-origin").start()
        self.bump_ca = trustme.CA(organization_name="Inspection Lab CA", key_type=trustme.KeyType.RSA)
        self.bump_ca_file = os.path.join(self.workdir, "bump-ca.pem")
        write_pem(self.bump_ca_file, self.bump_ca.cert_pem, self.bump_ca.private_key_pem)
        self.blackhole = BlackHole().start()
        self.user, self.password = "probe-user", "probe-Pa55word"
        self.squid = None
        self.extra_addresses = extra_addresses
        self.dns = start_dns()

    def _start_origin_process(self, names):
        folder = os.path.join(self.workdir, "origins")
        os.makedirs(folder)
        names_file = os.path.join(folder, "names")
        with open(names_file, "w") as handle:
            handle.write("\n".join(names) + "\n")
        self.origin_process = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "serve", "--dir", folder, "--names", names_file,
             "--https-port", "0", "--http-port", "0"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        info_file = os.path.join(folder, "origins.json")
        end = time.monotonic() + 30
        while not os.path.exists(info_file) and time.monotonic() < end:
            time.sleep(0.1)
        with open(info_file) as handle:
            info = json.load(handle)
        self.origin_ca_file = info["origin_ca_file"]
        self.https = _RemoteOrigin(info["https_port"])
        self.http = _RemoteOrigin(info["http_port"])

    def hosts(self):
        mapping = {name: "127.0.0.1" for name in (ALLOWED, DENIED, BUMPED, BLACKHOLE, PLAIN, PLAIN_DENIED)}
        return mapping

    def start_squid(self, policy=STANDARD_POLICY):
        self.squid = Squid(self.workdir, "", self.hosts(), self.origin_ca_file, self.bump_ca_file,
                           auth_users={self.user: self.password}, port_names=("forward", "bump", "auth"),
                           bump_ports=("bump",), extra_addresses=self.extra_addresses,
                           dns_server=self.dns.host if self.dns else None)
        body = policy.format(allowed=ALLOWED, bumped=BUMPED, blackhole=BLACKHOLE, unknown=UNKNOWN,
                             plain=PLAIN, auth_port=self.squid.ports["auth"])
        with open(self.squid.conf, "w") as handle:
            handle.write(self.squid.render(body))
        return self.squid.start()

    def url(self, name, path="/test"):
        if name == BLACKHOLE:
            return "https://%s:%d%s" % (name, self.blackhole.port, path)
        if name in (PLAIN, PLAIN_DENIED):
            return "http://%s:%d%s" % (name, self.http.port, path)
        return "https://%s:%d%s" % (name, self.https.port, path)

    def proxy(self, name="forward"):
        return "127.0.0.1:%d" % self.squid.ports[name]

    def stop(self):
        if self.squid is not None:
            self.squid.stop()
        self.https.stop()
        self.http.stop()
        if self.origin_process is not None:
            self.origin_process.terminate()
            self.origin_process.wait(10)
        self.blackhole.stop()
        if self.dns is not None:
            self.dns.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


# --- command line for the molecule scenario ------------------------------------------------------

def _serve(args):
    """Run origins for the given names on one loopback address until SIGTERM; write their details."""
    import trustme

    os.makedirs(args.dir, exist_ok=True)
    os.chmod(args.dir, 0o755)
    names = [line.strip() for line in open(args.names) if line.strip()]
    ca = trustme.CA(organization_name="Service Lab CA", key_type=trustme.KeyType.RSA)
    leaf = ca.issue_cert(*names, key_type=trustme.KeyType.RSA)
    ca_file = os.path.join(args.dir, "origin-ca.pem")
    ca.cert_pem.write_to_path(ca_file)
    bump = trustme.CA(organization_name="Inspection Lab CA", key_type=trustme.KeyType.RSA)
    bump_file = os.path.join(args.dir, "bump-ca.pem")
    write_pem(bump_file, bump.cert_pem, bump.private_key_pem)
    https = Origin(args.address, args.https_port, tls_cert=leaf, label="https-origin").start()
    http_origin = Origin(args.address, args.http_port, label="http-origin").start()
    with open(os.path.join(args.dir, "hosts"), "w") as handle:
        for name in names:
            handle.write("%s %s\n" % (args.address, name))
    info = {"address": args.address, "https_port": https.port, "http_port": http_origin.port,
            "origin_ca_file": ca_file, "bump_ca_file": bump_file, "pid": os.getpid()}
    partial = os.path.join(args.dir, "origins.json.partial")
    with open(partial, "w") as handle:
        json.dump(info, handle)
    os.rename(partial, os.path.join(args.dir, "origins.json"))  # readers never see half a file
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    https.stop()
    http_origin.stop()
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run HTTPS and HTTP origins for a list of names until SIGTERM")
    serve.add_argument("--dir", required=True, help="folder for the CA files, hosts file and origins.json")
    serve.add_argument("--names", required=True, help="file with one host name per line")
    serve.add_argument("--address", default="127.0.0.1")
    serve.add_argument("--https-port", type=int, default=443)
    serve.add_argument("--http-port", type=int, default=80)
    args = parser.parse_args(argv)
    return _serve(args)


if __name__ == "__main__":
    sys.exit(main())
