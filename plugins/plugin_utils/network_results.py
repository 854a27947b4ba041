# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""network_url_probe results as fleet report input: one result per host, shaped like the device probe's.

``connectivity_report`` with ``source: network`` reads each host's registered
``purview.device_proxy.network_url_probe`` result (its ``results`` list of probes, one per URL and
route, and its ``skipped_routes``) and :func:`prepare` turns it into what ``fleet_report.build_fleet``
reads from a ``device_connectivity_probe`` result: URL verdicts with a probe per analyzer method,
tokens, a diagnosis, the summary, the configured method and the analyzer text. The reports, the
history and the metrics then take it as they take a device's. Nothing here renders a report.

The mapping, and what a network result cannot give:

* **Routes onto methods.** ``probe_model.ROUTE_METHOD`` (the mapping the module's own analyzer text
  uses): ``environment`` is method 1 (the host's default proxy), ``pac`` method 2 (a PAC file stands
  for discovery; it is discovery only with ``pac_url: auto``), ``direct`` method 3, ``named``
  method 4. Method 5 (the analyzer's command-line proxy) has no network-side route: it is always
  ``not_requested``. A route the run was not asked for is ``not_requested``; one asked for but not
  configured (``skipped_routes``) is ``not_configured`` with the module's reason.
* **Failure kinds.** The module's category is already a ``failure_kinds`` word and stays the
  probe's ``reason``; its sentence is ``failure_kinds.DESCRIPTIONS``; an answer the proxy made has
  the device side's method code (``407``, ``403 from the proxy``), TLS interception its
  ``tls_intercepted, issuer ...``, and a probe the deadline stopped is the device's ``deadline``.
* **The analyzer verdict** is the analyzer's rule: the URL passes when a route's probe was
  ``reachable`` with 200, 400 or 404 (``analyzer_model.ANALYZER_ACCEPTED``).
* **The strict verdict** judges one route per host, the most specific proxy route that ran
  (:data:`JUDGED_ORDER`: named, PAC, environment, direct): the route that stands for how the devices
  go out. It passes a URL when that route's probe was reachable with 200 or a code the URL expects
  (the module's ``status_expected``).
* The run's duration is not in the result (``elapsed_ms`` null); the probing account does not
  matter on this side (every probe counts).

A result of the wrong shape is refused naming the host and the field (:class:`NetworkResultError`),
before anything is built; a failed task without probes and a run in which no probe ran are hosts
without a result, never a pass.
"""

from __future__ import annotations

import functools
import math
import re
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from ansible_collections.purview.device_proxy.plugins.module_utils import analyzer_model as model
from ansible_collections.purview.device_proxy.plugins.module_utils import failure_kinds as fk
from ansible_collections.purview.device_proxy.plugins.module_utils import probe_model
from ansible_collections.purview.device_proxy.plugins.module_utils.analyzer_text import line_safe
from ansible_collections.purview.device_proxy.plugins.plugin_utils import connectivity_verdict as cv
from ansible_collections.purview.device_proxy.plugins.plugin_utils.fleet_report import FleetReportError
from ansible_collections.purview.device_proxy.plugins.plugin_utils.fleet_schema import DEVICE, NETWORK, PROBE_MODULES, SOURCES

SOURCE_KIND = PROBE_MODULES[NETWORK]

# Route -> analyzer method key, from the probe's own mapping (route -> method number).
ROUTE_METHODS = {route: model.BY_NUMBER[number].key for route, number in probe_model.ROUTE_METHOD.items()}
METHOD_ROUTES = {key: route for route, key in ROUTE_METHODS.items()}
# The route the strict verdict judges: the first of these that ran.
JUDGED_ORDER = (probe_model.NAMED, probe_model.PAC, probe_model.ENVIRONMENT, probe_model.DIRECT)

# Far above what a probe can take (the run's deadline is at most an hour): anything longer is not a probe's time.
MAX_ELAPSED = 86400
_CATEGORIES = frozenset(probe_model.CATEGORIES)
_FAILED_AT = (None, "proxy", "service")
_MISSING = object()

UrlLookup = Callable[[str], Mapping[str, Any]]


class NetworkResultError(FleetReportError):
    """A result that is not a network_url_probe task result (or the wrong one for ``source``)."""


def _error(host: str, where: str, rule_text: str) -> NetworkResultError:
    return NetworkResultError("results[%s]%s" % (host, where), "result-shape",
                              "not a network_url_probe result: %s (register the task result of "
                              "purview.device_proxy.network_url_probe, unchanged)" % rule_text)


def _word_list(words: Any) -> str:
    return ", ".join(words)


# --- which kind of result a host carries ---------------------------------------------------------
def is_network_result(result: Any) -> bool:
    """Whether ``result`` has the shape of a network_url_probe task result (its ``results`` are
    probes with a ``route``), as opposed to a device result or a loop's registered results."""
    if not isinstance(result, Mapping) or "urls" in result or not isinstance(result.get("results"), list):
        return False
    if "skipped_routes" in result or "counts" in result:
        return True
    return any(isinstance(item, Mapping) and "route" in item and "category" in item for item in result["results"])


def prepare(results: Mapping[str, Any], source: str, lookup: Optional[UrlLookup] = None) -> Dict[str, Any]:
    """``{host: result}`` as the fleet report reads it. With ``source`` ``device`` the results are
    returned as they are, after refusing a network_url_probe result; with ``network`` each is
    converted by :func:`host_result` (``lookup`` gives a URL's channel and ``required`` flag from
    the catalog; default: the collection's catalog)."""
    if source not in SOURCES:
        raise NetworkResultError("source", "choices", "%r is not one of %s" % (source, _word_list(SOURCES)))
    if source == DEVICE:
        for host, result in results.items():
            if is_network_result(result):
                raise NetworkResultError(
                    "results[%s].results" % host, "result-shape",
                    "a network_url_probe result (a list of probes by route) where a device_connectivity_probe "
                    "result is expected: report network-side hosts with source: network, in a report of their own")
        return dict(results)
    if lookup is None:
        from ansible_collections.purview.device_proxy.plugins.plugin_utils.analyzer_import import catalog_lookup

        lookup = catalog_lookup()
    return {host: host_result(str(host), result, lookup) for host, result in results.items()}


# --- one host ------------------------------------------------------------------------------------
def host_result(host: str, result: Any, lookup: UrlLookup) -> Optional[Dict[str, Any]]:
    """One host's network_url_probe task result as a device-shaped result (None stays None)."""
    if result is None:
        return None
    if not isinstance(result, Mapping):
        raise _error(host, "", "a %s, not a mapping" % type(result).__name__)
    if "urls" in result and "summary" in result:
        raise NetworkResultError(
            "results[%s].urls" % host, "result-shape",
            "a device_connectivity_probe result where a network_url_probe result is expected (source: network): "
            "report devices with source: device, in a report of their own")
    if "results" not in result:
        if result.get("skipped") is True:
            return {"failed": True, "msg": "no result: network_url_probe was skipped on this host (%s)"
                    % (result.get("skip_reason") or "no reason given")}
        if result.get("failed") is True or result.get("unreachable") is True:
            return {"failed": True, "msg": "network_url_probe failed: %s" % (result.get("msg") or "no message")}
        raise _error(host, ".results", "the list of probes is missing")
    items = result["results"]
    if not isinstance(items, list):
        raise _error(host, ".results", "must be a list of probes, not a %s" % type(items).__name__)
    skipped = _skipped_routes(host, result.get("skipped_routes", {}))
    entries = _entries(host, items)
    if not entries:
        reasons = "; ".join("%s: %s" % item for item in sorted(skipped.items())) or "no route was run"
        return {"failed": True, "msg": "no result: no probe ran on this host (%s)" % reasons}
    return _converted(host, entries, skipped, lookup)


def _skipped_routes(host: str, value: Any) -> Dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _error(host, ".skipped_routes", "must map a route to the reason it was skipped")
    for route, reason in value.items():
        if route not in probe_model.ROUTES or not isinstance(reason, str):
            raise _error(host, ".skipped_routes", "must map a route (%s) to a reason (text); got %r"
                         % (_word_list(probe_model.ROUTES), route))
    return dict(value)


def _optional(item: Mapping[str, Any], key: str, kinds: Tuple[type, ...]) -> bool:
    value = item.get(key)
    return value is None or (isinstance(value, kinds) and not isinstance(value, bool))


def _entries(host: str, items: List[Any]) -> List[Dict[str, Any]]:
    """The probes, checked field by field (the first wrong field is named)."""
    entries = []
    seen = set()
    for index, item in enumerate(items):
        where = ".results[%d]" % index
        if not isinstance(item, Mapping):
            raise _error(host, where, "a probe must be a mapping")
        if "ansible_loop_var" in item or ("item" in item and "results" in item):
            raise _error(host, where, "a loop's registered results: report one network_url_probe task per host")
        url = item.get("url")
        if not isinstance(url, str) or not url or not _one_token(url):
            raise _error(host, where + ".url", "must be a non-empty string without spaces or control characters")
        route = item.get("route")
        if not isinstance(route, str) or route not in probe_model.ROUTES:
            raise _error(host, where + ".route", "%r is not one of %s" % (route, _word_list(probe_model.ROUTES)))
        category = item.get("category")
        if not isinstance(category, str) or category not in _CATEGORIES:
            raise _error(host, where + ".category", "%r is not one of the probe's categories (%s)"
                         % (category, _word_list(probe_model.CATEGORIES)))
        for key in ("status", "proxy_status"):
            if not _optional(item, key, (int,)) or not (item.get(key) is None or 100 <= item[key] <= 599):
                raise _error(host, where + "." + key, "must be an HTTP status (100-599) or null")
        if category == fk.REACHABLE and item.get("status") is None:
            raise _error(host, where + ".status", "a reachable probe must carry the status the service answered")
        reachable = item.get("reachable", _MISSING)
        if reachable is not _MISSING and reachable is not (category == fk.REACHABLE):
            raise _error(host, where + ".reachable", "must be true exactly when the category is reachable")
        for key in ("proxy", "detail", "issuer", "channel"):
            if not _optional(item, key, (str,)):
                raise _error(host, where + "." + key, "must be text or null")
        if item.get("proxy") is not None and not (_one_token(item["proxy"]) and "(" not in item["proxy"]
                                                  and ")" not in item["proxy"]):
            raise _error(host, where + ".proxy", "must be host:port (no spaces, parentheses or control characters)")
        elapsed = item.get("elapsed")
        if not _optional(item, "elapsed", (int, float)) or \
                (elapsed is not None and not (math.isfinite(elapsed) and 0 <= elapsed <= MAX_ELAPSED)):
            raise _error(host, where + ".elapsed", "must be a number of seconds from 0 to %d, or null" % MAX_ELAPSED)
        if item.get("status_expected") not in (None, True, False):
            raise _error(host, where + ".status_expected", "must be true, false or null")
        if item.get("failed_at") not in _FAILED_AT:
            raise _error(host, where + ".failed_at", "must be proxy, service or null")
        if (url, route) in seen:
            raise _error(host, where, "a second probe of %s over the %s route" % (url, route))
        seen.add((url, route))
        entries.append(dict(item))
    return entries


_NOT_IN_A_TOKEN = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")


def _one_token(text: str) -> bool:
    """No whitespace and no control characters: a URL or proxy that cannot break a report line."""
    return _NOT_IN_A_TOKEN.search(text) is None


def _judged_route(entries: List[Mapping[str, Any]]) -> str:
    ran = {entry["route"] for entry in entries}
    return next(route for route in JUDGED_ORDER if route in ran)


def _route_proxy(entries: List[Mapping[str, Any]], route: str) -> Optional[str]:
    proxies = sorted({entry["proxy"] for entry in entries if entry["route"] == route and entry.get("proxy")})
    return ", ".join(proxies) or None


def _converted(host: str, entries: List[Dict[str, Any]], skipped: Mapping[str, str],
               lookup: UrlLookup) -> Dict[str, Any]:
    judged = _judged_route(entries)
    method = ROUTE_METHODS[judged]
    ran = [route for route in probe_model.ROUTES if any(entry["route"] == route for entry in entries)]
    fallbacks = [ROUTE_METHODS[route] for route in JUDGED_ORDER if route in ran and route != judged]
    configured = {"method": method, "proxy": _route_proxy(entries, judged), "route": judged, "fallbacks": fallbacks}
    by_url: Dict[str, Dict[str, Dict[str, Any]]] = {}
    for entry in entries:
        by_url.setdefault(entry["url"], {})[entry["route"]] = entry
    urls = [_url_verdict(url, routes, skipped, configured, lookup(url) or {}) for url, routes in by_url.items()]
    number = model.BY_KEY[method].number
    note = ("network_url_probe on %s (routes run: %s%s); the strict verdict judges the %s route as method %d - %s; "
            "method 5 has no network-side route" % (
                host, ", ".join(ran), "".join("; %s skipped: %s" % item for item in sorted(skipped.items())),
                judged, number, model.BY_KEY[method].label))
    return {
        "changed": False,
        "configured": configured,
        "urls": urls,
        "channels": cv.channel_verdicts(urls),
        "summary": cv.summarise(urls),
        "raw": {"run": {"deadline_reached": any(entry["category"] == fk.NOT_RUN for entry in entries),
                        "elapsed_ms": None},
                "process": {}},
        "analyzer_text": cv.render_analyzer_text(urls) + "Source: %s\n" % note,
        "source": {"kind": SOURCE_KIND, "routes": ran, "judged_route": judged, "skipped_routes": dict(skipped),
                   "note": note},
    }


# --- one URL -------------------------------------------------------------------------------------
def _url_verdict(url: str, routes: Mapping[str, Mapping[str, Any]], skipped: Mapping[str, str],
                 configured: Mapping[str, Any], known: Mapping[str, Any]) -> Dict[str, Any]:
    probes = []
    for method in model.METHODS:
        route = METHOD_ROUTES.get(method.key)
        entry = routes.get(route) if route else None
        if entry is not None:
            probes.append(_classified(method, entry))
        elif route in skipped:
            probe = cv.classify_probe({"method": method.key, "attempted": False, "skip_reason": fk.NOT_CONFIGURED})
            probe.update(detail=skipped[route], counted=True, strict_ok=False, route=route)
            probes.append(probe)
        else:
            probes.append(_skipped(method, fk.NOT_REQUESTED, route))
    chosen = next(p for p in probes if p["method"] == configured["method"])
    analyzer, strict = cv.url_verdicts(probes, chosen)  # every network probe counts
    others = [p for p in probes if p["method"] != chosen["method"] and p["outcome"] == cv.SUCCEEDED]
    channel = next(iter(routes.values())).get("channel") or known.get("channel")
    return cv.url_record(url, cv.channel_of(channel), known, probes, analyzer, strict, chosen,
                         [p["method"] for p in others if p["strict_ok"]],
                         _diagnosis(chosen, strict, others, configured["route"]))


def _skipped(method: model.Method, why: str, route: Optional[str]) -> Dict[str, Any]:
    """A method that did not run, in the device side's words (connectivity_verdict.classify_probe)."""
    return dict(_skip_words(method.key, why), counted=True, strict_ok=False, route=route)


@functools.lru_cache(maxsize=None)
def _skip_words(key: str, why: str) -> Mapping[str, Any]:
    # The same few probes thousands of times in a fleet: classified once, copied per use.
    return cv.classify_probe({"method": key, "attempted": False, "skip_reason": why})


def _classified(method: model.Method, entry: Mapping[str, Any]) -> Dict[str, Any]:
    """One network probe as a classified method probe (the keys classify_probe returns)."""
    category = entry["category"]
    if category == fk.NOT_RUN:
        probe = _skipped(method, fk.DEADLINE, entry["route"])
        probe["proxy"] = entry.get("proxy")
        return probe
    status = entry.get("status")
    answer = entry.get("proxy_status") if entry.get("proxy_status") is not None else status
    elapsed = entry.get("elapsed")
    probe: Dict[str, Any] = {
        "method": method.key, "number": method.number, "label": method.label, "route": entry["route"],
        "status_code": answer, "winhttp_error": None, "error_name": None,
        "elapsed_ms": int(round(elapsed * 1000)) if elapsed is not None else 0,
        "proxy": entry.get("proxy"), "proxy_used": entry.get("proxy") or "direct", "access": None,
        "identity_dependent": False, "answered_by": None, "line_code": None, "counted": True,
    }
    told = entry.get("detail") or ""
    if category == fk.REACHABLE:
        probe["answered_by"] = "service"
        if status in cv.ANALYZER_ACCEPTED:
            probe.update(outcome=cv.SUCCEEDED, reason=fk.REACHABLE, detail=fk.sentence(fk.REACHABLE, "status", status=status))
        else:
            probe.update(outcome=cv.FAILED, reason=fk.UNEXPECTED_STATUS,
                         detail=fk.sentence(fk.UNEXPECTED_STATUS, "status", status=status))
    else:
        words = fk.DESCRIPTIONS[category]
        if answer is not None and entry.get("failed_at") == "proxy":
            # The device side's code for an answer the proxy made (connectivity_verdict.classify_probe).
            probe.update(answered_by="proxy", line_code=cv.proxy_answer_code(answer))
            if fk.has_sentence(category, "from_proxy"):
                words = fk.sentence(category, "from_proxy", status=answer, evidence=words, advice="")
        elif entry.get("failed_at") == "proxy":
            words += fk.AT_THE_PROXY
        if category == fk.TLS_INTERCEPTED:
            # As the device's chain check words it (answer_origin.chain_verdict).
            probe["line_code"] = "tls_intercepted, issuer %s" % line_safe(entry.get("issuer") or "unknown")
        probe.update(outcome=cv.FAILED, reason=category, detail=words + ("; %s" % told if told else ""))
    probe["strict_ok"] = probe["outcome"] == cv.SUCCEEDED and (
        status == model.ALWAYS_ACCEPTED or entry.get("status_expected") is True)
    return probe


def _diagnosis(chosen: Mapping[str, Any], strict: str, others: List[Mapping[str, Any]], route: str) -> str:
    label = "%d - %s (the %s route, judged)" % (chosen["number"], chosen["label"], route)
    if strict == cv.PASS:
        return "%s %s" % (label, chosen["detail"])
    if strict == cv.UNTESTED:
        text = "%s was not tested: %s" % (label, chosen["detail"])
    else:
        text = "%s failed: %s" % (label, chosen["detail"])
    if others:
        text += "; %s succeeded" % ", ".join("%d - %s" % (p["number"], p["label"]) for p in others)
    return text
