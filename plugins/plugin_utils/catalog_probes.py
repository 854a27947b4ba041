# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The analyzers' test URLs in the catalog: what each tool accepts and which service channel a
test URL exercises. Used by ``catalog_import`` when it builds the catalog."""

from __future__ import annotations

import re
from typing import Any, Dict, Sequence, Tuple

from ansible_collections.purview.device_proxy.plugins.plugin_utils.catalog import (
    DEVICE_LISTS,
    MODELS,
    SHARED_STORAGE_WILDCARDS,
    CatalogEntry,
    host_matches,
)

ANALYZER_ACCEPTED = (200, 400, 404)  # MDEClientAnalyzer ValidateURLs passes on any of these (docs/reference/connectivity-analyzer.md#success-rule)
WINDOWS_ALL = ("windows", "windows-legacy")
_EXPECTED_CODE = re.compile(r"expected HTTP (\d{3})")


def probe_details(tool: str, url: str, notes: str) -> Dict[str, Any]:
    """expected_status, no_pinning, method and models of an analyzer probe row."""
    lowered = notes.lower()
    if tool.startswith("mdeclientanalyzer"):
        expected = ANALYZER_ACCEPTED
    else:
        codes = _EXPECTED_CODE.findall(notes)
        expected = tuple(int(c) for c in codes) or (200,)
    no_pinning = "nopinning" in lowered or "no pinning" in lowered
    method = "HEAD" if "; head;" in lowered else "GET"
    if tool == "xmde-connectivitytest":
        models = ("streamlined",) if "geo key gw_" in lowered else ("standard",)
    else:
        models = MODELS
    return {"expected_status": expected, "no_pinning": no_pinning, "method": method, "models": models}


def probe_os(tool: str) -> Tuple[str, ...]:
    if tool.startswith("mdeclientanalyzer"):
        return WINDOWS_ALL
    if tool.endswith("-macos"):
        return ("macos",)
    return ("macos", "linux")


_PATH_CHANNELS = (
    ("/commands/test", "command-and-control"),
    ("/storage/automatedirstr", "autoir-sample-storage"),
    ("/storage/", "sample-submission-storage"),
    ("/mdav/test", "maps"),
    ("/wdcp.svc/", "maps"),
    ("/api/report", "cloud-protection-xplat"),
    ("/packages/", "updates"),
)


def probe_channel(host: str, path: str, notes: str, list_entries: Sequence[CatalogEntry]) -> str:
    """The service channel a probe tests, or "" when no list entry covers its host (such probes are
    dropped). The analyzer's own label or the URL path decide when they say; else the function of
    the most specific list entry covering the host. The shared blob-storage wildcards do not count
    as covering: they are in the lists for MMA and the network scanner, not for service accounts."""
    covering = [e for e in list_entries if e.host not in SHARED_STORAGE_WILDCARDS and host_matches(e.host, host)]
    if not covering:
        return ""
    if "MdeConfigMgr" in notes:
        return "security-management"
    for fragment, channel in _PATH_CHANNELS:
        if fragment in path:
            return channel
    if host.startswith("winatp-gw-"):
        return "command-and-control"
    covering.sort(key=lambda e: ("*" in e.host, -len(e.host), DEVICE_LISTS.index(e.list_name)))
    return covering[0].function
