# -*- coding: utf-8 -*-
"""Reading the analyzer's result text (analyzer_text.read_report): the situations in which a naive
reader says OK.

The layout is the sample on https://learn.microsoft.com/en-us/defender-endpoint/verify-connectivity
(``Testing URL : `` and the five numbered methods); the older spelling (``Testing URL: ``,
``5 - Command-line proxy``) is FACTS.md section 5's. The analyzer script writes other sections into
the same file, among them "Important notes" lines that contain "(200)" and "(400)"
(architectaj/getTSS: scripts/tss_MDEClientAnalyzer.ps1, CheckConnectivity).
"""

import pytest

from ansible_collections.purview.device_proxy.plugins.module_utils.analyzer_text import (
    CURRENT,
    LEGACY,
    AnalyzerTextError,
    MethodOutcome,
    block_passes,
    read_report,
)

BLOCK = (
    "Testing URL : https://winatp-gw-weu.microsoft.com/test\r\n"
    "1 - Default proxy: Failed (12029)\r\n"
    "2 - Proxy auto discovery (WPAD): Failed (12180)\r\n"
    "3 - Proxy disabled: Succeeded (200)\r\n"
    "4 - Named proxy (10.0.0.6:8080): Failed (407)\r\n"
    "5 - Command line proxy: Doesn't exist\r\n"
)
NOTES = (
    "Important notes:\r\n"
    "1. If at least one of the connectivity options returns status (200), then Defender for Endpoint sensor "
    "can properly communicate with the tested URL using this connectivity method.\r\n"
    "2. For *.blob.core.*.net URLs, return status (400) is expected.\r\n"
)


def test_a_block_with_method_1_failed_and_method_3_succeeded_passes_the_analyzer_rule():
    report = read_report(NOTES + BLOCK)
    (block,) = report.blocks
    assert block.methods[1] == MethodOutcome(False, 12029)
    assert block.methods[3] == MethodOutcome(True, 200)
    assert block.methods[4] == MethodOutcome(False, 407, "10.0.0.6:8080")
    assert 5 not in block.methods
    assert block_passes(block)
    assert report.heading_lines == (4,)
    assert report.spellings == (CURRENT,)


def test_succeeded_200_inside_the_url_line_does_not_count():
    text = ("Testing URL : https://a.example/Succeeded (200) (404)\n"
            "1 - Default proxy: Failed (12029)\n2 - Proxy auto discovery (WPAD): Failed (12180)\n"
            "3 - Proxy disabled: Failed (12007)\n4 - Named proxy: Doesn't exist\n5 - Command line proxy: Doesn't exist\n")
    (block,) = read_report(text).blocks
    assert block.url == "https://a.example/Succeeded"
    assert not block_passes(block)


def test_notes_with_codes_outside_blocks_do_not_count_and_are_refused_in_strict_mode():
    assert read_report(NOTES).blocks == ()
    with pytest.raises(AnalyzerTextError) as info:
        read_report(NOTES, other_lines="refuse")
    assert info.value.line == 1


def test_a_block_cut_short_after_three_methods_names_the_file_and_the_line():
    text = "\r\n".join(BLOCK.split("\r\n")[:4]) + "\r\n"
    with pytest.raises(AnalyzerTextError) as info:
        read_report(text, source="PC01/MDEClientAnalyzerResult.txt")
    assert info.value.line == 5
    assert str(info.value).startswith("PC01/MDEClientAnalyzerResult.txt: line 5: ")
    assert "3 of 5" in str(info.value) and "4 - Named proxy" in str(info.value)


def test_a_block_cut_short_by_the_next_heading_or_another_line():
    lines = BLOCK.split("\r\n")
    with pytest.raises(AnalyzerTextError, match="line 4: .*2 of 5.*new 'Testing URL'"):
        read_report("\n".join(lines[:3] + lines))
    with pytest.raises(AnalyzerTextError, match="line 3: .*1 of 5"):
        read_report("\n".join(lines[:2] + ["Connectivity output, using psexec -s:"] + lines[2:]))


def test_method_lines_out_of_order_or_outside_a_block_are_errors():
    lines = BLOCK.split("\r\n")
    with pytest.raises(AnalyzerTextError, match="line 3: method 3 where method 2"):
        read_report("\n".join([lines[0], lines[1], lines[3]]))
    with pytest.raises(AnalyzerTextError, match="line 1: a method line outside"):
        read_report(lines[3])


def test_the_older_spelling_and_cr_only_line_ends():
    text = BLOCK.replace("Testing URL : ", "Testing URL: ").replace("Command line", "Command-line").replace("\r\n", "\r")
    report = read_report(text)
    assert report.spellings == (LEGACY,)
    assert block_passes(report.blocks[0])


def test_lines_of_unknown_meaning_inside_a_block_are_read_past_never_counted():
    lines = BLOCK.replace("Succeeded (200)", "Failed (12007)").split("\r\n")
    text = "\n".join(lines[:5] + [" 4.1 - Named proxy (10.0.0.6:8080): Succeeded (200)",
                                  "Proxy config: Method=3, address=10.0.0.6:8080"] + lines[5:])
    (block,) = read_report(text).blocks
    assert not block_passes(block)


def test_a_wrong_method_name_is_an_error():
    with pytest.raises(AnalyzerTextError, match="line 2: method 1 is not called 'Proxy disabled'"):
        read_report("Testing URL : https://a/\n1 - Proxy disabled: Succeeded (200)\n")
