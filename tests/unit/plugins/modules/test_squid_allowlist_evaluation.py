# -*- coding: utf-8 -*-
"""squid_allowlist reads http_access the way Squid 5.7 evaluates it.

Each case is a configuration in which a reader that differs from Squid puts the block where anonymous
devices never reach it, or lets the block's ACLs merge into someone else's. What Squid does is taken
from Squid itself (Debian squid-openssl 5.7):

* ACL names are compared with strcasecmp (``ACL::FindByName``): ``squid -X -k parse`` reports
  "Appending to 'foo'" for ``acl foo ...`` after ``acl Foo ...``;
* a token that starts with ``#`` starts a comment (``http_access deny all # default policy`` looks up
  the ACL ``all`` only; ``squid -X`` shows no lookup of ``#``); a ``#`` inside a token is part of it;
* an ``external`` ACL asks for credentials when its ``external_acl_type`` format holds ``%LOGIN`` or
  ``%ul`` (src/external_acl.cc sets ``require_auth`` for Format::LFT_USER_LOGIN; src/format/Token.cc
  maps both spellings, with any of the documented encoding prefixes, to it). ``%un`` and ``%ue``
  (``%EXT_USER``) pass a user name too: a rule on them decides by who the user is, which an anonymous
  device never has (squid.conf.documented 5.7, TAG: logformat, "un User name (any available)",
  "ue User name from external acl helper"; TAG: external_acl_type, "FORMAT is a series of %macro
  codes");
* ACLs predefined by Squid 5.7 (``squid -X -k parse`` of an empty file, "Creating ACL"): all, manager,
  localhost, to_localhost, CONNECT and the five ssl::cert* errors; Squid 6 adds to_linklocal
  (https://www.squid-cache.org/Doc/config/acl/ "ACLs all, manager, localhost, to_localhost,
  to_linklocal, and CONNECT are predefined").
"""

from __future__ import annotations

import errno
import json
import os

import pytest

from ansible_collections.purview.device_proxy.plugins.module_utils import squid_conf
from ansible_collections.purview.device_proxy.plugins.modules import squid_allowlist as mod
from ansible_collections.purview.device_proxy.tests.unit.plugins.modules.module_runner import run_module as run_python_module

BEGIN, END = "# BEGIN purview.device_proxy allowlist", "# END purview.device_proxy allowlist"
BLOCK = ["acl mde_service_tls_443 dstdomain .wd.microsoft.com", "http_access allow mde_service_tls_443"]


def place(text: str, block=None, include=None):
    """(lines, line of the begin marker, rule placed before)."""
    return mod.render(text.strip("\n").split("\n"), block or BLOCK, BEGIN, END, "present", include)


def refusal(text: str, block=None, include=None):
    with pytest.raises(mod.SquidConfigError) as info:
        place(text, block, include)
    return info.value


# --- authentication through an external group helper -------------------------------------------------

AD_GROUP = """
auth_param negotiate program /usr/lib/squid/negotiate_kerberos_auth -s GSS_C_NO_NAME
external_acl_type ad_group ttl=300 negative_ttl=60 {format} /usr/lib/squid/ext_kerberos_ldap_group_acl -g Internet@EXAMPLE.COM
acl localnet src 10.0.0.0/8
acl SSL_ports port 443
acl internet_users external ad_group
http_access deny CONNECT !SSL_ports
http_access allow localnet internet_users
http_access deny all
"""


@pytest.mark.parametrize("fmt", ["%LOGIN", "%ul", "%un", "%EXT_USER", "%ue", '%"ul', "%#LOGIN", "%http::ul",
                                 "%SRC %LOGIN", "%>a %un"])
def test_an_external_acl_given_the_user_counts_as_authentication(fmt):
    lines, _line, before = place(AD_GROUP.format(format=fmt))
    assert before == "http_access allow localnet internet_users"
    assert lines.index(BEGIN) < lines.index("http_access allow localnet internet_users")
    assert lines.index("http_access deny CONNECT !SSL_ports") < lines.index(BEGIN)


@pytest.mark.parametrize("fmt", ["%SRC", "%DST %PORT", "%>a %>rd"])
def test_an_external_acl_not_given_the_user_is_an_ordinary_rule(fmt):
    _lines, _line, before = place(AD_GROUP.format(format=fmt))
    assert before == "http_access deny all"


def test_an_external_acl_defined_in_another_case_of_helper_name_is_not_that_helper():
    # Squid finds external_acl_type helpers with strcmp (find_externalAclHelper): the case matters
    # there, unlike for ACL names. Only the helper spelt exactly so is the one the ACL uses.
    text = """
external_acl_type AD_group %LOGIN /usr/lib/squid/ext_wbinfo_group_acl
external_acl_type ad_group %SRC /usr/lib/squid/ext_file_userip_acl -f /etc/squid/ip.txt
acl by_address external ad_group x
http_access allow by_address
http_access deny all
"""
    assert place(text)[2] == "http_access deny all"


def test_a_combined_acl_holding_an_authentication_acl_counts_as_authentication():
    text = """
acl staff proxy_auth REQUIRED
acl office src 10.0.0.0/8
acl office_staff all-of office staff
http_access allow office_staff
http_access deny all
"""
    assert place(text)[2] == "http_access allow office_staff"


# --- ACL names are case-insensitive --------------------------------------------------------------

def test_an_authentication_acl_referenced_in_another_case_counts():
    text = """
acl Staff proxy_auth REQUIRED
acl localnet src 10.0.0.0/8
http_access allow localnet STAFF
http_access deny all
"""
    assert place(text)[2] == "http_access allow localnet STAFF"


@pytest.mark.parametrize("catch_all", ["http_access deny ALL", "http_access deny All", "http_access allow ALL"])
def test_a_catch_all_in_another_case_is_a_catch_all(catch_all):
    text = "acl localnet src 10.0.0.0/8\nhttp_access allow localnet\n%s\nhttp_access allow localnet\n" % catch_all
    lines, _line, before = place(text)
    assert before == catch_all and lines.index(BEGIN) == 2


# --- comments after a directive -------------------------------------------------------------------

@pytest.mark.parametrize("catch_all", ["http_access deny all # default policy", "http_access deny all #", "http_access deny all\t#x"])
def test_a_catch_all_with_an_inline_comment_is_a_catch_all(catch_all):
    text = "acl localnet src 10.0.0.0/8\nhttp_access allow localnet\n%s\n" % catch_all
    lines, _line, before = place(text)
    assert before == "http_access deny all"
    assert lines[lines.index(END) + 1] == catch_all


def test_an_acl_named_after_a_comment_sign_is_not_read():
    # "# staff" is a comment: Squid never evaluates staff on this line, so it asks nobody for credentials.
    text = """
acl staff proxy_auth REQUIRED
acl localnet src 10.0.0.0/8
http_access allow localnet # staff
http_access allow staff
http_access deny all
"""
    assert place(text)[2] == "http_access allow staff"


def test_an_authentication_acl_defined_with_an_inline_comment_is_known():
    text = "acl staff proxy_auth REQUIRED # AD users\nhttp_access allow staff\nhttp_access deny all\n"
    assert place(text)[2] == "http_access allow staff"


def test_a_hash_inside_a_word_is_not_a_comment():
    # "all#x" is one ACL name for Squid (it refuses the file: "ACL not found: all#x"); never a catch-all.
    text = "acl localnet src 10.0.0.0/8\nhttp_access allow localnet\nhttp_access deny all#x\n"
    _lines, _line, before = place(text)
    assert before is None


# --- rules that end the evaluation -------------------------------------------------------------------

@pytest.mark.parametrize("definition", ["src all", "src 0.0.0.0/0", "src 0.0.0.0/0.0.0.0", "src ::/0", "src 0.0.0.0/0 ::/0"])
def test_a_rule_on_an_acl_that_matches_every_client_ends_the_evaluation(definition):
    text = "acl everyone %s\nacl localnet src 10.0.0.0/8\nhttp_access allow localnet\nhttp_access deny everyone\n" % definition
    assert place(text)[2] == "http_access deny everyone"


def test_a_negated_catch_all_never_matches_and_is_not_a_barrier():
    text = "acl localnet src 10.0.0.0/8\nhttp_access deny !all\nhttp_access allow localnet\nhttp_access deny all\n"
    assert place(text)[2] == "http_access deny all"


# --- names the block may not use ----------------------------------------------------------------------

def test_a_block_acl_defined_outside_in_another_case_is_refused():
    text = "acl MDE_SERVICE_TLS_443 dstdomain .example.org\nhttp_access deny all\n"
    error = refusal(text)
    assert error.field == "block" and error.rule == "acl-name-collision"
    assert "mde_service_tls_443" in str(error).lower()


@pytest.mark.parametrize("name", ["localhost", "LOCALHOST", "all", "manager", "to_localhost", "to_linklocal", "CONNECT",
                                  "connect", "ssl::certUntrusted", "SSL::CERTHASEXPIRED"])
def test_a_block_acl_named_like_a_predefined_acl_is_refused(name):
    block = ["acl %s dstdomain .wd.microsoft.com" % name, "http_access allow %s" % name]
    error = refusal("http_access deny all\n", block)
    assert error.field == "block" and error.rule == "acl-name-collision"
    assert "predefined" in str(error)


def test_a_block_acl_defined_in_an_included_file_in_another_case_is_refused(tmp_path):
    included = tmp_path / "acls.conf"
    included.write_text("acl Mde_Service_Tls_443 dstdomain .example.org\n")
    error = refusal("include %s\nhttp_access deny all\n" % included, include=mod.include_reader)
    assert error.rule == "acl-name-collision"


def test_an_unreadable_include_is_refused_with_a_clear_error(tmp_path, monkeypatch):
    included = tmp_path / "secret.conf"
    included.write_text("acl other dstdomain .example.org\n")
    included.chmod(0)
    if os.geteuid() == 0:
        # Root reads a mode-0 file anyway; give the reader the EACCES any other user gets.
        real_read = squid_conf.read_bytes

        def denied(path):
            if path == str(included):
                raise PermissionError(errno.EACCES, "Permission denied", path)
            return real_read(path)
        monkeypatch.setattr(squid_conf, "read_bytes", denied)
    error = refusal("include %s\nhttp_access deny all\n" % included, include=mod.include_reader)
    assert error.field == "path" and error.rule == "include-unreadable"
    assert str(included) in str(error)


@pytest.mark.parametrize("pattern", ["relative/acls.conf", "/nonexistent/squid-include-*.conf"])
def test_an_include_the_module_cannot_read_is_refused_when_the_block_defines_acls(pattern):
    error = refusal("include %s\nhttp_access deny all\n" % pattern, include=mod.include_reader)
    assert error.field == "path" and error.rule == "include-unreadable"
    assert pattern in str(error)


def test_an_include_the_module_cannot_read_is_accepted_when_the_block_defines_no_acl():
    # Nothing of the block can merge into what the include defines; the block still precedes it.
    lines, _line, before = place("include relative/acls.conf\nhttp_access deny all\n", ["http_access allow localnet"],
                                 include=mod.include_reader)
    assert before == "include relative/acls.conf" and lines.index(BEGIN) == 0


# --- what squid -k parse output may return -------------------------------------------------------------

SECRET_LINES = [
    # squid -k parse echoes the directive it could not read ("Bungled FILE line N: ...").
    "FATAL: Bungled /etc/squid/squid.conf.candidate line 4: external_acl_type ad_group %>ul "
    "/usr/lib/squid/ext_ldap_group_acl -b dc=example,dc=com -D cn=proxy,dc=example,dc=com -w S3cretBind -h dc1",
    "FATAL: Bungled /etc/squid/squid.conf line 2: auth_param basic program /usr/lib/squid/basic_ldap_auth "
    "-b dc=example,dc=com -D cn=proxy -w S3cretBind -h dc1",
    'ERROR: cache_peer parent.example parent 3128 0 login="proxyuser:S3cret Bind" no-query',
    "ERROR: cache_peer parent.example parent 3128 0 login=proxyuser:S3cretBind",
    "WARNING: access_log daemon:/db.example/squid/log/squiduser/S3cretBind ignored",
]


def fake_squid(tmp_path, stderr: str, rc: int = 1) -> str:
    script = tmp_path / "fake-squid"
    output = tmp_path / "fake-squid.out"
    output.write_text(stderr)
    script.write_text("#!/bin/sh\ncat '%s' >&2\nexit %d\n" % (output, rc))
    script.chmod(0o755)
    return str(script)


@pytest.fixture
def conf(tmp_path):
    path = tmp_path / "squid.conf"
    path.write_text("acl localnet src 10.0.0.0/8\nhttp_access allow localnet\nhttp_access deny all\n")
    return path


@pytest.mark.parametrize("line", SECRET_LINES)
def test_parse_output_never_returns_credential_bearing_directive_text(conf, tmp_path, capsys, line):
    squid = fake_squid(tmp_path, "2026/01/01 10:00:00| Processing: http_port 3128\n2026/01/01 10:00:00| %s\n" % line)
    result = run_python_module(mod.main, {"path": str(conf), "block": "\n".join(BLOCK), "squid_binary": squid}, capsys)
    assert result["_rc"] == 1 and "parse_output" in result, result
    assert "S3cret" not in json.dumps(result)
    assert result["parse_output"].strip(), "the failing line is still named"


def test_parse_output_never_returns_a_raw_tail(conf, tmp_path, capsys):
    squid = fake_squid(tmp_path, "2026/01/01 10:00:00| Processing: auth_param basic program /x -w S3cretBind\n"
                                 "something unexpected happened\n")
    result = run_python_module(mod.main, {"path": str(conf), "block": "\n".join(BLOCK), "squid_binary": squid}, capsys)
    assert result["_rc"] == 1
    assert "S3cret" not in json.dumps(result)
    assert "something unexpected" not in result["parse_output"]
    assert "no error line" in result["parse_output"]


def test_parse_output_keeps_an_ordinary_error(conf, tmp_path, capsys):
    squid = fake_squid(tmp_path, "2026/01/01 10:00:00| FATAL: Bungled /x/squid.conf line 7: http_access allow nosuchacl\n")
    result = run_python_module(mod.main, {"path": str(conf), "block": "\n".join(BLOCK), "squid_binary": squid}, capsys)
    assert "http_access allow nosuchacl" in result["parse_output"]


def test_an_include_that_cannot_be_read_as_a_file_is_refused(tmp_path):
    # Runs as root too: a directory matched by the include pattern cannot be read as a file.
    (tmp_path / "acls.conf").mkdir()
    error = refusal("include %s/*.conf\nhttp_access deny all\n" % tmp_path, include=mod.include_reader)
    assert error.field == "path" and error.rule == "include-unreadable"
    assert "include %s/*.conf" % tmp_path in str(error)
