# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Probe targets from user input: one validated :class:`ProbeTarget` per URL."""

from __future__ import annotations

import re
from typing import Any, List, Mapping, Tuple
from urllib.parse import quote, urlsplit

from ansible_collections.purview.device_proxy.plugins.module_utils.probe_model import ProbeConfigError, ProbeTarget
from ansible_collections.purview.device_proxy.plugins.module_utils.probe_routes import redact_url

# C0 controls, DEL and C1 controls. urlsplit silently drops tab, CR and LF, so they are refused
# before it runs: a URL is an input error, never something to repair.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
# What may stay as it is in a request target (RFC 3986 pchar, "/" and "?", and existing %XX escapes).
_PATH_SAFE = "/?%:@!$&'()*+,;=-._~"


def _ascii_host(host: str, text: str, field_name: str) -> str:
    """Host names in their ASCII (punycode) form, as DNS, TLS SNI and the Host header need them."""
    if ":" in host:  # an IPv6 literal
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ProbeConfigError(field_name, "url-host", "'%s' has a host name that is not valid (%s)" % (text, exc))


def _target_from_url(url: Any, field_name: str) -> Tuple[str, str, int, str]:
    if not isinstance(url, str) or not url.strip():
        raise ProbeConfigError(field_name, "url-required", "each entry needs a non-empty url")
    text = url.strip(" ")
    if _CONTROL.search(text):
        raise ProbeConfigError(field_name, "url-control-characters",
                               "%r contains control characters (tab, CR, LF and the like are not allowed in a URL)"
                               % redact_url(text))
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ProbeConfigError(field_name, "url-syntax", "'%s' is not a valid URL (%s)" % (redact_url(text), exc))
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ProbeConfigError(field_name, "url-scheme", "'%s' must start with http:// or https://" % redact_url(text))
    if parts.username is not None or parts.password is not None:
        raise ProbeConfigError(field_name, "url-credentials", "'%s' must not carry credentials" % redact_url(text))
    host = (parts.hostname or "").lower()
    if not host or "*" in host or " " in host:
        raise ProbeConfigError(field_name, "url-host", "'%s' needs a concrete host name (no wildcard)" % redact_url(text))
    host = _ascii_host(host, redact_url(text), field_name)
    if port is None:
        port = 443 if scheme == "https" else 80
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    # Spaces and non-ASCII text are percent-encoded (UTF-8); existing escapes stay as they are.
    return scheme, host, port, quote(path, safe=_PATH_SAFE)


def _expected_statuses(value: Any, field_name: str) -> Tuple[int, ...]:
    if value is None or value == "":
        return ()
    items = value if isinstance(value, (list, tuple)) else [value]
    codes = []
    for item in items:
        try:
            code = int(item)
        except (TypeError, ValueError):
            raise ProbeConfigError(field_name, "status", "expected_status %r is not an HTTP status code" % (item,))
        if not 100 <= code <= 599:
            raise ProbeConfigError(field_name, "status", "expected_status %d is outside 100-599" % code)
        codes.append(code)
    return tuple(codes)


def make_target(item: Any, field_name: str = 'urls') -> ProbeTarget:
    """A target from a URL string or a catalog probe dict (url, channel, expected_status, no_pinning, method)."""
    if isinstance(item, ProbeTarget):
        return item
    if isinstance(item, str):
        item = {"url": item}
    if not isinstance(item, Mapping):
        raise ProbeConfigError(field_name, "entry-type", "each entry is a URL string or a mapping with a url key, not %s" % type(item).__name__)
    scheme, host, port, path = _target_from_url(item.get("url"), field_name)
    method = str(item.get("method") or "GET").upper()
    if method not in ("GET", "HEAD"):
        raise ProbeConfigError(field_name, "method", "method %r must be GET or HEAD" % (item.get("method"),))
    return ProbeTarget(
        url=item["url"].strip(), scheme=scheme, host=host, port=port, path=path,
        channel=str(item.get("channel") or ""),
        expected_status=_expected_statuses(item.get("expected_status"), field_name),
        no_pinning=bool(item.get("no_pinning", False)),
        method=method,
    )


def make_targets(items: Any, field_name: str = 'urls') -> List[ProbeTarget]:
    if not isinstance(items, (list, tuple)) or not items:
        raise ProbeConfigError(field_name, "non-empty-list", "give at least one URL")
    targets = []
    seen = set()
    for item in items:
        target = make_target(item, field_name)
        if target.url not in seen:
            seen.add(target.url)
            targets.append(target)
    return targets
