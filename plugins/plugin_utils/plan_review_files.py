# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The full fleet review as files: CSV and JSON with one row per host and target, and a Markdown page.

The console shows a summary (plan_review.console_review); these files hold every host. Each reason
appears once (as ``W<n>``, with its number of hosts), each finding's message once (with the hosts
that have it). CSV cells go through table_cells.csv_cell (no spreadsheet formulas), Markdown cells
through markdown_text/markdown_code; files are written atomically with report_files.
"""

from __future__ import annotations

import csv
import io
import json
import os
from typing import Any, Dict, List, Mapping, Sequence

from ansible_collections.purview.device_proxy.plugins.plugin_utils import report_files
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.vocabulary import WARNING
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan_review import (
    VERDICTS,
    _cell,
    _kind,
    decision_kinds,
    evidence_word,
    finding_ids,
    findings_once,
    needs_decision,
    reason_id,
    totals,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.targets import TARGETS
from ansible_collections.purview.device_proxy.plugins.plugin_utils.table_cells import csv_cell, markdown_code, markdown_text

BASENAME = "plan-review"
COLUMNS = ("host", "topology", "topology_evidence", "target", "action", "cause", "value", "changes", "reason_id", "reason",
           "warnings")
# Hosts named after a shared finding in the Markdown page; the CSV and JSON name all of them.
NAMED_HOSTS = 20


def rows(plans: Sequence[Mapping[str, Any]], errors: Mapping[str, Mapping[str, str]]) -> List[Dict[str, str]]:
    """One row per host and target (one row, target ``-``, for a host that cannot be planned)."""
    ids = reason_id(plans)
    built = []
    for plan in plans:
        topology = plan.get("topology") or {}
        warnings = " | ".join(str(finding.get("message")) for finding in plan.get("findings") or []
                              if finding.get("severity") == WARNING)
        for action in plan["actions"]:
            built.append({
                "host": str(plan.get("host") or "device"),
                "topology": str(topology.get("value")),
                "topology_evidence": "; ".join(str(item) for item in topology.get("evidence") or []),
                "target": str(action.get("target")),
                "action": str(action.get("action")),
                "cause": str(action.get("cause") or ""),
                "value": _cell(action),
                "changes": "yes" if action.get("changes") else "no",
                "reason_id": ids[_kind(action)],
                "reason": str(action.get("reason", "")),
                "warnings": warnings,
            })
    for host, error in errors.items():
        row = dict.fromkeys(COLUMNS, "")
        row.update(host=host, target="-", action="error", reason=str(error.get("message")),
                   cause="%s: %s" % (error.get("field"), error.get("rule")))
        built.append(row)
    return built


def render_csv(table: Sequence[Mapping[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")  # RFC 4180 line ends
    writer.writerow(COLUMNS)
    for row in table:
        writer.writerow([csv_cell(row[column]) for column in COLUMNS])
    return buffer.getvalue()


def render_json(plans: Sequence[Mapping[str, Any]], errors: Mapping[str, Mapping[str, str]],
                table: Sequence[Mapping[str, str]]) -> str:
    document = {
        "version": 1,
        "hosts": len(plans) + len(errors),
        "planned": len(plans),
        "with_changes": sum(1 for plan in plans if plan.get("changes")),
        "totals": totals(plans),
        "reasons": decision_kinds(plans),
        "findings": findings_once(plans),
        "errors": dict(errors),
        "rows": list(table),
    }
    return json.dumps(document, indent=1, sort_keys=False) + "\n"


def _md_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def render_markdown(plans: Sequence[Mapping[str, Any]], errors: Mapping[str, Mapping[str, str]]) -> str:
    changed = sum(1 for plan in plans if plan.get("changes"))
    lines = ["# Device proxy plan: fleet review", "",
             f"{len(plans) + len(errors)} host(s): {len(plans)} planned, {changed} with changes, "
             f"{len(errors)} cannot be planned. Every host and target is in `{BASENAME}.csv` and `{BASENAME}.json`.", "",
             "## Actions per target", "", _md_row(["target", *VERDICTS]), _md_row(["---"] * (len(VERDICTS) + 1))]
    counted = totals(plans)
    for target in TARGETS:
        lines.append(_md_row([markdown_text(target.column), *(str(counted[target.name][verdict]) for verdict in VERDICTS)]))
    lines += ["", "## Why (each reason once)", "", _md_row(["id", "target", "hosts", "rationale"]), _md_row(["---"] * 4)]
    for kind in decision_kinds(plans):
        lines.append(_md_row([kind["id"], markdown_code(kind["target"]), str(kind["hosts"]), markdown_text(kind["rationale"])]))
    lines += ["", "## Hosts that need a decision (refusals, conflicts, risks)", ""]
    found = findings_once(plans)
    ids = finding_ids(found)
    decisions = [(str(plan.get("host")), needs_decision(plan, ids)) for plan in plans]
    decisions = [(host, items) for host, items in decisions if items]
    if decisions:
        lines += [_md_row(["host", "what"]), _md_row(["---", "---"])]
        lines += [_md_row([markdown_code(host), markdown_text("; ".join(items))]) for host, items in decisions]
    else:
        lines.append("None.")
    if errors:
        lines += ["", "## Hosts that cannot be planned", "", _md_row(["host", "field", "rule", "message"]), _md_row(["---"] * 4)]
        for host, error in errors.items():
            lines.append(_md_row([markdown_code(host), markdown_code(str(error.get("field"))), markdown_code(str(error.get("rule"))),
                                  markdown_text(str(error.get("message")))]))
    lines += ["", "## Findings (each message once)", ""]
    for entry in found:
        more = len(entry["hosts"]) - NAMED_HOSTS
        named = ", ".join(entry["hosts"][:NAMED_HOSTS]) + (f" and {more} more" if more > 0 else "")
        lines.append(f"- {entry['id']} **{entry['severity']}** ({len(entry['hosts'])} host(s): {markdown_text(named)}): "
                     f"{markdown_text(str(entry['message']))}")
    ids = reason_id(plans)
    lines += ["", "## Every host", "",
              _md_row(["host", "topology (evidence)", *(markdown_text(target.column) for target in TARGETS), "changes", "reasons"]),
              _md_row(["---"] * (len(TARGETS) + 4))]
    for plan in plans:
        topology = plan.get("topology") or {}
        by_target = {action.get("target"): action for action in plan["actions"]}
        lines.append(_md_row([
            markdown_code(str(plan.get("host") or "device")),
            markdown_text(f"{topology.get('value')} ({evidence_word(topology)})"),
            *(markdown_text(_cell(by_target[target.name])) if target.name in by_target else "-" for target in TARGETS),
            str(plan.get("changes", 0)),
            " ".join(ids[_kind(action)] for action in plan["actions"]),
        ]))
    return "\n".join(lines) + "\n"


def review_files(plans: Sequence[Mapping[str, Any]], errors: Mapping[str, Mapping[str, str]]) -> Dict[str, str]:
    """{suffix: content} of the three files, built before anything is written."""
    table = rows(plans, errors)
    return {"md": render_markdown(plans, errors), "csv": render_csv(table), "json": render_json(plans, errors, table)}


def write_review(folder: str, contents: Mapping[str, str]) -> Dict[str, str]:
    """Write the files into ``folder`` (created when missing); {suffix: path}."""
    report_files.make_folder(folder)
    written = {}
    for suffix, content in contents.items():
        path = os.path.join(folder, f"{BASENAME}.{suffix}")
        report_files.write_atomically(path, content)
        written[suffix] = path
    return written


def file_paths(folder: str) -> Dict[str, str]:
    return {suffix: os.path.join(folder, f"{BASENAME}.{suffix}") for suffix in ("md", "csv", "json")}
