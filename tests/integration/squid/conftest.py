# -*- coding: utf-8 -*-
"""Fixtures for the loopback Squid tests: run with ``pytest tests/integration/squid``.

Every test talks to 127.0.0.0/8 (or to network namespaces a test creates) and stops what it
started. The whole folder is skipped, with the reason, when Squid with OpenSSL is missing.
"""

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
# The collection itself is made importable by tests/conftest.py; squid_lab lives here.
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import squid_lab  # noqa: E402  (needs the path above)


def pytest_collection_modifyitems(config, items):
    reason = squid_lab.squid_missing_reason()
    if reason:
        for item in items:
            if HERE in str(item.fspath):
                item.add_marker(pytest.mark.skip(reason="Squid tests skipped: " + reason))


@pytest.fixture(scope="module")
def lab():
    """Origins (HTTPS, HTTP, black hole), an NXDOMAIN resolver and a Squid with three ports."""
    pytest.importorskip("trustme")
    instance = squid_lab.Lab()
    try:
        instance.start_squid()
        yield instance
    finally:
        instance.stop()


def pytest_terminal_summary(terminalreporter):
    """Say how many corporate configurations ran in a real Squid, and what each device saw."""
    reports = [report for key in ("passed", "failed") for report in terminalreporter.stats.get(key, [])
               if getattr(report, "when", None) == "call" and "test_squid_corpus.py::test_corpus_file[" in report.nodeid]
    skipped = [report for report in terminalreporter.stats.get("skipped", [])
               if "test_squid_corpus.py::test_corpus_file[" in getattr(report, "nodeid", "")]
    if not reports and not skipped:
        return
    passed = sum(1 for report in reports if report.passed)
    terminalreporter.write_line("squid corpus: %d corporate configurations run in a real Squid: %d passed, %d failed, "
                                "%d skipped" % (len(reports) + len(skipped), passed, len(reports) - passed, len(skipped)))
    for report in reports:
        for name, value in report.user_properties:
            if name == "corpus":
                terminalreporter.write_line("  " + value)
