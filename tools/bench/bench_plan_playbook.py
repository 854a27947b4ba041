# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark the plan playbook through ansible-playbook, before and after, on fleets of growing size.

    .venv/bin/python tools/bench/bench_plan_playbook.py [--hosts 10 1000 10000] [--before-rev REV]
                                                        [--before-timeout 300] [--no-before]

Each fleet is the example fleet (examples/fleet: its inventory's groups and variables, its facts
files) repeated under new host names until it has the asked number of hosts, written as an inventory
and a facts folder in a temporary directory. ``purview.device_proxy.plan`` then runs on it twice:

* before: the collection's files at ``--before-rev`` (default: the commit before the one-pass plan),
  exported with ``git archive`` into a temporary folder;
* after: the files of this checkout.

For each run it prints the wall time, the peak memory of the largest process (ru_maxrss of the
ansible-playbook process tree, /usr/bin/time), the number of console lines and the load average
before the run (the machine is shared: a loaded machine is slower). A run that exceeds
``--before-timeout`` is stopped and printed as such. Nothing is asserted: these are figures.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(ROOT, "examples", "fleet")
ADDED_BY = "plugins/action/fleet_plan.py"


def _template_hosts(group, inherited, path=()):
    """(host, group path, host vars) of the example inventory's Windows hosts."""
    for name, host_vars in (group.get("hosts") or {}).items():
        yield name, path, host_vars or {}
    for child_name, child in (group.get("children") or {}).items():
        yield from _template_hosts(child or {}, inherited, path + (child_name,))


def build_fleet(size: int, folder: str) -> str:
    """Write inventory.yml and facts/ for ``size`` hosts into ``folder``; return the inventory path."""
    with open(os.path.join(EXAMPLE, "inventory.yml"), encoding="utf-8") as handle:
        example = yaml.safe_load(handle)
    windows = example["all"]["children"]["windows"]
    templates = [(name, path) for name, path, _vars in _template_hosts(windows, {}) if path]
    facts_dir = os.path.join(folder, "facts")
    os.makedirs(facts_dir)
    sites = {path[-1]: {} for _name, path in templates}
    for index in range(size):
        name, path = templates[index % len(templates)]
        host = f"{name}-{index:05d}"
        sites[path[-1]][host] = {}
        shutil.copyfile(os.path.join(EXAMPLE, "facts", f"{name}.json"), os.path.join(facts_dir, f"{host}.json"))
    children = {}
    for site, hosts in sites.items():
        children[site] = {"vars": windows["children"][site].get("vars") or {}, "hosts": hosts}
    group_vars = dict(windows.get("vars") or {}, device_proxy_facts_dir=facts_dir)
    inventory = {"all": {"children": {"windows": {"vars": group_vars, "children": children}}}}
    path = os.path.join(folder, "inventory.yml")
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(inventory, handle, sort_keys=False)
    return path


def collection_tree(rev: str, folder: str) -> str:
    """A collections folder holding purview.device_proxy at ``rev`` (or this checkout for "HEAD+work")."""
    target = os.path.join(folder, "ansible_collections", "purview", "device_proxy")
    os.makedirs(os.path.dirname(target))
    if rev == "work":
        os.symlink(ROOT, target)
    else:
        os.makedirs(target)
        archive = subprocess.run(["git", "-C", ROOT, "archive", rev], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", target], input=archive, check=True)
    return folder


def default_before_rev() -> str:
    added = subprocess.run(["git", "-C", ROOT, "log", "--diff-filter=A", "--format=%H", "--", ADDED_BY],
                           check=True, capture_output=True, text=True).stdout.split()
    return f"{added[-1]}~1" if added else "HEAD"


def run_playbook(collections: str, inventory: str, workdir: str, timeout: float):
    """(wall seconds or None when stopped, peak KiB, console lines, return code)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_")}
    env.update(ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false", ANSIBLE_NOCOLOR="1",
               ANSIBLE_HOST_KEY_CHECKING="false", ANSIBLE_RETRY_FILES_ENABLED="false")
    playbook = os.path.join(collections, "ansible_collections", "purview", "device_proxy", "playbooks", "plan.yml")
    bin_dir = os.path.dirname(sys.executable)
    measured = os.path.join(workdir, "time.txt")
    command = ["/usr/bin/time", "-f", "%M", "-o", measured, os.path.join(bin_dir, "ansible-playbook"),
               "-i", inventory, playbook]
    started = time.perf_counter()
    with open(os.path.join(workdir, "console.txt"), "wb") as console:
        proc = subprocess.Popen(command, cwd=workdir, env=env, stdout=console, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 15)
            proc.wait()
            return None, None, None, None
    wall = time.perf_counter() - started
    with open(measured, encoding="utf-8") as handle:
        peak = int(handle.read().split()[-1])
    with open(os.path.join(workdir, "console.txt"), "rb") as handle:
        lines = handle.read().count(b"\n")
    return wall, peak, lines, code


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, nargs="+", default=[10, 1000, 10000])
    parser.add_argument("--before-rev", default=None)
    parser.add_argument("--before-timeout", type=float, default=300.0)
    parser.add_argument("--after-timeout", type=float, default=600.0)
    parser.add_argument("--no-before", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-plan-playbook-") as scratch:
        trees = {}
        if not args.no_before:
            rev = args.before_rev or default_before_rev()
            trees[f"before ({rev})"] = (collection_tree(rev, os.path.join(scratch, "before")), args.before_timeout)
        trees["after (this checkout)"] = (collection_tree("work", os.path.join(scratch, "after")), args.after_timeout)
        print(f"{os.cpu_count()} CPUs; figures: wall time, peak memory of the largest process, console lines")
        for size in args.hosts:
            fleet = os.path.join(scratch, f"fleet-{size}")
            os.makedirs(fleet)
            inventory = build_fleet(size, fleet)
            for label, (tree, timeout) in trees.items():
                workdir = tempfile.mkdtemp(dir=scratch)
                load = "%.2f %.2f %.2f" % os.getloadavg()
                wall, peak, lines, code = run_playbook(tree, inventory, workdir, timeout)
                if wall is None:
                    print(f"{size:>6} hosts  {label:<32} stopped after {timeout:.0f} s (load {load})", flush=True)
                    continue
                print(f"{size:>6} hosts  {label:<32} {wall:8.1f} s  {peak / 1024:7.0f} MiB  {lines:>7} lines  "
                      f"rc {code}  (load before {load})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
