# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The engine of the modules that hold a few HKLM registry values (internal to this collection).

telemetry_proxy and defender_av_proxy differ only in which values they manage (the rows of the
settings table, ``registry_locations``, that name them) and how options become values. Everything
else is here, once: the ``_values`` their one target body receives (``RegistryValueModule.psm1``,
which holds them all or nothing), reading the reply, the comparison the target makes, check mode,
the read-back, the result fields and the ``.reg`` diff.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.purview.device_proxy.plugins.plugin_utils.registry_locations import RegistryLocation
from ansible_collections.purview.device_proxy.plugins.plugin_utils.raw_registry_value import RegistryValue
from ansible_collections.purview.device_proxy.plugins.plugin_utils.reg_file import reg_file_text
from ansible_collections.purview.device_proxy.plugins.plugin_utils.windows_module import (
    Outcome,
    OutcomeError,
    TargetSession,
)

# A desired value: "present" with the RegistryValue to hold, "absent", or "read" (left as it is).
Desired = Tuple[str, Optional[RegistryValue]]

READ: Desired = ("read", None)
ABSENT: Desired = ("absent", None)


def module_values(slots: Sequence[RegistryLocation], wanted: Mapping[str, Desired]) -> List[Dict[str, Any]]:
    """The ``_values`` argument of the target script, in ``slots`` order; ``wanted`` is by result key."""
    values = []
    for location in slots:
        state, value = wanted[location.result_key]
        entry: Dict[str, Any] = {"path": location.path, "name": location.name, "state": state}
        if value is not None:
            entry.update(kind=value.kind, data=value.data)
        values.append(entry)
    return values


def reported_values(raw: Any, slots: Sequence[RegistryLocation]) -> Dict[str, Tuple[Optional[RegistryValue], Optional[RegistryValue]]]:
    """(before, after) per key from the target's ``raw.values``; a value it did not report is an error."""
    entries = raw.get("values") if isinstance(raw, dict) else None
    if not isinstance(entries, list):
        raise OutcomeError("the target's reply has no list of values")
    by_location = {(str(entry.get("path", "")).lower(), str(entry.get("name", "")).lower()): entry
                   for entry in entries if isinstance(entry, dict)}
    reported = {}
    for location in slots:
        entry = by_location.get((location.path.lower(), location.name.lower()))
        if entry is None:
            raise OutcomeError("the target did not report %s\\%s" % (location.path, location.name))
        reported[location.result_key] = (RegistryValue.from_raw(entry.get("before")), RegistryValue.from_raw(entry.get("after")))
    return reported


def holds(current: Optional[RegistryValue], desired: Desired) -> bool:
    """Whether a value already is what it must become: the exact kind and data, as the target compares."""
    state, value = desired
    if state == "read":
        return True
    if state == "absent":
        return current is None
    if current is None or value is None or current.kind != value.kind:
        return False
    if isinstance(current.data, int) and isinstance(value.data, int):
        return current.data == value.data
    if value.kind in ("DWord", "QWord"):
        return False  # a number that did not read back as one is not the number
    return str(current.data) == str(value.data)


def hold_values(session: TargetSession, args: Dict[str, Any], slots: Sequence[RegistryLocation], wanted: Mapping[str, Desired],
                diff_keys: Sequence[str], warnings: Iterable[str] = ()) -> Outcome:
    """Send ``wanted`` (by each slot's result key) with ``args`` in one call and shape the outcome.

    ``diff_keys`` are the registry keys the ``.reg`` diff shows, in order. Outside check mode a
    value that does not read back as requested fails the task (the target wrote it, or put the
    previous values back after a failure).
    """
    args = dict(args, _values=module_values(slots, wanted))
    reply = session.call(args)
    reported = reported_values(reply["raw"], slots)
    keys = [location.result_key for location in slots]
    before = {key: reported[key][0] for key in keys}
    changed = not all(holds(before[key], wanted[key]) for key in keys)
    if session.check_mode:
        after = {key: before[key] if wanted[key][0] == "read" else wanted[key][1] for key in keys}
    else:
        after = {key: reported[key][1] for key in keys}
        stuck = [location.name for location in slots if not holds(after[location.result_key], wanted[location.result_key])]
        if stuck:
            raise OutcomeError("the target did not hold the requested value of %s after writing it" % ", ".join(stuck))

    def fields(values: Mapping[str, Optional[RegistryValue]]) -> Dict[str, Any]:
        return {key: (None if values[key] is None else values[key].data) for key in keys}

    def diff(values: Mapping[str, Optional[RegistryValue]]) -> str:
        return reg_file_text(diff_keys, ((location.path, location.name, values[location.result_key]) for location in slots))

    return Outcome(changed=changed, before=fields(before), after=fields(after), diff_before=diff(before),
                   diff_after=diff(after), extra={"raw": reply["raw"]}, warnings=list(warnings))
