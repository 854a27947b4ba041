# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Registry.pol parsing on bytes built from Microsoft's "Registry Policy File Format" page.

https://learn.microsoft.com/en-us/previous-versions/windows/desktop/policy/registry-policy-file-format:
header = signature 0x67655250 ("PReg") + version DWORD 1; body = records
``[key;value;type;size;data]`` whose brackets and semicolons are UTF-16LE characters, key and value
NUL-terminated UTF-16LE strings, type and size little-endian DWORDs, data ``size`` raw bytes.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
from typing import Any, List, Tuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.purview.device_proxy.plugins.plugin_utils.policy_registry_pol import (
    DELETE_ALL_VALUES,
    DELETE_KEYS,
    DELETE_VALUE,
    DELETE_VALUES,
    SECURE_KEY,
    SET,
    SET_IF_ABSENT,
    RegistryPolError,
    parse_registry_pol,
    policy_effect,
    read_registry_pol,
    read_registry_pol_hex,
)

DC = r"Software\Policies\Microsoft\Windows\DataCollection"
DEFENDER = r"Software\Policies\Microsoft\Windows Defender"


def u16(text: str) -> bytes:
    return text.encode("utf-16-le")


def sz(text: str) -> bytes:
    """REG_SZ data as Group Policy stores it: UTF-16LE with the terminating NUL."""
    return u16(text + "\x00")


def dword(number: int) -> bytes:
    return struct.pack("<I", number)


def record(key: str, value: str, reg_type: int, data: bytes, size: int = None) -> bytes:
    return (u16("[") + u16(key + "\x00") + u16(";") + u16(value + "\x00") + u16(";")
            + struct.pack("<I", reg_type) + u16(";") + struct.pack("<I", len(data) if size is None else size)
            + u16(";") + data + u16("]"))


def pol(*records: bytes, version: int = 1, signature: bytes = b"PReg") -> bytes:
    return signature + struct.pack("<I", version) + b"".join(records)


def test_header_is_the_documented_dword():
    # 0x67655250 little-endian is the four ASCII bytes "PReg".
    assert struct.pack("<I", 0x67655250) == b"PReg"


def test_empty_body_has_no_records():
    assert parse_registry_pol(pol()) == ()


def test_values_of_every_documented_kind():
    data = pol(
        record(DC, "TelemetryProxyServer", 1, sz("10.0.0.6:8080")),
        record(DC, "DisableEnterpriseAuthProxy", 4, dword(1)),
        record(DC, "Expand", 2, sz("%SystemRoot%\\x")),
        record(DC, "Multi", 7, u16("a\x00b\x00\x00")),
        record(DC, "Blob", 3, b"\x01\xab\x02"),
        record(DC, "Big", 5, struct.pack(">I", 258)),
        record(DC, "Q", 11, struct.pack("<Q", 2 ** 40)),
    )
    records = parse_registry_pol(data)
    assert [(r.value_name, r.kind, r.value) for r in records] == [
        ("TelemetryProxyServer", "String", "10.0.0.6:8080"),
        ("DisableEnterpriseAuthProxy", "DWord", 1),
        ("Expand", "ExpandString", "%SystemRoot%\\x"),
        ("Multi", "MultiString", ["a", "b"]),
        ("Blob", "Binary", "01AB02"),
        ("Big", "DWordBigEndian", 258),
        ("Q", "QWord", 2 ** 40),
    ]
    assert all(r.directive == SET and r.key == DC for r in records)
    # An odd-sized binary value leaves the next record at an odd offset: still read correctly.
    assert records[5].offset % 2 == 1


def test_special_value_names_are_directives():
    data = pol(
        record(DC, "**del.TelemetryProxyServer", 1, sz(" ")),
        record(DC, "**delvals.", 1, sz(" ")),
        record(DC, "**DeleteValues", 1, sz("A;B;")),
        record(DC, "**DeleteKeys", 1, sz("Sub1;Sub2")),
        record(DC, "**SecureKey", 4, dword(1)),
        record(DC, "**soft.TelemetryProxyServer", 1, sz("soft.example:1")),
    )
    records = parse_registry_pol(data)
    assert [(r.directive, r.target) for r in records] == [
        (DELETE_VALUE, "TelemetryProxyServer"),
        (DELETE_ALL_VALUES, ""),
        (DELETE_VALUES, ""),
        (DELETE_KEYS, ""),
        (SECURE_KEY, ""),
        (SET_IF_ABSENT, "TelemetryProxyServer"),
    ]
    assert records[2].names == ("A", "B")
    assert records[3].names == ("Sub1", "Sub2")
    assert records[5].value == "soft.example:1"


def test_hex_from_the_target_is_accepted():
    data = pol(record(DC, "TelemetryProxyServer", 1, sz("p:1")))
    assert read_registry_pol_hex(data.hex().upper()).records[0].value == "p:1"
    with pytest.raises(RegistryPolError) as err:
        read_registry_pol_hex("50526567ZZ")
    assert err.value.rule == "hex"


# --- what the file does to one value -------------------------------------------------------

def effect(data: bytes, key: str = DC, name: str = "TelemetryProxyServer"):
    return policy_effect(parse_registry_pol(data), key, name)


def test_set_value_is_found_case_insensitively_and_with_a_hive_prefix():
    data = pol(record(DC.upper(), "telemetryproxyserver", 1, sz("proxy.corp.example:3128")))
    found = policy_effect(parse_registry_pol(data), "HKLM\\" + DC, "TelemetryProxyServer")
    assert (found.action, found.kind, found.value) == ("set", "String", "proxy.corp.example:3128")


def test_a_value_in_another_key_or_with_a_longer_name_is_not_the_managed_value():
    # A naive substring match would take these for TelemetryProxyServer.
    data = pol(
        record(DC + "\\Sub", "TelemetryProxyServer", 1, sz("a:1")),
        record(DC, "TelemetryProxyServerOld", 1, sz("b:1")),
        record(DC, "**del.TelemetryProxyServerOld", 1, sz(" ")),
    )
    assert effect(data) is None


def test_later_records_win():
    data = pol(record(DC, "TelemetryProxyServer", 1, sz("a:1")), record(DC, "**del.TelemetryProxyServer", 1, sz(" ")))
    assert effect(data).action == "delete"
    data = pol(record(DC, "**delvals.", 1, sz(" ")), record(DC, "TelemetryProxyServer", 1, sz("a:1")))
    assert (effect(data).action, effect(data).value) == ("set", "a:1")


@pytest.mark.parametrize("deleting", [
    record(DC, "**delvals.", 1, sz(" ")),
    record(DC, "**DeleteValues", 1, sz("Other;telemetryproxyserver")),
    record(r"Software\Policies\Microsoft\Windows", "**DeleteKeys", 1, sz("DataCollection")),
])
def test_bulk_deletions_cover_the_value(deleting):
    data = pol(record(DC, "TelemetryProxyServer", 1, sz("a:1")), deleting)
    assert effect(data).action == "delete"


def test_delete_keys_does_not_cover_a_sibling_with_a_common_prefix():
    data = pol(record(DC, "TelemetryProxyServer", 1, sz("a:1")),
               record(r"Software\Policies\Microsoft\Windows", "**DeleteKeys", 1, sz("Data")))
    assert effect(data).action == "set"


def test_soft_value_does_not_replace_an_enforced_one():
    data = pol(record(DC, "TelemetryProxyServer", 1, sz("a:1")), record(DC, "**soft.TelemetryProxyServer", 1, sz("b:1")))
    assert (effect(data).action, effect(data).value) == ("set", "a:1")
    data = pol(record(DC, "**soft.TelemetryProxyServer", 1, sz("b:1")))
    assert effect(data).action == "set_if_absent"


def test_defender_values_are_found():
    data = pol(record(DEFENDER, "ProxyServer", 1, sz("http://10.0.0.6:8080")))
    assert effect(data, DEFENDER, "ProxyServer").value == "http://10.0.0.6:8080"


# --- malformed files: one typed error, never another exception ---------------------------

GOOD = record(DC, "TelemetryProxyServer", 1, sz("10.0.0.6:8080"))


@pytest.mark.parametrize("data, rule", [
    (b"", "truncated"),
    (b"PReg\x01\x00", "truncated"),
    (b"Preg" + struct.pack("<I", 1), "signature"),
    (b"\xff\xfeP\x00R\x00e\x00g\x00", "signature"),
    (pol(version=2), "version"),
    (pol(GOOD)[:-1], "truncated"),
    (pol(GOOD)[:-2], "truncated"),
    (pol(GOOD)[:40], "truncated"),
    (pol(GOOD) + b"[", "truncated"),
    (pol(GOOD) + b"X\x00", "separator"),
    (pol(record(DC, "TelemetryProxyServer", 1, sz("a:1"), size=4000)), "truncated"),
    (pol(record(DC, "TelemetryProxyServer", 1, b"a\x00b")), "odd-string-size"),
    (pol(record(DC, "DisableEnterpriseAuthProxy", 4, b"\x01\x00")), "dword-size"),
    (pol(record(DC, "Q", 11, dword(1))), "qword-size"),
    (pol(record("", "TelemetryProxyServer", 1, sz("a:1"))), "empty-key"),
    (pol(record(DC, "TelemetryProxyServer", 1, b"\x00\xd8\x00\x00")), "encoding"),
    (pol(u16("[") + b"\x00\xd8" + u16("\x00;")), "encoding"),
    (pol(u16("[") + u16(DC)), "truncated"),
    (pol(u16("[") + u16(DC + "\x00") + u16(",")), "separator"),
])
def test_malformed_files_raise_the_typed_error(data, rule):
    with pytest.raises(RegistryPolError) as err:
        parse_registry_pol(data)
    assert err.value.rule == rule
    assert str(err.value).startswith("Registry.pol: ")
    assert 0 <= err.value.offset <= len(data)


def test_not_bytes_is_a_typed_error():
    with pytest.raises(RegistryPolError) as err:
        parse_registry_pol("PReg")
    assert err.value.rule == "type"


PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(st.binary(max_size=400))
def test_arbitrary_bytes_parse_or_raise_the_typed_error(data):
    for candidate in (data, b"PReg\x01\x00\x00\x00" + data):
        try:
            records = parse_registry_pol(candidate)
        except RegistryPolError as err:
            assert 0 <= err.offset <= len(candidate)
        else:
            assert all(isinstance(r.key, str) and r.key for r in records)


_TEXT = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x2FFF, blacklist_categories=("Cs",)),
                min_size=1, max_size=20)
_VALUES = st.one_of(
    st.tuples(st.just(1), _TEXT.filter(lambda t: "\x00" not in t)),
    st.tuples(st.just(4), st.integers(0, 2 ** 32 - 1)),
    st.tuples(st.just(3), st.binary(max_size=9)),
)


def _encode(reg_type: int, value: Any) -> bytes:
    if reg_type == 1:
        return sz(value)
    if reg_type == 4:
        return dword(value)
    return value


@PROPERTY
@given(st.lists(st.tuples(_TEXT, _TEXT.filter(lambda t: not t.startswith("**")), _VALUES), max_size=6))
def test_built_files_read_back(entries: List[Tuple[str, str, Tuple[int, Any]]]):
    data = pol(*(record(key, name, reg_type, _encode(reg_type, value)) for key, name, (reg_type, value) in entries))
    records = parse_registry_pol(data)
    assert len(records) == len(entries)
    for parsed, (key, name, (reg_type, value)) in zip(records, entries):
        assert (parsed.key, parsed.value_name, parsed.type) == (key, name, reg_type)
        assert parsed.value == (value.hex().upper() if reg_type == 3 else value)


# --- a bad record among good ones ---------------------------------------------------------------

SECOND = record(DEFENDER, "ProxyServer", 1, sz("http://10.0.0.7:8080"))


@pytest.mark.parametrize("bad, rule", [
    (record(DC, "DisableEnterpriseAuthProxy", 4, b"\x01\x00\x00"), "dword-size"),
    (record(DC, "Q", 11, dword(1)), "qword-size"),
    (record(DC, "TelemetryProxyServer", 1, b"a\x00b"), "odd-string-size"),
    (record(DC, "TelemetryProxyServer", 1, b"\x00\xd8\x00\x00"), "encoding"),
    (record("", "TelemetryProxyServer", 1, sz("a:1")), "empty-key"),
    (u16("[") + b"\x00\xd8" + u16("\x00;") + u16("V\x00;") + dword(1) + u16(";") + dword(0) + u16(";]"), "encoding"),
])
def test_a_well_framed_bad_record_is_reported_and_reading_goes_on(bad, rule):
    # The bad record's brackets, separators and size are in place, so its end is known exactly.
    reading = read_registry_pol(pol(GOOD, bad, SECOND))
    assert [r.target for r in reading.records] == ["TelemetryProxyServer", "ProxyServer"]
    assert len(reading.problems) == 1
    problem = reading.problems[0]
    assert (problem.offset, problem.rule, problem.resumed) == (8 + len(GOOD), rule, True)
    assert not [p for p in reading.problems if not p.resumed]  # reading went on to the end
    assert "byte %d" % (8 + len(GOOD)) in problem.describe()
    # The strict reader still refuses the file, naming the same rule.
    with pytest.raises(RegistryPolError) as err:
        parse_registry_pol(pol(GOOD, bad, SECOND))
    assert err.value.rule == rule


@pytest.mark.parametrize("bad, rule", [
    # The size runs past the closing bracket: where this record ends cannot be known.
    (record(DC, "TelemetryProxyServer", 1, sz("a:1"), size=10), "separator"),
    (record(DC, "TelemetryProxyServer", 1, sz("a:1"))[:-2] + u16(")"), "separator"),
    (u16("[") + u16(DC + "\x00") + u16(","), "separator"),
    (record(DC, "TelemetryProxyServer", 1, sz("a:1"), size=4000), "truncated"),
])
def test_after_a_framing_error_only_the_records_before_it_are_kept(bad, rule):
    # What follows looks like a good record, but a "[" can sit inside a key name or a value's data,
    # so no later position is trusted as a record start: nothing after the bad record is read.
    reading = read_registry_pol(pol(GOOD, bad, SECOND))
    assert [r.target for r in reading.records] == ["TelemetryProxyServer"]
    assert len(reading.problems) == 1
    problem = reading.problems[0]
    assert (problem.offset, problem.rule, problem.resumed) == (8 + len(GOOD), rule, False)
    assert "nothing after it was read" in problem.describe()


def test_a_bracket_inside_data_is_why_there_is_no_resync():
    # A binary value whose data is a whole record: a reader that resynchronised on the next "["
    # after a framing error would report a record that is not in the file.
    inner = record(DC, "TelemetryProxyServer", 1, sz("evil.example:1"))
    broken = record(DC, "Blob", 3, b"\x01\x02\x03\x04" + inner, size=2)
    data = pol(GOOD, broken)
    assert data.find(u16("["), 8 + len(GOOD) + 2) > 0  # a "[" follows the damage: a resync would land there
    reading = read_registry_pol(data)
    assert [r.target for r in reading.records] == ["TelemetryProxyServer"]
    assert reading.records[0].value == "10.0.0.6:8080"
    assert reading.problems[0].resumed is False


def test_a_bad_header_still_raises():
    with pytest.raises(RegistryPolError) as err:
        read_registry_pol(pol(GOOD, version=2))
    assert err.value.rule == "version"


# --- against Samba's independent PReg parser ----------------------------------------------------

SYSTEM_PYTHON = "/usr/bin/python3"
SAMBA_READER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "samba_preg_reader.py")


def _samba_available() -> bool:
    if not os.path.exists(SYSTEM_PYTHON):
        return False
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import samba.dcerpc.preg, samba.ndr"], capture_output=True, check=False)
    return probe.returncode == 0


def _samba_read(files: List[bytes]) -> List[Any]:
    done = subprocess.run([SYSTEM_PYTHON, SAMBA_READER], input=json.dumps([f.hex() for f in files]),
                          capture_output=True, text=True, check=True, timeout=60)
    return json.loads(done.stdout)


def _ours(record_: Any) -> List[Any]:
    if record_.type in (1, 2, 4, 11) and record_.directive in (SET, SET_IF_ABSENT):
        data = record_.value
    elif record_.type in (1, 2):
        data = record_.data.decode("utf-16-le").split("\x00", 1)[0]
    else:
        data = record_.data.hex().upper()
    return [record_.key, record_.value_name, record_.type, len(record_.data), data]


SAMBA_FILES = [
    pol(),
    pol(GOOD, SECOND),
    pol(record(DC, "DisableEnterpriseAuthProxy", 4, dword(1)), record(DC, "Q", 11, struct.pack("<Q", 2 ** 40 + 3)),
        record(DC, "Path", 2, sz(r"%SystemRoot%\x")), record(DC, "Blob", 3, b"\x01[\x00]\x00;"),
        record(DC, "List", 7, u16("a\x00b c\x00\x00"))),
    pol(record(DC, "**delvals.", 1, sz(" ")), record(DC, "**DeleteValues", 1, sz("TelemetryProxyServer;X")),
        record(DC, "**Del.TelemetryProxyServer", 1, sz(" ")), record(DC, "**soft.TelemetryProxyServer", 1, sz("s:1")),
        record(r"Software\Policies", "**DeleteKeys", 1, sz("A;B"))),
    pol(record(u"Software\\Policies\\Ünïcode ✓", u"Wert ✓", 1, sz(u"проксі:3128"))),
]


@pytest.mark.skipif(not _samba_available(), reason="Debian python3-samba is not installed for /usr/bin/python3 (scripts/bootstrap.sh installs it)")
def test_records_match_sambas_preg_parser():
    # Samba (samba.dcerpc.preg + samba.ndr.ndr_unpack) implements [MS-GPREG] independently of us.
    answers = _samba_read(SAMBA_FILES)
    for data, answer in zip(SAMBA_FILES, answers):
        assert "entries" in answer, answer
        assert [_ours(r) for r in parse_registry_pol(data)] == answer["entries"]
        assert read_registry_pol(data).problems == ()


@pytest.mark.skipif(not _samba_available(), reason="Debian python3-samba is not installed for /usr/bin/python3 (scripts/bootstrap.sh installs it)")
def test_samba_also_refuses_the_files_we_report_damaged():
    # Samba reads a file whole or not at all; where it refuses one, our reader reports a problem,
    # and the records we keep before it are the ones Samba reads from the file cut at that record.
    damaged = [
        pol(GOOD, record(DC, "DisableEnterpriseAuthProxy", 4, b"\x01\x00\x00"), SECOND),
        pol(GOOD, record(DC, "TelemetryProxyServer", 1, sz("a:1"), size=4000)),
        pol(GOOD, u16("[") + u16(DC + "\x00") + u16(",")),
    ]
    answers = _samba_read(damaged + [pol(GOOD)])
    for data, answer in zip(damaged, answers):
        assert "error" in answer, answer
        assert read_registry_pol(data).problems
    kept = [_ours(r) for r in read_registry_pol(damaged[1]).records]
    assert kept == answers[-1]["entries"]
