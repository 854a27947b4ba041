# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write ``Registry.pol`` (PReg) files: the registry half of a Group Policy object.

The counterpart of ``policy_registry_pol`` (the reader), with its signature, version and REG_*
numbers. The format is Microsoft's "Registry Policy File Format"
(https://learn.microsoft.com/en-us/previous-versions/windows/desktop/policy/registry-policy-file-format)
and [MS-GPREG] 2.2.1: the header ``PReg`` + DWORD 1, then one ``[key;value;type;size;data]``
record per value, every character UTF-16LE, ``type`` and ``size`` little-endian DWORDs. Text data
carries its terminating NUL and ``size`` counts it.

Only plain values are written (no ``**del.`` or other directives): a file from here sets values
and never deletes anything. Bad values raise :class:`RegistryPolWriteError` naming the value.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Tuple

from ansible_collections.purview.device_proxy.plugins.module_utils._input_error import InputError
from ansible_collections.purview.device_proxy.plugins.plugin_utils.policy_registry_pol import KIND_NAMES, SIGNATURE, VERSION
from ansible_collections.purview.device_proxy.plugins.plugin_utils.registry_locations import normal_key

TYPE_NUMBERS: Dict[str, int] = {name: number for number, name in KIND_NAMES.items()}
WRITABLE_KINDS = ("String", "ExpandString", "DWord", "QWord", "MultiString", "Binary")

_UTF16 = "utf-16-le"
_NUL = "\x00"
# The record delimiters are single UTF-16LE characters.
_OPEN, _SEMICOLON, _CLOSE = ("[".encode(_UTF16), ";".encode(_UTF16), "]".encode(_UTF16))
_HIVE_PREFIXES = ("hklm\\", "hkey_local_machine\\", "hkcu\\", "hkey_current_user\\", "machine\\", "user\\")


class RegistryPolWriteError(InputError):
    """A value cannot be written. ``field`` names it (``values[2].name``), ``rule`` the broken rule."""


@dataclass(frozen=True)
class PolValue:
    """One value to set: ``key`` relative to the hive the file is imported into (a machine
    Registry.pol applies to HKLM), ``kind`` a RegistryValueKind name as the reader reports it."""

    key: str
    name: str
    kind: str
    value: Any


def _text(value: Any, field: str, what: str) -> str:
    if not isinstance(value, str):
        raise RegistryPolWriteError(field, "type", "%s must be text, got %s" % (what, type(value).__name__))
    if _NUL in value:
        raise RegistryPolWriteError(field, "nul", "%s must not contain a NUL character" % what)
    return value


def _check_key(key: Any, field: str) -> str:
    key = _text(key, field, "the key")
    if key == "":
        raise RegistryPolWriteError(field, "empty", "the key is empty")
    if key.lower().startswith(_HIVE_PREFIXES):
        raise RegistryPolWriteError(field, "hive-prefix", "write the key without its hive (%r): the file applies to "
                                                          "the hive it is imported into" % key.split("\\", 1)[0])
    if any(part == "" for part in key.split("\\")):
        raise RegistryPolWriteError(field, "empty-component", "the key %r has an empty component (a leading, trailing "
                                                              "or doubled backslash)" % key)
    return key


def _check_name(name: Any, field: str) -> str:
    name = _text(name, field, "the value name")
    if name.startswith("**"):
        raise RegistryPolWriteError(field, "directive", "value names starting with ** are directives (delete, soft "
                                                        "set), which this writer does not write: %r" % name)
    return name


def _integer(value: Any, field: str, bits: int, rule: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RegistryPolWriteError(field, "type", "must be an integer, got %s" % type(value).__name__)
    if not 0 <= value < 2 ** bits:
        raise RegistryPolWriteError(field, rule, "%d is outside 0..%d" % (value, 2 ** bits - 1))
    return value


def encode_data(kind: Any, value: Any, field: str = "value") -> Tuple[int, bytes]:
    """(REG_* number, data bytes) of one value, as a Registry.pol record stores them."""
    base = field.rsplit(".", 1)[0] if "." in field else field
    if kind not in WRITABLE_KINDS:
        raise RegistryPolWriteError(base + ".kind", "choice",
                                    "must be one of %s, got %r" % (", ".join(WRITABLE_KINDS), kind))
    if kind in ("String", "ExpandString"):
        data = (_text(value, field, "the data") + _NUL).encode(_UTF16, "surrogatepass")
    elif kind == "MultiString":
        if not isinstance(value, (list, tuple)):
            raise RegistryPolWriteError(field, "type", "must be a list of text, got %s" % type(value).__name__)
        items = [_text(item, "%s[%d]" % (field, number), "each item") for number, item in enumerate(value, 1)]
        if any(item == "" for item in items):
            raise RegistryPolWriteError(field, "empty-item", "a REG_MULTI_SZ item cannot be empty (it would end the list)")
        data = "".join(item + _NUL for item in items).encode(_UTF16) + _NUL.encode(_UTF16)
    elif kind == "DWord":
        data = struct.pack("<I", _integer(value, field, 32, "dword-range"))
    elif kind == "QWord":
        data = struct.pack("<Q", _integer(value, field, 64, "qword-range"))
    else:
        if not isinstance(value, (bytes, bytearray)):
            raise RegistryPolWriteError(field, "type", "must be bytes, got %s" % type(value).__name__)
        data = bytes(value)
    return TYPE_NUMBERS[kind], data


def encode_record(key: str, name: str, type_number: int, data: bytes) -> bytes:
    """One ``[key;value;type;size;data]`` record; key and name already checked."""
    return b"".join((
        _OPEN, (key + _NUL).encode(_UTF16), _SEMICOLON, (name + _NUL).encode(_UTF16), _SEMICOLON,
        struct.pack("<I", type_number), _SEMICOLON, struct.pack("<I", len(data)), _SEMICOLON, data, _CLOSE,
    ))


def write_registry_pol(values: Iterable[PolValue]) -> bytes:
    """The bytes of a Registry.pol that sets ``values`` in the order given.

    Everything is checked before any byte is produced; a value named twice (keys and names
    compare without regard to case, as the registry does) is refused rather than left to the
    order in which Windows applies the records.
    """
    records: List[bytes] = []
    seen: Dict[Tuple[str, str], int] = {}
    for number, value in enumerate(values, 1):
        field = "values[%d]" % number
        if not isinstance(value, PolValue):
            raise RegistryPolWriteError(field, "type", "must be a PolValue, got %s" % type(value).__name__)
        key = _check_key(value.key, field + ".key")
        name = _check_name(value.name, field + ".name")
        identity = (normal_key(key), name.lower())
        if identity in seen:
            raise RegistryPolWriteError(field, "duplicate", "%s\\%s is already set by values[%d]"
                                        % (key, name, seen[identity]))
        seen[identity] = number
        type_number, data = encode_data(value.kind, value.value, field + ".value")
        records.append(encode_record(key, name, type_number, data))
    return SIGNATURE + struct.pack("<I", VERSION) + b"".join(records)
