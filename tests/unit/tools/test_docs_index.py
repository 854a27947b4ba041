# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""docs/index.md, the one documentation entry point, and the site page generated from it.

* every link of docs/index.md resolves to a file in the repository, and an anchor to a heading of
  that file (GitHub's heading ids for Markdown, docutils' section ids for reStructuredText);
* every page a user may need (docs/*.md, docs/reference/*, the role READMEs, the guides) and every
  playbook is reachable from it;
* the site's start page (docs/docsite/rst/start_here.rst) is exactly what tools/build/docs_index.py
  makes of it, and is listed in extra-docs.yml; README's Quick start points to docs/index.md.
"""

from __future__ import annotations

import importlib.util
import posixpath
import re
from pathlib import Path

import pytest
import yaml
from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parents[3]
INDEX = ROOT / "docs" / "index.md"

_spec = importlib.util.spec_from_file_location("docs_index", ROOT / "tools" / "build" / "docs_index.py")
docs_index = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(docs_index)


def links(markdown: str) -> list:
    found = []
    for token in MarkdownIt("commonmark").parse(markdown):
        for child in token.children or []:
            if child.type == "link_open":
                found.append(child.attrGet("href"))
    return found


def github_slug(heading: str) -> str:
    """GitHub's id for a Markdown heading: lower case, punctuation dropped (not - and _), spaces as -."""
    text = re.sub(r"[`*]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def markdown_anchors(path: Path) -> set:
    anchors, seen = set(), {}
    in_fence = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_fence = not in_fence
        if in_fence:
            continue
        match = re.match(r"^#{1,6} (.*)$", line)
        if match:
            slug = github_slug(match.group(1))
            count = seen.get(slug, 0)
            seen[slug] = count + 1
            anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def rst_anchors(path: Path) -> set:
    """docutils section ids: a title line over an underline of one punctuation character."""
    lines = path.read_text(encoding="utf-8").splitlines()
    anchors = set()
    for title, underline in zip(lines, lines[1:]):
        if title.strip() and re.fullmatch(r"([=\-~^\"'`#*+])\1+", underline) and len(underline) >= len(title.strip()):
            anchors.add(re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-"))
    return anchors


def resolve(href: str, source: str = "docs/index.md"):
    path, _hash, anchor = href.partition("#")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), path)), anchor


def broken_links(markdown: str) -> list:
    broken = []
    for href in links(markdown):
        if re.match(r"^[a-z]+:", href):
            continue  # the index links into the repository only; external pages are checked nowhere here
        target, anchor = resolve(href)
        path = ROOT / target
        if not path.exists():
            broken.append(f"{href}: no file {target}")
        elif anchor:
            anchors = markdown_anchors(path) if path.suffix == ".md" else rst_anchors(path) if path.suffix == ".rst" else set()
            if anchor not in anchors:
                broken.append(f"{href}: {target} has no heading #{anchor}")
    return broken


def test_every_link_of_the_index_resolves_in_the_repository():
    text = INDEX.read_text(encoding="utf-8")
    assert len(links(text)) >= 30
    assert broken_links(text) == []


def test_the_link_check_can_fail():
    assert broken_links("[a](nowhere.md) [b](../README.md#no-such-heading) [c](../README.md#quick-start)") == [
        "nowhere.md: no file docs/nowhere.md", "../README.md#no-such-heading: README.md has no heading #no-such-heading"]
    assert github_slug("Checking a machine's reach: `check_network.yml`") == "checking-a-machines-reach-check_networkyml"
    assert "choosing-a-proxy-method" not in rst_anchors(ROOT / "docs" / "docsite" / "rst" / "windows_hosts.rst")


def linked_files() -> set:
    return {resolve(href)[0] for href in links(INDEX.read_text(encoding="utf-8")) if not re.match(r"^[a-z]+:", href)}


def test_every_page_a_user_may_need_is_reachable_from_the_index():
    pages = {p.relative_to(ROOT).as_posix() for pattern in
             ("docs/*.md", "docs/reference/*.md", "docs/reference/*.json", "roles/*/README.md", "docs/docsite/rst/*.rst")
             for p in ROOT.glob(pattern)}
    pages -= {"docs/index.md", docs_index.TARGET}
    assert len(pages) > 20
    assert sorted(pages - linked_files()) == []


def test_every_playbook_is_named_in_the_index():
    text = INDEX.read_text(encoding="utf-8")
    playbooks = sorted(p.stem for p in (ROOT / "playbooks").glob("*.yml"))
    assert "report_example" in playbooks
    assert [name for name in playbooks if f"purview.device_proxy.{name}" not in text] == []


def test_the_site_page_is_generated_from_the_index():
    assert docs_index.main(["--check"]) == 0
    page = (ROOT / docs_index.TARGET).read_text(encoding="utf-8")
    assert page == docs_index.convert(INDEX.read_text(encoding="utf-8"))
    assert page.startswith(f".. _{docs_index.LABEL_PREFIX}start_here:\n")
    extra = yaml.safe_load((ROOT / "docs" / "docsite" / "extra-docs.yml").read_text(encoding="utf-8"))
    assert any("start_here" in section["toctree"] for section in extra["sections"])


def test_site_links_go_to_the_site_or_to_the_repository():
    page = docs_index.convert("[guide](docsite/rst/preparing_the_proxy.rst) [facts](reference/device-facts.md#readable-values) "
                              "[folder](../examples/fleet) [web](https://learn.microsoft.com/x)\n", repository="https://git.example/o/r")
    assert ":ref:`guide <ansible_collections.purview.device_proxy.docsite.preparing_the_proxy>`" in page
    assert "`facts <https://git.example/o/r/blob/main/docs/reference/device-facts.md#readable-values>`__" in page
    assert "`folder <https://git.example/o/r/tree/main/examples/fleet>`__" in page
    assert "`web <https://learn.microsoft.com/x>`__" in page


@pytest.mark.parametrize("markdown", ["| a | b |\n|---|---|\n| 1 | 2 |\n", "* a\n  * nested\n", "<div>x</div>\n",
                                      "> quoted\n", "#### deep\n", "1. numbered\n"])
def test_markdown_the_site_page_would_lose_is_refused(markdown):
    with pytest.raises(docs_index.ConversionError):
        docs_index.convert(markdown, repository="https://git.example/o/r")


def test_text_that_is_markup_in_rst_is_escaped():
    page = docs_index.convert("Set device_proxy_ or a | pipe, not `device_proxy_state`, and **bold**.\n",
                              repository="https://git.example/o/r")
    assert "Set device_proxy\\_ or a \\| pipe, not ``device_proxy_state``, and **bold**." in page
    with pytest.raises(docs_index.ConversionError):
        docs_index.convert("*emphasis*\n", repository="https://git.example/o/r")


def test_the_readme_quick_start_points_to_the_index():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert "docs/index.md" in [href.partition("#")[0] for href in links(quick_start)]
