# -*- coding: utf-8 -*-
"""squid_allowlist: placement, idempotence, check mode and diff, validation before replacement.

A stand-in ``squid`` script plays ``-k parse`` (fails on a line with ``BROKEN``), ``-k check``
and ``-k reconfigure`` and logs its calls; tests/integration/squid runs the real Squid.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess

import pytest

from ansible_collections.purview.device_proxy.plugins.module_utils import squid_output
from ansible_collections.purview.device_proxy.plugins.modules import squid_allowlist as mod
from ansible_collections.purview.device_proxy.tests.unit.plugins.modules.module_runner import run_module as run_python_module

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
    with pytest.raises(mod.SquidConfigError) as info:
        mod.render(lines, ["x"], BEGIN, END, "present")
    assert info.value.rule == "markers"


def test_marker_needs_placeholder_and_block_must_not_contain_markers():
    with pytest.raises(mod.SquidConfigError, match="marker"):
        mod.markers("# managed")
    with pytest.raises(mod.SquidConfigError, match="line 2"):
        mod.block_lines_from("acl a src 10.0.0.0/8\n" + END, BEGIN, END)
    with pytest.raises(mod.SquidConfigError, match="empty"):
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
    return run_python_module(mod.main, args, capsys)


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
    # The diff shows the managed block only, never the rest of squid.conf.
    assert first["diff"]["before"] == "" and first["diff"]["after"] == BEGIN + "\n" + BLOCK + END + "\n"
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


# --- reading and writing the file the way Squid reads it -------------------------------------------
#
# Squid ends a configuration line at "\n" only. Each case below is a comment whose tail would become
# a live "http_access allow all" if the file were split at other line breaks and written back.

SEPARATORS = ["\x0c", "\x0b", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\r"]


def squid_reads(data: bytes) -> list[str]:
    """The directives Squid reads from a file (\\n ends a line, a CR ends what Squid reads of it,
    leading white space is skipped, '#' starts a comment)."""
    out = []
    for line in data.split(b"\n"):
        text = line.split(b"\r", 1)[0].lstrip(b" \t\x0b\x0c").decode("utf-8", "replace")
        if text and not text.startswith("#"):
            out.append(" ".join(text.split(" ")).strip())
    return out


@pytest.mark.parametrize("separator", SEPARATORS, ids=[repr(s) for s in SEPARATORS])
def test_a_comment_never_becomes_a_rule(setup, capsys, separator):
    conf, _log, make_squid = setup
    original = ("acl localnet src 10.0.0.0/8\n# old rule:%shttp_access allow all\nhttp_access allow localnet\n"
                "http_access deny all\n" % separator).encode("utf-8")
    conf.write_bytes(original)
    result = run({"path": str(conf), "block": BLOCK, "squid_binary": make_squid()}, capsys)
    assert result["_rc"] == 0, result
    written = conf.read_bytes()
    assert "http_access allow all" not in squid_reads(written)
    # Everything outside the managed block is kept byte for byte.
    block = (BEGIN + "\n" + BLOCK + END + "\n").encode("utf-8")
    assert written.replace(block, b"") == original


def test_a_file_that_is_not_utf8_is_kept_byte_for_byte(setup, capsys):
    conf, _log, make_squid = setup
    original = b"# r\xe9seau du si\xe8ge (latin-1)\nacl localnet src 10.0.0.0/8\n# \xff\xfe\nhttp_access deny all\n"
    conf.write_bytes(original)
    result = run({"path": str(conf), "block": BLOCK, "squid_binary": make_squid(), "_ansible_diff": True}, capsys)
    assert result["_rc"] == 0, result
    written = conf.read_bytes()
    block = (BEGIN + "\n" + BLOCK + END + "\n").encode("utf-8")
    assert written == original.replace(b"http_access deny all\n", block + b"http_access deny all\n")
    absent = run({"path": str(conf), "state": "absent", "squid_binary": make_squid()}, capsys)
    assert absent["_rc"] == 0 and conf.read_bytes() == original


def test_crlf_lines_and_a_missing_final_newline_are_kept(setup, capsys):
    conf, _log, make_squid = setup
    original = b"acl localnet src 10.0.0.0/8\r\nhttp_access deny all\r\nhttp_port 3128"
    conf.write_bytes(original)
    result = run({"path": str(conf), "block": BLOCK, "squid_binary": make_squid()}, capsys)
    assert result["_rc"] == 0, result
    block = (BEGIN + "\n" + BLOCK + END + "\n").encode("utf-8")
    assert conf.read_bytes() == original.replace(b"http_access deny all", block + b"http_access deny all")


# --- files: symlinks, the candidate's owner and mode, private folders, unwritable folders ----------

STAT_SQUID = """#!/bin/sh
if [ "$1" = "-k" ] && [ "$2" = "parse" ]; then
    stat -c 'file %a %u %g' "$4" >> "{log}"
    stat -c 'folder %a %n' "$(dirname "$4")" >> "{log}"
    {extra}
    exit 0
fi
if [ "$1" = "-k" ] && [ "$2" = "check" ]; then exit 1; fi
exit 0
"""


def stat_squid(tmp_path, extra=""):
    log = tmp_path / "stat.log"
    squid = tmp_path / "stat-squid"
    squid.write_text(STAT_SQUID.format(log=log, extra=extra))
    squid.chmod(0o755)
    return str(squid), log


def test_a_symlinked_path_changes_the_real_file_and_keeps_the_link(setup, capsys, tmp_path):
    conf, _log, make_squid = setup
    link = tmp_path / "link.conf"
    link.symlink_to(conf)
    result = run({"path": str(link), "block": BLOCK, "squid_binary": make_squid()}, capsys)
    assert result["_rc"] == 0, result
    assert link.is_symlink() and os.readlink(str(link)) == str(conf)
    assert BEGIN in conf.read_text()


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another owner needs root")
def test_the_candidate_has_the_owner_and_group_of_the_original_and_is_never_world_readable(setup, capsys, tmp_path):
    conf, _log, _make_squid = setup
    conf.chmod(0o644)
    os.chown(str(conf), 4321, 8765)
    squid, log = stat_squid(tmp_path)
    result = run({"path": str(conf), "block": BLOCK, "squid_binary": squid}, capsys)
    assert result["_rc"] == 0, result
    file_line, folder_line = log.read_text().splitlines()
    assert file_line == "file 640 4321 8765"
    assert folder_line.endswith(" " + str(conf.parent))
    # The replaced file keeps the original's owner, group and mode.
    info = os.stat(str(conf))
    assert (stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid) == (0o644, 4321, 8765)


def test_check_mode_validates_in_a_private_folder(setup, capsys, tmp_path):
    conf, _log, _make_squid = setup
    squid, log = stat_squid(tmp_path)
    before = sorted(os.listdir(str(conf.parent)))
    result = run({"path": str(conf), "block": BLOCK, "squid_binary": squid, "_ansible_check_mode": True}, capsys)
    assert result["_rc"] == 0 and result["validated"] is True, result
    file_line, folder_line = log.read_text().splitlines()
    assert file_line.startswith("file 640 ")
    mode, folder = folder_line.split()[1:]
    assert mode == "700" and folder != str(conf.parent)
    assert not os.path.exists(folder)  # removed afterwards
    assert sorted(os.listdir(str(conf.parent))) == before + ["stat.log"]


@pytest.fixture
def immutable_folder(tmp_path):
    """A folder that takes no new file, not even from root (chattr +i); its files stay writable."""
    folder = tmp_path / "etc-squid"
    folder.mkdir()
    conf = folder / "squid.conf"
    conf.write_text(DEBIAN_LIKE)
    done = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip("chattr +i is not available here: %s" % done.stderr.decode(errors="replace").strip())
    try:
        yield conf
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_an_unwritable_folder_gives_a_clear_error_and_changes_nothing(immutable_folder, capsys, tmp_path):
    conf = immutable_folder
    squid, _log = stat_squid(tmp_path)
    result = run({"path": str(conf), "block": BLOCK, "squid_binary": squid}, capsys)
    assert result["_rc"] == 1 and result["field"] == "path" and result["rule"] == "writable-folder", result
    assert "not writable" in result["msg"] and result["changed"] is False
    assert conf.read_text() == DEBIAN_LIKE


def test_check_mode_works_on_an_unwritable_folder(immutable_folder, capsys, tmp_path):
    conf = immutable_folder
    squid, log = stat_squid(tmp_path)
    result = run({"path": str(conf), "block": BLOCK, "squid_binary": squid, "_ansible_check_mode": True}, capsys)
    assert result["_rc"] == 0 and result["changed"] is True and result["validated"] is True, result
    assert log.read_text().splitlines()[1].split()[1] == "700"
    assert conf.read_text() == DEBIAN_LIKE


def test_the_diff_shows_the_managed_block_only(setup, capsys):
    conf, _log, make_squid = setup
    conf.write_text("cache_peer parent.example 3128 0 login=proxyuser:S3cret-peer-pass\n" + DEBIAN_LIKE)
    args = {"path": str(conf), "block": BLOCK, "squid_binary": make_squid(), "_ansible_diff": True}
    result = run(dict(args, _ansible_check_mode=True), capsys)
    assert "S3cret" not in json.dumps(result)
    assert result["diff"]["before"] == "" and result["diff"]["after"] == BEGIN + "\n" + BLOCK + END + "\n"
    run(args, capsys)
    updated = run(dict(args, block="http_access allow mde\n"), capsys)
    assert "S3cret" not in json.dumps(updated)
    assert updated["diff"]["before"] == BEGIN + "\n" + BLOCK + END + "\n"
    assert updated["diff"]["after"] == BEGIN + "\nhttp_access allow mde\n" + END + "\n"


@pytest.mark.parametrize("marker", [
    "http_access allow all {mark}",                      # a live directive
    "  acl {mark} src all",                              # so is this, after the blanks Squid skips
    "# {mark}\x0chttp_access allow all",                 # a control character in a marker
    "#" + "x" * 8190 + "http_access allow all {mark}",   # Squid reads the tail past 8191 bytes as a line
])
def test_a_marker_that_is_not_a_comment_is_refused_before_anything_changes(setup, capsys, marker):
    conf, log, make_squid = setup
    result = run({"path": str(conf), "block": BLOCK, "marker": marker, "squid_binary": make_squid()}, capsys)
    assert result["_rc"] == 1 and result["field"] == "marker", result
    assert conf.read_text() == DEBIAN_LIKE and calls(log) == []


def test_an_indented_comment_marker_is_accepted():
    assert mod.markers("  # {mark} ours") == ("  # BEGIN ours", "  # END ours")


# --- the file changed while the module prepared the new one -----------------------------------------

def test_a_file_changed_during_validation_is_never_overwritten(setup, capsys, tmp_path):
    conf, _log, _make_squid = setup
    edit = 'printf "http_access deny blocked_by_someone_else\\n" >> "%s"' % conf
    squid, _stat_log = stat_squid(tmp_path, extra=edit)
    result = run({"path": str(conf), "block": BLOCK, "squid_binary": squid}, capsys)
    assert result["_rc"] == 1 and result["rule"] == "unchanged-since-read", result
    assert result["changed"] is False
    assert conf.read_text() == DEBIAN_LIKE + "http_access deny blocked_by_someone_else\n"
    assert not [p for p in os.listdir(str(conf.parent)) if p.endswith(".candidate")]


# --- the block itself ------------------------------------------------------------------------------

@pytest.mark.parametrize("block, rule", [
    ("acl mde dstdomain .x.com\x0chttp_access allow all\n", "control-character"),
    ("acl mde dstdomain .x.com\rhttp_access allow all\n", "control-character"),
    ("http_access allow mde \\\n", "self-contained"),          # would take in the line after the block
    ("if true\nhttp_access allow mde\n", "self-contained"),    # would take in the rest of the file
    ("http_access allow mde\nendif\n", "self-contained"),
    ("acl mde dstdomain " + "a" * 8200 + "\n", "line-length"),
])
def test_a_block_squid_would_read_differently_is_refused(block, rule):
    with pytest.raises(mod.SquidConfigError) as info:
        mod.block_lines_from(block, BEGIN, END)
    assert info.value.field == "block" and info.value.rule == rule


# --- placement as Squid reads the file --------------------------------------------------------------

def test_a_continued_authentication_rule_is_seen_and_preceded():
    text = ["acl staff proxy_auth REQUIRED", "http_access allow localnet \\", "    staff", "http_access deny all"]
    lines, _line, before = mod.render(text, ["http_access allow mde"], BEGIN, END, "present")
    assert before == "http_access allow localnet staff"
    assert lines.index(BEGIN) == 1


def test_the_block_is_never_put_inside_a_continued_directive():
    # The old block sits between the two halves of a continued line: Squid would read its first
    # directive as part of that line. It is moved out.
    text = ["http_access allow localnet \\", BEGIN, "http_access allow mde", END, "    localhost",
            "http_access deny all"]
    lines, _line, _before = mod.render(text, ["http_access allow mde"], BEGIN, END, "present")
    assert lines == ["http_access allow localnet \\", "    localhost", BEGIN, "http_access allow mde", END,
                     "http_access deny all"]


def test_a_rule_inside_a_conditional_is_preceded_outside_it():
    text = ["acl staff proxy_auth REQUIRED", "if ${process_number} = 1", "http_access allow staff", "endif",
            "http_access deny all"]
    lines, _line, before = mod.render(text, ["http_access allow mde"], BEGIN, END, "present")
    assert before == "http_access allow staff"
    assert lines[:3] == ["acl staff proxy_auth REQUIRED", BEGIN, "http_access allow mde"]


def test_a_dangling_continuation_at_the_end_is_refused():
    with pytest.raises(mod.SquidConfigError) as info:
        mod.render(["http_access allow localhost \\"], ["http_access allow mde"], BEGIN, END, "present")
    assert info.value.rule == "unterminated"


# --- included files ----------------------------------------------------------------------------------

def test_rules_in_an_included_file_are_preceded(tmp_path):
    included = tmp_path / "auth.conf"
    included.write_text("acl staff proxy_auth REQUIRED\nhttp_access allow staff\n")
    text = ["acl localnet src 10.0.0.0/8", "include %s" % included, "http_access allow localnet",
            "http_access deny all"]
    lines, _line, before = mod.render(text, ["http_access allow mde"], BEGIN, END, "present", mod.include_reader)
    assert before == "http_access allow staff"
    assert lines.index(BEGIN) == 1 and lines[lines.index(END) + 1] == "include %s" % included


def test_an_authentication_acl_defined_in_an_included_file_is_known(tmp_path):
    folder = tmp_path / "conf.d"
    folder.mkdir()
    (folder / "10-acls.conf").write_text("acl staff proxy_auth REQUIRED\n")
    (folder / "20-other.conf").write_text("logfile_rotate 0\n")
    text = ["include %s/*.conf" % folder, "http_access allow staff", "http_access deny all"]
    lines, _line, before = mod.render(text, ["http_access allow mde"], BEGIN, END, "present", mod.include_reader)
    assert before == "http_access allow staff"
    assert lines.index(BEGIN) == 1


def test_an_included_file_without_rules_does_not_move_the_block(tmp_path):
    included = tmp_path / "debian.conf"
    included.write_text("# Debian settings\nlogfile_rotate 0\n")
    text = ["include %s" % included, "http_access allow localhost", "http_access deny all"]
    lines, _line, before = mod.render(text, ["http_access allow mde"], BEGIN, END, "present", mod.include_reader)
    assert before == "http_access deny all" and lines.index(BEGIN) == 2


@pytest.mark.parametrize("name", ["relative/auth.conf", "/nonexistent/squid-include-*.conf"])
def test_an_include_the_module_cannot_read_is_preceded(name):
    text = ["include %s" % name, "http_access allow localhost", "http_access deny all"]
    lines, _line, before = mod.render(text, ["http_access allow mde"], BEGIN, END, "present", mod.include_reader)
    assert before == "include %s" % name and lines.index(BEGIN) == 0


def test_the_module_reads_included_files(setup, capsys, tmp_path):
    conf, _log, make_squid = setup
    included = tmp_path / "auth.conf"
    included.write_text("acl staff proxy_auth REQUIRED\nhttp_access allow staff\n")
    conf.write_text("acl localnet src 10.0.0.0/8\ninclude %s\nhttp_access deny all\n" % included)
    result = run({"path": str(conf), "block": BLOCK, "squid_binary": make_squid()}, capsys)
    assert result["_rc"] == 0 and result["placed_before"] == "http_access allow staff", result
    assert conf.read_text().splitlines()[1] == BEGIN


def test_text_after_a_nul_is_not_read_by_squid():
    # Squid's C strings end at a NUL: what follows it on the line is not a rule.
    text = ["http_access allow localnet", "http_access deny all\x00 trailing bytes"]
    _lines, line, before = mod.render(text, ["http_access allow mde"], BEGIN, END, "present")
    assert before == "http_access deny all" and line == 2


def test_parse_output_masks_credentials(setup, capsys, tmp_path):
    conf, _log, _make_squid = setup
    squid = tmp_path / "echo-squid"
    squid.write_text("#!/bin/sh\necho \"ERROR: cache_peer parent 3128 0 login=proxyuser:S3cret-peer-pass\" >&2\nexit 1\n")
    squid.chmod(0o755)
    result = run({"path": str(conf), "block": BLOCK, "squid_binary": str(squid)}, capsys)
    # The cache_peer line carries credentials: its text is withheld, not only the value after login=.
    assert result["_rc"] == 1 and result["parse_output"] == "ERROR: cache_peer " + squid_output.WITHHELD
    assert "S3cret" not in json.dumps(result)


def test_a_marker_with_trailing_blanks_is_found_again(setup, capsys):
    # Lines are compared without trailing blanks; the marker must be too, or every run adds a block.
    conf, _log, make_squid = setup
    args = {"path": str(conf), "block": BLOCK, "marker": "# {mark} ours  ", "squid_binary": make_squid()}
    assert run(args, capsys)["changed"] is True
    again = run(args, capsys)
    assert again["_rc"] == 0 and again["changed"] is False, again
    assert conf.read_text().count("# BEGIN ours") == 1


@pytest.mark.parametrize("outside", [
    "acl mde dstdomain .example.org",                  # same name, same type: Squid merges the values
    "acl mde dstdomain \\\n    .example.org",          # the same, continued
])
def test_an_acl_of_the_block_defined_outside_it_is_refused(outside):
    text = ["acl localnet src 10.0.0.0/8"] + outside.split("\n") + ["http_access deny all"]
    with pytest.raises(mod.SquidConfigError) as info:
        mod.render(text, BLOCK.splitlines(), BEGIN, END, "present")
    assert info.value.field == "block" and info.value.rule == "acl-name-collision"
    assert "mde" in str(info.value)


def test_an_acl_defined_in_an_included_file_counts_as_outside(tmp_path):
    included = tmp_path / "extra.conf"
    included.write_text("acl mde dstdomain .example.org\n")
    with pytest.raises(mod.SquidConfigError) as info:
        mod.render(["include %s" % included, "http_access deny all"], BLOCK.splitlines(), BEGIN, END, "present",
                   mod.include_reader)
    assert info.value.rule == "acl-name-collision"


def test_the_block_s_own_acls_are_not_a_collision_when_it_is_updated():
    first = mod.render(DEBIAN_LIKE.splitlines(), BLOCK.splitlines(), BEGIN, END, "present")[0]
    assert mod.render(first, BLOCK.splitlines(), BEGIN, END, "present")[0] == first


def test_the_documentation_parses_and_every_description_is_text():
    import yaml

    doc = yaml.safe_load(mod.DOCUMENTATION)
    assert set(doc["options"]) == {"path", "block", "state", "marker", "squid_binary", "validate", "reload", "backup"}
    texts = doc["description"] + doc["notes"] + [line for option in doc["options"].values()
                                                 for line in option["description"]]
    # A ': ' inside a plain YAML item turns it into a mapping, which ansible-doc cannot render.
    assert all(isinstance(text, str) for text in texts)
    yaml.safe_load(mod.EXAMPLES)
    yaml.safe_load(mod.RETURN)


def test_files_that_include_each_other_end_quickly_and_are_preceded(tmp_path):
    folder = tmp_path / "conf.d"
    folder.mkdir()
    for name in ("a", "b", "c", "d", "e"):
        (folder / ("%s.conf" % name)).write_text("include %s/*.conf\n" % folder)
    text = ["include %s/*.conf" % folder, "http_access allow localhost", "http_access deny all"]
    lines, _line, before = mod.render(text, ["http_access allow mde"], BEGIN, END, "present", mod.include_reader)
    assert lines.index(BEGIN) == 0 and before.startswith("include ")
