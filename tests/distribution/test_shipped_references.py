"""No shipped file refers to a document that is not shipped.

The tarball is what users read. A comment or a page that cites a document users do not have (a
fact sheet kept next to the repository, a design note) sends them nowhere, and a link to a page or
an anchor that does not exist does the same. This test reads every file the build would put in the
tarball (git's files minus galaxy.yml's build_ignore) and fails on:

* a citation of a known unshipped document (`FACTS`, `FACTS.md`, `DESIGN.md`, `TESTING-NOTES.md`);
* a Markdown link with a relative target, or a link to this repository on GitHub
  (`.../blob/main/<path>`), whose file is not shipped, or whose `#anchor` the target page lacks;
* a path of a local document in the text (`docs/....md`, `roles/.../README.md`, `....rst` under
  docs/) that is not shipped.

Links to other repositories and websites are not checked (no network). The facts the code relies
on are in docs/reference/; cite those pages and their anchors.

Run with `python -m pytest -q tests/distribution/test_shipped_references.py`.
"""

from __future__ import annotations

import codecs
import re
import subprocess
from fnmatch import fnmatch
from pathlib import Path, PurePosixPath

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
REPO_URL = re.compile(r"https://github\.com/purview-device-proxy/purview\.device_proxy/(?:blob|tree)/main/"
                      r"(?P<path>[^\s)#>`'\"]*)(?:#(?P<anchor>[\w.-]+))?")
# Documents that exist only outside the collection. `FACTS_KEY`-style identifiers are not citations.
UNSHIPPED_DOCUMENTS = re.compile(r"(?<![\w.-])(?:FACTS(?:\.md)?|DESIGN\.md|TESTING-NOTES\.md)(?![\w-])")
MD_LINK = re.compile(r"\[[^\]]*\]\((?P<target>[^)\s]+)\)")
LOCAL_DOC_PATH = re.compile(r"(?<![\w/.:-])(?P<path>(?:docs|roles|examples)/[\w./*-]+\.(?:md|rst))(?:#(?P<anchor>[\w.-]+))?")
TEXT_SUFFIXES = {".md", ".rst", ".py", ".yml", ".yaml", ".ps1", ".psm1", ".cs", ".txt", ".j2", ".cfg", ".conf"}
# Always left out of a build by ansible-galaxy itself.
GALAXY_DEFAULT_IGNORE = (".git", "*.pyc", "*.retry", "*.tar.gz")


def git_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                         capture_output=True, text=True, check=True).stdout
    return [p for p in out.split("\0") if p and (REPO / p).is_file()]


def is_ignored(path: str, patterns: tuple[str, ...]) -> bool:
    """build_ignore semantics: a pattern matches the path or one of its parent folders; "*" also matches "/"."""
    parts = PurePosixPath(path).parts
    candidates = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    return any(fnmatch(c, p) or fnmatch(PurePosixPath(c).name, p) and p.startswith("*.")
               for c in candidates for p in patterns)


def shipped_files() -> list[str]:
    patterns = tuple(yaml.safe_load((REPO / "galaxy.yml").read_text(encoding="utf-8"))["build_ignore"])
    return sorted(p for p in git_files() if not is_ignored(p, patterns + GALAXY_DEFAULT_IGNORE))


def github_slug(heading: str) -> str:
    # Markup goes (backticks, asterisks, underscores of _emphasis_); an underscore inside a word,
    # as in a code span such as `validate_maps`, is text and stays, as on GitHub.
    text = re.sub(r"[`*]", "", heading.strip().lower())
    text = re.sub(r"(?<!\w)_+|_+(?!\w)", "", text)
    text = re.sub(r"[^\w\s-]", "", text)
    return re.sub(r"\s", "-", text)


def anchors_of(text: str) -> set[str]:
    """Explicit `<a id="...">` anchors and GitHub's heading slugs of a Markdown page."""
    found = set(re.findall(r"<a id=\"([^\"]+)\"", text))
    found.update(github_slug(m) for m in re.findall(r"^#{1,6}\s+(.+?)\s*#*$", text, re.M))
    return found


def check_target(path: str, anchor: str | None, shipped: set[str], texts: dict[str, str]) -> str | None:
    """None when `path` (relative to the collection root, may be a folder or a glob) is shipped and has the anchor."""
    path = path.rstrip("/")
    if "*" in path:
        return None if any(fnmatch(s, path) for s in shipped) else f"{path} matches no shipped file"
    if path not in shipped and not any(s.startswith(path + "/") for s in shipped):
        return f"{path} is not shipped"
    if anchor and path.endswith(".md"):
        if anchor not in anchors_of(texts.get(path) or (REPO / path).read_text(encoding="utf-8")):
            return f"{path} has no anchor #{anchor}"
    return None


def problems_in(rel: str, text: str, shipped: set[str], texts: dict[str, str]) -> list[str]:
    found: list[str] = []
    base = PurePosixPath(rel).parent
    for number, line in enumerate(text.splitlines(), 1):
        where = f"{rel}:{number}"
        for match in UNSHIPPED_DOCUMENTS.finditer(line):
            found.append(f"{where}: cites {match.group(0)}, a document that is not shipped (cite docs/reference/)")
        for match in REPO_URL.finditer(line):
            problem = check_target(match.group("path"), match.group("anchor"), shipped, texts)
            if problem:
                found.append(f"{where}: link to this repository: {problem}")
        if rel.endswith(".md"):
            for match in MD_LINK.finditer(line):
                target = match.group("target").strip("<>")
                if re.match(r"^[a-z][a-z0-9+.-]*:", target):
                    continue  # a URL (checked above when it is this repository) or mailto:
                file_part, _hash, anchor = target.partition("#")
                if not file_part:
                    resolved = rel
                else:
                    resolved = _normalise(base / file_part)
                    if resolved is None:
                        found.append(f"{where}: link {target} leaves the collection")
                        continue
                problem = check_target(resolved, anchor or None, shipped, texts)
                if problem:
                    found.append(f"{where}: link {target}: {problem}")
        for match in LOCAL_DOC_PATH.finditer(line):
            problem = check_target(match.group("path"), match.group("anchor"), shipped, texts)
            if problem:
                found.append(f"{where}: names {match.group('path')}: {problem}")
    return found


def _normalise(path: PurePosixPath) -> str | None:
    parts: list[str] = []
    for part in path.parts:
        if part == "..":
            if not parts:
                return None
            parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def shipped_text(path: str) -> str:
    """A shipped text file's text. The analyzer result examples are device output in the encodings
    the analyzer writes (UTF-16 with a byte order mark among them), not UTF-8 documents."""
    data = (REPO / path).read_bytes()
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    return data.decode("utf-8-sig")


def test_no_shipped_file_refers_to_a_document_that_is_not_shipped():
    shipped = shipped_files()
    assert "README.md" in shipped and "docs/reference/README.md" in shipped
    assert not any(p.startswith(("tests/", "tools/")) for p in shipped), "build_ignore was not applied"
    shipped_set = set(shipped)
    texts = {p: shipped_text(p) for p in shipped if PurePosixPath(p).suffix in TEXT_SUFFIXES}
    problems = [problem for rel, text in texts.items() for problem in problems_in(rel, text, shipped_set, texts)]
    assert not problems, "shipped files refer to documents users do not get:\n" + "\n".join(problems)


# --- the checker itself: each situation in which a naive check would pass ---------------------------

SHIPPED = {"README.md", "docs/reference/device-settings.md", "docs/network-side.md", "plugins/x.py"}
TEXTS = {
    "docs/reference/device-settings.md": '# Device settings\n\n<a id="fallback"></a>\n## When the proxy is down\n',
    "docs/network-side.md": "# The network side\n\n## MAPS: the cloud check (`validate_maps`)\n\n## An _emphasised_ word\n",
}


@pytest.mark.parametrize("rel,text,expected", [
    ("plugins/x.py", "# Microsoft's guidance; FACTS 4.5.\n", "cites FACTS"),
    ("plugins/x.py", "# (FACTS.md section 5)\n", "cites FACTS.md"),
    ("plugins/x.py", "see DESIGN.md\n", "cites DESIGN.md"),
    ("docs/network-side.md", "[facts](../../shared/reference/FACTS.md)\n", "cites FACTS.md"),
    ("docs/network-side.md", "[x](reference/missing.md)\n", "docs/reference/missing.md is not shipped"),
    ("docs/network-side.md", "[x](reference/device-settings.md#nope)\n", "has no anchor #nope"),
    ("docs/network-side.md", "[x](../../outside.md)\n", "leaves the collection"),
    ("docs/network-side.md", "[x](#no-such-heading)\n", "has no anchor #no-such-heading"),
    # Emphasis underscores are markup, not part of the slug.
    ("docs/network-side.md", "[x](#an-_emphasised_-word)\n", "has no anchor #an-_emphasised_-word"),
    ("plugins/x.py", "# docs/reference/gone.md#fallback\n", "docs/reference/gone.md is not shipped"),
    ("docs/docsite/rst/g.rst",
     "`ref <https://github.com/purview-device-proxy/purview.device_proxy/blob/main/docs/reference/device-settings.md#gone>`__\n",
     "has no anchor #gone"),
])
def test_the_checker_catches(rel, text, expected):
    problems = problems_in(rel, text, SHIPPED, TEXTS)
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize("rel,text", [
    ("plugins/x.py", 'FACTS_KEY = "purview_device_proxy"\n'),
    ("docs/network-side.md", "[x](reference/device-settings.md#fallback) and [y](#the-network-side)\n"),
    ("docs/network-side.md", "[x](reference/device-settings.md#when-the-proxy-is-down)\n"),
    # An underscore inside a code span is text: GitHub keeps it in the slug.
    ("docs/network-side.md", "[x](#maps-the-cloud-check-validate_maps) [y](#an-emphasised-word)\n"),
    ("docs/network-side.md", "[Learn](https://learn.microsoft.com/en-us/defender-endpoint/configure-proxy-internet)\n"),
    ("plugins/x.py", "# see docs/reference/device-settings.md#fallback\n"),
    ("plugins/x.py", "# MicrosoftDocs/defender-docs: defender-endpoint/configure-proxy-internet.md\n"),
])
def test_the_checker_accepts(rel, text):
    assert problems_in(rel, text, SHIPPED, TEXTS) == []


def test_build_ignore_semantics():
    patterns = ("tests", "*.pytest_cache", "docs/build", "extensions/molecule")
    assert is_ignored("tests/unit/a.py", patterns)
    assert is_ignored("plugins/filter/.pytest_cache/x", patterns)
    assert is_ignored("docs/build/html/index.html", patterns)
    assert not is_ignored("docs/reference/README.md", patterns)
    assert not is_ignored("extensions/other/x.yml", patterns)
