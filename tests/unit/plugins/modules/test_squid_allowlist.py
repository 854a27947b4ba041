# -*- coding: utf-8 -*-
"""squid_allowlist: placement, idempotence, check mode and diff, validation before replacement.

A stand-in ``squid`` script plays ``-k parse`` (fails on a line with ``BROKEN``), ``-k check``
and ``-k reconfigure`` and logs its calls; tests/integration/squid runs the real Squid.
"""

import json
import os
import stat

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.purview.device_proxy.plugins.modules import squid_allowlist as mod

BEGIN, END = "# BEGIN purview.device_proxy allowlist", "# END purview.device_proxy allowlist"

DEBIAN_LIKE = """\
acl localnet src 10.0.0.0/8
acl SSL_ports port 443
acl Safe_ports port 80 443
http_access deny !Safe_ports
http_access deny CONNECT !SSL_ports
http_access allow localhost manager
http_access deny manager
http_access allow localhost
http_access deny all
http_port 3128
"""

WITH_AUTH = """\
auth_param basic program /usr/lib/squid/basic_ncsa_auth /etc/squid/passwd
acl staff proxy_auth REQUIRED
acl localnet src 10.0.0.0/8
http_access deny !Safe_ports
http_access allow localnet staff
http_access deny all
ssl_bump peek step1
ssl_bump bump all
"""

BLOCK = "acl mde dstdomain .wd.microsoft.com\nhttp_access allow mde\nssl_bump splice mde\n"


# --- pure placement ------------------------------------------------------------------------------

def test_block_goes_before_the_final_deny_all():
    lines, line, before = mod.render(DEBIAN_LIKE.splitlines(), BLOCK.splitlines(), BEGIN, END, "present")
    assert lines[line - 1] == BEGIN
    assert lines[line - 2] == "http_access allow localhost"
    assert lines[line + 3] == END and lines[line + 4] == "http_access deny all"
    assert before == "http_access deny all"


def test_block_goes_before_the_first_authentication_rule():
    lines, line, before = mod.render(WITH_AUTH.splitlines(), BLOCK.splitlines(), BEGIN, END, "present")
    assert before == "http_access allow localnet staff"
    assert lines.index(BEGIN) < lines.index("http_access allow localnet staff")
    assert lines.index("http_access deny !Safe_ports") < lines.index(BEGIN)


def test_block_goes_before_the_first_ssl_bump_rule():
    text = "http_access allow localhost\nssl_bump peek all\nssl_bump bump all\nhttp_access allow staff_ok\n"
    lines, _line, before = mod.render(text.splitlines(), ["ssl_bump splice mde"], BEGIN, END, "present")
    assert before == "ssl_bump peek all"
    assert lines.index("ssl_bump splice mde") < lines.index("ssl_bump peek all")


def test_negated_authentication_acl_counts_too():
    text = "acl staff proxy_auth REQUIRED\nhttp_access deny !staff\nhttp_access allow all\n"
    _lines, _line, before = mod.render(text.splitlines(), ["http_access allow mde"], BEGIN, END, "present")
    assert before == "http_access deny !staff"


def test_comments_are_not_rules():
    text = "# http_access deny all\nhttp_access allow localhost\n"
    lines, line, before = mod.render(text.splitlines(), ["http_access allow mde"], BEGIN, END, "present")
    assert before is None and line == 3 and lines[-1] == END


def test_existing_block_in_a_good_place_stays_and_is_updated():
    first = mod.render(DEBIAN_LIKE.splitlines(), BLOCK.splitlines(), BEGIN, END, "present")[0]
    moved = ["http_access allow localhost"] + [l for l in first if l != "http_access allow localhost"]
    lines, line, before = mod.render(moved, ["http_access allow other"], BEGIN, END, "present")
    assert before is None
    assert lines[line - 1] == BEGIN and lines[line] == "http_access allow other"
    assert mod.render(lines, ["http_access allow other"], BEGIN, END, "present")[0] == lines


def test_existing_block_after_an_authentication_rule_is_moved():
    text = WITH_AUTH.splitlines()
    late = text + [BEGIN, "http_access allow mde", END]
    lines, _line, before = mod.render(late, ["http_access allow mde"], BEGIN, END, "present")
    assert before == "http_access allow localnet staff"
    assert lines.index(BEGIN) < lines.index("http_access allow localnet staff")
    assert lines.count(BEGIN) == 1


def test_absent_removes_only_the_block():
    lines = mod.render(DEBIAN_LIKE.splitlines(), BLOCK.splitlines(), BEGIN, END, "present")[0]
    assert mod.render(lines, [], BEGIN, END, "absent")[0] == DEBIAN_LIKE.splitlines()


@pytest.mark.parametrize("lines", [[BEGIN, "x"], ["x", END], [END, "x", BEGIN], [BEGIN, END, BEGIN, END]])
def test_broken_markers_are_refused(lines):
    with pytest.raises(mod.AllowlistError) as info:
        mod.render(lines, ["x"], BEGIN, END, "present")
    assert info.value.rule == "markers"


def test_marker_needs_placeholder_and_block_must_not_contain_markers():
    with pytest.raises(mod.AllowlistError, match="marker"):
        mod.markers("# managed")
    with pytest.raises(mod.AllowlistError, match="line 2"):
        mod.block_lines_from("acl a src 10.0.0.0/8\n" + END, BEGIN, END)
    with pytest.raises(mod.AllowlistError, match="empty"):
        mod.block_lines_from("\n\n", BEGIN, END)


# --- the module with a stand-in squid --------------------------------------------------------------

FAKE_SQUID = """#!/bin/sh
echo "$@" >> "{log}"
if [ "$1" = "-k" ] && [ "$2" = "parse" ]; then
    if grep -q BROKEN "$4"; then echo "$4(7): unrecognized: 'BROKEN'" >&2; exit 1; fi
    exit 0
fi
if [ "$1" = "-k" ] && [ "$2" = "check" ]; then exit {running}; fi
exit 0
"""


@pytest.fixture
def setup(tmp_path):
    conf = tmp_path / "squid.conf"
    conf.write_text(DEBIAN_LIKE)
    conf.chmod(0o640)
    log = tmp_path / "calls.log"

    def make_squid(running=True):
        squid = tmp_path / "squid"
        squid.write_text(FAKE_SQUID.format(log=log, running=0 if running else 1))
        squid.chmod(0o755)
        return str(squid)

    return conf, log, make_squid


def run(args, capsys):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as info:
            mod.main()
    output = json.loads(capsys.readouterr().out)
    output["_rc"] = info.value.code
    return output


def calls(log):
    return log.read_text().splitlines() if log.exists() else []


def test_places_validates_replaces_and_reloads_then_is_idempotent(setup, capsys):
    conf, log, make_squid = setup
    squid = make_squid(running=True)
    args = {"path": str(conf), "block": BLOCK, "squid_binary": squid, "_ansible_diff": True}
    first = run(args, capsys)
    assert first["_rc"] == 0 and first["changed"] is True
    assert first["validated"] is True and first["reloaded"] is True
    text = conf.read_text()
    assert BEGIN in text and "ssl_bump splice mde" in text
    assert text.replace(BEGIN + "\n" + BLOCK + END + "\n", "") == DEBIAN_LIKE
    assert first["diff"]["before"] == DEBIAN_LIKE and first["diff"]["after"] == text
    assert stat.S_IMODE(os.stat(str(conf)).st_mode) == 0o640
    log_lines = calls(log)
    assert log_lines[0].startswith("-k parse -f ") and log_lines[0].endswith(".candidate")
    assert log_lines[-1] == "-k reconfigure -f %s" % conf
    assert not [p for p in os.listdir(str(conf.parent)) if p.endswith(".candidate")]

    log.unlink()
    second = run(args, capsys)
    assert second["_rc"] == 0 and second["changed"] is False and second["reloaded"] is False
    assert conf.read_text() == text
    assert calls(log) == []


def test_validation_failure_never_replaces_the_file(setup, capsys):
    conf, log, make_squid = setup
    result = run({"path": str(conf), "block": BLOCK + "BROKEN on\n", "squid_binary": make_squid()}, capsys)
    assert result["_rc"] == 1 and result["failed"] is True
    assert "was not changed" in result["msg"]
    assert "unrecognized: 'BROKEN'" in result["parse_output"]
    assert result["changed"] is False
    assert conf.read_text() == DEBIAN_LIKE
    assert not any("reconfigure" in line for line in calls(log))
    assert not [p for p in os.listdir(str(conf.parent)) if p.endswith(".candidate")]


def test_check_mode_validates_and_diffs_without_writing(setup, capsys):
    conf, log, make_squid = setup
    result = run({"path": str(conf), "block": BLOCK, "squid_binary": make_squid(), "_ansible_check_mode": True,
                  "_ansible_diff": True}, capsys)
    assert result["_rc"] == 0 and result["changed"] is True and result["validated"] is True
    assert BEGIN in result["diff"]["after"]
    assert conf.read_text() == DEBIAN_LIKE
    assert calls(log)[0].startswith("-k parse")
    assert not any("reconfigure" in line for line in calls(log))

    broken = run({"path": str(conf), "block": "BROKEN\n", "squid_binary": make_squid(), "_ansible_check_mode": True}, capsys)
    assert broken["_rc"] == 1 and conf.read_text() == DEBIAN_LIKE


def test_stopped_squid_is_not_started_or_signalled(setup, capsys):
    conf, log, make_squid = setup
    result = run({"path": str(conf), "block": BLOCK, "squid_binary": make_squid(running=False)}, capsys)
    assert result["changed"] is True and result["reloaded"] is False
    assert [line.split()[1] for line in calls(log)] == ["parse", "check"]


def test_absent_and_backup(setup, capsys):
    conf, _log, make_squid = setup
    squid = make_squid()
    run({"path": str(conf), "block": BLOCK, "squid_binary": squid}, capsys)
    result = run({"path": str(conf), "state": "absent", "squid_binary": squid, "backup": True}, capsys)
    assert result["changed"] is True and conf.read_text() == DEBIAN_LIKE
    assert BEGIN in open(result["backup_file"]).read()
    again = run({"path": str(conf), "state": "absent", "squid_binary": squid}, capsys)
    assert again["changed"] is False


def test_missing_file_and_missing_block_fail_clearly(setup, capsys, tmp_path):
    _conf, _log, make_squid = setup
    missing = run({"path": str(tmp_path / "nope.conf"), "block": BLOCK, "squid_binary": make_squid()}, capsys)
    assert missing["_rc"] == 1 and missing["msg"].startswith("path: ")
    no_block = run({"path": str(tmp_path / "squid.conf"), "squid_binary": make_squid()}, capsys)
    assert no_block["_rc"] == 1 and "block" in no_block["msg"]
