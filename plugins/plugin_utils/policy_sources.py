# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who sets each value the collection manages: domain GPO, local GPO, MDM, GPP, or nothing known.

The target only reads; this module turns what it read into one owner model. The evidence is a
mapping (every part optional, ``None`` meaning "not read"):

``rsop``
    the Resultant Set of Policy of the computer (``root\\rsop\\computer``):
    ``{"settings": [...], "gpos": [...], "error": null}``. ``settings`` are
    ``RSOP_RegistryPolicySetting`` instances with ``registryKey``, ``valueName``, ``valueType``
    (REG_* number), ``value`` (the raw bytes as hex text or a list of byte numbers, as
    ``ConvertTo-Json`` writes a ``uint8[]``), ``deleted``, ``GPOID`` and ``precedence`` (1 wins);
    ``gpos`` are ``RSOP_GPO`` instances with ``id`` (what ``GPOID`` refers to), ``name`` and
    ``guidName``; ``command`` (optional) is the setting's ``command`` property; ``logging_policy``
    (optional) the ``RSoPLogging`` policy value as RawRegistry reads it (``{kind, data}``, null when
    absent). An answer without a single GPO is RSoP data never written (every policy processing
    that logs RSoP records at least the local GPO), and ``RSoPLogging`` 0 turns logging off: both
    leave the domain GPOs unknown, never "none". Classes: https://learn.microsoft.com/en-us/previous-versions/windows/desktop/policy/rsop-registrypolicysetting
    and https://learn.microsoft.com/en-us/previous-versions/windows/desktop/policy/rsop-gpo.
``local_registry_pol``
    the local Group Policy's ``Machine\\Registry.pol`` as hex text (parsed by
    :mod:`policy_registry_pol`); an empty string when the file does not exist.
``mdm``
    ``HKLM\\SOFTWARE\\Microsoft\\PolicyManager\\current\\device``: ``{area: {value name: {kind, data}}}``
    as the target's RawRegistry reads the values of each area key.
``gpp``
    Group Policy Preferences registry items: a list of ``{"gpo_id", "gpo_name", "xml"}`` with the
    Registry client-side extension's ``Registry.xml`` of each applied GPO that has one.

:func:`resolve_ownership` returns, per managed value, every owner found, in the order Group Policy
applies them (domain GPOs win over the local GPO), and findings such as the MDM caveat.
"""

from __future__ import annotations

import binascii
import re
from typing import Any, Dict, List, Mapping, Optional, Tuple
from xml.etree import ElementTree

from ansible_collections.purview.device_proxy.plugins.plugin_utils import policy_registry_pol as preg
from ansible_collections.purview.device_proxy.plugins.plugin_utils.policy_model import (  # noqa: F401 (the model is re-exported)
    DELETE,
    DOMAIN_GPO,
    GPP,
    LOCAL_GPO,
    LOCAL_GPO_NAME,
    MDM,
    SET,
    SET_IF_ABSENT,
    SOURCES,
    OwnershipReport,
    PolicyEvidenceError,
    PolicyOwner,
    ValueOwnership,
    _finding,
    _mapping,
    _sequence,
    _text,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.policy_registry_pol import (
    PolReading,
    RegistryPolError,
    policy_effect,
    read_registry_pol_hex,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.policy_rsop import (  # noqa: F401 (re-exported)
    _gpo_name,
    _gpo_names,
    rsop_owners,
    rsop_unreadable,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.registry_locations import (
    DISABLE_ENTERPRISE_AUTH_PROXY,
    MANAGED_LOCATIONS,
    TELEMETRY_PROXY_SERVER,
    RegistryLocation,
    find_location,
    normal_key,
)

# A Registry.xml is a few kilobytes; anything far larger is not one.
MAX_GPP_XML = 1024 * 1024

_GPP_ACTIONS = {"C": "create", "R": "replace", "U": "update", "D": "delete"}


# ---------------------------------------------------------------------------------------------
# local Group Policy (Registry.pol)
# ---------------------------------------------------------------------------------------------

def _problem_touches(problem: preg.PolProblem, location: RegistryLocation) -> bool:
    """Whether an unreadable record may have been about ``location`` (unknown key: it may)."""
    if problem.key is None or problem.value_name is None:
        return True
    record_key, wanted_key = normal_key(problem.key), normal_key(location.path)
    directive, target = preg.directive_of(problem.value_name)
    if directive == preg.DELETE_KEYS:
        return wanted_key == record_key or wanted_key.startswith(record_key + "\\")
    if record_key != wanted_key:
        return False
    if directive in (preg.SET, preg.SET_IF_ABSENT, preg.DELETE_VALUE):
        return target.lower() == location.name.lower()
    return directive in (preg.DELETE_ALL_VALUES, preg.DELETE_VALUES)


def local_pol_reading(hex_text: Any) -> Tuple[Dict[str, List[PolicyOwner]], Dict[str, List[str]], Tuple[str, ...]]:
    """(owners, unread, problems) from the local GPO's Registry.pol (hex).

    The records that could be read give the owners; ``unread`` names, per managed field, the bad
    records that may have been about it (every field after a framing error, since nothing after it
    was read); ``problems`` describes each bad record. Raises RegistryPolError for a bad header.
    """
    if hex_text == "":
        return {}, {}, ()
    reading: PolReading = read_registry_pol_hex(hex_text)
    owners: Dict[str, List[PolicyOwner]] = {}
    unread: Dict[str, List[str]] = {}
    for location in MANAGED_LOCATIONS:
        effect = policy_effect(reading.records, location.path, location.name)
        if effect is not None:
            action = DELETE if effect.action == "delete" else effect.action
            owners[location.ownership_field] = [PolicyOwner(
                LOCAL_GPO, LOCAL_GPO_NAME, action, effect.kind, effect.value, action != SET_IF_ABSENT,
                "Registry.pol record at byte %d" % effect.offset)]
        for problem in reading.problems:
            if not problem.resumed:
                unread.setdefault(location.ownership_field, []).append(
                    "local Group Policy (Registry.pol unreadable from byte %d)" % problem.offset)
            elif _problem_touches(problem, location):
                unread.setdefault(location.ownership_field, []).append(
                    "local Group Policy (Registry.pol record at byte %d unreadable)" % problem.offset)
    return owners, unread, tuple(problem.describe() for problem in reading.problems)


# ---------------------------------------------------------------------------------------------
# MDM (PolicyManager\current\device)
# ---------------------------------------------------------------------------------------------

_ADMX_STATE = re.compile(r"^\s*<\s*(enabled|disabled)\s*/\s*>", re.IGNORECASE)
_ADMX_DATA = re.compile(r"<\s*data\s+id\s*=\s*\"([^\"]*)\"\s+value\s*=\s*\"([^\"]*)\"\s*/\s*>", re.IGNORECASE)


def _admx_value(text: str, element_id: str) -> Tuple[str, Optional[str]]:
    """(action, value) of an ADMX-backed policy's data: ``<enabled/><data id="..." value="..."/>``."""
    state = _ADMX_STATE.match(text)
    if state is None:
        return SET, text
    if state.group(1).lower() == "disabled":
        return DELETE, None
    data = {key.lower(): value for key, value in _ADMX_DATA.findall(text)}
    value = data.get(element_id.lower())
    if value is None and len(data) == 1:
        value = next(iter(data.values()))
    return SET, value


def mdm_owners(mdm: Any) -> Dict[str, List[PolicyOwner]]:
    mdm = _mapping(mdm, "mdm")
    areas = {str(area).lower(): (str(area), values) for area, values in mdm.items()}
    owners: Dict[str, List[PolicyOwner]] = {}
    for location in MANAGED_LOCATIONS:
        if location.mdm is None:
            continue
        area, policy = location.mdm
        found = areas.get(area.lower())
        if found is None:
            continue
        values = _mapping(found[1], "mdm.%s" % found[0])
        by_name = {str(name).lower(): (str(name), raw) for name, raw in values.items()}
        entry = by_name.get(policy.lower())
        if entry is None or entry[1] is None:
            continue
        where = "mdm.%s.%s" % (found[0], entry[0])
        raw = _mapping(entry[1], where)
        data = raw.get("data")
        kind = str(raw.get("kind", ""))
        winning = by_name.get((policy + "_WinningProvider").lower())
        provider = ""
        if winning and isinstance(winning[1], Mapping) and isinstance(winning[1].get("data"), str):
            provider = "; winning provider %s" % winning[1]["data"]
        name = "%s/%s" % (area, policy)
        if location is TELEMETRY_PROXY_SERVER:
            owners[location.ownership_field] = [PolicyOwner(
                MDM, name, SET, kind, data, False,
                "Policy CSP ./Device/Vendor/MSFT/Policy/Config/%s; which registry value it writes is not documented, "
                "and Microsoft asks not to deploy TelemetryProxyServer through MDM%s" % (name, provider))]
            continue
        if location is DISABLE_ENTERPRISE_AUTH_PROXY:
            # A native (integer) policy, not ADMX-backed: the CSP page maps it to the Group Policy of the
            # same name, but does not say that it writes the DataCollection registry value, so it is named
            # and does not block a write.
            owners[location.ownership_field] = [PolicyOwner(
                MDM, name, SET, kind or "DWord", data, False,
                "Policy CSP ./Device/Vendor/MSFT/Policy/Config/%s (integer, 1 = the service does not use an "
                "authenticated proxy), mapped to the Group Policy of the same name; which registry value it writes "
                "is not documented%s" % (name, provider))]
            continue
        action, value = _admx_value(data, policy) if isinstance(data, str) else (SET, data)
        detail = ("ADMX-backed Policy CSP ./Device/Vendor/MSFT/Policy/Config/%s, which writes the Group Policy value%s"
                  % (name, provider))
        if action == SET and value is None:
            # Enabled, but no value could be read from its data: named, never taken for a deletion.
            owners[location.ownership_field] = [PolicyOwner(MDM, name, SET, None, None, False, detail + "; its data names no value")]
            continue
        owners[location.ownership_field] = [PolicyOwner(MDM, name, action, "String" if action == SET else None, value, True, detail)]
    return owners


# ---------------------------------------------------------------------------------------------
# Group Policy Preferences (Registry.xml)
# ---------------------------------------------------------------------------------------------

def _gpp_value(kind: str, text: str, where: str) -> Tuple[str, Any]:
    kind = kind.upper()
    try:
        if kind == "REG_SZ":
            return "String", text
        if kind == "REG_EXPAND_SZ":
            return "ExpandString", text
        if kind == "REG_DWORD":
            return "DWord", int(text, 16)
        if kind == "REG_QWORD":
            return "QWord", int(text, 16)
        if kind == "REG_BINARY":
            binascii.unhexlify(text)
            return "Binary", text.upper()
        if kind == "REG_MULTI_SZ":
            return "MultiString", [part for part in text.split(" ") if part]
    except (ValueError, binascii.Error):
        raise PolicyEvidenceError(where, "value", "value %r is not valid %s as Group Policy Preferences write it" % (text, kind)) from None
    return kind, text


def _registry_items(element: ElementTree.Element) -> List[ElementTree.Element]:
    """Registry items in document order, through collections; disabled items and collections skipped."""
    items = []
    for child in element:
        if child.get("disabled") == "1":
            continue
        if child.tag == "Registry":
            items.append(child)
        elif child.tag == "Collection":
            items.extend(_registry_items(child))
    return items


def gpp_owners(gpp: Any, gpo_names: Optional[Mapping[str, str]] = None) -> Dict[str, List[PolicyOwner]]:
    owners: Dict[str, List[PolicyOwner]] = {}
    for position, entry in enumerate(_sequence(gpp, "gpp")):
        where = "gpp[%d]" % position
        entry = _mapping(entry, where)
        xml_text = _text(entry.get("xml", ""), where + ".xml")
        gpo_id = str(entry.get("gpo_id") or "")
        name = entry.get("gpo_name") or _gpo_name(gpo_id, gpo_names or {}) or "an unnamed GPO"
        if len(xml_text) > MAX_GPP_XML:
            raise PolicyEvidenceError(where + ".xml", "too-long", "is %d characters; a Registry.xml is far smaller" % len(xml_text))
        if re.search(r"<!\s*(DOCTYPE|ENTITY)", xml_text, re.IGNORECASE):
            # Preference files have no DTD; refusing one keeps entity expansion out of the parser.
            raise PolicyEvidenceError(where + ".xml", "dtd", "a document type declaration is not allowed")
        try:
            root = ElementTree.fromstring(xml_text)
        except ElementTree.ParseError as err:
            raise PolicyEvidenceError(where + ".xml", "xml", "is not well-formed XML: %s" % err) from None
        if root.tag != "RegistrySettings":
            raise PolicyEvidenceError(where + ".xml", "root", "the root element is %s, not RegistrySettings" % root.tag)
        for item in _registry_items(root):
            props = item.find("Properties")
            if props is None or (props.get("hive") or "").upper() not in ("HKEY_LOCAL_MACHINE", "HKLM"):
                continue
            if props.get("default") == "1":
                continue
            location = find_location(props.get("key") or "", props.get("name") or "")
            if location is None:
                continue
            action = _GPP_ACTIONS.get((props.get("action") or "U").upper(), "update")
            filters = item.find("Filters")
            run_once = filters is not None and filters.find("FilterRunOnce") is not None
            targeted = filters is not None and any(child.tag != "FilterRunOnce" for child in filters)
            notes = ["item %s" % action]
            if run_once:
                notes.append("applied once")
            if targeted:
                notes.append("with item-level targeting")
            if action == "delete":
                owner = PolicyOwner(GPP, name, DELETE, None, None, not run_once, ", ".join(notes))
            else:
                kind, value = _gpp_value(props.get("type") or "REG_SZ", props.get("value") or "", where + ".xml")
                enforced = action in ("replace", "update") and not run_once
                owner = PolicyOwner(GPP, name, SET if enforced else SET_IF_ABSENT, kind, value, enforced, ", ".join(notes))
            # Items apply in document order; a later item for the same value wins.
            owners[location.ownership_field] = [owner]
    return owners


# ---------------------------------------------------------------------------------------------
# all sources together
# ---------------------------------------------------------------------------------------------

def resolve_ownership(evidence: Any) -> OwnershipReport:
    """Owners of every managed value from the evidence; unreadable sources become findings."""
    evidence = _mapping(evidence if evidence is not None else {}, "policy")
    unknown = sorted(set(evidence) - {"rsop", "local_registry_pol", "mdm", "gpp"})
    if unknown:
        raise PolicyEvidenceError("policy.%s" % unknown[0], "unknown-key",
                                  "unknown part; the parts are rsop, local_registry_pol, mdm and gpp")
    findings: List[Dict[str, str]] = []
    unread: List[str] = []
    per_source: Dict[str, Dict[str, List[PolicyOwner]]] = {}
    gpo_names: Dict[str, str] = {}

    unread_by_field: Dict[str, List[str]] = {}
    rsop = evidence.get("rsop")
    rsop_silent = rsop_unreadable(rsop) if isinstance(rsop, Mapping) and not rsop.get("error") else None
    if rsop is None:
        unread.append("RSoP")
    elif isinstance(rsop, Mapping) and rsop.get("error"):
        unread.append("RSoP")
        findings.append(_finding("info", "RSoP could not be read (%s): domain GPOs that set these values are not known"
                                 % rsop["error"]))
    elif rsop_silent is not None:
        unread.append("RSoP (%s)" % ("RSoPLogging = 0" if "turned off" in rsop_silent else "no GPO recorded"))
        findings.append(_finding("warning", "%s: domain GPOs that set these values are not known" % rsop_silent))
    else:
        rsop_found = rsop_owners(rsop)
        gpo_names = _gpo_names(_mapping(rsop, "rsop"))
        per_source[DOMAIN_GPO] = {f: [o for o in owners if o.source == DOMAIN_GPO] for f, owners in rsop_found.items()}
        per_source[LOCAL_GPO] = {f: [o for o in owners if o.source == LOCAL_GPO] for f, owners in rsop_found.items()}

    pol = evidence.get("local_registry_pol")
    if pol is not None:
        try:
            # The file itself is the local GPO; it replaces what RSoP said about the local GPO.
            per_source[LOCAL_GPO], unread_by_field, problems = local_pol_reading(pol)
        except RegistryPolError as err:
            findings.append(_finding("warning", "the local Group Policy file cannot be read: %s" % err))
        else:
            findings.extend(_finding("warning", "the local Group Policy file (Registry.pol): %s" % problem) for problem in problems)
    if LOCAL_GPO not in per_source:
        unread.append("local Group Policy")

    gpp = evidence.get("gpp")
    if gpp is None:
        unread.append("Group Policy Preferences")
    else:
        per_source[GPP] = gpp_owners(gpp, gpo_names)

    mdm = evidence.get("mdm")
    if mdm is None:
        unread.append("MDM")
    else:
        per_source[MDM] = mdm_owners(mdm)

    values: Dict[str, ValueOwnership] = {}
    for location in MANAGED_LOCATIONS:
        owners = tuple(owner for source in SOURCES for owner in per_source.get(source, {}).get(location.ownership_field, []))
        values[location.ownership_field] = ValueOwnership(
            location, owners, tuple(unread + unread_by_field.get(location.ownership_field, [])))
    findings.extend(mdm_caveat(values[TELEMETRY_PROXY_SERVER.ownership_field]))
    return OwnershipReport(values, findings)


def mdm_caveat(ownership: ValueOwnership) -> List[Dict[str, str]]:
    """Microsoft: do not deploy TelemetryProxyServer through MDM (the sensor reads the Group Policy location)."""
    findings = []
    for owner in ownership.owners:
        if owner.source == MDM:
            findings.append(_finding(
                "warning",
                "TelemetryProxyServer is deployed through MDM (%s = %s): Microsoft asks not to deploy it by MDM because "
                "the Defender for Endpoint sensor reads it from the Group Policy registry location; set it through "
                "Group Policy or purview.device_proxy.telemetry_proxy and remove the MDM setting" % (owner.name, owner.value)))
    return findings
