# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller half of purview.device_proxy.device_facts.

One round trip for the raw state; here it is decoded (plugin_utils.winhttp_view, the WinINet
connection blob), the virtual-machine classification and the topology are derived
(plugin_utils.topology) with their evidence, and who owns each managed value is resolved from the
Group Policy, MDM and preference evidence (plugin_utils.policy_sources).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ansible_collections.purview.device_proxy.plugins.modules.device_facts import DOCUMENTATION
from ansible_collections.purview.device_proxy.plugins.module_utils.winhttp_settings import (
    WinHttpSettingsError,
    decode_connection_settings,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.policy_ownership import same_value
from ansible_collections.purview.device_proxy.plugins.plugin_utils.policy_sources import (
    PolicyEvidenceError,
    resolve_ownership,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.registry_locations import (
    CURRENT_VALUE_AT,
    device_facts_policy_option,
    device_facts_reads,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.topology import classify_virtual, derive_topology
from ansible_collections.purview.device_proxy.plugins.plugin_utils.raw_registry_value import registry_data
from ansible_collections.purview.device_proxy.plugins.plugin_utils.windows_module import (
    Outcome,
    TargetSession,
    WindowsModuleAction,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.winhttp_view import (
    REGISTRY_KIND_NAMES,
    kind_words,
    WinHttpView,
    winhttp_drift,
)

FACTS_KEY = "purview_device_proxy"


def hardware_facts(raw: Mapping[str, Any]) -> Dict[str, Any]:
    battery_count = raw.get("battery_count")
    return {
        "chassis_types": [int(number) for number in raw.get("chassis_types") or []],
        "pc_system_type": raw.get("pc_system_type"),
        "has_battery": None if battery_count is None else battery_count > 0,
        "is_virtual": classify_virtual(raw)[0],
        "manufacturer": raw.get("manufacturer"),
        "model": raw.get("model"),
    }


WININET_SCOPES = ("machine", "system_account", "default_user")
# The scopes whose Connections\DefaultConnectionSettings is read (WinHTTP's automatic mode reads them).
CONNECTION_SCOPES = ("system_account", "default_user")
POLICY_PARTS = ("rsop", "local_registry_pol", "mdm", "gpp")


def connection_settings_facts(raw: Any) -> Dict[str, Any]:
    """``{raw, decoded, error}`` of a DefaultConnectionSettings value ({kind, data} or None)."""
    if raw is None:
        return {"raw": None, "decoded": None, "error": None}
    kind, data = (raw.get("kind"), raw.get("data")) if isinstance(raw, Mapping) else (None, raw)
    if kind != "Binary":
        return {"raw": None, "decoded": None,
                "error": "DefaultConnectionSettings is a %s value, not REG_BINARY" % REGISTRY_KIND_NAMES.get(kind, kind)}
    try:
        decoded = decode_connection_settings(bytes.fromhex(str(data)))
    except (ValueError, WinHttpSettingsError) as err:
        return {"raw": str(data).upper(), "decoded": None, "error": str(err)}
    return {"raw": str(data).upper(), "decoded": decoded.to_dict(), "error": None}


def wininet_facts(raw: Optional[Mapping[str, Any]], with_connection: bool) -> Dict[str, Any]:
    raw = raw or {}
    facts = {name: registry_data(raw.get(name)) for name in ("proxy_enable", "proxy_server", "auto_config_url")}
    if with_connection:
        facts["default_connection_settings"] = connection_settings_facts(raw.get("default_connection_settings"))
    return facts


def policy_evidence(raw: Optional[Mapping[str, Any]]) -> Tuple[Dict[str, Any], List[str]]:
    """The ownership evidence in the shape policy_sources documents, and warnings.

    The target sends Registry.pol as base64 (half the size of hex); the documented evidence holds
    hex. An undecodable part becomes None ("not read") with a warning.
    """
    raw = dict(raw or {})
    evidence = {part: raw.get(part) for part in POLICY_PARTS}
    warnings: List[str] = []
    pol = evidence["local_registry_pol"]
    if isinstance(pol, str) and pol:
        try:
            evidence["local_registry_pol"] = base64.b64decode(pol, validate=True).hex().upper()
        except (binascii.Error, ValueError):
            evidence["local_registry_pol"] = None
            warnings.append("device_facts: the local Registry.pol was not valid base64; its policies are not known")
    elif pol is not None and pol != "":
        evidence["local_registry_pol"] = None
    return evidence, warnings


def _at(facts: Mapping[str, Any], path: Tuple[str, ...]) -> Any:
    node: Any = facts
    for key in path:
        node = node.get(key) if isinstance(node, Mapping) else None
    return node


def add_current_values(ownership: Dict[str, Any], facts: Mapping[str, Any]) -> None:
    """Beside each value's owners: the value the device holds now, and whether the winning
    enforcing owner's value is that value (None when no policy enforces it)."""
    for field_name, entry in ownership["values"].items():
        current = _at(facts, CURRENT_VALUE_AT[field_name])
        enforcing = [owner for owner in entry["owners"] if owner["enforced"]]
        entry["current"] = current
        entry["policy_value_in_place"] = same_value(enforcing[0]["value"], current) if enforcing else None


def ownership_facts(evidence: Dict[str, Any]) -> Tuple[Dict[str, Any], List[str]]:
    """resolve_ownership over the evidence; a part it refuses is left out (as not read) and named."""
    usable = dict(evidence)
    warnings: List[str] = []
    while True:
        try:
            return resolve_ownership(usable).as_dict(), warnings
        except PolicyEvidenceError as err:
            part = next((name for name in POLICY_PARTS if err.field.startswith(name)), None)
            if part is None or usable.get(part) is None:
                raise
            # One malformed part must not hide what the others say.
            usable[part] = None
            warnings.append("device_facts: the %s evidence could not be used (%s); owners from it are not known"
                            % (part, err))


def service_facts(raw: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    if raw is None:
        return {"state": None, "start_mode": None}
    return {"state": raw.get("state"), "start_mode": raw.get("start_mode")}


def os_facts(raw: Mapping[str, Any]) -> Dict[str, Any]:
    build = raw.get("build_number")
    return {
        "build": int(build) if isinstance(build, str) and build.isdigit() else None,
        "version": raw.get("version"),
        "caption": raw.get("caption"),
        "architecture": "64-bit" if raw.get("is_64bit") else "32-bit",
    }


def winhttp_facts(raw: Mapping[str, Any], is_64bit: bool) -> Dict[str, Any]:
    native = WinHttpView.from_reported(raw.get("native"))
    wow64 = WinHttpView.from_reported(raw.get("wow64")) if is_64bit else None
    absent = {"raw": None, "decoded": None, "error": None}
    return {
        "native": native.to_facts(),
        "wow64": wow64.to_facts() if wow64 else absent,
        "drift": winhttp_drift(native, wow64),
    }


def unreadable_values(raw: Mapping[str, Any]) -> List[str]:
    """Values that exist in a kind .NET does not read (RawRegistry reports them with null data): the facts
    show null for them, so each is named, with its REG_* kind, rather than taken for a missing value."""
    found = []

    def walk(node: Any, path: Tuple[str, ...]) -> None:
        if not isinstance(node, Mapping):
            return
        if isinstance(node.get("kind"), str) and "data" in node:
            if node.get("data") is None and node["kind"] == "Unknown":
                found.append("device_facts: %s exists as a %s value, which cannot be read; it is shown as null"
                             % (".".join(path), kind_words(node)))
            return
        for key, child in node.items():
            walk(child, path + (str(key),))

    for section in ("telemetry_proxy", "wininet", "defender_av"):
        walk(raw.get(section), (section,))
    return found


def build_facts(raw: Mapping[str, Any]) -> Tuple[Dict[str, Any], List[str]]:
    """The ``purview_device_proxy`` facts from the target's raw reply, and warnings."""
    warnings = ["device_facts: could not read %s" % error for error in raw.get("errors") or []]
    warnings.extend(unreadable_values(raw))
    hardware = hardware_facts(raw["hardware"])
    # The BIOS version names some hypervisors; the facts do not carry it, the derivation sees it.
    topology = derive_topology(dict(hardware, bios_version=raw["hardware"].get("bios_version")))
    facts = {
        "telemetry_proxy": {name: registry_data(value) for name, value in raw["telemetry_proxy"].items()},
        "winhttp": winhttp_facts(raw["winhttp"], bool(raw["os"].get("is_64bit"))),
        "wininet": {scope: wininet_facts(raw["wininet"].get(scope), scope in CONNECTION_SCOPES) for scope in WININET_SCOPES},
        "defender_av": {name: registry_data(value) for name, value in (raw.get("defender_av") or {}).items()},
        "hardware": hardware,
        "topology": topology["topology"],
        "topology_evidence": list(topology["evidence"]),
        "services": {name: service_facts(raw["services"].get(name)) for name in ("sense", "diagtrack")},
        "os": os_facts(raw["os"]),
    }
    evidence, evidence_warnings = policy_evidence(raw.get("policy"))
    ownership, ownership_warnings = ownership_facts(evidence)
    facts["policy"] = evidence
    add_current_values(ownership, facts)
    facts["ownership"] = ownership
    warnings.extend(evidence_warnings + ownership_warnings)
    warnings.extend(finding["message"] for finding in ownership["findings"] if finding["severity"] == "warning")
    if facts["winhttp"]["drift"]:
        warnings.append("the native and WOW6432Node copies of WinHttpSettings hold different settings")
    return facts, warnings


class ActionModule(WindowsModuleAction):
    MODULE_NAME = "purview.device_proxy.device_facts"
    DOCUMENTATION = DOCUMENTATION

    def decide(self, params: Dict[str, Any], session: TargetSession) -> Outcome:
        reply = session.call({"_registry": device_facts_reads(), "_policy": device_facts_policy_option()})
        facts, warnings = build_facts(reply["raw"])
        # Read-only: no before/after and nothing to diff.
        return Outcome(
            changed=False,
            before=None,
            after=None,
            extra={"ansible_facts": {FACTS_KEY: facts}, "raw": reply["raw"]},
            warnings=warnings,
        )
