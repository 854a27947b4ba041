# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The WinHTTP view model: one decoding, one comparison, one rendering."""

from __future__ import annotations

import pytest

from ansible_collections.purview.device_proxy.plugins.module_utils._input_error import InputError
from ansible_collections.purview.device_proxy.plugins.module_utils.winhttp_settings import WinHttpSettings, encode_hex
from ansible_collections.purview.device_proxy.plugins.plugin_utils.winhttp_view import (
    WinHttpView,
    views_differ,
    winhttp_drift,
)

DIRECT = "1800000000000000010000000000000000000000"
UNDECODABLE = "460000000800000001000000"


def proxy_hex(proxy: str, bypass: str = "") -> str:
    return encode_hex(WinHttpSettings.named_proxy(proxy, bypass))


def test_hex_facts_and_cmdb_decoded_form_are_one_setting():
    raw = proxy_hex("Proxy.Corp.Example:3128", "<local>;*.corp.example")
    from_hex = WinHttpView.from_hex(raw)
    from_facts = WinHttpView.from_facts(from_hex.to_facts(), "facts.winhttp.native")
    cmdb = WinHttpView.from_facts({"decoded": {"uses_proxy": True, "proxy": "proxy.corp.example:3128",
                                               "bypass": "<local> *.corp.example"}}, "facts.winhttp.native")
    wanted = WinHttpView.proxy_setting("proxy.corp.example:3128", "<local>;*.corp.example")
    assert from_hex.key() == from_facts.key() == cmdb.key() == wanted.key()
    assert not views_differ(from_hex, cmdb)


def test_a_missing_value_is_direct_access_and_equals_an_explicit_direct_value():
    missing, direct = WinHttpView.from_hex(None), WinHttpView.from_hex(DIRECT)
    assert not views_differ(missing, direct)
    assert missing.netsh() == direct.netsh() == "netsh winhttp reset proxy"
    assert missing.describe() == "direct access"


def test_a_named_proxy_flag_without_a_proxy_string_is_direct_access():
    view = WinHttpView.from_facts({"decoded": {"flags": 3, "proxy": "", "bypass": ""}}, "v")
    assert not view.uses_proxy
    assert not views_differ(view, WinHttpView.from_hex(DIRECT))


def test_undecodable_bytes_equal_only_the_same_bytes():
    bad = WinHttpView.from_hex(UNDECODABLE)
    assert bad.error and bad.effective is None
    assert views_differ(bad, WinHttpView.from_hex(DIRECT))
    assert not views_differ(bad, WinHttpView.from_hex(UNDECODABLE.lower().upper()))
    assert bad.netsh().startswith("# WinHttpSettings cannot be decoded")
    assert bad.routes_traffic()


def test_an_unreported_view_differs_from_nothing():
    unknown = WinHttpView.unknown("wow64")
    assert unknown.describe() == "not reported"
    assert not views_differ(unknown, WinHttpView.from_hex(proxy_hex("10.0.0.6:8080")))
    assert not winhttp_drift(WinHttpView.from_hex(DIRECT), unknown)


def test_a_32_bit_os_has_no_drift():
    assert winhttp_drift(WinHttpView.from_hex(proxy_hex("10.0.0.6:8080")), None) is False


def test_a_different_proxy_or_autoconfig_url_is_drift():
    base = WinHttpView.from_hex(proxy_hex("10.0.0.6:8080"))
    assert winhttp_drift(base, WinHttpView.from_hex(proxy_hex("10.0.0.7:8080")))
    with_pac = WinHttpSettings(flags=3, proxy="10.0.0.6:8080", autoconfig_url="http://wpad/wpad.dat")
    assert winhttp_drift(base, WinHttpView.from_hex(encode_hex(with_pac)))


def test_netsh_and_description_render_the_stored_text():
    view = WinHttpView.from_hex(proxy_hex("10.0.0.6:8080", "<local>"))
    assert view.netsh() == 'netsh winhttp set proxy proxy-server="10.0.0.6:8080" bypass-list="<local>"'
    assert view.describe() == "proxy 10.0.0.6:8080 bypass <local>"
    assert view.to_dict() == {"raw": view.raw, "uses_proxy": True, "proxy": "10.0.0.6:8080", "bypass": "<local>",
                              "error": None}


@pytest.mark.parametrize("view,field", [
    ("direct", "facts.winhttp.native"),
    ({"decoded": "proxy"}, "facts.winhttp.native.decoded"),
    ({"decoded": {"flags": "two", "proxy": "a:1"}}, "facts.winhttp.native.decoded.flags"),
])
def test_malformed_facts_name_the_field(view, field):
    with pytest.raises(InputError) as info:
        WinHttpView.from_facts(view, "facts.winhttp.native")
    assert info.value.field == field
    assert info.value.rule == "type"


def test_the_winhttp_proxy_action_holds_no_model_and_no_facts_parser_of_its_own():
    """winhttp_view is the one parser of the WinHTTP facts shape; the action only decides."""
    import ast
    import os

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), *[os.pardir] * 4, "plugins", "action", "winhttp_proxy.py")
    with open(path, encoding="utf-8") as handle:
        source = handle.read()
    tree = ast.parse(source)
    assert [node.name for node in ast.walk(tree) if isinstance(node, ast.ClassDef)] == ["ActionModule"]
    # The keys of the facts shape ({native, wow64, drift}, views {raw, decoded, error}) are spelled in winhttp_view only.
    assert '"decoded"' not in source and "'decoded'" not in source


def test_supplied_facts_need_the_bytes_and_name_the_bad_key():
    from ansible_collections.purview.device_proxy.plugins.module_utils._input_error import InputError
    from ansible_collections.purview.device_proxy.plugins.plugin_utils.winhttp_view import views_from_supplied_facts

    assert views_from_supplied_facts(None, "current_settings") is None
    proxy = encode_hex(WinHttpSettings.named_proxy("proxy.corp.example:3128", ""))
    native, wow64 = views_from_supplied_facts({"native": proxy.lower(), "wow64": None, "drift": False}, "current_settings")
    # A missing WOW6432Node copy beside a proxy, yet no drift: a 32-bit OS, which has no such view.
    assert native.raw == proxy.upper() and native.uses_proxy and wow64 is None
    for value, field, rule in (
            ({"native": {"bytes": "00"}, "wow64": None}, "current_settings.native.bytes", "unknown-key"),
            ({"native": {"error": "x"}, "wow64": None}, "current_settings.native.raw", "required"),
            ({"native": "0G", "wow64": None}, "current_settings.native", "hex"),
            ({"native": None}, "current_settings.wow64", "required"),
            ({"native": None, "wow64": None, "drift": "no"}, "current_settings.drift", "type")):
        with pytest.raises(InputError) as info:
            views_from_supplied_facts(value, "current_settings")
        assert (info.value.field, info.value.rule) == (field, rule)
