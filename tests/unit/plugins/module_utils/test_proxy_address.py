# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Table tests for the proxy address and bypass list model."""

from __future__ import annotations

import dataclasses

import pytest

from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import (
    MAX_BYPASS_TEXT,
    MAX_PROXY_TEXT,
    ProxyAddressError,
    ProxyEndpoint,
    ProxyServer,
    parse_endpoint,
    parse_proxy_server,
    telemetry_proxy_server_value,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.winhttp_proxy_state import RequestedSetting
from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_bypass import BypassList, parse_bypass_list

LONG_LABEL = "a" * 64
LONG_NAME = ".".join(["a" * 63] * 4)  # 255 characters


def _endpoint(value):
    return parse_endpoint(value)


def _endpoint_with_scheme(value):
    return parse_endpoint(value, allow_scheme=True)


def _endpoint_field_named(value):
    return parse_endpoint(value, field="telemetry_proxy")


PARSERS = {
    "endpoint": _endpoint,
    "endpoint+scheme": _endpoint_with_scheme,
    "endpoint(field)": _endpoint_field_named,
    "server": parse_proxy_server,
    "telemetry": telemetry_proxy_server_value,
    "bypass": parse_bypass_list,
}

# (parser, value, field, rule, fragment of the message)
BAD_INPUTS = [
    # ports
    ("endpoint", "proxy.corp.example", "proxy", "port-required", "has no port"),
    ("endpoint", "proxy.corp.example:", "proxy", "port-required", "has no port"),
    ("endpoint", "[2001:db8::1]", "proxy", "port-required", "has no port"),
    ("endpoint", "[2001:db8::1]:", "proxy", "port-required", "has no port"),
    ("endpoint", "10.0.0.6:0", "proxy", "port-range", "port 0 is out of range 1-65535"),
    ("endpoint", "10.0.0.6:65536", "proxy", "port-range", "port 65536 is out of range 1-65535"),
    ("endpoint", "10.0.0.6:70000", "proxy", "port-range", "port 70000 is out of range 1-65535"),
    ("endpoint", "10.0.0.6:123456", "proxy", "port-range", "out of range"),
    ("endpoint", "10.0.0.6:08080", "proxy", "port-format", "without leading zeros"),
    ("endpoint", "10.0.0.6:00", "proxy", "port-format", "without leading zeros"),
    ("endpoint", "10.0.0.6:+8080", "proxy", "port-format", "without a sign"),
    ("endpoint", "10.0.0.6:-8080", "proxy", "port-format", "without a sign"),
    ("endpoint", "10.0.0.6:80a", "proxy", "port-format", "only the digits"),
    ("endpoint", "10.0.0.6:http", "proxy", "port-format", "only the digits"),
    # schemes
    ("endpoint", "http://10.0.0.6:8080", "proxy", "no-scheme", "scheme ('http://') is not allowed"),
    ("telemetry", "http://10.0.0.6:8080", "proxy", "no-scheme", "is not allowed"),
    ("server", "HTTPS://10.0.0.6:8080", "proxy", "no-scheme", "scheme ('https://')"),
    ("server", "http=http://a:3128", "proxy", "no-scheme", "is not allowed"),
    ("endpoint+scheme", "https://10.0.0.6:8080", "proxy", "unsupported-scheme", "only the 'http://' scheme"),
    ("endpoint+scheme", "socks5://10.0.0.6:1080", "proxy", "unsupported-scheme", "'socks5://'"),
    ("endpoint", "://10.0.0.6:8080", "proxy", "no-scheme", "malformed scheme"),
    # credentials (the password must never come back)
    ("endpoint", "user:Secr3t@10.0.0.6:8080", "proxy", "no-credentials", "credentials are not allowed"),
    ("endpoint+scheme", "http://user:Secr3t@10.0.0.6:8080", "proxy", "no-credentials", "anonymous"),
    ("server", "http=user:Secr3t@a:3128;https=b:8443", "proxy", "no-credentials", "credentials"),
    ("server", {"http": "user:Secr3t@a:3128"}, "proxy", "no-credentials", "credentials"),
    ("endpoint", "user:Sec ret@10.0.0.6:8080", "proxy", "no-credentials", "credentials"),
    ("bypass", "user@host.corp", "bypass", "no-credentials", "credentials"),
    # paths
    ("endpoint", "10.0.0.6:8080/", "proxy", "no-path", "path"),
    ("endpoint", "10.0.0.6:8080/proxy.pac", "proxy", "no-path", "path"),
    ("endpoint+scheme", "http://10.0.0.6:8080/x", "proxy", "no-path", "path"),
    ("endpoint", "10.0.0.6:8080?x=1", "proxy", "no-path", "query"),
    ("endpoint", "10.0.0.6:8080#frag", "proxy", "no-path", "fragment"),
    ("bypass", "10.0.0.0/8", "bypass", "bypass-entry", "CIDR"),
    # whitespace, quotes, control and non-ASCII characters
    ("endpoint", "10.0.0.6 :8080", "proxy", "whitespace", "spaces are not allowed"),
    ("endpoint", " 10.0.0.6:8080", "proxy", "whitespace", "spaces"),
    ("server", "http=a:3128; https=b:8443", "proxy", "whitespace", "spaces"),
    ("bypass", "*.corp.example; <local>", "bypass", "whitespace", "spaces"),
    ("endpoint", '"10.0.0.6:8080"', "proxy", "quote", "quote character"),
    ("endpoint", "'10.0.0.6:8080'", "proxy", "quote", "quote character"),
    ("bypass", "*.corp`.example", "bypass", "quote", "quote character"),
    ("endpoint", "10.0.0.6:8080\n", "proxy", "control-character", "U+000A"),
    ("endpoint", "10.0.0.6:8080\t", "proxy", "control-character", "U+0009"),
    ("endpoint", "10.0.0.6\x00:8080", "proxy", "control-character", "U+0000"),
    ("bypass", "*.corp\x7f", "bypass", "control-character", "U+007F"),
    ("endpoint", "b\u00fccher.example:8080", "proxy", "non-ascii", "punycode"),
    ("endpoint", "proxy\u3002corp:8080", "proxy", "non-ascii", "U+3002"),
    ("endpoint", "10.0.0.6:\u0668\u0660", "proxy", "non-ascii", "non-ASCII"),
    ("bypass", "*.b\u00fccher.example", "bypass", "non-ascii", "punycode"),
    ("endpoint", "10.0.0.6:8080\u00a0", "proxy", "non-ascii", "U+00A0"),
    # shell and netsh metacharacters
    ("endpoint", "10.0.0.6:8080&calc", "proxy", "forbidden-character", "'&'"),
    ("endpoint", "10.0.0.6:8080|x", "proxy", "forbidden-character", "'|'"),
    ("endpoint", "$(whoami):8080", "proxy", "forbidden-character", "'$'"),
    ("endpoint", "%TEMP%:8080", "proxy", "forbidden-character", "'%'"),
    ("endpoint", "a^b:8080", "proxy", "forbidden-character", "'^'"),
    ("endpoint", "a>b:8080", "proxy", "forbidden-character", "'>'"),
    ("endpoint", "a\\b:8080", "proxy", "forbidden-character", "'\\'"),
    ("endpoint", "a,b:8080", "proxy", "forbidden-character", "','"),
    ("endpoint", "a;b:8080", "proxy", "forbidden-character", "';'"),
    ("endpoint", "http=a:8080", "proxy", "forbidden-character", "'='"),
    ("endpoint", "*.corp:8080", "proxy", "forbidden-character", "'*'"),
    ("server", "a:3128!", "proxy", "forbidden-character", "'!'"),
    ("bypass", "*.corp.example;a&b", "bypass", "forbidden-character", "'&'"),
    ("bypass", "host=1", "bypass", "forbidden-character", "'='"),
    ("bypass", ["*.corp;<local>"], "bypass", "forbidden-character", "';'"),
    # empty parts
    ("endpoint", "", "proxy", "empty", "empty"),
    ("server", "", "proxy", "empty", "empty"),
    ("server", {}, "proxy", "empty", "empty"),
    ("endpoint", ":8080", "proxy", "empty-host", "no host"),
    ("server", "a:1;;", "proxy", "empty-part", "empty part"),
    ("server", "a:1;", "proxy", "empty-part", "empty part"),
    ("server", ";a:1", "proxy", "empty-part", "empty part"),
    ("server", "http=", "proxy", "empty-part", "no proxy after it"),
    ("server", "http=a:1;https=", "proxy", "empty-part", "scheme 'https' has no proxy"),
    ("server", "=a:1", "proxy", "empty-part", "no scheme before '='"),
    ("server", {"http": ""}, "proxy", "empty-part", "no proxy after it"),
    ("server", {"http": None}, "proxy", "empty-part", "no proxy after it"),
    ("bypass", "*.corp.example;;<local>", "bypass", "empty-part", "empty entry"),
    ("bypass", ";", "bypass", "empty-part", "empty entry"),
    ("bypass", "*.corp.example;", "bypass", "empty-part", "empty entry"),
    ("bypass", ["*.corp.example", ""], "bypass", "empty-part", "bypass entry 2 is empty"),
    ("bypass", "a..corp", "bypass", "empty-label", "empty label"),
    ("bypass", ".corp.example", "bypass", "empty-label", "write '*.corp.example'"),
    ("endpoint", "a..corp:8080", "proxy", "empty-label", "empty label"),
    ("endpoint", ".corp:8080", "proxy", "empty-label", "empty label"),
    ("endpoint", "corp..:8080", "proxy", "empty-label", "empty label"),
    # lengths
    ("endpoint", LONG_LABEL + ".example:8080", "proxy", "label-length", "label of 64 characters"),
    ("endpoint", LONG_NAME + ":8080", "proxy", "hostname-length", "the limit is 253"),
    ("bypass", LONG_LABEL + ".corp", "bypass", "label-length", "limit is 63"),
    ("bypass", LONG_NAME, "bypass", "hostname-length", "limit is 253"),
    ("server", "a" * (MAX_PROXY_TEXT + 1), "proxy", "too-long", "the limit is %d" % MAX_PROXY_TEXT),
    ("endpoint", "a" * (MAX_PROXY_TEXT + 1), "proxy", "too-long", "the limit is"),
    ("bypass", ";".join(["host%04d.corp.example" % i for i in range(250)]), "bypass", "too-long", "the limit is %d" % MAX_BYPASS_TEXT),
    ("bypass", ["host%04d.corp.example" % i for i in range(250)], "bypass", "too-long", "the limit is"),
    # host names
    ("endpoint", "-proxy.corp:8080", "proxy", "hostname", "starts or ends with '-'"),
    ("endpoint", "proxy-.corp:8080", "proxy", "hostname", "starts or ends with '-'"),
    ("endpoint", "proxy_1.corp:8080", "proxy", "hostname", "only letters, digits, hyphens and dots"),
    ("endpoint", "proxy.corp.1:8080", "proxy", "hostname", "all-numeric label"),
    ("bypass", "*.-corp.example", "bypass", "hostname", "starts or ends with '-'"),
    ("bypass", "-*.corp.example", "bypass", "hostname", "starts or ends with '-'"),
    ("bypass", "*.co_rp.example", "bypass", "hostname", "only letters"),
    # IPv4
    ("endpoint", "10.0.0.256:8080", "proxy", "ipv4", "above 255"),
    ("endpoint", "10.0.0:8080", "proxy", "ipv4", "four dot-separated numbers"),
    ("endpoint", "10.0.0.1.5:8080", "proxy", "ipv4", "four dot-separated numbers"),
    ("endpoint", "010.0.0.6:8080", "proxy", "ipv4", "without leading zeros"),
    ("bypass", "10.0.0", "bypass", "ipv4", "use a wildcard"),
    ("bypass", "300.*", "bypass", "ipv4", "above 255"),
    ("bypass", "010.*", "bypass", "ipv4", "without leading zeros"),
    ("bypass", "10.*.*.*.*", "bypass", "ipv4", "more than four parts"),
    # IPv6
    ("endpoint", "2001:db8::1:8080", "proxy", "ipv6-brackets", "in brackets"),
    ("endpoint", "::1:8080", "proxy", "ipv6-brackets", "in brackets"),
    ("endpoint", "[2001:db8::g]:8080", "proxy", "ipv6", "not a valid IPv6 address"),
    ("endpoint", "[2001:db8:::1]:8080", "proxy", "ipv6", "not a valid IPv6 address"),
    ("endpoint", "[10.0.0.6]:8080", "proxy", "ipv6", "not a valid IPv6 address"),
    ("endpoint", "[2001:db8::1:8080", "proxy", "ipv6", "no matching ']'"),
    ("endpoint", "[2001:db8::1]8080", "proxy", "ipv6", "only ':port' may follow"),
    ("endpoint", "[fe80::1%25eth0]:8080", "proxy", "forbidden-character", "'%'"),
    ("endpoint", "a]:8080", "proxy", "ipv6", "brackets are only allowed"),
    ("bypass", "fe80::*", "bypass", "ipv6", "wildcards are not supported"),
    ("bypass", "[::1]:8080", "bypass", "bypass-port", "port is not supported"),
    ("bypass", "2001:db8::g", "bypass", "ipv6", "not a valid IPv6 address"),
    # per-scheme keys
    ("server", "gopher=a:70", "proxy", "unknown-scheme", "unknown scheme 'gopher'"),
    ("server", {"wss": "a:3128"}, "proxy", "unknown-scheme", "use one of http, https, ftp, socks"),
    ("server", "http=a:3128;HTTP=b:3128", "proxy", "duplicate-scheme", "more than once"),
    ("server", "https=a:1;ftp=b:2;https=c:3", "proxy", "duplicate-scheme", "scheme 'https'"),
    ("server", "http==a:1", "proxy", "forbidden-character", "more than one '='"),
    ("server", "a:3128;b:3128", "proxy", "single-endpoint", "several proxies without scheme keys"),
    ("server", "a:3128;https=b:3128", "proxy", "mixed-forms", "give every part a scheme"),
    ("telemetry", "http=a:3128;https=b:8443", "proxy", "single-endpoint", "TelemetryProxyServer takes one host:port"),
    ("telemetry", {"http": "a:3128"}, "proxy", "single-endpoint", "per-scheme values"),
    # bypass ports and odd entries
    ("bypass", "*.corp.example:443", "bypass", "bypass-port", "WinHTTP documents none"),
    ("bypass", "<local>:80", "bypass", "bypass-entry", "only allowed in '<local>'"),
    ("bypass", "<-loopback>", "bypass", "bypass-entry", "only allowed in '<local>'"),
    # types
    ("endpoint", 8080, "proxy", "type", "must be a string, got int"),
    ("server", ["a:3128"], "proxy", "type", "must be a string"),
    ("server", {1: "a:3128"}, "proxy", "type", "scheme key"),
    ("server", {"http": 3128}, "proxy", "type", "the proxy for 'http'"),
    ("bypass", 5, "bypass", "type", "a string or a list of strings"),
    ("bypass", ["*.corp", None], "bypass", "type", "bypass entry 2"),
    # the field the caller names is the field reported
    ("endpoint(field)", "a:99999", "telemetry_proxy", "port-range", "port 99999"),
]


def _case_id(case):
    parser, value, _field, rule, _fragment = case
    return "%s-%s-%r" % (parser, rule, value if not isinstance(value, str) or len(value) < 40 else value[:40])


def test_bad_input_table_is_large_enough():
    assert len(BAD_INPUTS) >= 60
    assert len({(case[0], repr(case[1])) for case in BAD_INPUTS}) == len(BAD_INPUTS)


@pytest.mark.parametrize("case", BAD_INPUTS, ids=[_case_id(case) for case in BAD_INPUTS])
def test_bad_input_is_rejected_naming_field_and_rule(case):
    parser, value, field, rule, fragment = case
    with pytest.raises(ProxyAddressError) as caught:
        PARSERS[parser](value)
    error = caught.value
    assert (error.field, error.rule) == (field, rule), str(error)
    assert fragment in error.message
    assert str(error) == "%s: %s" % (field, error.message)
    assert isinstance(error, ValueError)


@pytest.mark.parametrize("value", [
    "user:Secr3t@10.0.0.6:8080",
    "http://user:Secr3t@10.0.0.6:8080",
    "http=user:Secr3t@a:3128;https=b:8443",
    "user:Sec ret@10.0.0.6:8080",
    "user:Secr3t\u00e9@10.0.0.6:8080",
    "user:Secr3t;x@10.0.0.6:8080",
    "user:Secr3t@host@10.0.0.6:8080",
])
@pytest.mark.parametrize("parser", ["endpoint", "endpoint+scheme", "server", "telemetry"])
def test_passwords_are_never_echoed(parser, value):
    with pytest.raises(ProxyAddressError) as caught:
        PARSERS[parser](value)
    error = caught.value
    assert error.rule == "no-credentials"
    for shown in (str(error), error.message, error.value, repr(error.args)):
        assert "Secr3t" not in shown
    assert "***@" in error.value


def test_password_in_dict_form_is_masked():
    with pytest.raises(ProxyAddressError) as caught:
        parse_proxy_server({"https": "admin:Secr3t@b:8443"})
    assert "Secr3t" not in str(caught.value) + caught.value.value


# (input, host, port, host_port, url, pac)
GOOD_ENDPOINTS = [
    ("10.0.0.6:8080", "10.0.0.6", 8080, "10.0.0.6:8080", "http://10.0.0.6:8080", "PROXY 10.0.0.6:8080"),
    ("proxy.corp.example:3128", "proxy.corp.example", 3128, "proxy.corp.example:3128",
     "http://proxy.corp.example:3128", "PROXY proxy.corp.example:3128"),
    ("Proxy.Corp.Example.:3128", "proxy.corp.example", 3128, "proxy.corp.example:3128",
     "http://proxy.corp.example:3128", "PROXY proxy.corp.example:3128"),
    ("[2001:db8::1]:8080", "2001:db8::1", 8080, "[2001:db8::1]:8080", "http://[2001:db8::1]:8080", "PROXY [2001:db8::1]:8080"),
    ("[2001:DB8:0:0:0:0:0:1]:8080", "2001:db8::1", 8080, "[2001:db8::1]:8080", "http://[2001:db8::1]:8080", "PROXY [2001:db8::1]:8080"),
    ("[::1]:3128", "::1", 3128, "[::1]:3128", "http://[::1]:3128", "PROXY [::1]:3128"),
    ("proxy:1", "proxy", 1, "proxy:1", "http://proxy:1", "PROXY proxy:1"),
    ("xn--bcher-kva.example:65535", "xn--bcher-kva.example", 65535, "xn--bcher-kva.example:65535",
     "http://xn--bcher-kva.example:65535", "PROXY xn--bcher-kva.example:65535"),
    ("0.0.0.0:80", "0.0.0.0", 80, "0.0.0.0:80", "http://0.0.0.0:80", "PROXY 0.0.0.0:80"),
    ("255.255.255.255:80", "255.255.255.255", 80, "255.255.255.255:80", "http://255.255.255.255:80", "PROXY 255.255.255.255:80"),
    ("a-b.c-d.example:8080", "a-b.c-d.example", 8080, "a-b.c-d.example:8080", "http://a-b.c-d.example:8080", "PROXY a-b.c-d.example:8080"),
    ("1proxy.example:8080", "1proxy.example", 8080, "1proxy.example:8080", "http://1proxy.example:8080", "PROXY 1proxy.example:8080"),
]


@pytest.mark.parametrize("text,host,port,host_port,url,pac", GOOD_ENDPOINTS)
def test_good_endpoints_normalise_and_render(text, host, port, host_port, url, pac):
    endpoint = parse_endpoint(text)
    assert (endpoint.host, endpoint.port) == (host, port)
    assert endpoint.host_port() == host_port
    assert endpoint.url() == url
    assert endpoint.pac_directive() == pac
    assert endpoint.is_ipv6 == (":" in host)
    assert telemetry_proxy_server_value(text) == host_port
    assert parse_endpoint(host_port) == endpoint


def test_url_takes_another_scheme():
    assert parse_endpoint("10.0.0.6:8080").url("https") == "https://10.0.0.6:8080"
    with pytest.raises(ProxyAddressError) as caught:
        parse_endpoint("10.0.0.6:8080").url("HTTP:// x")
    assert caught.value.field == "scheme"


@pytest.mark.parametrize("text,expected", [
    ("http://10.0.0.6:8080", "10.0.0.6:8080"),
    ("HTTP://Proxy.Corp:3128", "proxy.corp:3128"),
    ("http://10.0.0.6:8080/", "10.0.0.6:8080"),
    ("http://[2001:db8::1]:8080", "[2001:db8::1]:8080"),
    ("10.0.0.6:8080", "10.0.0.6:8080"),
])
def test_allow_scheme_drops_http_prefix(text, expected):
    assert parse_endpoint(text, allow_scheme=True).host_port() == expected


# (input, winhttp string, {scheme: expected endpoint host_port or None})
GOOD_SERVERS = [
    ("10.0.0.6:8080", "10.0.0.6:8080", {"http": "10.0.0.6:8080", "https": "10.0.0.6:8080", "ftp": "10.0.0.6:8080"}),
    ("http=a:3128;https=b:8443", "http=a:3128;https=b:8443", {"http": "a:3128", "https": "b:8443", "ftp": None, "socks": None}),
    ("HTTPS=b:8443;Http=A:3128", "http=a:3128;https=b:8443", {"HTTP": "a:3128", "https": "b:8443"}),
    ("socks=s:1080;ftp=f:21;https=b:8443;http=a:3128", "http=a:3128;https=b:8443;ftp=f:21;socks=s:1080",
     {"socks": "s:1080", "ftp": "f:21"}),
    ("http=127.0.0.1:7038;https=127.0.0.1:7038", "http=127.0.0.1:7038;https=127.0.0.1:7038", {"https": "127.0.0.1:7038"}),
    ("https=[2001:db8::1]:8443", "https=[2001:db8::1]:8443", {"https": "[2001:db8::1]:8443", "http": None}),
    ({"https": "b:8443", "HTTP": "a:3128"}, "http=a:3128;https=b:8443", {"http": "a:3128", "https": "b:8443"}),
    ({"ftp": "Proxy.Corp.:21"}, "ftp=proxy.corp:21", {"ftp": "proxy.corp:21", "http": None}),
]


@pytest.mark.parametrize("value,winhttp,routes", GOOD_SERVERS)
def test_good_servers_normalise_and_route(value, winhttp, routes):
    server = parse_proxy_server(value)
    assert server.winhttp_string() == winhttp
    for scheme, expected in routes.items():
        endpoint = server.endpoint_for(scheme)
        assert (endpoint.host_port() if endpoint else None) == expected
    assert parse_proxy_server(winhttp) == server
    assert (server.default is None) == ("=" in winhttp)
    assert RequestedSetting(server, BypassList()).netsh() == 'netsh winhttp set proxy proxy-server="%s"' % winhttp


def test_per_scheme_order_is_canonical():
    server = parse_proxy_server("https=b:2;http=a:1")
    assert [key for key, _endpoint in server.per_scheme] == ["http", "https"]
    assert server.default is None


def test_netsh_args_match_the_documented_form():
    server = parse_proxy_server("10.0.0.6:8080")
    bypass = parse_bypass_list("<local>;*.corp.example")
    assert RequestedSetting(server, bypass).netsh() == (
        'netsh winhttp set proxy proxy-server="10.0.0.6:8080" bypass-list="<local>;*.corp.example"')


def test_netsh_args_for_the_kb_example():
    # KB 4494447: proxy-server="http=myproxy;https=sproxy:88" bypass-list="*.foo.com" (ports added: they are required here)
    command = RequestedSetting(parse_proxy_server("http=myproxy:80;https=sproxy:88"), parse_bypass_list("*.foo.com")).netsh()
    assert command == 'netsh winhttp set proxy proxy-server="http=myproxy:80;https=sproxy:88" bypass-list="*.foo.com"'


# (input, entries)
GOOD_BYPASS = [
    (None, ()),
    ("", ()),
    ([], ()),
    ("*.corp.example;<local>;10.*", ("*.corp.example", "<local>", "10.*")),
    ("<LOCAL>;*.CORP.Example.", ("<local>", "*.corp.example")),
    ("*.corp.example;*.CORP.EXAMPLE;<local>;<Local>", ("*.corp.example", "<local>")),
    (["<local>", "Intranet", "192.168.1.10"], ("<local>", "intranet", "192.168.1.10")),
    ("*", ("*",)),
    ("*.*", ("*.*",)),
    ("web*.corp.example;*-dev.corp.example", ("web*.corp.example", "*-dev.corp.example")),
    ("10.*;172.16.*;192.168.*.*;1*", ("10.*", "172.16.*", "192.168.*.*", "1*")),
    ("[2001:DB8::1];::1", ("2001:db8::1", "::1")),
    ("xn--bcher-kva.example", ("xn--bcher-kva.example",)),
]


@pytest.mark.parametrize("value,entries", GOOD_BYPASS)
def test_good_bypass_lists_normalise(value, entries):
    bypass = parse_bypass_list(value)
    assert bypass.entries == entries
    assert bypass.winhttp_string() == ";".join(entries)
    assert parse_bypass_list(bypass.winhttp_string()) == bypass


def test_empty_bypass_list_is_omitted_from_netsh_args():
    assert RequestedSetting(parse_proxy_server("a:1"), parse_bypass_list(None)).netsh() == (
        'netsh winhttp set proxy proxy-server="a:1"')
    assert parse_bypass_list("").winhttp_string() == ""


# (bypass list, host, expected)
MATCHES = [
    ("<local>", "intranet", True),
    ("<local>", "localhost", True),
    ("<local>", "INTRANET.", True),
    ("<local>", "intranet.corp", False),
    ("<local>", "10.0.0.1", False),
    ("<local>", "::1", False),
    ("*.corp.example", "a.corp.example", True),
    ("*.corp.example", "A.B.Corp.Example", True),
    ("*.corp.example", "corp.example", False),
    ("*.corp.example", "evilcorp.example", False),
    ("*.corp.example", "a.corp.example.evil", False),
    ("corp.example", "corp.example", True),
    ("corp.example", "a.corp.example", False),
    ("10.*", "10.1.2.3", True),
    ("10.*", "100.1.2.3", False),
    ("10.*", "110.1.2.3", False),
    ("192.168.*.10", "192.168.7.10", True),
    ("192.168.*.10", "192.168.7.11", False),
    ("*", "anything.example", True),
    ("web*.corp", "web01.corp", True),
    ("web*.corp", "mail.corp", False),
    ("2001:db8::1", "[2001:DB8:0::1]", True),
    ("2001:db8::1", "2001:db8::2", False),
    ("a.example;<local>", "b.example", False),
    ("", "intranet", False),
]


@pytest.mark.parametrize("bypass,host,expected", MATCHES)
def test_matches_follows_winhttp_semantics(bypass, host, expected):
    assert parse_bypass_list(bypass).matches(host) is expected


@pytest.mark.parametrize("host", ["", "   ", None, 5])
def test_matches_is_false_for_no_host(host):
    assert parse_bypass_list("*;<local>").matches(host) is False


def test_direct_construction_is_validated():
    assert ProxyEndpoint("10.0.0.6", 8080).host_port() == "10.0.0.6:8080"
    for host, port, rule in [("Proxy.Corp", 80, "not-normalised"), ("a b", 80, "hostname"), ("a", 0, "port-range"),
                             ("a", True, "port-range"), ("2001:DB8::1", 80, "not-normalised"), ("a", "80", "port-range")]:
        with pytest.raises(ProxyAddressError) as caught:
            ProxyEndpoint(host, port)
        assert caught.value.rule == rule
    with pytest.raises(ProxyAddressError):
        ProxyServer(default=None, per_scheme=())
    with pytest.raises(ProxyAddressError):
        ProxyServer(default=None, per_scheme=(("https", ProxyEndpoint("a", 1)), ("http", ProxyEndpoint("a", 1))))
    for entries in [("A.corp",), ("a;b",), ("x", "x"), ["x"], ("a:80",)]:
        with pytest.raises(ProxyAddressError):
            BypassList(entries)


def test_models_are_frozen():
    endpoint = parse_endpoint("a:1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        endpoint.port = 2


def test_parsed_values_pass_through():
    endpoint = parse_endpoint("a:1")
    assert parse_endpoint(endpoint) is endpoint
    assert parse_proxy_server(endpoint).default is endpoint
    bypass = parse_bypass_list("<local>")
    assert parse_bypass_list(bypass) is bypass
