# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""failure_kinds holds the one wording table: no other file under plugins/ words a failure kind.

A source scan (ast) of every Python file under plugins/ except failure_kinds.py. A failure kind is
referred to by its constant's name (``fk.TIMEOUT``, ``TIMEOUT``); a sentence is a string literal,
f-string or ``%``-formatted literal with a space in it. The scan fails on:

* a dict keyed by a kind with a sentence in its value (the old ``CATEGORY_REASONS`` tables);
* a tuple holding a kind and a sentence (``WINHTTP_ERRORS`` rows, ``return TIMEOUT, "..."``);
* a call or dict that sets ``reason``/``kind`` to a kind and ``detail`` to a sentence;
* a literal equal to one of the table's sentences (a copy).
"""

from __future__ import annotations

import ast
import string
from pathlib import Path
from typing import List

import pytest

from ansible_collections.purview.device_proxy.plugins.module_utils import failure_kinds as fk

ROOT = Path(__file__).resolve().parents[4]
PLUGINS = ROOT / "plugins"
TABLE = PLUGINS / "module_utils" / "failure_kinds.py"

KIND_NAMES = frozenset(name for name in dir(fk) if name.isupper() and getattr(fk, name) in fk.ALL
                       and isinstance(getattr(fk, name), str))
SENTENCES = frozenset(text for variants in fk.WORDING.values() for text in variants.values()
                      if not any(field for _lit, field, _spec, _conv in string.Formatter().parse(text)))


def _is_kind(node: ast.AST) -> bool:
    return (isinstance(node, ast.Name) and node.id in KIND_NAMES) or \
        (isinstance(node, ast.Attribute) and node.attr in KIND_NAMES)


def _literal_text(node: ast.AST) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mod, ast.Add)):
        return _literal_text(node.left) + " " + _literal_text(node.right) if isinstance(node.op, ast.Add) \
            else _literal_text(node.left)
    return ""


def _is_sentence(node: ast.AST) -> bool:
    return " " in _literal_text(node).strip()


def _contains_sentence(node: ast.AST) -> bool:
    return any(_is_sentence(inner) for inner in ast.walk(node))


def own_wording(source: str, name: str = "<source>") -> List[str]:
    """Where ``source`` words a failure kind itself."""
    found = []
    for node in ast.walk(ast.parse(source, name)):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values):
                if key is not None and _is_kind(key) and _contains_sentence(value):
                    found.append("line %d: a sentence for a kind in a table" % node.lineno)
            keyed = {k.value: v for k, v in zip(node.keys, node.values) if isinstance(k, ast.Constant)}
            if any(_is_kind(keyed.get(k)) for k in ("reason", "kind")) and "detail" in keyed and \
                    _is_sentence(keyed["detail"]):
                found.append("line %d: a detail sentence beside a kind" % node.lineno)
        elif isinstance(node, ast.Tuple):
            if any(_is_kind(e) for e in node.elts) and any(_is_sentence(e) for e in node.elts):
                found.append("line %d: a kind paired with a sentence" % node.lineno)
        elif isinstance(node, ast.Call):
            words = {k.arg: k.value for k in node.keywords if k.arg}
            if any(_is_kind(words.get(k)) for k in ("reason", "kind")) and "detail" in words and \
                    _is_sentence(words["detail"]):
                found.append("line %d: a detail sentence beside a kind" % node.lineno)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in SENTENCES:
            found.append("line %d: a copy of the table's sentence %r" % (node.lineno, node.value))
    return found


def _plugin_sources():
    return sorted(p for p in PLUGINS.rglob("*.py") if p != TABLE and "__pycache__" not in p.parts)


@pytest.mark.parametrize("source", [
    'REASONS = {fk.TIMEOUT: "the proxy did not answer in time"}',
    'ERRORS = {12002: ("ERROR_WINHTTP_TIMEOUT", fk.TIMEOUT, "the request timed out")}',
    'def f(where):\n    return TIMEOUT, "%s did not answer in time" % where',
    'result.update(outcome=FAILED, reason=fk.ERROR, detail=f"no answer from {url}")',
    'x = {"kind": fk.TLS_UNVERIFIED, "detail": "the chain was not reported"}',
    'detail = "the URL is not valid"',
])
def test_the_scan_finds_a_kind_worded_outside_the_table(source):
    assert own_wording(source)


def test_the_scan_leaves_alone_what_reads_the_table():
    assert own_wording('ERRORS = {12002: ("ERROR_WINHTTP_TIMEOUT", fk.TIMEOUT, "request_timed_out")}') == []
    assert own_wording('result.update(reason=fk.ERROR, detail=fk.sentence(fk.ERROR, "no_answer"))') == []
    assert own_wording('return category, "%s (issuer: %s)" % (detail, issuer)') == []


def test_no_plugin_file_words_a_failure_kind_of_its_own():
    problems = ["%s %s" % (path.relative_to(ROOT), problem)
                for path in _plugin_sources() for problem in own_wording(path.read_text(encoding="utf-8"), str(path))]
    assert problems == [], "word failures in failure_kinds.WORDING and call fk.sentence:\n" + "\n".join(problems)


def test_the_old_tables_are_gone():
    from ansible_collections.purview.device_proxy.plugins.module_utils import probe_model, probe_report
    from ansible_collections.purview.device_proxy.plugins.plugin_utils import connectivity_verdict

    for module, name in ((probe_model, "CATEGORY_REASONS"), (probe_model, "PROXY_CATEGORY_REASONS"),
                         (probe_report, "PROXY_UPSTREAM_REASONS"), (connectivity_verdict, "_HTTP_REASONS")):
        assert not hasattr(module, name), "%s.%s" % (module.__name__, name)
    # The WinHTTP table keeps what WinHTTP defines (the error's name and its kind) and only names a sentence.
    for code, (name, kind, variant) in connectivity_verdict.WINHTTP_ERRORS.items():
        assert name.startswith("ERROR_WINHTTP_") and kind in fk.ALL, code
        assert fk.has_sentence(kind, variant), (code, kind, variant)


def test_every_kind_has_its_own_sentence_and_every_template_is_well_formed():
    assert set(fk.WORDING) == set(fk.ALL)
    for kind, variants in fk.WORDING.items():
        assert variants[""] == fk.DESCRIPTIONS[kind]
        for variant, text in variants.items():
            assert text and text == text.strip() and "\n" not in text, (kind, variant)
            fields = [f for _lit, f, _spec, _conv in string.Formatter().parse(text) if f is not None]
            assert all(f.isidentifier() for f in fields), (kind, variant, fields)
            assert fk.sentence(kind, variant, **{f: "<%s>" % f for f in fields})


def test_every_kind_a_proxy_answer_is_classified_as_has_the_proxy_answer_sentences():
    from ansible_collections.purview.device_proxy.plugins.module_utils import probe_classify

    kinds = set(probe_classify._PROXY_ERROR_CATEGORY.values()) | set(probe_classify._ERRNO_CATEGORY.values())
    kinds.add(fk.PROXY_ERROR)   # an errno the classifier does not map
    assert kinds <= set(fk.PROXY_ANSWER_KINDS)
    for kind in kinds:
        assert fk.has_sentence(kind, "proxy_errno") and fk.has_sentence(kind, "proxy_token_forwarding"), kind


def test_a_parameter_is_filled_in_and_never_read_as_a_template():
    text = fk.sentence(fk.PROXY_UNREACHABLE, "established", count=3)
    assert "on 3 other URLs" in text and "established on 3 URLs" in text
    assert fk.sentence(fk.NOT_CONFIGURED, "setting", setting="{count}") == "{count} is not set"
    with pytest.raises(KeyError):
        fk.sentence(fk.TIMEOUT, "no such variant")
    # A parameter from a malformed reply that cannot be a cache key is still written out.
    assert fk.sentence(fk.TLS_INTERCEPTED, "foreign_root", issuer={"CN": ["x"]}, root=["y"]).startswith(
        "the certificate was issued by {'CN': ['x']} and chains to ['y']")
    first = fk.sentence(fk.TIMEOUT, "probe_limit_stage", stage="send")
    assert fk.sentence(fk.TIMEOUT, "probe_limit_stage", stage="send") is first
