# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Owners of the managed values from the Resultant Set of Policy (``root\\rsop\\computer``).

The evidence shape is documented in :mod:`policy_sources` (``rsop``). Deletion instructions
(``**del.``, ``**delvals.``, ``**DeleteValues``, ``**DeleteKeys``, in the value name or the
``command`` property, any letter case as [MS-GPREG] 2.2.1 reads them) own the values they delete.
"""

from __future__ import annotations

import binascii
import re
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ansible_collections.purview.device_proxy.plugins.plugin_utils import policy_registry_pol as preg
from ansible_collections.purview.device_proxy.plugins.plugin_utils.policy_model import (
    DELETE,
    DOMAIN_GPO,
    LOCAL_GPO,
    LOCAL_GPO_ID,
    LOCAL_GPO_NAME,
    SET,
    SET_IF_ABSENT,
    PolicyEvidenceError,
    PolicyOwner,
    _int,
    _mapping,
    _sequence,
    _text,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.policy_registry_pol import RegistryPolError, decode_data
from ansible_collections.purview.device_proxy.plugins.plugin_utils.registry_locations import (
    MANAGED_LOCATIONS,
    RSOP_LOGGING,
    RegistryLocation,
    find_location,
    normal_key,
)


def _rsop_bytes(value: Any, name: str) -> bytes:
    if value is None:
        return b""
    if isinstance(value, str):
        try:
            return binascii.unhexlify(value.strip())
        except (binascii.Error, ValueError):
            raise PolicyEvidenceError(name, "hex", "must be hex text or a list of byte numbers") from None
    if isinstance(value, (list, tuple)) and all(isinstance(b, int) and not isinstance(b, bool) and 0 <= b <= 255 for b in value):
        return bytes(value)
    raise PolicyEvidenceError(name, "type", "must be hex text or a list of byte numbers 0-255")


def _gpo_names(rsop: Mapping[str, Any]) -> Dict[str, str]:
    names = {}
    for position, gpo in enumerate(_sequence(rsop.get("gpos") or [], "rsop.gpos")):
        where = "rsop.gpos[%d]" % position
        gpo = _mapping(gpo, where)
        gpo_id = _text(gpo.get("id", ""), where + ".id")
        name = gpo.get("name")
        if isinstance(name, str) and name:
            names[gpo_id.lower()] = name
            guid = gpo.get("guidName")
            if isinstance(guid, str) and guid:
                names[guid.lower()] = name
    return names


def _gpo_guid(gpo_id: str) -> Optional[str]:
    match = re.search(r"\{[0-9A-Fa-f-]{36}\}", gpo_id)
    return match.group(0) if match else None


def _gpo_name(gpo_id: str, names: Mapping[str, str]) -> str:
    name = names.get(gpo_id.lower())
    if name is None:
        guid = _gpo_guid(gpo_id)
        name = names.get(guid.lower()) if guid else None
    return name or gpo_id


def _rsop_directive(setting: Mapping[str, Any], where: str) -> Tuple[str, str]:
    """The instruction of an RSoP setting: in its value name, or (value name plain) in ``command``."""
    directive, target = preg.directive_of(_text(setting.get("valueName", ""), where + ".valueName"))
    command = setting.get("command")
    if directive == preg.SET and isinstance(command, str) and command.startswith("**"):
        command_directive, command_target = preg.directive_of(command)
        if command_directive != preg.UNKNOWN_DIRECTIVE:
            return command_directive, command_target or target
    return directive, target


def _rsop_touches(setting: Mapping[str, Any], where: str) -> List[Tuple[RegistryLocation, str, bool]]:
    """The managed values one RSoP setting sets or deletes: ``(location, action, specific)``.

    ``specific`` is False for the bulk deletions (``**delvals.``, ``**DeleteKeys``), which a value
    written by the same GPO at the same precedence overrides (a file clears a key, then writes it).
    """
    key = _text(setting.get("registryKey", ""), where + ".registryKey")
    directive, target = _rsop_directive(setting, where)
    if directive in (preg.SET, preg.SET_IF_ABSENT, preg.DELETE_VALUE):
        location = find_location(key, target)
        if location is None:
            return []
        if directive == preg.DELETE_VALUE or setting.get("deleted") is True:
            return [(location, DELETE, True)]
        return [(location, SET if directive == preg.SET else SET_IF_ABSENT, True)]
    if directive == preg.DELETE_ALL_VALUES:
        return [(location, DELETE, False) for location in MANAGED_LOCATIONS if normal_key(location.path) == normal_key(key)]
    if directive in (preg.DELETE_VALUES, preg.DELETE_KEYS):
        try:
            _end, names = preg.name_list(_rsop_bytes(setting.get("value"), where + ".value"), 0)
        except RegistryPolError as err:
            raise PolicyEvidenceError(where + ".value", err.rule, err.message) from None
        if directive == preg.DELETE_VALUES:
            wanted = {name.lower() for name in names}
            return [(location, DELETE, True) for location in MANAGED_LOCATIONS
                    if normal_key(location.path) == normal_key(key) and location.name.lower() in wanted]
        deleted = [normal_key(key + "\\" + name) for name in names]
        return [(location, DELETE, False) for location in MANAGED_LOCATIONS
                if any(normal_key(location.path) == item or normal_key(location.path).startswith(item + "\\") for item in deleted)]
    return []


def rsop_owners(rsop: Any) -> Dict[str, List[PolicyOwner]]:
    """Owners per managed field from an RSoP answer: the winning instance (lowest precedence) of each.

    Deletion instructions (``**del.``, ``**delvals.``, ``**DeleteValues``, ``**DeleteKeys``, any case)
    own the values they delete, as a setting of the value does.
    """
    rsop = _mapping(rsop, "rsop")
    names = _gpo_names(rsop)
    # field -> (precedence, specific, setting, action, losers)
    winners: Dict[str, Tuple[int, bool, Dict[str, Any], str, List[str]]] = {}
    for position, setting in enumerate(_sequence(rsop.get("settings") or [], "rsop.settings")):
        where = "rsop.settings[%d]" % position
        setting = _mapping(setting, where)
        touched = _rsop_touches(setting, where)
        if not touched:
            continue
        precedence = _int(setting.get("precedence", 1), where + ".precedence")
        gpo_id = _text(setting.get("GPOID", ""), where + ".GPOID")
        for location, action, specific in touched:
            current = winners.get(location.ownership_field)
            wins = current is None or precedence < current[0] or (
                precedence == current[0] and specific and not current[1] and current[2]["GPOID"] == gpo_id)
            if wins:
                others = [] if current is None else current[4] + [_gpo_name(current[2]["GPOID"], names)]
                winners[location.ownership_field] = (precedence, specific, dict(setting, _where=where), action, others)
            else:
                current[4].append(_gpo_name(gpo_id, names))
    owners: Dict[str, List[PolicyOwner]] = {}
    for field_name, (precedence, _specific, setting, action, others) in winners.items():
        where = setting["_where"]
        gpo_id = setting["GPOID"]
        local = gpo_id == LOCAL_GPO_ID
        source, name = (LOCAL_GPO, LOCAL_GPO_NAME) if local else (DOMAIN_GPO, _gpo_name(gpo_id, names))
        detail = "RSoP precedence %d" % precedence
        others = sorted(set(others) - {name})
        if others:
            detail += "; also set by %s, which lose%s" % (", ".join(others), "" if len(others) > 1 else "s")
        if action == DELETE:
            owner = PolicyOwner(source, name, DELETE, None, None, True, detail)
        else:
            raw = _rsop_bytes(setting.get("value"), where + ".value")
            try:
                kind, value = decode_data(_int(setting.get("valueType", 0), where + ".valueType"), raw, 0)
            except RegistryPolError as err:
                raise PolicyEvidenceError(where + ".value", err.rule, err.message) from None
            owner = PolicyOwner(source, name, action, kind, value, action == SET, detail)
        owners[field_name] = [owner]
    return owners


def rsop_unreadable(rsop: Mapping[str, Any]) -> Optional[str]:
    """Why an RSoP answer that came back says nothing reliable about the GPOs, or None when it does."""
    logging_policy = rsop.get("logging_policy")
    if isinstance(logging_policy, Mapping) and logging_policy.get("kind") == "DWord" and logging_policy.get("data") == 0:
        return ("RSoP logging is turned off by policy (%s = 0, \"Turn off Resultant Set of Policy logging\"), so the RSoP "
                "data is not kept up to date" % RSOP_LOGGING.display)
    if not rsop.get("gpos") and not rsop.get("settings"):
        return ("RSoP answered with no GPO at all, not even the local Group Policy that every logged policy processing "
                "records: its data is not written (RSoP logging off, or Group Policy not processed since it was cleared)")
    return None
