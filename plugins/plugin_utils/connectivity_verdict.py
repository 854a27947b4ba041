# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Classify raw WinHTTP probe results and give verdicts per URL, per channel and per host.

``purview.device_proxy.device_connectivity_probe`` runs, for every service URL, the methods of
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

from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.purview.device_proxy.plugins.module_utils import analyzer_model as model
from ansible_collections.purview.device_proxy.plugins.module_utils import analyzer_text
from ansible_collections.purview.device_proxy.plugins.module_utils import failure_kinds as fk
from ansible_collections.purview.device_proxy.plugins.module_utils.analyzer_model import optional_int
from ansible_collections.purview.device_proxy.plugins.module_utils.analyzer_text import line_safe
from ansible_collections.purview.device_proxy.plugins.plugin_utils.answer_origin import (
    chain_verdict,
    proxy_produced,
    proxy_used,
    tunnel_headers,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.configured_method import configured_method
from ansible_collections.purview.device_proxy.plugins.plugin_utils import maps_check

# The MAPS check lives in maps_check; the fleet report reads these names through this module.
MAPS_PASSED, MAPS_FAILED, MAPS_NOT_RUN = maps_check.MAPS_PASSED, maps_check.MAPS_FAILED, maps_check.MAPS_NOT_RUN
maps_verdict, render_maps_line = maps_check.maps_verdict, maps_check.render_maps_line

# The analyzer's methods, numbers, labels and accepted codes: the one model.
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

# WinHTTP error numbers (winhttp.h) the probes can end with: the error's name, its failure kind and
# the failure_kinds variant that says what the number usually means.
WINHTTP_ERRORS = {
    12002: ("ERROR_WINHTTP_TIMEOUT", fk.TIMEOUT, "request_timed_out"),
    12004: ("ERROR_WINHTTP_INTERNAL_ERROR", fk.ERROR, "winhttp_internal"),
    12005: ("ERROR_WINHTTP_INVALID_URL", fk.BAD_URL, ""),
    12006: ("ERROR_WINHTTP_UNRECOGNIZED_SCHEME", fk.BAD_URL, "scheme"),
    12007: ("ERROR_WINHTTP_NAME_NOT_RESOLVED", fk.DNS_FAILURE, "host_or_proxy"),
    12017: ("ERROR_WINHTTP_OPERATION_CANCELLED", fk.TIMEOUT, "cancelled"),
    12029: ("ERROR_WINHTTP_CANNOT_CONNECT", fk.CONNECTION_REFUSED, "no_tcp"),
    12030: ("ERROR_WINHTTP_CONNECTION_ERROR", fk.CONNECTION_RESET, ""),
    12032: ("ERROR_WINHTTP_RESEND_REQUEST", fk.ERROR, "resend"),
    12037: ("ERROR_WINHTTP_SECURE_CERT_DATE_INVALID", fk.TLS_ERROR, "cert_expired"),
    12038: ("ERROR_WINHTTP_SECURE_CERT_CN_INVALID", fk.TLS_ERROR, "cert_name"),
    12044: ("ERROR_WINHTTP_CLIENT_AUTH_CERT_NEEDED", fk.TLS_ERROR, "client_cert"),
    12045: ("ERROR_WINHTTP_SECURE_INVALID_CA", fk.TLS_ERROR, "untrusted_root"),
    12057: ("ERROR_WINHTTP_SECURE_CERT_REV_FAILED", fk.TLS_ERROR, "revocation_unchecked"),
    12152: ("ERROR_WINHTTP_INVALID_SERVER_RESPONSE", fk.BAD_RESPONSE, ""),
    12157: ("ERROR_WINHTTP_SECURE_CHANNEL_ERROR", fk.TLS_ERROR, ""),
    12166: ("ERROR_WINHTTP_BAD_AUTO_PROXY_SCRIPT", fk.WPAD_FAILED, "pac_error"),
    12167: ("ERROR_WINHTTP_UNABLE_TO_DOWNLOAD_SCRIPT", fk.WPAD_FAILED, "pac_download"),
    12169: ("ERROR_WINHTTP_SECURE_INVALID_CERT", fk.TLS_ERROR, "cert_invalid"),
    12170: ("ERROR_WINHTTP_SECURE_CERT_REVOKED", fk.TLS_ERROR, "cert_revoked"),
    12175: ("ERROR_WINHTTP_SECURE_FAILURE", fk.TLS_ERROR, "cert_validation"),
    12178: ("ERROR_WINHTTP_AUTO_PROXY_SERVICE_ERROR", fk.WPAD_FAILED, "service"),
    12180: ("ERROR_WINHTTP_AUTODETECTION_FAILED", fk.WPAD_FAILED, "nothing_found"),
    12015: ("ERROR_WINHTTP_LOGIN_FAILURE", fk.WPAD_FAILED, "pac_logon"),
}

# HTTP answers that point at the proxy rather than the service (docs/reference/proxy-requirements.md#allow,
# #anonymous); each is worded by its kind's ``http_<status>`` variant.
HTTP_STATUS_KINDS = {403: fk.BLOCKED, 407: fk.PROXY_AUTH_REQUIRED, 502: fk.PROXY_ERROR, 503: fk.PROXY_ERROR,
                     504: fk.PROXY_ERROR}


def _status_sentence(status: int) -> str:
    """What a status that points at the proxy means (HTTP_STATUS_KINDS)."""
    return fk.sentence(HTTP_STATUS_KINDS[status], "http_%d" % status)


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
    status = optional_int(raw.get("status_code"), "probes.status_code")
    error = optional_int(raw.get("winhttp_error"), "probes.winhttp_error") or None
    url = str((spec or {}).get("url") or raw.get("url") or "")
    result = {
        "method": method,
        "number": METHOD_NUMBERS[method],
        "label": METHOD_LABELS[method],
        "status_code": status,
        "winhttp_error": error,
        "error_name": winhttp_error_name(error) if error else None,
        "elapsed_ms": optional_int(raw.get("elapsed_ms"), "probes.elapsed_ms") or 0,
        "proxy": raw.get("proxy") or None,
        "proxy_used": proxy_used(raw, url),
        "access": raw.get("access") or None,
        "identity_dependent": method in IDENTITY_METHODS,
        "answered_by": None,
        "line_code": None,
    }
    if method == "wpad":
        result["autodetect_error"] = optional_int(raw.get("autodetect_error"), "probes.autodetect_error")
        result["autodetect_attempt"] = raw.get("autodetect_attempt") or None
    established = raw.get("established")
    if established == fk.PROXY_UNREACHABLE:
        count = optional_int(raw.get("established_on"), "probes.established_on") or 0
        result.update(outcome=FAILED, reason=fk.PROXY_UNREACHABLE, established_on=count,
                      detail=fk.sentence(fk.PROXY_UNREACHABLE, "established", count=count),
                      line_code=f"proxy unreachable, established on {count} URLs")
        return result
    if established is not None and established not in fk.ESTABLISHED:
        raise VerdictInputError("probes.established", "choices",
                                f"{established!r} is not one of {', '.join(fk.ESTABLISHED)}")
    skip = raw.get("skip_reason")
    if (not raw.get("attempted", True) or skip not in (None, "")) and established is None:
        if skip not in fk.SKIP_REASONS:
            raise VerdictInputError("probes.skip_reason", "choices",
                                    f"{skip!r} is not one of {', '.join(fk.SKIP_REASONS)} "
                                    "(a probe that was not attempted says why)")
        if skip == fk.DEADLINE:
            result.update(outcome=SKIPPED, reason=fk.DEADLINE, detail=fk.sentence(fk.DEADLINE),
                          line_code="not run: deadline")
        elif skip == fk.NOT_REQUESTED:
            result.update(outcome=SKIPPED, reason=fk.NOT_REQUESTED, detail=fk.sentence(fk.NOT_REQUESTED),
                          line_code="not run: not requested")
        else:
            setting = model.BY_KEY[method].proxy_setting
            result.update(outcome=ABSENT, reason=fk.NOT_CONFIGURED,
                          detail=fk.sentence(fk.NOT_CONFIGURED, "setting", setting=setting) if setting
                          else fk.sentence(fk.NOT_CONFIGURED))
        return result
    if method == "wpad" and result["autodetect_error"] and not result["proxy"]:
        code = result["autodetect_error"]
        name, kind, variant = WINHTTP_ERRORS.get(code, (winhttp_error_name(code), fk.WPAD_FAILED, "discovery_failed"))
        wording = "shared_discovery" if established else "went_direct" if status else "no_proxy_discovered"
        result.update(outcome=FAILED, reason=fk.WPAD_FAILED,
                      detail=fk.sentence(fk.WPAD_FAILED, wording, error=name, cause=fk.sentence(kind, variant),
                                         number=METHOD_NUMBERS[method]),
                      line_code=f"{_WPAD_WORDS}, {code}")
        return result
    if raw.get("timed_out"):
        stage = raw.get("error_stage")
        result.update(outcome=FAILED, reason=fk.TIMEOUT,
                      detail=fk.sentence(fk.TIMEOUT, "probe_limit_stage", stage=stage) if stage
                      else fk.sentence(fk.TIMEOUT, "probe_limit"))
        return result
    if status is not None and status > 0:
        by_proxy = proxy_produced(url, raw, status)
        if by_proxy:
            kind = fk.PROXY_AUTH_REQUIRED if status == 407 else fk.BLOCKED if 400 <= status < 500 else fk.PROXY_ERROR
            advice = "; " + _status_sentence(status) if status in HTTP_STATUS_KINDS else ""
            result.update(outcome=FAILED, reason=kind, answered_by="proxy",
                          detail=fk.sentence(kind, "from_proxy", status=status, evidence=by_proxy, advice=advice),
                          line_code=proxy_answer_code(status))
            return result
        inside = tunnel_headers(url, raw)
        if inside:
            result.update(outcome=FAILED, reason=fk.TLS_INTERCEPTED, answered_by="proxy",
                          detail=fk.sentence(fk.TLS_INTERCEPTED, "tunnel_header", header=inside),
                          line_code="tls_intercepted, %s" % line_safe(inside))
            return result
        result["answered_by"] = "service"
        if url.lower().startswith("https://") and not (spec or {}).get("no_pinning", False):
            tls = chain_verdict(raw.get("server_chain"), raw.get("chain_status"))
            result["tls_root"] = tls["root"]
            if tls["kind"]:
                result.update(outcome=FAILED, reason=tls["kind"], detail=tls["detail"], line_code=tls["line_code"])
                return result
        if status in accepted:
            result.update(outcome=SUCCEEDED, reason=fk.REACHABLE, detail=fk.sentence(fk.REACHABLE, "status", status=status))
            if method == "wpad" and result.get("autodetect_attempt") not in (None, "service"):
                result["detail"] = fk.sentence(fk.REACHABLE, "status_via_discovery", status=status,
                                               proxy=result["proxy"], attempt=result["autodetect_attempt"])
        elif status in HTTP_STATUS_KINDS:
            result.update(outcome=FAILED, reason=HTTP_STATUS_KINDS[status], detail=_status_sentence(status))
        else:
            result.update(outcome=FAILED, reason=fk.UNEXPECTED_STATUS,
                          detail=fk.sentence(fk.UNEXPECTED_STATUS, "status", status=status))
        return result
    if error:
        name, reason, variant = WINHTTP_ERRORS.get(error, (winhttp_error_name(error), fk.ERROR, "winhttp_other"))
        detail = fk.sentence(reason, variant)
        stage = raw.get("error_stage")
        if stage:
            detail = f"{detail} (during {stage})"
        result.update(outcome=FAILED, reason=reason, detail=f"{name}: {detail}")
        return result
    result.update(outcome=FAILED, reason=fk.ERROR, detail=fk.sentence(fk.ERROR, "no_answer"))
    return result


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
        raw = by_method.get(method) or {"method": method, "attempted": False, "skip_reason": fk.NOT_REQUESTED}
        probe = classify_probe(raw, ANALYZER_ACCEPTED, spec)
        probe["counted"] = method not in withheld
        if not probe["counted"]:
            probe["ran_as"] = (identity or {}).get("user") or (identity or {}).get("sid")
            if probe["outcome"] == SUCCEEDED:
                probe["detail"] += " as %s, not SYSTEM: not counted (the sensor runs as SYSTEM)" % probe["ran_as"]
        probe["strict_ok"] = probe["counted"] and probe["outcome"] == SUCCEEDED and probe["status_code"] in strict_codes
        probes.append(probe)
    chosen = next(p for p in probes if p["method"] == configured["method"])
    analyzer, strict = url_verdicts(probes, chosen)
    fallback_ok = [m for m in configured.get("fallbacks", ())
                   if next(p for p in probes if p["method"] == m)["strict_ok"]]
    return url_record(spec["url"], spec.get("channel", "other"), spec, probes, analyzer, strict, chosen,
                      fallback_ok, _diagnosis(chosen, strict, fallback_ok, configured))


def url_verdicts(probes: Sequence[Mapping[str, Any]], chosen: Mapping[str, Any]) -> Tuple[str, str]:
    """The URL's two verdicts from its classified probes: the **analyzer** one passes when any counted
    method succeeded; the **strict** one judges ``chosen`` (the configured method's probe) alone, and is
    untested when that method did not run or its result does not count."""
    analyzer = PASS if any(p["outcome"] == SUCCEEDED and p["counted"] for p in probes) else FAIL
    if chosen["outcome"] in (SKIPPED, ABSENT) or not chosen["counted"]:
        return analyzer, UNTESTED
    return analyzer, PASS if chosen["strict_ok"] else FAIL


def proxy_answer_code(status: int) -> str:
    """The analyzer-line code of an answer the proxy made itself: ``407``, else ``<status> from the proxy``."""
    return str(status) if status == 407 else f"{status} from the proxy"


def url_record(url: str, channel: str, known: Mapping[str, Any], probes: List[Dict[str, Any]], analyzer: str,
               strict: str, chosen: Optional[Mapping[str, Any]], fallback_ok: Sequence[str],
               diagnosis: str) -> Dict[str, Any]:
    """One URL's verdict record, as the fleet report reads it, whatever the result came from (a device's
    probe, an analyzer file, a network probe). ``known`` gives the catalog's facts of the URL; ``chosen``
    is the probe of the configured method (None when no method is configured)."""
    return {
        "url": url,
        "channel": channel,
        "required": bool(known.get("required", True)),
        "expected_status": list(known.get("expected_status") or ()),
        "no_pinning": bool(known.get("no_pinning", False)),
        "probes": probes,
        "analyzer": analyzer,
        "strict": strict,
        "configured_method": chosen["method"] if chosen else None,
        "configured_elapsed_ms": chosen["elapsed_ms"] if chosen else None,
        "tokens": [method_token(p) for p in probes],
        "fallback_succeeded": list(fallback_ok),
        "diagnosis": diagnosis,
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
        return "F%s" % probe["reason"].replace("_", "-")
    code = probe.get("status_code") or probe.get("winhttp_error") or probe.get("reason") or "error"
    return "F%s" % str(code).replace("_", "-")  # a kind as a token: the fleet token pattern has no underscore


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
    ``winhttp_settings`` ({native, wow64} hex), ``winhttp_api`` (WinHTTP's own reading of its
    default proxy), plus ``run`` and ``process`` which are copied.
    """
    settings = module_result.get("winhttp_settings") or {}
    configured = configured_method(module_result.get("telemetry_proxy_server"), settings.get("native"),
                                   module_result.get("winhttp_api"))
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


def strict_unavailable_reason(result: Any, verdict: str) -> Optional[str]:
    """Why ``result`` (a device probe's task result) has no strict verdict, or None when it has one.

    The sensor runs as SYSTEM and methods 1 and 2 depend on the account: when the device's route
    is one of them and the probes ran as another account, those URLs are ``untested`` and the
    strict verdict cannot be given. Such a host has no result under it, never a pass.
    """
    if verdict != "strict" or not isinstance(result, Mapping):
        return None
    identity = result.get("identity")
    urls = result.get("urls")
    if not isinstance(identity, Mapping) or identity.get("system") is not False or not isinstance(urls, list):
        return None
    if not any(isinstance(url, Mapping) and url.get("strict") == UNTESTED for url in urls):
        return None
    withheld = ", ".join(str(METHOD_NUMBERS.get(m, m)) for m in identity.get("withheld_methods") or ())
    return ("no result under the strict verdict: the probes ran as %s, not SYSTEM, and the device's route is "
            "a method whose result depends on the account (methods %s); run the check with become (SYSTEM), "
            "or report with fail_verdict analyzer" % (identity.get("user") or "another account", withheld or "1, 2"))


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
    proxy = probe.get("proxy") if probe["method"] in model.PROXY_METHOD_KEYS else None
    proxy = probe.get("proxy_used") or proxy   # the proxy the request went through, or "direct"
    if probe["outcome"] == SUCCEEDED and probe.get("counted") is False:
        return analyzer_text.MethodOutcome(False, "%s as %s, not SYSTEM: not counted" % (
            probe["status_code"], line_safe(probe["ran_as"])), proxy)
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
