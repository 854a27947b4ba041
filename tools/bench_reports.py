# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark the connectivity reports: render them for a large synthetic fleet and print figures.

    .venv/bin/python tools/bench_reports.py [--hosts 10000] [--urls 50] [--out DIR] [--seed 1]

Builds task results like purview.device_proxy.connectivity_test returns them (through the same
classification code), then times each stage (classification, fleet model, text, JSON, JUnit,
HTML, writing) and prints the output sizes and the HTML's largest page in cells. Nothing is
asserted: these are figures, not a test. Reports are written to --out (a temporary directory,
removed afterwards, when not given).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _import_collection():
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    from collection_link import ensure_collection_importable
    ensure_collection_importable()


def synthetic_urls(count):
    channels = ["command-and-control", "edr-cyber-data", "autoir-sample-storage", "security-management", "crl"]
    urls = []
    for index in range(count):
        channel = channels[index % len(channels)]
        blob = channel == "autoir-sample-storage"
        urls.append({
            "url": ("https://storage%03d.blob.core.windows.net" % index) if blob
            else "https://service%03d.example.microsoft.com/test" % index,
            "channel": channel,
            "expected_status": [400] if blob else [],
            "no_pinning": blob,
            "required": index % 7 != 0,
        })
    return urls


def synthetic_raw(rng, specs, named):
    """A raw module answer: mostly passing, some hosts with a broken proxy or blocked URLs."""
    broken_proxy = rng.random() < 0.05
    blocked = {i for i in range(len(specs)) if rng.random() < 0.01}
    probes = []
    for index, spec in enumerate(specs):
        ok = 400 if spec["expected_status"] == [400] else 200
        for method in ("default", "wpad", "disabled", "named", "command_line"):
            probe = {"url": spec["url"], "method": method, "attempted": True, "skip_reason": None,
                     "status_code": None, "winhttp_error": None, "error_stage": None, "error_message": None,
                     "autodetect_error": None, "proxy": None, "access": None,
                     "elapsed_ms": rng.randint(20, 400), "timed_out": False}
            if method == "command_line" or (method == "named" and not named):
                probe.update(attempted=False, skip_reason="not-configured", elapsed_ms=0)
            elif index in blocked:
                probe.update(status_code=403)
            elif method == "named" and broken_proxy:
                probe.update(status_code=407, proxy=named)
            elif method in ("disabled", "wpad") and named:
                probe.update(winhttp_error=12029, error_stage="send")
            else:
                probe.update(status_code=ok, proxy=named if method == "named" else None)
            probes.append(probe)
    return {"probes": probes, "telemetry_proxy_server": named,
            "winhttp_settings": {"native": "1800000000000000010000000000000000000000", "wow64": None},
            "process": {"user": "NT AUTHORITY\\SYSTEM", "sid": "S-1-5-18", "is_system": True, "is_64bit": True,
                        "os_version": "10.0.19045.0"},
            "run": {"elapsed_ms": 1500, "probes": len(probes), "peak_concurrency": 16, "abandoned": 0,
                    "deadline_reached": False, "max_concurrency": 16, "probe_timeout_ms": 10000,
                    "deadline_ms": 120000}}


class Timer:
    def __init__(self):
        self.rows = []

    def __call__(self, label, func, *args, **kwargs):
        start = time.perf_counter()
        value = func(*args, **kwargs)
        self.rows.append((label, time.perf_counter() - start))
        return value


def human(size):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return "%.1f %s" % (size, unit) if unit != "B" else "%d B" % size
        size /= 1024.0
    return str(size)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--hosts", type=int, default=10000)
    parser.add_argument("--urls", type=int, default=50)
    parser.add_argument("--out", help="keep the reports in this directory")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--shapes", type=int, default=500,
                        help="distinct host results to classify (hosts reuse them; the reports still cover every host)")
    args = parser.parse_args(argv)

    _import_collection()
    from ansible_collections.purview.device_proxy.plugins.action.connectivity_test import task_result
    from ansible_collections.purview.device_proxy.plugins.plugin_utils import connectivity_verdict as cv
    from ansible_collections.purview.device_proxy.plugins.plugin_utils import fleet_report, fleet_report_html

    rng = random.Random(args.seed)
    specs = [cv.normalise_url_spec(item, i) for i, item in enumerate(synthetic_urls(args.urls))]
    shapes = min(args.shapes, args.hosts)
    raws = [synthetic_raw(rng, specs, "10.0.0.6:8080" if i % 3 else None) for i in range(shapes)]
    timer = Timer()
    # The action plugin classifies each host's result on its own (in Ansible's forks); measured
    # per host here, on a pool of distinct results the fleet then reuses.
    start = time.perf_counter()
    pool = [task_result(specs, raw, {}) for raw in raws]
    per_host_ms = (time.perf_counter() - start) * 1000.0 / shapes
    total_start = time.perf_counter()
    results = {"host%05d.corp.example" % i: pool[i % shapes] for i in range(args.hosts)}
    for index, host in enumerate(list(results)[: max(1, args.hosts // 200)]):
        results[host] = None if index % 2 else {"unreachable": True, "msg": "connection timed out"}
    fleet = timer("fleet model", fleet_report.build_fleet, results, "2026-07-03T09:00:00Z")
    files = {}
    files.update(timer("per-host text files", fleet_report.render_files, results, fleet, ["text"]))
    files[fleet_report.FILE_NAMES["json"]] = timer("fleet JSON", fleet_report.render_json, fleet)
    files[fleet_report.FILE_NAMES["junit"]] = timer("JUnit XML", fleet_report.render_junit, fleet)
    files[fleet_report.FILE_NAMES["html"]] = timer("HTML", fleet_report_html.render_html, fleet)
    out = args.out or tempfile.mkdtemp(prefix="bench-reports-")
    try:
        timer("write files", fleet_report.write_reports, out, files)
        report_time = time.perf_counter() - total_start
        text_files = [name for name in files if name.startswith(fleet_report.TEXT_DIR + os.sep)]
        print("connectivity report benchmark: %d hosts x %d URLs = %d cells (%d hosts without result)"
              % (args.hosts, args.urls, fleet["totals"]["cells"], fleet["totals"]["no_result"]))
        print("python %s, %s" % (sys.version.split()[0], sys.platform))
        print()
        print("  action plugin, per host (classify, verdicts, analyzer text): %.1f ms" % per_host_ms)
        print("  reports:")
        for label, seconds in timer.rows:
            print("  %-55s %8.2f s" % (label, seconds))
        print("  %-55s %8.2f s" % ("total (reports)", report_time))
        print()
        print("  %-55s %10s" % ("per-host text files (%d)" % len(text_files),
                                human(sum(len(files[n].encode()) for n in text_files))))
        for key in ("json", "junit", "html"):
            name = fleet_report.FILE_NAMES[key]
            print("  %-55s %10s" % (name, human(os.path.getsize(os.path.join(out, name)))))
        widest = fleet["totals"]["urls"]
        print()
        print("  HTML: %d rows per page by default (25-200 selectable), at most %d x %d = %d cells in the page"
              % (50, 200, widest, 200 * widest))
        print("  fleet: %d passing, %d failing, %d without result; %d failed cells"
              % (fleet["totals"]["passed"], fleet["totals"]["failed"], fleet["totals"]["no_result"],
                 fleet["totals"]["failed_cells"]))
        if args.out:
            print("  reports kept in %s" % out)
    finally:
        if not args.out:
            shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
