# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run history of the fleet reports: what changed since the previous run, and a per-URL trend.

Each run leaves one entry in the history folder: a digest of the fleet model (``fleet_report``)
holding, per host, whether it was tested, its configured method and one letter per URL under
both verdicts (``P`` passed, ``F`` failed, ``U`` the configured method did not run, ``.`` not
tested on that host). An entry is two JSON lines: a small header (schema, version, time, URLs,
failing hosts per URL) that the trend reads alone, then the hosts.

* Entries are written atomically and durably under unique names (``run-<UTC time with
  microseconds>-<pid>-<8 hex digits>.jsonl``), so two runs started at once never write the same
  file, and a reader never sees half an entry. Only names of exactly that form are entries.
* Entries are ordered by the run time they carry (``generated_at``), never by their names; an
  entry dated more than :data:`MAX_CLOCK_SKEW` after this run is not used. Pruning keeps this
  run's new entry and the newest ``keep - 1`` others; a file another run removed first is simply
  gone.
* Every field an entry is used for is checked (type and range) before it is used; an entry that
  fails, one of another schema version (named with both versions, never guessed at), a link, a
  FIFO or device, or a file over the size or line-length limits is skipped with a warning naming
  the file and the field, and never removed. A fleet JSON (``connectivity-fleet.json``, versions 1
  and 2) under an entry's name is read as an entry, so an existing report can seed the history.
"""

from __future__ import annotations

import datetime
import errno
import json
import os
import re
import secrets
import stat
from operator import itemgetter
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.purview.device_proxy.plugins.module_utils._input_error import InputError
from ansible_collections.purview.device_proxy.plugins.plugin_utils import connectivity_verdict as cv
from ansible_collections.purview.device_proxy.plugins.plugin_utils import fleet_schema
from ansible_collections.purview.device_proxy.plugins.plugin_utils import report_files
from ansible_collections.purview.device_proxy.plugins.plugin_utils.report_text import clean_text

SCHEMA_ID = "purview.device_proxy/connectivity-history"
SCHEMA_VERSION = 1
FLEET_SCHEMA_ID = fleet_schema.SCHEMA_ID
FLEET_VERSIONS = (1, 2)
PREFIX = "run-"
SUFFIX = ".jsonl"
DEFAULT_KEEP = 10
MAX_KEEP = 1000
# Exactly the names save_entry makes; anything else in the folder is not an entry.
NAME_PATTERN = re.compile(r"run-[0-9]{8}T[0-9]{6}\.[0-9]{6}Z-[0-9]{1,10}-[0-9a-f]{8}\.jsonl\Z")
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# A fleet JSON of 10,000 hosts x 50 URLs (the largest seed) is about 52 MB; an entry of that
# fleet about 1.5 MB. The header (URLs and counts) of a 1,000-URL catalog is about 100 KB.
MAX_ENTRY_BYTES = 128 << 20
MAX_HEADER_BYTES = 4 << 20
MAX_COUNT = 10 ** 9
# Entries from a controller whose clock is ahead by up to this much are still used (and ordered
# by their time); an entry dated later than that is not used, and not removed either.
MAX_CLOCK_SKEW = datetime.timedelta(hours=1)

_LETTER = {cv.PASS: "P", cv.FAIL: "F", cv.UNTESTED: "U"}


class HistoryError(InputError):
    """A history entry or option that cannot be used. ``field`` names the option or file."""


# --- entries ---------------------------------------------------------------------------------------
def entry_from_fleet(fleet: Mapping[str, Any]) -> Dict[str, Any]:
    """The history entry (header and hosts) of one fleet model."""
    hosts: Dict[str, List[Any]] = {}
    letter = _LETTER.__getitem__
    strict_of, analyzer_of = itemgetter("strict"), itemgetter("analyzer")
    for host in fleet["hosts"]:
        if host["status"] != "tested":
            hosts[host["host"]] = ["no-result", None, "", ""]
            continue
        cells = host["results"]
        if None in cells:
            strict = "".join("." if cell is None else _LETTER[cell["strict"]] for cell in cells)
            analyzer = "".join("." if cell is None else _LETTER[cell["analyzer"]] for cell in cells)
        else:  # the common case, without a Python-level loop per cell
            strict = "".join(map(letter, map(strict_of, cells)))
            analyzer = "".join(map(letter, map(analyzer_of, cells)))
        hosts[host["host"]] = ["tested", (host.get("configured") or {}).get("method"), strict, analyzer]
    durations = [h.get("elapsed_ms") for h in fleet["hosts"] if isinstance(h.get("elapsed_ms"), int)]
    return {
        "schema": SCHEMA_ID,
        "version": SCHEMA_VERSION,
        "generated_at": fleet["generated_at"],
        "verdict": fleet["verdict"],
        "duration_ms": max(durations) if durations else None,
        "urls": [[u["url"], u["channel"], bool(u["required"])] for u in fleet["urls"]],
        "failed_hosts": [u["failed_hosts"] for u in fleet["urls"]],
        "totals": dict(fleet["totals"]),
        "hosts": hosts,
    }


def encode_entry(entry: Mapping[str, Any]) -> bytes:
    header = {key: value for key, value in entry.items() if key != "hosts"}
    return report_files.encode_text(
        json.dumps(header, separators=(",", ":"), ensure_ascii=False) + "\n"
        + json.dumps({"hosts": entry["hosts"]}, separators=(",", ":"), ensure_ascii=False) + "\n")


# --- validation: every field an entry is used for, before it is used --------------------------------
def _bad(path: str, field: str, rule: str) -> HistoryError:
    return HistoryError(path, "field", "field %s %s; the entry is not used" % (field, rule))


def _one_of(value: Any, choices: Any) -> bool:
    return isinstance(value, str) and value in choices


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_COUNT


def entry_time(path: str, value: Any) -> datetime.datetime:
    """The run time of an entry (``generated_at``, ``YYYY-MM-DDTHH:MM:SSZ``) as an aware datetime."""
    if not isinstance(value, str) or len(value) != 20:
        raise _bad(path, "generated_at", "must be a UTC time written YYYY-MM-DDTHH:MM:SSZ")
    try:
        return datetime.datetime.strptime(value, TIME_FORMAT).replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        raise _bad(path, "generated_at", "must be a UTC time written YYYY-MM-DDTHH:MM:SSZ") from None


def check_header(path: str, header: Any) -> None:
    """Schema and version first (a newer entry is named as such), then every header field."""
    if not isinstance(header, Mapping):
        raise _refuse(path, "not a history entry (no header object)")
    version = header.get("version")
    if header.get("schema") != SCHEMA_ID:
        raise _refuse(path, "not a history entry (schema %r)" % (header.get("schema"),))
    if version != SCHEMA_VERSION or isinstance(version, bool):
        newer = isinstance(version, int) and version > SCHEMA_VERSION
        raise _refuse(path, "history schema version %r, this collection reads version %d%s; the entry is not used"
                      % (version, SCHEMA_VERSION, " (written by a newer collection)" if newer else ""))
    entry_time(path, header.get("generated_at"))
    if not _one_of(header.get("verdict"), cv.FAIL_VERDICTS):
        raise _bad(path, "verdict", "must be one of " + ", ".join(cv.FAIL_VERDICTS))
    duration = header.get("duration_ms")
    if duration is not None and not _count(duration):
        raise _bad(path, "duration_ms", "must be a whole number of milliseconds or null")
    urls = header.get("urls")
    if not isinstance(urls, list):
        raise _bad(path, "urls", "must be a list")
    for index, url in enumerate(urls):
        if not (isinstance(url, list) and len(url) == 3 and isinstance(url[0], str) and url[0]
                and isinstance(url[1], str) and isinstance(url[2], bool)):
            raise _bad(path, "urls[%d]" % index, "must be [URL, channel, required]")
    failed = header.get("failed_hosts")
    if not isinstance(failed, list) or len(failed) != len(urls) or not all(_count(n) for n in failed):
        raise _bad(path, "failed_hosts", "must list a count of hosts (0 to %d) per URL" % MAX_COUNT)
    totals = header.get("totals")
    if not isinstance(totals, Mapping) or not all(isinstance(k, str) and _count(v) for k, v in totals.items()):
        raise _bad(path, "totals", "must map names to counts")


_STATUSES = frozenset(("tested", "no-result"))
_METHODS = frozenset(cv.METHODS)


def check_hosts(path: str, hosts: Any, width: int) -> None:
    """Per host: [status, configured method, strict letters, analyzer letters], one letter per URL."""
    if not isinstance(hosts, Mapping):
        raise _bad(path, "hosts", "must map host names to their results")
    for host, row in hosts.items():
        if not (isinstance(row, list) and len(row) == 4 and _one_of(row[0], _STATUSES)):
            raise _bad(path, "hosts[%s]" % json.dumps(host), "must be [status, method, strict, analyzer]")
        status, method, strict, analyzer = row
        if status == "tested":
            good = (method is None or _one_of(method, _METHODS)) and isinstance(strict, str) and isinstance(analyzer, str) \
                and len(strict) == width and len(analyzer) == width \
                and not strict.strip("PFU.") and not analyzer.strip("PF.")
        else:
            good = method is None and strict == "" and analyzer == ""
        if not good:
            raise _bad(path, "hosts[%s]" % json.dumps(host), "must have a known method and one letter per URL")


def _refuse(path: str, message: str) -> HistoryError:
    return HistoryError(path, "schema-version", message)


# --- reading one file: no links, no special files, bounded ---------------------------------------
def _open_regular(path: str) -> int:
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        handle = os.open(path, flags)
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise HistoryError(path, "file-type", "a symbolic link; history entries are never read through links") from None
        raise HistoryError(path, "readable", "cannot read: %s" % (err.strerror or err)) from None
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode):
            raise HistoryError(path, "file-type", "not a regular file (a FIFO, device or folder); not read")
        if info.st_size > MAX_ENTRY_BYTES:
            raise HistoryError(path, "size", "%d bytes, more than the size limit of %d" % (info.st_size, MAX_ENTRY_BYTES))
    except BaseException:
        os.close(handle)
        raise
    return handle


def read_entry(path: str, header_only: bool = False) -> Dict[str, Any]:
    """One history entry (or a fleet JSON read as one), validated. Raises HistoryError, never guesses."""
    with os.fdopen(_open_regular(path), "rb") as stream:
        first = stream.readline(MAX_HEADER_BYTES + 1)
        header = None
        if len(first) <= MAX_HEADER_BYTES:
            try:
                header = json.loads(first)
            except ValueError:
                header = None
        if isinstance(header, Mapping) and header.get("schema") == SCHEMA_ID:
            check_header(path, header)
            if header_only:
                return dict(header)
            line = stream.readline(MAX_ENTRY_BYTES + 1)
            if len(first) + len(line) > MAX_ENTRY_BYTES:
                raise HistoryError(path, "size", "more than the size limit of %d bytes" % MAX_ENTRY_BYTES)
            try:
                hosts = json.loads(line)
            except ValueError as err:
                raise _bad(path, "hosts", "is not valid JSON (%s)" % err) from None
            hosts = hosts.get("hosts") if isinstance(hosts, Mapping) else None
            check_hosts(path, hosts, len(header["urls"]))
            return dict(header, hosts=hosts)
        if not first.lstrip().startswith(b"{"):
            raise _refuse(path, "not valid JSON lines")
        # A fleet JSON: one document, indented or on one long line.
        data = first + stream.read(MAX_ENTRY_BYTES + 1 - len(first))
    if len(data) > MAX_ENTRY_BYTES:
        raise HistoryError(path, "size", "more than the size limit of %d bytes" % MAX_ENTRY_BYTES)
    try:
        document = json.loads(data)
    except ValueError:
        if len(first) > MAX_HEADER_BYTES:
            raise HistoryError(path, "line-length", "first line longer than %d bytes and not a fleet report"
                               % MAX_HEADER_BYTES) from None
        raise _refuse(path, "not valid JSON lines") from None
    if isinstance(document, Mapping) and document.get("schema") == FLEET_SCHEMA_ID:
        return _entry_from_fleet_json(path, document)
    check_header(path, document)
    raise _refuse(path, "a history header without its hosts line")


def _entry_from_fleet_json(path: str, document: Mapping[str, Any]) -> Dict[str, Any]:
    version = document.get("version")
    if version not in FLEET_VERSIONS or isinstance(version, bool):
        raise _refuse(path, "fleet report schema version %r, this collection reads versions %s"
                      % (version, ", ".join(map(str, FLEET_VERSIONS))))
    for key, kind in (("urls", list), ("hosts", list), ("totals", Mapping)):
        if not isinstance(document.get(key), kind):
            raise _bad(path, key, "is missing or of the wrong type")
    for index, url in enumerate(document["urls"]):
        if not isinstance(url, Mapping) or not isinstance(url.get("url"), str) or not _count(url.get("failed_hosts")):
            raise _bad(path, "urls[%d]" % index, "must have a url and a failed_hosts count")
    width = len(document["urls"])
    for index, host in enumerate(document["hosts"]):
        where = "hosts[%d]" % index
        if not isinstance(host, Mapping) or not isinstance(host.get("host"), str) or not _one_of(host.get("status"), _STATUSES):
            raise _bad(path, where, "must have a host name and a status")
        if host["status"] == "tested":
            cells, configured = host.get("results"), host.get("configured")
            if not isinstance(cells, list) or len(cells) != width or not isinstance(configured, (Mapping, type(None))):
                raise _bad(path, where + ".results", "must have one cell per URL")
            for cell in cells:
                if cell is not None and (not isinstance(cell, Mapping) or not _one_of(cell.get("strict"), _LETTER)
                                         or not _one_of(cell.get("analyzer"), (cv.PASS, cv.FAIL))):
                    raise _bad(path, where + ".results", "must hold pass, fail or untested per URL")
    try:
        entry = entry_from_fleet(document)
    except (KeyError, TypeError, AttributeError, ValueError) as err:
        raise _bad(path, "a fleet report field", "is malformed (%s: %s)" % (type(err).__name__, err)) from None
    check_header(path, entry)
    check_hosts(path, entry["hosts"], width)
    return entry


# --- the folder ------------------------------------------------------------------------------------
def check_keep(keep: Any) -> int:
    if isinstance(keep, bool) or not isinstance(keep, int) or not 1 <= keep <= MAX_KEEP:
        raise HistoryError("history_keep", "range", "must be a whole number from 1 to %d, got %r" % (MAX_KEEP, keep))
    return keep


def _listing(folder: str) -> Tuple[List[str], List[str]]:
    """(entry names, warnings about names that look like entries but are not of the generated form)."""
    try:
        names = sorted(os.listdir(folder))
    except FileNotFoundError:
        return [], []
    except OSError as err:
        raise HistoryError(folder, "readable", "the history folder cannot be read: %s" % (err.strerror or err)) from None
    entries, odd = [], []
    for name in names:
        if NAME_PATTERN.match(name):
            entries.append(name)
        elif name.startswith(PREFIX) and name.endswith(SUFFIX):
            odd.append("%s: its name is not of the form run-<YYYYMMDDTHHMMSS.ffffffZ>-<pid>-<8 hex digits>.jsonl; "
                       "not read as an entry (and never removed)" % clean_text(os.path.join(folder, name)))
    return entries, odd


def entry_names(folder: str) -> List[str]:
    """Names of the generated form in the folder (sorted by name; the run order is the entries' own time)."""
    try:
        return _listing(folder)[0]
    except HistoryError:
        return []


def _scan(folder: str, now: datetime.datetime) -> Tuple[List[Tuple[datetime.datetime, str, Dict[str, Any]]], List[str]]:
    """Usable entries as (time, name, header), newest first, and a warning per file not used."""
    try:
        names, warnings = _listing(folder)
    except HistoryError as err:
        return [], [clean_text(str(err))]
    usable = []
    latest = now + MAX_CLOCK_SKEW
    for name in reversed(names):  # warnings newest name first
        path = os.path.join(folder, name)
        try:
            header = read_entry(path, header_only=True)
            when = entry_time(path, header["generated_at"])
            if when > latest:
                raise _bad(path, "generated_at", "is %s, later than this run (%s) by more than the allowed clock skew of %s"
                           % (header["generated_at"], now.strftime(TIME_FORMAT), MAX_CLOCK_SKEW))
        except HistoryError as err:
            if err.rule != "readable" or os.path.lexists(path):  # a file another run just removed is no news
                warnings.append(clean_text(str(err)))
            continue
        usable.append((when, name, header))
    usable.sort(key=itemgetter(0, 1), reverse=True)
    return usable, warnings


def load_entries(folder: str, limit: int, header_only_after: int = 1, now: Optional[datetime.datetime] = None
                 ) -> Tuple[List[Dict[str, Any]], List[str]]:
    """Up to ``limit`` usable entries, newest (by their own time) first, and a warning per file not used.

    Only the newest ``header_only_after`` entries are read and checked in full (the comparison reads
    their hosts); older ones only for the trend. Nothing here raises for what the folder holds.
    """
    usable, warnings = _scan(folder, now or _utc_now())
    entries: List[Dict[str, Any]] = []
    for _when, name, header in usable:
        if len(entries) >= limit:
            break
        if len(entries) < header_only_after:
            path = os.path.join(folder, name)
            try:
                header = read_entry(path)
            except HistoryError as err:
                if err.rule != "readable" or os.path.lexists(path):
                    warnings.append(clean_text(str(err)))
                continue
        entries.append(header)
    return entries, warnings


def _utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def save_entry(folder: str, entry: Mapping[str, Any], keep: int, now: Optional[datetime.datetime] = None) -> Dict[str, Any]:
    """Write ``entry`` under a fresh unique name, then keep it and the newest ``keep - 1`` other usable entries."""
    check_keep(keep)
    os.makedirs(folder, exist_ok=True)
    now = now or _utc_now()
    name = "%s%s-%d-%s%s" % (PREFIX, now.strftime("%Y%m%dT%H%M%S.%fZ"), os.getpid(), secrets.token_hex(4), SUFFIX)
    path = os.path.join(folder, name)
    report_files.write_atomically(path, encode_entry(entry))
    return {"path": path, "removed": prune(folder, keep, name, now)}


def prune(folder: str, keep: int, new_name: Optional[str] = None, now: Optional[datetime.datetime] = None) -> List[str]:
    """Remove usable entries beyond the newest ``keep`` (by their own time), never ``new_name``.

    Files that are not usable entries (another schema, malformed, dated in the future, special
    files, other names) are never removed: they are reported instead. An entry already removed by
    another run is fine.
    """
    usable, _warnings = _scan(folder, now or _utc_now())
    others = [name for _when, name, _header in usable if name != new_name]
    removed = []
    for name in others[max(0, keep - (1 if new_name else 0)):]:
        path = os.path.join(folder, name)
        try:
            read_entry(path)  # its header was fine; an entry whose hosts cannot be read stays too
            os.unlink(path)
            removed.append(name)
        except (HistoryError, FileNotFoundError):
            pass
    return removed


# --- comparison ------------------------------------------------------------------------------------
def compare(previous: Mapping[str, Any], current: Mapping[str, Any]) -> Dict[str, Any]:
    """What changed from ``previous`` to ``current`` (two entries), by the current run's verdict.

    new_failures / recoveries: [host, url] of cells that went to failed / from failed to passed
    (a URL the host did not test before counts as new when it fails now); hosts_appeared /
    hosts_disappeared; hosts_lost (tested before, no result now) / hosts_back; urls_added /
    urls_removed (a catalog change); method_changes: [host, before, after]; changed_cells:
    {host: {current URL index: previous letter}} for the HTML.
    """
    column = 2 if current["verdict"] == "strict" else 3
    cur_urls = [u[0] for u in current["urls"]]
    prev_urls = [u[0] for u in previous["urls"]]
    same_urls = cur_urls == prev_urls
    prev_index = {url: i for i, url in enumerate(prev_urls)}
    mapping = list(range(len(cur_urls))) if same_urls else [prev_index.get(url) for url in cur_urls]
    cur_set, prev_set = set(cur_urls), set(prev_urls)
    prev_hosts = previous["hosts"]
    new_failures: List[List[str]] = []
    recoveries: List[List[str]] = []
    appeared: List[str] = []
    lost: List[str] = []
    back: List[str] = []
    method_changes: List[List[Any]] = []
    changed: Dict[str, Dict[int, str]] = {}
    for host, now in current["hosts"].items():
        before = prev_hosts.get(host)
        if before is None:
            appeared.append(host)
            continue
        if now[0] != before[0]:
            (lost if now[0] != "tested" else back).append(host)
            continue
        if now[0] != "tested":
            continue
        if now[1] != before[1]:
            method_changes.append([host, before[1], now[1]])
        letters, old = now[column], before[column]
        if same_urls and letters == old:
            continue
        cells: Dict[int, str] = {}
        for index, letter in enumerate(letters):
            source = mapping[index]
            if source is None or source >= len(old):
                continue
            was = old[source]
            if was == letter:
                continue
            cells[index] = was
            if letter == "F":
                new_failures.append([host, cur_urls[index]])
            elif was == "F" and letter == "P":
                recoveries.append([host, cur_urls[index]])
        if cells:
            changed[host] = cells
    current_hosts = current["hosts"]
    return {
        "previous_at": previous["generated_at"],
        "current_at": current["generated_at"],
        "previous_verdict": previous.get("verdict"),
        "new_failures": new_failures,
        "recoveries": recoveries,
        "hosts_appeared": appeared,
        "hosts_disappeared": [h for h in prev_hosts if h not in current_hosts],
        "hosts_lost": lost,
        "hosts_back": back,
        "urls_added": [u for u in cur_urls if u not in prev_set],
        "urls_removed": [u for u in prev_urls if u not in cur_set],
        "method_changes": method_changes,
        "changed_cells": changed,
    }


COUNT_KEYS = ("new_failures", "recoveries", "hosts_appeared", "hosts_disappeared", "hosts_lost", "hosts_back",
              "urls_added", "urls_removed", "method_changes")


def counts(changes: Mapping[str, Any]) -> Dict[str, int]:
    return {key: len(changes[key]) for key in COUNT_KEYS}


def _plural(count: int, one: str, many: str) -> str:
    return "%d %s" % (count, one if count == 1 else many)


def since_line(changes: Optional[Mapping[str, Any]], note: Optional[str] = None) -> str:
    """The one line that the text summary, the play output and the HTML heading share."""
    if not changes:
        return note or "No earlier run to compare with."
    n = counts(changes)
    parts = [_plural(n["new_failures"], "new failure", "new failures"),
             _plural(n["recoveries"], "recovery", "recoveries")]
    for key, one, many in (("hosts_lost", "host without result now", "hosts without result now"),
                           ("hosts_back", "host with a result again", "hosts with a result again"),
                           ("hosts_appeared", "host appeared", "hosts appeared"),
                           ("hosts_disappeared", "host disappeared", "hosts disappeared"),
                           ("urls_added", "URL added", "URLs added"),
                           ("urls_removed", "URL removed", "URLs removed"),
                           ("method_changes", "configured method changed", "configured methods changed")):
        if n[key]:
            parts.append(_plural(n[key], one, many))
    return "Since %s: %s." % (changes["previous_at"], ", ".join(parts))


def trend(entries_oldest_first: Sequence[Mapping[str, Any]]) -> Dict[str, Any]:
    """Failing hosts per URL over the runs: {"runs": [times], "urls": {url: [count or None]}}."""
    runs = [e["generated_at"] for e in entries_oldest_first]
    series: Dict[str, List[Optional[int]]] = {}
    for position, entry in enumerate(entries_oldest_first):
        for url, failed in zip(entry["urls"], entry["failed_hosts"]):
            series.setdefault(url[0], [None] * len(runs))[position] = failed
    return {"runs": runs, "urls": series}
