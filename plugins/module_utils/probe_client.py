# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The transport: a small HTTP/1.1 client on ``socket`` and ``ssl`` that records an :class:`Observation`.

It reads the status a proxy answers to ``CONNECT`` (``requests`` only reports it as message
text), reads the certificate that was presented, and spends one time budget across name
resolution, connect, TLS and the response. TLS verification is never switched off: a probe
succeeds only over a verified connection. When verification fails, one more connection reads
the presented certificate so the report can name its issuer, and reads whether the interceptor
answers a request by itself (a bumping proxy delivers its 403 inside TLS). Through a proxy it
repeats the same CONNECT (with the proxy credentials the first attempt already sent to that
proxy); inside the unverified TLS it sends a bare GET/HEAD without credentials or body, and its
answer never counts as success. Python's ssl gives no certificate after a failed verification
(below 3.13), hence the second connection.
"""

from __future__ import annotations

import errno
import os
import socket
import ssl
import threading
import time
from typing import Any, Callable, Dict, Mapping, Optional, Tuple
from urllib.parse import urlsplit

from ansible_collections.purview.device_proxy.plugins.module_utils.probe_certs import (
    issuer_from_der, issuer_from_peercert, issuer_rdns_from_peercert, verified_chain_fingerprints,
)
from ansible_collections.purview.device_proxy.plugins.module_utils.probe_classify import parse_proxy_error
from ansible_collections.purview.device_proxy.plugins.module_utils.probe_model import (
    AT_ORIGIN, AT_PROXY, F_DNS, F_OTHER, F_PROTOCOL, F_REFUSED, F_RESET, F_TIMEOUT, F_TLS, F_TLS_VERIFY,
    F_UNREACHABLE, Hop, Observation, ProbeConfigError, ProbeTarget, TlsPolicy,
)

USER_AGENT = "purview.device_proxy-service-url-probe/1"
MAX_HEAD_BYTES = 65536


class _Budget:
    """One time budget across every step of a probe."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.end = clock() + seconds

    def left(self) -> float:
        return max(0.0, self.end - self.clock())

    def apply(self, sock: socket.socket) -> None:
        left = self.left()
        if left <= 0:
            raise socket.timeout("probe budget used up")
        sock.settimeout(left)


class _ProbeFailure(Exception):
    def __init__(self, failure: str, at: str, detail: str = "", **extra: Any) -> None:
        super().__init__(detail)
        self.failure = failure
        self.at = at
        self.detail = detail
        self.extra = extra


def _os_failure(exc: BaseException, at: str) -> _ProbeFailure:
    if isinstance(exc, socket.timeout):
        return _ProbeFailure(F_TIMEOUT, at)
    if isinstance(exc, socket.gaierror):
        return _ProbeFailure(F_DNS, at, exc.strerror or "")
    if isinstance(exc, ConnectionRefusedError):
        return _ProbeFailure(F_REFUSED, at)
    if isinstance(exc, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)):
        return _ProbeFailure(F_RESET, at)
    number = getattr(exc, "errno", None)
    # EINVAL / EACCES / EPERM come from blackhole/prohibit routes and egress filters.
    if number in (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EINVAL, errno.EACCES, errno.EPERM, errno.EADDRNOTAVAIL):
        return _ProbeFailure(F_UNREACHABLE, at, getattr(exc, "strerror", "") or "")
    if number == errno.ETIMEDOUT:
        return _ProbeFailure(F_TIMEOUT, at)
    return _ProbeFailure(F_OTHER, at, "%s: %s" % (type(exc).__name__, getattr(exc, "strerror", None) or exc))


def _connect(host: str, port: int, budget: _Budget, at: str) -> socket.socket:
    try:
        infos = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise _ProbeFailure(F_DNS, at, exc.strerror or "")
    except OSError as exc:
        raise _os_failure(exc, at)
    last = None  # type: Optional[_ProbeFailure]
    for index, (family, socktype, proto, _canon, address) in enumerate(infos):
        sock = socket.socket(family, socktype, proto)
        try:
            # Each address gets an equal share of what is left, so a black-holed first address
            # (typically IPv6 without a route out) leaves time for the next one; the last address
            # gets everything that remains.
            left = budget.left()
            if left <= 0:
                raise socket.timeout("probe budget used up")
            sock.settimeout(left / (len(infos) - index))
            sock.connect(address)
            return sock
        except OSError as exc:
            sock.close()
            last = _os_failure(exc, at)
            if budget.left() <= 0:
                break
    raise last or _ProbeFailure(F_OTHER, at, "no address")


def _read_head(sock: socket.socket, budget: _Budget, at: str) -> Tuple[int, Dict[str, str]]:
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            budget.apply(sock)
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
            if len(data) > MAX_HEAD_BYTES:
                break
    except ssl.SSLError as exc:
        raise _ProbeFailure(F_TLS, at, exc.reason or str(exc))
    except OSError as exc:
        raise _os_failure(exc, at)
    if not data:
        raise _ProbeFailure(F_RESET, at, "closed without an answer")
    end = data.find(b"\r\n\r\n")
    if end < 0 or end > MAX_HEAD_BYTES:
        # A head that never ends (cut off, or longer than the cap) is not an answer, whatever its
        # status line says.
        reason = "the answer's head was cut off" if end < 0 and len(data) <= MAX_HEAD_BYTES else (
            "the answer's head is longer than %d bytes" % MAX_HEAD_BYTES)
        raise _ProbeFailure(F_PROTOCOL, at, reason)
    head = data[:end].decode("iso-8859-1")
    lines = head.split("\r\n")
    words = lines[0].split(None, 2) if lines else []
    if len(words) < 2 or not words[0].startswith("HTTP/") or not words[1].isdigit():
        raise _ProbeFailure(F_PROTOCOL, at)
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return int(words[1]), headers


def _send(sock: socket.socket, text: str, budget: _Budget, at: str) -> None:
    try:
        budget.apply(sock)
        sock.sendall(text.encode("ascii"))
    except ssl.SSLError as exc:
        raise _ProbeFailure(F_TLS, at, exc.reason or str(exc))
    except OSError as exc:
        raise _os_failure(exc, at)


def _open_tunnel(target: ProbeTarget, hop: Hop, budget: _Budget) -> socket.socket:
    """Connect to the proxy and ask for a tunnel; a non-200 answer is the proxy's verdict."""
    sock = _connect(hop.proxy.host, hop.proxy.port, budget, AT_PROXY)
    lines = ["CONNECT %s HTTP/1.1" % target.authority, "Host: %s" % target.authority, "User-Agent: %s" % USER_AGENT]
    if hop.credentials is not None:
        lines.append("Proxy-Authorization: %s" % hop.credentials.header_value())
    try:
        _send(sock, "\r\n".join(lines) + "\r\n\r\n", budget, AT_PROXY)
        code, headers = _read_head(sock, budget, AT_PROXY)
    except _ProbeFailure:
        sock.close()
        raise
    if code != 200 or _is_proxy_answer(code, headers):
        sock.close()
        raise _ProbeFailure(None, AT_PROXY, proxy_status=code, proxy_error=parse_proxy_error(headers),
                            redirect_to=redirect_origin(code, headers))
    return sock


_CONTEXTS = {}  # type: Dict[Tuple[Optional[str], Optional[str], bool], ssl.SSLContext]
_CONTEXTS_LOCK = threading.Lock()


def _tls_context(policy: TlsPolicy, verify: bool = True) -> ssl.SSLContext:
    """One context per trust store, shared by all probes: loading a trust store costs far more
    than a handshake, and a context is safe to use from several threads."""
    key = (policy.ca_file, policy.ca_dir, verify)
    with _CONTEXTS_LOCK:
        context = _CONTEXTS.get(key)
        if context is None:
            if not verify:
                # Only for reading the certificate after verification already failed.
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            elif policy.ca_file or policy.ca_dir:
                context = ssl.create_default_context(cafile=policy.ca_file, capath=policy.ca_dir)
            else:
                context = ssl.create_default_context()
            _CONTEXTS[key] = context
    return context


def check_trust_store(ca_file: Optional[str], ca_dir: Optional[str]) -> None:
    """Fail with an error naming ca_path when the CA file or folder cannot be used, before any probe."""
    if ca_dir:
        try:
            os.listdir(ca_dir)
        except OSError as exc:
            raise ProbeConfigError("ca_path", "readable", "cannot read the CA folder %s: %s" % (ca_dir, exc.strerror or exc))
        return
    if ca_file:
        try:
            ssl.create_default_context(cafile=ca_file)
        except (ssl.SSLError, OSError, ValueError) as exc:
            reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or str(exc)
            raise ProbeConfigError("ca_path", "readable", "cannot load CA certificates from %s: %s" % (ca_file, reason))


def _wrap_tls(sock: socket.socket, target: ProbeTarget, policy: TlsPolicy, budget: _Budget,
              verify: bool = True) -> ssl.SSLSocket:
    context = _tls_context(policy, verify)
    try:
        budget.apply(sock)
        return context.wrap_socket(sock, server_hostname=target.host)
    except ssl.SSLCertVerificationError as exc:
        sock.close()
        raise _ProbeFailure(F_TLS_VERIFY, AT_ORIGIN, exc.verify_message or "", verify_code=exc.verify_code)
    except ssl.SSLError as exc:
        sock.close()
        raise _ProbeFailure(F_TLS, AT_ORIGIN, exc.reason or str(exc))
    except OSError as exc:
        sock.close()
        raise _os_failure(exc, AT_ORIGIN)


def _open_transport(target: ProbeTarget, hop: Hop, budget: _Budget) -> socket.socket:
    if hop.proxy is None:
        return _connect(target.host, target.port, budget, AT_ORIGIN)
    if target.scheme == "https":
        return _open_tunnel(target, hop, budget)
    return _connect(hop.proxy.host, hop.proxy.port, budget, AT_PROXY)


def _inspect_interceptor(target: ProbeTarget, hop: Hop, policy: TlsPolicy, budget: _Budget) -> Dict[str, Any]:
    """After verification failed: name the issuer of the presented certificate, and read whether
    the interceptor answers by itself (a bumping proxy delivers its denials and errors inside TLS).

    The CONNECT is the same as the verified attempt's (same proxy, same Proxy-Authorization); the
    request inside the unverified TLS carries no credentials and no body, and whatever it returns
    never counts as success.
    """
    found = {"issuer": None}  # type: Dict[str, Any]
    try:
        sock = _open_transport(target, hop, budget)
        tls = _wrap_tls(sock, target, policy, budget, verify=False)
    except _ProbeFailure:
        return found
    try:
        der = tls.getpeercert(binary_form=True)
        found["issuer"] = issuer_from_der(der) if der else None
        _send(tls, _request_text(target, Hop(hop.route)), budget, AT_ORIGIN)
        code, headers = _read_head(tls, budget, AT_ORIGIN)
        if hop.proxy is not None and _is_proxy_answer(code, headers):
            found["proxy_status"] = code
            found["proxy_error"] = parse_proxy_error(headers)
            found["redirect_to"] = redirect_origin(code, headers)
    except _ProbeFailure:
        pass
    finally:
        tls.close()
    return found


def _request_text(target: ProbeTarget, hop: Hop) -> str:
    plain_via_proxy = hop.proxy is not None and target.scheme == "http"
    request_target = "http://%s%s" % (target.host_header, target.path) if plain_via_proxy else target.path
    lines = [
        "%s %s HTTP/1.1" % (target.method, request_target),
        "Host: %s" % target.host_header,
        "User-Agent: %s" % USER_AGENT,
        "Accept: */*",
        "Connection: close",
    ]
    if plain_via_proxy and hop.credentials is not None:
        lines.append("Proxy-Authorization: %s" % hop.credentials.header_value())
    return "\r\n".join(lines) + "\r\n\r\n"


def _is_proxy_answer(code: int, headers: Mapping[str, str]) -> bool:
    """Through a proxy: does the answer carry the proxy's own signature (rather than relay the origin)?

    407, Squid's ``X-Squid-Error``, an RFC 9209 ``Proxy-Status`` error, or a ``Proxy-Authenticate``
    challenge (only a proxy sends one, RFC 9110 section 11.7.1). Answers without a signature are
    judged by their status in probe_classify.
    """
    return (code == 407 or "x-squid-error" in headers or "error=" in headers.get("proxy-status", "")
            or "proxy-authenticate" in headers)


def redirect_origin(code: int, headers: Mapping[str, str]) -> Optional[str]:
    """Where a redirect points, as ``scheme://host[:port]/`` only: its path and query may carry tokens."""
    location = headers.get("location", "")
    if not 300 <= code < 400 or not location:
        return None
    try:
        parts = urlsplit(location)
        host = parts.hostname
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host or not host.isascii() or not host.isprintable():
        return None
    shown = "[%s]" % host if ":" in host else host
    return "%s://%s%s/" % (parts.scheme.lower(), shown, ":%d" % port if port else "")


def perform_probe(target: ProbeTarget, hop: Hop, policy: TlsPolicy, timeout: float,
                  clock: Callable[[], float] = time.monotonic) -> Observation:
    """Send one request over one hop and record what happened. Never raises for network trouble."""
    started = clock()
    budget = _Budget(timeout, clock)
    issuer = None
    identity_facts = {}  # type: Dict[str, Any]
    try:
        sock = _open_transport(target, hop, budget)
        if target.scheme == "https":
            sock = _wrap_tls(sock, target, policy, budget)
            peercert = sock.getpeercert()
            issuer = issuer_from_peercert(peercert)
            identity_facts = {"issuer_names": issuer_rdns_from_peercert(peercert),
                              "chain_fingerprints": verified_chain_fingerprints(sock)}
        try:
            _send(sock, _request_text(target, hop), budget, AT_ORIGIN)
            code, headers = _read_head(sock, budget, AT_ORIGIN)
        finally:
            sock.close()
        via_proxy = hop.proxy is not None
        # The same test for HTTPS as for plain HTTP: a bumping proxy whose CA this host trusts
        # delivers its own denials inside the (verified) TLS.
        redirect_to = redirect_origin(code, headers) if via_proxy else None
        if via_proxy and _is_proxy_answer(code, headers):
            return Observation(proxy_status=code, proxy_error=parse_proxy_error(headers), at=AT_PROXY, issuer=issuer,
                               via_proxy=True, redirect_to=redirect_to, elapsed=clock() - started, **identity_facts)
        return Observation(status=code, issuer=issuer, via_proxy=via_proxy, redirect_to=redirect_to,
                           elapsed=clock() - started, **identity_facts)
    except _ProbeFailure as failure:
        extra = dict(failure.extra)
        if failure.failure == F_TLS_VERIFY:
            extra.update(_inspect_interceptor(target, hop, policy, budget))
        return Observation(failure=failure.failure, at=failure.at, detail=failure.detail,
                           elapsed=clock() - started, **extra)
    except Exception as exc:  # a probe must never take the run down
        return Observation(failure=F_OTHER, detail="%s: %s" % (type(exc).__name__, exc), elapsed=clock() - started)
