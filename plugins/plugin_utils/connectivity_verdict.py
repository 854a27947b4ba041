# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Classify raw WinHTTP probe results and give verdicts per URL, per channel and per host.

``purview.device_proxy.device_connectivity_probe`` runs, for every service URL, the five methods of
Microsoft's client analyzer (docs/reference/connectivity-analyzer.md#methods) and returns raw results only: HTTP status,
WinHTTP error number, elapsed time. Everything that interprets them lives here:

* :func:`classify_probe` turns one raw probe into an outcome (``succeeded``, ``failed``,
  ``absent``, ``skipped``) with a reason a person can act on;
* :func:`url_verdict` applies two rules to one URL: the **analyzer** rule (the URL passes when any
  method answers 200, 400 or 404, as the analyzer's ``ValidateURLs`` accepts; docs/reference/connectivity-analyzer.md#success-rule)
  and the **strict** rule (the method this device is configured to use answers an accepted code);
* :func:`configured_method` decides which method this device uses (see its docstring for the
  reasoning and what is uncertain);
* :func:`host_verdict` puts it together for one host, :func:`policy_failures` applies a fail
  policy (``any``, ``required``, ``never``).

All inputs and outputs are plain JSON-compatible data so they can travel in Ansible results and
reports unchanged.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence

from ansible_collections.purview.device_proxy.plugins.module_utils import analyzer_model as model
from ansible_collections.purview.device_proxy.plugins.module_utils import analyzer_text
from ansible_collections.purview.device_proxy.plugins.module_utils import failure_kinds as fk
from ansible_collections.purview.device_proxy.plugins.module_utils import microsoft_tls_trust
from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import (
    ProxyAddressError,
    parse_bypass_list,
    telemetry_proxy_server_value,
)
from ansible_collections.purview.device_proxy.plugins.module_utils.winhttp_settings import (
    WinHttpSettingsError,
    decode_hex,
)

# The analyzer's five methods, numbers, labels and accepted codes: the one model.
METHODS = model.METHOD_KEYS
METHOD_NUMBERS = {m.key: m.number for m in model.METHODS}
METHOD_LABELS = {m.key: m.label for m in model.METHODS}
ANALYZER_ACCEPTED = model.ANALYZER_ACCEPTED

PASS = "pass"
FAIL = "fail"
UNTESTED = "untested"

SUCCEEDED = "succeeded"
FAILED = "failed"
ABSENT = "absent"      # the method has nothing to test (no TelemetryProxyServer, no command-line proxy)
SKIPPED = "skipped"    # not run: the run's deadline passed, or the method was not asked for

# The analyzer's channels (TSS Events.json, docs/reference/connectivity-analyzer.md#events): event ids for "all URLs passed",
# "one URL failed" and "more than one failed". AutoIR and sample upload share one channel here.
CHANNELS = {
    "command-and-control": {"label": "Command and control", "events": (130017, 131013, 132021)},
    "cyber-data": {"label": "Cyber data", "events": (130018, 131014, 132022)},
    "autoir-sample-storage": {"label": "AutoIR and sample storage", "events": (130019, 131015, 132023)},
    "configuration": {"label": "Configuration", "events": (130021, 131017, 132025)},
    "other": {"label": "Other service URLs", "events": None},
}
CHANNEL_ORDER = tuple(CHANNELS)

# Catalog functions (catalog.py ``channel`` of a probe URL) and analyzer channel names that mean
# one of the channels above. Anything else is "other".
_CHANNEL_ALIASES = {
    "command-and-control": "command-and-control",
    "cnc": "command-and-control",
    "cncurls": "command-and-control",
    "core": "command-and-control",
    "edr-cyber-data": "cyber-data",
    "cyber-data": "cyber-data",
    "cyber": "cyber-data",
    "cyberdataurls": "cyber-data",
    "defender-core-telemetry": "cyber-data",
    "autoir-sample-storage": "autoir-sample-storage",
    "sample-submission-storage": "autoir-sample-storage",
    "autoir": "autoir-sample-storage",
    "sampleupload": "autoir-sample-storage",
    "autoirblobs": "autoir-sample-storage",
    "sampleuploadblobs": "autoir-sample-storage",
    "configuration": "configuration",
    "mdeconfigmgr": "configuration",
    "settings": "configuration",
    "security-management": "configuration",
    "defender-core-ecs": "configuration",
}

# WinHTTP error numbers (winhttp.h) the probes can end with, and what they usually mean.
WINHTTP_ERRORS = {
    12002: ("ERROR_WINHTTP_TIMEOUT", fk.TIMEOUT, "the request timed out"),
    12004: ("ERROR_WINHTTP_INTERNAL_ERROR", fk.ERROR, "WinHTTP internal error"),
    12005: ("ERROR_WINHTTP_INVALID_URL", fk.BAD_URL, "the URL is not valid"),
    12006: ("ERROR_WINHTTP_UNRECOGNIZED_SCHEME", fk.BAD_URL, "the URL scheme is not http or https"),
    12007: ("ERROR_WINHTTP_NAME_NOT_RESOLVED", fk.DNS_FAILURE,
            "the host name (or the proxy name) could not be resolved"),
    12017: ("ERROR_WINHTTP_OPERATION_CANCELLED", fk.TIMEOUT, "the request was cancelled at its time limit"),
    12029: ("ERROR_WINHTTP_CANNOT_CONNECT", fk.CONNECTION_REFUSED, "no TCP connection to the server or proxy"),
    12030: ("ERROR_WINHTTP_CONNECTION_ERROR", fk.CONNECTION_RESET,
            "the connection was reset or closed (a firewall or TLS-inspecting device may be in the way)"),
    12032: ("ERROR_WINHTTP_RESEND_REQUEST", fk.ERROR, "WinHTTP asked for the request to be sent again"),
    12037: ("ERROR_WINHTTP_SECURE_CERT_DATE_INVALID", fk.TLS_ERROR, "the server certificate has expired"),
    12038: ("ERROR_WINHTTP_SECURE_CERT_CN_INVALID", fk.TLS_ERROR, "the certificate does not name this host"),
    12044: ("ERROR_WINHTTP_CLIENT_AUTH_CERT_NEEDED", fk.TLS_ERROR, "the server asks for a client certificate"),
    12045: ("ERROR_WINHTTP_SECURE_INVALID_CA", fk.TLS_ERROR,
            "the certificate chain ends in an untrusted root (TLS inspection is likely)"),
    12057: ("ERROR_WINHTTP_SECURE_CERT_REV_FAILED", fk.TLS_ERROR,
            "revocation could not be checked (CRL endpoints on port 80 unreachable?)"),
    12152: ("ERROR_WINHTTP_INVALID_SERVER_RESPONSE", fk.BAD_RESPONSE, "the server answer was not HTTP"),
    12157: ("ERROR_WINHTTP_SECURE_CHANNEL_ERROR", fk.TLS_ERROR, "the TLS handshake failed"),
    12166: ("ERROR_WINHTTP_BAD_AUTO_PROXY_SCRIPT", fk.WPAD_FAILED, "the PAC script has an error"),
    12167: ("ERROR_WINHTTP_UNABLE_TO_DOWNLOAD_SCRIPT", fk.WPAD_FAILED, "the PAC script could not be downloaded"),
    12169: ("ERROR_WINHTTP_SECURE_INVALID_CERT", fk.TLS_ERROR, "the server certificate is invalid"),
    12170: ("ERROR_WINHTTP_SECURE_CERT_REVOKED", fk.TLS_ERROR, "the server certificate is revoked"),
    12175: ("ERROR_WINHTTP_SECURE_FAILURE", fk.TLS_ERROR,
            "the server certificate failed validation (TLS inspection is likely)"),
    12178: ("ERROR_WINHTTP_AUTO_PROXY_SERVICE_ERROR", fk.WPAD_FAILED, "the auto-proxy service failed"),
    12180: ("ERROR_WINHTTP_AUTODETECTION_FAILED", fk.WPAD_FAILED, "WPAD found no proxy configuration"),
    12015: ("ERROR_WINHTTP_LOGIN_FAILURE", fk.WPAD_FAILED,
            "the server of the proxy configuration script refused the logon"),
}

# HTTP answers that point at the proxy rather than the service (docs/reference/proxy-requirements.md#allow, #anonymous).
_HTTP_REASONS = {
    403: (fk.BLOCKED, "403: the proxy (or a firewall) refuses this destination; allow the domain"),
    407: (fk.PROXY_AUTH_REQUIRED,
          "407: the proxy demands authentication; the sensor connects anonymously as LocalSystem, "
          "so allow unauthenticated access to the service URLs"),
    502: (fk.PROXY_ERROR, "502: the proxy could not reach the service"),
    503: (fk.PROXY_ERROR, "503: the proxy or the service is unavailable"),
    504: (fk.PROXY_ERROR, "504: the proxy timed out reaching the service"),
}

VerdictInputError = model.AnalyzerInputError

# The sensor's identity (LocalSystem). Methods whose result depends on the identity
# (analyzer_model.Method.identity_dependent) never count as a pass of the device when the probes ran
# as another account.
SYSTEM_SID = "S-1-5-18"
IDENTITY_METHODS = tuple(m.key for m in model.METHODS if m.identity_dependent)

# What the analyzer line shows for a method whose discovery found nothing.
_WPAD_WORDS = "no proxy found by WPAD"


# --- URL descriptions ----------------------------------------------------------------------------
def channel_of(name: Optional[str]) -> str:
    """The analyzer channel a catalog function or channel name belongs to ("other" if none)."""
    if not name:
        return "other"
    key = str(name).strip().lower().replace("_", "-").replace(" ", "-")
    return _CHANNEL_ALIASES.get(key, _CHANNEL_ALIASES.get(key.replace("-", ""), "other"))


def normalise_url_spec(item: Any, index: int = 0, field: str = "urls") -> Dict[str, Any]:
    """One URL to test as a dict: url, channel, function, expected_status, no_pinning, required.

    ``item`` is a URL string or a dict shaped like the catalog's ``output='probe'`` items
    (analyzer_model.normalise_url_spec); ``channel`` is mapped to the analyzer's channels here.
    """
    spec = model.normalise_url_spec(item, index, field)
    function = spec["channel"]
    spec["channel"] = channel_of(function)
    spec["function"] = function
    return spec


def accepted_statuses(spec: Mapping[str, Any]) -> Sequence[int]:
    """Codes that count as reachable for the strict verdict: 200 plus exactly the URL's own
    expected codes (blob URLs answer 400, some test paths 404); nothing else."""
    return model.strict_accepted(spec.get("expected_status") or ())


# --- one probe -----------------------------------------------------------------------------------
def winhttp_error_name(code: Optional[int]) -> str:
    """``ERROR_WINHTTP_...`` for a known WinHTTP error, else ``error <n>``."""
    if code in WINHTTP_ERRORS:
        return WINHTTP_ERRORS[code][0]
    return f"error {code}"


def classify_probe(raw: Mapping[str, Any], accepted: Iterable[int] = ANALYZER_ACCEPTED,
                   spec: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """Outcome of one raw probe (the module's ``probes`` item) against the accepted codes.

    ``spec`` is the URL's description (``no_pinning``); without it the URL is taken as pinned.
    Returns method, number, label, outcome, reason (a failure_kinds word), detail (sentence),
    line_code (what the analyzer line shows in parentheses), status_code, winhttp_error,
    error_name, elapsed_ms, proxy, access (how WinHTTP was configured), answered_by
    (``service``, ``proxy`` or None) and the WPAD and certificate facts it relied on.

    The rules, in order (docs/connectivity-check.md, "Verdicts"):

    1. not run or nothing to test -> skipped / absent;
    2. method 2 whose discovery found no proxy -> failed ``wpad_failed``, whatever the request
       that then went direct answered (the sensor would not have used that direct path as WPAD);
    3. time limit -> ``timeout``;
    4. an answer the proxy produced (no server certificate on an https URL, i.e. a refused
       CONNECT; or proxy error headers on plain HTTP) -> failed, never success, whatever its code;
    5. a pinned https URL whose chain does not end in a Microsoft service root ->
       ``tls_intercepted`` with the issuer; no chain reported -> ``tls_unverified``;
    6. the service's status: accepted -> succeeded, else failed by code;
    7. a WinHTTP error -> its kind.
    """
    method = raw.get("method")
    if method not in METHOD_NUMBERS:
        raise VerdictInputError("probes.method", "choices", f"{method!r} is not one of {', '.join(METHODS)}")
    accepted = frozenset(accepted)
    status = _optional_int(raw.get("status_code"), "probes.status_code")
    error = _optional_int(raw.get("winhttp_error"), "probes.winhttp_error") or None
    url = str((spec or {}).get("url") or raw.get("url") or "")
    result = {
        "method": method,
        "number": METHOD_NUMBERS[method],
        "label": METHOD_LABELS[method],
        "status_code": status,
        "winhttp_error": error,
        "error_name": winhttp_error_name(error) if error else None,
        "elapsed_ms": _optional_int(raw.get("elapsed_ms"), "probes.elapsed_ms") or 0,
        "proxy": raw.get("proxy") or None,
        "proxy_used": proxy_used(raw, url),
        "access": raw.get("access") or None,
        "identity_dependent": method in IDENTITY_METHODS,
        "answered_by": None,
        "line_code": None,
    }
    if method == "wpad":
        result["autodetect_error"] = _optional_int(raw.get("autodetect_error"), "probes.autodetect_error")
        result["autodetect_attempt"] = raw.get("autodetect_attempt") or None
    established = raw.get("established")
    if established == fk.PROXY_UNREACHABLE:
        count = _optional_int(raw.get("established_on"), "probes.established_on") or 0
        result.update(outcome=FAILED, reason=fk.PROXY_UNREACHABLE, established_on=count,
                      detail=f"the proxy took no connection on {count} other URLs, so this URL was not probed "
                             f"through it (a shared failure, established on {count} URLs)",
                      line_code=f"proxy unreachable, established on {count} URLs")
        return result
    if established is not None and established != fk.WPAD_FAILED:
        raise VerdictInputError("probes.established", "choices",
                                f"{established!r} is not one of {fk.PROXY_UNREACHABLE}, {fk.WPAD_FAILED}")
    skip = raw.get("skip_reason")
    if (not raw.get("attempted", True) or skip) and established is None:
        if skip == "deadline":
            result.update(outcome=SKIPPED, reason=fk.DEADLINE, detail="not run: the run's deadline had passed",
                          line_code="not run: deadline")
        elif skip in ("not-requested", fk.NOT_REQUESTED):
            result.update(outcome=SKIPPED, reason=fk.NOT_REQUESTED, detail="not run: method not requested",
                          line_code="not run: not requested")
        else:
            what = "TelemetryProxyServer is not set" if method == "named" else "no command-line proxy was given"
            result.update(outcome=ABSENT, reason=fk.NOT_CONFIGURED, detail=what)
        return result
    if method == "wpad" and result["autodetect_error"] and not result["proxy"]:
        code = result["autodetect_error"]
        name, _kind, words = WINHTTP_ERRORS.get(code, (winhttp_error_name(code), fk.WPAD_FAILED, "discovery failed"))
        went = " (the request then went direct and is not counted)" if status else ""
        if established:
            went = " (the run's one discovery; method 2 was not probed for this URL)"
        result.update(outcome=FAILED, reason=fk.WPAD_FAILED,
                      detail=f"{name}: {words}; no proxy was discovered{went}",
                      line_code=f"{_WPAD_WORDS}, {code}")
        return result
    if raw.get("timed_out"):
        stage = raw.get("error_stage")
        result.update(outcome=FAILED, reason=fk.TIMEOUT, detail="no answer within the probe time limit"
                      + (f" (stuck in {stage})" if stage else ""))
        return result
    if status is not None and status > 0:
        by_proxy = proxy_produced(url, raw, status)
        if by_proxy:
            kind = fk.PROXY_AUTH_REQUIRED if status == 407 else fk.BLOCKED if 400 <= status < 500 else fk.PROXY_ERROR
            advice = "; " + _HTTP_REASONS[status][1] if status in _HTTP_REASONS else ""
            result.update(outcome=FAILED, reason=kind, answered_by="proxy",
                          detail=f"{status} came from the proxy, not the service: {by_proxy}{advice}",
                          line_code=str(status) if status == 407 else f"{status} from the proxy")
            return result
        inside = tunnel_headers(url, raw)
        if inside:
            result.update(outcome=FAILED, reason=fk.TLS_INTERCEPTED, answered_by="proxy",
                          detail=f"the proxy's own header {inside} is on an answer inside the TLS tunnel: the proxy "
                                 "decrypted the traffic (TLS inspection)",
                          line_code="tls_intercepted, %s" % _line_safe(inside))
            return result
        result["answered_by"] = "service"
        if url.lower().startswith("https://") and not (spec or {}).get("no_pinning", False):
            tls = chain_verdict(raw.get("server_chain"), raw.get("chain_status"))
            result["tls_root"] = tls["root"]
            if tls["kind"]:
                result.update(outcome=FAILED, reason=tls["kind"], detail=tls["detail"], line_code=tls["line_code"])
                return result
        if status in accepted:
            result.update(outcome=SUCCEEDED, reason=fk.REACHABLE, detail=f"answered {status}")
            if method == "wpad" and result.get("autodetect_attempt") not in (None, "service"):
                result["detail"] += " through the discovered proxy %s (discovery succeeded on the %s attempt)" % (
                    result["proxy"], result["autodetect_attempt"])
        else:
            reason, detail = _HTTP_REASONS.get(status, (fk.UNEXPECTED_STATUS, f"{status}: not an expected answer"))
            result.update(outcome=FAILED, reason=reason, detail=detail)
        return result
    if error:
        name, reason, detail = WINHTTP_ERRORS.get(error, (winhttp_error_name(error), fk.ERROR, "WinHTTP error"))
        stage = raw.get("error_stage")
        if stage:
            detail = f"{detail} (during {stage})"
        result.update(outcome=FAILED, reason=reason, detail=f"{name}: {detail}")
        return result
    result.update(outcome=FAILED, reason=fk.ERROR, detail="neither a status code nor an error was reported")
    return result


def proxy_produced(url: str, raw: Mapping[str, Any], status: int) -> Optional[str]:
    """Why an answer must be the proxy's rather than the service's, or None.

    * https: the service can only answer inside TLS, so a status read while no server
      certificate was seen (``server_chain`` null) is the proxy's answer to CONNECT;
    * plain HTTP: ``X-Squid-Error`` or a ``Proxy-Status`` with an ``error`` parameter (RFC 9209)
      mark an answer the proxy made; ``Via`` alone is on relayed answers too, so it only
      disqualifies a code other than 200 (a relayed 404 cannot be told from a proxy's 404).
    """
    if url.lower().startswith("https://"):
        if "server_chain" in raw and not raw.get("server_chain"):
            return "no server certificate was seen, so the answer is the proxy's refusal of the CONNECT tunnel"
        return None
    headers = {str(k).lower().replace("-", "_"): v for k, v in (raw.get("proxy_headers") or {}).items() if v}
    if headers.get("x_squid_error"):
        return "X-Squid-Error: %s" % headers["x_squid_error"]
    proxy_status = str(headers.get("proxy_status") or "")
    if any(part.strip().lower().startswith("error=") for part in proxy_status.split(";")[1:]):
        return "Proxy-Status: %s" % proxy_status
    if headers.get("via") and status != 200:
        return "Via: %s on a %d answer (a proxy's own answer cannot be told from a relayed one)" % (
            headers["via"], status)
    return None


def proxy_used(raw: Mapping[str, Any], url: str) -> Optional[str]:
    """The proxy the probe's request went through, ``direct``, or None when not reported.

    For method 1 the target reports WinHTTP's default proxy and its bypass list; a URL whose host
    the bypass list matches went direct (proxy_address.BypassList, the collection's one matcher).
    """
    used = raw.get("proxy_used") or None
    bypass = raw.get("proxy_bypass")
    if used and used != "direct" and bypass:
        host = re.sub(r"^[a-z]+://", "", url, flags=re.IGNORECASE).split("/")[0].rsplit(":", 1)[0]
        try:
            if parse_bypass_list(bypass, field="proxy_bypass").matches(host):
                return "direct"
        except ProxyAddressError:
            pass   # an entry the parser refuses: WinHTTP's own reading is unknown, keep the proxy
    return used


def tunnel_headers(url: str, raw: Mapping[str, Any]) -> Optional[str]:
    """A proxy header on an https answer read inside TLS (a server chain was seen), or None.

    Inside a tunnel the proxy only relays bytes; a Via, X-Squid-Error or Proxy-Status header it
    adds there proves it decrypted the traffic, whatever the chain and the status code say.
    """
    if not url.lower().startswith("https://") or not raw.get("server_chain"):
        return None
    headers = {str(k).lower().replace("-", "_"): v for k, v in (raw.get("proxy_headers") or {}).items() if v}
    for key, name in (("via", "Via"), ("x_squid_error", "X-Squid-Error"), ("proxy_status", "Proxy-Status")):
        if headers.get(key):
            return "%s: %s" % (name, headers[key])
    return None


def chain_verdict(chain: Any, status: Any = None) -> Dict[str, Any]:
    """Whether a reported certificate chain (leaf first) ends in a Microsoft service root.

    ``kind`` is None when it does, ``tls_intercepted`` when it ends elsewhere (even in a root
    the device trusts: an inspection CA), ``tls_unverified`` when no chain was reported, and
    ``tls_error`` when the chain's trust status (CERT_TRUST_STATUS.dwErrorStatus, ``status``) has
    an error: such a chain proves nothing, whatever root it ends in.
    """
    if not chain:
        return {"kind": fk.TLS_UNVERIFIED, "root": None, "line_code": fk.TLS_UNVERIFIED,
                "detail": "the server certificate chain was not reported, so TLS inspection cannot be ruled out"}
    if not isinstance(chain, list) or not all(isinstance(c, Mapping) for c in chain):
        raise VerdictInputError("probes.server_chain", "type", "must be a list of certificates (dicts)")
    root = chain[-1]
    thumbprint = str(root.get("thumbprint") or "").replace(":", "").replace(" ", "").lower()
    errors = _optional_int(status, "probes.chain_status") or 0
    if thumbprint in microsoft_tls_trust.root_thumbprints() and errors:
        code = "0x%08X" % (errors & 0xFFFFFFFF)
        return {"kind": fk.TLS_ERROR, "root": root.get("subject"), "line_code": "chain status %s" % code,
                "detail": "the certificate chain has trust errors (CERT_TRUST_STATUS %s), so it proves nothing "
                          "about the service" % code}
    if thumbprint in microsoft_tls_trust.root_thumbprints():
        return {"kind": None, "root": root.get("subject"), "line_code": None, "detail": ""}
    issuer = chain[0].get("issuer") or root.get("subject") or "unknown issuer"
    return {"kind": fk.TLS_INTERCEPTED, "root": root.get("subject"),
            "line_code": "tls_intercepted, issuer %s" % _line_safe(issuer),
            "detail": "the certificate was issued by %s and chains to %s, not to a Microsoft service root: "
                      "TLS inspection, which the sensor's pinning rejects" % (issuer, root.get("subject"))}


def _line_safe(text: str) -> str:
    # The analyzer line keeps its code in parentheses: none inside, one line only.
    return " ".join(str(text).replace("(", "[").replace(")", "]").split())


def _optional_int(value: Any, field: str) -> Optional[int]:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise VerdictInputError(field, "type", "must be a number")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise VerdictInputError(field, "type", f"{value!r} is not a number") from None


# --- which method this device uses ---------------------------------------------------------------
def configured_method(telemetry_proxy_server: Optional[str],
                      winhttp_settings_hex: Optional[str] = None) -> Dict[str, Any]:
    """The analyzer method that matches how this device's sensor reaches the service.

    Reasoning (docs/reference/device-settings.md#registry-static-proxy, #fallback;
    connectivity-analyzer.md#methods; open-questions.md#q2-fallback, #q3-precedence, #q7-analyzer):

    * ``TelemetryProxyServer`` set: the sensor uses it (section 1, the registry-based static
      proxy; the analyzer's method 4 tests exactly that value). Uncertain: when that proxy is
      unreachable the sensor falls back to a direct connection according to the DLP pages, or to
      the default proxy configuration according to the CSP page (section 7, question 2), and which
      setting wins when several are set is not documented (question 3). So a failing named proxy
      fails the strict verdict; a method that would catch the fallback is reported, not counted.
    * otherwise a WinHTTP default proxy (``netsh winhttp set proxy``) set: the sensor, a WinHTTP
      client running as LocalSystem, uses it; method 1 (default proxy) tests it.
    * otherwise nothing static: the sensor relies on WinHTTP's automatic configuration (WPAD,
      then direct). Method 1 opens WinHTTP with its default configuration
      (WINHTTP_ACCESS_TYPE_DEFAULT_PROXY, the netsh proxy), which is direct here; WPAD is method 2,
      reported as a fallback. Which of the two the sensor reaches the service by when WPAD finds
      a proxy is not documented (section 7 question 7).

    ``winhttp_settings_hex`` is the native ``WinHttpSettings`` value as the module returns it
    (upper-case hex or None); it is decoded with the collection's codec.
    """
    notes: List[str] = []
    server = (telemetry_proxy_server or "").strip()
    if server:
        try:
            telemetry_proxy_server_value(server, field="TelemetryProxyServer")
        except ProxyAddressError as err:
            notes.append(f"TelemetryProxyServer {server!r} is not in the documented host:port form "
                         f"({err}); whether the sensor accepts it is undocumented (docs/reference/open-questions.md#q1-value-format)")
        notes.append("if this proxy is unreachable the sensor falls back to a direct connection (DLP docs) "
                     "or to the default proxy configuration (CSP docs); which one is undocumented "
                     "(docs/reference/open-questions.md#q2-fallback)")
        return {
            "method": "named",
            "proxy": server,
            "reason": f"TelemetryProxyServer is set to {server}: the sensor uses this registry-based static proxy",
            "fallbacks": ["disabled", "default"],
            "notes": notes,
        }
    default_proxy = None
    if winhttp_settings_hex:
        try:
            settings = decode_hex(winhttp_settings_hex)
        except WinHttpSettingsError as err:
            notes.append(f"the WinHttpSettings value could not be decoded ({err}); treated as direct access")
        else:
            if settings.uses_proxy:
                default_proxy = settings.proxy
    if default_proxy:
        return {
            "method": "default",
            "proxy": default_proxy,
            "reason": f"TelemetryProxyServer is not set and the WinHTTP default proxy is {default_proxy}: "
                      "the sensor, a WinHTTP client, uses it",
            "fallbacks": [],
            "notes": notes,
        }
    notes.append("method 1 uses WinHTTP's default configuration, which is direct on this device; when WPAD "
                 "(method 2) finds a proxy the sensor may use it instead, which is not documented "
                 "(docs/reference/connectivity-analyzer.md#methods, docs/reference/open-questions.md#q7-analyzer)")
    return {
        "method": "default",
        "proxy": None,
        "reason": "no static proxy is configured (no TelemetryProxyServer, WinHTTP default is direct): "
                  "the sensor relies on automatic discovery (WPAD) and then a direct connection",
        "fallbacks": ["wpad", "disabled"],
        "notes": notes,
    }


# --- one URL ---------------------------------------------------------------------------------------
def identity_of(process: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    """Who the probes ran as: user, sid, system (None when the reply does not say) and the
    methods whose results are withheld because the account is not SYSTEM."""
    process = process or {}
    sid = process.get("sid") or None
    system = None if sid is None else sid == SYSTEM_SID
    return {"user": process.get("user") or None, "sid": sid, "system": system,
            "withheld_methods": list(IDENTITY_METHODS) if system is False else []}


def url_verdict(spec: Mapping[str, Any], raw_probes: Sequence[Mapping[str, Any]],
                configured: Mapping[str, Any], identity: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """Verdicts for one URL from its raw probes (any order; missing methods count as skipped).

    ``identity`` (:func:`identity_of`): a success of an identity-dependent method when the probes
    did not run as SYSTEM is kept with ``counted`` false and never passes the URL.
    """
    strict_codes = accepted_statuses(spec)
    withheld = set((identity or {}).get("withheld_methods") or ())
    by_method = {probe.get("method"): probe for probe in raw_probes}
    probes = []
    for method in METHODS:
        raw = by_method.get(method) or {"method": method, "attempted": False, "skip_reason": "not-requested"}
        probe = classify_probe(raw, ANALYZER_ACCEPTED, spec)
        probe["counted"] = method not in withheld
        if not probe["counted"]:
            probe["ran_as"] = (identity or {}).get("user") or (identity or {}).get("sid")
            if probe["outcome"] == SUCCEEDED:
                probe["detail"] += " as %s, not SYSTEM: not counted (the sensor runs as SYSTEM)" % probe["ran_as"]
        probe["strict_ok"] = probe["counted"] and probe["outcome"] == SUCCEEDED and probe["status_code"] in strict_codes
        probes.append(probe)
    analyzer = PASS if any(p["outcome"] == SUCCEEDED and p["counted"] for p in probes) else FAIL
    chosen = next(p for p in probes if p["method"] == configured["method"])
    if chosen["outcome"] in (SKIPPED, ABSENT) or not chosen["counted"]:
        strict = UNTESTED
    else:
        strict = PASS if chosen["strict_ok"] else FAIL
    fallback_ok = [m for m in configured.get("fallbacks", ())
                   if next(p for p in probes if p["method"] == m)["strict_ok"]]
    tokens = [method_token(p) for p in probes]
    return {
        "url": spec["url"],
        "channel": spec.get("channel", "other"),
        "required": bool(spec.get("required", True)),
        "expected_status": list(spec.get("expected_status") or ()),
        "no_pinning": bool(spec.get("no_pinning", False)),
        "probes": probes,
        "analyzer": analyzer,
        "strict": strict,
        "configured_method": configured["method"],
        "configured_elapsed_ms": chosen["elapsed_ms"],
        "tokens": tokens,
        "fallback_succeeded": fallback_ok,
        "diagnosis": _diagnosis(chosen, strict, fallback_ok, configured),
    }


def method_token(probe: Mapping[str, Any]) -> str:
    """A classified probe as one short token for compact reports: ``S<code>`` succeeded,
    ``F<code>`` failed (HTTP status, WinHTTP error or reason), ``-`` doesn't exist, ``N`` not run."""
    outcome = probe["outcome"]
    if outcome == SUCCEEDED and probe.get("counted") is False:
        return "Fnot-system"   # a success as another account proves nothing for the sensor
    if outcome == SUCCEEDED:
        return "S%d" % probe["status_code"]
    if outcome == ABSENT:
        return "-"
    if outcome == SKIPPED:
        return "N"
    # A status that the verdict does not count must not show as the token: say why instead.
    if probe.get("reason") == fk.WPAD_FAILED and probe.get("autodetect_error"):
        return "F%d" % probe["autodetect_error"]
    if probe.get("reason") in (fk.TLS_INTERCEPTED, fk.TLS_UNVERIFIED):
        return "F%s" % probe["reason"].replace("_", "-")  # the fleet token pattern has no underscore
    return "F%s" % (probe.get("status_code") or probe.get("winhttp_error") or probe.get("reason") or "error")


def _diagnosis(chosen: Mapping[str, Any], strict: str, fallback_ok: Sequence[str],
               configured: Mapping[str, Any]) -> str:
    label = f"{chosen['number']} - {chosen['label']}"
    if strict == PASS:
        return f"{label} (the configured method) {chosen['detail']}"
    if strict == UNTESTED and chosen.get("counted") is False:
        return f"{label} (the configured method) depends on the account and did not run as SYSTEM: {chosen['detail']}"
    if strict == UNTESTED:
        return f"{label} (the configured method) was not tested: {chosen['detail']}"
    text = f"{label} (the configured method) failed: {chosen['detail']}"
    if fallback_ok:
        names = ", ".join(f"{METHOD_NUMBERS[m]} - {METHOD_LABELS[m]}" for m in fallback_ok)
        text += f"; {names} succeeded, which the sensor may fall back to (undocumented)"
    return text


# --- channels and hosts ----------------------------------------------------------------------------
def channel_verdicts(urls: Sequence[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    """One verdict per channel that has URLs, in the analyzer's channel order."""
    verdicts = []
    for channel in CHANNEL_ORDER:
        members = [u for u in urls if u["channel"] == channel]
        if not members:
            continue
        analyzer_failed = [u["url"] for u in members if u["analyzer"] == FAIL]
        strict_failed = [u["url"] for u in members if u["strict"] == FAIL]
        events = CHANNELS[channel]["events"]
        event_id = None
        if events:
            event_id = events[min(len(analyzer_failed), 2)]
        verdicts.append({
            "channel": channel,
            "label": CHANNELS[channel]["label"],
            "urls": len(members),
            "analyzer": FAIL if analyzer_failed else PASS,
            "strict": FAIL if strict_failed else PASS,
            "analyzer_failed": analyzer_failed,
            "strict_failed": strict_failed,
            "event_id": event_id,
        })
    return verdicts


def host_verdict(url_specs: Sequence[Mapping[str, Any]], module_result: Mapping[str, Any]) -> Dict[str, Any]:
    """Everything the reports need about one host, from the module's raw answer.

    ``module_result`` holds ``probes`` (raw probe list), ``telemetry_proxy_server`` and
    ``winhttp_settings`` ({native, wow64} hex), plus ``run`` and ``process`` which are copied.
    """
    settings = module_result.get("winhttp_settings") or {}
    configured = configured_method(module_result.get("telemetry_proxy_server"), settings.get("native"))
    identity = identity_of(module_result.get("process"))
    grouped: Dict[str, List[Mapping[str, Any]]] = {}
    for probe in module_result.get("probes") or ():
        grouped.setdefault(probe.get("url"), []).append(probe)
    urls = [url_verdict(spec, grouped.get(spec["url"], ()), configured, identity) for spec in url_specs]
    return {
        "configured": configured,
        "identity": identity,
        "urls": urls,
        "channels": channel_verdicts(urls),
        "summary": summarise(urls),
        "run": dict(module_result.get("run") or {}),
        "process": dict(module_result.get("process") or {}),
        "telemetry_proxy_server": module_result.get("telemetry_proxy_server"),
    }


def summarise(urls: Sequence[Mapping[str, Any]]) -> Dict[str, Any]:
    """Counts and overall verdicts for one host's URL verdicts."""
    def failed(key: str, required_only: bool = False) -> List[str]:
        return [u["url"] for u in urls if u[key] == FAIL and (u["required"] or not required_only)]
    return {
        "urls": len(urls),
        "analyzer": FAIL if failed("analyzer") else PASS,
        "strict": FAIL if failed("strict") else PASS,
        "analyzer_failed": failed("analyzer"),
        "strict_failed": failed("strict"),
        "required_strict_failed": failed("strict", required_only=True),
        "required_analyzer_failed": failed("analyzer", required_only=True),
        "untested": [u["url"] for u in urls if u["strict"] == UNTESTED],
    }


FAIL_POLICIES = ("any", "required", "never")
FAIL_VERDICTS = ("strict", "analyzer")


def policy_failures(summary: Mapping[str, Any], policy: str = "any", verdict: str = "strict") -> List[str]:
    """The URLs that make a host fail under ``policy`` (empty list: the host passes)."""
    if policy not in FAIL_POLICIES:
        raise VerdictInputError("fail_policy", "choices", f"{policy!r} is not one of {', '.join(FAIL_POLICIES)}")
    if verdict not in FAIL_VERDICTS:
        raise VerdictInputError("fail_verdict", "choices", f"{verdict!r} is not one of {', '.join(FAIL_VERDICTS)}")
    if policy == "never":
        return []
    key = f"required_{verdict}_failed" if policy == "required" else f"{verdict}_failed"
    return list(summary.get(key) or ())


# --- analyzer text (rendered by module_utils.analyzer_text, the collection's one renderer) -------
def analyzer_outcome(probe: Mapping[str, Any]) -> Optional[analyzer_text.MethodOutcome]:
    """One classified probe as an analyzer line outcome; None renders as "Doesn't exist"."""
    if probe["outcome"] == ABSENT:
        return None
    proxy = probe.get("proxy") if probe["method"] in ("named", "command_line") else None
    proxy = probe.get("proxy_used") or proxy   # the proxy the request went through, or "direct"
    if probe["outcome"] == SUCCEEDED and probe.get("counted") is False:
        return analyzer_text.MethodOutcome(False, "%s as %s, not SYSTEM: not counted" % (
            probe["status_code"], _line_safe(probe["ran_as"])), proxy)
    if probe["outcome"] == SUCCEEDED:
        return analyzer_text.MethodOutcome(True, probe["status_code"], proxy)
    if probe.get("line_code"):
        code: Any = probe["line_code"]
    elif probe.get("status_code"):
        code = probe["status_code"]
    elif probe.get("winhttp_error"):
        code = probe["winhttp_error"]
    else:
        code = probe["reason"]
    return analyzer_text.MethodOutcome(False, code, proxy)


def analyzer_blocks(urls: Sequence[Mapping[str, Any]]) -> List[analyzer_text.UrlBlock]:
    """URL verdicts (from :func:`url_verdict`) as the analyzer's per-URL blocks."""
    blocks = []
    for url in urls:
        methods = {}
        for probe in url["probes"]:
            outcome = analyzer_outcome(probe)
            if outcome is not None:
                methods[probe["number"]] = outcome
        blocks.append(analyzer_text.UrlBlock(url["url"], methods))
    return blocks


def render_analyzer_text(urls: Sequence[Mapping[str, Any]], legacy: bool = False) -> str:
    """The analyzer's text for one host's URL verdicts."""
    return analyzer_text.render_report(analyzer_blocks(urls), legacy=legacy)


# --- Defender Antivirus's own cloud check (MpCmdRun -ValidateMapsConnection) -----------------------
# The target only runs MpCmdRun.exe and returns its exit code and output lines; the verdict is here.
# Microsoft documents the command's *output* (the success sentence and "failed to establish a
# connection to MAPS (hr=... httpcode=...)", docs/connectivity-check.md "MAPS"), not its exit code. So
# the output decides a failure and its HRESULT, and a pass needs both: exit code 0 and the documented
# success sentence with no failure sentence. Neither half alone can make a false pass.
MAPS_LABEL = "MAPS (MpCmdRun -ValidateMapsConnection)"
MAPS_PASSED = "passed"
MAPS_FAILED = "failed"
MAPS_NOT_RUN = "not_run"

_MAPS_SUCCESS_RE = re.compile(r"successfully\s+established\s+a\s+connection\s+to\s+MAPS", re.IGNORECASE)
_MAPS_FAILURE_RE = re.compile(r"ValidateMapsConnection\s+failed|failed\s+to\s+establish", re.IGNORECASE)
_MAPS_HR_RE = re.compile(r"\bhr\s*=\s*(?:0x)?([0-9a-f]+)", re.IGNORECASE)
_MAPS_PLAIN_HR_RE = re.compile(r"\b(?:0x)?(80[0-9a-f]{6})\b", re.IGNORECASE)
_MAPS_HTTPCODE_RE = re.compile(r"\bhttpcode\s*=\s*(\d+)", re.IGNORECASE)

# HRESULTs MpCmdRun reports, with the cause Microsoft gives (MpCmdRun page "Common errors", [AV] for
# 0x80072F8F) or, marked so, what the WinHTTP error inside the HRESULT means.
MAPS_HRESULTS = {
    "0x80072F8F": "certificate validation failed (ERROR_WINHTTP_SECURE_FAILURE, 12175): per Microsoft the "
                  "certificate revocation list could not be fetched because the operating system has no "
                  "system-wide WinHTTP proxy; give it one, or see SSLOptions (docs/defender-antivirus-proxy.md)",
    "0x80070006": "a firewall blocks the connection or inspects TLS (Microsoft, httpcode 451)",
    "0x80508015": "a firewall blocks the connection or inspects TLS (Microsoft)",
    "0x80072EE7": "a firewall blocks the connection or inspects TLS (Microsoft; the WinHTTP error inside is "
                  "12007, name not resolved)",
    "0x80004005": "a network problem such as name resolution (Microsoft)",
    "0x80070005": "insufficient privileges: run the check elevated or as SYSTEM (Microsoft)",
    "0x800106BA": "the Microsoft Defender Antivirus service is disabled (Microsoft)",
    "0x80070667": "the command needs Windows 10 1703 / Windows Server 2019 or later (Microsoft)",
    "0x80072EFE": "the connection was closed abnormally (WinHTTP error 12030; not described on Microsoft's "
                  "MpCmdRun page)",
}

# ERROR_NOT_SUPPORTED as an HRESULT: what MpCmdRun answers where the command does not exist
# (Windows Server 2016 / 1607).
MAPS_UNSUPPORTED = "0x80070667"

_MAPS_NOT_RUN = {
    "not-installed": "MpCmdRun.exe was not found (Defender Antivirus is not installed or was removed)",
    "start-failed": "MpCmdRun.exe could not be started (an application control or tamper policy, or access denied)",
    "no-result": "the target returned no MAPS result",
}


def _maps_hresult(text: str, failed: bool) -> Optional[str]:
    # A bare 80xxxxxx is read only from a failure sentence ("ValidateMapsConnection failed (800106BA)").
    match = _MAPS_HR_RE.search(text) or (_MAPS_PLAIN_HR_RE.search(text) if failed else None)
    if not match:
        return None
    digits = match.group(1).upper()
    # Microsoft's own table misprints one code with nine digits; keep such text as it is.
    return "0x" + digits.rjust(8, "0") if len(digits) <= 8 else "0x" + digits


def _exit_hresult(code: Optional[int]) -> Optional[str]:
    """An exit code that is an error HRESULT (bit 31 set, signed or not) in 0x form, else None."""
    if code is None:
        return None
    value = code & 0xFFFFFFFF
    return "0x%08X" % value if value & 0x80000000 else None


def maps_verdict(raw: Optional[Mapping[str, Any]]) -> Optional[Dict[str, Any]]:
    """The MAPS result from the module's raw ``maps`` facts; None when the check was not asked for.

    Returns status (``passed``, ``failed``, ``not_run``), hresult (``0x...``, from the output, or
    from the exit code when the output names none), meaning (known HRESULTs), httpcode, detail,
    exit_code, elapsed_ms, path and line (the analyzer-style line).
    """
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise VerdictInputError("maps", "type", "must be a dict")
    lines = raw.get("output") or []
    if not isinstance(lines, list):
        raise VerdictInputError("maps.output", "type", "must be a list of lines")
    # How MpCmdRun encodes redirected output is not documented: UTF-16 read as a one-byte code page
    # leaves a NUL after every character, which must not hide a sentence from the rules below.
    lines = [" ".join(str(line).replace("\x00", "").split()) for line in lines]
    lines = [line for line in lines if line]
    text = "\n".join(lines)
    exit_code = _optional_int(raw.get("exit_code"), "maps.exit_code")
    result: Dict[str, Any] = {
        "status": MAPS_NOT_RUN, "hresult": None, "meaning": None, "httpcode": None, "detail": "",
        "exit_code": exit_code, "elapsed_ms": _optional_int(raw.get("elapsed_ms"), "maps.elapsed_ms") or 0,
        "path": raw.get("path") or None, "output": lines,
    }
    if not raw.get("ran"):
        reason = raw.get("not_run_reason") or "not-installed"
        if reason not in _MAPS_NOT_RUN:
            raise VerdictInputError("maps.not_run_reason", "choices",
                                    f"{reason!r} is not one of {', '.join(_MAPS_NOT_RUN)}")
        detail = _MAPS_NOT_RUN[reason]
        if raw.get("error_message"):
            detail += ": " + " ".join(str(raw["error_message"]).split())
        result.update(detail=detail, reason=reason, line=f"{MAPS_LABEL}: Not run ({reason})")
        return result
    if raw.get("timed_out"):
        seconds = (_optional_int(raw.get("timeout_ms"), "maps.timeout_ms") or 0) // 1000
        result.update(status=MAPS_FAILED, reason=fk.TIMEOUT,
                      detail=f"MpCmdRun did not finish within {seconds} s and was stopped",
                      line=f"{MAPS_LABEL}: Failed (timed out after {seconds} s)")
        return result
    hresult = _maps_hresult(text, bool(_MAPS_FAILURE_RE.search(text)))
    http = _MAPS_HTTPCODE_RE.search(text)
    result["httpcode"] = int(http.group(1)) if http else None
    failed_text = bool(_MAPS_FAILURE_RE.search(text)) or hresult is not None
    if exit_code == 0 and not failed_text and _MAPS_SUCCESS_RE.search(text):
        result.update(status=MAPS_PASSED, reason=None, detail="MpCmdRun reports a connection to MAPS",
                      line=f"{MAPS_LABEL}: Succeeded")
        return result
    hresult = hresult or _exit_hresult(exit_code)
    if hresult == MAPS_UNSUPPORTED:
        # The release has no such command (before Windows 10 1703 / Server 2019): nothing was
        # tested, so nothing failed.
        result.update(status=MAPS_NOT_RUN, reason="unsupported", hresult=hresult, meaning=MAPS_HRESULTS[hresult],
                      detail="MpCmdRun -ValidateMapsConnection is not supported on this Windows release "
                             f"({hresult}: {MAPS_HRESULTS[hresult]})",
                      line=f"{MAPS_LABEL}: Not run (unsupported, {hresult})")
        return result
    result.update(status=MAPS_FAILED, hresult=hresult, meaning=MAPS_HRESULTS.get(hresult or ""))
    if failed_text or hresult:
        result["reason"] = "maps_failed"
        result["detail"] = "MpCmdRun reports no connection to MAPS" + (
            f" ({hresult}: {result['meaning']})" if result["meaning"] else f" ({hresult})" if hresult else "")
        code = hresult or ("exit code %s" % exit_code)
    elif exit_code != 0:
        result["reason"] = "maps_failed"
        result["detail"] = f"MpCmdRun ended with exit code {exit_code}; its output does not confirm a connection"
        code = f"exit code {exit_code}"
    else:
        result["reason"] = "maps_unconfirmed"
        result["detail"] = "MpCmdRun ended with exit code 0 but its output does not confirm a connection to MAPS"
        code = "no success message"
    result["line"] = f"{MAPS_LABEL}: Failed ({_line_safe(code)})"
    return result


def render_maps_line(maps: Optional[Mapping[str, Any]]) -> str:
    """The one MAPS line that follows the URL blocks (empty text when the check was not asked for)."""
    return (maps["line"] + "\n") if maps else ""
