# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet connectivity report as one self-contained HTML page.

A matrix of hosts (rows) by URLs (columns), failing hosts and URLs first, with filters and
pages. Everything is inline (CSS, script, data), nothing is fetched. The data travels as compact
JSON (one status letter per cell, method details only for cells that did not pass) and the
script draws one page of rows at a time, so 10,000 hosts by 50 URLs stays a few thousand
cells in the document.

Cell letters: P passed, F failed (no method worked), W the configured method failed but
another worked, U the configured method did not run, A passed strictly but not by the
analyzer's codes, "." not tested on that host.

With a run history (``fleet_history``) the page opens with what changed since the previous run
(counts, new failures and recoveries, hosts and URLs that came and went, method changes) and a
small inline SVG chart per URL of failing hosts over the kept runs; cells whose state changed
are outlined in the matrix and say what they were.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from typing import Any, Dict, List, Mapping, Optional, Sequence

from ansible_collections.purview.device_proxy.plugins.plugin_utils import connectivity_verdict as cv
from ansible_collections.purview.device_proxy.plugins.plugin_utils import fleet_history
from ansible_collections.purview.device_proxy.plugins.plugin_utils.fleet_schema import NETWORK, PROBE_MODULES

NO_RESULT = "no-result"


def cell_letter(cell: Any, verdict: str) -> str:
    """The status letter of one fleet cell (see the module docstring)."""
    if cell is None:
        return "."
    strict, analyzer = cell["strict"], cell["analyzer"]
    if strict == cv.UNTESTED:
        return "U" if analyzer == cv.PASS or verdict == "strict" else "F"
    if strict == cv.PASS and analyzer == cv.PASS:
        return "P"
    if strict == cv.FAIL and analyzer == cv.FAIL:
        return "F"
    if strict == cv.FAIL:
        return "W" if verdict == "strict" else "P"
    return "A" if verdict == "analyzer" else "P"


def compact_data(fleet: Mapping[str, Any], changes: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """What the page's script needs, as small as it can be."""
    verdict = fleet["verdict"]
    changed_cells = (changes or {}).get("changed_cells") or {}
    table = {(strict, analyzer): cell_letter({"strict": strict, "analyzer": analyzer}, verdict)
             for strict in (cv.PASS, cv.FAIL, cv.UNTESTED) for analyzer in (cv.PASS, cv.FAIL)}
    hosts: List[List[Any]] = []
    for host in fleet["hosts"]:
        letters = []
        details: Dict[str, str] = {}
        for index, cell in enumerate(host["results"]):
            # cell_letter by table: one dict lookup instead of a call per cell (500,000 cells)
            letter = "." if cell is None else table[(cell["strict"], cell["analyzer"])]
            letters.append(letter)
            if letter != "P" and letter != ".":
                details[str(index)] = " ".join(cell["methods"])
        configured = host["configured"] or {}
        hosts.append([host["host"], host["verdict"], host["failed"], host["error"] or "",
                      configured.get("method") or "", configured.get("proxy") or "", "".join(letters), details,
                      {f["url"]: f["diagnosis"] for f in host["failures"]},
                      {str(i): was for i, was in changed_cells.get(host["host"], {}).items()}])
    return {
        "title": fleet.get("title") or "Connectivity",
        "generated_at": fleet["generated_at"],
        "verdict": verdict,
        "methods": list(fleet.get("methods") or [cv.METHOD_LABELS[m] for m in cv.METHODS]),
        "channels": {name: info["label"] for name, info in cv.CHANNELS.items()},
        "urls": [[u["url"], u["channel"], u["required"], u["failed_hosts"]] for u in fleet["urls"]],
        "hosts": hosts,
        "totals": fleet["totals"],
        "was": _WAS,
        "words": _WORDS,
    }


def _script_json(data: Any) -> str:
    # Inside <script>, "</" could end the element early; "\u003c" keeps the JSON valid.
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).replace("<", "\\u003c")


_WORDS = {"P": "passed", "F": "failed: no method worked", "W": "the configured method failed, another worked",
          "U": "the configured method did not run", "A": "passed strictly, not by the analyzer's codes",
          ".": "not tested on this host"}
_WAS = {"P": "passed", "F": "failed", "U": "the configured method did not run", ".": "not tested"}
_LIST_LIMIT = 50


def _items(title: str, rows: Sequence[str]) -> str:
    if not rows:
        return ""
    shown = "".join("<li>%s</li>" % row for row in rows[:_LIST_LIMIT])
    more = "<li>and %d more (connectivity-fleet.json has them all)</li>" % (len(rows) - _LIST_LIMIT) \
        if len(rows) > _LIST_LIMIT else ""
    return '<div class="since-list"><h3>%s (%d)</h3><ul>%s%s</ul></div>' % (html.escape(title), len(rows), shown, more)


def sparkline(values: Sequence[Optional[int]], width: int = 120, height: int = 22) -> str:
    """An inline SVG line of failing hosts per run (gaps where the URL was not in a run)."""
    known = [v for v in values if v is not None]
    top = max(known) if known and max(known) > 0 else 1
    step = width / max(1, len(values) - 1)
    points = []
    for index, value in enumerate(values):
        if value is None:
            continue
        points.append("%.1f,%.1f" % (index * step, height - 2 - (height - 4) * value / top))
    last = known[-1] if known else 0
    colour = "#cf222e" if last else "#2da44e"
    dots = "".join('<circle cx="%s" cy="%s" r="1.8" fill="%s"/>' % (tuple(p.split(",")) + (colour,)) for p in points)
    line = '<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>' % (colour, " ".join(points)) \
        if len(points) > 1 else ""
    label = "failing hosts per run: " + ", ".join("-" if v is None else str(v) for v in values)
    return ('<svg class="spark" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s">'
            '<title>%s</title>%s%s</svg>' % (width, height, width, height, label, label, line, dots))


def since_section(fleet: Mapping[str, Any], changes: Optional[Mapping[str, Any]],
                  trend: Optional[Mapping[str, Any]]) -> str:
    """The "since <previous run>" section (empty without a history)."""
    if changes is None and trend is None:
        return ""
    parts = ['<section id="since">']
    if changes:
        n = fleet_history.counts(changes)
        parts.append("<h2>Since %s</h2>" % html.escape(changes["previous_at"]))
        parts.append('<div class="since-cards"><span class="card bad">%d new failures</span>'
                     '<span class="card good">%d recoveries</span>' % (n["new_failures"], n["recoveries"]))
        for key, label in (("hosts_lost", "now without result"), ("hosts_back", "with a result again"),
                           ("hosts_appeared", "hosts appeared"), ("hosts_disappeared", "hosts disappeared"),
                           ("urls_added", "URLs added"), ("urls_removed", "URLs removed"),
                           ("method_changes", "method changes")):
            if n[key]:
                parts.append('<span class="card">%d %s</span>' % (n[key], label))
        parts.append("</div>")
        e = html.escape
        parts.append('<div class="since-body"><div class="since-lists">')
        parts.append(_items("New failures", ["%s: %s" % (e(h), e(u)) for h, u in changes["new_failures"]]))
        parts.append(_items("Recoveries", ["%s: %s" % (e(h), e(u)) for h, u in changes["recoveries"]]))
        parts.append(_items("Now without result", [e(h) for h in changes["hosts_lost"]]))
        parts.append(_items("With a result again", [e(h) for h in changes["hosts_back"]]))
        parts.append(_items("Hosts appeared", [e(h) for h in changes["hosts_appeared"]]))
        parts.append(_items("Hosts disappeared", [e(h) for h in changes["hosts_disappeared"]]))
        parts.append(_items("URLs added", [e(u) for u in changes["urls_added"]]))
        parts.append(_items("URLs removed", [e(u) for u in changes["urls_removed"]]))
        parts.append(_items("Configured method changed", ["%s: %s &#8594; %s" % (e(h), e(str(a)), e(str(b)))
                                                          for h, a, b in changes["method_changes"]]))
        parts.append("</div>")
    else:
        parts.append('<h2>No earlier run to compare with</h2><div class="since-body">')
    if trend and len(trend.get("runs") or ()) > 1:
        runs = trend["runs"]
        rows = sorted(trend["urls"].items(), key=lambda item: (-(item[1][-1] or 0), item[0]))
        parts.append('<details class="trend" open><summary title="%s to %s">Failing hosts per URL, last %d runs'
                     '</summary><table class="trend"><tbody>' % (html.escape(runs[0]), html.escape(runs[-1]), len(runs)))
        for url, values in rows:
            parts.append('<tr><td class="turl">%s</td><td>%s</td><td class="n">%s</td></tr>'
                         % (html.escape(url), sparkline(values), "-" if values[-1] is None else values[-1]))
        parts.append("</tbody></table></details>")
    parts.append("</div></section>")
    return "".join(parts)


def render_html(fleet: Mapping[str, Any], changes: Optional[Mapping[str, Any]] = None,
                trend: Optional[Mapping[str, Any]] = None) -> str:
    """The whole page; ``changes`` and ``trend`` come from ``fleet_history`` (None: no history)."""
    data = compact_data(fleet, changes)
    totals = fleet["totals"]
    title = html.escape(data["title"])
    summary = (
        f'<span class="card">{totals["hosts"]} hosts</span>'
        f'<span class="card bad">{totals["failed"]} failing</span>'
        f'<span class="card good">{totals["passed"]} passing</span>'
        f'<span class="card none">{totals["no_result"]} without result</span>'
        f'<span class="card">{totals["urls"]} URLs</span>'
        f'<span class="card">verdict: {html.escape(fleet["verdict"])}</span>'
    )
    if fleet.get("source") == NETWORK:  # a device report shows no source card, as before
        summary += f'<span class="card">network side ({PROBE_MODULES[NETWORK]})</span>'
    values = {"TITLE": title, "GENERATED": html.escape(fleet["generated_at"]), "SUMMARY": summary,
              "SINCE": since_section(fleet, changes, trend), "DATA": _script_json(data)}
    # One pass, so text inside a value is never taken for a placeholder.
    return re.sub(r"@(TITLE|GENERATED|SUMMARY|SINCE|DATA)@", lambda match: values[match.group(1)], _PAGE)


_STYLE = """
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:16px;color:#1b1f24;background:#fff}
h1{font-size:20px;margin:0 0 4px}
.meta{color:#57606a;margin-bottom:10px}
.card{display:inline-block;padding:4px 10px;margin:0 6px 6px 0;border-radius:4px;background:#eef1f4;font-weight:600}
.card.bad{background:#ffd7d5;color:#82071e}.card.good{background:#d3f5dc;color:#0a4d1e}.card.none{background:#e6e6e6}
.controls{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:8px 0;padding:8px;background:#f6f8fa;border:1px solid #d0d7de;border-radius:4px}
.controls label{font-weight:600}
.controls input[type=search]{width:14em}
.legend span{display:inline-block;padding:1px 6px;margin-right:4px;border-radius:3px;font-size:12px}
.wrap{overflow:auto;max-height:75vh;border:1px solid #d0d7de}
table{border-collapse:collapse}
th,td{border:1px solid #d0d7de;padding:0}
thead th{position:sticky;top:0;background:#f6f8fa;z-index:1}
th.host{position:sticky;left:0;background:#fff;z-index:2;text-align:left;padding:2px 8px;white-space:nowrap;font-weight:600}
thead th.host{background:#f6f8fa;z-index:3}
th.url{width:22px;vertical-align:bottom;font-weight:500;font-size:11px}
th.url div{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;padding:4px 2px}
table#matrix{width:100%}
th.cause,td.cause{width:100%;text-align:left;padding:0 8px;font-size:12px}
td.cause{max-width:0;min-width:16em;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
td.c{min-width:22px}
.since-body{display:flex;flex-wrap:wrap;gap:4px 32px;align-items:flex-start}
td.cause{color:#57606a}tr.rowfail td.cause{color:#82071e}
#hidden-note{margin:4px 0;color:#57606a;font-style:italic}
#hidden-note:empty{display:none}
th.url.hasfail{color:#82071e}
td.c{width:22px;height:20px;text-align:center;font-size:11px;cursor:pointer}
.cP{background:#2da44e}.cF{background:#cf222e;color:#fff}.cW{background:#d4a72c}.cU{background:#8c959f;color:#fff}.cA{background:#6cc644}.cN{background:#fff}
tr.rowfail th.host{border-left:6px solid #cf222e}tr.rownone th.host{border-left:6px solid #57606a}tr.rowpass th.host{border-left:6px solid #2da44e}
td.n{padding:0 6px;text-align:right;white-space:nowrap}
#detail{white-space:pre-wrap;font:12px/1.4 ui-monospace,Consolas,monospace;background:#f6f8fa;
border:1px solid #d0d7de;padding:8px;margin-top:8px;min-height:2em}
.pager button{margin:0 2px}
td.c.chg{outline:3px solid #0969da;outline-offset:-3px}
.lchg{outline:3px solid #0969da;outline-offset:-3px}
#since{border:1px solid #d0d7de;border-left:6px solid #0969da;border-radius:4px;padding:8px 12px;margin:8px 0}
#since h2{font-size:17px;margin:0 0 6px}
.since-lists{display:flex;flex-wrap:wrap;gap:4px 24px}
.since-list h3{font-size:14px;margin:6px 0 2px}.since-list ul{margin:0;padding-left:18px;max-height:12em;overflow:auto}
table.trend td{border:none;padding:1px 8px 1px 0}td.turl{font-size:12px;white-space:nowrap}
"""

_SCRIPT = """
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("fleet-data").textContent);
  var urls = data.urls, hosts = data.hosts;
  var state = {page: 0, size: 50, host: "", status: "fail", url: "", channel: "", failcols: false};
  var $ = function (id) { return document.getElementById(id); };
  function esc(s) { return String(s).replace(/[&<>"']/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; }); }
  // Column labels: the host name (one probe URL per host); the full URL is in the tooltip.
  function shortUrl(u) { return u.replace(/^https?:\\/\\//, "").replace(/[\\/?#].*$/, ""); }
  // URL columns: most failing hosts first, then the order tested.
  var order = urls.map(function (u, i) { return i; });
  order.sort(function (a, b) { return (urls[b][3] - urls[a][3]) || (a - b); });
  var channelSelect = $("channel"), seen = {};
  urls.forEach(function (u) {
    if (seen[u[1]]) { return; }
    seen[u[1]] = 1;
    var o = document.createElement("option");
    o.value = u[1];
    o.textContent = data.channels[u[1]] || u[1];
    channelSelect.appendChild(o);
  });
  if (!hosts.some(function (h) { return h[1] !== "pass"; })) { state.status = "all"; $("status").value = "all"; }
  function columns() {
    var needle = state.url.toLowerCase();
    return order.filter(function (i) {
      var u = urls[i];
      return (!needle || u[0].toLowerCase().indexOf(needle) >= 0) && (!state.channel || u[1] === state.channel) && (!state.failcols || u[3] > 0);
    });
  }
  function rows() {
    var needle = state.host.toLowerCase();
    return hosts.filter(function (h) {
      if (needle && h[0].toLowerCase().indexOf(needle) < 0) { return false; }
      if (state.status === "fail") { return h[1] !== "pass"; }
      if (state.status === "all") { return true; }
      return h[1] === state.status;
    });
  }
  // The cause in the row: why there is no result, or the first failed URL's diagnosis.
  function cause(h) {
    if (h[1] === "no-result") { return /^no result/.test(h[3]) ? h[3] : "no result: " + (h[3] || "the host was unreachable"); }
    var seen = [], first = "";
    urls.forEach(function (u) {
      var d = h[8][u[0]];
      if (d && seen.indexOf(d) < 0) { seen.push(d); }
    });
    if (!seen.length) { return ""; }
    first = seen[0];
    return first + (seen.length > 1 ? " (+" + (seen.length - 1) + " other cause" + (seen.length > 2 ? "s" : "") + ")" : "");
  }
  function draw() {
    var cols = columns(), list = rows();
    var pages = Math.max(1, Math.ceil(list.length / state.size));
    if (state.page >= pages) { state.page = pages - 1; }
    var start = state.page * state.size, slice = list.slice(start, start + state.size);
    var head = ["<tr><th class=\\"host\\">host (" + list.length + ")</th><th>failed URLs</th><th>method</th>"];
    cols.forEach(function (i) {
      var u = urls[i];
      var tip = u[0] + " - " + (data.channels[u[1]] || u[1]) + (u[2] ? ", required" : ", optional") +
        ", failing on " + u[3] + " host(s)";
      head.push("<th class=\\"url" + (u[3] ? " hasfail" : "") + "\\" title=\\"" + esc(tip) + "\\"><div>" +
        esc(shortUrl(u[0])) + "</div></th>");
    });
    head.push("<th class=\\"cause\\">cause</th></tr>");
    var body = [];
    slice.forEach(function (h, r) {
      var cls = h[1] === "pass" ? "rowpass" : (h[1] === "fail" ? "rowfail" : "rownone");
      var title = h[3] || h[4] + (h[5] ? " via " + h[5] : "");
      var line = ["<tr class=\\"" + cls + "\\" data-r=\\"" + (start + r) + "\\"><th class=\\"host\\" title=\\"" +
        esc(title) + "\\">" + esc(h[0]) + "</th><td class=\\"n\\">" + (h[1] === "no-result" ? "-" : h[2]) +
        "</td><td class=\\"n\\">" + esc(h[4] || (h[1] === "no-result" ? "no result" : "unknown")) + "</td>"];
      cols.forEach(function (i) {
        var c = h[6].charAt(i) || ".", was = h[9] && h[9][i];
        var word = data.words[c] || c;
        line.push("<td class=\\"c c" + (c === "." ? "N" : c) + (was ? " chg" : "") + "\\" data-u=\\"" + i + "\\"" +
          (was ? " title=\\"changed; was " + esc(data.was[was] || was) + ", now " + esc(word) + "\\""
               : " title=\\"" + esc(word) + "\\"") + ">" + (c === "P" ? "" : esc(c)) + "</td>");
      });
      var why = cause(h);
      line.push("<td class=\\"cause\\" title=\\"" + esc(why) + "\\">" + esc(why) + "</td></tr>");
      body.push(line.join(""));
    });
    $("matrix").tHead.innerHTML = head.join("");
    $("matrix").tBodies[0].innerHTML = body.join("");
    $("pageinfo").textContent = " page " + (state.page + 1) + " of " + pages + " ";
    var hidden = hosts.filter(function (h) { return h[1] === "pass"; }).length - list.filter(function (h) { return h[1] === "pass"; }).length;
    $("hidden-note").textContent = hidden > 0 && state.status !== "all" && state.status !== "pass" ?
      hidden + " passing host" + (hidden === 1 ? " is" : "s are") + " hidden; choose Show: all hosts to list them." : "";
    draw.list = list;
  }
  function detail(host, i) {
    var u = urls[i], c = host[6].charAt(i), tokens = host[7][i];
    var lines = ["Host: " + host[0], "Testing URL : " + u[0]];
    if (tokens) {
      tokens.split(" ").forEach(function (t, m) {
        var text = t === "-" ? "Doesn't exist" : t === "N" ? "Not run" : (t.charAt(0) === "S" ? "Succeeded" : "Failed") + " (" + t.slice(1) + ")";
        lines.push((m + 1) + " - " + data.methods[m] + ": " + text);
      });
    } else {
      lines.push(c === "P" ? "passed" : "not tested on this host");
    }
    if (host[8][u[0]]) { lines.push("", host[8][u[0]]); }
    if (host[9] && host[9][i]) { lines.push("", "Changed since the previous run; was: " + (data.was[host[9][i]] || host[9][i])); }
    $("detail").textContent = lines.join("\\n");
  }
  $("matrix").addEventListener("click", function (e) {
    var td = e.target.closest ? e.target.closest("td.c") : null;
    if (!td) { return; }
    detail(draw.list[+td.parentNode.getAttribute("data-r")], +td.getAttribute("data-u"));
  });
  function on(id, ev, fn) { $(id).addEventListener(ev, function (e) { fn(e.target); state.page = 0; draw(); }); }
  on("filter", "input", function (t) { state.host = t.value; });
  on("urlfilter", "input", function (t) { state.url = t.value; });
  on("status", "change", function (t) { state.status = t.value; });
  on("channel", "change", function (t) { state.channel = t.value; });
  on("failcols", "change", function (t) { state.failcols = t.checked; });
  on("pagesize", "change", function (t) { state.size = +t.value; });
  $("prev").addEventListener("click", function () { if (state.page > 0) { state.page--; draw(); } });
  $("next").addEventListener("click", function () { state.page++; draw(); });
  draw();
}());
"""


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="@POLICY@">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>@TITLE@</title>
<style>@STYLE@</style>
</head>
<body>
<h1>@TITLE@</h1>
<div class="meta">Generated @GENERATED@. Hosts by service URLs, failures first.</div>
<div id="summary">@SUMMARY@</div>
@SINCE@
<div class="legend"><span class="cP">P passed</span><span class="cF">F failed</span>
<span class="cW">W configured method failed, another worked</span><span class="cU">U configured method not run</span>
<span class="cA">A passed, not by the analyzer's codes</span>
<span class="cN">. not tested</span><span class="lchg">changed since the previous run</span></div>
<noscript><p><strong>This report needs JavaScript to draw the matrix.</strong> The same data is in connectivity-fleet.json.</p></noscript>
<div class="controls">
<label for="filter">Host</label><input id="filter" type="search" placeholder="name contains">
<label for="status">Show</label><select id="status"><option value="all">all hosts</option>
<option value="fail" selected>failing and without result</option><option value="pass">passing</option>
<option value="no-result">without result</option></select>
<label for="urlfilter">URL</label><input id="urlfilter" type="search" placeholder="URL contains">
<label for="channel">Channel</label><select id="channel"><option value="">all</option></select>
<label><input id="failcols" type="checkbox"> failing URLs only</label>
<label for="pagesize">Rows</label><select id="pagesize"><option>25</option><option selected>50</option><option>100</option><option>200</option></select>
<span class="pager"><button id="prev" type="button">&#8592;</button><span id="pageinfo"></span><button id="next" type="button">&#8594;</button></span>
</div>
<div id="hidden-note"></div>
<div class="wrap"><table id="matrix"><thead></thead><tbody></tbody></table></div>
<div id="detail">Click a cell to see each method for that host and URL.</div>
<script type="application/json" id="fleet-data">@DATA@</script>
<script>@SCRIPT@</script>
</body>
</html>
"""


def _source_hash(text: str) -> str:
    """A CSP hash source: SHA-256 over the UTF-8 bytes of an inline element's text (CSP Level 3)."""
    return "'sha256-%s'" % base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


# Nothing but the page's own script and style may run or apply: no other script, style, image,
# font, frame or connection, and no <base> or form target an injected tag could set. The fleet
# data is a JSON data block (not run, so not subject to script-src), and the SVG charts use
# presentation attributes, which style-src does not govern.
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src %s; style-src %s; base-uri 'none'; form-action 'none'"
                           % (_source_hash(_SCRIPT), _source_hash(_STYLE)))
_PAGE = _PAGE.replace("@STYLE@", _STYLE).replace("@SCRIPT@", _SCRIPT).replace("@POLICY@", CONTENT_SECURITY_POLICY)
