# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compare saved copies of Microsoft's pages with the catalog's source data; --write updates it.

Usage: python tools/build/refresh_catalog.py PAGE.md [PAGE.md ...] [--write] [--csv PATH]

Each PAGE is the Markdown of one Learn page, as published in MicrosoftDocs/defender-docs
(``defender-endpoint/<page>.md``) or saved from the rendered page (its front matter names the
``canonicalUrl``). The tables are read by the collection's own importer (catalog_import). The diff
covers the rows whose source is that page: added, removed, and changed port, path, OS, requirement
or notes. With --write the CSV rows of those pages are replaced, the comparison date is recorded in
tools/build/catalog/comparison.json and the catalog is rebuilt (build_catalog.py). Exit status:
0 nothing differs or --write, 1 differences reported, 2 a page or the CSV cannot be read.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import io
import json
import os
import re
import sys
from typing import Any, Dict, List, Optional, Sequence, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import build_catalog  # noqa: E402 - beside this script

LEARN = "https://learn.microsoft.com/en-us/defender-endpoint/"
GOV = ("gcc", "gcc-high", "dod")
# page -> (list, cloud: None for the gov pages (the Geography column decides), function filter)
PAGES = {
    "standard-device-connectivity-urls-commercial": ("standard", "commercial", None),
    "streamlined-device-connectivity-urls-commercial": ("streamlined", "commercial", None),
    "standard-device-connectivity-urls-gov": ("standard", None, None),
    "streamlined-device-connectivity-urls-gov": ("streamlined", None, None),
    "configure-network-connections-microsoft-defender-antivirus": ("mdav-page", "commercial", None),
    "configure-environment": ("standard", "commercial", "mma"),  # its MMA table only
}
Key = Tuple[str, str, str, str, str]  # cloud, list, region, host, path


def _importer():
    build_catalog._import_collection()
    from ansible_collections.purview.device_proxy.plugins.plugin_utils import catalog_import
    return catalog_import


def page_identity(path: str, text: str) -> Tuple[str, str]:
    """(page URL, slug) from the front matter's canonicalUrl, else from the file name."""
    match = re.search(r"^canonicalUrl:\s*(\S+)", text, flags=re.MULTILINE)
    slug = (match.group(1).rstrip("/").rsplit("/", 1)[1] if match
            else os.path.splitext(os.path.basename(path))[0])
    return LEARN + slug, slug


def _record(ports, url, os_names, required, notes, function) -> Dict[str, Any]:
    return {"ports": tuple(sorted(set(ports))), "url": url, "os": tuple(os_names), "required": required,
            "notes": note_text(notes), "function": function}


def note_text(notes: str) -> str:
    """The notes without the parts compared separately (requirement, OS) or added by the build."""
    parts = [p.strip() for p in notes.split(";")]
    keep = [p for p in parts if p and p not in ("Required", "Optional") and not p.startswith("OS:")
            and not p.startswith("listed under Geography") and "catalog build rule" not in p]
    return "; ".join(keep)


def page_records(path: str) -> Tuple[str, str, str, Dict[Key, Dict[str, Any]]]:
    """(page URL, list, ms.date, records) of one saved page."""
    ci = _importer()
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    url, slug = page_identity(path, text)
    if slug not in PAGES:
        raise ValueError("%s: unknown page %r; known: %s" % (path, slug, ", ".join(sorted(PAGES))))
    list_name, cloud, only = PAGES[slug]
    date = ci.page_date(text)
    if not date:
        raise ValueError("%s: no ms.date in the page" % path)
    entries, _excluded = ci.rows_to_entries(ci.markdown_rows(text, path), path, list_name, cloud=cloud)
    records: Dict[Key, Dict[str, Any]] = {}
    for entry in entries:
        if only and entry.function != only:
            continue
        clouds = GOV if cloud is None and entry.cloud == "commercial" else (entry.cloud,)
        region = "us" if cloud is None else entry.region
        for target in clouds:
            key = (target, list_name, region, entry.host, entry.path)
            found = records.setdefault(key, _record((), entry.url, entry.os, entry.required, entry.notes, entry.function))
            found["ports"] = tuple(sorted(set(found["ports"]) | {entry.port}))
    return url, list_name, date, records


def csv_records(rows: Sequence[Dict[str, str]], page_url: str, list_name: str) -> Dict[Key, Dict[str, Any]]:
    """Records of the CSV rows whose source is the page (``<page URL> (ms.date ...``)."""
    ci = _importer()
    found = {}
    for row in rows:
        row_list, _sep, function = row["category"].partition(":")
        if row_list != list_name or "historical" in function or not row["source"].startswith(page_url + " "):
            continue
        _scheme, host, path = ci.parse_host(row["url"], "csv")
        os_names, _notes = ci.certificate_rule(function, ci.os_from_notes(row["notes"], row_list, function), "")
        found[(row["cloud"], row_list, row["region"], host, path)] = _record(
            ci.parse_ports(row["port"], "csv"), row["url"], os_names, ci.required_from_notes(row["notes"], row_list),
            row["notes"], function)
    return found


def diff(old: Dict[Key, Dict[str, Any]], new: Dict[Key, Dict[str, Any]], listed_elsewhere=frozenset()) -> List[str]:
    """Lines: "+ key ...", "- key", "~ key: field old -> new" (a path change pairs one removal and one addition)."""
    added = [k for k in new if k not in old and k not in listed_elsewhere]
    removed = [k for k in old if k not in new]
    lines = []
    for key in list(added):
        twins = [r for r in removed if r[:4] == key[:4]]
        if len(twins) == 1 and len([a for a in added if a[:4] == key[:4]]) == 1:
            lines.append("~ %s: path %r -> %r" % (_name(key), twins[0][4], key[4]))
            added.remove(key)
            removed.remove(twins[0])
    for key in sorted(added):
        rec = new[key]
        needed = "required" if rec["required"] else "optional"
        lines.append("+ %s port %s os %s %s" % (_name(key), ";".join(map(str, rec["ports"])), ",".join(rec["os"]), needed))
    for key in sorted(removed):
        lines.append("- %s" % _name(key))
    for key in sorted(k for k in new if k in old):
        for field in ("ports", "os", "required", "notes"):
            if old[key][field] != new[key][field]:
                lines.append("~ %s: %s %s -> %s" % (_name(key), "port" if field == "ports" else field,
                                                    _show(old[key][field]), _show(new[key][field])))
    return lines


def _name(key: Key) -> str:
    cloud, list_name, region, host, path = key
    return "%s %s %s %s%s" % (cloud, region, list_name, host, path)


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        return ",".join(map(str, value)) or "-"
    if isinstance(value, bool):
        return "required" if value else "optional"
    return repr(value)


def os_flags(os_names: Sequence[str]) -> str:
    yes = {name: "Yes" if name in os_names else "No" for name in ("windows", "windows-legacy", "macos", "linux")}
    return "OS: Win10/11/Server unified=%s, Win7/8.1=%s, Server MMA=%s, macOS=%s, Linux=%s" % (
        yes["windows"], yes["windows-legacy"], yes["windows-legacy"], yes["macos"], yes["linux"])


def updated_rows(rows: List[Dict[str, str]], page_url: str, date: str, old: Dict[Key, Dict[str, Any]],
                 new: Dict[Key, Dict[str, Any]], listed_elsewhere=frozenset()) -> List[Dict[str, str]]:
    """The CSV rows with the page's rows replaced: existing rows keep their place and category."""
    ci = _importer()
    source = "%s (ms.date %s)" % (page_url, date)
    result, done = [], set()
    for row in rows:
        row_list, _sep, function = row["category"].partition(":")
        if not row["source"].startswith(page_url + " ") or "historical" in function:
            result.append(row)
            continue
        _scheme, host, path = ci.parse_host(row["url"], "csv")
        key = (row["cloud"], row_list, row["region"], host, path)
        if key in old and key in new:
            result.append(_csv_row(key, new[key], row["category"], source))
            done.add(key)
        elif key not in old:
            result.append(row)
    categories = {}  # a row whose path changed keeps its curated function
    for row in rows:
        if row["source"].startswith(page_url + " "):
            categories.setdefault((row["cloud"], row["category"].split(":")[0], row["region"],
                                   ci.parse_host(row["url"], "csv")[1]), []).append(row["category"])
    for key in sorted(k for k in new if k not in done and k not in listed_elsewhere):
        same_host = [c for c in categories.get(key[:4], ()) if c]
        category = same_host[0] if len(same_host) == 1 else "%s:%s" % (key[1], new[key]["function"])
        result.append(_csv_row(key, new[key], category, source))
    return result


def _csv_row(key: Key, rec: Dict[str, Any], category: str, source: str) -> Dict[str, str]:
    notes = "; ".join(p for p in ("Required" if rec["required"] else "Optional", rec["notes"], os_flags(rec["os"])) if p)
    return {"cloud": key[0], "region": key[2], "category": category, "url": rec["url"],
            "port": ";".join(map(str, rec["ports"])), "protocol": "http" if rec["ports"] == (80,) else "https",
            "notes": notes, "source": source}


def refresh(pages: Sequence[str], csv_path: str, write: bool, comparison_path: str, output: Optional[str],
            today: str, out=sys.stdout) -> int:
    ci = _importer()
    with open(csv_path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    total = 0
    compared_pages = {}
    for page in pages:
        url, list_name, date, new = page_records(page)
        old = csv_records(rows, url, list_name)
        elsewhere = set()
        for row in rows:  # rows another page already lists (same list, cloud, region, host, path)
            if row["category"].startswith(list_name + ":") and not row["source"].startswith(url + " "):
                _scheme, host, path = ci.parse_host(row["url"], "csv")
                elsewhere.add((row["cloud"], list_name, row["region"], host, path))
        lines = diff(old, new, frozenset(elsewhere))
        print("%s (ms.date %s): %s" % (url, date, "%d difference(s)" % len(lines) if lines else "no differences"), file=out)
        for line in lines:
            print("  " + line, file=out)
        total += len(lines)
        compared_pages[url] = date
        if write:
            rows = updated_rows(rows, url, date, old, new, frozenset(elsewhere))
    if not write:
        return 1 if total else 0
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=ci.CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    with open(csv_path, "w", encoding="utf-8", newline="") as handle:
        handle.write(text.getvalue())
    record = build_catalog.read_comparison(comparison_path)
    record["compared"] = today
    record["pages"].update(compared_pages)
    with open(comparison_path, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(record, indent=1, sort_keys=True) + "\n")
    target = output or build_catalog.shipped_path()
    with open(target, "w", encoding="utf-8") as handle:
        handle.write(build_catalog.build_text(csv_path, comparison_path))
    print("refresh_catalog: wrote %s, %s and %s (compared %s)" % (csv_path, comparison_path, target, today), file=out)
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="+", help="saved Markdown of Microsoft's pages")
    parser.add_argument("--write", action="store_true", help="update the CSV, the comparison date and the catalog")
    parser.add_argument("--csv", default=build_catalog.DEFAULT_CSV)
    parser.add_argument("--comparison", default=build_catalog.COMPARISON)
    parser.add_argument("--output", default=None, help="catalog to write (default: the shipped one)")
    parser.add_argument("--today", default=datetime.date.today().isoformat(), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    ci = _importer()
    try:
        return refresh(args.pages, args.csv, args.write, args.comparison, args.output, args.today)
    except (OSError, ValueError, ci.CatalogError) as exc:
        print("refresh_catalog: %s" % exc, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
