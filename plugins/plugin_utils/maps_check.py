# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Defender Antivirus's own cloud check (MpCmdRun -ValidateMapsConnection), decided on the controller.

The target only runs MpCmdRun.exe and returns its exit code and output lines; the verdict is here.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Mapping, Optional

from ansible_collections.purview.device_proxy.plugins.module_utils import failure_kinds as fk
from ansible_collections.purview.device_proxy.plugins.module_utils.analyzer_model import AnalyzerInputError, optional_int
from ansible_collections.purview.device_proxy.plugins.module_utils.analyzer_text import line_safe


# Microsoft documents the command's *output* (the success sentence and "failed to establish a
# connection to MAPS (hr=... httpcode=...)", docs/connectivity-check.md "MAPS"), not its exit code. So
# the output decides a failure and its HRESULT, and a pass needs both: exit code 0 and the documented
# success sentence with no failure sentence. Neither half alone can make a false pass.
MAPS_LABEL = "MAPS (MpCmdRun -ValidateMapsConnection)"
MAPS_PASSED = "passed"
MAPS_FAILED = "failed"
MAPS_NOT_RUN = "not_run"

_MAPS_SUCCESS_RE = re.compile(r"successfully\s+established\s+a\s+connection\s+to\s+MAPS", re.IGNORECASE)
_MAPS_FAILURE_RE = re.compile(r"ValidateMapsConnection\s+failed|failed\s+to\s+establish", re.IGNORECASE)
_MAPS_HR_RE = re.compile(r"\bhr\s*=\s*(?:0x)?([0-9a-f]+)", re.IGNORECASE)
_MAPS_PLAIN_HR_RE = re.compile(r"\b(?:0x)?(80[0-9a-f]{6})\b", re.IGNORECASE)
_MAPS_HTTPCODE_RE = re.compile(r"\bhttpcode\s*=\s*(\d+)", re.IGNORECASE)

# HRESULTs MpCmdRun reports, with the cause Microsoft gives (MpCmdRun page "Common errors", [AV] for
# 0x80072F8F) or, marked so, what the WinHTTP error inside the HRESULT means.
MAPS_HRESULTS = {
    "0x80072F8F": "certificate validation failed (ERROR_WINHTTP_SECURE_FAILURE, 12175): per Microsoft the "
                  "certificate revocation list could not be fetched because the operating system has no "
                  "system-wide WinHTTP proxy; give it one, or see SSLOptions (docs/defender-antivirus-proxy.md)",
    "0x80070006": "a firewall blocks the connection or inspects TLS (Microsoft, httpcode 451)",
    "0x80508015": "a firewall blocks the connection or inspects TLS (Microsoft)",
    "0x80072EE7": "a firewall blocks the connection or inspects TLS (Microsoft; the WinHTTP error inside is "
                  "12007, name not resolved)",
    "0x80004005": "a network problem such as name resolution (Microsoft)",
    "0x80070005": "insufficient privileges: run the check elevated or as SYSTEM (Microsoft)",
    "0x800106BA": "the Microsoft Defender Antivirus service is disabled (Microsoft)",
    "0x80070667": "the command needs Windows 10 1703 / Windows Server 2019 or later (Microsoft)",
    "0x80072EFE": "the connection was closed abnormally (WinHTTP error 12030; not described on Microsoft's "
                  "MpCmdRun page)",
}

# ERROR_NOT_SUPPORTED as an HRESULT: what MpCmdRun answers where the command does not exist
# (Windows Server 2016 / 1607).
MAPS_UNSUPPORTED = "0x80070667"

_MAPS_NOT_RUN = {
    "not-installed": "MpCmdRun.exe was not found (Defender Antivirus is not installed or was removed)",
    "start-failed": "MpCmdRun.exe could not be started (an application control or tamper policy, or access denied)",
    "no-result": "the target returned no MAPS result",
}


def _maps_hresult(text: str, failed: bool) -> Optional[str]:
    # A bare 80xxxxxx is read only from a failure sentence ("ValidateMapsConnection failed (800106BA)").
    match = _MAPS_HR_RE.search(text) or (_MAPS_PLAIN_HR_RE.search(text) if failed else None)
    if not match:
        return None
    digits = match.group(1).upper()
    # Microsoft's own table misprints one code with nine digits; keep such text as it is.
    return "0x" + digits.rjust(8, "0") if len(digits) <= 8 else "0x" + digits


def _exit_hresult(code: Optional[int]) -> Optional[str]:
    """An exit code that is an error HRESULT (bit 31 set, signed or not) in 0x form, else None."""
    if code is None:
        return None
    value = code & 0xFFFFFFFF
    return "0x%08X" % value if value & 0x80000000 else None


def maps_verdict(raw: Optional[Mapping[str, Any]]) -> Optional[Dict[str, Any]]:
    """The MAPS result from the module's raw ``maps`` facts; None when the check was not asked for.

    Returns status (``passed``, ``failed``, ``not_run``), hresult (``0x...``, from the output, or
    from the exit code when the output names none), meaning (known HRESULTs), httpcode, detail,
    exit_code, elapsed_ms, path and line (the analyzer-style line).
    """
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise AnalyzerInputError("maps", "type", "must be a dict")
    lines = raw.get("output") or []
    if not isinstance(lines, list):
        raise AnalyzerInputError("maps.output", "type", "must be a list of lines")
    # How MpCmdRun encodes redirected output is not documented: UTF-16 read as a one-byte code page
    # leaves a NUL after every character, which must not hide a sentence from the rules below.
    lines = [" ".join(str(line).replace("\x00", "").split()) for line in lines]
    lines = [line for line in lines if line]
    text = "\n".join(lines)
    exit_code = optional_int(raw.get("exit_code"), "maps.exit_code")
    result: Dict[str, Any] = {
        "status": MAPS_NOT_RUN, "hresult": None, "meaning": None, "httpcode": None, "detail": "",
        "exit_code": exit_code, "elapsed_ms": optional_int(raw.get("elapsed_ms"), "maps.elapsed_ms") or 0,
        "path": raw.get("path") or None, "output": lines,
    }
    if not raw.get("ran"):
        reason = raw.get("not_run_reason") or "not-installed"
        if reason not in _MAPS_NOT_RUN:
            raise AnalyzerInputError("maps.not_run_reason", "choices",
                                     f"{reason!r} is not one of {', '.join(_MAPS_NOT_RUN)}")
        detail = _MAPS_NOT_RUN[reason]
        if raw.get("error_message"):
            detail += ": " + " ".join(str(raw["error_message"]).split())
        result.update(detail=detail, reason=reason, line=f"{MAPS_LABEL}: Not run ({reason})")
        return result
    if raw.get("timed_out"):
        seconds = (optional_int(raw.get("timeout_ms"), "maps.timeout_ms") or 0) // 1000
        result.update(status=MAPS_FAILED, reason=fk.TIMEOUT,
                      detail=fk.sentence(fk.TIMEOUT, "mpcmdrun", seconds=seconds),
                      line=f"{MAPS_LABEL}: Failed (timed out after {seconds} s)")
        return result
    hresult = _maps_hresult(text, bool(_MAPS_FAILURE_RE.search(text)))
    http = _MAPS_HTTPCODE_RE.search(text)
    result["httpcode"] = int(http.group(1)) if http else None
    failed_text = bool(_MAPS_FAILURE_RE.search(text)) or hresult is not None
    if exit_code == 0 and not failed_text and _MAPS_SUCCESS_RE.search(text):
        result.update(status=MAPS_PASSED, reason=None, detail="MpCmdRun reports a connection to MAPS",
                      line=f"{MAPS_LABEL}: Succeeded")
        return result
    hresult = hresult or _exit_hresult(exit_code)
    if hresult == MAPS_UNSUPPORTED:
        # The release has no such command (before Windows 10 1703 / Server 2019): nothing was
        # tested, so nothing failed.
        result.update(status=MAPS_NOT_RUN, reason="unsupported", hresult=hresult, meaning=MAPS_HRESULTS[hresult],
                      detail="MpCmdRun -ValidateMapsConnection is not supported on this Windows release "
                             f"({hresult}: {MAPS_HRESULTS[hresult]})",
                      line=f"{MAPS_LABEL}: Not run (unsupported, {hresult})")
        return result
    result.update(status=MAPS_FAILED, hresult=hresult, meaning=MAPS_HRESULTS.get(hresult or ""))
    if failed_text or hresult:
        result["reason"] = "maps_failed"
        result["detail"] = "MpCmdRun reports no connection to MAPS" + (
            f" ({hresult}: {result['meaning']})" if result["meaning"] else f" ({hresult})" if hresult else "")
        code = hresult or ("exit code %s" % exit_code)
    elif exit_code != 0:
        result["reason"] = "maps_failed"
        result["detail"] = f"MpCmdRun ended with exit code {exit_code}; its output does not confirm a connection"
        code = f"exit code {exit_code}"
    else:
        result["reason"] = "maps_unconfirmed"
        result["detail"] = "MpCmdRun ended with exit code 0 but its output does not confirm a connection to MAPS"
        code = "no success message"
    result["line"] = f"{MAPS_LABEL}: Failed ({line_safe(code)})"
    return result


def render_maps_line(maps: Optional[Mapping[str, Any]]) -> str:
    """The one MAPS line that follows the URL blocks (empty text when the check was not asked for)."""
    return (maps["line"] + "\n") if maps else ""
