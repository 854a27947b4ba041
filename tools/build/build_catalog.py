# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rebuild plugins/plugin_utils/service_url_catalog.json from mde-service-urls.csv.

Usage: python tools/build/build_catalog.py [--csv PATH] [--output PATH] [--check]

--check compares a fresh build with the shipped file and exits 1 when they differ.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import List, Optional

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_CSV = os.path.join(os.path.dirname(ROOT), "shared", "reference", "mde-service-urls.csv")


def _import_collection() -> None:
    # The collection imports itself by its full name; make that name point at this checkout.
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from collection_link import ensure_collection_importable
    ensure_collection_importable()


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", default=DEFAULT_CSV, help="the reference CSV (default: %(default)s)")
    parser.add_argument("--output", default=None, help="where to write (default: the shipped catalog)")
    parser.add_argument("--check", action="store_true", help="only compare with the shipped catalog")
    args = parser.parse_args(argv)
    _import_collection()
    from ansible_collections.purview.device_proxy.plugins.plugin_utils.catalog import SHIPPED_CATALOG, CatalogError
    from ansible_collections.purview.device_proxy.plugins.plugin_utils.catalog_import import build_from_reference_csv

    try:
        text = build_from_reference_csv(args.csv).to_json_text()
    except (CatalogError, OSError) as exc:
        print("build_catalog: %s" % exc, file=sys.stderr)
        return 2
    output = args.output or os.path.join(ROOT, "plugins", "plugin_utils", os.path.basename(SHIPPED_CATALOG))
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
