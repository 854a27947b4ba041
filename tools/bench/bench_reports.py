# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark the connectivity reports: render them for a large synthetic fleet and print figures.

    .venv/bin/python tools/bench/bench_reports.py [--hosts 10000] [--urls 50] [--out DIR] [--seed 1] [--profile FILE]

Builds task results like purview.device_proxy.device_connectivity_probe returns them (through the same
classification code), then times each stage of the report action twice, each in its own
process: without a history, and with one (a previous run's entry in the history folder; the
comparison, the trend, the metrics file and the new entry are part of the time). For each run it
prints the stages, the total and the process's peak memory (ru_maxrss), then the output sizes.
Nothing is asserted: these are figures, not a test. Reports are written to --out (a temporary
directory, removed afterwards, when not given). --profile writes cProfile statistics of the
history run to FILE.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


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


# What the device test reports for a service answer over TLS: the chain up to a Microsoft service
# root (the verdicts require one on pinned URLs; a pinned answer without a chain is a failure).
SERVICE_CHAIN = [
    {"thumbprint": "1" * 40, "subject": "CN=service.example.microsoft.com",
     "issuer": "CN=Microsoft Azure RSA TLS Issuing CA 03, O=Microsoft Corporation, C=US"},
    {"thumbprint": "2" * 40, "subject": "CN=Microsoft Azure RSA TLS Issuing CA 03, O=Microsoft Corporation, C=US",
     "issuer": "CN=DigiCert Global Root G2, OU=www.digicert.com, O=DigiCert Inc, C=US"},
    {"thumbprint": "df3c24f9bfd666761b268073fe06d1cc8d4f82a4",
     "subject": "CN=DigiCert Global Root G2, OU=www.digicert.com, O=DigiCert Inc, C=US",
     "issuer": "CN=DigiCert Global Root G2, OU=www.digicert.com, O=DigiCert Inc, C=US"},
]


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
                probe.update(attempted=False, skip_reason="not_configured", elapsed_ms=0)
            elif index in blocked:
                probe.update(status_code=403)
            elif method == "named" and broken_proxy:
                probe.update(status_code=407, proxy=named)
            elif method in ("disabled", "wpad") and named:
                probe.update(winhttp_error=12029, error_stage="send")
            else:
                probe.update(status_code=ok, proxy=named if method == "named" else None, server_chain=SERVICE_CHAIN)
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
        start, cpu = time.perf_counter(), time.process_time()
        value = func(*args, **kwargs)
        self.rows.append((label, time.perf_counter() - start, time.process_time() - cpu))
        return value


def human(size):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return "%.1f %s" % (size, unit) if unit != "B" else "%d B" % size
        size /= 1024.0
    return str(size)


def build_results(args):
    """{host: task result} for the fleet, and the per-host classification time in ms."""
    from ansible_collections.purview.device_proxy.plugins.action.device_connectivity_probe import task_result
    from ansible_collections.purview.device_proxy.plugins.plugin_utils import connectivity_verdict as cv

    rng = random.Random(args.seed)
    specs = [cv.normalise_url_spec(item, i) for i, item in enumerate(synthetic_urls(args.urls))]
    shapes = min(args.shapes, args.hosts)
    raws = [synthetic_raw(rng, specs, "10.0.0.6:8080" if i % 3 else None) for i in range(shapes)]
    # The action plugin classifies each host's result on its own (in Ansible's forks); measured
    # per host here, on a pool of distinct results the fleet then reuses.
    start = time.perf_counter()
    pool = [task_result(specs, raw, {}) for raw in raws]
    per_host_ms = (time.perf_counter() - start) * 1000.0 / shapes
    results = {"host%05d.corp.example" % i: pool[i % shapes] for i in range(args.hosts)}
    for index, host in enumerate(list(results)[: max(1, args.hosts // 200)]):
        results[host] = None if index % 2 else {"unreachable": True, "msg": "connection timed out"}
    return results, pool, per_host_ms


def previous_results(results, pool, seed):
    """Yesterday's fleet: 2% of the hosts had another result, 10 hosts were different ones."""
    rng = random.Random(seed + 1)
    previous = dict(results)
    names = list(results)
    for host in rng.sample(names, len(names) // 50):
        previous[host] = pool[rng.randrange(len(pool))]
    for host in names[-10:]:
        del previous[host]
        previous[host.replace("host", "gone")] = pool[0]
    return previous


def one_run(args, history):
    """Time the report action's stages once; returns the figures as a dict."""
    from ansible_collections.purview.device_proxy.plugins.plugin_utils import fleet_history, fleet_metrics, fleet_report
    from ansible_collections.purview.device_proxy.plugins.plugin_utils import report_files

    results, pool, per_host_ms = build_results(args)
    out = args.out or tempfile.mkdtemp(prefix="bench-reports-")
    dest = os.path.join(out, "history" if history else "plain")
    history_dir = os.path.join(dest, "history")
    if args.scenario == "scheduled":
        # Yesterday's run left its reports (and, with a history, its entry): not timed.
        yesterday = previous_results(results, pool, args.seed)
        earlier = fleet_report.build_fleet(yesterday, "2026-07-02T09:00:00Z")
        fleet_report.write_report_batches(dest, fleet_report.iter_files(yesterday, earlier, fleet_report.FORMATS))
        if history:
            fleet_history.save_entry(history_dir, fleet_history.entry_from_fleet(earlier), keep=10)
        del earlier, yesterday
    profiler = None
    if args.profile and history:
        import cProfile
        profiler = cProfile.Profile()
        profiler.enable()
    timer = Timer()
    paused = fleet_report.gc_paused()  # as the action does for its whole run
    paused.__enter__()
    total_start, total_cpu = time.perf_counter(), time.process_time()
    fleet = timer("fleet model", fleet_report.build_fleet, results, "2026-07-03T09:00:00Z")
    changes = trend = None
    if history:
        entry = timer("history entry of this run", fleet_history.entry_from_fleet, fleet)
        previous, _warnings = timer("read the history", fleet_history.load_entries, history_dir, 10)
        if previous:
            changes = timer("compare with the previous run", fleet_history.compare, previous[0], entry)
        trend = fleet_history.trend(list(reversed(previous)) + [entry])
    # As the action does: one format at a time, rendered, then written (only if changed), then dropped.
    sizes = {}
    text_files = 0
    write_seconds = [0.0, 0.0]
    written = {"changed_files": [], "sizes": {}}
    data = fleet_report.ReportInput(results, fleet, False, changes, trend)
    try:
        for name in fleet_report.FORMATS:
            batch = timer("render " + name, fleet_report.RENDERERS[name], data)
            start, cpu = time.perf_counter(), time.process_time()
            outcome = fleet_report.write_reports(dest, batch)
            write_seconds[0] += time.perf_counter() - start
            write_seconds[1] += time.process_time() - cpu
            written["changed_files"] += outcome["changed_files"]
            for relative, size in outcome["sizes"].items():
                if relative.startswith(fleet_report.TEXT_DIR + "/"):
                    text_files += 1
                    sizes["hosts/*.txt"] = sizes.get("hosts/*.txt", 0) + size
                else:
                    sizes[relative] = size
            del batch
        timer.rows.append(("write report files (changed ones)", write_seconds[0], write_seconds[1]))
        if history:
            timer("write the history entry", fleet_history.save_entry, history_dir, entry, 10)
            metrics = timer("render metrics", fleet_metrics.render_metrics, fleet, time.time(),
                            fleet_history.counts(changes) if changes else None)
            timer("write metrics", report_files.write_atomically, os.path.join(dest, "purview.prom"), metrics.encode())
        # Turning the collector back on makes it scan what was made meanwhile: part of the cost.
        timer("garbage collector back on", paused.__exit__, None, None, None)
        total = time.perf_counter() - total_start
        total_cpu = time.process_time() - total_cpu
        if profiler:
            profiler.disable()
            profiler.dump_stats(args.profile)
        sizes["hosts/*.txt (%d)" % text_files] = sizes.pop("hosts/*.txt", 0)
        return {"rows": timer.rows, "total": total, "total_cpu": total_cpu, "rewritten": len(written["changed_files"]),
                "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                "per_host_ms": per_host_ms, "totals": fleet["totals"], "sizes": sizes,
                "since": fleet_history.since_line(changes) if changes else None}
    finally:
        if not args.out:
            shutil.rmtree(out, ignore_errors=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--hosts", type=int, default=10000)
    parser.add_argument("--urls", type=int, default=50)
    parser.add_argument("--out", help="keep the reports in this directory")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--shapes", type=int, default=500,
                        help="distinct host results to classify (hosts reuse them; the reports still cover every host)")
    parser.add_argument("--profile", help="write cProfile statistics of the run with history to this file")
    parser.add_argument("--scenario", choices=("scheduled", "first"), default="scheduled",
                        help="scheduled: yesterday's reports (and history entry) are in the folder, only changed "
                             "files are rewritten; first: an empty report folder")
    parser.add_argument("--one", choices=("plain", "history"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    _import_collection()
    if args.one:
        json.dump(one_run(args, args.one == "history"), sys.stdout)
        return 0
    # Each run in its own process, so each peak memory figure is that run's own.
    load = os.getloadavg()[0]
    runs = {}
    for mode in ("plain", "history"):
        command = [sys.executable, os.path.abspath(__file__), "--one", mode] + (argv if argv is not None else sys.argv[1:])
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode:
            sys.stderr.write(done.stderr)
            return done.returncode
        runs[mode] = json.loads(done.stdout)
    load_after = os.getloadavg()[0]
    plain, with_history = runs["plain"], runs["history"]
    totals = plain["totals"]
    print("connectivity report benchmark: %d hosts x %d URLs = %d cells (%d hosts without result)"
          % (args.hosts, args.urls, totals["cells"], totals["no_result"]))
    print("python %s, %s" % (sys.version.split()[0], sys.platform))
    print()
    print("  action plugin, per host (classify, verdicts, analyzer text): %.1f ms" % plain["per_host_ms"])
    what = "yesterday's reports and history entry in the folder" if args.scenario == "scheduled" \
        else "an empty report folder"
    print("  scenario: %s (%s)" % (args.scenario, what))
    print("  load average: %.1f before the runs, %.1f after (the figures are wall time, CPU time in brackets)"
          % (load, load_after))
    print("  %-34s %22s %22s" % ("report stage", "no history", "with history"))
    plain_rows = {label: (wall, cpu) for label, wall, cpu in plain["rows"]}
    for label, wall, cpu in with_history["rows"]:
        mine = plain_rows.get(label)
        print("  %-34s %22s %22s" % (label, "%.2f s (%.2f s)" % mine if mine else "-", "%.2f s (%.2f s)" % (wall, cpu)))
    print("  %-34s %22s %22s" % ("total (reports)", "%.2f s (%.2f s)" % (plain["total"], plain["total_cpu"]),
                                 "%.2f s (%.2f s)" % (with_history["total"], with_history["total_cpu"])))
    print("  %-34s %18.0f MiB %18.0f MiB" % ("peak memory (ru_maxrss)", plain["peak_kib"] / 1024.0,
                                             with_history["peak_kib"] / 1024.0))
    print()
    print("  with history: %s" % (with_history["since"] or "no earlier run (empty history folder)"))
    print()
    for name, size in sorted(with_history["sizes"].items()):
        print("  %-55s %10s" % (name, human(size)))
    print("  files rewritten: %d without history, %d with history" % (plain["rewritten"], with_history["rewritten"]))
    print("  fleet: %d passing, %d failing, %d without result; %d failed cells"
          % (totals["passed"], totals["failed"], totals["no_result"], totals["failed_cells"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
