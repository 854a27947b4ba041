"""Compile gate for the collection's C# module_utils.

Windows PowerShell 5.1 compiles C# module_utils with the .NET Framework
compiler behind Add-Type, which accepts C# 5 only. This gate compiles every
.cs file under plugins/module_utils with mono's ``mcs -langversion:5`` the way
Ansible's Add-CSharpType does on Windows PowerShell: as a library, with
System.dll and System.Core.dll referenced, the WINDOWS symbol defined and
warnings treated as errors. The file's own directives are honoured:

    //AssemblyReference -Name System.Web.Extensions.dll [-CLR Framework]
    //NoWarn -Name CS0168 [-CLR Framework]

and a ``using ansible_collections.<ns>.<name>.plugins.module_utils.<Util>;``
line compiles plugins/module_utils/<Util>.cs along with the file (ansible-core
resolves a C# util's dependencies from those lines). Then every PowerShell
module under plugins/modules is compiled the way Ansible's exec wrapper loads
it: the collection C# utils named by its ``#AnsibleRequires -CSharpUtil``
lines, with the utils they use, in ONE compilation (one Add-CSharpType call,
one assembly), so types clashing between utils or ``internal`` members used
across files are checked as Windows sees them. Each problem is printed as one
line:

    path:LINE:COLUMN: error CSxxxx: message

Usage (from the repository root):

    python tools/gates/cs_compile_gate.py                 # every .cs under plugins/module_utils
    python tools/gates/cs_compile_gate.py FILE [FILE...]  # only these files

Exit status: 0 when everything compiled (or when mcs is not installed, which
is reported with a SKIP line), 1 when any problem was reported.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULE_UTILS = os.path.join("plugins", "module_utils")
PROG = "cs_compile_gate"
LANGUAGE_VERSION = "5"  # what the Windows PowerShell 5.1 Add-Type compiler accepts
DEFAULT_REFERENCES = ("System.dll", "System.Core.dll")  # what Add-Type references by default
DEFINED_SYMBOLS = ("WINDOWS",)  # what Ansible defines when compiling on Windows PowerShell
# Assemblies mono cannot supply; code needing them cannot be checked here.
UNAVAILABLE_REFERENCES = ("system.management.automation",)
COMPILE_TIMEOUT = 180

ASSEMBLY_DIRECTIVE = re.compile(
    r"^\s*//\s*AssemblyReference\s+-Name\s+(?P<name>[\w.]+)(?:\s+-CLR\s+(?P<clr>Core|Framework))?\s*$",
    re.IGNORECASE,
)
NOWARN_DIRECTIVE = re.compile(
    r"^\s*//\s*NoWarn\s+-Name\s+(?:CS)?(?P<number>\d+)(?:\s+-CLR\s+(?P<clr>Core|Framework))?\s*$",
    re.IGNORECASE,
)
MODULES = os.path.join("plugins", "modules")
PS_CSHARP_UTIL = re.compile(
    r"^\s*#\s*AnsibleRequires\s+-CSharpUtil\s+(?:ansible_collections\.\w+\.\w+\.plugins\.module_utils\.|\.+module_utils\.)"
    r"(?P<name>[\w.]+)(?:\s+-Optional)?\s*$",
    re.IGNORECASE,
)
UTIL_USING = re.compile(r"^\s*using\s+ansible_collections\.\w+\.\w+\.plugins\.module_utils\.(?P<name>[\w.]+)\s*;")
POSITIONED_DIAGNOSTIC = re.compile(
    r"^(?P<file>.+)\((?P<line>\d+),(?P<column>\d+)\): (?:error|warning) (?P<code>CS\d+): (?P<message>.*)$"
)
UNPOSITIONED_DIAGNOSTIC = re.compile(r"^(?:(?P<file>.+?): )?error (?P<code>CS\d+): (?P<message>.*)$")


@dataclass(frozen=True)
class Diagnostic:
    """One compiler error; path is as mcs printed it, line/column 1-based (1 when mcs gives none)."""

    path: str
    line: int
    column: int
    code: str
    message: str

    def render(self, root: str) -> str:
        return "%s:%d:%d: error %s: %s" % (display_path(self.path, root), self.line, self.column, self.code, self.message)


@dataclass(frozen=True)
class CompileResult:
    returncode: int
    diagnostics: Tuple[Diagnostic, ...]
    output: str  # everything mcs printed

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.diagnostics


@dataclass(frozen=True)
class Directives:
    references: Tuple[str, ...]
    nowarn: Tuple[str, ...]
    utils: Tuple[str, ...]  # names of project C# utils the file uses


def display_path(path: str, root: str) -> str:
    """Path relative to root with forward slashes, or as given when outside root."""
    relative = os.path.relpath(os.path.abspath(path), root)
    if relative.startswith(".."):
        return path
    return relative.replace(os.sep, "/")


def find_mcs() -> Optional[str]:
    return shutil.which("mcs")


def read_directives(text: str) -> Directives:
    """The Add-CSharpType directives of one C# source that apply to .NET Framework."""
    references: List[str] = []
    nowarn: List[str] = []
    utils: List[str] = []
    for line in text.splitlines():
        match = ASSEMBLY_DIRECTIVE.match(line)
        if match and (match.group("clr") or "Framework").lower() == "framework":
            references.append(match.group("name"))
        match = NOWARN_DIRECTIVE.match(line)
        if match and (match.group("clr") or "Framework").lower() == "framework":
            nowarn.append(match.group("number"))
        match = UTIL_USING.match(line)
        if match:
            utils.append(match.group("name"))
    return Directives(tuple(references), tuple(nowarn), tuple(utils))


def _assembly_file(name: str) -> str:
    return name if name.lower().endswith((".dll", ".exe")) else name + ".dll"


def mcs_command(
    sources: Sequence[str],
    output: str,
    target: str = "library",
    references: Sequence[str] = (),
    nowarn: Sequence[str] = (),
    mcs: str = "mcs",
) -> List[str]:
    """The mcs command line that compiles sources the way Add-Type on Windows PowerShell 5.1 would."""
    # -noconfig: no default references from mcs.rsp; Add-Type passes its own list.
    command = [mcs, "-noconfig", "-langversion:" + LANGUAGE_VERSION, "-target:" + target, "-nologo", "-warnaserror"]
    command += ["-define:" + symbol for symbol in DEFINED_SYMBOLS]
    wanted = list(DEFAULT_REFERENCES) + [_assembly_file(name) for name in references]
    seen = set()
    for reference in wanted:
        key = reference.lower()
        if key in seen or key[: -len(".dll")] in UNAVAILABLE_REFERENCES:
            continue
        seen.add(key)
        command.append("-r:" + reference)
    if nowarn:
        command.append("-nowarn:" + ",".join(sorted(set(nowarn), key=int)))
    command.append("-out:" + output)
    command += list(sources)
    return command


def parse_diagnostics(output: str, fallback_path: str) -> List[Diagnostic]:
    """Errors mcs printed; an error without a position is attached to fallback_path."""
    found = []
    for line in output.splitlines():
        match = POSITIONED_DIAGNOSTIC.match(line)
        if match:
            found.append(
                Diagnostic(
                    match.group("file"),
                    int(match.group("line")),
                    int(match.group("column")),
                    match.group("code"),
                    match.group("message"),
                )
            )
            continue
        match = UNPOSITIONED_DIAGNOSTIC.match(line)
        if match:
            found.append(Diagnostic(match.group("file") or fallback_path, 1, 1, match.group("code"), match.group("message")))
    return found


def compile_csharp(
    sources: Sequence[str],
    output: str,
    target: str = "library",
    references: Sequence[str] = (),
    nowarn: Sequence[str] = (),
    mcs: str = "mcs",
    timeout: float = COMPILE_TIMEOUT,
) -> CompileResult:
    """Compile sources into output with mcs; raises subprocess.TimeoutExpired on timeout."""
    command = mcs_command(sources, output, target, references, nowarn, mcs)
    completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    text = completed.stdout + completed.stderr
    diagnostics = parse_diagnostics(text, sources[0] if sources else output)
    if completed.returncode != 0 and not diagnostics:
        first = next((line for line in text.splitlines() if line.strip()), "no output")
        diagnostics = [Diagnostic(sources[0] if sources else output, 1, 1, "MCS", "mcs exited with status %d: %s" % (completed.returncode, first))]
    return CompileResult(completed.returncode, tuple(diagnostics), text)


def find_csharp_files(root: str) -> List[str]:
    """Every .cs file under plugins/module_utils of root, sorted."""
    found = []
    for directory, subdirs, files in os.walk(os.path.join(root, MODULE_UTILS)):
        subdirs.sort()
        found.extend(os.path.join(directory, name) for name in sorted(files) if name.lower().endswith(".cs"))
    return found


def _read(path: str) -> str:
    with open(path, encoding="utf-8-sig", errors="replace") as handle:
        return handle.read()


def module_csharp_utils(path: str, root: str) -> List[str]:
    """The collection C# util files a PowerShell module requires directly (missing ones left out)."""
    found = []
    for line in _read(path).splitlines():
        match = PS_CSHARP_UTIL.match(line)
        if match:
            candidate = os.path.abspath(os.path.join(root, MODULE_UTILS, match.group("name") + ".cs"))
            if os.path.isfile(candidate) and candidate not in found:
                found.append(candidate)
    return found


def find_csharp_modules(root: str) -> List[Tuple[str, List[str]]]:
    """Every .ps1 module under plugins/modules that loads collection C# utils, with those utils."""
    modules = []
    folder = os.path.join(root, MODULES)
    if not os.path.isdir(folder):
        return modules
    for name in sorted(os.listdir(folder)):
        if name.lower().endswith(".ps1"):
            utils = module_csharp_utils(os.path.join(folder, name), root)
            if utils:
                modules.append((os.path.join(folder, name), utils))
    return modules


def compilation_unit(path, root: str) -> Tuple[List[str], Directives]:
    """The file (or files) plus the project C# utils used (transitively), and their combined directives."""
    sources: List[str] = []
    references: List[str] = []
    nowarn: List[str] = []
    pending = [os.path.abspath(item) for item in ([path] if isinstance(path, str) else path)]
    while pending:
        current = pending.pop(0)
        if current in sources:
            continue
        sources.append(current)
        directives = read_directives(_read(current))
        references += directives.references
        nowarn += directives.nowarn
        for name in directives.utils:
            candidate = os.path.join(root, MODULE_UTILS, name + ".cs")
            if os.path.isfile(candidate):
                pending.append(os.path.abspath(candidate))
    return sources, Directives(tuple(references), tuple(nowarn), ())


def check_files(paths: Sequence, root: str, mcs: str) -> List[str]:
    """Compile each file, or each group of files together (with the utils they use); one report line per distinct problem."""
    lines: List[str] = []
    with tempfile.TemporaryDirectory(prefix="cs_compile_gate.") as scratch:
        for index, path in enumerate(paths):
            sources, directives = compilation_unit(path, root)
            path = path if isinstance(path, str) else path[0]
            output = os.path.join(scratch, "unit%d.dll" % index)
            try:
                result = compile_csharp(sources, output, references=directives.references, nowarn=directives.nowarn, mcs=mcs)
            except subprocess.TimeoutExpired:
                lines.append("%s:1:1: error TIMEOUT: mcs did not finish within %d s" % (display_path(path, root), COMPILE_TIMEOUT))
                continue
            for diagnostic in result.diagnostics:
                line = diagnostic.render(root)
                if line not in lines:
                    lines.append(line)
    return lines


def build_argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("paths", nargs="*", help="C# files to compile (default: every .cs under plugins/module_utils)")
    parser.add_argument("--root", default=REPO_ROOT, help="project root; paths are shown relative to it")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_argument_parser().parse_args(argv)
    root = os.path.abspath(args.root)
    mcs = find_mcs()
    if mcs is None:
        print("%s: SKIP: mcs not found (Debian package mono-mcs); C# files were not compiled" % PROG)
        return 0
    missing = [path for path in args.paths if not os.path.isfile(path)]
    for path in missing:
        print("%s:1:1: error GATE: file not found" % path)
    paths = [path for path in args.paths if path not in missing] if args.paths else find_csharp_files(root)
    if not paths:
        if not missing:
            print("%s: no .cs files found under %s; nothing to compile" % (PROG, os.path.join(root, MODULE_UTILS)))
        return 1 if missing else 0
    lines = check_files(paths, root, mcs)
    modules = [] if args.paths else find_csharp_modules(root)
    for line in check_files([utils for _module, utils in modules], root, mcs):
        if line not in lines:
            lines.append(line)
    for line in lines:
        print(line)
    loaded = "; %d module(s) compiled with the C# utils they load" % len(modules) if modules else ""
    print("%s: %d file(s) compiled with mcs -langversion:%s, %d error(s)%s" % (PROG, len(paths), LANGUAGE_VERSION, len(lines), loaded))
    return 1 if lines or missing else 0


if __name__ == "__main__":
    sys.exit(main())
