# -*- coding: utf-8 -*-
"""Analyzer-style text: exact layout from FACTS.md section 5 (verify-connectivity page), round trips."""

import pytest
from hypothesis import given, strategies as st

from ansible_collections.purview.device_proxy.plugins.module_utils.analyzer_text import (
    MethodOutcome,
    UrlBlock,
    method_line,
    render_block,
    render_report,
)
from ansible_collections.purview.device_proxy.plugins.module_utils.analyzer_text import (
    AnalyzerTextError,
    block_passes,
    parse_report,
)

# The sample block on https://learn.microsoft.com/en-us/defender-endpoint/verify-connectivity
DOC_SAMPLE = (
    "Testing URL : https://xxx.microsoft.com/xxx\n"
    "1 - Default proxy: Succeeded (200)\n"
    "2 - Proxy auto discovery (WPAD): Succeeded (200)\n"
    "3 - Proxy disabled: Succeeded (200)\n"
    "4 - Named proxy: Doesn't exist\n"
    "5 - Command line proxy: Doesn't exist\n"
)

# The older Purview/DLP spelling of the same block.
LEGACY_SAMPLE = (
    "Testing URL: https://xxx.microsoft.com/xxx\n"
    "1 - Default proxy: Succeeded (200)\n"
    "2 - Proxy auto discovery (WPAD): Succeeded (200)\n"
    "3 - Proxy disabled: Succeeded (200)\n"
    "4 - Named proxy: Doesn't exist\n"
    "5 - Command-line proxy: Doesn't exist\n"
)


def doc_block():
    ok = MethodOutcome(True, 200)
    return UrlBlock("https://xxx.microsoft.com/xxx", {1: ok, 2: ok, 3: ok})


def test_renders_the_documented_sample_exactly():
    assert render_report([doc_block()]) == DOC_SAMPLE


def test_renders_the_legacy_spelling():
    assert render_report([doc_block()], legacy=True) == LEGACY_SAMPLE


@pytest.mark.parametrize("text", [DOC_SAMPLE, LEGACY_SAMPLE])
def test_parses_both_spellings(text):
    assert parse_report(text) == [doc_block()]


def test_failed_line_with_code_and_named_proxy():
    assert method_line(4, MethodOutcome(False, 407, "10.0.0.6:8080")) == "4 - Named proxy (10.0.0.6:8080): Failed (407)"
    assert method_line(3, MethodOutcome(False, "dns_failure")) == "3 - Proxy disabled: Failed (dns_failure)"
    assert method_line(5, None) == "5 - Command line proxy: Doesn't exist"


def test_outcome_without_code_has_no_parentheses():
    assert method_line(1, MethodOutcome(False)) == "1 - Default proxy: Failed"


def test_ipv6_proxy_in_method_name_round_trips():
    block = UrlBlock("https://a.example/x", {4: MethodOutcome(True, 200, "[2001:db8::1]:8080")})
    assert parse_report(render_block(block)) == [block]


def test_rejects_unknown_method_number():
    with pytest.raises(ValueError, match="1-5"):
        method_line(6, None)


def test_rejects_codes_that_would_break_the_layout():
    with pytest.raises(ValueError, match="parentheses"):
        method_line(1, MethodOutcome(False, "a (b)"))


def test_rejects_multi_line_url():
    with pytest.raises(ValueError):
        render_block(UrlBlock("https://a\nb", {}))


def test_empty_report_is_empty_text():
    assert render_report([]) == ""


def test_parse_refuses_lines_outside_the_layout_and_names_the_line():
    with pytest.raises(AnalyzerTextError) as info:
        parse_report("Testing URL : https://a/\n1 - Default proxy: Succeeded (200)\nsomething else\n")
    assert info.value.line == 3


def test_parse_refuses_wrong_method_name_for_number():
    with pytest.raises(AnalyzerTextError, match="method 3"):
        parse_report("Testing URL : https://a/\n3 - Named proxy: Succeeded (200)\n")


@pytest.mark.parametrize("codes, passes", [
    ({1: 200}, True),
    ({3: 400}, True),
    ({2: 404}, True),
    ({1: 407, 3: 403}, False),
    ({1: "timeout"}, False),
    ({}, False),
])
def test_block_passes_follows_the_analyzer_script_rule(codes, passes):
    block = UrlBlock("https://a/", {n: MethodOutcome(code in (200, 400, 404), code) for n, code in codes.items()})
    assert block_passes(block) is passes


outcomes = st.one_of(
    st.none(),
    st.builds(
        MethodOutcome,
        st.booleans(),
        st.one_of(st.none(), st.integers(100, 599), st.sampled_from(["timeout", "dns_failure", "tls_intercepted"])),
        st.one_of(st.none(), st.sampled_from(["10.0.0.6:8080", "proxy.corp.example:3128"])),
    ),
)
urls = st.from_regex(r"https?://[a-z][a-z0-9.-]{0,30}(/[a-z0-9/._-]{0,30})?", fullmatch=True)


@given(st.lists(st.tuples(urls, st.fixed_dictionaries({n: outcomes for n in range(1, 6)})), max_size=5),
       st.booleans())
def test_render_then_parse_is_identity(items, legacy):
    blocks = [UrlBlock(url, {n: o for n, o in methods.items() if o is not None}) for url, methods in items]
    text = render_report(blocks, legacy=legacy)
    assert parse_report(text) == blocks
    if blocks:
        assert text.count("\n") == 6 * len(blocks)
