# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Property tests: whatever the Defender Antivirus value parsers accept renders safely and is stable."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import ProxyAddressError
from ansible_collections.purview.device_proxy.plugins.plugin_utils.defender_av_values import (
    pac_url_value,
    proxy_server_from_host_port,
    proxy_server_value,
    ssl_options_warning,
)

PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SERVER = re.compile(r"^https?://[a-z0-9.:\[\]-]+:[0-9]+$")
PAC = re.compile(r"^https?://[a-z0-9.:\[\]-]+[A-Za-z0-9\-._~/%=&?+,:;#!*()]*$")
URLISH = st.text(alphabet="hHtTpPsS:/[]@%?#.-_ aZ09\"'\\;*=", max_size=40)


@PROPERTY
@given(st.one_of(URLISH, st.from_regex(r"\A(https?|HTTP)://[a-z0-9.-]{1,20}:[0-9]{1,6}/?\Z")))
def test_proxy_server_renders_safely_or_raises_the_typed_error(text):
    try:
        value = proxy_server_value(text)
    except ProxyAddressError as err:
        assert err.field == "proxy_server" and err.rule
        return
    assert SERVER.match(value), value
    assert proxy_server_value(value) == value


@PROPERTY
@given(st.one_of(URLISH, st.from_regex(r"\Ahttps?://[a-z0-9.-]{1,20}(:[0-9]{1,5})?(/[a-z0-9%./?=&]{0,20})?\Z")))
def test_pac_url_renders_safely_or_raises_the_typed_error(text):
    try:
        value = pac_url_value(text)
    except ProxyAddressError as err:
        assert err.field == "proxy_pac_url" and err.rule
        return
    assert PAC.match(value), value
    assert pac_url_value(value) == value


def test_sensor_proxy_becomes_an_http_url():
    assert proxy_server_from_host_port("Proxy.Corp.Example:3128") == "http://proxy.corp.example:3128"
    assert proxy_server_from_host_port("[2001:db8::1]:8080") == "http://[2001:db8::1]:8080"


def test_only_the_default_ssl_options_is_silent():
    assert ssl_options_warning(3) is None
    for value in (0, 1, 2):
        assert "both weaken security" in ssl_options_warning(value)
