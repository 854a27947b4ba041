# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark the plan: compute the plans of a large fleet and its review, and print figures.

    .venv/bin/python tools/bench/bench_plan.py [--hosts 10 1000 10000] [--repeat 1]

The fleet is the simulated one of tests/unit/fixtures/fleet (inventory variables and facts files),
repeated under new host names until it has the asked number of hosts. Each size runs in its own
process and prints the time to plan every host (parse the inputs, read the facts, decide), the time
of the fleet review (wall clock and the process's CPU time, which a busy machine disturbs less), and
the process's peak memory (ru_maxrss). Nothing is asserted: these are
figures, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FLEET = os.path.join(ROOT, "tests", "unit", "fixtures", "fleet")
PREFIX = "device_proxy_"


def _import_collection():
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    from collection_link import ensure_collection_importable
    ensure_collection_importable()


def _hosts(group, inherited):
    variables = {**inherited, **(group.get("vars") or {})}
    for name, host_vars in (group.get("hosts") or {}).items():
        yield name, {**variables, **(host_vars or {})}
    for child in (group.get("children") or {}).values():
        yield from _hosts(child or {}, variables)


def fleet(size):
    """(host, inputs, facts) for ``size`` hosts, the fixture fleet repeated; facts are parsed per host."""
    import yaml
    with open(os.path.join(FLEET, "inventory.yml")) as handle:
        templates = sorted(_hosts(yaml.safe_load(handle)["all"], {}))
    texts = {}
    for name, _variables in templates:
        with open(os.path.join(FLEET, "facts", f"{name}.json")) as handle:
            texts[name] = handle.read()
    for index in range(size):
        name, variables = templates[index % len(templates)]
        inputs = {key[len(PREFIX):]: value for key, value in variables.items() if key.startswith(PREFIX)}
        yield f"{name}-{index:05d}", inputs, json.loads(texts[name])


def run_one(size):
    _import_collection()
    from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan import compute_plan
    from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan_review import fleet_review
    hosts = list(fleet(size))
    started, started_cpu = time.perf_counter(), time.process_time()
    plans = [compute_plan(inputs, facts, field_prefix=PREFIX, host=host) for host, inputs, facts in hosts]
    planned, planned_cpu = time.perf_counter(), time.process_time()
    lines = fleet_review(plans)
    reviewed, reviewed_cpu = time.perf_counter(), time.process_time()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{size:>6} hosts: plans {planned - started:7.3f} s wall, {planned_cpu - started_cpu:7.3f} s CPU "
          f"({(planned_cpu - started_cpu) / size * 1e3:.3f} ms CPU/host); review {reviewed - planned:6.3f} s wall, "
          f"{reviewed_cpu - planned_cpu:6.3f} s CPU ({len(lines)} lines); peak memory {peak_kib / 1024:.0f} MiB")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, nargs="+", default=[10, 1000, 10000])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        run_one(args.one)
        return 0
    for _round in range(args.repeat):
        for size in args.hosts:
            subprocess.run([sys.executable, os.path.abspath(__file__), "--one", str(size)], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
