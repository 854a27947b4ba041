# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""tools/build/refresh_catalog.py on small extracted tables, not copies of the pages.

The rows are those of the standard commercial page
(https://learn.microsoft.com/en-us/defender-endpoint/standard-device-connectivity-urls-commercial,
ms.date 2026-07-03): crl.microsoft.com (80, Windows/Mac/Linux), events.data.microsoft.com (443,
Windows/Mac/Linux) and reflector.defender.microsoft.com (443, every column Yes, Optional). The
source data given to the tool is made to differ from them on purpose: events.data on port 80, no
reflector row, and a winatp-gw-wus row the page does not have."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
TOOL = os.path.join(ROOT, "tools", "build", "refresh_catalog.py")
PAGE_URL = "https://learn.microsoft.com/en-us/defender-endpoint/standard-device-connectivity-urls-commercial"
SOURCE = PAGE_URL + " (ms.date 2026-07-03)"

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "standard-commercial-rows.md"),
          encoding="utf-8") as _handle:
    PAGE = _handle.read()

FLAGS = "OS: Win10/11/Server unified=Yes, Win7/8.1=No, Server MMA=No, macOS=Yes, Linux=Yes"
CSV_ROWS = [
    ("commercial", "worldwide", "standard:crl", "crl.microsoft.com", "80", "http",
     "Required; Certificate Revocation Lists - required to validate certificates; " + FLAGS, SOURCE),
    ("commercial", "worldwide", "standard:common", "events.data.microsoft.com", "80", "https",
     "Required; Used by the Connected User Experiences and Telemetry component; " + FLAGS, SOURCE),
    ("commercial", "us", "standard:command-and-control", "winatp-gw-wus.example.com", "443", "https",
     "Required; Microsoft Defender for Endpoint Command and Control; " + FLAGS, SOURCE),
    # a row of another page is never touched
    ("commercial", "worldwide", "mdav-page:maps", "*.wdcp.microsoft.com", "443", "https", "MAPS",
     "https://learn.microsoft.com/en-us/defender-endpoint/configure-network-connections-microsoft-defender-antivirus"
     " (ms.date 2026-07-02)"),
]
COLUMNS = ("cloud", "region", "category", "url", "port", "protocol", "notes", "source")


def setup(tmp_path):
    page = tmp_path / "standard-device-connectivity-urls-commercial.md"
    page.write_text(PAGE, encoding="utf-8")
    data = io.StringIO()
    writer = csv.writer(data, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(CSV_ROWS)
    (tmp_path / "urls.csv").write_text(data.getvalue(), encoding="utf-8")
    (tmp_path / "comparison.json").write_text(json.dumps({"compared": "2026-01-01", "pages": {}}), encoding="utf-8")
    return str(page)


def run(tmp_path, page, *extra):
    command = [sys.executable, TOOL, page, "--csv", str(tmp_path / "urls.csv"), "--comparison",
               str(tmp_path / "comparison.json"), "--output", str(tmp_path / "catalog.json"), "--today", "2026-12-07", *extra]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_the_diff_names_the_added_removed_and_changed_rows_and_a_second_run_reports_nothing(tmp_path):
    page = setup(tmp_path)
    before = (tmp_path / "urls.csv").read_text(encoding="utf-8")
    shown = run(tmp_path, page)
    assert shown.returncode == 1, shown.stderr
    lines = [line.strip() for line in shown.stdout.splitlines()]
    assert lines[0] == PAGE_URL + " (ms.date 2026-07-03): 3 difference(s)"
    assert lines[1:] == [
        "+ commercial worldwide standard reflector.defender.microsoft.com port 443 os windows,windows-legacy,macos,linux optional",
        "- commercial us standard winatp-gw-wus.example.com",
        "~ commercial worldwide standard events.data.microsoft.com: port 80 -> 443",
    ]
    assert (tmp_path / "urls.csv").read_text(encoding="utf-8") == before  # without --write nothing changes
    assert not (tmp_path / "catalog.json").exists()

    written = run(tmp_path, page, "--write")
    assert written.returncode == 0, written.stdout + written.stderr
    with open(tmp_path / "urls.csv", encoding="utf-8", newline="") as handle:
        rows = {row["url"]: row for row in csv.DictReader(handle)}
    assert set(rows) == {"crl.microsoft.com", "events.data.microsoft.com", "reflector.defender.microsoft.com",
                         "*.wdcp.microsoft.com"}
    assert rows["events.data.microsoft.com"]["port"] == "443"
    assert rows["events.data.microsoft.com"]["category"] == "standard:common"  # the curated function stays
    assert rows["*.wdcp.microsoft.com"]["source"].endswith("(ms.date 2026-07-02)")
    comparison = json.loads((tmp_path / "comparison.json").read_text(encoding="utf-8"))
    assert comparison == {"compared": "2026-12-07", "pages": {PAGE_URL: "2026-07-03"}}
    catalog = json.loads((tmp_path / "catalog.json").read_text(encoding="utf-8"))
    assert catalog["compared"] == "2026-12-07"
    assert {e["host"] for e in catalog["entries"]} >= {"reflector.defender.microsoft.com", "events.data.microsoft.com"}

    again = run(tmp_path, page)
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.strip() == PAGE_URL + " (ms.date 2026-07-03): no differences"


def test_an_unknown_page_is_refused_and_nothing_is_written(tmp_path):
    setup(tmp_path)
    other = tmp_path / "some-other-page.md"
    other.write_text("---\nms.date: 2026-07-03\n---\n| Endpoint/URL | Port |\n|-|-|\n| a.example.com | 443 |\n", encoding="utf-8")
    before = (tmp_path / "urls.csv").read_text(encoding="utf-8")
    done = run(tmp_path, str(other), "--write")
    assert done.returncode == 2
    assert "unknown page 'some-other-page'" in done.stderr
    assert (tmp_path / "urls.csv").read_text(encoding="utf-8") == before


def test_changed_path_os_requirement_and_notes_are_each_named():
    sys.path.insert(0, os.path.dirname(TOOL))
    try:
        import refresh_catalog
    finally:
        sys.path.remove(os.path.dirname(TOOL))

    def record(os_names=("windows",), required=True, notes="CRL"):
        return {"ports": (80,), "url": "x", "os": os_names, "required": required, "notes": notes, "function": "crl"}

    old = {("commercial", "standard", "worldwide", "crl.microsoft.com", ""): record(),
           ("commercial", "standard", "worldwide", "www.microsoft.com", "/pki/*"): record()}
    new = {("commercial", "standard", "worldwide", "crl.microsoft.com", ""): record(("windows", "macos"), False, "CRL lists"),
           ("commercial", "standard", "worldwide", "www.microsoft.com", "/pki/certs"): record()}
    assert refresh_catalog.diff(old, new) == [
        "~ commercial worldwide standard www.microsoft.com/pki/certs: path '/pki/*' -> '/pki/certs'",
        "~ commercial worldwide standard crl.microsoft.com: os windows -> windows,macos",
        "~ commercial worldwide standard crl.microsoft.com: required required -> optional",
        "~ commercial worldwide standard crl.microsoft.com: notes 'CRL' -> 'CRL lists'",
    ]
    assert refresh_catalog.diff(new, new) == []
