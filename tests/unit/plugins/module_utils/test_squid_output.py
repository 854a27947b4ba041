# -*- coding: utf-8 -*-
"""squid_output: what of Squid's output may be returned."""

from __future__ import annotations

from ansible_collections.purview.device_proxy.plugins.module_utils import squid_output as so


def test_a_secret_of_the_configuration_is_cut_wherever_squid_repeats_it():
    config = ["auth_param basic program /usr/lib/squid/basic_ldap_auth -D cn=squid -w Pa55-ldap -h dc1"]
    shown = so.error_lines("2026/01/01| ERROR: LDAP bind as cn=squid with Pa55-ldap failed\n", config)
    assert "Pa55" not in shown and shown.endswith(so.WITHHELD)


def test_credential_values_are_masked_in_lines_that_name_no_directive():
    shown = so.error_lines('ERROR: peer login="proxy:two words" -w Pa55 at http://user:Pa55@parent.example/\n')
    assert "Pa55" not in shown and "two words" not in shown
    assert 'login=********' in shown and "-w ********" in shown and "http://user:********@parent.example/" in shown


def test_processing_lines_are_never_returned_and_at_most_twenty_errors_are():
    output = "Processing: cache_peer p parent 3128 0 login=a:ERROR\n" + "".join("ERROR: %d\n" % i for i in range(30))
    shown = so.error_lines(output).split("\n")
    assert shown == ["ERROR: %d" % i for i in range(10, 30)]


def test_output_without_an_error_line_is_described_not_returned():
    shown = so.error_lines("line one\nline two\n")
    assert "line one" not in shown and "2 line(s)" in shown
