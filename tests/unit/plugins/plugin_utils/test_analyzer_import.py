# -*- coding: utf-8 -*-
"""Analyzer result files into the fleet model (analyzer_files + analyzer_import + fleet_report).

Sources: the file names and the block layout are Microsoft's
(https://learn.microsoft.com/en-us/defender-endpoint/verify-connectivity: MDEClientAnalyzerResult.zip,
MDEClientAnalyzerResult.txt); the member ``SystemInfoLogs\\MDEClientAnalyzer.txt`` and the encoding
(Windows PowerShell ``Out-File`` / ``>>``: UTF-16LE with a byte order mark) are the analyzer script's
(architectaj/getTSS: scripts/tss_MDEClientAnalyzer.ps1, ``$connectivityCheckFile``); the analyzer
rule (200, 400 or 404 on any method) is its ``ValidateURLs``.
"""

import codecs
import re
import json
import os
import zipfile

import jsonschema
import pytest

from ansible_collections.purview.device_proxy.plugins.plugin_utils import fleet_schema
from ansible_collections.purview.device_proxy.plugins.plugin_utils import analyzer_files as af
from ansible_collections.purview.device_proxy.plugins.plugin_utils import analyzer_import as ai
from ansible_collections.purview.device_proxy.plugins.plugin_utils import fleet_report

URL = "https://winatp-gw-weu.microsoft.com/test"
FALLBACK = (  # method 1 (the device's default proxy) fails, method 3 (direct) answers
    "Testing URL : %s\r\n"
    "1 - Default proxy: Failed (12029)\r\n"
    "2 - Proxy auto discovery (WPAD): Failed (12180)\r\n"
    "3 - Proxy disabled: Succeeded (200)\r\n"
    "4 - Named proxy: Doesn't exist\r\n"
    "5 - Command line proxy: Doesn't exist\r\n" % URL)
BLOCKED = (
    "Testing URL : https://eu.vortex-win.data.microsoft.com/ping\r\n"
    "1 - Default proxy: Failed (407)\r\n"
    "2 - Proxy auto discovery (WPAD): Failed (12180)\r\n"
    "3 - Proxy disabled: Failed (12029)\r\n"
    "4 - Named proxy (10.0.0.6:8080): Failed (403)\r\n"
    "5 - Command line proxy: Doesn't exist\r\n")


def no_catalog(url):
    return {}


def write(folder, relative, data):
    path = os.path.join(str(folder), *relative.split("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)
    return path


def utf16(text):
    return codecs.BOM_UTF16_LE + text.encode("utf-16-le")


def fleet_of(folder, verdict="analyzer"):
    imported = ai.import_folder(str(folder), no_catalog)
    return imported, fleet_report.build_fleet(imported["results"], "2026-07-03T09:00:00Z", verdict)


# --- verdicts ------------------------------------------------------------------------------------------
def test_method_1_failed_method_3_succeeded_passes_the_analyzer_rule_and_is_never_a_strict_pass(tmp_path):
    write(tmp_path, "PC01/MDEClientAnalyzerResult.txt", utf16(FALLBACK))
    imported, fleet = fleet_of(tmp_path, "analyzer")
    result = imported["results"]["PC01"]
    (url,) = result["urls"]
    assert url["analyzer"] == "pass" and url["strict"] == "untested"
    assert result["summary"]["strict"] == "not available" and result["configured"] is None
    assert all(c["strict"] == "not available" for c in result["channels"])
    (host,) = fleet["hosts"]
    assert host["verdict"] == "pass" and host["configured"] is None
    assert "PC01/MDEClientAnalyzerResult.txt" in host["error"] and "strict verdict not available" in host["error"]
    assert host["results"][0]["methods"] == ["F12029", "F12180", "S200", "-", "-"]

    _imported, strict = fleet_of(tmp_path, "strict")
    (host,) = strict["hosts"]
    assert host["verdict"] == "no-result" and host["verdict"] != "pass"
    assert "strict verdict" in host["error"] and strict["totals"]["passed"] == 0
    junit = fleet_report.render_junit(strict)
    assert 'errors="1"' in junit and "strict verdict not available" in junit


def test_http_and_winhttp_error_lines_keep_their_codes_in_the_failure(tmp_path):
    write(tmp_path, "PC02_MDEClientAnalyzerResult.txt", BLOCKED.encode("utf-8"))
    _imported, fleet = fleet_of(tmp_path)
    (host,) = fleet["hosts"]
    assert host["verdict"] == "fail" and host["results"][0]["methods"] == ["F407", "F12180", "F12029", "F403", "-"]
    (failure,) = host["failures"]
    assert [m and m["code"] for m in failure["methods"]] == [407, 12180, 12029, 403, None]
    assert failure["methods"][3]["proxy"] == "10.0.0.6:8080"
    assert "ERROR_WINHTTP_CANNOT_CONNECT" in failure["diagnosis"] and "407" in failure["diagnosis"]


def test_failed_404_passes_by_the_analyzer_rule_succeeded_500_does_not(tmp_path):
    text = FALLBACK.replace("Succeeded (200)", "Failed (404)")
    write(tmp_path, "A_MDEClientAnalyzerResult.txt", text.encode())
    write(tmp_path, "B_MDEClientAnalyzerResult.txt", FALLBACK.replace("Succeeded (200)", "Succeeded (500)").encode())
    results = ai.import_folder(str(tmp_path), no_catalog)["results"]
    assert results["A"]["urls"][0]["analyzer"] == "pass"
    assert results["B"]["urls"][0]["analyzer"] == "fail"


# --- encodings and line ends ---------------------------------------------------------------------------
@pytest.mark.parametrize("data, encoding", [
    (FALLBACK.encode("utf-8"), "UTF-8"),
    (codecs.BOM_UTF8 + FALLBACK.encode("utf-8"), "UTF-8 with BOM"),
    (utf16(FALLBACK), "UTF-16LE with BOM"),
    (FALLBACK.encode("utf-16-le"), "UTF-16LE without BOM"),
    (codecs.BOM_UTF16_BE + FALLBACK.encode("utf-16-be"), "UTF-16BE with BOM"),
    (FALLBACK.replace("\r\n", "\n").encode("utf-8"), "UTF-8"),
])
def test_every_encoding_reads_the_same_block(data, encoding):
    text, name = af.decode(data, "f.txt")
    assert name == encoding
    assert "\x00" not in text and text.replace("\r\n", "\n") == FALLBACK.replace("\r\n", "\n")


def test_utf16_read_as_utf8_never_yields_zero_urls_silently(tmp_path):
    from ansible_collections.purview.device_proxy.plugins.module_utils.analyzer_text import read_report

    data = FALLBACK.encode("utf-16-le")  # the analyzer's encoding, its byte order mark lost on the way
    assert read_report(data.decode("utf-8")).blocks == ()  # the trap: read as UTF-8, no URL at all
    assert len(read_report(af.decode(data, "f.txt")[0]).blocks) == 1
    # Shifted by a stray byte the pattern reads as big-endian and breaks: refused, naming file and line.
    with pytest.raises(af.AnalyzerFileError, match=r"^f\.txt: line \d+: is not valid UTF-16BE without BOM"):
        af.decode(b"X" + data, "f.txt")
    # NULs in no UTF-16 pattern: refused too.
    with pytest.raises(af.AnalyzerFileError, match=r"^f\.txt: line 2: holds NUL characters"):
        af.decode(b"Testing URL : https://a/\r\n1 - Default\x00 proxy\r\n", "f.txt")
    # A file with no block at all is an error for its device, not a device that passed nothing.
    write(tmp_path, "PC03_MDEClientAnalyzerResult.txt", b"Connectivity output, using psexec -s:\r\n")
    imported = ai.import_folder(str(tmp_path), no_catalog)
    assert imported["results"]["PC03"]["failed"] is True
    assert "PC03_MDEClientAnalyzerResult.txt: no 'Testing URL' block" in imported["results"]["PC03"]["msg"]


# --- files, folders, zips ------------------------------------------------------------------------------
@pytest.mark.parametrize("member", ["SystemInfoLogs\\MDEClientAnalyzer.txt", "MDEClientAnalyzerResult/SystemInfoLogs/MDEClientAnalyzer.txt"])
def test_the_zip_member_with_either_separator(tmp_path, member):
    path = os.path.join(str(tmp_path), "PC04_MDEClientAnalyzerResult.zip")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("SystemInfoLogs\\other.txt", "Testing URL : nothing")
        archive.writestr(zipfile.ZipInfo(member, (2026, 7, 2, 8, 15, 0)), utf16(FALLBACK))
    imported = ai.import_folder(str(tmp_path), no_catalog)
    (device,) = imported["devices"]
    assert device["status"] == "read" and device["time"] == "2026-07-02T08:15:00"
    assert device["time_source"] == af.ZIP_ENTRY_TIME
    assert device["file"].endswith("MDEClientAnalyzer.txt")


def test_a_zip_without_the_result_and_a_broken_zip_are_errors_naming_the_file(tmp_path):
    with zipfile.ZipFile(os.path.join(str(tmp_path), "PC05_MDEClientAnalyzerResult.zip"), "w") as archive:
        archive.writestr("readme.txt", "x")
    write(tmp_path, "PC06_MDEClientAnalyzerResult.zip", b"PK\x03\x04 cut")
    results = ai.import_folder(str(tmp_path), no_catalog)["results"]
    assert "PC05_MDEClientAnalyzerResult.zip: holds no SystemInfoLogs\\MDEClientAnalyzer.txt" in results["PC05"]["msg"]
    assert "PC06_MDEClientAnalyzerResult.zip: is not a readable zip file" in results["PC06"]["msg"]


def test_a_truncated_file_is_reported_by_name_and_line_and_the_others_still_are(tmp_path):
    write(tmp_path, "PC01/MDEClientAnalyzerResult.txt", utf16(FALLBACK))
    cut = "\r\n".join(FALLBACK.split("\r\n")[:4]) + "\r\n"
    write(tmp_path, "PC07/MDEClientAnalyzerResult.txt", cut.encode())
    _imported, fleet = fleet_of(tmp_path)
    hosts = {h["host"]: h for h in fleet["hosts"]}
    assert hosts["PC01"]["verdict"] == "pass"
    assert hosts["PC07"]["status"] == "no-result"
    assert "PC07/MDEClientAnalyzerResult.txt: line 5: " in hosts["PC07"]["error"]
    assert "3 of 5" in hosts["PC07"]["error"]
    assert "no result: analyzer file PC07" in fleet_report.render_summary(fleet)


def test_the_same_device_in_two_files(tmp_path):
    # The analyzer writes the zip and extracts it: the same result twice is one device ...
    write(tmp_path, "PC01/MDEClientAnalyzerResult.txt", utf16(FALLBACK))
    with zipfile.ZipFile(os.path.join(str(tmp_path), "PC01", "MDEClientAnalyzerResult.zip"), "w") as archive:
        archive.writestr("SystemInfoLogs\\MDEClientAnalyzer.txt", FALLBACK.encode())
    # ... two different results for one device (names differ only in case) are an error naming both.
    write(tmp_path, "pc08_MDEClientAnalyzerResult.txt", FALLBACK.encode())
    write(tmp_path, "PC08/MDEClientAnalyzerResult.txt", BLOCKED.encode())
    imported = ai.import_folder(str(tmp_path), no_catalog)
    assert imported["results"]["PC01"]["urls"][0]["analyzer"] == "pass"
    assert imported["devices"][0]["file"] == "PC01/MDEClientAnalyzerResult.txt"
    message = imported["results"]["PC08"]["msg"]
    assert "different connectivity results" in message
    assert "PC08/MDEClientAnalyzerResult.txt" in message and "pc08_MDEClientAnalyzerResult.txt" in message


def test_the_naming_rule_and_what_is_passed_over(tmp_path):
    write(tmp_path, "MDEClientAnalyzerResult.txt", FALLBACK.encode())
    write(tmp_path, "notes.txt", b"x")
    write(tmp_path, "EMPTY/readme.txt", b"x")
    write(tmp_path, "lab_pc_09_MDATPClientAnalyzerResult.txt", FALLBACK.encode())
    imported = ai.import_folder(str(tmp_path), no_catalog)
    assert list(imported["results"]) == ["lab_pc_09"]
    reasons = {s["file"]: s["reason"] for s in imported["skipped"]}
    assert "needs the device in its name" in reasons["MDEClientAnalyzerResult.txt"]
    assert set(reasons) == {"MDEClientAnalyzerResult.txt", "notes.txt", "EMPTY/"}


def test_the_fleet_json_follows_the_schema_and_text_reads_back(tmp_path):
    from ansible_collections.purview.device_proxy.plugins.module_utils import analyzer_text

    write(tmp_path, "PC01/MDEClientAnalyzerResult.txt", utf16(FALLBACK + BLOCKED))
    imported, fleet = fleet_of(tmp_path)
    jsonschema.validate(json.loads(fleet_report.render_json(fleet)), fleet_schema.FLEET_SCHEMA)
    text = fleet_report.render_host_text(imported["results"]["PC01"])
    assert analyzer_text.read_report(text).blocks == analyzer_text.read_report(FALLBACK + BLOCKED).blocks
    assert "Source: read from the analyzer file PC01/MDEClientAnalyzerResult.txt (UTF-16LE with BOM" in text


def test_a_fleet_of_probed_and_file_devices_under_the_strict_verdict():
    """Probe results judged strictly beside file results, which are never a strict pass."""
    import importlib.util

    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    spec = importlib.util.spec_from_file_location(
        "probe_golden", os.path.join(here, "action", "fixtures", "connectivity_report", "regenerate_golden.py"))
    golden = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(golden)
    probed = golden.fleet_inputs()
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        write(folder, "PC01/MDEClientAnalyzerResult.txt", utf16(FALLBACK))
        files = ai.import_folder(folder, no_catalog)["results"]
    strict = fleet_report.build_fleet(dict(probed, **files), "2026-07-03T09:00:00Z", "strict")
    alone = fleet_report.build_fleet(probed, "2026-07-03T09:00:00Z", "strict")
    hosts = {h["host"]: h for h in strict["hosts"]}
    assert hosts["PC01"]["verdict"] == "no-result"
    assert {h: e["verdict"] for h, e in hosts.items() if h != "PC01"} == {h["host"]: h["verdict"] for h in alone["hosts"]}
    assert strict["totals"]["passed"] == alone["totals"]["passed"]


from hypothesis import given, strategies as st  # noqa: E402

from ansible_collections.purview.device_proxy.plugins.module_utils import analyzer_text as at  # noqa: E402

_outcomes = st.one_of(st.none(), st.builds(
    at.MethodOutcome, st.booleans(),
    st.one_of(st.none(), st.integers(100, 599), st.integers(12000, 12200), st.sampled_from([0, 5, "abc", "12029", "200", "404"])),
    st.one_of(st.none(), st.just("10.0.0.6:8080"))))


@given(st.fixed_dictionaries({n: _outcomes for n in range(1, 6)}))
def test_the_url_verdict_is_the_analyzer_rule_and_agrees_with_the_method_tokens(methods):
    block = at.UrlBlock("https://a.example/x", {n: o for n, o in methods.items() if o is not None})
    url = ai.url_result(block, no_catalog)
    passes = at.block_passes(block)
    assert url["analyzer"] == ("pass" if passes else "fail")
    assert passes == any(token in ("S200", "S400", "S404") for token in url["tokens"])
    assert url["strict"] == "untested"
    for token in url["tokens"]:
        assert re.match(fleet_schema._TOKEN_RE, token), token
