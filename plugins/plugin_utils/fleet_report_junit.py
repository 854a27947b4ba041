# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet model (``fleet_report``) as JUnit XML, one test case per host and URL, for CI dashboards."""

from __future__ import annotations

from typing import Any, Dict, Mapping
from xml.sax.saxutils import escape, quoteattr

from ansible_collections.purview.device_proxy.plugins.module_utils import analyzer_text
from ansible_collections.purview.device_proxy.plugins.plugin_utils import connectivity_verdict as cv
from ansible_collections.purview.device_proxy.plugins.plugin_utils.fleet_schema import DEVICE, PROBE_MODULES
from ansible_collections.purview.device_proxy.plugins.plugin_utils.report_text import clean_text


def _seconds(ms: Any) -> str:
    return "%.3f" % ((ms or 0) / 1000.0)


def failure_text(failure: Mapping[str, Any]) -> str:
    """The analyzer block of one failed cell, from its structured method outcomes."""
    methods = {}
    for number, method in enumerate(failure["methods"], start=1):
        if method is not None:
            methods[number] = analyzer_text.MethodOutcome(method["ok"], method["code"], method["proxy"])
    return analyzer_text.render_block(analyzer_text.UrlBlock(failure["url"], methods))


def _attr(value: Any) -> str:
    return quoteattr(clean_text(value, multiline=True))


def render_junit(fleet: Mapping[str, Any]) -> str:
    """JUnit XML: a test suite per host, a test case per host and URL (failures by the fleet verdict).

    Test case names are the URL and the class name ``connectivity.<host>``: nothing that changes
    from run to run, so CI systems can follow one host and URL across runs. Every text passes
    through ``report_text.clean_text`` (valid XML 1.0 character data, no terminal escapes), so the
    document parses whatever the hosts reported.
    """
    verdict = fleet["verdict"]
    urls = fleet["urls"]
    suites = []
    total = failures_total = errors_total = skipped_total = 0
    quoted_urls = [_attr(row["url"]) for row in urls]
    kinds = ["required" if row["required"] else "optional" for row in urls]
    quoted_verdict = _attr(verdict)
    timestamp = _attr(fleet["generated_at"])
    passed, failed = cv.PASS, cv.FAIL
    probe_name = _attr(PROBE_MODULES[fleet.get("source", DEVICE)])  # the module that gave no result
    time_text: Dict[int, str] = {}  # ' time="0.123"' by milliseconds: few distinct values, many cells
    for host in fleet["hosts"]:
        classname = _attr("connectivity." + host["host"])
        cases = []
        failures = errors = skipped = 0
        time_ms = 0
        if host["status"] == "no-result":
            errors = 1
            cases.append('    <testcase classname=%s name=%s time="0.000">\n'
                         '      <error type="no-result" message=%s/>\n    </testcase>'
                         % (classname, probe_name, _attr(host["error"])))
        else:
            details = {f["url"]: f for f in host["failures"]}
            prefix = '    <testcase classname=' + classname + ' name='
            append = cases.append
            for index, cell in enumerate(host["results"]):
                if cell is None:
                    continue
                ms = cell["ms"] or 0
                time_ms += ms
                seconds = time_text.get(ms)
                if seconds is None:
                    seconds = time_text[ms] = ' time="%.3f"' % (ms / 1000.0)
                state = cell[verdict]
                if state == passed:
                    append(prefix + quoted_urls[index] + seconds + "/>")
                elif state == failed:
                    failures += 1
                    failure = details.get(urls[index]["url"])
                    message = "%s URL: %s" % (kinds[index], failure["diagnosis"] if failure else "failed")
                    body = escape(clean_text(failure_text(failure), multiline=True)) if failure else ""
                    append("%s%s%s>\n      <failure type=%s message=%s>%s</failure>\n    </testcase>" % (
                        prefix, quoted_urls[index], seconds, quoted_verdict, _attr(message), body))
                else:
                    skipped += 1
                    append('%s%s%s>\n      <skipped message="the configured method did not run"/>\n    </testcase>'
                           % (prefix, quoted_urls[index], seconds))
        count = len(cases)
        total += count
        failures_total += failures
        errors_total += errors
        skipped_total += skipped
        props = ""
        if host["configured"]:
            props = ('    <properties>\n      <property name="configured_method" value=%s/>\n'
                     '      <property name="configured_proxy" value=%s/>\n    </properties>\n'
                     % (_attr(host["configured"]["method"]), _attr(host["configured"]["proxy"] or "")))
        suites.append('  <testsuite name=%s tests="%d" failures="%d" errors="%d" skipped="%d" time="%s" '
                      'timestamp=%s>\n%s%s\n  </testsuite>' % (
                          _attr(host["host"]), count, failures, errors, skipped, _seconds(time_ms),
                          timestamp, props, "\n".join(cases)))
    head = ('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name=%s tests="%d" failures="%d" errors="%d" '
            'skipped="%d">\n' % (_attr(fleet.get("title") or "connectivity"), total, failures_total,
                                 errors_total, skipped_total))
    return head + "\n".join(suites) + ("\n" if suites else "") + "</testsuites>\n"
