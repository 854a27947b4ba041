# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Probe targets from user input: one validated :class:`ProbeTarget` per URL."""

from __future__ import annotations

from typing import Any, List, Mapping, Tuple
from urllib.parse import urlsplit

from ansible_collections.purview.device_proxy.plugins.module_utils.probe_model import ProbeConfigError, ProbeTarget

def _target_from_url(url, field_name):
    # type: (Any, str) -> Tuple[str, str, int, str]
    if not isinstance(url, str) or not url.strip():
        raise ProbeConfigError(field_name, "url-required", "each entry needs a non-empty url")
    text = url.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ProbeConfigError(field_name, "url-syntax", "'%s' is not a valid URL (%s)" % (text, exc))
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ProbeConfigError(field_name, "url-scheme", "'%s' must start with http:// or https://" % text)
    host = (parts.hostname or "").lower()
    if not host or "*" in host:
        raise ProbeConfigError(field_name, "url-host", "'%s' needs a concrete host name (no wildcard)" % text)
    if parts.username is not None or parts.password is not None:
        raise ProbeConfigError(field_name, "url-credentials", "'%s' must not carry credentials" % parts.hostname)
    if port is None:
        port = 443 if scheme == "https" else 80
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return scheme, host, port, path


def _expected_statuses(value, field_name):
    # type: (Any, str) -> Tuple[int, ...]
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


def make_target(item, field_name="urls"):
    # type: (Any, str) -> ProbeTarget
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


def make_targets(items, field_name="urls"):
    # type: (Any, str) -> List[ProbeTarget]
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
