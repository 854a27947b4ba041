# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The device facts as a contract: a JSON Schema of what ``purview.device_proxy.device_facts`` returns
(the shape the plan reads), and a validator for the part of JSON Schema it uses.

The schema is shipped as docs/reference/device-facts.schema.json (written from ``SCHEMA``; a test keeps
the two equal). Supplied facts (plan-only mode, facts files, a CMDB export) are checked against it
before the plan reads them, so a typo in a key is an error naming the file, the field and the rule,
not a silent "the facts do not report ...".

Readable forms next to the device's own encoding are part of the contract: ``winhttp.<view>.decoded``
without ``raw``, an RSoP setting's ``decoded`` string or number, ``policy.local_registry_pol`` as a list
of values. plan/readable_facts.py encodes them with the collection's codecs.

The validator covers the keywords the schema uses, as JSON Schema 2020-12 defines them: ``type``
(one name or a list), ``properties``, ``additionalProperties`` (false or a schema), ``required``,
``items``, ``enum``, ``minimum``, ``maximum``, ``maxLength``, ``pattern``, ``oneOf`` of types by
``type`` only, and local ``$ref`` to ``#/$defs/<name>``. The tests check it against the ``jsonschema``
library (the reference implementation), which the controller does not need at run time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Dict, List, Optional

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _nullable(kind: str, **more: Any) -> Dict[str, Any]:
    return dict({"type": [kind, "null"]}, **more)


def _object(properties: Dict[str, Any], description: Optional[str] = None) -> Dict[str, Any]:
    built: Dict[str, Any] = {"type": ["object", "null"], "additionalProperties": False, "properties": properties}
    if description:
        built["description"] = description
    return built


_HEX = "^[0-9A-Fa-f]*$"
_REGISTRY_VALUE = {
    "type": ["object", "null"], "additionalProperties": False,
    "description": "A registry value as the target's RawRegistry reads it.",
    "properties": {"kind": {"type": "string"}, "data": {}, "reg_type": {"type": ["integer", "null"]}},
}

SCHEMA: Dict[str, Any] = {
    "$schema": DIALECT,
    "$id": "https://github.com/purview-device-proxy/purview.device_proxy/docs/reference/device-facts.schema.json",
    "title": "purview.device_proxy device facts",
    "description": ("What purview.device_proxy.device_facts returns as ansible_facts.purview_device_proxy, and what "
                    "the plan reads from supplied facts. Every part is optional (a CMDB export may give only "
                    "some); null means not read. Unknown keys are errors."),
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "telemetry_proxy": _object({
            "server": _nullable("string", description="TelemetryProxyServer (host:port)"),
            "disable_enterprise_auth_proxy": _nullable("integer", minimum=0, maximum=4294967295),
            "prefer_static_proxy_for_http_request": _nullable("integer", minimum=0, maximum=4294967295),
        }, "The registry-based static proxy of the sensor (DataCollection policy values)."),
        "winhttp": _object({
            "native": {"$ref": "#/$defs/winhttp_view"},
            "wow64": {"$ref": "#/$defs/winhttp_view"},
            "drift": _nullable("boolean"),
        }, "WinHttpSettings of the 64-bit and the 32-bit (WOW6432Node) registry views."),
        "wininet": _object({
            "machine": {"$ref": "#/$defs/wininet_scope"},
            "system_account": {"$ref": "#/$defs/wininet_scope"},
            "default_user": {"$ref": "#/$defs/wininet_scope"},
        }, "WinINet (Internet Options) proxies; reported, not managed."),
        "defender_av": _object({
            "proxy_server": _nullable("string"),
            "proxy_bypass": _nullable("string"),
            "proxy_pac_url": _nullable("string"),
            "ssl_options": _nullable("integer", minimum=0, maximum=4294967295),
        }, "Defender Antivirus's own proxy values."),
        "policy": _object({
            "rsop": _object({
                "settings": {"type": ["array", "null"], "items": {"$ref": "#/$defs/rsop_setting"}},
                "gpos": {"type": ["array", "null"], "items": {"$ref": "#/$defs/rsop_gpo"}},
                "error": _nullable("string"),
                "logging_policy": _REGISTRY_VALUE,
            }, "The Resultant Set of Policy (root\\rsop\\computer)."),
            "local_registry_pol": {
                "type": ["string", "array", "null"],
                "description": ("The local Group Policy's Machine\\Registry.pol: hex text as read, or readable as a list "
                                "of values {key, name, kind, value} (encoded with the collection's Registry.pol writer)."),
                "pattern": _HEX,
                "items": {"$ref": "#/$defs/pol_value"},
            },
            "mdm": {
                "type": ["object", "null"],
                "description": "PolicyManager\\current\\device: {area: {value name: {kind, data}}}.",
                "additionalProperties": {"type": "object", "additionalProperties": _REGISTRY_VALUE},
            },
            "gpp": {"type": ["array", "null"], "items": {"$ref": "#/$defs/gpp_item"}},
        }, "Who may enforce the managed values: Group Policy, local policy, MDM, Group Policy Preferences."),
        "ownership": {"type": ["object", "null"], "description": "The owners device_facts derived (the plan derives its own)."},
        "hardware": _object({
            # A CMDB export may give the numbers as text.
            "chassis_types": {"type": ["array", "null"], "items": {"type": ["integer", "string"], "minimum": 0, "maximum": 255,
                                                                   "pattern": "^[0-9]+$"}},
            "pc_system_type": {"type": ["integer", "string", "null"], "minimum": 0, "maximum": 255, "pattern": "^[0-9]+$"},
            "has_battery": _nullable("boolean"),
            "is_virtual": _nullable("boolean"),
            "manufacturer": _nullable("string"),
            "model": _nullable("string"),
            "hypervisor": _nullable("string"),
            "bios_version": _nullable("string"),
        }, "What decides the topology (stable or roaming)."),
        "topology": {"type": ["string", "null"], "enum": ["stable", "roaming", "unknown", None]},
        "topology_evidence": {"type": ["array", "null"], "items": {"type": "string"}},
        "services": _object({"sense": {"$ref": "#/$defs/service"}, "diagtrack": {"$ref": "#/$defs/service"}}),
        "os": _object({
            "caption": _nullable("string"),
            "version": _nullable("string"),
            "build": {"type": ["integer", "string", "null"]},
            "architecture": {"type": ["string", "null"], "enum": ["64-bit", "32-bit", "ARM 64-bit Processor", None]},
        }),
    },
    "$defs": {
        "winhttp_view": _object({
            "raw": _nullable("string", pattern=_HEX, description="The REG_BINARY value as hex, or {kind, data} of another kind."),
            "decoded": _object({
                "version": _nullable("integer", minimum=0, maximum=4294967295),
                "counter": _nullable("integer", minimum=0, maximum=4294967295),
                "flags": _nullable("integer", minimum=0, maximum=4294967295),
                "proxy": _nullable("string"),
                "bypass": _nullable("string"),
                "autoconfig_url": _nullable("string"),
                "uses_proxy": _nullable("boolean"),
                "trailing": _nullable("string", pattern=_HEX),
            }, "The value in readable form; without raw, the plan encodes it with the WinHttpSettings codec; "
               "with raw, it must say what raw holds."),
            "error": _nullable("string"),
        }),
        "wininet_scope": {
            "type": ["object", "null"], "additionalProperties": False,
            "properties": {
                "proxy_enable": _nullable("integer"), "proxy_server": _nullable("string"),
                "auto_config_url": _nullable("string"), "default_connection_settings": {},
            },
        },
        "service": _object({"state": _nullable("string"), "start_mode": _nullable("string")}),
        "rsop_setting": {
            "type": "object", "additionalProperties": False,
            "properties": {
                "registryKey": {"type": "string"}, "valueName": {"type": ["string", "null"]},
                "valueType": {"type": ["integer", "null"], "minimum": 0},
                "value": {"type": ["string", "array", "null"], "pattern": _HEX,
                          "items": {"type": "integer", "minimum": 0, "maximum": 255}},
                "decoded": {"type": ["string", "integer", "null"],
                            "description": "The value in readable form: text for REG_SZ (1), REG_EXPAND_SZ (2), a number for REG_DWORD (4)."},
                "deleted": {"type": ["boolean", "null"]}, "GPOID": {"type": "string"},
                "precedence": {"type": ["integer", "null"], "minimum": 0}, "command": {"type": ["string", "null"]},
            },
        },
        "rsop_gpo": {
            "type": "object", "additionalProperties": False,
            "properties": {"id": {"type": "string"}, "name": {"type": ["string", "null"]}, "guidName": {"type": ["string", "null"]}},
        },
        "pol_value": {
            "type": "object", "additionalProperties": False, "required": ["key", "name", "kind", "value"],
            "properties": {"key": {"type": "string"}, "name": {"type": "string"},
                           "kind": {"type": "string", "enum": ["String", "ExpandString", "DWord", "QWord", "MultiString", "Binary"]},
                           "value": {}},
        },
        "gpp_item": {
            "type": "object", "additionalProperties": False,
            "properties": {"gpo_id": {"type": "string"}, "gpo_name": {"type": ["string", "null"]}, "xml": {"type": "string"}},
        },
    },
}

_TYPES = {
    "object": lambda value: isinstance(value, Mapping),
    "array": lambda value: isinstance(value, (list, tuple)),
    "string": lambda value: isinstance(value, str),
    "integer": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "number": lambda value: isinstance(value, (int, float)) and not isinstance(value, bool),
    "boolean": lambda value: isinstance(value, bool),
    "null": lambda value: value is None,
}


class FactsSchemaError(ValueError):
    """A fact breaks the schema. ``field`` is its path (``winhttp.native.raw``), ``rule`` the keyword."""

    def __init__(self, field_name: str, rule: str, message: str):
        self.field = field_name
        self.rule = rule
        self.message = message
        super().__init__(f"{field_name}: {message}")


def _where(path: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def _type_name(value: Any) -> str:
    for name in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if _TYPES[name](value):
            return name
    return type(value).__name__


def _errors(value: Any, schema: Mapping[str, Any], path: str, root: Mapping[str, Any], found: List[FactsSchemaError]) -> None:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        _errors(value, root["$defs"][name], path, root, found)
        return
    kinds = schema.get("type")
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else kinds
        if not any(_TYPES[kind](value) for kind in kinds):
            found.append(FactsSchemaError(path or "facts", "type", f"must be {' or '.join(kinds)}, got {_type_name(value)}"))
            return
    if "enum" in schema and value not in schema["enum"]:
        allowed = ", ".join("null" if item is None else str(item) for item in schema["enum"])
        found.append(FactsSchemaError(path, "enum", f"must be one of {allowed}, got {value!r}"))
    if _TYPES["number"](value):
        if "minimum" in schema and value < schema["minimum"]:
            found.append(FactsSchemaError(path, "minimum", f"must be at least {schema['minimum']}, got {value}"))
        if "maximum" in schema and value > schema["maximum"]:
            found.append(FactsSchemaError(path, "maximum", f"must be at most {schema['maximum']}, got {value}"))
    if isinstance(value, str) and "pattern" in schema and re.search(schema["pattern"], value) is None:
        found.append(FactsSchemaError(path, "pattern", f"must match {schema['pattern']} (hex digits only)"
                                      if schema["pattern"] == _HEX else f"must match {schema['pattern']}"))
    if isinstance(value, Mapping):
        properties = schema.get("properties") or {}
        for name in schema.get("required") or ():
            if name not in value:
                found.append(FactsSchemaError(_where(path, name), "required", "is required"))
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if key in properties:
                _errors(item, properties[key], _where(path, key), root, found)
            elif extra is False:
                known = ", ".join(sorted(properties))
                found.append(FactsSchemaError(_where(path, key), "unknown-key", f"unknown key; the known keys here are {known}"))
            elif isinstance(extra, Mapping):
                _errors(item, extra, _where(path, key), root, found)
    if isinstance(value, (list, tuple)) and "items" in schema:
        for position, item in enumerate(value):
            _errors(item, schema["items"], _where(path, position), root, found)


def schema_errors(facts: Any, schema: Optional[Mapping[str, Any]] = None) -> List[FactsSchemaError]:
    """Every place where ``facts`` breaks ``schema`` (default: the device facts schema), in document order."""
    if schema is None:
        schema = SCHEMA
    found: List[FactsSchemaError] = []
    _errors(facts, schema, "", schema, found)
    return found


def check_facts(facts: Any) -> None:
    """Raise the first FactsSchemaError, if any."""
    found = schema_errors(facts)
    if found:
        raise found[0]
