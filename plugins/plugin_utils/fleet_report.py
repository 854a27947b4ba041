# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fleet reports of device_connectivity_probe results: one model, four renderings.

:func:`build_fleet` turns the task results of ``purview.device_proxy.device_connectivity_probe`` (one per
host, or nothing for a host that was unreachable) into one JSON-compatible fleet model that
follows :data:`FLEET_SCHEMA`. The renderers read only that model:

* :func:`render_host_text` - the analyzer-style text of one host (module_utils.analyzer_text);
* :func:`render_json` - the fleet model itself;
* ``fleet_report_junit.render_junit`` - JUnit XML, one test case per host and URL, for CI dashboards;
* :func:`render_summary` - a short fleet summary in plain text;
* ``fleet_report_html.render_html`` - a self-contained, paginated HTML matrix.

:data:`RENDERERS` maps each format to its renderer. :func:`write_reports` writes the files (only
those whose content changed, each atomically through ``report_files``) and returns what it did.
Run history and the comparison with the previous run live in ``fleet_history``, metrics in
``fleet_metrics``; both read this model too.
Hosts are ordered failures first, then by name; URLs in the order they were first tested.
Proxy settings that carry user information are masked when the model is built (and in the
per-host text), and every human-readable text passes through ``report_text.clean_text``.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.purview.device_proxy.plugins.module_utils._input_error import InputError
from ansible_collections.purview.device_proxy.plugins.module_utils import analyzer_text
from ansible_collections.purview.device_proxy.plugins.plugin_utils import analyzer_import
from ansible_collections.purview.device_proxy.plugins.plugin_utils import connectivity_verdict as cv
from ansible_collections.purview.device_proxy.plugins.plugin_utils import report_files
from ansible_collections.purview.device_proxy.plugins.plugin_utils.fleet_report_junit import render_junit
from ansible_collections.purview.device_proxy.plugins.plugin_utils.fleet_schema import (
    _TOKEN,
    DEVICE,
    SOURCES,
    NO_RESULT,
    SCHEMA_ID,
    SCHEMA_VERSION,
    TESTED,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.report_text import (
    clean_text, proxy_secrets, redact, redact_proxy,
)

FORMATS = ("text", "summary", "json", "junit", "html")
FILE_NAMES = {"summary": "connectivity-summary.txt", "json": "connectivity-fleet.json",
              "junit": "connectivity-junit.xml", "html": "connectivity-fleet.html"}
TEXT_DIR = "hosts"


class FleetReportError(InputError):
    """Bad report input. ``field`` names the option or host, ``rule`` the rule it breaks."""


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while reports are built.

    The fleet model is half a million small dicts and lists without cycles; while they exist the
    collector scans them again and again as more objects are made (more than half the time of
    the model and of the history digest at 10,000 hosts x 50 URLs). Reference counting still
    frees everything; the collector is re-enabled (when it was on) on the way out.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# --- model -----------------------------------------------------------------------------------------
method_token = cv.method_token

_STRICT = frozenset((cv.PASS, cv.FAIL, cv.UNTESTED))
_ANALYZER = frozenset((cv.PASS, cv.FAIL))
_CHANNELS = frozenset(cv.CHANNEL_ORDER)


def _is_test_result(result: Any) -> bool:
    return isinstance(result, Mapping) and "urls" in result and "summary" in result


def _shape_error(host: str, where: str, rule: str) -> FleetReportError:
    return FleetReportError(
        "results[%s]" % host, "result-shape",
        "not a device_connectivity_probe result: %s %s (register the task result of "
        "purview.device_proxy.device_connectivity_probe, unchanged)" % (where, rule))


def _word_in(value: Any, words: frozenset) -> bool:
    return isinstance(value, str) and value in words


def _check_url(host: str, index: int, url: Any) -> None:
    """The fields the reports read from one URL verdict, checked before anything is built."""
    where = "urls[%d]" % index
    if not isinstance(url, Mapping):
        raise _shape_error(host, where, "is not a mapping")
    if not isinstance(url.get("url"), str) or not url["url"]:
        raise _shape_error(host, where + ".url", "must be a non-empty string")
    if not _word_in(url.get("channel"), _CHANNELS):
        raise _shape_error(host, where + ".channel", "must be one of " + ", ".join(cv.CHANNEL_ORDER))
    if not _word_in(url.get("strict"), _STRICT):
        raise _shape_error(host, where + ".strict", "must be one of pass, fail, untested")
    if not _word_in(url.get("analyzer"), _ANALYZER):
        raise _shape_error(host, where + ".analyzer", "must be pass or fail")
    if not isinstance(url.get("diagnosis"), str):
        raise _shape_error(host, where + ".diagnosis", "must be a string")
    probes = url.get("probes")
    if not isinstance(probes, list) or len(probes) != len(cv.METHODS) or \
            not all(isinstance(p, Mapping) and "outcome" in p and "method" in p for p in probes):
        raise _shape_error(host, where + ".probes", "must list the %d classified method probes" % len(cv.METHODS))
    tokens = url.get("tokens")
    if tokens is not None and (not isinstance(tokens, list) or len(tokens) != len(cv.METHODS)
                               or not all(isinstance(t, str) and _TOKEN.match(t) for t in tokens)):
        raise _shape_error(host, where + ".tokens",
                           "must list %d method tokens (S<code>, F<code>, - or N)" % len(cv.METHODS))
    ms = url.get("configured_elapsed_ms")
    if ms is not None and (isinstance(ms, bool) or not isinstance(ms, int)):
        raise _shape_error(host, where + ".configured_elapsed_ms", "must be a whole number of milliseconds")


def structured_methods(probes: Sequence[Mapping[str, Any]]) -> List[Optional[Dict[str, Any]]]:
    """The classified probes, one per method, as {ok, code, proxy} (None: the method doesn't exist)."""
    methods: List[Optional[Dict[str, Any]]] = []
    for probe in probes:
        outcome = cv.analyzer_outcome(probe)
        code = None if outcome is None else outcome.code
        if code is not None and not isinstance(code, int):
            code = analyzer_text.line_safe(code)  # device text: one line, no parentheses, as a method line needs
        methods.append(None if outcome is None else {"ok": outcome.succeeded, "code": code, "proxy": redact_proxy(outcome.proxy)})
    return methods


def build_fleet(results: Mapping[str, Any], generated_at: str, verdict: str = "strict",
                title: str = "Defender for Endpoint connectivity", source: str = DEVICE) -> Dict[str, Any]:
    """The fleet model from ``{host: device_connectivity_probe task result or None}``.

    A result that claims to be a device_connectivity_probe result (it has ``urls`` and ``summary``) but
    lacks what the reports read is refused naming the host and the field, before anything is built.
    """
    if verdict not in cv.FAIL_VERDICTS:
        raise FleetReportError("fail_verdict", "choices", f"{verdict!r} is not one of {', '.join(cv.FAIL_VERDICTS)}")
    if source not in SOURCES:
        raise FleetReportError("source", "choices", f"{source!r} is not one of {', '.join(SOURCES)}")
    with gc_paused():
        fleet = _build_fleet(results, generated_at, verdict, title)
    if source != DEVICE:  # a device report stays as it was: no "source"
        fleet["source"] = source
    return fleet


def _build_fleet(results: Mapping[str, Any], generated_at: str, verdict: str, title: str) -> Dict[str, Any]:
    url_index: Dict[str, int] = {}
    url_rows: List[Dict[str, Any]] = []
    known_tokens: set = set()
    hosts = []
    for host, result in results.items():
        try:
            hosts.append(_host_entry(str(host), result, url_index, url_rows, verdict, known_tokens))
        except (KeyError, TypeError, AttributeError, IndexError, cv.VerdictInputError) as err:
            raise _shape_error(str(host), "a field", "is missing or malformed (%s: %s)"
                               % (type(err).__name__, err)) from err
    width = len(url_rows)
    for entry in hosts:  # URLs first seen on a later host: "not tested" on the earlier ones
        missing = width - len(entry["results"])
        if missing:
            entry["results"].extend([None] * missing)
    hosts.sort(key=_host_order)
    tested = [h for h in hosts if h["status"] == TESTED]
    cells = sum(1 for h in tested for cell in h["results"] if cell is not None)
    return {
        "schema": SCHEMA_ID,
        "version": SCHEMA_VERSION,
        "generated_at": generated_at,
        "title": title,
        "verdict": verdict,
        "methods": [cv.METHOD_LABELS[m] for m in cv.METHODS],
        "urls": url_rows,
        "hosts": hosts,
        "totals": {
            "hosts": len(hosts),
            "tested": len(tested),
            "no_result": len(hosts) - len(tested),
            "passed": sum(1 for h in tested if h["verdict"] == cv.PASS),
            "failed": sum(1 for h in tested if h["verdict"] == cv.FAIL),
            "urls": len(url_rows),
            "cells": cells,
            "failed_cells": sum(h["failed"] for h in tested),
        },
    }


_RANK = {NO_RESULT: 0, cv.FAIL: 1, cv.PASS: 2}


def _host_order(host: Mapping[str, Any]) -> Tuple[int, int, str]:
    return (_RANK[host["verdict"]], -host["failed"], host["host"])


def _host_entry(host: str, result: Any, url_index: Mapping[str, int], url_rows: List[Dict[str, Any]],
                verdict: str, known_tokens: set) -> Dict[str, Any]:
    no_strict = analyzer_import.strict_unavailable_reason(result, verdict)  # a file, or probed as a user
    if no_strict:
        result = {"msg": no_strict}
    if not _is_test_result(result):
        message = None
        if isinstance(result, Mapping):
            message = result.get("msg")
        return {"host": host, "status": NO_RESULT, "verdict": NO_RESULT, "failed": 0,
                "error": redact(str(message or "no result: the host was unreachable or failed before the test")),
                "configured": None, "run_as_system": None, "deadline_reached": None, "elapsed_ms": None,
                "results": [None] * len(url_rows), "failures": []}
    urls = result["urls"]
    if not isinstance(urls, list):
        raise _shape_error(host, "urls", "must be a list")
    cells: List[Optional[Dict[str, Any]]] = [None] * len(url_rows)
    failures = []
    secrets: Optional[List[Tuple[str, str]]] = None  # the host's credential-carrying proxies, when needed
    fail = cv.FAIL
    use_strict = verdict == "strict"
    # One pass over the cells: the checks are set lookups on values read anyway (a full
    # _check_url, with typing.Mapping checks, costs seconds on 500,000 cells); the first
    # sighting of a URL and anything unusual get the full check, which names the field.
    for position, url in enumerate(urls):
        if not isinstance(url, dict):
            _check_url(host, position, url)
        name = url.get("url")
        index = url_index.get(name) if isinstance(name, str) else None
        if index is None:
            _check_url(host, position, url)
            index = url_index[name] = len(url_rows)
            url_rows.append({"url": name, "channel": url["channel"], "required": bool(url.get("required", True)),
                             "failed_hosts": 0})
        strict = url.get("strict")
        analyzer = url.get("analyzer")
        tokens = url.get("tokens")
        ms = url.get("configured_elapsed_ms")
        try:
            unusual = strict not in _STRICT or analyzer not in _ANALYZER or url.get("channel") not in _CHANNELS \
                or (ms is not None and not isinstance(ms, int)) \
                or (tokens is not None and (not isinstance(tokens, list) or len(tokens) != len(cv.METHODS)
                                            or tuple(tokens) not in known_tokens))
        except TypeError:  # an unhashable value where a word belongs
            unusual = True
        if unusual:
            _check_url(host, position, url)
            if tokens is not None:
                known_tokens.add(tuple(tokens))  # checked once: few distinct token rows in a fleet
        if tokens is None:  # a result from before tokens were part of the URL verdict
            _check_url(host, position, url)
            tokens = [method_token(p) for p in url["probes"]]
        if index >= len(cells):
            cells.extend([None] * (index + 1 - len(cells)))
        cells[index] = {"strict": strict, "analyzer": analyzer, "methods": tokens, "ms": ms}
        if (strict if use_strict else analyzer) == fail:
            probes = url.get("probes")
            if not isinstance(probes, list) or len(probes) != len(cv.METHODS) or not isinstance(url.get("diagnosis"), str):
                _check_url(host, position, url)
            url_rows[index]["failed_hosts"] += 1
            diagnosis = url["diagnosis"]
            if "@" in diagnosis:
                secrets = secrets if secrets is not None else proxy_secrets(result)
                diagnosis = redact(diagnosis, secrets)
            failures.append({"url": name, "diagnosis": diagnosis, "methods": structured_methods(probes)})
    raw = result.get("raw") or {}
    process = raw.get("process") or {}
    run = raw.get("run") or {}
    configured = _configured(host, result.get("configured"))
    elapsed = run.get("elapsed_ms")
    entry = {
        "host": host,
        "status": TESTED,
        "verdict": cv.FAIL if failures else cv.PASS,
        "failed": len(failures),
        "error": None,
        "configured": configured,
        "run_as_system": _flag(process.get("is_system")),
        "deadline_reached": _flag(run.get("deadline_reached")),
        "elapsed_ms": elapsed if isinstance(elapsed, int) and elapsed >= 0 else None,
        "results": cells,
        "failures": failures,
    }
    maps = result.get("maps")
    if isinstance(maps, Mapping):
        if not _word_in(maps.get("status"), _MAPS_STATES) or not isinstance(maps.get("hresult"), (str, type(None))):
            raise _shape_error(host, "maps", "must have a status (passed, failed, not_run) and an hresult (text or null)")
        entry["maps"] = {"status": maps["status"], "hresult": maps.get("hresult")}
    analyzer_import.mark_file_source(entry, result)
    return entry


_MAPS_STATES = frozenset((cv.MAPS_PASSED, cv.MAPS_FAILED, cv.MAPS_NOT_RUN))


def _flag(value: Any) -> Optional[bool]:
    return value if isinstance(value, bool) else None


def _configured(host: str, configured: Any) -> Dict[str, Any]:
    """The configured method and proxy (user information masked), checked as the fleet schema says."""
    configured = configured or {}
    if not isinstance(configured, Mapping):
        raise _shape_error(host, "configured", "is not a mapping")
    method = configured.get("method", "default")
    if method not in cv.METHODS:
        raise _shape_error(host, "configured.method", "must be one of " + ", ".join(cv.METHODS))
    proxy = configured.get("proxy")
    if proxy is not None and not isinstance(proxy, str):
        raise _shape_error(host, "configured.proxy", "must be text or null")
    return {"method": method, "proxy": redact_proxy(proxy)}


# --- renderers -------------------------------------------------------------------------------------
@dataclass
class ReportInput:
    """Everything a renderer may read: the task results, the fleet model, and the history view."""

    results: Mapping[str, Any]
    fleet: Mapping[str, Any]
    legacy_text: bool = False
    changes: Optional[Mapping[str, Any]] = None   # fleet_history.compare() with the previous run
    trend: Optional[Mapping[str, Any]] = None     # fleet_history.trend() over the kept runs


def render_json(fleet: Mapping[str, Any], indent: Optional[int] = None) -> str:
    """The fleet model as JSON (compact unless ``indent``), ending with a newline."""
    separators = (",", ":") if indent is None else (",", ": ")
    return json.dumps(fleet, indent=indent, separators=separators, ensure_ascii=False, check_circular=False) + "\n"


def render_host_text(result: Mapping[str, Any], legacy: bool = False) -> str:
    """The analyzer-style text of one host's device_connectivity_probe result (credentials masked, no escapes)."""
    if "analyzer_text" in result and not legacy:
        text = str(result["analyzer_text"])
    else:
        text = cv.render_analyzer_text(result["urls"], legacy=legacy) + cv.render_maps_line(result.get("maps"))
    if "@" in text:
        text = redact(text, proxy_secrets(result))
    return clean_text(text, multiline=True)


def render_summary(fleet: Mapping[str, Any], changes: Optional[Mapping[str, Any]] = None) -> str:
    """A few lines of plain text: totals, the line about the previous run, the failing hosts."""
    from ansible_collections.purview.device_proxy.plugins.plugin_utils import fleet_history

    totals = fleet["totals"]
    lines = ["%s, %s (verdict: %s)" % (clean_text(fleet.get("title") or "Connectivity"), clean_text(fleet["generated_at"]),
                                       fleet["verdict"]),
             "%d hosts: %d failing, %d passing, %d without result; %d URLs, %d of %d cells failed"
             % (totals["hosts"], totals["failed"], totals["passed"], totals["no_result"], totals["urls"],
                totals["failed_cells"], totals["cells"]),
             clean_text(fleet_history.since_line(changes))]
    failing = [h for h in fleet["hosts"] if h["verdict"] != cv.PASS]
    if failing:
        lines.append("")
        lines.append("Hosts failing or without result:")
        for host in failing:
            name = clean_text(host["host"])
            if host["status"] == NO_RESULT:
                error = clean_text(host["error"])
                lines.append("  %s: %s" % (name, error if error.startswith("no result") else "no result: " + error))
            else:
                lines.append("  %s: %d URL(s) failed" % (name, host["failed"]))
    return "\n".join(lines) + "\n"


# --- files -----------------------------------------------------------------------------------------
def host_file_name(host: str) -> str:
    """A file name for a host's text report: unsafe characters become "_", never hidden or empty,
    never too long for a file system (see ``report_files.safe_file_name``)."""
    return report_files.safe_file_name(host, ".txt")


def check_formats(formats: Iterable[str]) -> List[str]:
    formats = list(formats)
    for name in formats:
        if name not in FORMATS:
            raise FleetReportError("formats", "choices", f"{name!r} is not one of {', '.join(FORMATS)}")
    return [name for name in FORMATS if name in formats]


def _text_files(data: ReportInput) -> Dict[str, str]:
    files: Dict[str, str] = {}
    taken: Dict[str, str] = {}
    for host, result in sorted(data.results.items()):
        if not _is_test_result(result):
            continue
        name = host_file_name(str(host))
        if name in taken:
            raise FleetReportError(str(host), "file-name", f"its text file name {name} clashes with host {taken[name]}")
        taken[name] = str(host)
        try:
            files[TEXT_DIR + "/" + name] = render_host_text(result, legacy=data.legacy_text)
        except (KeyError, TypeError, AttributeError, IndexError, ValueError) as err:
            raise _shape_error(str(host), "its analyzer text", "cannot be rendered (%s: %s)" % (type(err).__name__, err)) from err
    return files


def _html_files(data: ReportInput) -> Dict[str, str]:
    from ansible_collections.purview.device_proxy.plugins.plugin_utils.fleet_report_html import render_html

    return {FILE_NAMES["html"]: render_html(data.fleet, data.changes, data.trend)}


# One renderer per format: ReportInput -> {relative path: content}.
RENDERERS: Dict[str, Callable[[ReportInput], Dict[str, str]]] = {
    "text": _text_files,
    "summary": lambda data: {FILE_NAMES["summary"]: render_summary(data.fleet, data.changes)},
    "json": lambda data: {FILE_NAMES["json"]: render_json(data.fleet)},
    "junit": lambda data: {FILE_NAMES["junit"]: render_junit(data.fleet)},
    "html": _html_files,
}


def iter_files(results: Mapping[str, Any], fleet: Mapping[str, Any], formats: Sequence[str],
               legacy_text: bool = False, changes: Optional[Mapping[str, Any]] = None,
               trend: Optional[Mapping[str, Any]] = None) -> Iterator[Dict[str, str]]:
    """The report files one format at a time ({relative path: content}), so that a writer can
    drop each format's text before the next is rendered (at 10,000 hosts they are 50-120 MB each)."""
    data = ReportInput(results, fleet, legacy_text, changes, trend)
    for name in check_formats(formats):
        yield RENDERERS[name](data)


def render_files(results: Mapping[str, Any], fleet: Mapping[str, Any], formats: Sequence[str],
                 legacy_text: bool = False, changes: Optional[Mapping[str, Any]] = None,
                 trend: Optional[Mapping[str, Any]] = None) -> Dict[str, str]:
    """Every report file as {relative path: content}."""
    files: Dict[str, str] = {}
    for batch in iter_files(results, fleet, formats, legacy_text, changes, trend):
        files.update(batch)
    return files


def write_reports(dest: str, files: Mapping[str, str], check_mode: bool = False) -> Dict[str, Any]:
    """Write the files under ``dest`` (only those whose content differs). Returns changed paths and sizes."""
    return write_report_batches(dest, [files], check_mode)


def write_report_batches(dest: str, batches: Iterable[Mapping[str, str]], check_mode: bool = False) -> Dict[str, Any]:
    """Write each batch of files (e.g. from :func:`iter_files`) as it comes; see :func:`write_reports`."""
    if not dest:
        raise FleetReportError("dest", "required", "a report directory is required")
    changed: List[str] = []
    sizes: Dict[str, int] = {}
    folders_made: set = set()
    mode = None
    synced = report_files.FolderSync()
    try:
        for files in batches:
            mode = _write_batch(dest, files, check_mode, changed, sizes, folders_made, mode, synced)
    finally:
        synced.sync()  # the folders once, after the renames into them
    return {"dest": dest, "changed_files": changed, "sizes": sizes}


def _write_batch(dest: str, files: Mapping[str, str], check_mode: bool, changed: List[str], sizes: Dict[str, int],
                 folders_made: set, mode: Optional[int], synced: report_files.FolderSync) -> Optional[int]:
    for relative, content in files.items():
        path = os.path.join(dest, relative)
        # No encoded copy of a 70 MB report just to learn its size: ASCII text is its own size.
        data = None if content.isascii() else report_files.encode_text(content)
        size = len(content) if data is None else len(data)
        sizes[relative] = size
        try:
            if os.path.getsize(path) == size:
                with open(path, "rb") as handle:
                    if handle.read() == (content.encode("ascii") if data is None else data):
                        continue
        except (FileNotFoundError, NotADirectoryError):
            pass
        changed.append(relative)
        if check_mode:
            continue
        folder = os.path.dirname(path)
        if folder not in folders_made:
            os.makedirs(dest, exist_ok=True)  # the directory the user named may be a link
            if os.path.normpath(folder) != os.path.normpath(dest):
                report_files.make_folder(folder)  # ours (hosts/): never followed when a link
            folders_made.add(folder)
        if mode is None:
            mode = report_files.default_mode()
        report_files.write_atomically(path, content if data is None else data, mode, synced)
    return mode
