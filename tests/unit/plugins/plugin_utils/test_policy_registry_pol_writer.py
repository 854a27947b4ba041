# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Registry.pol writer, checked against the format, the collection's reader and Samba's PReg code.

Format: Microsoft's "Registry Policy File Format"
(https://learn.microsoft.com/en-us/previous-versions/windows/desktop/policy/registry-policy-file-format)
and [MS-GPREG] 2.2.1: header ``PReg`` + DWORD 1; records ``[key;value;type;size;data]`` in UTF-16LE;
REG_SZ data is UTF-16LE *with* its terminating NUL and ``size`` counts it; REG_DWORD is 4 bytes
little-endian.

Independent implementation: Samba's ``samba.dcerpc.preg`` (Debian python3-samba, installed by
scripts/bootstrap.sh), run in /usr/bin/python3 because it is not in the virtualenv.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.purview.device_proxy.plugins.plugin_utils.policy_registry_pol import parse_registry_pol
from ansible_collections.purview.device_proxy.plugins.plugin_utils.policy_registry_pol_writer import (
    PolValue,
    RegistryPolWriteError,
    write_registry_pol,
)

SYSTEM_PYTHON = "/usr/bin/python3"
DATA_COLLECTION = r"SOFTWARE\Policies\Microsoft\Windows\DataCollection"

# Prints every record Samba's NDR parser reads, as JSON: key, value name, type, data (text as
# Samba decodes it, other data as hex).
SAMBA_READER = r"""
import json, sys
from samba.dcerpc import preg
from samba.ndr import ndr_unpack
data = open(sys.argv[1], "rb").read()
parsed = ndr_unpack(preg.file, data)
out = {"signature": parsed.header.signature, "version": parsed.header.version, "entries": []}
for entry in parsed.entries:
    value = entry.data
    if isinstance(value, (bytes, bytearray)):
        value = {"hex": bytes(value).hex()}
    elif isinstance(value, list):
        value = {"list": [str(item) for item in value]}
    out["entries"].append({"key": entry.keyname, "name": entry.valuename, "type": entry.type,
                           "size": entry.size, "data": value})
print(json.dumps(out))
"""


def samba_available() -> bool:
    if not os.path.exists(SYSTEM_PYTHON):
        return False
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "from samba.dcerpc import preg; from samba.ndr import ndr_unpack"],
                           capture_output=True, check=False)
    return probe.returncode == 0


def samba_read(path) -> dict:
    if not samba_available():
        pytest.skip("Samba's PReg parser is not installed (Debian package python3-samba, installed by scripts/bootstrap.sh)")
    proc = subprocess.run([SYSTEM_PYTHON, "-c", SAMBA_READER, str(path)], capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_a_string_value_is_utf16le_with_its_terminating_nul_and_the_size_counts_it():
    data = write_registry_pol([PolValue(DATA_COLLECTION, "TelemetryProxyServer", "String", "10.0.0.6:8080")])
    assert data[:8] == b"PReg" + struct.pack("<I", 1)
    expected_data = "10.0.0.6:8080".encode("utf-16-le") + b"\x00\x00"
    record = ("[" + DATA_COLLECTION + "\x00;" + "TelemetryProxyServer" + "\x00;").encode("utf-16-le")
    record += struct.pack("<I", 1) + ";".encode("utf-16-le") + struct.pack("<I", len(expected_data))
    record += ";".encode("utf-16-le") + expected_data + "]".encode("utf-16-le")
    assert data[8:] == record
    assert len(expected_data) == 28  # 13 characters and the NUL, two bytes each


def test_a_dword_is_four_bytes_little_endian():
    data = write_registry_pol([PolValue(DATA_COLLECTION, "DisableEnterpriseAuthProxy", "DWord", 0x01020304)])
    (record,) = parse_registry_pol(data)
    assert record.type == 4 and record.data == b"\x04\x03\x02\x01"


def test_round_trip_through_the_collections_reader():
    values = [
        PolValue(DATA_COLLECTION, "TelemetryProxyServer", "String", "proxy.corp.example:3128"),
        PolValue(DATA_COLLECTION, "DisableEnterpriseAuthProxy", "DWord", 1),
        PolValue(r"SOFTWARE\Policies\Microsoft\Windows Defender", "ProxyBypass", "String", "<local>;*.corp.example"),
        PolValue(r"SOFTWARE\Policies\Example", "Names", "MultiString", ["a", "b"]),
        PolValue(r"SOFTWARE\Policies\Example", "Big", "QWord", 2 ** 40),
        PolValue(r"SOFTWARE\Policies\Example", "Blob", "Binary", b"\x00\xff"),
    ]
    records = parse_registry_pol(write_registry_pol(values))
    assert [(r.key, r.value_name, r.kind, r.value) for r in records] == [
        (DATA_COLLECTION, "TelemetryProxyServer", "String", "proxy.corp.example:3128"),
        (DATA_COLLECTION, "DisableEnterpriseAuthProxy", "DWord", 1),
        (r"SOFTWARE\Policies\Microsoft\Windows Defender", "ProxyBypass", "String", "<local>;*.corp.example"),
        (r"SOFTWARE\Policies\Example", "Names", "MultiString", ["a", "b"]),
        (r"SOFTWARE\Policies\Example", "Big", "QWord", 2 ** 40),
        (r"SOFTWARE\Policies\Example", "Blob", "Binary", "00FF"),
    ]
    assert all(r.directive == "set" for r in records)


def test_an_empty_file_is_the_header_alone():
    assert write_registry_pol([]) == b"PReg\x01\x00\x00\x00"
    assert parse_registry_pol(write_registry_pol([])) == ()


def test_samba_reads_exactly_the_written_records(tmp_path):
    values = [
        PolValue(DATA_COLLECTION, "TelemetryProxyServer", "String", "10.0.0.6:8080"),
        PolValue(DATA_COLLECTION, "DisableEnterpriseAuthProxy", "DWord", 1),
        PolValue(r"SOFTWARE\Policies\Microsoft\Windows Advanced Threat Protection", "PreferStaticProxyForHttpRequest", "DWord", 1),
        PolValue(r"SOFTWARE\Policies\Microsoft\Windows Defender", "ProxyServer", "String", "http://10.0.0.6:8080"),
        PolValue(r"SOFTWARE\Policies\Microsoft\Windows Defender\Spynet", "SSLOptions", "DWord", 2),
    ]
    path = tmp_path / "Registry.pol"
    path.write_bytes(write_registry_pol(values))
    read = samba_read(path)
    assert read["version"] == 1
    assert [(e["key"], e["name"], e["type"], e["data"]) for e in read["entries"]] == [
        (DATA_COLLECTION, "TelemetryProxyServer", 1, "10.0.0.6:8080"),
        (DATA_COLLECTION, "DisableEnterpriseAuthProxy", 4, 1),
        (r"SOFTWARE\Policies\Microsoft\Windows Advanced Threat Protection", "PreferStaticProxyForHttpRequest", 4, 1),
        (r"SOFTWARE\Policies\Microsoft\Windows Defender", "ProxyServer", 1, "http://10.0.0.6:8080"),
        (r"SOFTWARE\Policies\Microsoft\Windows Defender\Spynet", "SSLOptions", 4, 2),
    ]
    # Samba's size field is the on-disk size: the string's NUL is counted, a DWORD is 4.
    assert [e["size"] for e in read["entries"]] == [28, 4, 4, 42, 4]


@pytest.mark.parametrize("value,field,rule", [
    (PolValue("", "X", "String", "a"), "values[1].key", "empty"),
    (PolValue(r"HKLM\SOFTWARE\Policies\X", "X", "String", "a"), "values[1].key", "hive-prefix"),
    (PolValue(r"SOFTWARE\\Policies", "X", "String", "a"), "values[1].key", "empty-component"),
    (PolValue(r"SOFTWARE\Policies\X", "X\x00Y", "String", "a"), "values[1].name", "nul"),
    (PolValue(r"SOFTWARE\Policies\X", "**del.X", "String", "a"), "values[1].name", "directive"),
    (PolValue(r"SOFTWARE\Policies\X", "X", "String", "a\x00b"), "values[1].value", "nul"),
    (PolValue(r"SOFTWARE\Policies\X", "X", "DWord", 2 ** 32), "values[1].value", "dword-range"),
    (PolValue(r"SOFTWARE\Policies\X", "X", "DWord", -1), "values[1].value", "dword-range"),
    (PolValue(r"SOFTWARE\Policies\X", "X", "DWord", True), "values[1].value", "type"),
    (PolValue(r"SOFTWARE\Policies\X", "X", "DWord", "1"), "values[1].value", "type"),
    (PolValue(r"SOFTWARE\Policies\X", "X", "String", 1), "values[1].value", "type"),
    (PolValue(r"SOFTWARE\Policies\X", "X", "Link", "a"), "values[1].kind", "choice"),
])
def test_bad_values_are_refused_naming_the_field(value, field, rule):
    with pytest.raises(RegistryPolWriteError) as err:
        write_registry_pol([value])
    assert (err.value.field, err.value.rule) == (field, rule)


def test_the_same_value_twice_is_refused():
    with pytest.raises(RegistryPolWriteError) as err:
        write_registry_pol([PolValue(DATA_COLLECTION, "TelemetryProxyServer", "String", "a:1"),
                            PolValue(DATA_COLLECTION.lower(), "telemetryproxyserver", "String", "b:2")])
    assert (err.value.field, err.value.rule) == ("values[2]", "duplicate")


_text = st.text(alphabet=st.characters(min_codepoint=1, max_codepoint=0xFFFF, blacklist_categories=("Cs",)), max_size=40)


@settings(max_examples=200, deadline=None)
@given(name=_text.filter(lambda s: s and not s.startswith("**")), text=_text, number=st.integers(0, 2 ** 32 - 1))
def test_any_text_and_dword_round_trip(name, text, number):
    key = r"SOFTWARE\Policies\Test"
    records = parse_registry_pol(write_registry_pol([PolValue(key, name, "String", text),
                                                     PolValue(key, name + "#", "DWord", number)]))
    assert [(r.value_name, r.value) for r in records] == [(name, text), (name + "#", number)]
