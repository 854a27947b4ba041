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
