# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read a squid.conf the way Squid (5.x) reads and evaluates it.

Internal to purview.device_proxy: not a public API, and it may change without notice.

Lines, continuations, ``if`` ... ``endif``, included files, comments after a directive, and the
ACLs: which names exist (Squid compares them without regard to ASCII case), which can make Squid ask
a client for credentials, which match every client. squid_allowlist decides where its block goes
and which ACL names it may use from this. Runs on Linux targets (Python 3.8 or later).
"""

from __future__ import annotations

import glob
import os
import re
from typing import Callable, Dict, List, Optional, Tuple

from ansible_collections.purview.device_proxy.plugins.module_utils._input_error import InputError

ENCODING = "utf-8"
# Squid reads its configuration with fgets() into a BUFSIZ (8192) buffer: a longer line is read as
# several lines, and the part after the cut is parsed as a directive of its own.
SQUID_LINE_BYTES = 8191
# Squid refuses includes nested deeper than this.
SQUID_INCLUDE_DEPTH = 16
# Include lines read per placement at most: files that include each other through globs would
# otherwise multiply at every level. An include beyond it counts as unreadable.
INCLUDE_BUDGET = 256
# Squid's idea of white space (C isspace in the C locale), not Python's.
C_SPACE = " \t\n\v\f\r"
# A quoted token (which may hold blanks) or a run of non-blank characters.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|[^ \t\n\v\f\r]+')

# ACL types whose evaluation makes Squid ask the client for credentials (407), or that decide by
# the authenticated user.
AUTH_ACL_TYPES = frozenset(("proxy_auth", "proxy_auth_regex", "ext_user", "ext_user_regex", "max_user_ip"))
# ACL types made of other ACLs (Squid 4+): they ask for credentials when one of their parts does.
COMBINED_ACL_TYPES = frozenset(("any-of", "all-of"))
# An external_acl_type format code that passes the user to the helper. Squid's format grammar
# (squid.conf.documented, TAG: logformat): % [encoding] [-] [[0]width] [{arg}] code, with the
# "http::" prefix optional. %LOGIN/%ul make Squid authenticate the client first (external_acl.cc
# sets require_auth for them); %un and %ue/%EXT_USER pass a user name, so the rule decides by
# who the user is, which an anonymous device never has.
_USER_FORMAT = re.compile(r"""%["'\[#/]?-?0?\d*(?:\.\d+)?(?:\{[^}]*\})?(?:http::)?(?:LOGIN|EXT_USER|ul|un|ue)""")
# external_acl_type options that come before the format (external_acl.cc, parse_externalAclHelper).
_HELPER_OPTION = re.compile(r"(?:ttl|negative_ttl|children|children-max|children-startup|children-idle|concurrency|"
                            r"queue-size|cache|grace|protocol|quote)=|ipv4$|ipv6$")
# src values that match every IPv4 or every IPv6 client.
_EVERY_ADDRESS = frozenset(("all", "0.0.0.0/0", "0.0.0.0/0.0.0.0", "::/0", "0/0"))
# ACLs Squid defines before reading the file (Squid 5.7, "squid -X -k parse" of an empty file:
# "Creating ACL ..."), plus to_linklocal, which Squid 6 adds (squid-cache.org/Doc/config/acl).
PREDEFINED_ACLS = ("all", "manager", "localhost", "to_localhost", "to_linklocal", "CONNECT", "ssl::certHasExpired",
                   "ssl::certNotYetValid", "ssl::certDomainMismatch", "ssl::certUntrusted", "ssl::certSelfSigned")

# Reads the files an ``include`` line names (its words after ``include``); None when it cannot.
IncludeReader = Callable[[List[str]], Optional[List[List[str]]]]  # typing names: targets run Python 3.8


class SquidConfigError(InputError):
    """A configuration the block cannot be placed in safely. ``field`` names the option."""


def fold(name: str) -> str:
    """An ACL name as Squid compares it (strcasecmp: ASCII letters only)."""
    return name.encode(ENCODING, "surrogateescape").lower().decode(ENCODING, "surrogateescape")


def split_config(data: bytes) -> Tuple[List[str], bool]:
    """Lines of a configuration file and whether it ends with a newline.

    Squid ends a line at ``\\n`` only, so only ``\\n`` splits (``str.splitlines`` would also split at
    form feed, vertical tab, ``\\x1c``-``\\x1e``, ``\\x85``, U+2028/2029 and a lone CR, and turn part of
    a comment into a live directive). Bytes that are not UTF-8 survive as surrogates and are written
    back unchanged.
    """
    text = data.decode(ENCODING, "surrogateescape")
    if not text:
        return [], False
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
        return lines, True
    return lines, False


def join_config(lines: List[str], final_newline: bool) -> bytes:
    if not lines:
        return b""
    text = "\n".join(lines) + ("\n" if final_newline else "")
    return text.encode(ENCODING, "surrogateescape")


def _chunks(line: str) -> List[str]:
    """The pieces Squid's fgets() reads a physical line in."""
    raw = line.encode(ENCODING, "surrogateescape")
    if len(raw) <= SQUID_LINE_BYTES:
        return [line]
    return [raw[i:i + SQUID_LINE_BYTES].decode(ENCODING, "surrogateescape") for i in range(0, len(raw), SQUID_LINE_BYTES)]


def directive_words(text: str) -> List[str]:
    """The words of one directive. A word that starts with ``#`` starts a comment (Squid's token
    parser); ``include`` is read by Squid with plain white-space splitting, so it keeps every word."""
    words = _TOKEN.findall(text)
    if words and words[0] == "include":
        return words
    for index, word in enumerate(words):
        if word.startswith("#"):
            return words[:index]
    return words


def read_bytes(path: str) -> bytes:
    with open(path, "rb") as stream:
        return stream.read()


def include_reader(patterns: List[str]) -> Optional[List[List[str]]]:
    """The lines of the files an ``include`` line names, in the order Squid reads them (each
    pattern globbed, sorted), or None when any of them cannot be read here: a relative path (Squid
    resolves it against its own working folder), a pattern that matches nothing, an unreadable file."""
    files = []
    for pattern in patterns:
        if not os.path.isabs(pattern):
            return None
        names = sorted(glob.glob(pattern))
        if not names:
            return None
        for name in names:
            try:
                files.append(split_config(read_bytes(name))[0])
            except OSError:
                return None
    return files


class Statement:
    """One directive as Squid reads it: ``first``/``last`` physical line indexes (a trailing ``\\``
    continues a directive on the next non-comment line), its words (comment removed), and the indexes
    of the first lines of the ``if`` statements it sits in. A directive read from an included file
    carries the indexes of the ``include`` line; ``opaque`` marks an ``include`` whose files could
    not be read."""

    __slots__ = ("first", "last", "words", "inside", "opaque")

    def __init__(self, first: int, last: int, words: List[str], inside: Tuple[int, ...], opaque: bool = False) -> None:
        self.first, self.last, self.words, self.inside, self.opaque = first, last, words, inside, opaque

    @property
    def text(self) -> str:
        return " ".join(self.words)


class Scan:
    """The statements of a list of lines, and where a block can be inserted without Squid reading it
    as part of something else (inside a continued directive or an ``if`` ... ``endif``)."""

    def __init__(self, lines: List[str], include: Optional[IncludeReader] = None, depth: int = 0,
                 budget: Optional[List[int]] = None) -> None:
        self.statements: List[Statement] = []
        self._budget = [INCLUDE_BUDGET] if budget is None else budget  # shared with nested scans
        self.unsafe = set()  # insertion indexes (before lines[i]) that are not safe
        self.unterminated: Optional[str] = None
        open_ifs: List[int] = []
        pending: Optional[Tuple[int, str]] = None
        for index, line in enumerate(lines):
            for chunk in _chunks(line):
                # Squid's C strings end at a NUL, and it cuts each line at the first CR.
                text = chunk.split("\x00", 1)[0].split("\r", 1)[0].lstrip(C_SPACE)
                if not text or text.startswith("#"):
                    continue  # comments and blank lines are skipped even inside a continuation
                first, text = (index, text) if pending is None else (pending[0], pending[1] + text)
                if text.endswith("\\"):
                    pending = (first, text[:-1])
                    continue
                pending = None
                self.unsafe.update(range(first + 1, index + 1))
                words = directive_words(text)
                keyword = words[0]
                if keyword == "if":
                    self.statements.append(Statement(first, index, words, tuple(open_ifs)))
                    open_ifs.append(first)
                    continue
                if keyword == "endif" and open_ifs:
                    start = open_ifs.pop()
                    self.statements.append(Statement(first, index, words, tuple(open_ifs)))
                    if not open_ifs:
                        self.unsafe.update(range(start + 1, index + 1))
                    continue
                if keyword == "include" and len(words) > 1:
                    self._include(first, index, words, tuple(open_ifs), include, depth)
                    continue
                self.statements.append(Statement(first, index, words, tuple(open_ifs)))
        if pending is not None:
            self.unsafe.update(range(pending[0] + 1, len(lines) + 1))
            self.unterminated = "line %d ends with '\\' and no directive follows it" % (pending[0] + 1)
        elif open_ifs:
            self.unsafe.update(range(open_ifs[0] + 1, len(lines) + 1))
            self.unterminated = "the 'if' on line %d has no 'endif'" % (open_ifs[0] + 1)

    def _include(self, first: int, last: int, words: List[str], inside: Tuple[int, ...],
                 include: Optional[IncludeReader], depth: int) -> None:
        """The directives of included files count as if they stood on the ``include`` line: an
        authentication rule or a catch-all in them must come after the block too."""
        files = None
        if include is not None and depth < SQUID_INCLUDE_DEPTH and self._budget[0] > 0:
            self._budget[0] -= 1
            files = include(words[1:])
        if files is None:
            self.statements.append(Statement(first, last, words, inside, opaque=True))
            return
        for file_lines in files:
            for statement in Scan(file_lines, include, depth + 1, self._budget).statements:
                self.statements.append(Statement(first, last, statement.words, inside, statement.opaque))

    def acl_names(self) -> Dict[str, str]:
        """Folded ACL name -> the name as first written, from the ``acl NAME TYPE ...`` statements."""
        names: Dict[str, str] = {}
        for statement in self.statements:
            if len(statement.words) >= 3 and statement.words[0] == "acl":
                names.setdefault(fold(statement.words[1]), statement.words[1])
        return names

    def opaque(self) -> List[Statement]:
        return [statement for statement in self.statements if statement.opaque]


class Acls:
    """The ACLs of a configuration as Squid evaluates them."""

    def __init__(self, scan: Scan) -> None:
        self.definitions: Dict[str, List[List[str]]] = {}  # folded name -> [[type, arg, ...], ...]
        self.helpers: Dict[str, List[str]] = {}  # external_acl_type name (exact case) -> format codes
        for statement in scan.statements:
            words = statement.words
            if words[0] == "acl" and len(words) >= 3:
                self.definitions.setdefault(fold(words[1]), []).append(words[2:])
            elif words[0] == "external_acl_type" and len(words) >= 3:
                # Squid finds a helper by its exact name (strcmp); the first definition wins.
                self.helpers.setdefault(words[1], _helper_format(words[2:]))

    def asks_for_credentials(self, name: str, seen: Optional[set] = None) -> bool:
        """Whether evaluating the ACL can make Squid ask the client who it is."""
        key = fold(name)
        seen = set() if seen is None else seen
        if key in seen:
            return False
        seen.add(key)
        for definition in self.definitions.get(key, []):
            kind, args = definition[0], definition[1:]
            if kind in AUTH_ACL_TYPES:
                return True
            if kind == "external" and args and any(_USER_FORMAT.match(code) for code in self.helpers.get(args[0], [])):
                return True
            if kind in COMBINED_ACL_TYPES and any(self.asks_for_credentials(part.lstrip("!"), seen) for part in args):
                return True
        return False

    def matches_everyone(self, name: str) -> bool:
        """Whether the ACL matches every client: ``all``, or only ``src`` lines that cover every address."""
        key = fold(name)
        if key == "all":
            return True
        definitions = self.definitions.get(key)
        return bool(definitions) and all(d[0] == "src" and len(d) > 1 and set(d[1:]) <= _EVERY_ADDRESS for d in definitions)

    def barrier(self, statement: Statement) -> bool:
        """Whether the block must come before this statement: an include that could not be read,
        the first ``ssl_bump`` rule, an ``http_access`` rule that can ask for credentials, or one
        that matches every request and so ends the evaluation."""
        if statement.opaque:
            return True  # an include the module cannot read may hold any rule: stay before it
        words = statement.words
        if words[0] == "ssl_bump":
            return True
        if words[0] != "http_access" or len(words) < 3:
            return False
        names = words[2:]
        if any(self.asks_for_credentials(name.lstrip("!")) for name in names):
            return True
        return all(not name.startswith("!") and self.matches_everyone(name) for name in names)


def _helper_format(words: List[str]) -> List[str]:
    """The format codes of an external_acl_type (options first, then %codes, then the program)."""
    index = 0
    while index < len(words) and _HELPER_OPTION.match(words[index]):
        index += 1
    codes = []
    while index < len(words) and words[index].startswith("%"):
        codes.append(words[index])
        index += 1
    return codes


def barrier(scan: Scan, lines_count: int) -> Tuple[int, Optional[str]]:
    """(index, rule) of the first rule the block must precede, or (lines_count, None).

    A rule inside ``if`` ... ``endif`` is preceded by placing the block before the outermost ``if``,
    so the block never depends on a condition.
    """
    acls = Acls(scan)
    for statement in scan.statements:
        if acls.barrier(statement):
            return (statement.inside[0] if statement.inside else statement.first), statement.text
    return lines_count, None


def check_acl_names(block: Scan, rest: Scan) -> None:
    """Refuse block ACL names that Squid would merge with another ACL: one defined outside the block
    (any case, included files too) or one Squid predefines. An include that could not be read could
    define any name, so a block that defines ACLs is refused next to one."""
    ours = block.acl_names()
    if not ours:
        return
    for statement in rest.opaque():
        raise SquidConfigError("path", "include-unreadable", "the configuration includes files this module cannot read "
                               "(%s): they could define an ACL of the block, which Squid would merge with it. Use "
                               "absolute paths the module can read" % statement.text)
    predefined = set(fold(name) for name in PREDEFINED_ACLS)
    outside = rest.acl_names()
    problems = []
    named = sorted(ours[key] for key in ours if key in predefined)
    if named:
        problems.append("%s predefined by Squid" % ", ".join(named))
    elsewhere = sorted("%s (as %s)" % (ours[key], outside[key]) for key in ours if key in outside and key not in predefined)
    if elsewhere:
        problems.append("%s also defined outside the block" % ", ".join(elsewhere))
    if problems:
        raise SquidConfigError("block", "acl-name-collision", "the block's ACL name(s) %s. Squid compares ACL names "
                                                              "without regard to case and merges every 'acl' line of "
                                                              "one name, so the block's rules would match those "
                                                              "values too. Use another ACL name prefix"
                               % "; ".join(problems))
