# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write the documentation site's start page (docs/docsite/rst/start_here.rst) from docs/index.md.

    .venv/bin/python tools/build/docs_index.py            # rewrite the page
    .venv/bin/python tools/build/docs_index.py --check    # exit 1 when it is out of date

docs/index.md is the one source: the page people read on GitHub and, converted here, the first
page of the collection's documentation site (tools/build/build_docs.sh runs --check, and so does a
unit test). Links become site links where the site has the page (a guide in docs/docsite/rst/) and
links to the file in the repository otherwise (galaxy.yml's ``repository``, branch main).

Only the Markdown that page needs is converted: headings, paragraphs, bullet lists (one level),
fenced code, inline code, bold and links. Anything else is refused with its line, so the page
cannot silently lose content on the site.
"""

from __future__ import annotations

import argparse
import os
import posixpath
import re
import sys
from typing import List, Optional

import yaml
from markdown_it import MarkdownIt

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOURCE = "docs/index.md"
TARGET = "docs/docsite/rst/start_here.rst"
PAGE = "start_here"
LABEL_PREFIX = "ansible_collections.purview.device_proxy.docsite."
GUIDES = "docs/docsite/rst/"
UNDERLINES = {"h1": "=", "h2": "-", "h3": "~"}


class ConversionError(ValueError):
    pass


def repository_url(root: str = ROOT) -> str:
    with open(os.path.join(root, "galaxy.yml"), encoding="utf-8") as handle:
        return str(yaml.safe_load(handle)["repository"]).rstrip("/")


def _escape(text: str) -> str:
    text = re.sub(r"([\\*`|])", r"\\\1", text)
    # A word followed by "_" is a reference in reStructuredText: only where the "_" ends the word.
    return re.sub(r"(?<=\w)_(?!\w)", r"\\_", text)


def link_target(href: str, source: str, root: str, repository: str) -> tuple:
    """('ref', label) for a guide of the site, ('url', address) otherwise."""
    if re.match(r"^[a-z]+:", href):
        return "url", href
    path, _hash, anchor = href.partition("#")
    if not path:
        raise ConversionError(f"a link to an anchor of the page itself ({href}) has no target on the site")
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(source), path))
    if resolved.startswith(GUIDES) and resolved.endswith(".rst") and not anchor:
        return "ref", LABEL_PREFIX + posixpath.basename(resolved)[:-len(".rst")]
    kind = "tree" if os.path.isdir(os.path.join(root, resolved)) else "blob"
    return "url", f"{repository}/{kind}/main/{resolved}" + (f"#{anchor}" if anchor else "")


def _inline(token, source: str, root: str, repository: str) -> str:
    out: List[str] = []
    link: Optional[dict] = None
    for child in token.children or []:
        kind = child.type
        if link is not None:
            if kind in ("text", "code_inline"):
                link["text"].append(child.content)
                continue
            if kind == "softbreak":
                link["text"].append(" ")
                continue
            if kind != "link_close":
                raise ConversionError(f"line {token.map[0] + 1 if token.map else '?'}: {kind} inside a link")
            text = "".join(link["text"]).replace("<", "").replace(">", "").replace("`", "")
            target_kind, target = link_target(link["href"], source, root, repository)
            out.append(f":ref:`{text} <{target}>`" if target_kind == "ref" else f"`{text} <{target}>`__")
            link = None
            continue
        if kind == "text":
            out.append(_escape(child.content))
        elif kind == "code_inline":
            out.append(f"``{child.content}``")
        elif kind == "softbreak":
            out.append("\n")
        elif kind in ("strong_open", "strong_close"):
            out.append("**")
        elif kind == "link_open":
            link = {"href": child.attrGet("href"), "text": []}
        else:
            raise ConversionError(f"line {token.map[0] + 1 if token.map else '?'}: inline {kind} is not supported")
    return "".join(out)


def convert(markdown: str, source: str = SOURCE, root: str = ROOT, repository: Optional[str] = None) -> str:
    """The reStructuredText page for the Markdown text."""
    repository = repository or repository_url(root)
    # GitHub renders tables and strikethrough: parse them too, so that they are refused, not flattened.
    tokens = MarkdownIt("commonmark").enable(["table", "strikethrough"]).parse(markdown)
    lines: List[str] = [f".. _{LABEL_PREFIX}{PAGE}:", ""]
    depth = 0
    index = 0
    while index < len(tokens):
        token = tokens[index]
        kind = token.type
        line = token.map[0] + 1 if token.map else "?"
        if kind == "heading_open":
            if token.tag not in UNDERLINES:
                raise ConversionError(f"{source}:{line}: heading {token.tag} is not supported")
            title = _inline(tokens[index + 1], source, root, repository).replace("\n", " ")
            lines += [title, UNDERLINES[token.tag] * len(title), ""]
            index += 3
            continue
        if kind == "paragraph_open":
            text = _inline(tokens[index + 1], source, root, repository)
            if depth:
                first, *rest = text.split("\n")
                lines.append("* " + first)
                lines += ["  " + part for part in rest]
            else:
                lines += text.split("\n") + [""]
            index += 3
            continue
        if kind == "bullet_list_open":
            if depth:
                raise ConversionError(f"{source}:{line}: nested lists are not supported")
            depth += 1
        elif kind == "bullet_list_close":
            depth -= 1
            lines.append("")
        elif kind in ("list_item_open", "list_item_close"):
            pass
        elif kind == "fence":
            lines += [f".. code-block:: {token.info.strip() or 'text'}", ""]
            lines += [("   " + part) if part else "" for part in token.content.rstrip("\n").split("\n")] + [""]
        else:
            raise ConversionError(f"{source}:{line}: {kind} is not supported by {os.path.basename(__file__)}")
        index += 1
    while lines and not lines[-1]:
        lines.pop()
    lines += ["", f".. Generated from {source} by tools/build/docs_index.py: edit that file, then run the tool."]
    return "\n".join(lines) + "\n"


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 when the page is out of date")
    args = parser.parse_args(argv)
    with open(os.path.join(ROOT, SOURCE), encoding="utf-8") as handle:
        try:
            page = convert(handle.read())
        except ConversionError as err:
            print(f"docs_index: {err}", file=sys.stderr)
            return 2
    target = os.path.join(ROOT, TARGET)
    try:
        with open(target, encoding="utf-8") as handle:
            current = handle.read()
    except FileNotFoundError:
        current = None
    if current == page:
        return 0
    if args.check:
        print(f"docs_index: {TARGET} is out of date with {SOURCE}: run tools/build/docs_index.py", file=sys.stderr)
        return 1
    with open(target, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(page)
    print("wrote", TARGET)
    return 0


if __name__ == "__main__":
    sys.exit(main())
