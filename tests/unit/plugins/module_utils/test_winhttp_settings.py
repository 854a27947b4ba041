# -*- coding: utf-8 -*-
"""Tests for the WinHttpSettings codec.

Test vectors W1-W3 and I1-I6 come from FACTS.md sections 2.5 and 2.6: W1 from KB 4494447,
W2/W3 and I1-I4 from vbfox/proxyconf unit tests, I6 from NetworkingDsc unit tests.
"""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings as hyp_settings, strategies as st

from ansible_collections.purview.device_proxy.plugins.module_utils.winhttp_settings import (
    FLAG_DIRECT,
    FLAG_PROXY,
    VERSION_ALT,
    VERSION_KB,
    WinHttpSettings,
    WinHttpSettingsError,
    decode,
    decode_hex,
    encode,
    encode_hex,
)

W1 = "1800000000000000010000000000000000000000"
W2 = "2800000000000000010000000000000000000000"
W3 = "28000000000000000300000004000000613A3432040000002A2E3432"

_I3_STRINGS = (
    "0D000000676F6F676C652E636F6D3A3432"  # "google.com:42"
    "0B0000004C6F6C3B3C6C6F63616C3E"  # "Lol;<local>"
    "11000000687474703A2F2F676F6F676C652E66722F"  # "http://google.fr/"
    + "00" * 32
)
I1 = "3C0000003A00000009000000" + "00" * 40
I2 = "460000003A00000001000000" + "00" * 44
I3 = "46000000400000000F000000" + _I3_STRINGS
I4 = "46000000" "44000000" "01000000" + _I3_STRINGS
I6 = "460000000800000001000000"


def u32(value):
    return struct.pack("<I", value)


def lp(text):
    """A length-prefixed ASCII string as stored in the value."""
    raw = text.encode("ascii") if isinstance(text, str) else text
    return u32(len(raw)) + raw


def header(version=VERSION_KB, counter=0, flags=FLAG_DIRECT):
    return u32(version) + u32(counter) + u32(flags)


# ---------------------------------------------------------------- public vectors

@pytest.mark.parametrize("hex_text, expected", [
    (W1, WinHttpSettings(version=0x18, counter=0, flags=1, proxy="", bypass="")),
    (W2, WinHttpSettings(version=0x28, counter=0, flags=1, proxy="", bypass="")),
    (W3, WinHttpSettings(version=0x28, counter=0, flags=3, proxy="a:42", bypass="*.42")),
], ids=["W1", "W2", "W3"])
def test_public_vectors_decode_and_reencode(hex_text, expected):
    data = bytes.fromhex(hex_text)
    decoded = decode(data)
    assert decoded == expected
    assert decoded.autoconfig_url is None
    assert encode(decoded) == data
    assert encode_hex(decoded) == hex_text.upper()


def test_constructors_reproduce_public_vectors():
    assert encode_hex(WinHttpSettings.direct()) == W1
    assert encode_hex(WinHttpSettings.direct(version=VERSION_ALT)) == W2
    assert encode_hex(WinHttpSettings.named_proxy("a:42", "*.42", version=VERSION_ALT)) == W3


def test_vector_sizes_match_the_documentation():
    assert len(bytes.fromhex(W1)) == 20
    assert len(bytes.fromhex(W3)) == 28
    assert len(bytes.fromhex(I3)) == 97 and len(bytes.fromhex(I4)) == 97


@pytest.mark.parametrize("hex_text, version", [
    (I1, 0x3C), (I2, 0x46), (I3, 0x46), (I4, 0x46), (I6, 0x46),
], ids=["I1", "I2", "I3", "I4", "I6"])
def test_wininet_vectors_are_rejected_with_a_clear_error(hex_text, version):
    with pytest.raises(WinHttpSettingsError) as info:
        decode(bytes.fromhex(hex_text))
    err = info.value
    assert err.offset == 0
    assert err.field == "version"
    assert "0x%X" % version in err.reason
    assert "WinINet DefaultConnectionSettings" in err.reason


def test_wininet_layout_under_a_winhttp_version_word_keeps_the_padding_as_trailing_data():
    # Three strings plus 32 padding bytes: the padding is unknown data for WinHttpSettings, kept whole.
    data = bytes.fromhex("28000000" + I3[8:])
    decoded = decode(data)
    assert decoded.autoconfig_url == "http://google.fr/"
    assert decoded.trailing == b"\x00" * 32
    assert encode(decoded) == data


# ---------------------------------------------------------------- lengths are 32-bit

def test_length_0x100_is_read_as_32_bit():
    proxy = "p" * 0x100
    data = header(flags=3) + bytes.fromhex("00010000") + proxy.encode() + u32(0)
    decoded = decode(data)
    # A one-byte reader would see length 0 here and then fail or return "".
    assert decoded.proxy == proxy
    assert decoded.bypass == ""
    assert encode(decoded) == data


def test_long_proxy_and_bypass_round_trip():
    proxy = "http=" + "a" * 300 + ".corp.example:3128;https=b.corp.example:8443"
    bypass = ";".join("*.host%03d.corp.example" % n for n in range(40))
    assert len(proxy) > 255 and len(bypass) > 255
    value = WinHttpSettings.named_proxy(proxy, bypass)
    data = encode(value)
    assert data[12:16] == u32(len(proxy))
    assert data[16 + len(proxy):20 + len(proxy)] == u32(len(bypass))
    assert decode(data) == value
    assert decode_hex(encode_hex(value)) == value


def test_very_large_length_is_rejected_without_reading():
    data = header() + u32(0xFFFFFFFF) + u32(0)
    with pytest.raises(WinHttpSettingsError) as info:
        decode(data)
    assert info.value.offset == 12
    assert info.value.reason == "proxy: length 4294967295 runs past the end of the data (4 bytes left)"


# ---------------------------------------------------------------- optional fields and flags

def test_trailing_autoconfig_url_is_kept():
    data = bytes.fromhex(W1) + lp("http://pac.corp.example/proxy.pac")
    decoded = decode(data)
    assert decoded.autoconfig_url == "http://pac.corp.example/proxy.pac"
    assert encode(decoded) == data


def test_empty_autoconfig_url_differs_from_absent():
    data = bytes.fromhex(W1) + u32(0)
    decoded = decode(data)
    assert decoded.autoconfig_url == ""
    assert decoded != decode(bytes.fromhex(W1))
    assert encode(decoded) == data


@pytest.mark.parametrize("flags", [0, 0x4, 0x8, 0x7, 0xF, 0x80000002, 0xFFFFFFFF])
def test_unknown_flag_bits_round_trip(flags):
    value = WinHttpSettings(flags=flags, proxy="10.0.0.6:8080")
    decoded = decode(encode(value))
    assert decoded.flags == flags
    assert decoded.uses_proxy == bool(flags & FLAG_PROXY)


def test_counter_is_any_u32():
    data = header(counter=0x12345678) + u32(0) + u32(0)
    assert decode(data).counter == 0x12345678
    assert encode(decode(data)) == data


@pytest.mark.parametrize("value, uses_proxy", [
    (WinHttpSettings.direct(), False),
    (WinHttpSettings.named_proxy("10.0.0.6:8080"), True),
    (WinHttpSettings(flags=FLAG_DIRECT, proxy="10.0.0.6:8080"), False),  # kept but disabled
    (WinHttpSettings(flags=FLAG_PROXY, proxy=""), False),
    (WinHttpSettings(flags=FLAG_PROXY, proxy="10.0.0.6:8080"), True),
])
def test_uses_proxy(value, uses_proxy):
    assert value.uses_proxy is uses_proxy


def test_named_proxy_sets_direct_and_proxy_flags():
    value = WinHttpSettings.named_proxy("10.0.0.6:8080", "<local>")
    assert value.flags == FLAG_DIRECT | FLAG_PROXY == 3
    assert value.version == VERSION_KB
    assert (value.proxy, value.bypass, value.autoconfig_url) == ("10.0.0.6:8080", "<local>", None)


def test_named_proxy_needs_a_proxy():
    with pytest.raises(WinHttpSettingsError) as info:
        WinHttpSettings.named_proxy("")
    assert info.value.field == "proxy"


def test_to_dict_has_the_facts_shape():
    assert decode_hex(W3).to_dict() == {
        "version": 0x28, "counter": 0, "flags": 3, "proxy": "a:42", "bypass": "*.42",
        "autoconfig_url": None, "uses_proxy": True, "trailing": "",
    }


def test_error_message_names_offset_and_reason():
    err = WinHttpSettingsError(12, "proxy: length 9 runs past the end of the data (4 bytes left)", "proxy")
    assert isinstance(err, ValueError)
    assert str(err) == "WinHttpSettings offset 12: proxy: length 9 runs past the end of the data (4 bytes left)"


# ---------------------------------------------------------------- truncated / inconsistent input

_W3 = bytes.fromhex(W3)

BAD_INPUTS = [
    ("empty", b"", 0, "size: 0 bytes is under the 20-byte minimum"),
    ("three bytes", b"\x18\x00\x00", 3, "size: 3 bytes is under the 20-byte minimum"),
    ("header only", header(), 12, "size: 12 bytes is under the 20-byte minimum"),
    ("19 bytes", bytes.fromhex(W1)[:19], 19, "size: 19 bytes is under the 20-byte minimum"),
    ("unknown version 0", bytes.fromhex("00" + W1[2:]), 0,
     "version: unknown version word 0x0, expected 0x18 or 0x28"),
    ("unknown version 0x19", bytes.fromhex("19" + W1[2:]), 0,
     "version: unknown version word 0x19, expected 0x18 or 0x28"),
    ("W3 minus one byte", _W3[:-1], 20, "bypass: length 4 runs past the end of the data (3 bytes left)"),
    ("W3 cut inside the bypass length", _W3[:22], 20, "bypass: needs 4 bytes, only 2 left"),
    ("proxy length one too long shifts the bypass length", header(flags=3) + u32(5) + b"a:42" + u32(0), 21,
     "bypass: needs 4 bytes, only 3 left"),
    ("proxy length past the end", header(flags=3) + u32(9) + b"a:42" + u32(0), 12,
     "proxy: length 9 runs past the end of the data (8 bytes left)"),
    ("bypass length too long", header() + u32(0) + u32(1), 16,
     "bypass: length 1 runs past the end of the data (0 bytes left)"),
    ("non-ASCII proxy", header(flags=3) + lp(b"pr\xe9xy:80") + u32(0), 18,
     "proxy: byte 0xE9 is not ASCII"),
    ("non-ASCII bypass", header() + u32(0) + lp(b"\xff") + b"", 20, "bypass: byte 0xFF is not ASCII"),
]


# Data after the bypass list that is not a length-prefixed ASCII string, or after the autoconfig
# URL, is kept whole (a newer writer may append fields); refusing it made every run fail.
TRAILING_KEPT = [
    ("one trailing byte", bytes.fromhex(W1) + b"\x00", None, b"\x00"),
    ("three trailing bytes", bytes.fromhex(W1) + b"abc", None, b"abc"),
    ("autoconfig length too long", bytes.fromhex(W1) + u32(10) + b"http", None, u32(10) + b"http"),
    ("bytes after the autoconfig URL", bytes.fromhex(W1) + lp("http://p/") + b"\x00\x00", "http://p/", b"\x00\x00"),
    ("non-ASCII autoconfig URL", bytes.fromhex(W1) + lp(b"http://\x80/"), None, lp(b"http://\x80/")),
]


@pytest.mark.parametrize("data, autoconfig_url, trailing", [case[1:] for case in TRAILING_KEPT],
                         ids=[case[0] for case in TRAILING_KEPT])
def test_trailing_data_is_kept_and_written_back_unchanged(data, autoconfig_url, trailing):
    decoded = decode(data)
    assert (decoded.proxy, decoded.bypass, decoded.flags) == ("", "", FLAG_DIRECT)
    assert decoded.autoconfig_url == autoconfig_url
    assert decoded.trailing == trailing
    assert encode(decoded) == data


def test_trailing_data_must_be_bytes_to_encode():
    with pytest.raises(WinHttpSettingsError) as info:
        encode(WinHttpSettings(trailing="00"))
    assert info.value.field == "trailing"


@pytest.mark.parametrize("data, offset, reason", [case[1:] for case in BAD_INPUTS],
                         ids=[case[0] for case in BAD_INPUTS])
def test_bad_input_is_rejected_with_offset_and_reason(data, offset, reason):
    with pytest.raises(WinHttpSettingsError) as info:
        decode(data)
    assert info.value.offset == offset
    assert info.value.reason == reason


@pytest.mark.parametrize("data", [None, "1800", 24, [0x18, 0, 0, 0]])
def test_decode_rejects_non_bytes(data):
    with pytest.raises(WinHttpSettingsError) as info:
        decode(data)
    assert info.value.field == "data"


def test_decode_accepts_bytearray_and_memoryview():
    data = bytes.fromhex(W3)
    assert decode(bytearray(data)) == decode(memoryview(data)) == decode(data)


# ---------------------------------------------------------------- encode validation

BAD_SETTINGS = [
    ("WinINet version", WinHttpSettings(version=0x46), 0, "version"),
    ("version out of range", WinHttpSettings(version=-1), 0, "version"),
    ("counter negative", WinHttpSettings(counter=-1), 4, "counter"),
    ("counter too big", WinHttpSettings(counter=2 ** 32), 4, "counter"),
    ("flags as bool", WinHttpSettings(flags=True), 8, "flags"),
    ("flags as str", WinHttpSettings(flags="1"), 8, "flags"),
    ("non-ASCII proxy", WinHttpSettings(proxy="prøxy:80"), 18, "proxy"),
    ("proxy None", WinHttpSettings(proxy=None), 12, "proxy"),
    ("non-ASCII bypass", WinHttpSettings(proxy="a:1", bypass="*.bücher.example"), 26, "bypass"),
    ("autoconfig not a string", WinHttpSettings(autoconfig_url=5), 20, "autoconfig_url"),
    ("non-ASCII autoconfig", WinHttpSettings(autoconfig_url="http://é/"), 31, "autoconfig_url"),
]


@pytest.mark.parametrize("value, offset, field", [case[1:] for case in BAD_SETTINGS],
                         ids=[case[0] for case in BAD_SETTINGS])
def test_encode_validates_its_input(value, offset, field):
    with pytest.raises(WinHttpSettingsError) as info:
        encode(value)
    assert info.value.offset == offset
    assert info.value.field == field
    assert info.value.reason.startswith(field + ":")


def test_encode_rejects_other_types():
    with pytest.raises(WinHttpSettingsError):
        encode({"version": 0x18})


# ---------------------------------------------------------------- hex text

@pytest.mark.parametrize("text", [
    W3,
    W3.lower(),
    "  " + W3 + "\r\n",
    "28 00 00 00 00 00 00 00 03 00 00 00 04 00 00 00 61 3a 34 32 04 00 00 00 2a 2e 34 32",
    "28000000 00000000 03000000 04000000 613A3432 04000000 2A2E3432",
    "hex:28,00,00,00,00,00,00,00,03,00,00,00,04,00,00,00,61,3a,34,32,04,00,00,00,2a,2e,34,32",
    "HEX:28,00,00,00,00,00,00,00,03,00,00,00,04,00,00,00,\\\n  61,3a,34,32,04,00,00,00,2a,2e,34,32",
    "28-00-00-00-00-00-00-00-03-00-00-00-04-00-00-00-61-3A-34-32-04-00-00-00-2A-2E-34-32",
])
def test_decode_hex_accepts_what_windows_tools_print(text):
    assert decode_hex(text) == decode(bytes.fromhex(W3))


@pytest.mark.parametrize("text, offset, reason", [
    ("1800000000000000010000000000000000000000 0", 41, "hex: group '0' has an odd number of digits"),
    ("18,0,00", 3, "hex: group '0' has an odd number of digits"),
    ("0x18000000", 1, "hex: 'x' is not a hex digit"),
    ("hex:18,zz", 7, "hex: 'z' is not a hex digit"),
    ("hex(3):18", 0, "hex: 'h' is not a hex digit"),
])
def test_decode_hex_rejects_malformed_text(text, offset, reason):
    with pytest.raises(WinHttpSettingsError) as info:
        decode_hex(text)
    assert info.value.offset == offset
    assert info.value.reason == reason


def test_decode_hex_errors_from_the_bytes_are_codec_errors():
    with pytest.raises(WinHttpSettingsError) as info:
        decode_hex(I2)
    assert info.value.field == "version"
    with pytest.raises(WinHttpSettingsError) as info:
        decode_hex("")
    assert info.value.field == "size"
    with pytest.raises(WinHttpSettingsError):
        decode_hex(None)


def test_encode_hex_is_upper_case_without_separators():
    text = encode_hex(WinHttpSettings.named_proxy("proxy.corp.example:3128", "<local>"))
    assert text == text.upper()
    assert all(char in "0123456789ABCDEF" for char in text)
    assert text.startswith("18000000" + "00000000" + "03000000" + "17000000")


# ---------------------------------------------------------------- properties

ascii_text = st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=300)
u32s = st.integers(min_value=0, max_value=0xFFFFFFFF)
settings_strategy = st.builds(
    WinHttpSettings,
    version=st.sampled_from([VERSION_KB, VERSION_ALT]),
    counter=u32s,
    flags=u32s,
    proxy=ascii_text,
    bypass=ascii_text,
    autoconfig_url=st.none() | ascii_text,
)


@given(settings_strategy)
def test_decode_inverts_encode(value):
    assert decode(encode(value)) == value


@given(settings_strategy)
def test_decode_hex_inverts_encode_hex(value):
    assert decode_hex(encode_hex(value)) == value


def _check_decode_total(data):
    """decode either succeeds (and then the bytes are canonical) or raises WinHttpSettingsError."""
    try:
        value = decode(data)
    except WinHttpSettingsError as err:
        assert 0 <= err.offset <= len(data)
        assert err.reason
        return
    assert encode(value) == data


@given(st.binary(max_size=120))
def test_arbitrary_bytes_decode_or_raise_codec_error(data):
    _check_decode_total(data)


@hyp_settings(max_examples=300)
@given(settings_strategy, st.data())
def test_damaged_encodings_decode_or_raise_codec_error(value, data):
    raw = bytearray(encode(value))
    action = data.draw(st.sampled_from(["truncate", "overwrite", "append"]))
    if action == "truncate":
        del raw[data.draw(st.integers(0, len(raw) - 1)):]
    elif action == "overwrite":
        index = data.draw(st.integers(0, len(raw) - 1))
        raw[index] = data.draw(st.integers(0, 255))
    else:
        raw += data.draw(st.binary(min_size=1, max_size=12))
    _check_decode_total(bytes(raw))


@given(st.text(max_size=80))
def test_arbitrary_text_decode_hex_or_raise_codec_error(text):
    try:
        value = decode_hex(text)
    except WinHttpSettingsError:
        return
    assert isinstance(value, WinHttpSettings)


# ---------------------------------------------------------------- WinINet DefaultConnectionSettings

from ansible_collections.purview.device_proxy.plugins.module_utils.winhttp_settings import (  # noqa: E402
    decode_connection_settings,
)

I6 = "460000000800000001000000"


@pytest.mark.parametrize("hex_text, expected", [
    (I1, {"version": 0x3C, "counter": 58, "flags": 9, "proxy_enabled": False, "auto_config_enabled": False,
          "auto_detect": True, "proxy": "", "bypass": "", "autoconfig_url": ""}),
    (I2, {"version": 0x46, "counter": 58, "flags": 1, "proxy_enabled": False, "auto_config_enabled": False,
          "auto_detect": False, "proxy": "", "bypass": "", "autoconfig_url": ""}),
    (I3, {"version": 0x46, "counter": 64, "flags": 0xF, "proxy_enabled": True, "auto_config_enabled": True,
          "auto_detect": True, "proxy": "google.com:42", "bypass": "Lol;<local>", "autoconfig_url": "http://google.fr/"}),
    # The proxy is off but its strings are kept: proxy_enabled tells them apart.
    (I4, {"version": 0x46, "counter": 68, "flags": 1, "proxy_enabled": False, "auto_config_enabled": False,
          "auto_detect": False, "proxy": "google.com:42", "bypass": "Lol;<local>", "autoconfig_url": "http://google.fr/"}),
    # A header alone (as NetworkingDsc's tests write it): no strings.
    (I6, {"version": 0x46, "counter": 8, "flags": 1, "proxy_enabled": False, "auto_config_enabled": False,
          "auto_detect": False, "proxy": "", "bypass": "", "autoconfig_url": ""}),
])
def test_wininet_connection_settings_vectors(hex_text, expected):
    assert decode_connection_settings(bytes.fromhex(hex_text)).to_dict() == expected


@pytest.mark.parametrize("data, field, words", [
    (bytes.fromhex(W1), "version", "WinHttpSettings format"),
    (bytes.fromhex("46000000"), "size", "under the 12-byte header"),
    (bytes.fromhex(I6) + u32(50) + b"abc", "proxy", "runs past the end"),
    ("46000000", "data", "expected bytes"),
])
def test_wininet_connection_settings_refusals_name_the_field(data, field, words):
    with pytest.raises(WinHttpSettingsError) as info:
        decode_connection_settings(data)
    assert info.value.field == field
    assert words in info.value.reason
