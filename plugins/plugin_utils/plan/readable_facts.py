# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Supplied facts checked against the contract, and their readable forms encoded with the collection's
codecs, before the plan reads them.

* ``winhttp.<view>.decoded`` without ``raw``: encoded with the one WinHttpSettings codec; with ``raw``,
  every key it gives must say what ``raw`` holds (``check_decoded_view``, also used by the plan itself),
  else the facts are refused: an edit of the readable form is honoured or refused, never ignored;
* an RSoP setting's ``decoded`` text (REG_SZ, REG_EXPAND_SZ: UTF-16LE with its NUL, as RSoP stores it)
  or number (REG_DWORD: four bytes, little-endian) becomes its ``value``, or must equal it;
* ``policy.local_registry_pol`` as a list of ``{key, name, kind, value}``: the bytes of a Registry.pol
  that sets them, from the collection's Registry.pol writer.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any, Dict, Optional

from ansible_collections.purview.device_proxy.plugins.module_utils.winhttp_settings import (
    FLAG_DIRECT,
    FLAG_PROXY,
    WinHttpSettings,
    WinHttpSettingsError,
    decode_hex,
    encode_hex,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.facts_schema import FactsSchemaError, schema_errors
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.vocabulary import PlanFactsError
from ansible_collections.purview.device_proxy.plugins.plugin_utils.policy_registry_pol_writer import (
    PolValue,
    RegistryPolWriteError,
    write_registry_pol,
)

REG_SZ, REG_EXPAND_SZ, REG_DWORD = 1, 2, 4
_TEXT_KINDS = (REG_SZ, REG_EXPAND_SZ)


def _refuse(field: str, rule: str, message: str, source: Optional[str]) -> PlanFactsError:
    return PlanFactsError(field, rule, message + (f" (in {source})" if source else ""))


def check_decoded_view(view: Any, field: str, source: Optional[str] = None) -> None:
    """A ``decoded`` given next to ``raw`` must hold what ``raw`` holds, key by key."""
    if not isinstance(view, Mapping) or view.get("error") or not isinstance(view.get("decoded"), Mapping):
        return
    raw = view.get("raw")
    if not isinstance(raw, str) or not raw:
        return
    try:
        held = decode_hex(raw).to_dict()
    except WinHttpSettingsError:
        return  # an undecodable value is reported by the plan as such
    for key, given in view["decoded"].items():
        if given is None or key not in held:
            continue
        if key == "trailing":
            given = str(given).upper()
        if given != held[key]:
            raise _refuse(f"{field}.decoded.{key}", "contradicts-raw",
                          f"says {given!r} but raw holds {held[key]!r}; edit raw too (or remove raw to have the readable "
                          "form encoded)", source)


def _encoded_view(view: Mapping[str, Any], field: str, source: Optional[str]) -> Mapping[str, Any]:
    decoded = view.get("decoded")
    if view.get("error") or view.get("raw") or not isinstance(decoded, Mapping):
        check_decoded_view(view, field, source)
        return view
    uses_proxy = decoded.get("uses_proxy")
    flags = decoded.get("flags")
    if flags is None:
        flags = FLAG_DIRECT | FLAG_PROXY if uses_proxy or (uses_proxy is None and decoded.get("proxy")) else FLAG_DIRECT
    try:
        settings = WinHttpSettings(
            version=decoded.get("version") if decoded.get("version") is not None else WinHttpSettings.version,
            counter=decoded.get("counter") or 0, flags=flags, proxy=str(decoded.get("proxy") or ""),
            bypass=str(decoded.get("bypass") or ""), autoconfig_url=decoded.get("autoconfig_url") or None)
        raw = encode_hex(settings)
    except WinHttpSettingsError as err:
        raise _refuse(f"{field}.decoded", "encode", f"cannot be encoded as WinHttpSettings: {err}", source) from None
    if uses_proxy is not None and bool(uses_proxy) != settings.uses_proxy:
        raise _refuse(f"{field}.decoded.uses_proxy", "contradicts-flags",
                      f"is {uses_proxy} but flags {flags} with proxy {settings.proxy!r} say {settings.uses_proxy}", source)
    return dict(view, raw=raw)


def _rsop_bytes(decoded: Any, value_type: Any, field: str, source: Optional[str]) -> str:
    if value_type in _TEXT_KINDS and isinstance(decoded, str):
        return (decoded + "\0").encode("utf-16-le").hex().upper()
    if value_type == REG_DWORD and isinstance(decoded, int) and not isinstance(decoded, bool) and 0 <= decoded <= 0xFFFFFFFF:
        return decoded.to_bytes(4, "little").hex().upper()
    raise _refuse(f"{field}.decoded", "kind", f"{decoded!r} is not a readable value of valueType {value_type} "
                                              "(text for 1 or 2, a number 0-4294967295 for 4)", source)


def _given_bytes(value: Any) -> Optional[str]:
    if isinstance(value, str):
        return value.strip().upper()
    if isinstance(value, (list, tuple)):
        return bytes(value).hex().upper()
    return None


def _encoded_rsop(rsop: Mapping[str, Any], source: Optional[str]) -> Mapping[str, Any]:
    settings = rsop.get("settings")
    if not isinstance(settings, list) or not any(isinstance(item, Mapping) and "decoded" in item for item in settings):
        return rsop
    encoded = []
    for position, setting in enumerate(settings):
        field = f"policy.rsop.settings[{position}]"
        if not isinstance(setting, Mapping) or setting.get("decoded") is None:
            encoded.append(setting)
            continue
        wanted = _rsop_bytes(setting["decoded"], setting.get("valueType"), field, source)
        given = _given_bytes(setting.get("value"))
        if given is not None and given != wanted:
            raise _refuse(f"{field}.decoded", "contradicts-raw",
                          f"says {setting['decoded']!r} but value holds {given}; edit value too (or remove it)", source)
        encoded.append({key: item for key, item in dict(setting, value=wanted).items() if key != "decoded"})
    return dict(rsop, settings=encoded)


def _encoded_local_pol(values: Any, source: Optional[str]) -> str:
    try:
        data = write_registry_pol(PolValue(item["key"], item["name"], item["kind"], item["value"]) for item in values)
    except RegistryPolWriteError as err:
        # The writer numbers values from 1; facts paths count from 0, as JSON does.
        numbered = re.match(r"values\[(\d+)\](.*)$", str(err.field))
        where = f"[{int(numbered.group(1)) - 1}]{numbered.group(2)}" if numbered else f".{err.field}"
        raise _refuse(f"policy.local_registry_pol{where}", err.rule, err.message, source) from None
    return data.hex().upper()


def checked_facts(facts: Any, source: Optional[str] = None) -> Any:
    """``facts`` checked against the contract (the first error names the field and the rule), with every
    readable form encoded; the input is not changed."""
    if isinstance(facts, Mapping) and "purview_device_proxy" in facts and len(facts) == 1:
        facts = facts["purview_device_proxy"]
    found = schema_errors(facts)
    if found:
        first: FactsSchemaError = found[0]
        more = f"; {len(found) - 1} more problem(s)" if len(found) > 1 else ""
        raise _refuse(first.field, first.rule, first.message + more, source)
    if not isinstance(facts, Mapping):
        return facts
    result: Dict[str, Any] = dict(facts)
    winhttp = facts.get("winhttp")
    if isinstance(winhttp, Mapping):
        result["winhttp"] = {name: _encoded_view(view, f"winhttp.{name}", source) if isinstance(view, Mapping) else view
                             for name, view in winhttp.items()}
    policy = facts.get("policy")
    if isinstance(policy, Mapping):
        policy = dict(policy)
        if isinstance(policy.get("rsop"), Mapping):
            policy["rsop"] = _encoded_rsop(policy["rsop"], source)
        if isinstance(policy.get("local_registry_pol"), list):
            policy["local_registry_pol"] = _encoded_local_pol(copy.deepcopy(policy["local_registry_pol"]), source)
        result["policy"] = policy
    return result
