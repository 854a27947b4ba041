#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: squid_allowlist
short_description: Place a managed allowlist block in a Squid configuration, validated before it replaces the file
version_added: 0.1.0
description:
  - Puts a block of Squid directives (usually the output of the filter
    P(purview.device_proxy.allowlist_squid#filter)) between marker lines in C(squid.conf), and keeps the rest of
    the file as it is.
  - The block goes before the first C(http_access) rule that uses an authentication ACL (C(proxy_auth),
    C(proxy_auth_regex), C(ext_user), C(ext_user_regex), C(max_user_ip)), before the first catch-all
    C(http_access allow all) or C(http_access deny all), and before the first C(ssl_bump) rule, whichever comes
    first, so the service URLs are allowed for anonymous clients and spliced, never bumped. An existing block that
    already sits before those rules stays where it is.
  - The new configuration is written to a temporary file next to the old one and checked with
    C(squid -k parse -f <candidate>). Only a configuration that passes replaces the old file, atomically (same
    owner and mode). A configuration that fails validation never replaces a working one.
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
      - Lines that look like one of the markers are refused.
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
    type: bool
    default: false
notes:
  - Validation and reload run Squid with C(-f path), so the pid file named in that configuration tells which Squid
    is reloaded.
attributes:
  check_mode:
    support: full
    details: In check mode the candidate is still validated (in a temporary folder) and the diff is shown; nothing is replaced or reloaded.
  diff_mode:
    support: full
  platform:
    support: full
    platforms: posix
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
seealso:
  - module: purview.device_proxy.service_url_probe
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
  description: What C(squid -k parse) printed for a candidate that failed validation (errors only).
  returned: on validation failure
  type: str
  sample: "squid.conf.candidate(61): unrecognized: 'this_is_not_a_directive'"
"""

import os
import re
import tempfile

from ansible.module_utils.basic import AnsibleModule

# ACL types that make a rule ask clients for credentials.
AUTH_ACL_TYPES = frozenset(("proxy_auth", "proxy_auth_regex", "ext_user", "ext_user_regex", "max_user_ip"))


class AllowlistError(ValueError):
    """A configuration the block cannot be placed in safely. ``field`` names the option."""

    def __init__(self, field, rule, message):
        self.field = field
        self.rule = rule
        super(AllowlistError, self).__init__("%s: %s" % (field, message))


def markers(template):
    if "{mark}" not in template or "\n" in template:
        raise AllowlistError("marker", "mark-placeholder", "the marker must be one line containing {mark}")
    return template.replace("{mark}", "BEGIN"), template.replace("{mark}", "END")


def _directive(line):
    """The words of a configuration line without its comment, or [] for blank and comment lines."""
    text = line.strip()
    if not text or text.startswith("#"):
        return []
    return text.split()


def find_block(lines, begin, end):
    """(start, stop) indexes of the managed block (stop is the END line), or None."""
    starts = [i for i, line in enumerate(lines) if line.rstrip() == begin]
    stops = [i for i, line in enumerate(lines) if line.rstrip() == end]
    if not starts and not stops:
        return None
    if len(starts) != 1 or len(stops) != 1 or stops[0] < starts[0]:
        raise AllowlistError("path", "markers", "the file has %d begin and %d end marker line(s) out of order or repeated; "
                                                "fix it by hand (markers: %r, %r)" % (len(starts), len(stops), begin, end))
    return starts[0], stops[0]


def acl_types(lines):
    """ACL name -> set of types, from the ``acl NAME TYPE ...`` lines."""
    types = {}
    for line in lines:
        words = _directive(line)
        if len(words) >= 3 and words[0] == "acl":
            types.setdefault(words[1], set()).add(words[2])
    return types


def barrier(lines):
    """(index, line) of the first rule the block must precede, or (len(lines), None)."""
    types = acl_types(lines)
    for index, line in enumerate(lines):
        words = _directive(line)
        if not words:
            continue
        if words[0] == "ssl_bump":
            return index, line.strip()
        if words[0] == "http_access" and len(words) >= 3:
            names = [word.lstrip("!") for word in words[2:]]
            if names == ["all"] or any(types.get(name, set()) & AUTH_ACL_TYPES for name in names):
                return index, line.strip()
    return len(lines), None


def render(lines, block_lines, begin, end, state):
    """The new list of lines and (line number of the begin marker, rule placed before)."""
    found = find_block(lines, begin, end)
    rest = list(lines)
    old_start = None
    if found is not None:
        old_start = found[0]
        del rest[found[0]:found[1] + 1]
    if state == "absent":
        return rest, None, None
    managed = [begin] + block_lines + [end]
    limit, rule = barrier(rest)
    if old_start is not None and old_start <= limit:
        return rest[:old_start] + managed + rest[old_start:], old_start + 1, None
    return rest[:limit] + managed + rest[limit:], limit + 1, rule


def block_lines_from(block, begin, end):
    if block is None:
        raise AllowlistError("block", "required", "block is required when state=present")
    lines = [line.rstrip() for line in block.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    if not lines:
        raise AllowlistError("block", "non-empty", "block is empty")
    for number, line in enumerate(lines, start=1):
        if line in (begin, end):
            raise AllowlistError("block", "no-markers", "line %d of block is a marker line" % number)
    return lines


def squid_errors(output):
    """The lines of ``squid -k parse`` output that explain a failure."""
    keep = [line for line in output.splitlines()
            if re.search(r"FATAL|ERROR|unrecognized|Bungled|WARNING", line)]
    return "\n".join(keep[-20:]) if keep else output[-2000:]


def validate(module, squid, text, path):
    """Run ``squid -k parse`` on a candidate file next to ``path`` (or in a temp folder in check mode)."""
    folder = os.path.dirname(path) or "."
    if module.check_mode or not os.access(folder, os.W_OK):
        folder = None
    handle, candidate = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), suffix=".candidate", dir=folder)
    with os.fdopen(handle, "w") as stream:
        stream.write(text)
    os.chmod(candidate, 0o644)  # Squid may read it after dropping privileges
    rc, out, err = module.run_command([squid, "-k", "parse", "-f", candidate])
    return rc, squid_errors(out + err), candidate


def squid_running(module, squid, path):
    rc, _out, _err = module.run_command([squid, "-k", "check", "-f", path])
    return rc == 0


def run_module():
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
        if not os.path.isfile(path):
            raise AllowlistError("path", "exists", "%s is not a file; install Squid first" % path)
        with open(path, "r") as stream:
            before = stream.read()
        lines = before.splitlines()
        new_lines, line, placed_before = render(lines, block_lines, begin, end, params["state"])
    except AllowlistError as exc:
        module.fail_json(msg=str(exc), field=exc.field, rule=exc.rule, **result)
    except (IOError, OSError) as exc:
        module.fail_json(msg="path: cannot read %s: %s" % (path, exc), **result)

    after = "\n".join(new_lines) + "\n" if new_lines else ""
    result.update(line=line, placed_before=placed_before)
    changed = after != before
    squid = None
    if params["validate"] or params["reload"]:
        squid = params["squid_binary"] or module.get_bin_path("squid", required=params["validate"], opt_dirs=["/usr/sbin"])

    if not changed:
        result["validated"] = False
        module.exit_json(**result)

    result["changed"] = True
    if module._diff:
        result["diff"] = dict(before=before, after=after, before_header=path, after_header=path)

    candidate = None
    try:
        if params["validate"]:
            rc, errors, candidate = validate(module, squid, after, path)
            if rc != 0:
                result["changed"] = False
                result.pop("diff", None)
                module.fail_json(msg="The new Squid configuration does not pass 'squid -k parse'; %s was not changed" % path,
                                 parse_output=errors, **result)
            result["validated"] = True
        if module.check_mode:
            module.exit_json(**result)
        if params["backup"]:
            result["backup_file"] = module.backup_local(path)
        if candidate is None or os.path.dirname(candidate) != os.path.dirname(path):
            handle, staged = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=os.path.dirname(path) or ".")
            with os.fdopen(handle, "w") as stream:
                stream.write(after)
            if candidate is not None:
                os.unlink(candidate)
            candidate = staged
        module.atomic_move(candidate, path)
        candidate = None
    finally:
        if candidate is not None and os.path.exists(candidate):
            os.unlink(candidate)

    if params["reload"] and squid and squid_running(module, squid, path):
        rc, out, err = module.run_command([squid, "-k", "reconfigure", "-f", path])
        if rc != 0:
            module.fail_json(msg="%s was updated but Squid did not accept the reload request" % path,
                             stderr=(out + err)[-2000:], **result)
        result["reloaded"] = True
    module.exit_json(**result)


def main():
    run_module()


if __name__ == "__main__":
    main()
