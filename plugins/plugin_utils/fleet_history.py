# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run history of the fleet reports: what changed since the previous run, and a per-URL trend.

Each run leaves one entry in the history folder: a digest of the fleet model (``fleet_report``)
holding, per host, whether it was tested, its configured method and one letter per URL under
both verdicts (``P`` passed, ``F`` failed, ``U`` the configured method did not run, ``.`` not
tested on that host). An entry is two JSON lines: a small header (schema, version, time, URLs,
failing hosts per URL) that the trend reads alone, then the hosts.

* Entries are written atomically under unique names (``run-<UTC time with microseconds>-<pid>-
  <random>.jsonl``), so two runs started at once never write the same file, and a reader never
  sees half an entry. Pruning keeps the newest ``keep`` entries; a file another run removed
  first is simply gone.
* Entries of another schema version are refused with a message naming the file and both
  versions (never guessed at); a fleet JSON (``connectivity-fleet.json``, versions 1 and 2) is
  read as an entry, so an existing report can seed the history.
"""

from __future__ import annotations

import datetime
import json
import os
import secrets
from operator import itemgetter
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.purview.device_proxy.plugins.module_utils._input_error import InputError
from ansible_collections.purview.device_proxy.plugins.plugin_utils import connectivity_verdict as cv
from ansible_collections.purview.device_proxy.plugins.plugin_utils import report_files

SCHEMA_ID = "purview.device_proxy/connectivity-history"
SCHEMA_VERSION = 1
FLEET_SCHEMA_ID = "purview.device_proxy/connectivity-fleet"
FLEET_VERSIONS = (1, 2)
PREFIX = "run-"
SUFFIX = ".jsonl"
DEFAULT_KEEP = 10
MAX_KEEP = 1000

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
    return (json.dumps(header, separators=(",", ":"), ensure_ascii=False) + "\n"
            + json.dumps({"hosts": entry["hosts"]}, separators=(",", ":"), ensure_ascii=False) + "\n").encode("utf-8")


def _refuse(path: str, message: str) -> HistoryError:
    return HistoryError(path, "schema-version", message)


def _check_header(path: str, header: Any) -> None:
    if not isinstance(header, Mapping):
        raise _refuse(path, "not a history entry (no header object)")
    version = header.get("version")
    if header.get("schema") != SCHEMA_ID:
        raise _refuse(path, "not a history entry (schema %r)" % (header.get("schema"),))
    if version != SCHEMA_VERSION:
        newer = isinstance(version, int) and version > SCHEMA_VERSION
        raise _refuse(path, "history schema version %r, this collection reads version %d%s; the entry is not used"
                      % (version, SCHEMA_VERSION, " (written by a newer collection)" if newer else ""))
    for key in ("generated_at", "verdict", "urls", "failed_hosts"):
        if key not in header:
            raise _refuse(path, "history entry without %r" % key)


def read_entry(path: str, header_only: bool = False) -> Dict[str, Any]:
    """One history entry (or a fleet JSON read as one). Raises HistoryError, never guesses."""
    try:
        with open(path, "rb") as handle:
            first = handle.readline()
            try:
                header = json.loads(first)
            except ValueError:
                header = None
            if isinstance(header, Mapping) and header.get("schema") == SCHEMA_ID:
                _check_header(path, header)
                if header_only:
                    return dict(header)
                hosts = json.loads(handle.readline()).get("hosts")
                if not isinstance(hosts, Mapping):
                    raise _refuse(path, "history entry without hosts")
                return dict(header, hosts=hosts)
            if header is None:  # an indented fleet JSON
                handle.seek(0)
                header = json.loads(handle.read())
    except OSError as err:
        raise HistoryError(path, "readable", "cannot read: %s" % err) from err
    except (ValueError, AttributeError) as err:
        raise _refuse(path, "not valid JSON lines: %s" % err) from err
    if isinstance(header, Mapping) and header.get("schema") == FLEET_SCHEMA_ID:
        if header.get("version") not in FLEET_VERSIONS:
            raise _refuse(path, "fleet report schema version %r, this collection reads versions %s"
                          % (header.get("version"), ", ".join(map(str, FLEET_VERSIONS))))
        try:
            return entry_from_fleet(header)
        except (KeyError, TypeError) as err:
            raise _refuse(path, "fleet report without %s" % err) from err
    _check_header(path, header)
    raise AssertionError("unreachable")  # _check_header raised


# --- the folder ------------------------------------------------------------------------------------
def check_keep(keep: Any) -> int:
    if isinstance(keep, bool) or not isinstance(keep, int) or not 1 <= keep <= MAX_KEEP:
        raise HistoryError("history_keep", "range", "must be a whole number from 1 to %d, got %r" % (MAX_KEEP, keep))
    return keep


def entry_names(folder: str) -> List[str]:
    """Entry file names in the folder, oldest first (temporary files start with "." and are not listed)."""
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    return sorted(n for n in names if n.startswith(PREFIX) and n.endswith(SUFFIX))


def load_entries(folder: str, limit: int, header_only_after: int = 1) -> Tuple[List[Dict[str, Any]], List[str]]:
    """Up to ``limit`` readable entries, newest first, and a warning per entry refused.

    Only the newest ``header_only_after`` entries are read in full; older ones only for the trend.
    A file removed by a concurrent run between listing and reading is skipped silently.
    """
    entries: List[Dict[str, Any]] = []
    warnings: List[str] = []
    for name in reversed(entry_names(folder)):
        if len(entries) >= limit:
            break
        path = os.path.join(folder, name)
        if not os.path.exists(path):
            continue
        try:
            entries.append(read_entry(path, header_only=len(entries) >= header_only_after))
        except HistoryError as err:
            if err.rule == "readable" and not os.path.exists(path):
                continue
            warnings.append(str(err))
    return entries, warnings


def save_entry(folder: str, entry: Mapping[str, Any], keep: int, now: Optional[datetime.datetime] = None) -> Dict[str, Any]:
    """Write ``entry`` under a fresh unique name, then keep only the newest ``keep`` entries."""
    check_keep(keep)
    os.makedirs(folder, exist_ok=True)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    name = "%s%s-%d-%s%s" % (PREFIX, now.strftime("%Y%m%dT%H%M%S.%fZ"), os.getpid(), secrets.token_hex(4), SUFFIX)
    path = os.path.join(folder, name)
    report_files.write_atomically(path, encode_entry(entry))
    return {"path": path, "removed": prune(folder, keep)}


def prune(folder: str, keep: int) -> List[str]:
    """Remove all but the newest ``keep`` entries; an entry already removed by another run is fine."""
    removed = []
    names = entry_names(folder)
    for name in names[: max(0, len(names) - keep)]:
        try:
            os.unlink(os.path.join(folder, name))
            removed.append(name)
        except FileNotFoundError:
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
