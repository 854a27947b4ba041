# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render the fleet reports from the example data, without Windows: what a real run produces.

    .venv/bin/python tools/build/report_example.py [--dest .build/report-example]

The example fleet is the recorded device_connectivity_probe results under
tests/unit/plugins/action/fixtures/device_connectivity_probe (five devices: a proxy that works, one that demands
authentication, a device without a static proxy, one past its deadline, one not run as SYSTEM)
plus two devices without a result. The reports go through the connectivity_report action's
own code path twice - "yesterday" (the authenticating proxy still let the device through) and
"today" - so the HTML opens with what changed, and a metrics file is written beside them.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import os
import sys
from typing import List, Optional

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GOLDEN = os.path.join(ROOT, "tests", "unit", "plugins", "action", "fixtures", "connectivity_report", "regenerate_golden.py")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--dest", default=os.path.join(ROOT, ".build", "report-example"))
    args = parser.parse_args(argv)
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    from collection_link import ensure_collection_importable
    ensure_collection_importable()
    from ansible_collections.purview.device_proxy.plugins.plugin_utils import fleet_history, fleet_metrics, fleet_report
    from ansible_collections.purview.device_proxy.plugins.plugin_utils import report_files

    spec = importlib.util.spec_from_file_location("regenerate_golden", GOLDEN)
    golden = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(golden)
    today = golden.fleet_inputs()
    yesterday = dict(today)
    yesterday["win11-hq-07.corp.example"] = today["win10-branch-01.corp.example"]

    dest = os.path.abspath(args.dest)
    history_dir = os.path.join(dest, "history")
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    for results, when in ((yesterday, now - datetime.timedelta(days=1)), (today, now)):
        generated = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        fleet = fleet_report.build_fleet(results, generated)
        entry = fleet_history.entry_from_fleet(fleet)
        previous, warnings = fleet_history.load_entries(history_dir, 10)
        for warning in warnings:
            print("history entry not used:", warning)
        changes = fleet_history.compare(previous[0], entry) if previous else None
        trend = fleet_history.trend(list(reversed(previous)) + [entry])
        files = fleet_report.render_files(results, fleet, fleet_report.FORMATS, changes=changes, trend=trend)
        fleet_report.write_reports(dest, files)
        fleet_history.save_entry(history_dir, entry, 10, when)
        counts = fleet_history.counts(changes) if changes else None
        report_files.write_atomically(os.path.join(dest, "purview_connectivity.prom"),
                                      fleet_metrics.render_metrics(fleet, when.timestamp(), counts).encode("utf-8"))
    print(fleet_history.since_line(changes))
    print("reports in %s:" % dest)
    for name in sorted(os.listdir(dest)):
        print("  " + name + ("/" if os.path.isdir(os.path.join(dest, name)) else ""))
    print("open %s in a browser" % os.path.join(dest, fleet_report.FILE_NAMES["html"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
