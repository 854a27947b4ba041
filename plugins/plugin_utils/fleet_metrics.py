# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet model as a Prometheus text-format file for node_exporter's textfile collector.

Every series is a gauge (a snapshot of the last run) named ``purview_connectivity_*`` with base
units in the name (``_seconds``, ``_timestamp_seconds``) and a HELP and TYPE line. Label values
are escaped as the format requires (backslash, double quote, line feed). The file is written
atomically (``report_files.write_atomically``): the collector must never read half a file.
"""

from __future__ import annotations

import math
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

from ansible_collections.purview.device_proxy.plugins.plugin_utils import connectivity_verdict as cv

PREFIX = "purview_connectivity_"

# name -> help text; the order here is the order in the file.
SERIES: Dict[str, str] = {
    "url_failing_hosts": "Hosts on which the service URL failed in the last run, by URL and channel.",
    "channel_failing_hosts": "Hosts with at least one failed URL of the channel in the last run.",
    "host_failed_urls": "Service URLs that failed on the host in the last run.",
    "host_tested": "1 when the host returned a test result in the last run, 0 when it had no result.",
    "host_configured_method": "1 for the method the host is configured to reach the service with.",
    "host_last_run_timestamp_seconds": "Unix time of the last run that reported on the host.",
    "hosts": "Hosts in the last run by state (passed, failed, no_result).",
    "run_duration_seconds": "Longest time a host's connectivity test took in the last run.",
    "run_timestamp_seconds": "Unix time of the last run.",
    "changes": "Changes since the previous run by kind (new_failures, recoveries, hosts_appeared, ...).",
}


def _label(value: Any) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(pairs: Iterable[Tuple[str, Any]]) -> str:
    pairs = list(pairs)
    if not pairs:
        return ""
    return "{" + ",".join('%s="%s"' % (name, _label(value)) for name, value in pairs) + "}"


def _number(value: float) -> str:
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    return repr(float(value))


def render_metrics(fleet: Mapping[str, Any], timestamp: float,
                   change_counts: Optional[Mapping[str, int]] = None) -> str:
    """The metrics text; ``timestamp`` is the run's Unix time."""
    samples: Dict[str, List[str]] = {name: [] for name in SERIES}

    def add(name: str, labels: Iterable[Tuple[str, Any]], value: float) -> None:
        samples[name].append("%s%s%s %s" % (PREFIX, name, _labels(labels), _number(value)))

    urls = fleet["urls"]
    for row in urls:
        add("url_failing_hosts", (("url", row["url"]), ("channel", row["channel"]),
                                  ("required", "true" if row["required"] else "false")), row["failed_hosts"])
    channel_failing = {row["channel"]: 0 for row in urls}
    url_channel = {row["url"]: row["channel"] for row in urls}
    durations = []
    for host in fleet["hosts"]:
        name = host["host"]
        tested = host["status"] == "tested"
        add("host_tested", (("host", name),), 1 if tested else 0)
        add("host_last_run_timestamp_seconds", (("host", name),), timestamp)
        if not tested:
            continue
        add("host_failed_urls", (("host", name),), host["failed"])
        method = (host.get("configured") or {}).get("method") or "default"
        add("host_configured_method", (("host", name), ("method", method)), 1)
        for channel in {url_channel[f["url"]] for f in host["failures"]}:
            channel_failing[channel] += 1
        if isinstance(host.get("elapsed_ms"), int):
            durations.append(host["elapsed_ms"])
    for channel in cv.CHANNEL_ORDER:
        if channel in channel_failing:
            add("channel_failing_hosts", (("channel", channel),), channel_failing[channel])
    totals = fleet["totals"]
    for state in ("passed", "failed", "no_result"):
        add("hosts", (("state", state),), totals[state])
    add("run_duration_seconds", (), max(durations) / 1000.0 if durations else float("nan"))
    add("run_timestamp_seconds", (), timestamp)
    for kind, count in (change_counts or {}).items():
        add("changes", (("kind", kind),), count)
    lines: List[str] = []
    for name, text in SERIES.items():
        if not samples[name]:
            continue
        lines.append("# HELP %s%s %s" % (PREFIX, name, text))
        lines.append("# TYPE %s%s gauge" % (PREFIX, name))
        lines.extend(samples[name])
    return "\n".join(lines) + "\n"
