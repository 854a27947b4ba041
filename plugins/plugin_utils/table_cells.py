# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Table cells made safe for the tool that reads them: a spreadsheet (CSV) or a Markdown renderer.

Catalog text can come from a file the operator names (``catalog_file``), so a cell may hold
anything: it must reach the reader as text, never as a formula, a link, raw HTML or a new row.
"""

from __future__ import annotations

import re

# OWASP, "CSV Injection" (https://owasp.org/www-community/attacks/CSV_Injection): a spreadsheet
# evaluates a cell that begins with '=', '+', '-', '@', tab (0x09) or carriage return (0x0D); the
# advice is to prefix such a cell with a single quote (and to quote every field, which the writer
# does). Leading blanks do not stop some spreadsheets, so the first non-blank character counts too.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Characters that mean something inline in CommonMark/GFM table cells: code spans, emphasis,
# links and images, raw HTML and entities, strikethrough, the cell separator, and the escape
# itself. Block syntax (headings, lists) is not parsed inside a table cell.
_MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]<>&~|!])")
_LINE_BREAK = re.compile(r"\r\n|[\r\n]")


def csv_cell(text: str) -> str:
    """``text`` as a spreadsheet shows it, never as a formula (quoted by the csv writer)."""
    if text[:1] in FORMULA_STARTS or text.lstrip()[:1] in FORMULA_STARTS:
        return "'" + text
    return text


def markdown_text(text: str) -> str:
    """Plain text for a GFM table cell: one line, every inline-significant character escaped."""
    return _MARKDOWN_INLINE.sub(r"\\\1", _LINE_BREAK.sub(" ", text))


def markdown_code(text: str) -> str:
    """A code span for a GFM table cell (host names, paths), whatever backticks or pipes it holds.

    CommonMark: a span opened by N backticks ends at the next run of exactly N, so the fence is
    one longer than the longest run inside; a space pads content that starts or ends with a
    backtick (one space on each side is stripped). GFM reads ``\\|`` as a pipe inside a table cell,
    code spans included.
    """
    text = _LINE_BREAK.sub(" ", text)
    if not text:
        return ""
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return "%s%s%s%s%s" % (fence, pad, text.replace("|", "\\|"), pad, fence)


__all__ = ["FORMULA_STARTS", "csv_cell", "markdown_code", "markdown_text"]
