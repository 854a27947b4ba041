# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fleet reports of connectivity_test results: one model, four renderings.

:func:`build_fleet` turns the task results of ``purview.device_proxy.connectivity_test`` (one per
host, or nothing for a host that was unreachable) into one JSON-compatible fleet model that
follows :data:`FLEET_SCHEMA`. The renderers read only that model:

* :func:`render_host_text` - the analyzer-style text of one host (module_utils.analyzer_text);
* :func:`render_json` - the fleet model itself;
* :func:`render_junit` - JUnit XML, one test case per host and URL, for CI dashboards;
* ``fleet_report_html.render_html`` - a self-contained, paginated HTML matrix.

:func:`write_reports` writes the files (only those whose content changed) and returns what it did.
Hosts are ordered failures first, then by name; URLs in the order they were first tested.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence
from xml.sax.saxutils import quoteattr, escape

from ansible_collections.purview.device_proxy.plugins.module_utils import analyzer_text
from ansible_collections.purview.device_proxy.plugins.plugin_utils import connectivity_verdict as cv

SCHEMA_ID = "purview.device_proxy/connectivity-fleet"
SCHEMA_VERSION = 1

TESTED = "tested"
NO_RESULT = "no-result"
FORMATS = ("text", "json", "junit", "html")
FILE_NAMES = {"json": "connectivity-fleet.json", "junit": "connectivity-junit.xml", "html": "connectivity-fleet.html"}
TEXT_DIR = "hosts"

# One token per method in a cell: S<code> succeeded, F<code> failed, "-" doesn't exist,
# "N" not run. The code is the HTTP status or the WinHTTP error (or a reason word).
_TOKEN_RE = r"^(S[0-9]{3}|F[A-Za-z0-9.-]+|-|N)$"

FLEET_SCHEMA: Dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "purview.device_proxy connectivity fleet report",
    "type": "object",
    "required": ["schema", "version", "generated_at", "verdict", "urls", "hosts", "totals"],
    "additionalProperties": False,
    "properties": {
        "schema": {"const": SCHEMA_ID},
        "version": {"const": SCHEMA_VERSION},
        "generated_at": {"type": "string"},
        "title": {"type": "string"},
        "verdict": {"enum": list(cv.FAIL_VERDICTS)},
        "methods": {"type": "array", "items": {"type": "string"}},
        "urls": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["url", "channel", "required", "failed_hosts"],
                "additionalProperties": False,
                "properties": {
                    "url": {"type": "string"},
                    "channel": {"enum": list(cv.CHANNEL_ORDER)},
                    "required": {"type": "boolean"},
                    "failed_hosts": {"type": "integer", "minimum": 0},
                },
            },
        },
        "hosts": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["host", "status", "verdict", "failed", "error", "configured", "results", "failures"],
                "additionalProperties": False,
                "properties": {
                    "host": {"type": "string"},
                    "status": {"enum": [TESTED, NO_RESULT]},
                    "verdict": {"enum": [cv.PASS, cv.FAIL, NO_RESULT]},
                    "failed": {"type": "integer", "minimum": 0},
                    "error": {"type": ["string", "null"]},
                    "configured": {
                        "type": ["object", "null"],
                        "required": ["method", "proxy"],
                        "properties": {"method": {"enum": list(cv.METHODS)}, "proxy": {"type": ["string", "null"]}},
                    },
                    "run_as_system": {"type": ["boolean", "null"]},
                    "deadline_reached": {"type": ["boolean", "null"]},
                    "results": {
                        "type": "array",
                        "description": "aligned with the top-level urls; null where the host did not test that URL",
                        "items": {
                            "type": ["object", "null"],
                            "required": ["strict", "analyzer", "methods"],
                            "additionalProperties": False,
                            "properties": {
                                "strict": {"enum": [cv.PASS, cv.FAIL, cv.UNTESTED]},
                                "analyzer": {"enum": [cv.PASS, cv.FAIL]},
                                "methods": {"type": "array", "minItems": 5, "maxItems": 5,
                                            "items": {"type": "string", "pattern": _TOKEN_RE}},
                                "ms": {"type": ["integer", "null"]},
                            },
                        },
                    },
                    "failures": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["url", "diagnosis"],
                            "additionalProperties": False,
                            "properties": {"url": {"type": "string"}, "diagnosis": {"type": "string"}},
                        },
                    },
                },
            },
        },
        "totals": {
            "type": "object",
            "required": ["hosts", "tested", "no_result", "passed", "failed", "urls", "cells", "failed_cells"],
            "additionalProperties": {"type": "integer", "minimum": 0},
        },
    },
}


class FleetReportError(ValueError):
    """Bad report input. ``field`` names the option or host, ``rule`` the rule it breaks."""

    def __init__(self, field: str, rule: str, message: str):
        self.field = field
        self.rule = rule
        super().__init__(f"{field}: {message}")


# --- model -----------------------------------------------------------------------------------------
method_token = cv.method_token


def _is_test_result(result: Any) -> bool:
    return isinstance(result, Mapping) and isinstance(result.get("urls"), list) and "summary" in result


def build_fleet(results: Mapping[str, Any], generated_at: str, verdict: str = "strict",
                title: str = "Defender for Endpoint connectivity") -> Dict[str, Any]:
    """The fleet model from ``{host: connectivity_test task result or None}``."""
    if verdict not in cv.FAIL_VERDICTS:
        raise FleetReportError("fail_verdict", "choices", f"{verdict!r} is not one of {', '.join(cv.FAIL_VERDICTS)}")
    url_index: Dict[str, int] = {}
    url_rows: List[Dict[str, Any]] = []
    for result in results.values():
        if not _is_test_result(result):
            continue
        for url in result["urls"]:
            if url["url"] not in url_index:
                url_index[url["url"]] = len(url_rows)
                url_rows.append({"url": url["url"], "channel": url["channel"], "required": bool(url["required"]),
                                 "failed_hosts": 0})
    hosts = [_host_entry(str(host), result, url_index, url_rows, verdict) for host, result in results.items()]
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


def _host_order(host: Mapping[str, Any]):
    rank = {NO_RESULT: 0, cv.FAIL: 1, cv.PASS: 2}[host["verdict"]]
    return (rank, -host["failed"], host["host"])


def _host_entry(host: str, result: Any, url_index: Mapping[str, int], url_rows: List[Dict[str, Any]],
                verdict: str) -> Dict[str, Any]:
    if not _is_test_result(result):
        message = None
        if isinstance(result, Mapping):
            message = result.get("msg")
        return {"host": host, "status": NO_RESULT, "verdict": NO_RESULT, "failed": 0,
                "error": str(message or "no result: the host was unreachable or failed before the test"),
                "configured": None, "run_as_system": None, "deadline_reached": None, "results": [None] * len(url_rows),
                "failures": []}
    cells: List[Optional[Dict[str, Any]]] = [None] * len(url_rows)
    failures = []
    for url in result["urls"]:
        index = url_index[url["url"]]
        tokens = url.get("tokens")
        if tokens is None:  # a result from before tokens were part of the URL verdict
            tokens = [method_token(p) for p in url["probes"]]
        cells[index] = {
            "strict": url["strict"],
            "analyzer": url["analyzer"],
            "methods": tokens,
            "ms": url.get("configured_elapsed_ms"),
        }
        if url[verdict] == cv.FAIL:
            url_rows[index]["failed_hosts"] += 1
            failures.append({"url": url["url"], "diagnosis": url["diagnosis"]})
    raw = result.get("raw") or {}
    process = raw.get("process") or {}
    run = raw.get("run") or {}
    configured = result.get("configured") or {}
    return {
        "host": host,
        "status": TESTED,
        "verdict": cv.FAIL if failures else cv.PASS,
        "failed": len(failures),
        "error": None,
        "configured": {"method": configured.get("method", "default"), "proxy": configured.get("proxy")},
        "run_as_system": process.get("is_system"),
        "deadline_reached": run.get("deadline_reached"),
        "results": cells,
        "failures": failures,
    }


# --- renderers -------------------------------------------------------------------------------------
def render_json(fleet: Mapping[str, Any], indent: Optional[int] = None) -> str:
    """The fleet model as JSON (compact unless ``indent``), ending with a newline."""
    separators = (",", ":") if indent is None else (",", ": ")
    return json.dumps(fleet, indent=indent, separators=separators, ensure_ascii=False) + "\n"


def render_host_text(result: Mapping[str, Any], legacy: bool = False) -> str:
    """The analyzer-style text of one host's connectivity_test result."""
    if "analyzer_text" in result and not legacy:
        return str(result["analyzer_text"])
    return cv.render_analyzer_text(result["urls"], legacy=legacy)


def _seconds(ms: Any) -> str:
    return "%.3f" % ((ms or 0) / 1000.0)


def _cell_text(url: str, cell: Mapping[str, Any]) -> str:
    """The analyzer block of one cell, rebuilt from its tokens."""
    methods = {}
    for number, token in enumerate(cell["methods"], start=1):
        if token == "-":
            continue
        if token == "N":
            methods[number] = analyzer_text.MethodOutcome(False, "not run")
            continue
        code = token[1:]
        methods[number] = analyzer_text.MethodOutcome(token[0] == "S", int(code) if code.isdigit() else code)
    return analyzer_text.render_block(analyzer_text.UrlBlock(url, methods))


def render_junit(fleet: Mapping[str, Any]) -> str:
    """JUnit XML: a test suite per host, a test case per host and URL (failures by the fleet verdict)."""
    verdict = fleet["verdict"]
    urls = fleet["urls"]
    suites = []
    total = failures_total = errors_total = skipped_total = 0
    quoted_urls = [quoteattr(row["url"]) for row in urls]
    for host in fleet["hosts"]:
        name = host["host"]
        classname = quoteattr("connectivity." + name)
        cases = []
        failures = errors = skipped = 0
        time_ms = 0
        if host["status"] == NO_RESULT:
            errors = 1
            cases.append('    <testcase classname=%s name="connectivity_test" time="0.000">\n'
                         '      <error type="no-result" message=%s/>\n    </testcase>'
                         % (classname, quoteattr(host["error"])))
        else:
            diagnoses = {f["url"]: f["diagnosis"] for f in host["failures"]}
            for row, quoted_url, cell in zip(urls, quoted_urls, host["results"]):
                if cell is None:
                    continue
                time_ms += cell.get("ms") or 0
                head = '    <testcase classname=%s name=%s time="%.3f">' % (
                    classname, quoted_url, (cell.get("ms") or 0) / 1000.0)
                if cell[verdict] == cv.FAIL:
                    failures += 1
                    kind = "required" if row["required"] else "optional"
                    message = "%s URL: %s" % (kind, diagnoses.get(row["url"], "failed"))
                    cases.append("%s\n      <failure type=%s message=%s>%s</failure>\n    </testcase>" % (
                        head, quoteattr(verdict), quoteattr(message), escape(_cell_text(row["url"], cell))))
                elif cell[verdict] == cv.UNTESTED:
                    skipped += 1
                    cases.append('%s\n      <skipped message="the configured method did not run"/>\n    </testcase>'
                                 % head)
                else:
                    cases.append(head[:-1] + "/>")
        count = len(cases)
        total += count
        failures_total += failures
        errors_total += errors
        skipped_total += skipped
        props = ""
        if host["configured"]:
            props = ('    <properties>\n      <property name="configured_method" value=%s/>\n'
                     '      <property name="configured_proxy" value=%s/>\n    </properties>\n'
                     % (quoteattr(host["configured"]["method"]), quoteattr(host["configured"]["proxy"] or "")))
        suites.append('  <testsuite name=%s tests="%d" failures="%d" errors="%d" skipped="%d" time="%s" '
                      'timestamp=%s>\n%s%s\n  </testsuite>' % (
                          quoteattr(name), count, failures, errors, skipped, _seconds(time_ms),
                          quoteattr(fleet["generated_at"]), props, "\n".join(cases)))
    head = ('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name=%s tests="%d" failures="%d" errors="%d" '
            'skipped="%d">\n' % (quoteattr(fleet.get("title") or "connectivity"), total, failures_total,
                                 errors_total, skipped_total))
    return head + "\n".join(suites) + ("\n" if suites else "") + "</testsuites>\n"


# --- files -----------------------------------------------------------------------------------------
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def host_file_name(host: str) -> str:
    """A file name for a host's text report: unsafe characters become "_", never hidden or empty."""
    name = _UNSAFE.sub("_", host).lstrip(".") or "_"
    return name + ".txt"


def check_formats(formats: Iterable[str]) -> List[str]:
    formats = list(formats)
    for name in formats:
        if name not in FORMATS:
            raise FleetReportError("formats", "choices", f"{name!r} is not one of {', '.join(FORMATS)}")
    return [name for name in FORMATS if name in formats]


def render_files(results: Mapping[str, Any], fleet: Mapping[str, Any], formats: Sequence[str],
                 legacy_text: bool = False) -> Dict[str, str]:
    """Every report file as {relative path: content}."""
    from ansible_collections.purview.device_proxy.plugins.plugin_utils.fleet_report_html import render_html

    files: Dict[str, str] = {}
    formats = check_formats(formats)
    if "text" in formats:
        taken: Dict[str, str] = {}
        for host, result in sorted(results.items()):
            if not _is_test_result(result):
                continue
            name = host_file_name(str(host))
            if name in taken:
                raise FleetReportError(str(host), "file-name", f"its text file name {name} clashes with host {taken[name]}")
            taken[name] = str(host)
            files[os.path.join(TEXT_DIR, name)] = render_host_text(result, legacy=legacy_text)
    if "json" in formats:
        files[FILE_NAMES["json"]] = render_json(fleet)
    if "junit" in formats:
        files[FILE_NAMES["junit"]] = render_junit(fleet)
    if "html" in formats:
        files[FILE_NAMES["html"]] = render_html(fleet)
    return files


def write_reports(dest: str, files: Mapping[str, str], check_mode: bool = False) -> Dict[str, Any]:
    """Write the files under ``dest`` (only those whose content differs). Returns changed paths and sizes."""
    if not dest:
        raise FleetReportError("dest", "required", "a report directory is required")
    changed: List[str] = []
    sizes: Dict[str, int] = {}
    for relative, content in files.items():
        path = os.path.join(dest, relative)
        data = content.encode("utf-8")
        sizes[relative] = len(data)
        try:
            with open(path, "rb") as handle:
                if handle.read() == data:
                    continue
        except FileNotFoundError:
            pass
        changed.append(relative)
        if check_mode:
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        temporary = path + ".tmp"
        with open(temporary, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    return {"dest": dest, "changed_files": changed, "sizes": sizes}
