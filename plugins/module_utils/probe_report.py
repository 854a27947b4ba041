# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Summaries and text (pure): the proxy requirements, the verdict, the analyzer layout and the table."""

from __future__ import annotations

from typing import Any, Dict, List, Sequence, Tuple

from ansible_collections.purview.device_proxy.plugins.module_utils import analyzer_text
from ansible_collections.purview.device_proxy.plugins.module_utils import failure_kinds as fk
from ansible_collections.purview.device_proxy.plugins.module_utils.probe_certs import IDENTITY_MATCHED
from ansible_collections.purview.device_proxy.plugins.module_utils.probe_classify import proxy_tried_to_forward
from ansible_collections.purview.device_proxy.plugins.module_utils.probe_model import (
    AT_PROXY, BLOCKED, CATEGORIES, DIRECT, ENVIRONMENT, NAMED, PAC, PROXY_AUTH_REQUIRED, PROXY_REDIRECT,
    REACHABLE, ROUTE_METHOD, ROUTES, TLS_ERROR, TLS_INTERCEPTED, ProbeResult,
)

# --- summary, verdict and analyzer text (pure) ------------------------------------------------

MET = "met"
NOT_MET = "not_met"
UNKNOWN = "unknown"

# Categories that prove the proxy let the request through its access rules.
_PASSED_PROXY = (REACHABLE, TLS_INTERCEPTED, TLS_ERROR)
_STOPPED_BEFORE_ACCESS_RULES = (PROXY_AUTH_REQUIRED, PROXY_REDIRECT)


def _passed_access_rules(result: ProbeResult) -> bool:
    """The proxy let this request through: it was answered past the proxy, or the proxy answered
    that it could not forward it (Squid's ERR_CANNOT_FORWARD / ERR_DNS_FAIL on an offline proxy)."""
    return result.category in _PASSED_PROXY or proxy_tried_to_forward(result.observation)


# Where the most common failure happened, as the failure_kinds variant that words it there: on the
# way to the proxy, or on the proxy's own way to the service (it was reached and let the request through).
TO_PROXY = "to_proxy"
BEYOND_PROXY = "beyond_proxy"


def _requirement(status: str, reason: str, urls: Sequence[str] = ()) -> Dict[str, Any]:
    return {"status": status, "reason": reason, "urls": sorted(set(urls))}


def summarise(results: Sequence[ProbeResult]) -> Dict[str, Dict[str, Any]]:
    """The proxy requirements (allowed, not inspected, anonymous) judged from proxied probes."""
    proxied = [r for r in results if r.hop.proxy is not None]
    if not proxied:
        reason = "no probe went through a proxy"
        return {name: _requirement(UNKNOWN, reason) for name in ("allowed", "not_inspected", "anonymous")}

    blocked = [r.target.url for r in proxied if r.category == BLOCKED]
    passed = [r for r in proxied if _passed_access_rules(r)]
    # Authentication and redirects (a sign-in portal, or a block page the proxy redirects to) stop
    # a request before, or instead of, the access rules that decide "allowed".
    stopped = [r.target.url for r in proxied if r.category in _STOPPED_BEFORE_ACCESS_RULES]
    if blocked:
        allowed = _requirement(NOT_MET, "the proxy refused %d URL(s)" % len(set(blocked)), blocked)
    elif passed and not stopped:
        allowed = _requirement(MET, "the proxy let every answered probe through")
    elif passed:
        allowed = _requirement(UNKNOWN, "some probes stopped at proxy authentication or a redirect made by the proxy, "
                               "so their access rules were not reached", stopped)
    else:
        allowed = _requirement(UNKNOWN, "no probe got past the proxy", stopped)

    https = [r for r in proxied if r.target.scheme == "https"]
    intercepted = [r for r in https if r.category == TLS_INTERCEPTED]
    # A verified handshake proves nothing when this host trusts the inspection CA: only answers
    # whose issuer was checked against the expected issuers count.
    verified = [r for r in https if r.category == REACHABLE and not r.target.no_pinning]
    unchecked = [r.target.url for r in verified if r.identity != IDENTITY_MATCHED]
    if intercepted:
        issuers = sorted(set(r.observation.issuer or "unknown" for r in intercepted))
        not_inspected = _requirement(NOT_MET, "TLS was intercepted; certificate issuer(s): %s" % "; ".join(issuers),
                                     [r.target.url for r in intercepted])
    elif verified and not unchecked:
        not_inspected = _requirement(MET, "every HTTPS answer came with a certificate from an expected issuer")
    elif verified:
        not_inspected = _requirement(UNKNOWN, "the certificates verified, but their issuers were not checked against expected "
                                     "issuers, so an inspection CA this host trusts cannot be ruled out", unchecked)
    else:
        not_inspected = _requirement(UNKNOWN, "no HTTPS probe of a pinned URL completed a TLS handshake through the proxy")

    anonymous_probes = [r for r in proxied if r.hop.credentials is None]
    demanded = [r.target.url for r in anonymous_probes if r.category == PROXY_AUTH_REQUIRED]
    redirected = [r.target.url for r in anonymous_probes if r.category == PROXY_REDIRECT]
    if demanded or redirected:
        reasons = []
        if demanded:
            reasons.append("demanded authentication (407) for %d URL(s)" % len(set(demanded)))
        if redirected:
            reasons.append("answered a redirect of its own (a sign-in portal or a block page) for %d URL(s)"
                           % len(set(redirected)))
        anonymous = _requirement(NOT_MET, "the proxy " + " and ".join(reasons), demanded + redirected)
    elif any(_passed_access_rules(r) for r in anonymous_probes):
        anonymous = _requirement(MET, "anonymous requests passed the proxy")
    elif not anonymous_probes:
        anonymous = _requirement(UNKNOWN, "every proxied probe used credentials, so anonymous access was not tested")
    else:
        anonymous = _requirement(UNKNOWN, "no anonymous probe got past the proxy")
    return {"allowed": allowed, "not_inspected": not_inspected, "anonymous": anonymous}


def count_by_route(results: Sequence[ProbeResult]) -> Dict[str, Dict[str, int]]:
    counts = {}  # type: Dict[str, Dict[str, int]]
    for result in results:
        per_route = counts.setdefault(result.hop.route, {})
        per_route[result.category] = per_route.get(result.category, 0) + 1
    return counts


def _route_label(route: str, results: Sequence[ProbeResult]) -> str:
    proxies = sorted(set(r.hop.proxy.host_port() for r in results if r.hop.route == route and r.hop.proxy is not None))
    names = {DIRECT: "direct", NAMED: "named proxy", ENVIRONMENT: "environment proxy", PAC: "PAC proxy"}
    label = names.get(route, route)
    return "%s %s" % (label, ", ".join(proxies)) if proxies else label


def _main_reason(results: Sequence[ProbeResult]) -> str:
    """The reason behind the most common failure, placed at the proxy when that is where it happened."""
    failures = {}  # type: Dict[Tuple[str, str], int]
    for result in results:
        obs = result.observation
        place = ""
        if obs.at == AT_PROXY and obs.proxy_status is None and fk.has_sentence(result.category, TO_PROXY):
            place = TO_PROXY  # the proxy itself could not be reached
        elif proxy_tried_to_forward(obs) and fk.has_sentence(result.category, BEYOND_PROXY):
            place = BEYOND_PROXY  # the proxy was reached and could not reach the service
        key = (result.category, place)
        failures[key] = failures.get(key, 0) + 1
    (category, place), _count = max(failures.items(), key=lambda item: (item[1], -CATEGORIES.index(item[0][0])))
    return fk.sentence(category, place)


def verdict(results: Sequence[ProbeResult]) -> str:
    """One paragraph: what was reachable, and when nothing was, why."""
    if not results:
        return "No probe was run: no route was configured."
    urls = sorted(set(r.target.url for r in results))
    reachable_urls = sorted(set(r.target.url for r in results if r.reachable))
    parts = []
    for route in ROUTES:
        mine = [r for r in results if r.hop.route == route]
        if not mine:
            continue
        counts = {}  # type: Dict[str, int]
        for result in mine:
            counts[result.category] = counts.get(result.category, 0) + 1
        ordered = sorted(counts.items(), key=lambda item: (-item[1], CATEGORIES.index(item[0])))
        text = ", ".join("%s %d" % (category, number) for category, number in ordered)
        ok = counts.get(REACHABLE, 0)
        parts.append("%s: %d of %d reachable (%s)" % (_route_label(route, results), ok, len(mine), text))
    if not reachable_urls:
        return "Nothing was reachable from this host: %d URL(s) over %d probe(s) failed, mostly because %s. %s." % (
            len(urls), len(results), _main_reason(results), "; ".join(parts))
    return "%d of %d URL(s) reachable by at least one route. %s." % (len(reachable_urls), len(urls), "; ".join(parts))


def _method_outcome(result: ProbeResult) -> analyzer_text.MethodOutcome:
    obs = result.observation
    proxy = result.hop.proxy.host_port() if result.hop.proxy is not None and result.hop.route == NAMED else None
    if result.category == REACHABLE:
        return analyzer_text.MethodOutcome(True, obs.status, proxy)
    code = obs.proxy_status if obs.proxy_status is not None else result.category
    return analyzer_text.MethodOutcome(False, code, proxy)


def analyzer_blocks(results: Sequence[ProbeResult]) -> List[analyzer_text.UrlBlock]:
    """The results in the analyzer's per-URL layout, URLs in first-seen order."""
    order = []  # type: List[str]
    methods = {}  # type: Dict[str, Dict[int, analyzer_text.MethodOutcome]]
    for result in results:
        url = result.target.url
        if url not in methods:
            order.append(url)
            methods[url] = {}
        methods[url][ROUTE_METHOD[result.hop.route]] = _method_outcome(result)
    return [analyzer_text.UrlBlock(url, methods[url]) for url in order]


def render_analyzer_text(results: Sequence[ProbeResult]) -> str:
    return analyzer_text.render_report(analyzer_blocks(results))


def _cell(result: ProbeResult) -> str:
    obs = result.observation
    if result.category == REACHABLE:
        return "OK %d" % obs.status
    if obs.proxy_status is not None:
        return "%s %d" % (result.category, obs.proxy_status)
    if obs.status is not None:  # a status judged to be the proxy's own answer
        return "%s %d" % (result.category, obs.status)
    return result.category


def render_table(results: Sequence[ProbeResult]) -> str:
    """A plain-text verdict table: one row per URL, one column per route that ran."""
    routes = [route for route in ROUTES if any(r.hop.route == route for r in results)]
    if not routes:
        return ""
    order = []  # type: List[str]
    cells = {}  # type: Dict[str, Dict[str, str]]
    for result in results:
        if result.target.url not in cells:
            order.append(result.target.url)
            cells[result.target.url] = {}
        cells[result.target.url][result.hop.route] = _cell(result)
    header = ["URL"] + [_route_label(route, results) for route in routes]
    rows = [[url] + [cells[url].get(route, "-") for route in routes] for url in order]
    widths = [max(len(row[i]) for row in [header] + rows) for i in range(len(header))]
    lines = ["  ".join(text.ljust(width) for text, width in zip(row, widths)).rstrip() for row in [header] + rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines) + "\n"
