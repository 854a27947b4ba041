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
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence, Union

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
        raise ValueError("method number %r is not one of 1-5" % (number,))
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
