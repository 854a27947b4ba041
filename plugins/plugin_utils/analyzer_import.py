# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Analyzer result files as fleet report input: one result per device, shaped like the device probe's.

:func:`import_folder` reads a folder of collected analyzer results (``analyzer_files``), reads
each connectivity text with the collection's one reader (``module_utils.analyzer_text``) and
turns every device into a result that ``fleet_report.build_fleet`` takes as it takes a
``device_connectivity_probe`` result: the same URL verdicts, method probes (classified by
``connectivity_verdict.classify_probe``, the one classifier), tokens, summary and analyzer text.

What a file cannot give is never made up:

* the **analyzer** verdict is the analyzer's own rule (a method line shows 200, 400 or 404:
  ``analyzer_model.ANALYZER_ACCEPTED``);
* the **strict** verdict needs the method the device is configured to use and the certificate
  chain, which only the collection's probe records: every URL's ``strict`` is ``untested`` (the
  fleet model's word for "no strict verdict"), the summary and channels say ``not available``,
  ``configured`` is None, and the result carries ``source`` (file, time, encoding), which the
  fleet report shows and by which it refuses to count such a host as passing the strict verdict.

A file that cannot be read, or is cut short, makes its device a result with ``failed`` and a
message naming the file and the line, as an unreachable host is reported; the other devices are
read on.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from ansible_collections.purview.device_proxy.plugins.module_utils import analyzer_model as model
from ansible_collections.purview.device_proxy.plugins.module_utils import analyzer_text as at
from ansible_collections.purview.device_proxy.plugins.module_utils import failure_kinds as fk
from ansible_collections.purview.device_proxy.plugins.plugin_utils import analyzer_files as af
from ansible_collections.purview.device_proxy.plugins.plugin_utils import connectivity_verdict as cv

SOURCE_KIND = "analyzer_file"
STRICT_NOT_AVAILABLE = "not available"
WHY_NO_STRICT = ("a result file records neither the method the device is configured to use nor the "
                 "certificate chain, which the strict verdict needs")
# WinHTTP's own error numbers (winhttp.h: ERROR_WINHTTP_BASE 12000); 100-599 are HTTP statuses.
_WINHTTP_RANGE = range(12000, 13000)
_HTTP_RANGE = range(100, 600)

UrlLookup = Callable[[str], Mapping[str, Any]]


def catalog_lookup() -> UrlLookup:
    """Channel, required, expected codes and pinning of a URL from the catalog's analyzer test
    URLs (any cloud); a URL the catalog does not know is channel ``other``, required."""
    from ansible_collections.purview.device_proxy.plugins.plugin_utils.catalog import load_catalog

    known: Dict[str, Dict[str, Any]] = {}
    for entry in load_catalog().entries:
        if entry.is_probe and entry.url not in known:
            known[entry.url] = {"channel": entry.function, "required": entry.required,
                                "expected_status": list(entry.expected_status), "no_pinning": entry.no_pinning}
    return lambda url: known.get(url, {})


def _raw_probe(method: model.Method, outcome: Optional[at.MethodOutcome]) -> Dict[str, Any]:
    """One method line as the raw probe classify_probe reads (the file has no chain, no timing)."""
    if outcome is None:  # "Doesn't exist": the method had nothing to test
        return {"method": method.key, "attempted": False, "skip_reason": fk.NOT_CONFIGURED}
    raw: Dict[str, Any] = {"method": method.key, "elapsed_ms": 0}
    if method.uses_proxy and outcome.proxy:
        raw["proxy"] = outcome.proxy
    code = outcome.code
    if isinstance(code, str) and code.isdigit():  # as block_passes reads it
        code = int(code)
    if isinstance(code, int) and code in _HTTP_RANGE:
        raw["status_code"] = code
    elif isinstance(code, int) and code in _WINHTTP_RANGE:
        raw["winhttp_error"] = code
    return raw


def _probe(method: model.Method, outcome: Optional[at.MethodOutcome], url: str) -> Dict[str, Any]:
    # A fleet repeats a few outcomes thousands of times: each is classified once (a copy per use).
    return dict(_classified(method, outcome, url.lower().startswith("https://")))


@functools.lru_cache(maxsize=4096)
def _classified(method: model.Method, outcome: Optional[at.MethodOutcome], https: bool) -> Dict[str, Any]:
    # no_pinning: a file has no certificate chain to check, and the analyzer's rule does not ask.
    url = "https://file.invalid/" if https else "http://file.invalid/"
    probe = cv.classify_probe(_raw_probe(method, outcome), cv.ANALYZER_ACCEPTED, {"url": url, "no_pinning": True})
    if outcome is None:
        probe["detail"] = "Doesn't exist (analyzer file)"
    elif probe["outcome"] == cv.FAILED and probe.get("status_code") is None and probe.get("winhttp_error") is None:
        shown = "%s (%s)" % (at.SUCCEEDED if outcome.succeeded else at.FAILED, outcome.code) \
            if outcome.code is not None else (at.SUCCEEDED if outcome.succeeded else at.FAILED)
        probe["line_code"] = str(outcome.code) if outcome.code is not None else None
        probe["detail"] = "the analyzer wrote %r: no HTTP status, so not an answer of the service" % shown
    probe["strict_ok"] = False
    return probe


def url_result(block: at.UrlBlock, lookup: UrlLookup, file: str = "the analyzer file") -> Dict[str, Any]:
    """One URL block as a URL verdict of the fleet model (strict: untested, i.e. not available)."""
    known = lookup(block.url) or {}
    probes = [_probe(method, block.methods.get(method.number), block.url) for method in model.METHODS]
    passes = at.block_passes(block)
    if passes:
        worked = ", ".join("%d - %s answered %s" % (p["number"], p["label"], p["status_code"])
                           for p in probes if p["outcome"] == cv.SUCCEEDED)
        diagnosis = "%s: passes the analyzer's rule (%s); strict verdict %s" % (file, worked, STRICT_NOT_AVAILABLE)
    else:
        failed = "; ".join("%d - %s: %s" % (p["number"], p["label"], p["detail"])
                           for p in probes if p["outcome"] != cv.ABSENT)
        diagnosis = "%s: no method answered 200, 400 or 404: %s" % (file, failed or "no method was tested")
    # No configured method: a file has no strict verdict.
    return cv.url_record(block.url, cv.channel_of(known.get("channel")), known, probes,
                         cv.PASS if passes else cv.FAIL, cv.UNTESTED, None, (), diagnosis)


def source_of(text: af.ResultText, report: at.ReadReport) -> Dict[str, Any]:
    spelling = " and ".join(report.spellings) or at.CURRENT
    note = ("read from the analyzer file %s (%s, %s spelling), %s (%s); strict verdict %s: %s"
            % (text.label, text.encoding, spelling, text.time, text.time_source, STRICT_NOT_AVAILABLE, WHY_NO_STRICT))
    return {"kind": SOURCE_KIND, "file": text.label, "encoding": text.encoding, "spelling": spelling,
            "time": text.time, "time_source": text.time_source, "strict": STRICT_NOT_AVAILABLE, "note": note}


def device_result(text: af.ResultText, report: at.ReadReport, lookup: UrlLookup) -> Dict[str, Any]:
    """A device's result, shaped like device_connectivity_probe's task result, plus ``source``."""
    urls = [url_result(block, lookup, text.label) for block in report.blocks]
    summary = cv.summarise(urls)
    summary["strict"] = STRICT_NOT_AVAILABLE
    channels = cv.channel_verdicts(urls)
    for channel in channels:
        channel["strict"] = STRICT_NOT_AVAILABLE
    source = source_of(text, report)
    legacy = report.spellings == (at.LEGACY,)
    analyzer_text = at.render_report(list(report.blocks), legacy=legacy) + "Source: %s\n" % source["note"]
    return {"changed": False, "configured": None, "urls": urls, "channels": channels, "summary": summary,
            "failed_urls": [], "analyzer_text": analyzer_text, "source": source}


def _read_one(item: af.ResultFile) -> Tuple[Optional[af.ResultText], Optional[at.ReadReport], Optional[str]]:
    try:
        text = af.read_result(item)
        report = at.read_report(text.text, source=text.label)
    except (af.AnalyzerFileError, at.AnalyzerTextError) as err:
        return None, None, str(err)
    if not report.blocks:
        return None, None, ("%s: no 'Testing URL' block (read as %s): not an analyzer connectivity result, or "
                            "in an encoding not recognised" % (text.label, text.encoding))
    return text, report, None


def import_folder(folder: str, lookup: Optional[UrlLookup] = None) -> Dict[str, Any]:
    """Every device of a collected folder: ``results`` ({device: result}) for connectivity_report,
    ``devices`` (what was read from which file, or the error) and ``skipped`` (files passed over)."""
    lookup = lookup or catalog_lookup()
    files, skipped = af.find_result_files(folder)
    grouped: Dict[str, List[af.ResultFile]] = {}
    names: Dict[str, str] = {}
    for item in files:  # Windows device names are case-insensitive
        key = item.device.lower()
        names.setdefault(key, item.device)
        grouped.setdefault(key, []).append(item)
    results: Dict[str, Any] = {}
    devices: List[Dict[str, Any]] = []
    for key in sorted(grouped):
        device = names[key]
        items = sorted(grouped[key], key=lambda i: (i.is_zip, i.label))
        read = [(item,) + _read_one(item) for item in items]
        labels = [item.label for item in items]
        errors = [error for _item, _text, _report, error in read if error]
        if not errors:
            contents = [report.blocks for _item, _text, report, _error in read]
            if any(blocks != contents[0] for blocks in contents[1:]):
                errors = ["different connectivity results for one device in %s: keep one of them"
                          % ", ".join(labels)]
        if errors:
            message = "analyzer file " + "; ".join(errors)
            results[device] = {"failed": True, "msg": message}
            devices.append({"device": device, "status": "error", "files": labels, "error": message})
            continue
        _item, text, report, _error = read[0]
        result = device_result(text, report, lookup)
        results[device] = result
        devices.append({"device": device, "status": "read", "files": labels, "file": text.label,
                        "encoding": text.encoding, "time": text.time, "time_source": text.time_source,
                        "urls": len(result["urls"]), "analyzer_failed": result["summary"]["analyzer_failed"]})
    return {"results": results, "devices": devices, "skipped": skipped}


# --- the fleet report's hook (fleet_report._host_entry calls these two) ------------------------------
def _file_source(result: Any) -> Optional[Mapping[str, Any]]:
    source = result.get("source") if isinstance(result, Mapping) else None
    return source if isinstance(source, Mapping) and source.get("kind") == SOURCE_KIND else None


def strict_unavailable_reason(result: Any, verdict: str) -> Optional[str]:
    """Why ``result`` has no strict verdict, or None: the one check the fleet model and the fail policy
    share. A result read from an analyzer file has none (only the collection's probe records what it
    needs); a probe result may lack it too (connectivity_verdict decides: probed as another account
    than SYSTEM on a route that depends on it). Such a host has no result, never a pass."""
    source = _file_source(result)
    if source is None:
        return cv.strict_unavailable_reason(result, verdict)
    if verdict != "strict" or not ("urls" in result and "summary" in result):
        return None
    return "no result under the strict verdict (report with fail_verdict analyzer): %s" % source.get("note", "")


def mark_file_source(entry: Dict[str, Any], result: Any) -> None:
    """Where a file's result came from, in the host's ``error`` text, which every rendering shows
    beside the host; the configured method is unknown."""
    source = _file_source(result)
    if source is not None:
        entry["configured"] = None
        entry["error"] = str(source.get("note") or "")
