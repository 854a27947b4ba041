#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: squid_allowlist
short_description: Place a managed allowlist block in a Squid configuration, validated before it replaces the file
version_added: 0.1.0
description:
  - Puts a block of Squid directives (usually the output of the filter
    P(purview.device_proxy.allowlist_squid#filter)) between marker lines in C(squid.conf), and keeps the rest of
    the file as it is.
  - The block goes before the first C(http_access) rule that can make Squid ask the client for credentials, before
    the first rule that matches every request, and before the first C(ssl_bump) rule, whichever comes first, so the
    service URLs are allowed for anonymous clients and spliced, never bumped. An existing block that already sits
    before those rules stays where it is.
  - A rule can ask for credentials when one of its ACLs (negated or not) is of type C(proxy_auth),
    C(proxy_auth_regex), C(ext_user), C(ext_user_regex) or C(max_user_ip); an C(external) ACL whose
    C(external_acl_type) format passes the user (C(%LOGIN), C(%ul), C(%un), C(%EXT_USER), C(%ue), with any of
    Squid's encoding prefixes, as the Active Directory group helpers C(ext_kerberos_ldap_group_acl),
    C(ext_wbinfo_group_acl) and C(ext_ldap_group_acl) are used); or an C(any-of)/C(all-of) ACL made of one of them.
    A rule matches every request when all its ACLs are C(all) or C(src) ACLs of every address (C(0.0.0.0/0),
    C(::/0)).
  - ACL names are compared without regard to ASCII case, as Squid compares them (C(http_access deny ALL) is a
    catch-all, C(acl Staff proxy_auth REQUIRED) makes C(http_access allow STAFF) an authentication rule). A word
    that starts with C(#) starts a comment, so C(http_access deny all) followed by a comment is a catch-all.
  - Files named by C(include) lines (absolute paths, globbed as Squid does) are read too. When they hold such a
    rule the block goes before the C(include) line, and ACLs they define count for the rules after it. An include
    the module cannot read (a relative path, a pattern that matches nothing, an unreadable file) is treated as if
    it held such a rule, and is refused (C(field=path), C(rule=include-unreadable)) when the block defines ACLs,
    since it could define one of the same name.
  - An ACL name the block defines must not be defined outside it in any case (in the file or an included file) and
    must not be one Squid predefines (C(all), C(manager), C(localhost), C(to_localhost), C(to_linklocal),
    C(CONNECT), the C(ssl::cert*) errors), because Squid merges every C(acl) line of one name, so the block's rules
    would match those values too. Such a block is refused (C(field=block), C(rule=acl-name-collision)).
  - The file is read as Squid reads it. Only C(\n) ends a line, so a form feed, vertical tab or other character
    that Python also treats as a line break never turns part of a comment into a directive; every line outside the
    managed block is written back byte for byte, including bytes that are not UTF-8 and C(\r\n) line ends.
    A directive continued with a trailing C(\) and the inside of C(if) ... C(endif) are never split by the block.
  - The new configuration is written to a candidate file next to the old one, with the old file's owner, group and
    mode minus any access for others, and checked with C(squid -k parse -f <candidate>). Only a configuration that
    passes replaces the old file, atomically (same owner and mode). A configuration that fails validation never
    replaces a working one.
  - Just before the replace the file is read again; if it changed since it was first read (another tool or person
    edited it), the module fails and writes nothing.
  - A symlinked O(path) is followed. The file it points to is changed and the link is kept.
  - After a change, a running Squid that uses this configuration is told to reload it (C(squid -k reconfigure)),
    which keeps it serving. A Squid that is not running is not started.
author:
  - purview.device_proxy maintainers (@purview-device-proxy)
options:
  path:
    description:
      - The Squid configuration file.
    type: path
    default: /etc/squid/squid.conf
  block:
    description:
      - The directives to place between the markers. Required when O(state=present).
      - Lines that look like one of the markers are refused, and so are lines with control characters other than
        tab, lines longer than 8191 bytes, a last directive continued with C(\) and an C(if) without its C(endif)
        (Squid would read any of them differently, or together with the lines after the block).
    type: str
  state:
    description:
      - V(present) places or updates the block, V(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
  marker:
    description:
      - The marker line template; C({mark}) is replaced with V(BEGIN) or V(END). Use different markers for
        different blocks in one file.
      - It must be a Squid comment (its first non-blank character is C(#)), one line without control characters and
        at most 8191 bytes (Squid reads longer lines as two); anything else is refused before the file is read.
    type: str
    default: "# {mark} purview.device_proxy allowlist"
  squid_binary:
    description:
      - The Squid program used to validate and reload. Found on the PATH and in C(/usr/sbin) when not given.
    type: path
  validate:
    description:
      - Check the candidate configuration with C(squid -k parse) before it replaces the old one.
      - Only switch this off where Squid is not installed on the host that holds the file.
    type: bool
    default: true
  reload:
    description:
      - Reload a running Squid after a change (C(squid -k reconfigure -f path)).
    type: bool
    default: true
  backup:
    description:
      - Keep a timestamped copy of the old file next to it when the file changes.
      - The role P(purview.device_proxy.proxy_allowlist#role) turns this on by default.
    type: bool
    default: false
notes:
  - Validation and reload run Squid with C(-f path), so the pid file named in that configuration tells which Squid
    is reloaded.
  - When the folder of the file does not take new files, a change fails with a clear message (C(field=path),
    C(rule=writable-folder)) and nothing is changed; check mode still works there.
attributes:
  check_mode:
    support: full
    details: In check mode the candidate is still validated (in a private temporary folder) and the diff is shown; nothing is replaced or reloaded.
  diff_mode:
    support: full
    details: The diff shows the managed block only (with its line number), never the rest of the file, which can hold credentials.
  platform:
    support: full
    platforms: posix
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
seealso:
  - module: purview.device_proxy.network_url_probe
  - name: Squid ssl_bump directive
    description: Actions and steps of TLS interception, including splice.
    link: https://www.squid-cache.org/Doc/config/ssl_bump/
"""

EXAMPLES = r"""
- name: Allow, splice and exempt from authentication the service URLs for a US tenant
  purview.device_proxy.squid_allowlist:
    block: >-
      {{ query('purview.device_proxy.service_urls', cloud='commercial', regions=['us'], output='entries')
         | purview.device_proxy.allowlist_squid(acl_name='mde_service') }}

- name: A Squid with its own configuration file
  purview.device_proxy.squid_allowlist:
    path: /srv/squid/squid.conf
    block: |
      acl mde_extra dstdomain .example.com
      http_access allow mde_extra
    marker: "# {mark} extra allowlist"

- name: Remove the block
  purview.device_proxy.squid_allowlist:
    state: absent
"""

RETURN = r"""
path:
  description: The configuration file.
  returned: always
  type: str
  sample: /etc/squid/squid.conf
line:
  description: The 1-based line number of the begin marker in the resulting file, or null when there is no block.
  returned: always
  type: int
  sample: 57
placed_before:
  description: The rule the block was placed before when it was (re)positioned, or null.
  returned: always
  type: str
  sample: http_access allow authenticated
validated:
  description: Whether the resulting configuration passed C(squid -k parse).
  returned: always
  type: bool
  sample: true
reloaded:
  description: Whether a running Squid was told to reload.
  returned: always
  type: bool
  sample: true
backup_file:
  description: The copy of the old file, when O(backup=true) and the file changed.
  returned: when backed up
  type: str
  sample: /etc/squid/squid.conf.12345.2026-01-01@10:00:00~
parse_output:
  description:
    - The lines C(squid -k parse) printed that explain why a candidate failed validation (at most 20).
    - The text of directives that can hold credentials (C(auth_param), C(external_acl_type), C(cache_peer),
      C(access_log) ...) is withheld wherever it appears, and credential values (C(login=), C(password=), C(-w))
      are masked. When Squid printed no error line, this says so and returns none of its output.
  returned: on validation failure
  type: str
  sample: "squid.conf.candidate(61): unrecognized: 'this_is_not_a_directive'"
"""

import errno
import os
import re
import shutil
import stat
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.purview.device_proxy.plugins.module_utils.squid_conf import (
    ENCODING, SQUID_LINE_BYTES, C_SPACE, IncludeReader, Scan, SquidConfigError, barrier, check_acl_names,
    include_reader, join_config, read_bytes, split_config)
from ansible_collections.purview.device_proxy.plugins.module_utils.squid_output import error_lines, printable

# Control characters other than tab: Squid would read a line holding one differently from how it
# reads on screen (a carriage return ends the line for Squid, for example).
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def markers(template: str) -> tuple[str, str]:
    if not isinstance(template, str) or "{mark}" not in template:
        raise SquidConfigError("marker", "mark-placeholder", "the marker must be one line containing {mark}")
    if _CONTROL.search(template):
        raise SquidConfigError("marker", "one-line", "the marker must be one line without control characters")
    # Written and compared without trailing blanks (lines are compared that way), so it is found again.
    begin, end = (template.replace("{mark}", mark).rstrip(" \t") for mark in ("BEGIN", "END"))
    # Squid skips leading white space, then a line starting with '#' is a comment; anything else
    # would be read as a directive.
    if not begin.lstrip(C_SPACE).startswith("#") or not end.lstrip(C_SPACE).startswith("#"):
        raise SquidConfigError("marker", "comment", "the marker must be a Squid comment (start with '#'), "
                                                    "or it would be read as a directive: %r" % begin)
    if max(len(begin.encode(ENCODING)), len(end.encode(ENCODING))) > SQUID_LINE_BYTES:
        raise SquidConfigError("marker", "line-length", "the marker is longer than the %d bytes Squid reads as "
                                                        "one line" % SQUID_LINE_BYTES)
    return begin, end


def _is_marker(line: str, marker: str) -> bool:
    return line.rstrip(" \t\r") == marker


def find_block(lines: list[str], begin: str, end: str) -> tuple[int, int] | None:
    """(start, stop) indexes of the managed block (stop is the END line), or None."""
    starts = [i for i, line in enumerate(lines) if _is_marker(line, begin)]
    stops = [i for i, line in enumerate(lines) if _is_marker(line, end)]
    if not starts and not stops:
        return None
    if len(starts) != 1 or len(stops) != 1 or stops[0] < starts[0]:
        raise SquidConfigError("path", "markers", "the file has %d begin and %d end marker line(s) out of order or repeated; "
                                                  "fix it by hand (markers: %r, %r)" % (len(starts), len(stops), begin, end))
    return starts[0], stops[0]


def render(lines: list[str], block_lines: list[str], begin: str, end: str, state: str,
           include: IncludeReader | None = None) -> tuple[list[str], int | None, str | None]:
    """The new list of lines and (line number of the begin marker, rule placed before).
    ``include`` reads the files an ``include`` line names (see include_reader)."""
    found = find_block(lines, begin, end)
    rest = list(lines)
    old_start = None
    if found is not None:
        old_start = found[0]
        del rest[found[0]:found[1] + 1]
    if state == "absent":
        return rest, None, None
    managed = [begin] + block_lines + [end]
    scan = Scan(rest, include)
    check_acl_names(Scan(block_lines), scan)
    limit, rule = barrier(scan, len(rest))
    if old_start is not None and old_start <= limit and old_start not in scan.unsafe:
        return rest[:old_start] + managed + rest[old_start:], old_start + 1, None
    if limit in scan.unsafe:
        raise SquidConfigError("path", "unterminated", "%s; the block cannot be placed after it safely, fix the "
                                                       "file by hand" % scan.unterminated)
    return rest[:limit] + managed + rest[limit:], limit + 1, rule


def block_lines_from(block: str | None, begin: str, end: str) -> list[str]:
    if block is None:
        raise SquidConfigError("block", "required", "block is required when state=present")
    lines = [line.rstrip(" \t") for line in block.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    if not lines:
        raise SquidConfigError("block", "non-empty", "block is empty")
    for number, line in enumerate(lines, start=1):
        if _CONTROL.search(line):
            raise SquidConfigError("block", "control-character", "line %d of block holds a control character (%r); Squid "
                                                                 "would not read it as it reads here" % (number, line))
        if len(line.encode(ENCODING, "surrogateescape")) > SQUID_LINE_BYTES:
            raise SquidConfigError("block", "line-length", "line %d of block is longer than the %d bytes Squid reads as "
                                                           "one line" % (number, SQUID_LINE_BYTES))
        if _is_marker(line, begin) or _is_marker(line, end):
            raise SquidConfigError("block", "no-markers", "line %d of block is a marker line" % number)
    scan = Scan(lines)
    if scan.unterminated:
        raise SquidConfigError("block", "self-contained", "in block, %s: it would take in the lines after the block"
                               % scan.unterminated)
    if any(s.words[0] in ("else", "endif") and not s.inside for s in scan.statements):
        raise SquidConfigError("block", "self-contained", "block has an 'else' or 'endif' without its 'if'")
    return lines


# --- output --------------------------------------------------------------------------------------

def directives(lines: list[str]) -> list[str]:
    """The directives of a configuration and of the files it includes (what Squid may echo)."""
    return [statement.text for statement in Scan(lines, include_reader).statements]


def managed_text(lines: list[str], begin: str, end: str) -> tuple[str, int | None]:
    """The managed block of a file (markers included) and the line number of its begin marker."""
    found = find_block(lines, begin, end)
    if found is None:
        return "", None
    return printable("\n".join(lines[found[0]:found[1] + 1]) + "\n"), found[0] + 1


# --- files ---------------------------------------------------------------------------------------

class FolderNotWritable(Exception):
    pass


def write_candidate(data: bytes, original: str, folder: str) -> str:
    """Write ``data`` to a new file in ``folder`` with the original's owner, group and mode, minus
    any access for others and the set-id bits (the file may hold credentials). Raises
    FolderNotWritable when the folder does not take new files."""
    info = os.stat(original)
    try:
        handle, name = tempfile.mkstemp(prefix=".%s." % os.path.basename(original), suffix=".candidate", dir=folder)
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise FolderNotWritable(str(exc)) from exc
        raise
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            try:
                os.fchown(stream.fileno(), info.st_uid, info.st_gid)
            except PermissionError:
                pass  # only root can give a file away; it stays the caller's, still private
            os.fchmod(stream.fileno(), stat.S_IMODE(info.st_mode) & 0o770)
            os.fsync(stream.fileno())
    except BaseException:
        os.unlink(name)
        raise
    return name


def squid_running(module: AnsibleModule, squid: str, path: str) -> bool:
    rc, _out, _err = module.run_command([squid, "-k", "check", "-f", path])
    return rc == 0


def run_module() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", default="/etc/squid/squid.conf"),
            block=dict(type="str"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            marker=dict(type="str", default="# {mark} purview.device_proxy allowlist"),
            squid_binary=dict(type="path"),
            validate=dict(type="bool", default=True),
            reload=dict(type="bool", default=True),
            backup=dict(type="bool", default=False),
        ),
        required_if=[("state", "present", ("block",))],
        supports_check_mode=True,
    )
    params = module.params
    path = params["path"]
    result = dict(changed=False, path=path, line=None, placed_before=None, validated=False, reloaded=False)

    try:
        begin, end = markers(params["marker"])
        block_lines = block_lines_from(params["block"], begin, end) if params["state"] == "present" else []
        real = os.path.realpath(path)  # a symlinked path: change the file it points to, keep the link
        if not os.path.isfile(real):
            raise SquidConfigError("path", "exists", "%s is not a file; install Squid first" % path)
        before = read_bytes(real)
        lines, final_newline = split_config(before)
        new_lines, line, placed_before = render(lines, block_lines, begin, end, params["state"], include_reader)
    except SquidConfigError as exc:
        module.fail_json(msg=printable(str(exc)), field=exc.field, rule=exc.rule, **result)
    except OSError as exc:
        module.fail_json(msg="path: cannot read %s: %s" % (path, exc), field="path", rule="readable", **result)

    after = join_config(new_lines, final_newline or bool(new_lines and new_lines[-1] == end))
    result.update(line=line, placed_before=printable(placed_before) if placed_before else None)
    squid = None
    if params["validate"] or params["reload"]:
        squid = params["squid_binary"] or module.get_bin_path("squid", required=params["validate"], opt_dirs=["/usr/sbin"])

    if after == before:
        module.exit_json(**result)

    result["changed"] = True
    if module._diff:
        # Only the managed block: the rest of squid.conf can hold credentials (cache_peer login=...).
        old_text, old_line = managed_text(lines, begin, end)
        new_text, new_line = managed_text(new_lines, begin, end)
        result["diff"] = dict(before=old_text, after=new_text,
                              before_header="%s (managed block%s)" % (path, " at line %d" % old_line if old_line else ""),
                              after_header="%s (managed block%s)" % (path, " at line %d" % new_line if new_line else ""))

    folder = os.path.dirname(real) or "."
    private = None
    candidate = None
    try:
        writable = not module.check_mode
        if writable:
            try:
                candidate = write_candidate(after, real, folder)
            except FolderNotWritable:
                writable = False
        if candidate is None:
            private = tempfile.mkdtemp(prefix="squid_allowlist.")  # 0700, ours alone
            candidate = write_candidate(after, real, private)
        if params["validate"]:
            rc, out, err = module.run_command([squid, "-k", "parse", "-f", candidate])
            if rc != 0:
                result["changed"] = False
                result.pop("diff", None)
                module.fail_json(msg="The new Squid configuration does not pass 'squid -k parse'; %s was not changed" % path,
                                 parse_output=error_lines(out + err, directives(new_lines)), **result)
            result["validated"] = True
        if module.check_mode:
            module.exit_json(**result)
        if not writable:
            result["changed"] = False
            module.fail_json(msg="path: the folder %s is not writable, so %s cannot be replaced safely; nothing was "
                                 "changed" % (folder, path), field="path", rule="writable-folder", **result)
        # Someone else may have edited the file since it was read: never overwrite their change.
        if os.path.realpath(path) != real or read_bytes(real) != before:
            result["changed"] = False
            module.fail_json(msg="path: %s changed while the new configuration was prepared; nothing was written, "
                                 "run again" % path, field="path", rule="unchanged-since-read", **result)
        if params["backup"]:
            result["backup_file"] = module.backup_local(real)
        module.atomic_move(candidate, real)
        candidate = None
    finally:
        if candidate is not None and os.path.exists(candidate):
            os.unlink(candidate)
        if private is not None:
            shutil.rmtree(private, ignore_errors=True)

    if params["reload"] and squid and squid_running(module, squid, path):
        rc, out, err = module.run_command([squid, "-k", "reconfigure", "-f", path])
        if rc != 0:
            module.fail_json(msg="%s was updated but Squid did not accept the reload request" % path,
                             stderr=error_lines(out + err, directives(new_lines)), **result)
        result["reloaded"] = True
    module.exit_json(**result)


def main() -> None:
    run_module()


if __name__ == "__main__":
    main()
