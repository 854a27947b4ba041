#!/usr/bin/env python
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark of the device test's scheduler on a simulated network.

Compiles the real scheduler (plugins/module_utils/WinHttpProbeScheduler.cs and the model it uses) with the simulated transport
(tests/unit/mono/SimulatedNetwork.cs) using ``mcs -langversion:5`` and runs it under mono for 60 URLs x
5 methods in five network profiles:

  healthy           every method answers in 30-120 ms;
  named-proxy-down  the TelemetryProxyServer proxy never completes the TCP handshake;
  no-wpad           WPAD discovery finds nothing (after 300 ms);
  black-holed-cdn   one host is black-holed, directly and behind the proxies;
  everything-down   direct connections, both proxies and WPAD all fail.

For each profile it runs the scheduler as the module does (shared failures established, the
defaults of the action plugin's run_limits), an exhaustive run (every probe made) and the
analyzer's sequential loop (one probe at a time, discovery per probe), and prints wall time and
real probes made for each. It checks, with the controller's own verdict code, that the verdict per
URL equals the exhaustive run's, that no probe is reported as not run, and reports each profile's
wall time in probe timeouts (target: at most 1.5). Exit status 1 when a check fails.

    .venv/bin/python tools/bench/bench_device_probe.py [--timeout-ms 500] [--urls 60] [--profiles ...]

The transport sleeps instead of using the network, so the figures measure the scheduling only,
on this machine (thread start-up under mono differs from .NET on Windows).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from typing import Any, Dict, List, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SIMULATION = os.path.join(ROOT, "tests", "unit", "mono", "SimulatedNetwork.cs")
PROFILES = ("healthy", "named-proxy-down", "no-wpad", "black-holed-cdn", "everything-down")
METHODS = 5
TARGET_TIMEOUTS = 1.5


def _import_collection() -> None:
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    from collection_link import ensure_collection_importable
    ensure_collection_importable()


def compile_simulation(workdir: str) -> str:
    mcs = shutil.which("mcs")
    if not mcs or not shutil.which("mono"):
        raise SystemExit("bench_device_probe: mcs and mono are needed (Debian packages mono-mcs, mono-runtime)")
    exe = os.path.join(workdir, "SimulatedNetwork.exe")
    _import_collection()
    from ansible_collections.purview.device_proxy.tests.unit.mono import csharp_build

    built = csharp_build.compile_program(("WinHttpProbeScheduler",), [SIMULATION], exe)
    if built.returncode != 0:
        raise SystemExit("bench_device_probe: compile failed\n" + built.stdout + built.stderr)
    return exe


def run(exe: str, profile: str, mode: str, urls: int, timeout_ms: int, limits: Dict[str, int]) -> Dict[str, Any]:
    done = subprocess.run(["mono", exe, profile, mode, str(urls), str(timeout_ms), str(limits["max_concurrency"]),
                           str(limits["deadline_ms"])], capture_output=True, text=True, check=True, timeout=3600)
    return json.loads(done.stdout)


def verdicts(output: Dict[str, Any], url_count: int) -> List[Tuple[str, str, str]]:
    from ansible_collections.purview.device_proxy.plugins.plugin_utils import connectivity_verdict as cv

    specs = [cv.normalise_url_spec({"url": "https://svc%02d.test/ping" % i, "channel": "command-and-control"})
             for i in range(url_count)]
    host = cv.host_verdict(specs, output)
    return [(u["url"], u["analyzer"], u["strict"]) for u in host["urls"]]


def not_run(output: Dict[str, Any]) -> int:
    return sum(1 for p in output["probes"] if p.get("skip_reason") == "deadline")


def main(argv: List[str] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--timeout-ms", type=int, default=500, help="the probe timeout (default 500 ms)")
    parser.add_argument("--urls", type=int, default=60)
    parser.add_argument("--profiles", nargs="+", choices=PROFILES, default=list(PROFILES))
    parser.add_argument("--no-sequential", action="store_true", help="skip the (slow) sequential loop")
    args = parser.parse_args(argv)
    _import_collection()
    from ansible_collections.purview.device_proxy.plugins.action.device_connectivity_probe import run_limits

    probes = args.urls * METHODS
    # run_limits takes whole seconds: scale its result to the benchmark's timeout.
    limits = run_limits(probes, 1)
    limits["deadline_ms"] = int(limits["deadline_ms"] * args.timeout_ms / 1000)
    print("%d URLs x %d methods = %d probes, probe timeout %d ms, max_concurrency %d, deadline %d ms"
          % (args.urls, METHODS, probes, args.timeout_ms, limits["max_concurrency"], limits["deadline_ms"]))
    columns = ("profile", "scheduled: wall (T), probes", "exhaustive: wall, probes", "sequential: wall, probes", "checks")
    print("%-17s %26s %26s %26s  %s" % columns)
    failed = False
    with tempfile.TemporaryDirectory(prefix="bench_device_probe.") as workdir:
        exe = compile_simulation(workdir)
        for profile in args.profiles:
            scheduled = run(exe, profile, "scheduled", args.urls, args.timeout_ms, limits)
            exhaustive = run(exe, profile, "exhaustive", args.urls, args.timeout_ms, limits)
            sequential = None if args.no_sequential else run(exe, profile, "sequential", args.urls, args.timeout_ms, limits)
            wall = scheduled["run"]["elapsed_ms"]
            in_timeouts = wall / args.timeout_ms
            problems = []
            if verdicts(scheduled, args.urls) != verdicts(exhaustive, args.urls):
                problems.append("verdicts differ from the exhaustive run")
            if sequential is not None and verdicts(sequential, args.urls) != verdicts(exhaustive, args.urls):
                problems.append("sequential verdicts differ")
            if not_run(scheduled):
                problems.append("%d probes not run" % not_run(scheduled))
            if in_timeouts > TARGET_TIMEOUTS:
                problems.append("over %.1f timeouts" % TARGET_TIMEOUTS)
            failed = failed or bool(problems)

            def cell(output):
                if output is None:
                    return "-"
                return "%6d ms, %3d" % (output["run"]["elapsed_ms"], output["run"]["probes_made"])

            print("%-17s %13d ms (%.2f T), %3d %26s %26s  %s" % (
                profile, wall, in_timeouts, scheduled["run"]["probes_made"], cell(exhaustive), cell(sequential),
                "; ".join(problems) or "ok: same verdicts, nothing not run"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
