# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fleet's plans as a change review: per-host details, one fleet table, each rationale once.

The plan function gives every action its full reason, in the documentation's terms. Across a
fleet most of that text is the same rationale repeated on every host. :func:`fleet_review`
groups the actions by decision kind (target and the reason's opening clause), keeps the
clauses every reason of a kind shares as the kind's rationale, printed once at the end as
``[W1]``, ``[W2]``..., and leaves on each host's line only what is particular to the host.
Between the two, one table shows the whole fleet in the order the plans are given (the inventory
order): host, topology and its evidence in a word, one column per target of the plan's registry
(plan/targets.py), the number of changes and of warnings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Dict, List, Sequence, Tuple

from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.targets import TARGETS
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.vocabulary import KEEP, PREFER_STATIC_PROXY, REFUSE, SET, WARNING

_CLAUSE = "; "
_NAMED = re.compile(r"\(([^)]+)\)")


class ReviewInputError(ValueError):
    """What was given is not a list of plans. ``field`` names the position, ``rule`` the broken rule."""

    def __init__(self, field_name: str, rule: str, message: str):
        self.field = field_name
        self.rule = rule
        self.message = message
        super().__init__(f"{field_name}: {message}")


def _check(plans: Any) -> List[Mapping[str, Any]]:
    if not isinstance(plans, (list, tuple)):
        raise ReviewInputError("plans", "type", f"must be a list of plans, got {type(plans).__name__}")
    for position, plan in enumerate(plans):
        if not isinstance(plan, Mapping) or not isinstance(plan.get("actions"), list):
            raise ReviewInputError(f"plans[{position}]", "not-a-plan",
                                   "is not a plan returned by purview.device_proxy.device_proxy_plan")
    return list(plans)


def evidence_word(topology: Mapping[str, Any]) -> str:
    """The topology's evidence in a word: inventory, the chassis or system type named, virtual machine..."""
    source = topology.get("source")
    if source == "inventory":
        return "inventory"
    evidence = topology.get("evidence") or []
    first = str(evidence[0]) if evidence else ""
    if source == "none" or not first:
        return "no evidence"
    if first.startswith(("chassis type", "PCSystemType")):
        named = _NAMED.search(first)
        if named:
            return named.group(1)
    if first.startswith("virtual machine"):
        return "virtual machine"
    if "battery" in first:
        return "battery"
    head = first.split(":", maxsplit=1)[0]
    return head if len(head.split()) <= 3 else str(source)


def _kind(action: Mapping[str, Any]) -> Tuple[str, str]:
    """A decision kind: the target and the reason's opening clause (set and keep of one rule share it)."""
    return str(action.get("target")), str(action.get("reason", "")).split(_CLAUSE, maxsplit=1)[0]


def _shared_clauses(reasons: Sequence[str]) -> int:
    """How many opening clauses every reason of a kind shares (all of them for a kind seen once)."""
    split = [reason.split(_CLAUSE) for reason in reasons]
    count = 0
    for clauses in zip(*split):
        if any(clause != clauses[0] for clause in clauses):
            break
        count += 1
    return count


def _rationales(plans: Sequence[Mapping[str, Any]]) -> Tuple[Dict[Tuple[str, str], int], Dict[Tuple[str, str], int]]:
    """Per decision kind: its number (order of first appearance) and how many clauses are its rationale."""
    reasons: Dict[Tuple[str, str], List[str]] = {}
    for plan in plans:
        for action in plan["actions"]:
            reasons.setdefault(_kind(action), []).append(str(action.get("reason", "")))
    numbers = {kind: position for position, kind in enumerate(reasons, 1)}
    shared = {kind: _shared_clauses(texts) for kind, texts in reasons.items()}
    return numbers, shared


def _cell(action: Mapping[str, Any]) -> str:
    verdict = str(action.get("action"))
    desired = action.get("desired") or {}
    value = desired.get("server") or desired.get("proxy") or desired.get("proxy_server")
    if action.get("target") == PREFER_STATIC_PROXY.name and desired.get("value") is not None:
        value = str(desired["value"])
    if verdict == REFUSE and action.get("cause"):
        return f"{verdict}: {action['cause']}"
    return f"{verdict} {value}" if value and verdict in (SET, KEEP) else verdict


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> List[str]:
    widths = [max(len(str(row[column])) for row in [header, *rows]) for column in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(cell).ljust(width) for cell, width in zip(cells, widths)) + " |"
    return [line(header), "|" + "|".join("-" * (width + 2) for width in widths) + "|", *(line(row) for row in rows)]


def fleet_table(plans: Any) -> List[str]:
    """One row per host, in the order given."""
    rows = []
    for plan in _check(plans):
        topology = plan.get("topology") or {}
        by_target = {action.get("target"): action for action in plan["actions"]}
        warnings = sum(1 for finding in plan.get("findings") or [] if finding.get("severity") == WARNING)
        rows.append([str(plan.get("host") or "device"), f"{topology.get('value')} ({evidence_word(topology)})",
                     *(_cell(by_target[target.name]) if target.name in by_target else "-" for target in TARGETS),
                     str(plan.get("changes", 0)), str(warnings)])
    header = ["host", "topology (evidence)", *(target.column for target in TARGETS), "changes", "warnings"]
    return _table(header, rows)


def fleet_review(plans: Any) -> List[str]:
    """Per-host details, the fleet table, then each decision kind's rationale once."""
    plans = _check(plans)
    numbers, shared = _rationales(plans)
    lines: List[str] = []
    for plan in plans:
        topology = plan.get("topology") or {}
        lines.append(f"{plan.get('host') or 'device'}: topology {topology.get('value')} ({evidence_word(topology)}), "
                     f"{plan.get('changes', 0)} change(s)")
        for action in plan["actions"]:
            kind = _kind(action)
            own = _CLAUSE.join(str(action.get("reason", "")).split(_CLAUSE)[shared[kind]:])
            lines.append(f"  {action.get('target')}: {action.get('action')} [W{numbers[kind]}]" + (f" {own}" if own else ""))
        for finding in plan.get("findings") or []:
            lines.append(f"  {finding.get('severity')}: {finding.get('message')}")
    lines.append("")
    lines.extend(fleet_table(plans))
    lines.append("")
    lines.append("Why (each decision kind once):")
    for kind, number in numbers.items():
        sample = next(str(action.get("reason", "")) for plan in plans for action in plan["actions"] if _kind(action) == kind)
        rationale = _CLAUSE.join(sample.split(_CLAUSE)[:shared[kind]])
        lines.append(f"  [W{number}] {kind[0]}: {rationale}")
    return lines


# The console summary: at most this many lines whatever the fleet size (the ansible-playbook output
# around it - play, task banners, recap - stays within 60 lines in all).
CONSOLE_LINES = 36
# The per-host table is shown on the console only for fleets this small; the files always hold it.
CONSOLE_TABLE_HOSTS = 8
VERDICTS = ("set", "remove", "keep", "report", "refuse")
_SHORT = 140


def _short(text: str) -> str:
    return text if len(text) <= _SHORT else text[:_SHORT - 3].rstrip() + "..."


def decision_kinds(plans: Sequence[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    """Each decision kind once: its number, target, rationale (the shared clauses) and how many hosts it covers."""
    numbers, shared = _rationales(plans)
    kinds: Dict[Tuple[str, str], Dict[str, Any]] = {}
    for plan in plans:
        for action in plan["actions"]:
            kind = _kind(action)
            if kind not in kinds:
                rationale = _CLAUSE.join(str(action.get("reason", "")).split(_CLAUSE)[:shared[kind]])
                kinds[kind] = {"id": f"W{numbers[kind]}", "target": kind[0], "rationale": rationale, "hosts": 0}
            kinds[kind]["hosts"] += 1
    return list(kinds.values())


def reason_id(plans: Sequence[Mapping[str, Any]]) -> Dict[Tuple[str, str], str]:
    numbers, _shared = _rationales(plans)
    return {kind: f"W{number}" for kind, number in numbers.items()}


def totals(plans: Sequence[Mapping[str, Any]]) -> Dict[str, Dict[str, int]]:
    """{target: {verdict: hosts}} in the registry's order."""
    counted = {target.name: {verdict: 0 for verdict in VERDICTS} for target in TARGETS}
    for plan in plans:
        for action in plan["actions"]:
            counted.setdefault(str(action.get("target")), {verdict: 0 for verdict in VERDICTS})
            verdict = str(action.get("action"))
            counted[str(action.get("target"))][verdict] = counted[str(action.get("target"))].get(verdict, 0) + 1
    return counted


def findings_once(plans: Sequence[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    """Each finding's message once (warnings first, then by number of hosts), numbered F1, F2..., with
    its severity and the hosts that have it."""
    grouped: Dict[Tuple[str, str], Dict[str, Any]] = {}
    for plan in plans:
        for finding in plan.get("findings") or []:
            key = (str(finding.get("severity")), str(finding.get("message")))
            entry = grouped.setdefault(key, {"severity": key[0], "message": key[1], "hosts": []})
            entry["hosts"].append(str(plan.get("host") or "device"))
    ordered = sorted(grouped.values(), key=lambda entry: (entry["severity"] != WARNING, -len(entry["hosts"])))
    return [dict(entry, id=f"F{number}") for number, entry in enumerate(ordered, 1)]


def finding_ids(found: Sequence[Mapping[str, Any]]) -> Dict[Tuple[str, str], str]:
    return {(entry["severity"], entry["message"]): entry["id"] for entry in found}


def needs_decision(plan: Mapping[str, Any], ids: Mapping[Tuple[str, str], str]) -> List[str]:
    """What on this host needs a person: refusals (with their cause) and warnings (conflicts, risks),
    a warning by its number (its message is said once, in the list of findings)."""
    items = [f"{action.get('target')} {_cell(action)}" for action in plan["actions"] if action.get("action") == REFUSE]
    items += [f"warning [{ids[(WARNING, str(finding.get('message')))]}]" for finding in plan.get("findings") or []
              if finding.get("severity") == WARNING]
    return items


def _capped(items: Sequence[str], room: int, more: str) -> List[str]:
    if len(items) <= room:
        return list(items)
    shown = max(room - 1, 0)
    return list(items[:shown]) + [f"  and {len(items) - shown} more, see {more}"]


def console_review(plans: Any, errors: Mapping[str, Mapping[str, str]], files: Mapping[str, str],
                   limit: int = CONSOLE_LINES) -> List[str]:
    """The fleet review for the console, at most ``limit`` lines: totals per target and action, each
    reason once with its number of hosts, the hosts that need a decision and those that cannot be
    planned (each list capped, pointing at the files), and where the full review is."""
    plans = _check(plans)
    changed = sum(1 for plan in plans if plan.get("changes"))
    head = [f"{len(plans) + len(errors)} host(s): {len(plans)} planned, {changed} with changes, "
            f"{len(errors)} cannot be planned"]
    width = max(len(target.column) for target in TARGETS)
    counted = totals(plans)
    head.append("  " + "target".ljust(width) + "".join(verdict.rjust(8) for verdict in VERDICTS))
    for target in TARGETS:
        head.append("  " + target.column.ljust(width) + "".join(str(counted[target.name][verdict]).rjust(8) for verdict in VERDICTS))
    if plans and len(plans) <= CONSOLE_TABLE_HOSTS:
        head += [""] + fleet_table(plans)
    where_md = files.get("md") or "the review files (set review_dir)"
    where_csv = files.get("csv") or where_md
    reasons = [f"  [{kind['id']}] {kind['target']}: {kind['rationale']} ({kind['hosts']} host(s))" for kind in decision_kinds(plans)]
    found = findings_once(plans)
    ids = finding_ids(found)
    warnings = [_short(f"  [{entry['id']}] {entry['message']}") + f" ({len(entry['hosts'])} host(s))"
                for entry in found if entry["severity"] == WARNING]
    decisions = []
    for plan in plans:
        items = needs_decision(plan, ids)
        if items:
            decisions.append(_short(f"  {plan.get('host') or 'device'}: " + "; ".join(items)))
    failed = [_short(f"  {host}: {error.get('message')}") for host, error in errors.items()]
    tail = ["Full review: " + ", ".join(files[key] for key in ("md", "csv", "json") if key in files)] if files else []
    sections = [("Why (each reason once, with its number of hosts):", reasons, where_md, 8),
                (f"Hosts that need a decision (refusals, conflicts, risks): {len(decisions)}", decisions, where_csv, 6),
                ("Warnings (each once, with its number of hosts):", warnings, where_md, 4),
                (f"Hosts that cannot be planned: {len(failed)}", failed, where_md, 4)]
    sections = [section for section in sections if section[1] or section[0].startswith("Hosts that need")]
    room = limit - len(head) - len(tail) - 2 * len(sections)
    # Each list first gets its share, then what is left goes to the lists in order.
    given = [min(len(items), share) for _title, items, _more, share in sections]
    left = room - sum(given)
    for position, (_title, items, _more, _share) in enumerate(sections):
        extra = max(min(len(items) - given[position], left), 0)
        given[position] += extra
        left -= extra
    lines = list(head)
    for (title, items, more, _share), room_of in zip(sections, given):
        lines += ["", title] + _capped(items, room_of, more)
    return lines + tail
