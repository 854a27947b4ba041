# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A parser for ``Registry.pol``, the registry half of a Group Policy object (PReg format).

The target returns the local Group Policy's ``Machine\\Registry.pol`` as bytes; everything is
decided here. The format is Microsoft's "Registry Policy File Format"
(https://learn.microsoft.com/en-us/previous-versions/windows/desktop/policy/registry-policy-file-format)
and [MS-GPREG] 2.2.1 (https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-gpreg/5c092c22-bf6b-4e7f-b180-b20743d368f5):

* a header: the signature ``PReg`` (the DWORD 0x67655250) and the version DWORD 1;
* a body of records ``[key;value;type;size;data]``: the brackets and semicolons are UTF-16LE
  characters, ``key`` and ``value`` NUL-terminated UTF-16LE strings, ``type`` (a REG_* number)
  and ``size`` little-endian DWORDs, ``data`` exactly ``size`` raw bytes;
* value names starting with ``**`` are instructions rather than values: ``**del.<name>``
  deletes one value, ``**delvals.`` every value of the key, ``**DeleteValues`` and
  ``**DeleteKeys`` the ``;``-separated values or keys in the data, ``**SecureKey`` sets the key's
  permissions, and ``**soft.<name>`` writes the value only when it does not exist yet.

Anything that does not follow the format raises :class:`RegistryPolError` with the byte offset
and a rule name; the parser never reads past the buffer and never trusts a length it has not
checked against it.
"""

from __future__ import annotations

import binascii
import struct
from dataclasses import dataclass
from typing import Any, Iterable, List, Optional, Tuple

from ansible_collections.purview.device_proxy.plugins.plugin_utils.registry_locations import normal_key

SIGNATURE = b"PReg"
VERSION = 1

# REG_* numbers (winnt.h) and the .NET RegistryValueKind names the target's RawRegistry uses.
KIND_NAMES = {
    0: "None",
    1: "String",
    2: "ExpandString",
    3: "Binary",
    4: "DWord",
    5: "DWordBigEndian",
    7: "MultiString",
    11: "QWord",
}

SET = "set"
SET_IF_ABSENT = "set_if_absent"
DELETE_VALUE = "delete_value"
DELETE_ALL_VALUES = "delete_all_values"
DELETE_VALUES = "delete_values"
DELETE_KEYS = "delete_keys"
SECURE_KEY = "secure_key"
UNKNOWN_DIRECTIVE = "unknown_directive"

_OPEN = "[".encode("utf-16-le")
_SEMICOLON = ";".encode("utf-16-le")
_CLOSE = "]".encode("utf-16-le")
_NUL = b"\x00\x00"


class RegistryPolError(ValueError):
    """The bytes are not a readable Registry.pol. ``rule`` names the broken rule, ``offset`` the byte."""

    def __init__(self, rule: str, offset: int, message: str):
        self.rule = rule
        self.offset = offset
        self.message = message
        self.earlier: Optional["RegistryPolError"] = None
        super().__init__("Registry.pol: %s (at byte %d)" % (message, offset))


@dataclass(frozen=True)
class PolRecord:
    """One ``[key;value;type;size;data]`` record.

    ``directive`` says what the record does (``set``, ``set_if_absent``, ``delete_value``...);
    ``target`` is the value name it is about (the name after ``**del.``/``**soft.``, or the value
    name of a plain record). ``kind``/``value`` are the data in the target's RawRegistry form
    (number, text, list of text, upper-case hex); ``names`` the list of a ``**DeleteValues`` or
    ``**DeleteKeys`` record.
    """

    key: str
    value_name: str
    type: int
    data: bytes
    offset: int
    directive: str
    target: str
    kind: str
    value: Any
    names: Tuple[str, ...] = ()


def _u32(data: bytes, offset: int, what: str) -> int:
    if offset + 4 > len(data):
        raise RegistryPolError("truncated", offset, "the file ends inside the %s field" % what)
    return struct.unpack_from("<I", data, offset)[0]


def _expect(data: bytes, offset: int, token: bytes, what: str) -> int:
    if offset + 2 > len(data):
        raise RegistryPolError("truncated", offset, "the file ends where '%s' was expected" % what)
    if data[offset:offset + 2] != token:
        raise RegistryPolError("separator", offset, "'%s' was expected here" % what)
    return offset + 2


def _decode_text(raw: bytes, offset: int, what: str) -> str:
    if len(raw) % 2:
        raise RegistryPolError("odd-string-size", offset, "%s has %d bytes; UTF-16LE text needs an even number" % (what, len(raw)))
    try:
        text = raw.decode("utf-16-le")
    except UnicodeDecodeError:
        raise RegistryPolError("encoding", offset, "%s is not valid UTF-16LE" % what) from None
    return text


def decode_data(type_number: int, raw: bytes, offset: int) -> Tuple[str, Any]:
    """(kind, value) of a record's data in RawRegistry form; sizes that cannot be right raise."""
    kind = KIND_NAMES.get(type_number, "Unknown")
    if type_number in (1, 2):
        # The stored text usually carries its terminating NUL; the value ends at the first one.
        return kind, _decode_text(raw, offset, "the text data").split("\x00", 1)[0]
    if type_number == 7:
        parts = _decode_text(raw, offset, "the multi-string data").split("\x00")
        while parts and parts[-1] == "":
            parts.pop()
        return kind, parts
    if type_number in (4, 5):
        if len(raw) != 4:
            raise RegistryPolError("dword-size", offset, "a DWORD needs 4 bytes of data, the record has %d" % len(raw))
        return kind, struct.unpack("<I" if type_number == 4 else ">I", raw)[0]
    if type_number == 11:
        if len(raw) != 8:
            raise RegistryPolError("qword-size", offset, "a QWORD needs 8 bytes of data, the record has %d" % len(raw))
        return kind, struct.unpack("<Q", raw)[0]
    return kind, binascii.hexlify(raw).decode("ascii").upper()


def directive_of(value_name: str) -> Tuple[str, str]:
    """(directive, target value name) of a record's value name; the ``**`` prefixes are case-insensitive ([MS-GPREG] 2.2.1)."""
    lowered = value_name.lower()
    if lowered.startswith("**del."):
        return DELETE_VALUE, value_name[len("**del."):]
    if lowered.startswith("**soft."):
        return SET_IF_ABSENT, value_name[len("**soft."):]
    if lowered == "**delvals.":
        return DELETE_ALL_VALUES, ""
    if lowered == "**deletevalues":
        return DELETE_VALUES, ""
    if lowered == "**deletekeys":
        return DELETE_KEYS, ""
    if lowered == "**securekey":
        return SECURE_KEY, ""
    if lowered.startswith("**"):
        return UNKNOWN_DIRECTIVE, ""
    return SET, value_name


def name_list(raw: bytes, offset: int) -> Tuple[str, Tuple[str, ...]]:
    """The text and the names of a ``**DeleteValues``/``**DeleteKeys`` record's ``;``-separated list."""
    text = _decode_text(raw, offset, "the list of names").split("\x00", 1)[0]
    return text, tuple(name.strip() for name in text.split(";") if name.strip())


@dataclass(frozen=True)
class _Frame:
    """One record's bytes as the framing delimits them, before any of it is interpreted."""

    start: int
    key_raw: bytes
    key_at: int
    name_raw: bytes
    name_at: int
    type: int
    data: bytes
    data_at: int
    end: int


def _string_bytes(data: bytes, offset: int, what: str) -> Tuple[bytes, int]:
    """The bytes of a NUL-terminated UTF-16LE string at ``offset`` and the offset after the NUL."""
    end = offset
    while True:
        if end + 2 > len(data):
            raise RegistryPolError("truncated", offset, "the %s is not NUL-terminated before the end of the file" % what)
        if data[end:end + 2] == _NUL:
            return data[offset:end], end + 2
        end += 2


def _frame(data: bytes, start: int) -> _Frame:
    """Delimit one record: brackets, separators, NUL terminators and the size. Raises on a framing error.

    A framing error raised after a key or value name that is not UTF-16LE carries that earlier
    error as ``earlier``, so the strict parser can name the first fault in byte order.
    """
    offset = _expect(data, start, _OPEN, "[")
    key_at = offset
    key_raw, offset = _string_bytes(data, offset, "key")
    name_raw: Optional[bytes] = None
    name_at = 0
    try:
        offset = _expect(data, offset, _SEMICOLON, ";")
        name_at = offset
        name_raw, offset = _string_bytes(data, offset, "value name")
        return _frame_rest(data, start, key_raw, key_at, name_raw, name_at, offset)
    except RegistryPolError as err:
        err.earlier = _first_text_error(((key_raw, key_at, "key"), (name_raw, name_at, "value name")))
        raise


def _first_text_error(strings: Iterable[Tuple[Optional[bytes], int, str]]) -> Optional[RegistryPolError]:
    for raw, at, what in strings:
        if raw is None:
            return None
        try:
            _text_of(raw, at, what)
        except RegistryPolError as err:
            return err
    return None


def _frame_rest(data: bytes, start: int, key_raw: bytes, key_at: int, name_raw: bytes, name_at: int, offset: int) -> _Frame:
    offset = _expect(data, offset, _SEMICOLON, ";")
    type_number = _u32(data, offset, "type")
    offset = _expect(data, offset + 4, _SEMICOLON, ";")
    size = _u32(data, offset, "size")
    offset = _expect(data, offset + 4, _SEMICOLON, ";")
    if size > len(data) - offset:
        raise RegistryPolError("truncated", offset, "the record says %d bytes of data, only %d remain" % (size, len(data) - offset))
    raw = bytes(data[offset:offset + size])
    data_at = offset
    end = _expect(data, offset + size, _CLOSE, "]")
    return _Frame(start, key_raw, key_at, name_raw, name_at, type_number, raw, data_at, end)


def _text_of(raw: bytes, offset: int, what: str) -> str:
    try:
        return raw.decode("utf-16-le")
    except UnicodeDecodeError:
        raise RegistryPolError("encoding", offset, "the %s is not valid UTF-16LE" % what) from None


def _interpret(frame: _Frame) -> PolRecord:
    """The record a well-framed set of bytes holds. Raises on data that cannot be right (a record error)."""
    key = _text_of(frame.key_raw, frame.key_at, "key")
    if key == "":
        raise RegistryPolError("empty-key", frame.start, "a record has an empty key")
    value_name = _text_of(frame.name_raw, frame.name_at, "value name")
    directive, target = directive_of(value_name)
    names: Tuple[str, ...] = ()
    raw = frame.data
    if directive in (SET, SET_IF_ABSENT):
        kind, value = decode_data(frame.type, raw, frame.data_at)
    elif directive in (DELETE_VALUES, DELETE_KEYS):
        text, names = name_list(raw, frame.data_at)
        kind, value = KIND_NAMES.get(frame.type, "Unknown"), text
    else:
        # Deletions and permissions carry no value that matters here; keep the bytes as they are.
        kind, value = KIND_NAMES.get(frame.type, "Unknown"), binascii.hexlify(raw).decode("ascii").upper()
    return PolRecord(key=key, value_name=value_name, type=frame.type, data=raw, offset=frame.start,
                     directive=directive, target=target, kind=kind, value=value, names=names)


@dataclass(frozen=True)
class PolProblem:
    """A record that could not be read.

    ``resumed`` is True when the record's own framing was intact (brackets, separators and size
    in place, only its content unreadable), so reading went on at the next record; False for a
    framing error, after which nothing more of the file was read. ``key``/``value_name`` are
    the record's, when they could be decoded.
    """

    offset: int
    rule: str
    message: str
    resumed: bool
    key: Optional[str] = None
    value_name: Optional[str] = None

    def describe(self) -> str:
        where = " (%s\\%s)" % (self.key, self.value_name) if self.key is not None and self.value_name is not None else ""
        after = "; the records after it were read" if self.resumed else "; nothing after it was read"
        return "the record at byte %d%s cannot be read: %s%s" % (self.offset, where, self.message, after)


@dataclass(frozen=True)
class PolReading:
    """What could be read of a Registry.pol: the records in file order and the records that could not be."""

    records: Tuple[PolRecord, ...]
    problems: Tuple[PolProblem, ...] = ()

    @property
    def complete(self) -> bool:
        return not self.problems


def _header(data: Any) -> bytes:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise RegistryPolError("type", 0, "expected bytes, got %s" % type(data).__name__)
    data = bytes(data)
    if len(data) < 8:
        raise RegistryPolError("truncated", 0, "%d bytes is shorter than the 8-byte header" % len(data))
    if data[:4] != SIGNATURE:
        raise RegistryPolError("signature", 0, "the file does not start with the PReg signature")
    version = struct.unpack_from("<I", data, 4)[0]
    if version != VERSION:
        raise RegistryPolError("version", 4, "version %d is not the documented version 1" % version)
    return data


def read_registry_pol(data: Any) -> PolReading:
    """Every readable record of a Registry.pol and the ones that are not. Raises only for a bad header.

    What is kept after a bad record: the format has no synchronisation mark (a ``[`` may sit inside
    a key name or a value's data), so after a *framing* error (a missing bracket or separator, a
    string without its NUL, a size past the end of the file) no later position can be trusted as
    a record start: the records before it are kept and nothing after it is read. When the framing
    of the bad record is intact and only its content is wrong (a DWORD of 3 bytes, text that is not
    UTF-16LE, an empty key), its end is known exactly, so that record alone is reported and reading
    goes on at the next one.
    """
    return _read_records(data, strict=False)


def parse_registry_pol(data: Any) -> Tuple[PolRecord, ...]:
    """Every record of a Registry.pol, in file order. Raises :class:`RegistryPolError` at the first bad record
    (the first fault in byte order: a key or value name that is not UTF-16LE before a framing error)."""
    return _read_records(data, strict=True).records


def _read_records(data: Any, strict: bool) -> PolReading:
    """The one reading loop: ``strict`` raises at the first bad record, otherwise it is reported."""
    data = _header(data)
    records: List[PolRecord] = []
    problems: List[PolProblem] = []
    offset = 8
    while offset < len(data):
        try:
            frame = _frame(data, offset)
        except RegistryPolError as err:
            if strict:
                raise (err.earlier or err) from None
            problems.append(PolProblem(offset, err.rule, err.message, False))
            break
        try:
            records.append(_interpret(frame))
        except RegistryPolError as err:
            if strict:
                raise
            key = name = None
            try:
                key = frame.key_raw.decode("utf-16-le")
                name = frame.name_raw.decode("utf-16-le")
            except UnicodeDecodeError:
                pass
            problems.append(PolProblem(frame.start, err.rule, "%s (at byte %d)" % (err.message, err.offset), True, key, name))
        offset = frame.end
    return PolReading(tuple(records), tuple(problems))


def _hex_bytes(text: Any) -> bytes:
    if not isinstance(text, str):
        raise RegistryPolError("type", 0, "expected hex text, got %s" % type(text).__name__)
    try:
        return binascii.unhexlify(text.strip())
    except (binascii.Error, ValueError):
        raise RegistryPolError("hex", 0, "the file content is not an even number of hex digits") from None


def read_registry_pol_hex(text: Any) -> PolReading:
    """:func:`read_registry_pol` for the hex the target sends (RawRegistry form)."""
    return read_registry_pol(_hex_bytes(text))


@dataclass(frozen=True)
class PolEffect:
    """What the file does to one value once every record is applied in order.

    ``action`` is ``set`` (the value is written on every refresh), ``set_if_absent`` (written only
    when missing: it does not put a changed value back) or ``delete`` (removed on every refresh).
    """

    action: str
    kind: Optional[str]
    value: Any
    offset: int


def _key_within(key: str, deleted: str) -> bool:
    return key == deleted or key.startswith(deleted + "\\")


def policy_effect(records: Iterable[PolRecord], key: str, name: str) -> Optional[PolEffect]:
    """The effect of the records on ``key``\\``name``, or None when they do not touch it."""
    wanted_key = normal_key(key)
    wanted_name = name.lower()
    effect: Optional[PolEffect] = None
    for record in records:
        record_key = normal_key(record.key)
        directive = record.directive
        if directive == DELETE_KEYS:
            # The names are subkeys of the record's key; deleting a key deletes every value below it.
            deleted = [normal_key(record.key + "\\" + item) for item in record.names]
            if any(_key_within(wanted_key, item) for item in deleted):
                effect = PolEffect("delete", None, None, record.offset)
            continue
        if record_key != wanted_key:
            continue
        if directive == SET and record.target.lower() == wanted_name:
            effect = PolEffect(SET, record.kind, record.value, record.offset)
        elif directive == SET_IF_ABSENT and record.target.lower() == wanted_name:
            if effect is None or effect.action == "delete":
                effect = PolEffect(SET_IF_ABSENT, record.kind, record.value, record.offset)
        elif directive == DELETE_VALUE and record.target.lower() == wanted_name:
            effect = PolEffect("delete", None, None, record.offset)
        elif directive == DELETE_ALL_VALUES:
            effect = PolEffect("delete", None, None, record.offset)
        elif directive == DELETE_VALUES and wanted_name in (item.lower() for item in record.names):
            effect = PolEffect("delete", None, None, record.offset)
    return effect
