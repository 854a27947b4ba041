# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write the report example's data (examples/reports/) from the recorded device probe results.

    .venv/bin/python tools/build/report_example.py            # rewrite examples/reports/*.json
    .venv/bin/python tools/build/report_example.py --check    # exit 1 when they are out of date

The data is what the device_connectivity_probe action returned for the recorded target results
under tests/unit/plugins/action/fixtures/device_connectivity_probe (a proxy that works, one that
demands authentication, a device without a static proxy, one past its deadline, one probed as a
user instead of SYSTEM), plus two devices that were unreachable (one with the connection's error):
``results.json`` is today's run. ``previous-run.json`` holds the results that differed the day
before (the authenticating proxy still let its device through), so the report example playbook
(playbooks/report_example.yml, ``make report-example``) renders two runs and the HTML opens with
what changed. The collection ships both files; the playbook needs nothing else.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from typing import Any, Dict, List, Optional

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GOLDEN = os.path.join(ROOT, "tests", "unit", "plugins", "action", "fixtures", "connectivity_report", "regenerate_golden.py")
DATA_DIR = os.path.join(ROOT, "examples", "reports")
# The device whose proxy began to demand authentication since the previous run, and the device
# whose result it had then (the same kind of named proxy, working).
CHANGED_HOST = "win11-hq-07.corp.example"
PREVIOUS_LIKE = "win10-branch-01.corp.example"


def example_data() -> Dict[str, str]:
    """{file name under examples/reports: content}."""
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    from collection_link import ensure_collection_importable
    ensure_collection_importable()
    spec = importlib.util.spec_from_file_location("regenerate_golden", GOLDEN)
    golden = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(golden)
    today: Dict[str, Any] = golden.fleet_inputs()
    previous = {CHANGED_HOST: today[PREVIOUS_LIKE]}
    return {name: json.dumps(data, indent=1, sort_keys=True) + "\n"
            for name, data in (("results.json", today), ("previous-run.json", previous))}


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 when a file is out of date")
    parser.add_argument("--dest", default=DATA_DIR, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    stale = []
    for name, content in sorted(example_data().items()):
        path = os.path.join(args.dest, name)
        try:
            with open(path, encoding="utf-8") as handle:
                current = handle.read()
        except FileNotFoundError:
            current = None
        if current == content:
            continue
        stale.append(path)
        if not args.check:
            os.makedirs(args.dest, exist_ok=True)
            with open(path, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(content)
            print("wrote", os.path.relpath(path, ROOT))
    if args.check and stale:
        print("out of date (run tools/build/report_example.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
