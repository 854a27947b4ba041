# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What of Squid's own output may be shown to the user: the error lines, never a secret.

Internal to purview.device_proxy: not a public API, and it may change without notice.

``squid -k parse`` prints every directive it reads ("Processing: ...") and echoes a directive it
cannot read ("Bungled FILE line N: ..."). Directives such as ``auth_param`` (an LDAP bind password
after ``-w``), ``cache_peer`` (``login=user:password``) or ``access_log`` (a database password) carry
credentials, so their text is withheld wherever it appears. Runs on Linux targets (Python 3.8+).
"""

from __future__ import annotations

import re
from typing import Iterable, List

from ansible_collections.purview.device_proxy.plugins.module_utils.squid_conf import ENCODING, directive_words

ERROR_LINE = re.compile(r"FATAL|ERROR|unrecognized|Bungled|WARNING")
MAX_LINES = 20
# Directives whose arguments may hold a password, a community string or a token.
CREDENTIAL_DIRECTIVES = frozenset((
    "auth_param", "external_acl_type", "cache_peer", "access_log", "cache_access_log", "logfile_daemon",
    "cachemgr_passwd", "url_rewrite_program", "store_id_program", "sslcrtd_program", "sslcrtvalidator_program",
    "sslpassword_program", "icap_service", "ecap_service", "request_header_add", "reply_header_add",
    "request_header_replace", "reply_header_replace", "snmp_community",
))
WITHHELD = "[text withheld: it may hold credentials]"
_WORD = re.compile(r"[^ \t\n\v\f\r'\"]+")
# key=value secrets (quoted or not), "-w PASSWORD"/"-p PASSWORD" helper options, user:password@ in URLs.
_SECRETS = (
    re.compile(r"""((?:login|password|passwd|pass|key|secret|token|community)=)(?:"[^"]*"?|'[^']*'?|[^\s'"]+)""", re.IGNORECASE),
    re.compile(r"""((?:^|\s)-[wpW]\s+)(?:"[^"]*"?|'[^']*'?|\S+)"""),
    re.compile(r"""(://[^/\s:@]*:)[^@\s]*(?=@)"""),
)


def printable(text: str) -> str:
    """Text safe to return: undecodable bytes shown as U+FFFD, never as lone surrogates."""
    return text.encode(ENCODING, "surrogateescape").decode(ENCODING, "replace")


def mask(text: str) -> str:
    """Hide credential values that follow the usual markers."""
    for pattern in _SECRETS:
        text = pattern.sub(r"\1********", text)
    return text


def secret_words(config_lines: Iterable[str]) -> set:
    """Argument words of the configuration's credential-bearing directives (and of ACLs of a type
    that carries a secret): any output line that repeats one is cut before it."""
    words = set()
    for line in config_lines:
        parts = directive_words(line.strip(" \t"))
        if not parts or parts[0].startswith("#"):
            continue
        if parts[0] not in CREDENTIAL_DIRECTIVES and not (parts[0] == "acl" and len(parts) > 2 and parts[2] in CREDENTIAL_DIRECTIVES):
            continue
        words.update(word.strip("'\"") for word in parts[1:] if len(word.strip("'\"")) >= 4)
    return words


def _withhold(line: str, secrets: set) -> str:
    """The line cut before the first credential-bearing directive name or secret word it holds."""
    for match in _WORD.finditer(line):
        word = match.group(0)
        if word in CREDENTIAL_DIRECTIVES or word in secrets:
            return line[:match.start()] + (word + " " if word in CREDENTIAL_DIRECTIVES else "") + WITHHELD
    return line


def error_lines(output: str, config_lines: Iterable[str] = ()) -> str:
    """The lines of Squid's output that explain a failure, with credential-bearing text withheld.
    Never the raw output: when no line looks like an error, say so."""
    secrets = secret_words(config_lines)
    keep: List[str] = [line for line in output.splitlines() if ERROR_LINE.search(line) and "Processing:" not in line]
    if not keep:
        return "(squid printed no error line; %d line(s) of its output withheld, run 'squid -k parse -f FILE' " \
               "on the host to read them)" % len(output.splitlines())
    return "\n".join(mask(_withhold(printable(line), secrets)) for line in keep[-MAX_LINES:])
