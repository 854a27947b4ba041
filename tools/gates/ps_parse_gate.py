"""Parse gate for the collection's PowerShell files (.ps1 and .psm1).

Every file is parsed with the tree-sitter PowerShell grammar and every ERROR
or MISSING node of the syntax tree is reported as one line:

    path:LINE:COLUMN: ERROR|MISSING <what>

(LINE and COLUMN are 1-based; COLUMN counts characters). The grammar misreads
a few valid constructs, so tools/gates/ps_parse_exemptions.txt may excuse single
lines; an exemption that no longer matches an error is reported as stale.

Usage (from the repository root):

    python tools/gates/ps_parse_gate.py                 # every .ps1/.psm1 of the project
    python tools/gates/ps_parse_gate.py FILE [FILE...]  # only these files

Exit status: 0 when nothing is wrong, 1 when any problem was reported,
2 when the parser itself is not available.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_EXEMPTIONS = os.path.join(REPO_ROOT, "tools", "gates", "ps_parse_exemptions.txt")
POWERSHELL_SUFFIXES = (".ps1", ".psm1")
# Folders (relative to the root) that hold no project code: tool caches,
# build copies, test output and the deliberately broken test fixtures.
SKIPPED_DIRS = (".git", ".venv", ".build", "tests/output", "tests/unit/tools/fixtures")
SNIPPET_LENGTH = 40
# Node kinds that span the whole file or block: their start line says nothing.
TOP_LEVEL_KINDS = ("program", "statement_list")
PROG = "ps_parse_gate"


@dataclass(frozen=True)
class ParseError:
    """One ERROR or MISSING node, positioned 1-based (column in characters)."""

    line: int
    column: int
    end_line: int
    kind: str  # "ERROR" or "MISSING"
    detail: str

    @property
    def single_line(self) -> bool:
        return self.end_line == self.line


@dataclass(frozen=True)
class Exemption:
    """One entry of the exemption list: a file and line whose errors are excused."""

    path: str  # relative to the root, forward slashes
    line: int
    reason: str
    source_line: int  # line of the entry in the exemption file


class ExemptionFormatError(ValueError):
    """An exemption entry that does not follow `relative/path.ps1:LINE  reason`."""

    def __init__(self, source_line: int, message: str):
        super().__init__(message)
        self.source_line = source_line


def load_parser():
    """Return a tree-sitter Parser for PowerShell (ImportError when not installed)."""
    import tree_sitter
    import tree_sitter_powershell

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))


def decode_source(data: bytes) -> str:
    """Text of a PowerShell file: honours UTF-8 and UTF-16 byte order marks."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    return data.decode("utf-8", errors="replace")


def _snippet(text: bytes) -> str:
    first_line = text.decode("utf-8", errors="replace").strip().splitlines()
    shown = first_line[0] if first_line else ""
    if len(shown) > SNIPPET_LENGTH:
        shown = shown[:SNIPPET_LENGTH] + "..."
    return repr(shown)


def _describe(node, source: bytes) -> str:
    parent = node.parent
    if node.is_missing:
        where = ""
        if parent is not None:
            where = " at end of %s from line %d" % (parent.type, parent.start_point[0] + 1)
        return "%r%s" % (node.type, where)
    context = "file"
    if parent is not None:
        context = parent.type
        # An unclosed construct is often noticed lines later: name where the enclosing one starts.
        if parent.type not in TOP_LEVEL_KINDS and parent.start_point[0] < node.start_point[0]:
            context += " from line %d" % (parent.start_point[0] + 1)
    text = _snippet(source[node.start_byte:node.end_byte])
    span = ""
    if _end_line(node) > node.start_point[0] + 1:
        span = " (through line %d)" % _end_line(node)
    return "in %s: %s%s" % (context, text, span)


def _error_nodes(root) -> Iterable:
    """Every ERROR and MISSING node, in document order (no recursion limit)."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            yield node
        # has_error is also set on the ancestors of MISSING nodes.
        stack.extend(child for child in reversed(node.children) if child.has_error)


def _end_line(node) -> int:
    row, column = node.end_point
    # A node that ends at column 0 stops at the line break before it.
    if column == 0 and row > node.start_point[0]:
        row -= 1
    return row + 1


def find_parse_errors(text: str, parser=None) -> List[ParseError]:
    """All ERROR and MISSING nodes of one PowerShell source text."""
    parser = parser or load_parser()
    source = text.encode("utf-8")
    lines = source.split(b"\n")
    tree = parser.parse(source)
    errors = []
    for node in _error_nodes(tree.root_node):
        row, byte_column = node.start_point
        prefix = lines[row][:byte_column] if row < len(lines) else b""
        column = len(prefix.decode("utf-8", errors="replace")) + 1
        errors.append(
            ParseError(
                line=row + 1,
                column=column,
                end_line=_end_line(node),
                kind="MISSING" if node.is_missing else "ERROR",
                detail=_describe(node, source),
            )
        )
    return errors


def parse_exemptions(text: str) -> Tuple[List[Exemption], List[ExemptionFormatError]]:
    """Entries of an exemption file, plus the lines that are not valid entries."""
    entries = []
    problems = []
    seen: Dict[Tuple[str, int], int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 1)
        location = parts[0]
        reason = parts[1].strip() if len(parts) > 1 else ""
        path, sep, line_text = location.rpartition(":")
        if not sep or not path or not line_text.isdigit() or int(line_text) < 1:
            problems.append(ExemptionFormatError(number, "expected 'relative/path.ps1:LINE  reason', got %r" % line))
            continue
        if not reason:
            problems.append(ExemptionFormatError(number, "exemption %s has no reason" % location))
            continue
        key = (path.replace("\\", "/"), int(line_text))
        if key in seen:
            problems.append(ExemptionFormatError(number, "duplicate of the exemption on line %d" % seen[key]))
            continue
        seen[key] = number
        entries.append(Exemption(path=key[0], line=key[1], reason=reason, source_line=number))
    return entries, problems


def _is_skipped(relative_dir: str) -> bool:
    return any(relative_dir == skipped or relative_dir.startswith(skipped + "/") for skipped in SKIPPED_DIRS)


def find_powershell_files(root: str) -> List[str]:
    """Paths of every .ps1/.psm1 under root, sorted, outside the skipped folders."""
    found = []
    for directory, subdirs, files in os.walk(root):
        relative = os.path.relpath(directory, root).replace(os.sep, "/")
        relative = "" if relative == "." else relative + "/"
        subdirs[:] = sorted(d for d in subdirs if not _is_skipped(relative + d))
        found.extend(os.path.join(directory, name) for name in sorted(files) if name.lower().endswith(POWERSHELL_SUFFIXES))
    return found


def display_path(path: str, root: str) -> str:
    """Path relative to root with forward slashes, or as given when outside root."""
    relative = os.path.relpath(os.path.abspath(path), root)
    if relative.startswith(".."):
        return path
    return relative.replace(os.sep, "/")


@dataclass
class GateReport:
    lines: List[str]
    files: int
    errors: int
    exempted: int
    stale: int

    @property
    def failed(self) -> bool:
        """Every report line is a problem: unexcused errors, stale or invalid exemptions."""
        return bool(self.lines)


def run_gate(paths: Sequence[str], root: str, exemptions_file: Optional[str], full_run: bool, parser=None) -> GateReport:
    """Parse the files and apply the exemptions; the report holds one line per problem."""
    parser = parser or load_parser()
    lines: List[str] = []
    entries: List[Exemption] = []
    exemptions_name = ""
    if exemptions_file and os.path.exists(exemptions_file):
        exemptions_name = display_path(exemptions_file, root)
        with open(exemptions_file, encoding="utf-8") as handle:
            entries, format_problems = parse_exemptions(handle.read())
        for problem in format_problems:
            lines.append("%s:%d:1: INVALID %s" % (exemptions_name, problem.source_line, problem))
    by_location = {(entry.path, entry.line): entry for entry in entries}
    used: Set[Tuple[str, int]] = set()
    checked: Set[str] = set()
    errors = exempted = 0
    for path in paths:
        shown = display_path(path, root)
        checked.add(shown)
        with open(path, "rb") as handle:
            found = find_parse_errors(decode_source(handle.read()), parser)
        for error in found:
            errors += 1
            key = (shown, error.line)
            if key in by_location and error.single_line:
                used.add(key)
                exempted += 1
                continue
            note = ""
            if key in by_location:
                note = " [not exempted: an exemption covers only errors within its line]"
            lines.append("%s:%d:%d: %s %s%s" % (shown, error.line, error.column, error.kind, error.detail, note))
    stale = 0
    for entry in entries:
        key = (entry.path, entry.line)
        if key in used or (entry.path not in checked and not full_run):
            continue
        why = "no single-line parse error on that line" if entry.path in checked else "file not found among the checked files"
        lines.append("%s:%d:1: STALE exemption %s:%d (%s)" % (exemptions_name, entry.source_line, entry.path, entry.line, why))
        stale += 1
    return GateReport(lines=lines, files=len(paths), errors=errors, exempted=exempted, stale=stale)


def build_argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("paths", nargs="*", help="files to check (default: every .ps1/.psm1 under the root)")
    parser.add_argument("--root", default=REPO_ROOT, help="project root; paths are shown and exempted relative to it")
    parser.add_argument(
        "--exemptions",
        default=None,
        help="exemption list (default: tools/gates/ps_parse_exemptions.txt under the root)",
    )
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_argument_parser().parse_args(argv)
    root = os.path.abspath(args.root)
    exemptions = args.exemptions or os.path.join(root, "tools", "gates", "ps_parse_exemptions.txt")
    try:
        parser = load_parser()
    except ImportError as exc:
        print("%s: cannot load the PowerShell grammar (%s); install tree-sitter and tree-sitter-powershell" % (PROG, exc))
        return 2
    missing = [path for path in args.paths if not os.path.isfile(path)]
    for path in missing:
        print("%s:1:1: ERROR file not found" % path)
    paths = list(args.paths) if args.paths else find_powershell_files(root)
    paths = [path for path in paths if path not in missing]
    if not paths and not missing:
        print("%s: no .ps1/.psm1 files found under %s; nothing to parse" % (PROG, root))
    report = run_gate(paths, root, exemptions, full_run=not args.paths, parser=parser)
    for line in report.lines:
        print(line)
    if paths:
        print(
            "%s: %d file(s) parsed, %d parse error(s), %d exempted, %d stale exemption(s)"
            % (PROG, report.files, report.errors, report.exempted, report.stale)
        )
    return 1 if report.failed or missing else 0


if __name__ == "__main__":
    sys.exit(main())
