# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A value a policy enforces is not fought over: one target's action once its owners are known.

Each decider says which values its action writes (``ownership_checks``); ``decide_ownership``
(policy_ownership.py) decides per value; this module turns those decisions into the action's
verdict, reason and findings, the same way for every target.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Tuple

from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.decider import Decider
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.inputs import PlanInputs
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.vocabulary import (
    CHANGING_ACTIONS,
    KEEP,
    REFUSE,
    REPORT,
    WARNING,
    finding as _finding,
    rebuilder,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.policy_ownership import (
    KEEP as OWNER_KEEP,
    OVERRIDE as OWNER_OVERRIDE,
    REFUSE as OWNER_REFUSE,
    decide_ownership,
    describe_owner,
    same_value,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.policy_sources import (
    DOMAIN_GPO,
    GPP,
    LOCAL_GPO,
    MDM,
    OwnershipReport,
    PolicyOwner,
    ValueOwnership,
)


def enforcing_owners(ownership: ValueOwnership) -> str:
    return " and ".join(describe_owner(owner, ownership.location.ownership_field) for owner in ownership.owners if owner.enforced)


def policy_words(report: Optional[OwnershipReport], field_name: str) -> str:
    """What the facts say about a policy owning a value, for a warning about replacing it."""
    if report is None:
        return "the facts carry no policy evidence, so a GPO, Group Policy Preferences item or MDM policy may own it and write it back"
    ownership = report.values[field_name]
    if ownership.unread:
        return (f"no policy that could be read sets it, but {', '.join(ownership.unread)} could not be read: a policy there may "
                "write it back")
    return "no policy read sets it; another tool or script that wrote it may write it back"


def short_owner(owner: PolicyOwner) -> str:
    """A policy in a few words, for a fleet table cell: GPO "name", local Group Policy, GPP "name", MDM name."""
    if owner.source == DOMAIN_GPO:
        return f'GPO "{owner.name}"'
    if owner.source == LOCAL_GPO:
        return "local Group Policy"
    if owner.source == GPP:
        return f'GPP "{owner.name}"'
    if owner.source == MDM:
        return f"MDM {owner.name}"
    return owner.name


def conflicting_owners(ownership: ValueOwnership, desired: Any, same: Optional[Callable[[Any, Any], bool]] = None) -> str:
    """The enforcing policies that set another value than ``desired``, in a few words each."""
    compare = same or same_value
    return ", ".join(dict.fromkeys(short_owner(owner) for owner in ownership.owners
                                   if owner.enforced and not compare(owner.value, desired)))


def not_in_effect(ownership: ValueOwnership, now: str) -> str:
    """A value every enforcing policy sets to the wanted value while the device shows another one."""
    enforcing = [owner for owner in ownership.owners if owner.enforced]
    shown = "deleted" if enforcing[0].value is None else repr(enforcing[0].value)
    return (f"{enforcing_owners(ownership)} sets {ownership.location.name} to {shown}, the value this plan wants, but the "
            f"device shows {now}: the policy is not in effect (its processing failed, the RSoP is stale, or something "
            "local overwrote the value); find why and let the policy apply again (gpupdate /force for Group Policy); "
            "nothing is written while a policy owns the value")


def held_reason(reason: str) -> str:
    """A change's reason once nothing is written: what it would have replaced is what the device has."""
    return reason.replace("; replaces ", "; the device has ", 1)


def _named(action: Dict[str, Any], owned: List[str]) -> Dict[str, Any]:
    if owned:
        return dict(action, reason=f"{action['reason']}; set by {' and '.join(dict.fromkeys(owned))}")
    return action


def apply_ownership(decider: Decider, action: Dict[str, Any], report: Optional[OwnershipReport],
                    inputs: PlanInputs) -> Tuple[Dict[str, Any], List[Dict[str, str]]]:
    """The action once the policies that own its values are taken into account (decide_ownership decides)."""
    if report is None:
        return action, []
    findings: List[Dict[str, str]] = []
    checks = decider.ownership_checks(report, action)
    if not checks:
        # Nothing is wanted (WinHTTP left alone), or the decision applied the rule itself (Defender
        # Antivirus): a report still names who sets the value, so the reviewer knows whom to ask.
        owned = [enforcing_owners(report.values[name]) for name in decider.named_owners(action)]
        return _named(action, [words for words in owned if words]), findings
    decisions = [decide_ownership(ownership, desired, inputs.policy_conflict, same=same,
                                  option=inputs.name("policy_conflict"))
                 for ownership, desired, same, _in_place, _now in checks]
    base = action["action"]
    if base not in CHANGING_ACTIONS and base != KEEP:
        # Reported or refused already: nothing is written, so only who sets the value is said.
        return _named(action, [enforcing_owners(check.ownership) for check in checks if enforcing_owners(check.ownership)]), findings
    refused = [decision for decision in decisions if decision.action == OWNER_REFUSE]
    overridden = [decision for decision in decisions if decision.action == OWNER_OVERRIDE]
    kept = [decision for decision in decisions if decision.action == OWNER_KEEP]
    rebuild = rebuilder(action)
    if base in CHANGING_ACTIONS:
        owner_words = "; ".join(decision.reason for decision in refused + overridden + kept)
        if not owner_words:
            return action, findings
        reason = f"{action['reason']}; {owner_words}"
        if refused:
            # The reason says which setting of which policy to change; the finding only points at it.
            cause = ", ".join(dict.fromkeys(conflicting_owners(check.ownership, check.desired, check.same)
                                            for check, decision in zip(checks, decisions) if decision.action == OWNER_REFUSE))
            findings.append(_finding(WARNING, f"{action['target']}: not changed, {cause} enforces another value (the "
                                              "action's reason names the setting to change)"))
            return rebuild(REFUSE, held_reason(reason), cause), findings
        if kept and len(kept) == len(decisions):
            wrong = [not_in_effect(check.ownership, check.now) for check in checks if check.in_place is False]
            if wrong:
                findings.extend(_finding(WARNING, f"{action['target']}: {words}") for words in wrong)
                return rebuild(REPORT, f"{held_reason(action['reason'])}; {'; '.join(wrong)}"), findings
            return rebuild(KEEP, reason), findings
        for decision in overridden:
            findings.extend(_finding(WARNING, warning) for warning in decision.warnings)
        return dict(action, reason=reason), findings
    # KEEP: right today. A policy with the same value is named; one with another value puts it back
    # at its next refresh, whatever policy_conflict says (nothing is written now).
    words = [decision.reason for decision in kept]
    for (ownership, desired, same, _in_place, _now), decision in zip(checks, decisions):
        if decision.action in (OWNER_REFUSE, OWNER_OVERRIDE):
            compare = same or same_value
            for owner in ownership.owners:
                if owner.enforced and not compare(owner.value, desired):
                    shown = "deleted" if owner.value is None else repr(owner.value)
                    text = (f"{ownership.location.name} is right now, but "
                            f"{describe_owner(owner, ownership.location.ownership_field)} sets it to {shown}: the next policy "
                            "refresh changes it; change that policy")
                    words.append(text)
                    findings.append(_finding(WARNING, f"{action['target']}: {text}"))
    if words:
        action = dict(action, reason=f"{action['reason']}; {'; '.join(words)}")
    return action, findings
