# -*- coding: utf-8 -*-
"""Benchmark the probe engine against a sequential loop, through a real Squid on loopback.

300 probes (by default), a quarter of them to a black hole (a listener that accepts and never
answers), all through the lab Squid. Prints the wall time of the engine and of a plain loop over
the same probes, in one run, with the ratio and the timeout used. Targets: engine wall time
within 1.5 x one probe timeout, and at least 10 x faster than the loop.

    .venv/bin/python tools/bench/bench_network_probe.py [--probes 300] [--timeout 2] [--concurrency 150]

Needs Debian's squid-openssl and trustme; binds only 127.0.0.0/8.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from collection_link import ROOT, ensure_collection_importable  # noqa: E402

ensure_collection_importable()
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "squid"))

import squid_lab  # noqa: E402
from ansible_collections.purview.device_proxy.plugins.module_utils import probe_engine as pe  # noqa: E402
from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import parse_endpoint  # noqa: E402


def build_targets(lab, count):
    """Every fourth probe goes to the black hole; the others to an allowed HTTPS service."""
    targets = []
    for index in range(count):
        name = squid_lab.BLACKHOLE if index % 4 == 3 else squid_lab.ALLOWED
        targets.append(pe.make_target(lab.url(name, "/bench/%d" % index)))
    return targets


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probes", type=int, default=300)
    parser.add_argument("--timeout", type=float, default=2.0, help="seconds per probe")
    parser.add_argument("--concurrency", type=int, default=150)
    parser.add_argument("--skip-sequential", action="store_true", help="measure only the engine")
    args = parser.parse_args(argv)

    reason = squid_lab.squid_missing_reason()
    if reason:
        print("cannot run the benchmark: %s" % reason)
        return 2
    lab = squid_lab.Lab(origins_in_subprocess=True)
    try:
        lab.start_squid()
        hop = pe.Hop(pe.NAMED, parse_endpoint(lab.proxy()))
        policy = pe.TlsPolicy(ca_file=lab.origin_ca_file)
        targets = build_targets(lab, args.probes)
        jobs = [pe.Job(target, pe.NAMED, hop) for target in targets]
        pe.run_jobs(jobs[:4], policy=policy, timeout=args.timeout)  # warm-up: Squid helpers, DNS cache
        black_holed = sum(1 for t in targets if t.host == squid_lab.BLACKHOLE)

        started = time.monotonic()
        results = pe.run_jobs(jobs, policy=policy, timeout=args.timeout, deadline=args.timeout * 20,
                              concurrency=args.concurrency)
        engine_wall = time.monotonic() - started
        counts = {}
        for result in results:
            counts[result.category] = counts.get(result.category, 0) + 1

        sequential_wall = None
        if not args.skip_sequential:
            started = time.monotonic()
            for target in targets:
                pe.perform_probe(target, hop, policy, args.timeout)
            sequential_wall = time.monotonic() - started
    finally:
        lab.stop()

    print("probes:              %d (%d black-holed), through Squid on 127.0.0.1" % (len(targets), black_holed))
    print("probe timeout:       %.2f s" % args.timeout)
    print("concurrency bound:   %d" % args.concurrency)
    print("engine categories:   %s" % ", ".join("%s %d" % item for item in sorted(counts.items())))
    print("engine wall time:    %.2f s (%.2f x the probe timeout; target <= 1.5)" % (engine_wall, engine_wall / args.timeout))
    if sequential_wall is not None:
        print("sequential loop:     %.2f s" % sequential_wall)
        print("speed-up:            %.1f x (target >= 10)" % (sequential_wall / engine_wall))
    ok = engine_wall <= 1.5 * args.timeout and (sequential_wall is None or sequential_wall / engine_wall >= 10)
    print("targets met:         %s" % ("yes" if ok else "no"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
