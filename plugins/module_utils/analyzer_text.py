# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connectivity results in the text layout of Microsoft's MDE Client Analyzer.

The layout (one block per URL, one line per proxy method) is the one the analyzer writes to
``MDEClientAnalyzerResult.txt``, as shown on
https://learn.microsoft.com/en-us/defender-endpoint/verify-connectivity::

    Testing URL : https://xxx.microsoft.com/xxx
    1 - Default proxy: Succeeded (200)
    2 - Proxy auto discovery (WPAD): Succeeded (200)
    3 - Proxy disabled: Succeeded (200)
    4 - Named proxy: Doesn't exist
    5 - Command line proxy: Doesn't exist

Older Purview/DLP pages spell ``Testing URL: `` and ``5 - Command-line proxy``; ``legacy=True``
renders that spelling. When a proxy address is known, the method name carries it in
parentheses (``4 - Named proxy (10.0.0.6:8080): ...``), as the analyzer binary's strings
suggest. Both the Linux probe and the Windows connectivity test render through this module.

:func:`read_report` is the one reader of this layout: it reads the analyzer's own result files
(``plugin_utils.analyzer_files``) and, with ``other_lines="refuse"``, proves in the tests that
what the collection renders is in the analyzer's layout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

from ansible_collections.purview.device_proxy.plugins.module_utils import analyzer_model

# Numbers and labels come from the one analyzer model.
METHODS = tuple((m.number, m.label) for m in analyzer_model.METHODS)
METHOD_NAMES = dict(METHODS)
LEGACY_METHOD_NAMES = {m.number: m.legacy_label for m in analyzer_model.METHODS}

HEADING = "Testing URL : "
LEGACY_HEADING = "Testing URL: "

SUCCEEDED = "Succeeded"
FAILED = "Failed"
MISSING = "Doesn't exist"


@dataclass(frozen=True)
class MethodOutcome:
    """What one method did for one URL. ``code`` is an HTTP status or a short failure token."""

    succeeded: bool
    code: Union[int, str, None] = None
    proxy: Optional[str] = None


@dataclass(frozen=True)
class UrlBlock:
    url: str
    methods: Mapping[int, MethodOutcome] = field(default_factory=dict)


def line_safe(text: str) -> str:
    """Text made fit for the parentheses of a method line: none inside, one line only."""
    return " ".join(str(text).replace("(", "[").replace(")", "]").split())


def _check_code(code: Union[int, str, None]) -> str:
    text = "" if code is None else str(code)
    if any(char in text for char in "()\r\n"):
        raise ValueError("an outcome code cannot contain parentheses or line breaks: %r" % (code,))
    return text


def method_line(number: int, outcome: Optional[MethodOutcome], legacy: bool = False) -> str:
    names = LEGACY_METHOD_NAMES if legacy else METHOD_NAMES
    if number not in names:
        raise ValueError("method number %r is not one of 1-%d" % (number, len(METHODS)))
    name = names[number]
    if outcome is None:
        return "%d - %s: %s" % (number, name, MISSING)
    if outcome.proxy:
        name = "%s (%s)" % (name, outcome.proxy)
    word = SUCCEEDED if outcome.succeeded else FAILED
    code = _check_code(outcome.code)
    return "%d - %s: %s" % (number, name, "%s (%s)" % (word, code) if code else word)


def render_block(block: UrlBlock, legacy: bool = False) -> str:
    if not block.url or "\n" in block.url or "\r" in block.url:
        raise ValueError("a URL block needs a one-line URL")
    lines = [(LEGACY_HEADING if legacy else HEADING) + block.url]
    for number, _name in METHODS:
        lines.append(method_line(number, block.methods.get(number), legacy))
    return "\n".join(lines)


def render_report(blocks: Sequence[UrlBlock], legacy: bool = False) -> str:
    """Every block, one after the other, ending with a newline (empty text for no blocks)."""
    if not blocks:
        return ""
    return "\n".join(render_block(block, legacy) for block in blocks) + "\n"


# --- reading -----------------------------------------------------------------------------------------
# The analyzer script's ValidateURLs passes a URL when a method line shows one of these codes.
PASSING_CODES = analyzer_model.ANALYZER_ACCEPTED

# Current (MDE) and older (MDATP, Purview/DLP pages) spellings; see the module docstring.
CURRENT = "MDE"
LEGACY = "MDATP"


class AnalyzerTextError(ValueError):
    """Text that is not in the analyzer layout. ``line`` is the 1-based line number, ``source``
    the file it came from (when known)."""

    def __init__(self, line: int, message: str, source: Optional[str] = None) -> None:
        self.line = line
        self.source = source
        self.reason = message
        where = "%s: line %d" % (source, line) if source else "line %d" % line
        super().__init__("%s: %s" % (where, message))


@dataclass(frozen=True)
class ReadReport:
    """What :func:`read_report` found: the blocks, where each starts, and which spellings it used."""

    blocks: Tuple[UrlBlock, ...]
    heading_lines: Tuple[int, ...]
    method_lines: Tuple[Mapping[int, int], ...]   # per block: method number -> its line number
    spellings: Tuple[str, ...]                    # CURRENT and/or LEGACY, in the order first seen


def block_passes(block: UrlBlock, passing_codes: Sequence[int] = PASSING_CODES) -> bool:
    """The analyzer script's rule: some method line shows a passing code (whatever its word)."""
    for outcome in block.methods.values():
        code = outcome.code
        if isinstance(code, str) and code.isdigit():
            code = int(code)
        if code in passing_codes:
            return True
    return False


_HEADING_RE = re.compile(r"^Testing URL(?P<space> ?): (?P<url>\S+)(?:\s.*)?$")
_NAMES_RE = "|".join(re.escape(name) for name in sorted(set(METHOD_NAMES.values()) | set(LEGACY_METHOD_NAMES.values()),
                                                        key=len, reverse=True))
_LINE_RE = re.compile(
    r"^(?P<number>[0-9]+(?:\.[0-9]+)?) - (?P<name>" + _NAMES_RE + r")(?: \((?P<proxy>[^()]*)\))?: "
    r"(?:(?P<missing>Doesn[\u2019']t exist)|(?P<word>Succeeded|Failed)(?: \((?P<code>[^()]*)\))?)$")
# The analyzer binary also holds " 4.1 - Named proxy ( " and "Proxy config: Method=..."
# (docs/reference/connectivity-analyzer.md#output):
# their meaning is unknown, so they are read past and never counted.
_IGNORED_IN_BLOCK_RE = re.compile(r"^(?:[0-9]+\.[0-9]+ - .*|Proxy config: .*)$")
_LINE_BREAK_RE = re.compile(r"\r\n|\r|\n")


def _parse_code(text: Optional[str]) -> Union[int, str, None]:
    if text is None or text == "":
        return None
    return int(text) if text.isdigit() else text


class _OpenBlock:
    """A block being read: its URL, heading line, outcomes and the line of each method read."""

    def __init__(self, url: str, line: int) -> None:
        self.url = url
        self.line = line
        self.methods: Dict[int, MethodOutcome] = {}
        self.lines: Dict[int, int] = {}

    def cut_short(self, index: int, what: str, source: Optional[str]) -> AnalyzerTextError:
        seen = len(self.lines)
        return AnalyzerTextError(index, "the block of %s (line %d) is cut short: %d of %d method lines, then %s; "
                                 "expected '%d - %s: ...'" % (self.url, self.line, seen, len(METHODS), what, seen + 1,
                                                              METHOD_NAMES[seen + 1]), source)


def read_report(text: str, source: Optional[str] = None, other_lines: str = "ignore") -> ReadReport:
    """Read every ``Testing URL`` block of ``text`` (both spellings, CRLF, LF or CR line ends).

    A block is its heading line and then one line per method, numbered in order; blank lines
    between them are allowed. A block cut short (fewer method lines than methods before another
    line or the end of the text), a method line out of order, under another method's name or
    outside a block, is an :class:`AnalyzerTextError` naming the line. Lines outside blocks are
    read past (the analyzer's file has other sections, with "(200)" in its notes) unless
    ``other_lines="refuse"``. Only method lines give results: text in a heading never does.
    """
    if other_lines not in ("ignore", "refuse"):
        raise ValueError("other_lines is 'ignore' or 'refuse'")
    blocks: List[UrlBlock] = []
    headings: List[int] = []
    numbered: List[Mapping[int, int]] = []
    spellings: List[str] = []
    current: Optional[_OpenBlock] = None
    last = 0
    for index, raw in enumerate(_LINE_BREAK_RE.split(text), start=1):
        line = raw.strip()
        if not line:
            continue
        last = index
        heading = _HEADING_RE.match(line)
        if heading:
            if current is not None:
                raise current.cut_short(index, "a new 'Testing URL' line", source)
            spelling = CURRENT if heading.group("space") else LEGACY
            if spelling not in spellings:
                spellings.append(spelling)
            current = _OpenBlock(heading.group("url"), index)
            continue
        match = _LINE_RE.match(line)
        if match is not None and "." not in match.group("number"):
            number = int(match.group("number"))
            name = match.group("name")
            if number not in METHOD_NAMES or name not in (METHOD_NAMES[number], LEGACY_METHOD_NAMES[number]):
                raise AnalyzerTextError(index, "method %d is not called %r" % (number, name), source)
            if current is None:
                raise AnalyzerTextError(index, "a method line outside a 'Testing URL' block: %r" % line, source)
            expected = len(current.lines) + 1
            if number != expected:
                raise AnalyzerTextError(index, "method %d where method %d of the block of %s (line %d) was expected"
                                        % (number, expected, current.url, current.line), source)
            if METHOD_NAMES[number] != LEGACY_METHOD_NAMES[number]:
                spelling = CURRENT if name == METHOD_NAMES[number] else LEGACY
                if spelling not in spellings:
                    spellings.append(spelling)
            current.lines[number] = index
            if not match.group("missing"):
                current.methods[number] = MethodOutcome(match.group("word") == SUCCEEDED,
                                                        _parse_code(match.group("code")), match.group("proxy") or None)
            if number == len(METHODS):
                blocks.append(UrlBlock(current.url, dict(current.methods)))
                headings.append(current.line)
                numbered.append(dict(current.lines))
                current = None
            continue
        if _IGNORED_IN_BLOCK_RE.match(line):
            continue
        if current is not None:
            raise current.cut_short(index, "%r" % line, source)
        if other_lines == "refuse":
            raise AnalyzerTextError(index, "expected 'Testing URL : <url>' or '<n> - <method>: <result>', got %r"
                                    % line, source)
    if current is not None:
        raise current.cut_short(last + 1, "the end of the text", source)
    return ReadReport(tuple(blocks), tuple(headings), tuple(numbered), tuple(spellings))


def parse_report(text: str) -> List[UrlBlock]:
    """The blocks of text that must be in the analyzer layout only (no other lines)."""
    return list(read_report(text, other_lines="refuse").blocks)
