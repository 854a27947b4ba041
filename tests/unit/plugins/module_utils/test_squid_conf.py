# -*- coding: utf-8 -*-
"""squid_conf: the squid.conf reader's small parts (the module tests cover placement end to end)."""

from __future__ import annotations

from ansible_collections.purview.device_proxy.plugins.module_utils import squid_conf as sc


def test_names_fold_ascii_letters_only_as_strcasecmp_does():
    assert sc.fold("MDE_Service_TLS_443") == "mde_service_tls_443"
    assert sc.fold("GRÜNE") == "grÜne"  # strcasecmp in the C locale leaves non-ASCII bytes alone


def test_a_word_starting_with_a_hash_ends_the_directive_but_not_inside_a_word_or_an_include():
    assert sc.directive_words("http_access deny all # default policy") == ["http_access", "deny", "all"]
    assert sc.directive_words("http_access deny all#x") == ["http_access", "deny", "all#x"]
    assert sc.directive_words('acl q dstdomain "#x"') == ["acl", "q", "dstdomain", '"#x"']
    assert sc.directive_words("include /etc/squid/a.conf #b") == ["include", "/etc/squid/a.conf", "#b"]


def test_a_helper_format_is_the_percent_codes_after_the_options():
    words = "ttl=60 children-max=5 ipv4 %SRC %LOGIN /usr/lib/squid/ext_wbinfo_group_acl -K".split()
    assert sc._helper_format(words) == ["%SRC", "%LOGIN"]


def test_combined_acls_that_refer_to_each_other_end():
    scan = sc.Scan(["acl a any-of b", "acl b any-of a", "http_access allow a", "http_access deny all"])
    assert sc.barrier(scan, 4) == (3, "http_access deny all")


def test_the_first_helper_of_a_name_is_the_one_squid_uses():
    scan = sc.Scan(["external_acl_type g %SRC /bin/helper", "external_acl_type g %LOGIN /bin/helper",
                    "acl grp external g", "http_access allow grp", "http_access deny all"])
    assert sc.barrier(scan, 5)[1] == "http_access deny all"
