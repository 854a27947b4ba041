# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The owner model the policy evidence parsers share: sources, owners, per-value ownership, the error.

:mod:`policy_sources` documents the evidence and resolves it; the parsers of each source
(:mod:`policy_rsop`, the Registry.pol, MDM and Group Policy Preferences readers) build these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.purview.device_proxy.plugins.module_utils._input_error import InputError
from ansible_collections.purview.device_proxy.plugins.plugin_utils.registry_locations import RegistryLocation

DOMAIN_GPO = "domain_gpo"
LOCAL_GPO = "local_gpo"
MDM = "mdm"
GPP = "gpp"
NONE = "none"
SOURCES = (DOMAIN_GPO, LOCAL_GPO, GPP, MDM)

SET = "set"
SET_IF_ABSENT = "set_if_absent"
DELETE = "delete"

LOCAL_GPO_ID = "LocalGPO"
LOCAL_GPO_NAME = "Local Group Policy"


class PolicyEvidenceError(InputError):
    """The evidence has the wrong shape. ``field`` names the part, ``rule`` the broken rule."""


@dataclass(frozen=True)
class PolicyOwner:
    """One policy that sets (or deletes) a value.

    ``enforced`` is True when the next policy refresh puts the owner's value back (a GPO setting,
    a GPP item that updates, replaces or deletes, an ADMX-backed MDM policy); False for
    "create only" items, ``**soft.`` values, run-once items and MDM settings whose effect on the
    value is not documented. ``value`` is None when the owner deletes the value.
    """

    source: str
    name: str
    action: str
    kind: Optional[str]
    value: Any
    enforced: bool
    detail: str = ""

    def as_dict(self) -> Dict[str, Any]:
        return {"source": self.source, "name": self.name, "action": self.action, "kind": self.kind,
                "value": self.value, "enforced": self.enforced, "detail": self.detail}


@dataclass(frozen=True)
class ValueOwnership:
    """Every owner found for one managed value; ``unread`` lists the sources that could not be read."""

    location: RegistryLocation
    owners: Tuple[PolicyOwner, ...] = ()
    unread: Tuple[str, ...] = ()

    @property
    def source(self) -> str:
        """The first owner's source, ``none`` when no source read sets it, ``unknown`` when one was not read."""
        if self.owners:
            return self.owners[0].source
        return "unknown" if self.unread else NONE

    def as_dict(self) -> Dict[str, Any]:
        return {"location": self.location.display, "source": self.source,
                "owners": [owner.as_dict() for owner in self.owners], "unread": list(self.unread)}


@dataclass
class OwnershipReport:
    values: Dict[str, ValueOwnership]
    findings: List[Dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> Dict[str, Any]:
        return {"values": {name: value.as_dict() for name, value in self.values.items()}, "findings": list(self.findings)}


def _finding(severity: str, message: str) -> Dict[str, str]:
    return {"severity": severity, "message": message}


def _mapping(value: Any, name: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PolicyEvidenceError(name, "type", "must be a mapping, got %s" % type(value).__name__)
    return value


def _sequence(value: Any, name: str) -> Sequence[Any]:
    if not isinstance(value, (list, tuple)):
        raise PolicyEvidenceError(name, "type", "must be a list, got %s" % type(value).__name__)
    return value


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise PolicyEvidenceError(name, "type", "must be text, got %s" % type(value).__name__)
    return value


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.strip().isdigit():
            return int(value.strip())
        raise PolicyEvidenceError(name, "type", "must be a number, got %r" % (value,))
    return value
