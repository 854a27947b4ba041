# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small WQL evaluator for the subset the Group Policy export renders, written from Microsoft's docs.

* "WHERE Clause (WMI)" (https://learn.microsoft.com/en-us/windows/win32/wmisdk/where-clause):
  ``property operator constant`` tests joined by AND, OR, NOT and parentheses; string literals in
  double or single quotes, with ``\\``, ``\\"`` and ``\\'`` escaped by a backslash.
* "WQL Operators": ``=``, ``<>``/``!=``, ``<``, ``>``, ``<=``, ``>=``, ``LIKE``
  (https://learn.microsoft.com/en-us/windows/win32/wmisdk/wql-operators); "LIKE Operator": ``%``
  any run of characters, ``_`` one character, ``[...]`` one character of a set.
* "Querying with WQL" (https://learn.microsoft.com/en-us/windows/win32/wmisdk/querying-with-wql):
  "WQL does not support queries of array datatypes": a test on an array property is refused here.
* "WQL (SQL for WMI)" (https://learn.microsoft.com/en-us/windows/win32/wmisdk/wql-sql-for-wmi): the
  AND, OR, NOT and LIKE keywords; "the OR operators are evaluated after the AND operators"; data
  queries from one class at a time.
* A WMI filter query is true when it returns at least one instance ([MS-GPOL] WMI filter evaluation).

Comparisons with a NULL property are false (SQL semantics; an assumption, stated in the export).
String comparisons ignore case, as WMI's do.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Mapping, Tuple

_TOKEN = re.compile(r"""\s*(?:(?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(?P<op><>|!=|<=|>=|=|<|>)|(?P<paren>[()])|"""
                    r"""(?P<star>\*)|(?P<number>-?\d+)|(?P<word>[A-Za-z_][A-Za-z0-9_]*))""")


class WqlError(ValueError):
    pass


def tokens(text: str) -> List[Tuple[str, str]]:
    out, position = [], 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise WqlError("cannot read the query at %d: %r" % (position, text[position:position + 20]))
        kind = match.lastgroup
        out.append((kind, match.group(kind)))
        position = match.end()
    return out


def _unquote(literal: str) -> str:
    return re.sub(r"\\(.)", r"\1", literal[1:-1])


def like(value: str, pattern: str) -> bool:
    regex, index = "", 0
    while index < len(pattern):
        char = pattern[index]
        if char == "%":
            regex += ".*"
        elif char == "_":
            regex += "."
        elif char == "[":
            end = pattern.index("]", index + 1)
            regex += "[%s]" % re.escape(pattern[index + 1:end])
            index = end
        else:
            regex += re.escape(char)
        index += 1
    return re.fullmatch(regex, value, re.IGNORECASE | re.DOTALL) is not None


class _Parser:
    def __init__(self, items: List[Tuple[str, str]]):
        self.items, self.position = items, 0

    def peek(self) -> Tuple[str, str]:
        return self.items[self.position] if self.position < len(self.items) else ("end", "")

    def take(self, kind: str = None, value: str = None) -> Tuple[str, str]:
        item = self.peek()
        if (kind and item[0] != kind) or (value and item[1].upper() != value):
            raise WqlError("expected %s %s, got %r" % (kind, value, item))
        self.position += 1
        return item

    def expression(self):
        left = self.conjunction()
        while self.peek()[0] == "word" and self.peek()[1].upper() == "OR":
            self.take()
            right = self.conjunction()
            left = ("or", left, right)
        return left

    def conjunction(self):
        left = self.negation()
        while self.peek()[0] == "word" and self.peek()[1].upper() == "AND":
            self.take()
            right = self.negation()
            left = ("and", left, right)
        return left

    def negation(self):
        if self.peek()[0] == "word" and self.peek()[1].upper() == "NOT":
            self.take()
            return ("not", self.negation())
        if self.peek()[0] == "paren" and self.peek()[1] == "(":
            self.take()
            inner = self.expression()
            self.take("paren", ")")
            return inner
        prop = self.take("word")[1]
        kind, operator = self.peek()
        if kind == "word" and operator.upper() == "LIKE":
            self.take()
            return ("like", prop, _unquote(self.take("string")[1]))
        self.take("op")
        kind, constant = self.take()
        if kind == "string":
            value: Any = _unquote(constant)
        elif kind == "number":
            value = int(constant)
        else:
            raise WqlError("a constant was expected after %s %s" % (prop, operator))
        return ("cmp", prop, operator, value)


def parse(query: str) -> Tuple[str, Any]:
    """(class, condition tree) of ``SELECT * FROM class [WHERE condition]``."""
    parser = _Parser(tokens(query))
    parser.take("word", "SELECT")
    parser.take("star")
    parser.take("word", "FROM")
    wmi_class = parser.take("word")[1]
    condition = None
    if parser.peek()[0] != "end":
        parser.take("word", "WHERE")
        condition = parser.expression()
    if parser.peek()[0] != "end":
        raise WqlError("unexpected %r" % (parser.peek(),))
    return wmi_class, condition


def _compare(left: Any, operator: str, right: Any) -> bool:
    if left is None:
        return False
    if isinstance(left, (list, tuple)):
        raise WqlError("WQL does not support queries of array datatypes")
    if isinstance(left, str) and isinstance(right, str):
        left, right = left.lower(), right.lower()
    elif isinstance(left, str) != isinstance(right, str):
        raise WqlError("the constant %r does not have the property's type" % (right,))
    return {"=": left == right, "<>": left != right, "!=": left != right, "<": left < right,
            ">": left > right, "<=": left <= right, ">=": left >= right}[operator]


def _holds(tree: Any, instance: Mapping[str, Any]) -> bool:
    kind = tree[0]
    if kind == "or":
        return _holds(tree[1], instance) or _holds(tree[2], instance)
    if kind == "and":
        return _holds(tree[1], instance) and _holds(tree[2], instance)
    if kind == "not":
        return not _holds(tree[1], instance)
    if tree[1] not in instance:
        raise WqlError("the class has no property %s" % tree[1])
    value = instance[tree[1]]
    if kind == "like":
        if isinstance(value, (list, tuple)):
            raise WqlError("WQL does not support queries of array datatypes")
        return value is not None and like(str(value), tree[2])
    return _compare(value, tree[2], tree[3])


def instances_from_facts(hardware: Mapping[str, Any]) -> Dict[str, List[Dict[str, Any]]]:
    """The WMI instances a device with these hardware facts has (None where the facts say nothing)."""
    hardware = hardware or {}
    return {
        "Win32_ComputerSystem": [{"PCSystemType": hardware.get("pc_system_type"),
                                  "Manufacturer": hardware.get("manufacturer"), "Model": hardware.get("model")}],
        "Win32_SystemEnclosure": [{"ChassisTypes": hardware.get("chassis_types")}],
        "Win32_Battery": [{"Availability": None}] if hardware.get("has_battery") else [],
        "Win32_BIOS": [{"SMBIOSBIOSVersion": hardware.get("bios_version")}],
    }


def query_selects(query: str, instances: Mapping[str, List[Mapping[str, Any]]]) -> bool:
    """Whether the query returns at least one instance."""
    wmi_class, condition = parse(query)
    found = instances.get(wmi_class)
    if found is None:
        raise WqlError("unknown class %s" % wmi_class)
    return any(condition is None or _holds(condition, instance) for instance in found)


def filter_selects(queries: List[str], instances: Mapping[str, List[Mapping[str, Any]]]) -> bool:
    """A WMI filter: every query must return an instance."""
    return all(query_selects(query, instances) for query in queries)
