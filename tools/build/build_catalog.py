# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rebuild plugins/plugin_utils/service_url_catalog.json from tools/build/catalog/mde-service-urls.csv.

Usage: python tools/build/build_catalog.py [--csv PATH] [--output PATH] [--check]

--check compares a fresh build with the shipped file and exits 1 when they differ. The date the
source data was last compared with Microsoft's pages comes from tools/build/catalog/comparison.json
(written by tools/build/refresh_catalog.py --write).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import List, Optional

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOURCE_DIR = os.path.join(ROOT, "tools", "build", "catalog")
DEFAULT_CSV = os.path.join(SOURCE_DIR, "mde-service-urls.csv")
COMPARISON = os.path.join(SOURCE_DIR, "comparison.json")


def _import_collection() -> None:
    # The collection imports itself by its full name; make that name point at this checkout.
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from collection_link import ensure_collection_importable
    ensure_collection_importable()


def read_comparison(path: str = COMPARISON) -> dict:
    """{"compared": ISO date, "pages": {page URL: ms.date}}; empty values when the file is missing."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        return {"compared": "", "pages": {}}
    return {"compared": str(data.get("compared", "")), "pages": dict(data.get("pages", {}))}


def build_text(csv_path: str = DEFAULT_CSV, comparison_path: str = COMPARISON) -> str:
    """The exact text of the catalog built from the CSV and the comparison record."""
    _import_collection()
    from ansible_collections.purview.device_proxy.plugins.plugin_utils.catalog_import import build_from_reference_csv

    return build_from_reference_csv(csv_path, compared=read_comparison(comparison_path)["compared"]).to_json_text()


def shipped_path() -> str:
    return os.path.join(ROOT, "plugins", "plugin_utils", "service_url_catalog.json")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", default=DEFAULT_CSV, help="the reference CSV (default: %(default)s)")
    parser.add_argument("--output", default=None, help="where to write (default: the shipped catalog)")
    parser.add_argument("--check", action="store_true", help="only compare with the shipped catalog")
    args = parser.parse_args(argv)
    _import_collection()
    from ansible_collections.purview.device_proxy.plugins.plugin_utils.catalog import CatalogError

    try:
        text = build_text(args.csv)
    except (CatalogError, OSError, ValueError) as exc:
        print("build_catalog: %s" % exc, file=sys.stderr)
        return 2
    output = args.output or shipped_path()
    if args.check:
        with open(output, encoding="utf-8") as handle:
            same = handle.read() == text
        print("build_catalog: %s is %s" % (output, "up to date" if same else "OUT OF DATE"))
        return 0 if same else 1
    with open(output, "w", encoding="utf-8") as handle:
        handle.write(text)
    print("build_catalog: wrote %s" % output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
