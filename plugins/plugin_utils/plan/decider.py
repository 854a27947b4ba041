# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a target decider is: the steps the plan runs for each target, in the order of the registry.

For each target, in turn: ``decide`` (the documented rule, from the inputs and the device's state),
the ownership check (``ownership_checks``: the values its module writes, each with the wanted value
and how to compare, for ``policy_ownership.decide_ownership``; ``named_owners``: the values whose
enforcing policies are only named), then ``follow`` (what the decisions already made mean for this
one). Once every target is decided: the risk hooks (``risks``, one per kind of risk, run kind by
kind), the closing ``notes``, and ``apply`` (the module call the target contributes, if any).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, NamedTuple, Optional, Tuple

from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.current_state import CurrentState
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.inputs import PlanInputs
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.vocabulary import Target
from ansible_collections.purview.device_proxy.plugins.plugin_utils.policy_sources import OwnershipReport, ValueOwnership

Action = Dict[str, Any]
Findings = List[Dict[str, str]]


class OwnershipCheck(NamedTuple):
    """One registry value an action's module writes, for the ownership rule."""

    ownership: ValueOwnership
    desired: Any                                        # the value the action leaves behind (None: absent)
    same: Optional[Callable[[Any, Any], bool]] = None   # compares an owner's value with ``desired``
    in_place: Optional[bool] = None                     # the device holds ``desired`` now; None: the facts do not say
    now: str = ""                                       # the device's value in words


# Kinds of risk, in the order the review lists them.
STALE_PROXY = "stale-proxy"
DROPPED_BYPASS = "dropped-bypass"
FOREIGN_VALUE = "foreign-value"
RISK_KINDS = (STALE_PROXY, DROPPED_BYPASS, FOREIGN_VALUE)


@dataclass
class PlanContext:
    """One device's plan in the making: the inputs, what the facts say, and the actions decided so far."""

    inputs: PlanInputs
    facts: Mapping[str, Any]
    current: CurrentState
    topology: str
    ownership: Optional[OwnershipReport]
    topology_evidence: Tuple[str, ...] = ()
    decided: Dict[str, Action] = field(default_factory=dict)


def _no_checks(report: OwnershipReport, action: Action) -> List[OwnershipCheck]:
    return []


def _no_names(action: Action) -> Tuple[str, ...]:
    return ()


def _unchanged(context: PlanContext, action: Action) -> Tuple[Action, Findings]:
    return action, []


def _no_notes(context: PlanContext, action: Action) -> Findings:
    return []


def _no_call(decided: Mapping[str, Action]) -> Optional[Dict[str, Any]]:
    return None


@dataclass(frozen=True)
class Decider:
    target: Target
    decide: Callable[[PlanContext], Tuple[Action, Findings]]
    ownership_checks: Callable[[OwnershipReport, Action], List[OwnershipCheck]] = _no_checks
    named_owners: Callable[[Action], Tuple[str, ...]] = _no_names
    follow: Callable[[PlanContext, Action], Tuple[Action, Findings]] = _unchanged
    risks: Mapping[str, Callable[[PlanContext, Mapping[str, Action]], Findings]] = field(default_factory=dict)
    notes: Callable[[PlanContext, Action], Findings] = _no_notes
    apply: Callable[[Mapping[str, Action]], Optional[Dict[str, Any]]] = _no_call
