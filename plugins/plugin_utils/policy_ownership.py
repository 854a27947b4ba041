# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What to do with a value that a policy may own: keep, refuse, override, or decide as usual.

Writing a value that a Group Policy, a Group Policy Preferences item or an MDM policy sets is a
fight the collection loses: the next policy refresh puts the policy's value back and every run
reports ``changed`` again. :func:`decide_ownership` is the one rule:

* no policy enforces the value: ``unowned`` (the caller decides as it would anyway);
* every enforcing policy sets the desired value: ``keep``, with the owner named;
* an enforcing policy sets something else: ``refuse`` by default, naming the policy to change;
  with ``policy_conflict: override`` the value is written (``override``) with a warning that the
  next refresh reverts it.

Owners that do not enforce (create-only or run-once preference items, ``**soft.`` values, an MDM
TelemetryProxy whose registry effect is undocumented) never block a change; they are named.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional, Tuple

from ansible_collections.purview.device_proxy.plugins.module_utils._input_error import InputError
from ansible_collections.purview.device_proxy.plugins.plugin_utils.policy_sources import (
    DOMAIN_GPO,
    GPP,
    LOCAL_GPO,
    MDM,
    PolicyOwner,
    ValueOwnership,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.registry_locations import BY_FIELD

KEEP = "keep"
REFUSE = "refuse"
OVERRIDE = "override"
UNOWNED = "unowned"

POLICY_CONFLICT_CHOICES = ("refuse", "override")


class PolicyConflictInputError(InputError):
    """Bad ``policy_conflict`` input. ``field`` names the input, ``rule`` the broken rule."""


@dataclass(frozen=True)
class OwnershipDecision:
    action: str
    reason: str
    owners: Tuple[Dict[str, Any], ...] = ()
    warnings: Tuple[str, ...] = ()

    @property
    def writes(self) -> bool:
        """Whether the caller may write the value (it still decides whether it needs to)."""
        return self.action in (UNOWNED, OVERRIDE)

    def as_dict(self) -> Dict[str, Any]:
        return {"action": self.action, "reason": self.reason, "owners": list(self.owners), "warnings": list(self.warnings)}


def same_value(left: Any, right: Any) -> bool:
    """Registry data equality as the modules compare it: numbers as numbers, text exactly, hex in any case."""
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, bool) or isinstance(right, bool):
        left, right = (int(v) if isinstance(v, bool) else v for v in (left, right))
    if isinstance(left, int) or isinstance(right, int):
        try:
            return int(left) == int(right)
        except (TypeError, ValueError):
            return False
    if isinstance(left, (list, tuple)) or isinstance(right, (list, tuple)):
        return isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)) and list(map(str, left)) == list(map(str, right))
    return str(left) == str(right)


def describe_owner(owner: PolicyOwner, field_name: str) -> str:
    """The policy to change, in the words an administrator looks for."""
    # The Administrative Templates setting that writes the value (Computer Configuration), from the settings table.
    managed = BY_FIELD.get(field_name)
    setting = managed.group_policy if managed else None
    at = " (Computer Configuration > Administrative Templates > %s)" % setting if setting else ""
    if owner.source == DOMAIN_GPO:
        return 'the Group Policy object "%s"%s' % (owner.name, at)
    if owner.source == LOCAL_GPO:
        return "the local Group Policy (gpedit.msc%s)" % (", " + at.strip(" ()") if at else "")
    if owner.source == GPP:
        return 'the Group Policy Preferences registry item in "%s" (Computer Configuration > Preferences > ' \
               'Windows Settings > Registry)' % owner.name
    if owner.source == MDM:
        return "the MDM policy %s (Intune or the MDM service that manages the device)" % owner.name
    return owner.name


def _value_words(value: Any) -> str:
    return "deleted" if value is None else repr(value)


def decide_ownership(ownership: ValueOwnership, desired: Any, policy_conflict: str = "refuse",
                     same: Optional[Callable[[Any, Any], bool]] = None,
                     option: str = "policy_conflict") -> OwnershipDecision:
    """The decision for one value. ``desired`` None means the value must be absent.

    ``same`` compares an owner's value with ``desired`` (default :func:`same_value`); pass a
    normalising comparison for addresses. Raises PolicyConflictInputError for a bad ``policy_conflict``.
    """
    if policy_conflict not in POLICY_CONFLICT_CHOICES:
        raise PolicyConflictInputError(option, "choices", "must be one of %s, got %r"
                                       % (", ".join(POLICY_CONFLICT_CHOICES), policy_conflict))
    compare = same or same_value
    field_name = ownership.location.ownership_field
    what = ownership.location.name
    owners = tuple(owner.as_dict() for owner in ownership.owners)
    enforcing = [owner for owner in ownership.owners if owner.enforced]
    advisory = [owner for owner in ownership.owners if not owner.enforced]
    advisory_words = "; ".join("%s also names it (%s, not enforced: %s)" % (describe_owner(o, field_name), _value_words(o.value), o.detail)
                               for o in advisory)

    if not enforcing:
        reason = "no policy enforces %s" % what
        if ownership.unread:
            reason += " as far as could be read (not read: %s)" % ", ".join(ownership.unread)
        if advisory_words:
            reason += "; " + advisory_words
        return OwnershipDecision(UNOWNED, reason, owners)

    conflicting = [owner for owner in enforcing if not compare(owner.value, desired)]
    if not conflicting:
        names = " and ".join(describe_owner(owner, field_name) for owner in enforcing)
        return OwnershipDecision(KEEP, "%s is owned by %s, which sets the same value (%s): nothing to write, the policy "
                                       "keeps it" % (what, names, _value_words(desired)), owners)

    fights = "; ".join("%s sets %s to %s" % (describe_owner(owner, field_name), what, _value_words(owner.value))
                       for owner in conflicting)
    if policy_conflict == "refuse":
        return OwnershipDecision(
            REFUSE,
            "%s, not the requested %s: writing it would be reverted at the next policy refresh and reported as changed on "
            "every run. Change the value in that policy, or set %s: override to write it anyway" % (fights, _value_words(desired), option),
            owners)
    warning = ("%s is written against policy (%s: override): %s, so the next policy refresh reverts it"
               % (what, option, fights))
    return OwnershipDecision(OVERRIDE, "%s; written anyway because %s is override" % (fights, option), owners, (warning,))
