# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet HTML report in a real headless Chromium: the rendered DOM and a screenshot.

Skipped (with the reason) when Chromium is not installed (Debian package ``chromium``). The
page is opened from a file:// URL in a fresh profile with networking features off; the test
checks the rows the script drew (failures first, filter controls, one page only) and that the
screenshot is a PNG of the window size that is not blank and shows the failure colours; with a
run history, that the "since" section and the changed cells are drawn; and that each row shows
its cause and the page says when passing hosts are hidden. Over the DevTools protocol: that the
page's Content-Security-Policy blocks nothing of its own (no violation event, no console error)
while the filters, paging and cell details work, and that a script the policy does not allow is
blocked and seen.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import select
import shutil
import struct
import subprocess
import time
import zlib
from html.parser import HTMLParser

import pytest

from ansible_collections.purview.device_proxy.plugins.plugin_utils import fleet_report
from ansible_collections.purview.device_proxy.plugins.plugin_utils import fleet_report_html

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_GOLDEN = os.path.join(ROOT, "tests", "unit", "plugins", "action", "fixtures", "connectivity_report")
_spec = importlib.util.spec_from_file_location("regenerate_golden", os.path.join(_GOLDEN, "regenerate_golden.py"))
golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden)

WIDTH, HEIGHT = 1280, 900
RED = (0xCF, 0x22, 0x2E)      # .cF  failed
AMBER = (0xD4, 0xA7, 0x2C)    # .cW  configured method failed, another worked
GREEN = (0x2D, 0xA4, 0x4E)    # .cP  passed
CHROMIUM_TIMEOUT = 120


def chromium_binary():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def run_chromium(tmp_path, url, *extra):
    binary = chromium_binary()
    profile = tmp_path / ("profile-%d" % len(list(tmp_path.iterdir())))
    profile.mkdir()
    command = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--user-data-dir=%s" % profile, "--window-size=%d,%d" % (WIDTH, HEIGHT),
               "--virtual-time-budget=5000"] + list(extra) + [url]
    return subprocess.run(command, capture_output=True, text=True, timeout=CHROMIUM_TIMEOUT, check=False)


@pytest.fixture(scope="module")
def page_url(tmp_path_factory):
    if chromium_binary() is None:
        pytest.skip("Chromium is not installed (Debian package 'chromium'); the browser test needs it")
    fleet = fleet_report.build_fleet(golden.fleet_inputs(), golden.GENERATED_AT)
    folder = tmp_path_factory.mktemp("html")
    path = folder / "connectivity-fleet.html"
    path.write_text(fleet_report_html.render_html(fleet), encoding="utf-8")
    return path.as_uri()


class Rows(HTMLParser):
    """Rows of the matrix body: (class, host name, cell classes)."""

    def __init__(self):
        super().__init__()
        self.rows = []
        self.ids = set()
        self._in_body = False
        self._in_host = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self.rows.append([attrs.get("class"), "", []])
        elif tag == "th" and self._in_body and "host" in (attrs.get("class") or ""):
            self._in_host = True
        elif tag == "td" and self._in_body and "c" in (attrs.get("class") or "").split():
            self.rows[-1][2].append(attrs["class"].split()[-1])

    def handle_endtag(self, tag):
        if tag == "tbody":
            self._in_body = False
        elif tag == "th":
            self._in_host = False

    def handle_data(self, data):
        if self._in_host:
            self.rows[-1][1] += data


def test_rendered_matrix_lists_failures_first(tmp_path, page_url):
    ran = run_chromium(tmp_path, page_url, "--dump-dom")
    assert ran.returncode == 0, ran.stderr[-2000:]
    dom = Rows()
    dom.feed(ran.stdout)
    assert {"filter", "status", "urlfilter", "channel", "pagesize", "prev", "next"} <= dom.ids
    classes = [row[0] for row in dom.rows]
    # Default view: failing hosts and hosts without a result, no-result first, then by failures.
    assert classes == ["rownone", "rownone", "rownone", "rowfail", "rowfail", "rowfail"], classes
    hosts = [row[1] for row in dom.rows]
    assert hosts[3] == "win11-hq-07.corp.example"
    assert dom.rows[3][2] == ["cW", "cW", "cW", "cW"]
    assert "cF" in dom.rows[4][2] + dom.rows[5][2]
    assert re.search(r'id="pageinfo"[^>]*> page 1 of 1 <', ran.stdout)


def read_png(path):
    """(width, height, rows of RGB tuples) of an 8-bit RGB/RGBA non-interlaced PNG."""
    with open(path, "rb") as handle:
        data = handle.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    offset, chunks = 8, []
    width = height = None
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        body = data[offset + 8:offset + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color, _c, _f, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and color in (2, 6) and interlace == 0, (depth, color, interlace)
            channels = 3 if color == 2 else 4
        elif kind == b"IDAT":
            chunks.append(body)
        offset += 12 + length
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up = previous[x]
            corner = previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + left) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + up) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + ((left + up) >> 1)) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[x] = (line[x] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        rows.append([tuple(line[i:i + 3]) for i in range(0, stride, channels)])
        previous = line
    return width, height, rows


def near(pixel, colour, tolerance=24):
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour))


def test_screenshot_is_readable_and_shows_failures(tmp_path, page_url):
    shot = tmp_path / "fleet.png"
    ran = run_chromium(tmp_path, page_url, "--screenshot=%s" % shot, "--hide-scrollbars")
    assert ran.returncode == 0 and shot.exists(), ran.stderr[-2000:]
    width, height, rows = read_png(str(shot))
    assert (width, height) == (WIDTH, HEIGHT)
    pixels = [p for row in rows[::2] for p in row[::2]]
    luminance = [0.299 * r + 0.587 * g + 0.114 * b for r, g, b in pixels]
    mean = sum(luminance) / len(luminance)
    variance = sum((v - mean) ** 2 for v in luminance) / len(luminance)
    assert variance > 100, "the screenshot looks blank (luminance variance %.1f)" % variance
    red = sum(1 for p in pixels if near(p, RED))
    amber = sum(1 for p in pixels if near(p, AMBER))
    green = sum(1 for p in pixels if near(p, GREEN))
    # Sampled every other pixel: a 22x20 cell gives ~100 samples.
    assert red >= 150, "failure red barely visible (%d samples)" % red
    assert amber >= 300, "fallback amber barely visible (%d samples)" % amber
    assert green >= 100, "pass green barely visible (%d samples)" % green
    # Failures first: the first red pixel row lies in the upper half of the window.
    first_red = next(y for y, row in enumerate(rows) if any(near(p, RED) for p in row))
    assert first_red < HEIGHT // 2


# --- with a run history ----------------------------------------------------------------------------
BLUE = (0x09, 0x69, 0xDA)     # the "since" section's edge and the outline of changed cells
HQ = "win11-hq-07.corp.example"


@pytest.fixture(scope="module")
def history_page_url(tmp_path_factory):
    if chromium_binary() is None:
        pytest.skip("Chromium is not installed (Debian package 'chromium'); the browser test needs it")
    from ansible_collections.purview.device_proxy.plugins.plugin_utils import fleet_history

    results = golden.fleet_inputs()
    yesterday = dict(results)
    yesterday[HQ] = results["win10-branch-01.corp.example"]  # passed yesterday, fails today
    previous = fleet_history.entry_from_fleet(fleet_report.build_fleet(yesterday, "2026-07-02T09:00:00Z"))
    fleet = fleet_report.build_fleet(results, golden.GENERATED_AT)
    current = fleet_history.entry_from_fleet(fleet)
    changes = fleet_history.compare(previous, current)
    trend = fleet_history.trend([previous, current])
    folder = tmp_path_factory.mktemp("html-history")
    path = folder / "connectivity-fleet.html"
    path.write_text(fleet_report_html.render_html(fleet, changes, trend), encoding="utf-8")
    return path.as_uri()


def test_rendered_history_shows_since_and_changed_cells(tmp_path, history_page_url):
    ran = run_chromium(tmp_path, history_page_url, "--dump-dom")
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert "<h2>Since 2026-07-02T09:00:00Z</h2>" in ran.stdout
    assert "4 new failures" in ran.stdout
    dom = Rows()
    dom.feed(ran.stdout)
    row = next(r for r in dom.rows if r[1] == HQ)
    assert row[2] == ["chg"] * 4  # the last class of each cell
    assert all("chg" not in r[2] for r in dom.rows if r[1] != HQ)
    changed = re.findall(r'<td class="c cW chg" data-u="\d" '
                         r'title="changed; was passed, now the configured method failed, another worked">', ran.stdout)
    assert len(changed) == 4, "the four changed cells of %s are not marked" % HQ
    assert ran.stdout.count('<svg class="spark"') == 4


def test_history_screenshot_shows_since_section_and_changed_cell(tmp_path, history_page_url):
    shot = tmp_path / "fleet-history.png"
    ran = run_chromium(tmp_path, history_page_url, "--screenshot=%s" % shot, "--hide-scrollbars")
    assert ran.returncode == 0 and shot.exists(), ran.stderr[-2000:]
    width, height, rows = read_png(str(shot))
    assert (width, height) == (WIDTH, HEIGHT)
    # The section's blue left edge: a vertical strip near the left margin, in the upper part.
    edge = [y for y, row in enumerate(rows[: HEIGHT // 2]) if any(near(p, BLUE) for p in row[10:30])]
    assert len(edge) >= 60, "the 'since' section's edge is not visible (%d rows)" % len(edge)
    # A changed cell: blue outline pixels right of the host column, at the height of the amber cells.
    amber_rows = [y for y, row in enumerate(rows) if sum(1 for p in row if near(p, AMBER)) >= 20]
    assert amber_rows, "no fallback (amber) cells visible: the matrix is below the window"
    band = rows[max(0, amber_rows[0] - 4): amber_rows[0] + 24]
    outline = sum(1 for row in band for p in row[300:] if near(p, BLUE))
    assert outline >= 40, "changed cells are not outlined (%d blue pixels by the amber cells)" % outline


def test_rows_show_their_cause_and_the_page_says_passing_hosts_are_hidden(tmp_path, page_url):
    ran = run_chromium(tmp_path, page_url, "--dump-dom")
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert re.search(r'<div id="hidden-note">1 passing host is hidden; choose Show: all hosts to list them.</div>',
                     ran.stdout)
    causes = re.findall(r'<td class="cause" title="[^"]*">([^<]*)</td>', ran.stdout)
    assert len(causes) == 6  # one per row drawn
    assert causes[0] == "no result: ntlm: the specified credentials were rejected by the server"
    assert causes[1].startswith("no result under the strict verdict: the probes ran as ")
    assert causes[2] == "no result: the host was unreachable or failed before the test"
    assert causes[3].startswith("4 - Named proxy (the configured method) failed: 407")
    # Cells say in words what their letter means.
    assert re.search(r'<td class="c cW" data-u="\d" title="the configured method failed, another worked">W</td>',
                     ran.stdout)
    # URL headers are not clipped: no height limit or overflow cut on the label.
    assert "max-height:226px" not in ran.stdout and "th.url div{writing-mode:vertical-rl;transform:rotate(180deg);" \
        "white-space:nowrap;padding:4px 2px}" in ran.stdout


# --- Content-Security-Policy: nothing blocked, and the page still works ------------------------------
class DevTools:
    """Chromium driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``: JSON
    messages ended by NUL, the browser reads fd 3 and writes fd 4). DevTools' own scripts are not
    subject to the page's policy, so they can watch for violations and drive the controls."""

    def __init__(self, tmp_path):
        profile = tmp_path / ("devtools-%d" % len(list(tmp_path.iterdir())))
        profile.mkdir()
        to_browser_read, self._write = os.pipe()
        self._read, from_browser_write = os.pipe()
        command = [chromium_binary(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                   "--no-first-run", "--disable-background-networking", "--disable-component-update",
                   "--disable-sync", "--user-data-dir=%s" % profile, "--window-size=%d,%d" % (WIDTH, HEIGHT),
                   "--remote-debugging-pipe", "about:blank"]
        shell = 'exec "$@" 3<&%d 4>&%d' % (to_browser_read, from_browser_write)
        self.process = subprocess.Popen(["bash", "-c", shell, "chromium"] + command, pass_fds=(to_browser_read, from_browser_write),
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._buffer = b""
        self._next = 0
        self.events = []
        self.session = None

    def close(self):
        try:
            self.call("Browser.close", session=False)
        except Exception:  # the browser may be gone already; it is killed below either way
            pass
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._write)
        os.close(self._read)

    def _message(self, deadline):
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._read], [], [], left)[0]:
                raise TimeoutError("no answer from Chromium")
            chunk = os.read(self._read, 1 << 16)
            if not chunk:
                raise EOFError("Chromium closed the pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method, params=None, session=True, timeout=30):
        self._next += 1
        message = {"id": self._next, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._message(deadline)
            if answer.get("id") == self._next:
                assert "error" not in answer, answer
                return answer.get("result", {})
            self.events.append(answer)

    def wait_for(self, method, timeout=30):
        deadline = time.monotonic() + timeout
        for index, event in enumerate(self.events):
            if event.get("method") == method:
                return self.events.pop(index)
        while True:
            event = self._message(deadline)
            if event.get("method") == method:
                return event
            self.events.append(event)

    def open(self, url):
        target = self.call("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True}, session=False)["sessionId"]
        for method in ("Page.enable", "Runtime.enable", "Log.enable"):
            self.call(method)
        self.call("Page.addScriptToEvaluateOnNewDocument", {"source": (
            "window.__violations = [];"
            "document.addEventListener('securitypolicyviolation', function (e) {"
            " window.__violations.push(e.effectiveDirective + ' ' + e.blockedURI); });")})
        self.call("Page.navigate", {"url": url})
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")

    def policy_reports(self):
        """Violations the page saw, and console or log lines about the policy or about errors."""
        seen = list(self.evaluate("window.__violations"))
        for event in self.events:
            params = event.get("params") or {}
            if event.get("method") == "Log.entryAdded":
                entry = params["entry"]
                if "Content Security Policy" in entry.get("text", "") or entry.get("level") == "error":
                    seen.append("log: " + entry["text"])
            elif event.get("method") == "Runtime.exceptionThrown":
                seen.append("exception: %s" % params["exceptionDetails"].get("text"))
        return seen


@pytest.fixture
def devtools(tmp_path):
    if chromium_binary() is None:
        pytest.skip("Chromium is not installed (Debian package 'chromium'); the browser test needs it")
    browser = DevTools(tmp_path)
    yield browser
    browser.close()


def _paged_fleet_page(folder):
    """60 hosts (the recorded ones under many names), so that there is more than one page."""
    results = golden.fleet_inputs()
    many = {}
    for copy_number in range(9):
        for host, result in results.items():
            many["c%d-%s" % (copy_number, host)] = result
    path = folder / "paged.html"
    path.write_text(fleet_report_html.render_html(fleet_report.build_fleet(many, golden.GENERATED_AT)), encoding="utf-8")
    return path.as_uri()


ROWS = "document.querySelectorAll('#matrix tbody tr').length"


def _set(control, value, event):
    return ("(function () { var c = document.getElementById(%s); c.%s = %s;"
            " c.dispatchEvent(new Event(%s, {bubbles: true})); return true; }())"
            % (json.dumps(control), "checked" if isinstance(value, bool) else "value", json.dumps(value), json.dumps(event)))


def test_the_policy_blocks_nothing_and_filters_and_paging_still_work(tmp_path, devtools):
    devtools.open(_paged_fleet_page(tmp_path))
    assert devtools.evaluate("typeof window.__violations") == "object", "the watcher did not run"
    assert devtools.evaluate("document.querySelector('meta[http-equiv=\"Content-Security-Policy\"]').content") \
        == fleet_report_html.CONTENT_SECURITY_POLICY
    # The page's own script drew the matrix under the policy: 54 failing hosts or hosts without a
    # result (6 of each copy's 7), 50 a page.
    assert devtools.evaluate(ROWS) == 50
    assert devtools.evaluate("document.getElementById('pageinfo').textContent") == " page 1 of 2 "
    # The style applied: failed cells are red.
    assert devtools.evaluate("getComputedStyle(document.querySelector('td.cF')).backgroundColor") == "rgb(207, 34, 46)"
    # Paging: 25 rows a page, three pages of all 63 hosts; "next" moves to the second page.
    devtools.evaluate(_set("status", "all", "change"))
    devtools.evaluate(_set("pagesize", "25", "change"))
    assert devtools.evaluate(ROWS) == 25
    assert devtools.evaluate("document.getElementById('pageinfo').textContent") == " page 1 of 3 "
    first = devtools.evaluate("document.querySelector('#matrix tbody th.host').textContent")
    devtools.evaluate("document.getElementById('next').click(), true")
    assert devtools.evaluate("document.getElementById('pageinfo').textContent") == " page 2 of 3 "
    assert devtools.evaluate("document.querySelector('#matrix tbody th.host').textContent") != first
    # Filters: a host name, then a URL.
    devtools.evaluate(_set("filter", "c3-win11-hq-07", "input"))
    assert devtools.evaluate(ROWS) == 1
    assert devtools.evaluate("document.getElementById('pageinfo').textContent") == " page 1 of 1 "
    assert devtools.evaluate("document.querySelectorAll('#matrix thead th.url').length") == 4
    devtools.evaluate(_set("urlfilter", "winatp-gw", "input"))
    assert devtools.evaluate("document.querySelectorAll('#matrix thead th.url').length") == 1
    # A click on a cell shows its methods.
    devtools.evaluate("document.querySelector('#matrix tbody td.c').click(), true")
    assert "Testing URL" in devtools.evaluate("document.getElementById('detail').textContent")
    assert devtools.policy_reports() == []


def test_the_violation_watch_sees_a_script_the_policy_does_not_allow(tmp_path, devtools):
    """The check above can fail: a page whose script differs from the hashed one is blocked and reported."""
    page = fleet_report_html.render_html(fleet_report.build_fleet(golden.fleet_inputs(), golden.GENERATED_AT))
    tampered = page.replace('"use strict";', '"use strict"; /* changed */', 1)
    assert tampered != page
    path = tmp_path / "tampered.html"
    path.write_text(tampered, encoding="utf-8")
    devtools.open(path.as_uri())
    reports = devtools.policy_reports()
    assert any("script-src" in report for report in reports), reports
    assert devtools.evaluate(ROWS) == 0  # the script did not run
