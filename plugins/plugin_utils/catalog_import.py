# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build the service URL catalog from its sources.

* ``build_from_reference_csv``: the shipped catalog, from ``mde-service-urls.csv`` (columns
  ``cloud,region,category,url,port,protocol,notes,source``); used by ``tools/build/build_catalog.py``.
* ``import_table``: a newer copy of one of Microsoft's tables supplied by a user, either the Learn
  page's Markdown source or the xlsx download, read into a catalog whose list entries for that
  cloud and connectivity model replace the shipped ones;
* ``load_catalog_file``: any catalog file a user names (JSON, Markdown or xlsx).

This module imports ``catalog``; ``catalog`` never imports this one.

Every problem in a file is reported with its row and column; nothing is written anywhere.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import os
import re
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.purview.device_proxy.plugins.plugin_utils.catalog import (
    CLOUD_GEOGRAPHIES,
    CLOUDS,
    DEVICE_LISTS,
    GOV_CLOUDS,
    MODELS,
    NOT_IN_MICROSOFT_LISTS,
    OS_NAMES,
    SHARED_STORAGE_WILDCARDS,
    Catalog,
    CatalogEntry,
    CatalogError,
    host_matches,
    load_catalog,
    parse_host,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.catalog_probes import (  # noqa: F401 - re-exported
    probe_channel,
    probe_details,
    probe_os,
)

CSV_COLUMNS = ("cloud", "region", "category", "url", "port", "protocol", "notes", "source")
ALL_OS = OS_NAMES
WINDOWS_ALL = ("windows", "windows-legacy")

_SOURCE_DATE = re.compile(r"\(ms\.date (\d{4}-\d{2}-\d{2})[;)]")  # "<page> (ms.date 2026-07-03; ...)"
_OS_FLAG = re.compile(r"(Win10/11/Server[^=,;]*unified|Win7/8\.1|Server MMA|macOS|Linux)=(Yes|No)")

# Certificate revocation (CRL) and trust list (CTL) rows: the lists mark some of them for the unified
# agent, macOS and Linux only, but every Windows device, MMA-based and Windows 7/8.1 included,
# validates the service's TLS certificates and so needs them. The build applies them to both Windows
# columns and says so in the entry's notes and the catalog's source.
CERTIFICATE_FUNCTIONS = ("crl",)
CERTIFICATE_RULE = ("applies to every Windows device (catalog build rule): every Windows device validates the "
                    "service certificates, so it needs the revocation and trust lists on port 80")

# Functions whose rows serve only down-level Windows when the row names no OS.
_LEGACY_FUNCTIONS = ("mma", "mma-downlevel", "win1607-1803")


# --- shared row model ----------------------------------------------------------------------------

def parse_ports(text: Any, field_name: str, row: Optional[int] = None, column: Optional[int] = None) -> Tuple[int, ...]:
    """'443', '80', '443;80' or '443, 80' -> (443, 80)."""
    parts = [p for p in re.split(r"[;,/\s]+", str(text).strip()) if p]
    ports = []
    for part in parts:
        if not part.isdigit() or not 1 <= int(part) <= 65535:
            raise CatalogError(field_name, "port", "port %r is not a number 1-65535" % part, row=row, column=column)
        if int(part) not in ports:
            ports.append(int(part))
    if not ports:
        raise CatalogError(field_name, "port", "no port given", row=row, column=column)
    return tuple(ports)


def entries_for_row(url: str, ports: Sequence[int], protocol: str, cloud: str, region: str, list_name: str,
                    function: str, required: bool, os_names: Sequence[str], notes: str, source: str,
                    field_name: str, row: Optional[int] = None, column: Any = None,
                    **probe: Any) -> List[CatalogEntry]:
    """One CatalogEntry per port of a source row. Port 80 is plain http; anything else uses the
    URL's scheme, else the row's protocol, else https."""
    scheme, host, path = parse_host(url, field_name, row, column)
    if list_name in DEVICE_LISTS:
        os_names, notes = certificate_rule(function, tuple(os_names), notes)
    result = []
    for port in ports:
        if port == 80:
            port_scheme = "http"
        else:
            port_scheme = scheme or (protocol if protocol in ("http", "https") else "https")
        result.append(CatalogEntry(
            url=url, host=host, port=port, scheme=port_scheme, path=path, cloud=cloud, region=region,
            list_name=list_name, function=function, required=required, os=tuple(os_names), notes=notes,
            source=source, **probe))
    return result


def certificate_rule(function: str, os_names: Tuple[str, ...], notes: str) -> Tuple[Tuple[str, ...], str]:
    """A certificate row that names some Windows applies to every Windows; other rows are unchanged."""
    if function not in CERTIFICATE_FUNCTIONS or not set(os_names) & set(WINDOWS_ALL) or set(WINDOWS_ALL) <= set(os_names):
        return os_names, notes
    widened = tuple(name for name in OS_NAMES if name in set(os_names) | set(WINDOWS_ALL))
    return widened, "%s; %s" % (notes, CERTIFICATE_RULE) if notes else CERTIFICATE_RULE


def exclusion_reason(host: str, function: str = "") -> str:
    if host in NOT_IN_MICROSOFT_LISTS:
        return "host is in no current Microsoft list"
    if "historical" in function:
        return "removed from the Microsoft list (historical row)"
    return ""


# --- the reference CSV ---------------------------------------------------------------------------

def os_from_notes(notes: str, list_name: str, function: str) -> Tuple[str, ...]:
    """OS applicability from the CSV notes ("OS: Win10/11/... unified=Yes, macOS=Yes", "OS: All",
    "Win/Mac/Linux", "; Windows;"), else a default for the list and function."""
    found = set()
    for name, value in _OS_FLAG.findall(notes):
        if value != "Yes":
            continue
        if name.endswith("unified"):
            found.add("windows")
        elif name in ("Win7/8.1", "Server MMA"):
            found.add("windows-legacy")
        else:
            found.add(name.lower())
    if found:
        return tuple(n for n in OS_NAMES if n in found)
    match = re.search(r"OS: ([A-Za-z ]+)", notes)
    label = match.group(1).strip() if match else ""
    if label.startswith("All") or "Win/Mac/Linux" in notes:
        return ALL_OS
    if label == "Windows client":
        return ("windows",)
    if label.startswith("Windows") or re.search(r"(^|; )Windows(;|$)", notes):
        return WINDOWS_ALL
    if label in ("Linux", "macOS"):
        return (label.lower(),)
    if function in _LEGACY_FUNCTIONS:
        return ("windows-legacy",)
    if function.startswith("linux"):
        return ("linux",)
    if list_name == "mdav-page":
        return WINDOWS_ALL
    return ALL_OS


def required_from_notes(notes: str, list_name: str) -> bool:
    """Required/Optional as the source marks it; unmarked device-list rows count as required."""
    mark = notes.split(";", 1)[0].strip()
    if mark == "Required":
        return True
    if mark == "Optional":
        return False
    return list_name in DEVICE_LISTS


def _reference_rows(path: str) -> Iterator[Tuple[int, Dict[str, str]]]:
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != CSV_COLUMNS:
            raise CatalogError(str(path), "columns", "expected columns %s, found %s"
                               % (",".join(CSV_COLUMNS), ",".join(reader.fieldnames or ())), row=1)
        for line, row in enumerate(reader, start=2):
            yield line, row


def build_from_reference_csv(path: str, compared: str = "") -> Catalog:
    """The catalog built from mde-service-urls.csv (deterministic: same CSV, same document).
    ``compared``: the ISO date the CSV was last compared with Microsoft's pages."""
    name = str(path)
    list_entries, probe_rows, excluded = [], [], []
    dates = set()
    for line, row in _reference_rows(path):
        column = CSV_COLUMNS.index
        cloud = row["cloud"]
        if cloud not in CLOUDS:
            raise CatalogError(name, "cloud", "unknown cloud %r" % cloud, valid=CLOUDS, row=line, column=column("cloud") + 1)
        list_name, sep, function = row["category"].partition(":")
        if not sep:
            raise CatalogError(name, "category", "category %r is not <list>:<function>" % row["category"],
                               row=line, column=column("category") + 1)
        if list_name == "probe":
            tool, function = function, ""
            list_name = "probe:" + tool
        dates.update(_SOURCE_DATE.findall(row["source"]))
        ports = parse_ports(row["port"], name, line, column("port") + 1)
        _scheme, host, _path = parse_host(row["url"], name, line, column("url") + 1)
        reason = exclusion_reason(host, function)
        if reason:
            excluded.append(_excluded_record(row["url"], cloud, row["region"], list_name, reason))
            continue
        if list_name.startswith("probe:"):
            probe_rows.append((line, row, ports))
            continue
        list_entries.extend(entries_for_row(
            row["url"], ports, row["protocol"], cloud, row["region"], list_name, function,
            required_from_notes(row["notes"], list_name), os_from_notes(row["notes"], list_name, function),
            row["notes"], row["source"], name, line, column("url") + 1))
    probes = []
    for line, row, ports in probe_rows:
        probes.extend(_probe_entries(name, line, row, ports, list_entries, excluded))
    return Catalog(
        list_entries + probes,
        source="mde-service-urls.csv: Microsoft Learn device connectivity URL lists (standard and "
               "streamlined, commercial and US Government), the Defender Antivirus network connections "
               "page and the connectivity analyzers' test URLs; certificate revocation and trust list rows "
               + CERTIFICATE_RULE,
        date=max(dates) if dates else "",
        excluded=excluded,
        origin="sha256:" + _sha256(path),
        compared=compared,
    )


def _probe_entries(name: str, line: int, row: Mapping[str, str], ports: Sequence[int],
                   list_entries: Sequence[CatalogEntry], excluded: List[Dict[str, str]]) -> List[CatalogEntry]:
    tool = row["category"].split(":", 1)[1]
    _scheme, host, path = parse_host(row["url"], name, line, CSV_COLUMNS.index("url") + 1)
    device_entries = [e for e in list_entries if e.cloud == row["cloud"] and e.list_name in DEVICE_LISTS]
    channel = probe_channel(host, path, row["notes"], device_entries)
    if not channel:
        excluded.append(_excluded_record(row["url"], row["cloud"], row["region"], "probe:" + tool,
                                         "host is in no Microsoft URL list"))
        return []
    required = any(e.required and e.host not in SHARED_STORAGE_WILDCARDS and host_matches(e.host, host)
                   for e in device_entries if e.list_name in MODELS)
    return entries_for_row(
        row["url"], ports, row["protocol"], row["cloud"], row["region"], "probe:" + tool, channel,
        required, probe_os(tool), row["notes"], row["source"], name, line,
        CSV_COLUMNS.index("url") + 1, **probe_details(tool, row["url"], row["notes"]))


def _excluded_record(url: str, cloud: str, region: str, list_name: str, reason: str) -> Dict[str, str]:
    return {"url": url, "cloud": cloud, "region": region, "list_name": list_name, "reason": reason}


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        digest.update(handle.read())
    return digest.hexdigest()


# --- Microsoft's downloadable tables -------------------------------------------------------------

# "US Gov" rows belong to every government cloud; a cloud's own geography names come from its row
# of CLOUD_TABLE.
_US_GOV = ("us gov", "usgov")
GEOGRAPHIES = {
    "ww": "worldwide", "all": "worldwide", "worldwide": "worldwide", "global": "worldwide",
    "us": "us", "eu": "eu", "uk": "uk", "au": "au", "uae": "uae",
    **{name: "us" for name in _US_GOV},
    **{name: region for name, (_cloud, region) in CLOUD_GEOGRAPHIES.items()},
}

# The consolidated domains carry every core service, so their description names several (the
# first of which, "command and control", would otherwise win): the host decides.
_HOST_FUNCTIONS = {"*.endpoint.security.microsoft.com": "core", "*.endpoint.security.microsoft.us": "core"}

# The lists describe the macOS product-update host only as the MAU "ChannelURL" and link the page
# that names it: https://learn.microsoft.com/en-us/microsoft-365-apps/mac/mau-configure-organization-specific-updates
# gives the Current channel as https://officecdnmac.microsoft.com/pr/<channel id>/MacAutoupdate/.
CHANNEL_URL_HOST = "officecdnmac.microsoft.com"

_FUNCTION_KEYWORDS = (
    ("deployment tool", "linux-packages"),
    ("command and control", "command-and-control"),
    ("cyber data", "edr-cyber-data"),
    ("autoir", "autoir-sample-storage"),
    ("sample submission", "sample-submission-storage"),
    ("certificate revocation", "crl"),
    ("crl", "crl"),
    ("push notification", "live-response-wns"),
    ("network scanner", "network-scanner"),
    ("security management", "security-management"),
    ("smartscreen", "smartscreen"),
    ("cloud-delivered protection", "cloud-protection"),
    ("mma", "mma"),
    ("update", "updates"),
)


class _Columns:
    """Which column of a header row holds what. Indexes are 0-based."""

    def __init__(self, header: Sequence[Any], field_name: str, row: int) -> None:
        self.url = self.port = self.geography = self.required = self.os_single = None
        self.description = self.category = self.service = self.comments = None
        self.os_flags = {}
        self.header = [str(h or "").strip() for h in header]
        for index, raw in enumerate(self.header):
            name = re.sub(r"\s+", " ", raw.lower().replace("*", ""))
            if not name:
                continue
            if "description" in name:
                self.description = index
            elif name in ("url", "urls", "endpoint", "endpoints", "agent destination") or (
                    name.startswith("endpoint") and ("url" in name or "endpoint" in name)):
                self.url = index
            elif name == "port" or name == "ports":
                self.port = index
            elif name == "geography":
                self.geography = index
            elif name.startswith("required") or name == "type":
                self.required = index
            elif name == "category":
                self.category = index
            elif name == "service":
                self.service = index
            elif name.startswith("comment"):
                self.comments = index
            elif name == "os":
                self.os_single = index
            elif name.startswith("windows 10") or name.startswith("windows 11"):
                self.os_flags[index] = "windows"
            elif name.startswith("windows 7") or "mma" in name:
                self.os_flags[index] = "windows-legacy"
            elif name in ("mac", "macos"):
                self.os_flags[index] = "macos"
            elif name == "linux":
                self.os_flags[index] = "linux"

    @property
    def is_url_table(self) -> bool:
        return self.url is not None and self.port is not None


def _cell(cells: Sequence[Any], index: Optional[int]) -> str:
    if index is None or index >= len(cells):
        return ""
    value = cells[index]
    return "" if value is None else str(value).strip()


def _split_urls(text: str) -> List[str]:
    if "ChannelURL" in text:
        return [CHANNEL_URL_HOST]
    # The rendered page drops the <br> between code spans ("`a``b`"): a backtick separates too.
    text = re.sub(r"<br\s*/?>", " ", text, flags=re.IGNORECASE).replace("\\*", "*").replace("`", " ")
    return [part for part in re.split(r"[\s,]+", text) if part]


def _function_for(description: str, category: str, service: str) -> str:
    text = " ".join((description, category, service)).lower()
    for keyword, function in _FUNCTION_KEYWORDS:
        if keyword in text:
            return function
    slug = re.sub(r"[^a-z0-9]+", "-", (category or service or "other").lower()).strip("-")
    return slug or "other"


def _os_for(columns: "_Columns", cells: Sequence[Any], field_name: str, line: int) -> Tuple[str, ...]:
    if columns.os_flags:
        found = [name for index, name in columns.os_flags.items() if _cell(cells, index).lower().startswith("yes")]
        return tuple(n for n in OS_NAMES if n in found) or ALL_OS
    if columns.os_single is not None:
        label = _cell(cells, columns.os_single).lower()
        if not label or label.startswith("all"):
            return ALL_OS
        if label == "windows client":
            return ("windows",)
        if label.startswith("windows"):
            return WINDOWS_ALL
        if label in ("linux", "macos", "mac"):
            return ("linux",) if label == "linux" else ("macos",)
        raise CatalogError(field_name, "os", "unknown OS %r" % label, valid=("All", "Windows", "Windows client", "macOS", "Linux"),
                           row=line, column=columns.os_single + 1)
    return ALL_OS


def _clouds_for(geography: str, cloud: Optional[str]) -> Tuple[str, ...]:
    key = geography.lower()
    if cloud:
        return (cloud,)
    if key in CLOUD_GEOGRAPHIES:
        return (CLOUD_GEOGRAPHIES[key][0],)
    if key in _US_GOV:
        return GOV_CLOUDS
    return ("commercial",)


def rows_to_entries(rows: Iterable[Any], field_name: str, model: str, cloud: Optional[str] = None,
                    source: str = "") -> Tuple[List[CatalogEntry], List[Dict[str, str]]]:
    """Turn table rows into entries. ``rows`` yields (row number, header row number, columns, cells,
    column label function). Empty port/geography cells repeat the row above (merged cells)."""
    entries, excluded = [], []
    previous = {}
    for line, columns, cells, label in rows:
        text = {"port": _cell(cells, columns.port), "geography": _cell(cells, columns.geography)}
        for key in ("port", "geography"):
            if not text[key]:
                text[key] = previous.get((id(columns), key), "")
            previous[(id(columns), key)] = text[key]
        url_text = _cell(cells, columns.url)
        if not url_text:
            raise CatalogError(field_name, "url", "empty URL cell", row=line, column=label(columns.url))
        ports = parse_ports(text["port"], field_name, line, label(columns.port))
        geography = text["geography"] or "WW"
        region = GEOGRAPHIES.get(geography.lower())
        if region is None:
            raise CatalogError(field_name, "geography", "unknown geography %r" % geography,
                               valid=sorted({k.upper() if len(k) <= 3 else k.title() for k in GEOGRAPHIES}),
                               row=line, column=label(columns.geography))
        required_text = _cell(cells, columns.required).lower()
        if columns.required is not None and required_text not in ("required", "optional", ""):
            raise CatalogError(field_name, "required", "expected Required or Optional, found %r" % required_text,
                               row=line, column=label(columns.required))
        required = required_text != "optional"
        description = _cell(cells, columns.description)
        function = _function_for(description, _cell(cells, columns.category), _cell(cells, columns.service))
        os_names = _os_for(columns, cells, field_name, line)
        notes = "; ".join(p for p in ("Required" if required else "Optional", description,
                                      _cell(cells, columns.comments)) if p)
        for url in _split_urls(url_text):
            _scheme, host, _path = parse_host(url, field_name, line, label(columns.url))
            host_function = _HOST_FUNCTIONS.get(host, function)
            for target_cloud in _clouds_for(geography, cloud):
                reason = exclusion_reason(host)
                if reason:
                    excluded.append(_excluded_record(url, target_cloud, region, model, reason))
                    continue
                entries.extend(entries_for_row(
                    url, ports, "", target_cloud, region, model, host_function, required, os_names, notes, source,
                    field_name, line, label(columns.url)))
    if not entries:
        raise CatalogError(field_name, "empty", "no URL rows found (a table needs a URL and a Port column)")
    return entries, excluded


def _split_markdown_row(line: str) -> List[str]:
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", body)]


# One separator cell (":---:", "-"); cells are split first, so no expression nests a quantifier
# and a long near-separator line is read in linear time.
_SEPARATOR_CELL = re.compile(r":?-+:?")


def _is_separator(line: str) -> bool:
    """A GitHub-flavoured Markdown table delimiter row: cells of dashes with optional colons."""
    body = line.strip()
    if "-" not in body:
        return False
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|"):
        body = body[:-1]
    return all(_SEPARATOR_CELL.fullmatch(cell.strip()) for cell in body.split("|"))


def markdown_rows(text: str, field_name: str) -> Iterator[Any]:
    """(line, columns, cells, label) for every data row of every URL table in a Markdown text."""
    lines = text.splitlines()
    found_table = False
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.lstrip().startswith("|") and index + 1 < len(lines) and _is_separator(lines[index + 1]):
            columns = _Columns(_split_markdown_row(line), field_name, index + 1)
            width = len(columns.header)
            index += 2
            while index < len(lines) and lines[index].lstrip().startswith("|"):
                cells = _split_markdown_row(lines[index])
                if columns.is_url_table:
                    found_table = True
                    # Short rows are padded as GitHub-flavoured Markdown does (Learn pages rely on it);
                    # extra cells mean an unescaped '|' that would shift every later column.
                    if len(cells) > width:
                        raise CatalogError(field_name, "cells", "row has %d cells, the header has %d (unescaped '|'?)"
                                           % (len(cells), width), row=index + 1, column=width + 1)
                    cells += [""] * (width - len(cells))
                    yield index + 1, columns, cells, _markdown_label(columns)
                index += 1
            continue
        index += 1
    if not found_table:
        raise CatalogError(field_name, "no-table", "no Markdown table with a URL column and a Port column")


def _markdown_label(columns: "_Columns") -> Callable[[Optional[int]], Optional[str]]:
    return lambda col: "%d (%s)" % (col + 1, columns.header[col]) if col is not None else None


# The page date as the Markdown source writes it (MM/DD/YYYY) and as the rendered Learn page does
# (an ISO date, often a timestamp: 2026-09-03T00:00:00.0000000Z).
_MS_DATE = re.compile(r"^ms\.date:[ \t]*['\"]?([0-9/T:.Z-]+)", flags=re.MULTILINE)


def page_date(text: str) -> str:
    """The ISO date of a page's ``ms.date``, or "" when it has none or an impossible one."""
    match = _MS_DATE.search(text)
    if not match:
        return ""
    value = match.group(1)
    try:
        if "/" in value:
            month, day, year = (int(part) for part in value.split("/"))
            return datetime.date(year, month, day).isoformat()
        return datetime.date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        return ""


def _file_date(path: str) -> str:
    return datetime.date.fromtimestamp(os.path.getmtime(path)).isoformat()


def import_table(path: str, base: Catalog, model: Optional[str] = None, cloud: Optional[str] = None) -> Catalog:
    """A catalog equal to ``base`` except that the list entries for the imported cloud(s) and
    model are those of the file. ``model`` defaults to "streamlined" when the file name or title
    says so, else "standard"; ``cloud`` defaults to what the Geography column says."""
    field_name = str(path)
    if model is not None and model not in MODELS:
        raise CatalogError("model", "unknown-name", "unknown model %r" % model, valid=MODELS)
    if cloud is not None and cloud not in CLOUDS:
        raise CatalogError("cloud", "unknown-name", "unknown cloud %r" % cloud, valid=CLOUDS)
    if not os.path.isfile(path):
        raise CatalogError(field_name, "missing", "no such file")
    lowered = field_name.lower()
    if lowered.endswith(".xlsx"):
        from ansible_collections.purview.device_proxy.plugins.plugin_utils.catalog_xlsx import xlsx_date, xlsx_rows

        date = xlsx_date(path) or _file_date(path)
        model = model or ("streamlined" if "streamlin" in os.path.basename(lowered) else "standard")
        rows = xlsx_rows(path, field_name)
    elif lowered.endswith((".md", ".markdown")):
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise CatalogError(field_name, "unreadable", "cannot read the file as UTF-8 text: %s" % exc) from exc
        date = page_date(text) or _file_date(path)
        title = re.search(r"^title:.*$|^# .*$", text, flags=re.MULTILINE)
        named = os.path.basename(lowered) + " " + (title.group(0).lower() if title else "")
        model = model or ("streamlined" if "streamlin" in named else "standard")
        rows = markdown_rows(text, field_name)
    else:
        raise CatalogError(field_name, "file-type", "unsupported file type", valid=(".md", ".markdown", ".xlsx", ".json"))
    source = "imported from %s (%s list, ms.date %s)" % (os.path.basename(field_name), model, date)
    entries, excluded = rows_to_entries(rows, field_name, model, cloud=cloud, source=source)
    clouds = {e.cloud for e in entries}
    kept = [e for e in base.entries if not (e.cloud in clouds and e.list_name == model)]
    return Catalog(kept + entries, source="%s; other lists: %s" % (source, base.source), date=date,
                   excluded=tuple(base.excluded) + tuple(excluded), origin=field_name, compared=base.compared)


def load_catalog_file(path: str, model: Optional[str] = None, cloud: Optional[str] = None) -> Catalog:
    """A catalog from a file: a catalog JSON as it is, or Microsoft's Markdown or xlsx table
    imported over the shipped catalog (``import_table``)."""
    if str(path).lower().endswith(".json"):
        return load_catalog(path)
    return import_table(path, base=load_catalog(), model=model, cloud=cloud)


__all__ = [
    "build_from_reference_csv", "import_table", "load_catalog_file", "markdown_rows", "rows_to_entries", "page_date",
    "os_from_notes", "required_from_notes", "probe_details", "probe_channel",
]
