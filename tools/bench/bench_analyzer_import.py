# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark reading collected analyzer files: a synthetic folder of devices, timed, figures printed.

    .venv/bin/python tools/bench/bench_analyzer_import.py [--devices 2000] [--urls 20]

Writes --devices result files (a third UTF-16LE with BOM and CRLF as the analyzer writes them, a
third UTF-8, a third zips), each with --urls blocks and the analyzer's notes, into a temporary
folder; then times analyzer_import.import_folder and fleet_report.build_fleet over them. Nothing
is asserted: these are figures, not a test.
"""

from __future__ import annotations

import argparse
import codecs
import os
import random
import sys
import tempfile
import time
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def block(url: str, rng: random.Random) -> str:
    ok = rng.random() < 0.9
    return ("Testing URL : %s\r\n1 - Default proxy: %s\r\n2 - Proxy auto discovery (WPAD): Failed (12180)\r\n"
            "3 - Proxy disabled: %s\r\n4 - Named proxy (10.0.0.6:8080): %s\r\n5 - Command line proxy: Doesn't exist\r\n"
            % (url, "Succeeded (200)" if ok else "Failed (407)", "Failed (12029)",
               "Succeeded (200)" if ok else "Failed (403)"))


def write_folder(folder: str, devices: int, urls: int) -> None:
    rng = random.Random(1)
    notes = "Important notes:\r\n1. If at least one of the connectivity options returns status (200), ...\r\n"
    for number in range(devices):
        text = notes + "".join(block("https://host%d.example.microsoft.com/test" % i, rng) for i in range(urls))
        name = "pc%05d" % number
        if number % 3 == 0:
            os.makedirs(os.path.join(folder, name))
            with open(os.path.join(folder, name, "MDEClientAnalyzerResult.txt"), "wb") as handle:
                handle.write(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
        elif number % 3 == 1:
            with open(os.path.join(folder, name + "_MDEClientAnalyzerResult.txt"), "wb") as handle:
                handle.write(text.encode("utf-8"))
        else:
            with zipfile.ZipFile(os.path.join(folder, name + "_MDEClientAnalyzerResult.zip"), "w",
                                 zipfile.ZIP_DEFLATED) as archive:
                archive.writestr("SystemInfoLogs\\MDEClientAnalyzer.txt", codecs.BOM_UTF16_LE + text.encode("utf-16-le"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--devices", type=int, default=2000)
    parser.add_argument("--urls", type=int, default=20)
    args = parser.parse_args()
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    from collection_link import ensure_collection_importable
    ensure_collection_importable()
    from ansible_collections.purview.device_proxy.plugins.plugin_utils import analyzer_import, fleet_report

    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        write_folder(folder, args.devices, args.urls)
        print("wrote %d devices x %d URLs in %.2f s" % (args.devices, args.urls, time.perf_counter() - start))
        lookup = analyzer_import.catalog_lookup()
        start = time.perf_counter()
        imported = analyzer_import.import_folder(folder, lookup)
        read = time.perf_counter() - start
        start = time.perf_counter()
        fleet = fleet_report.build_fleet(imported["results"], "2026-07-03T09:00:00Z", "analyzer")
        built = time.perf_counter() - start
    print("import_folder: %.2f s (%.2f ms per device); build_fleet: %.2f s; %d hosts, %d cells"
          % (read, 1000 * read / max(1, args.devices), built, fleet["totals"]["hosts"], fleet["totals"]["cells"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
