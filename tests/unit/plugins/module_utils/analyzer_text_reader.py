# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read analyzer-style text back into blocks, for the tests of what the collection renders.

The collection only writes this layout (plugins/module_utils/analyzer_text.py); reading it back is
how the tests prove that every rendered report is in the analyzer's layout and that the analyzer
script would judge it as the controller did.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Sequence, Union

from ansible_collections.purview.device_proxy.plugins.module_utils import analyzer_model
from ansible_collections.purview.device_proxy.plugins.module_utils.analyzer_text import (
    LEGACY_METHOD_NAMES, METHOD_NAMES, SUCCEEDED, MethodOutcome, UrlBlock)

# The analyzer script's ValidateURLs passes a URL when a method line shows one of these codes.
PASSING_CODES = analyzer_model.ANALYZER_ACCEPTED


class AnalyzerTextError(ValueError):
    """Text that is not in the analyzer layout. ``line`` is the 1-based line number."""

    def __init__(self, line: int, message: str) -> None:
        self.line = line
        super().__init__("line %d: %s" % (line, message))


def block_passes(block: UrlBlock, passing_codes: Sequence[int] = PASSING_CODES) -> bool:
    """The analyzer script's rule: some method shows a passing code."""
    for outcome in block.methods.values():
        code = outcome.code
        if isinstance(code, str) and code.isdigit():
            code = int(code)
        if code in passing_codes:
            return True
    return False


_HEADING_RE = re.compile(r"^Testing URL ?: (?P<url>\S.*)$")
_NAMES_RE = "|".join(re.escape(name) for name in sorted(set(METHOD_NAMES.values()) | set(LEGACY_METHOD_NAMES.values()),
                                                        key=len, reverse=True))
_LINE_RE = re.compile(
    r"^(?P<number>[1-5]) - (?P<name>" + _NAMES_RE + r")(?: \((?P<proxy>[^)]*)\))?: "
    r"(?:(?P<missing>Doesn't exist)|(?P<word>Succeeded|Failed)(?: \((?P<code>[^()]*)\))?)$")


def _parse_code(text: Optional[str]) -> Union[int, str, None]:
    if text is None or text == "":
        return None
    return int(text) if text.isdigit() else text


def parse_report(text: str) -> List[UrlBlock]:
    """Read analyzer-style text back into blocks (both spellings). Other lines are refused."""
    blocks: List[UrlBlock] = []
    url: Optional[str] = None
    methods: Dict[int, MethodOutcome] = {}
    for index, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if not line:
            continue
        heading = _HEADING_RE.match(line)
        if heading:
            if url is not None:
                blocks.append(UrlBlock(url, methods))
            url, methods = heading.group("url"), {}
            continue
        match = _LINE_RE.match(line)
        if match is None or url is None:
            raise AnalyzerTextError(index, "expected 'Testing URL : <url>' or '<n> - <method>: <result>', got %r" % line)
        number = int(match.group("number"))
        if match.group("name") not in (METHOD_NAMES[number], LEGACY_METHOD_NAMES[number]):
            raise AnalyzerTextError(index, "method %d is not called %r" % (number, match.group("name")))
        if match.group("missing"):
            continue
        methods[number] = MethodOutcome(match.group("word") == SUCCEEDED, _parse_code(match.group("code")),
                                        match.group("proxy") or None)
    if url is not None:
        blocks.append(UrlBlock(url, methods))
    return blocks
