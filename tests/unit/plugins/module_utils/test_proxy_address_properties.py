# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Property tests for the proxy address and bypass list model."""

from __future__ import annotations

import ipaddress
import re

from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import (
    SCHEMES,
    ProxyAddressError,
    parse_endpoint,
    parse_proxy_server,
    telemetry_proxy_server_value,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.winhttp_proxy_state import RequestedSetting
from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_bypass import parse_bypass_list

PROPERTY_SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# What each rendering may contain; anything else (spaces, quotes, controls, non-ASCII, other shell or
# netsh metacharacters) is a bug. ';' '=' '*' '<' '>' are the structure of the WinHTTP formats.
HOST_PORT = re.compile(r"^[a-z0-9.:\[\]-]+$")
URL = re.compile(r"^http://[a-z0-9.:\[\]-]+$")
SERVER_STRING = re.compile(r"^[a-z0-9.:\[\]=;-]+$")
BYPASS_ENTRY = re.compile(r"^(<local>|[a-z0-9.:*-]+)$")

# --- strategies for valid input -------------------------------------------------------------

LABEL = st.from_regex(r"\A[a-zA-Z0-9]([a-zA-Z0-9-]{0,20}[a-zA-Z0-9])?\Z")
LONG_LABEL = st.from_regex(r"\A[a-z]([a-z0-9-]{59,61}[a-z0-9])?\Z")


def _is_valid_name(labels):
    name = ".".join(labels)
    return len(name) <= 253 and not labels[-1].isdigit()


HOSTNAME = st.lists(st.one_of(LABEL, LONG_LABEL), min_size=1, max_size=5).filter(_is_valid_name).map(".".join)
IPV4 = st.ip_addresses(v=4).map(str)
IPV6 = st.ip_addresses(v=6).flatmap(
    lambda address: st.sampled_from([address.compressed, address.exploded, address.compressed.upper()]))
PORT = st.integers(min_value=1, max_value=65535)


@st.composite
def endpoint_texts(draw):
    """A valid endpoint as a user might write it, with the host and port it must parse to."""
    kind = draw(st.sampled_from(["name", "ipv4", "ipv6"]))
    port = draw(PORT)
    if kind == "ipv6":
        written = draw(IPV6)
        return "[%s]:%d" % (written, port), ipaddress.IPv6Address(written).compressed, port
    written = draw(HOSTNAME if kind == "name" else IPV4)
    trailing_dot = "." if kind == "name" and draw(st.booleans()) else ""
    return "%s%s:%d" % (written, trailing_dot, port), written.lower(), port


@st.composite
def per_scheme_texts(draw):
    keys = draw(st.lists(st.sampled_from(SCHEMES), min_size=1, max_size=4, unique=True))
    parts = []
    for key in keys:
        text, _host, _port = draw(endpoint_texts())
        shown_key = key.upper() if draw(st.booleans()) else key
        parts.append("%s=%s" % (shown_key, text))
    return ";".join(parts)


WILDCARD_LABEL = st.from_regex(r"\A([a-z0-9]{0,5}\*[a-z0-9]{0,5}|\*)\Z")
BYPASS_ENTRY_TEXT = st.one_of(
    st.just("<local>"),
    st.just("<LOCAL>"),
    HOSTNAME,
    IPV4,
    IPV6,
    st.tuples(WILDCARD_LABEL, HOSTNAME).map(".".join).filter(lambda name: len(name) <= 253),
    st.lists(st.one_of(st.integers(0, 255).map(str), st.just("*")), min_size=1, max_size=4)
    .filter(lambda labels: "*" in labels).map(".".join),
)

# --- strategies for arbitrary input ------------------------------------------------------------

NEAR_ALPHABET = "abAB019.-:[]=;/@*<>_%&|^$\"'` \t\n\u00e9\u3002\x00+#?"


@st.composite
def mutated(draw, base):
    """A valid text with one character inserted, replaced or removed: hits the edges of the rules."""
    text = draw(base)
    position = draw(st.integers(0, len(text)))
    char = draw(st.sampled_from(NEAR_ALPHABET))
    how = draw(st.sampled_from(["insert", "replace", "delete"]))
    if how == "insert":
        return text[:position] + char + text[position:]
    if how == "replace":
        return text[:position] + char + text[position + 1:]
    return text[:position] + text[position + 1:]


ANY_PROXY_TEXT = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=NEAR_ALPHABET, max_size=30),
    endpoint_texts().map(lambda case: case[0]),
    per_scheme_texts(),
    mutated(endpoint_texts().map(lambda case: case[0])),
    mutated(per_scheme_texts()),
)
ENDPOINT_TEXT = endpoint_texts().map(lambda case: case[0])
ENDPOINT_LIKE_TEXT = st.one_of(
    ENDPOINT_TEXT,
    ENDPOINT_TEXT.map(lambda text: "http://" + text),
    ENDPOINT_TEXT.map(lambda text: "HTTP://" + text + "/"),
    mutated(ENDPOINT_TEXT),
    st.text(alphabet=NEAR_ALPHABET, max_size=20),
)
ANY_BYPASS_TEXT = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=NEAR_ALPHABET, max_size=30),
    st.lists(BYPASS_ENTRY_TEXT, max_size=5).map(";".join),
    mutated(st.lists(BYPASS_ENTRY_TEXT, min_size=1, max_size=5).map(";".join)),
)
ANY_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20), st.binary(max_size=10)),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(st.text(max_size=6), children, max_size=3)),
    max_leaves=6,
)


def _accepted(parser, value):
    try:
        return parser(value)
    except ProxyAddressError:
        return None


def _assert_server_renderings_safe(server):
    assert SERVER_STRING.match(server.winhttp_string())
    for scheme in SCHEMES:
        endpoint = server.endpoint_for(scheme)
        if endpoint is not None:
            assert HOST_PORT.match(endpoint.host_port())
            assert URL.match(endpoint.url())
            directive = endpoint.pac_directive()
            assert directive.startswith("PROXY ") and HOST_PORT.match(directive[len("PROXY "):])
    # The netsh command the collection shows (winhttp_view renders it).
    assert RequestedSetting(server).netsh() == 'netsh winhttp set proxy proxy-server="%s"' % server.winhttp_string()


# --- properties -----------------------------------------------------------------------------------

@PROPERTY_SETTINGS
@given(endpoint_texts())
def test_generated_valid_endpoints_always_parse(case):
    text, host, port = case
    endpoint = parse_endpoint(text)
    assert (endpoint.host, endpoint.port) == (host, port)
    assert parse_proxy_server(text).default == endpoint
    assert telemetry_proxy_server_value(text) == endpoint.host_port()
    assert parse_endpoint("http://" + text, allow_scheme=True) == endpoint


@PROPERTY_SETTINGS
@given(per_scheme_texts())
def test_generated_per_scheme_strings_always_parse(text):
    server = parse_proxy_server(text)
    assert server.default is None
    assert [key for key, _endpoint in server.per_scheme] == sorted(
        {part.split("=")[0].lower() for part in text.split(";")}, key=SCHEMES.index)


@PROPERTY_SETTINGS
@given(ANY_PROXY_TEXT)
def test_accepted_proxies_round_trip_and_render_safely(text):
    server = _accepted(parse_proxy_server, text)
    if server is None:
        reject()
    assert parse_proxy_server(server.winhttp_string()) == server
    _assert_server_renderings_safe(server)
    if server.default is not None:
        endpoint = server.default
        assert parse_endpoint(endpoint.host_port()) == endpoint
        assert parse_endpoint(endpoint.url(), allow_scheme=True) == endpoint
        assert telemetry_proxy_server_value(text) == endpoint.host_port()
        assert parse_endpoint(text) == endpoint
    else:
        assert parse_proxy_server(dict(server.per_scheme)) == server
        assert parse_proxy_server({key: ep.host_port() for key, ep in server.per_scheme}) == server


@PROPERTY_SETTINGS
@given(ENDPOINT_LIKE_TEXT, st.booleans())
def test_accepted_endpoints_round_trip(text, allow_scheme):
    endpoint = _accepted(lambda value: parse_endpoint(value, allow_scheme=allow_scheme), text)
    if endpoint is None:
        reject()
    assert parse_endpoint(endpoint.host_port()) == endpoint
    assert HOST_PORT.match(endpoint.host_port())


@PROPERTY_SETTINGS
@given(ANY_BYPASS_TEXT)
def test_accepted_bypass_lists_round_trip_and_render_safely(text):
    bypass = _accepted(parse_bypass_list, text)
    if bypass is None:
        reject()
    assert parse_bypass_list(bypass.winhttp_string()) == bypass
    assert parse_bypass_list(list(bypass.entries)) == bypass
    assert len(set(bypass.entries)) == len(bypass.entries)
    for entry in bypass.entries:
        assert BYPASS_ENTRY.match(entry), entry
    command = RequestedSetting(parse_proxy_server("a:1"), bypass).netsh()
    if bypass.entries:
        assert command.endswith(' bypass-list="%s"' % bypass.winhttp_string())
    else:
        assert command == 'netsh winhttp set proxy proxy-server="a:1"'


@PROPERTY_SETTINGS
@given(st.lists(BYPASS_ENTRY_TEXT, max_size=6))
def test_generated_bypass_lists_always_parse(entries):
    bypass = parse_bypass_list(entries)
    assert parse_bypass_list(";".join(entries)) == bypass
    assert len(bypass.entries) <= len(entries)


@PROPERTY_SETTINGS
@given(st.lists(HOSTNAME, min_size=1, max_size=4))
def test_every_listed_name_bypasses_itself(names):
    bypass = parse_bypass_list(names)
    for name in names:
        assert bypass.matches(name)
        assert bypass.matches(name.upper() + ".")


@PROPERTY_SETTINGS
@given(HOSTNAME, HOSTNAME)
def test_suffix_wildcard_matches_only_below_the_domain(domain, host):
    # Names over 253 characters are not host names; the model rejects such an entry.
    if len(host + "." + domain) > 253 or len("*." + domain) > 253:
        reject()
    bypass = parse_bypass_list("*." + domain)
    assert bypass.matches(host + "." + domain)
    assert not bypass.matches(domain)
    assert bypass.matches(host) == host.lower().endswith("." + domain.lower())


@PROPERTY_SETTINGS
@given(st.one_of(ANY_PROXY_TEXT, ANY_VALUE))
def test_arbitrary_proxy_input_parses_or_raises_proxy_address_error(value):
    for parser in (parse_proxy_server, telemetry_proxy_server_value, parse_endpoint,
                   lambda item: parse_endpoint(item, allow_scheme=True)):
        try:
            parser(value)
        except ProxyAddressError as error:
            assert error.field == "proxy" and error.rule and str(error).startswith("proxy: ")


@PROPERTY_SETTINGS
@given(st.one_of(ANY_BYPASS_TEXT, ANY_VALUE, st.lists(st.text(max_size=10), max_size=4)))
def test_arbitrary_bypass_input_parses_or_raises_proxy_address_error(value):
    try:
        parse_bypass_list(value)
    except ProxyAddressError as error:
        assert error.field == "bypass" and error.rule and str(error).startswith("bypass: ")


@PROPERTY_SETTINGS
@given(st.one_of(st.text(max_size=40), ANY_VALUE), st.lists(BYPASS_ENTRY_TEXT, max_size=4))
def test_matches_never_raises(host, entries):
    assert parse_bypass_list(entries).matches(host) in (True, False)


@PROPERTY_SETTINGS
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12), endpoint_texts())
def test_passwords_never_appear_in_errors(tail, case):
    password = "Pw9" + tail  # a marker that no message contains by itself
    text = "user:%s@%s" % (password, case[0])
    try:
        parse_proxy_server(text)
    except ProxyAddressError as error:
        assert error.rule == "no-credentials"
        assert password not in error.message
        assert not error.value.startswith("user:")
    else:
        raise AssertionError("credentials were accepted")
