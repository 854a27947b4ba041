# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write examples/analyzer/: analyzer result files of five example devices, as they are collected.

    .venv/bin/python tools/build/analyzer_examples.py

The text follows Microsoft's sample (https://learn.microsoft.com/en-us/defender-endpoint/verify-connectivity)
and the analyzer script's other lines ("Important notes", architectaj/getTSS:
scripts/tss_MDEClientAnalyzer.ps1); the encodings are the ones the files arrive in: the script's
own (UTF-16LE with a byte order mark, CRLF), UTF-8 with and without a mark, and a zip whose member
path uses backslashes, as Windows PowerShell 5.1 writes them. One file is cut short on purpose.
The device results are made up; nothing here was captured on a device.
"""

from __future__ import annotations

import codecs
import os
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEST = os.path.join(ROOT, "examples", "analyzer")

NOTES = [
    "Important notes:",
    "1. If at least one of the connectivity options returns status (200), then Defender for Endpoint sensor "
    "can properly communicate with the tested URL using this connectivity method.",
    "2. For *.blob.core.*.net URLs, return status (400) is expected. However, the current connectivity test on "
    "Azure blob URLs cannot detect SSL inspection scenarios as it is performed without certificate pinning.",
    "",
    "Connectivity output, using psexec -s:",
]
URLS = ("https://winatp-gw-weu.microsoft.com/test", "https://eu-v20.events.data.microsoft.com/ping",
        "https://automatedirstrprdweu.blob.core.windows.net")
NAMES = ("Default proxy", "Proxy auto discovery (WPAD)", "Proxy disabled", "Named proxy", "Command line proxy")


def block(url, results, legacy=False):
    names = list(NAMES)
    if legacy:
        names[4] = "Command-line proxy"
    lines = [("Testing URL: " if legacy else "Testing URL : ") + url]
    lines += ["%d - %s: %s" % (number, name, result) for number, (name, result) in enumerate(zip(names, results), 1)]
    return lines


def ok(code, named=None):
    return ["Succeeded (%d)" % code, "Succeeded (%d)" % code, "Succeeded (%d)" % code,
            ("Doesn't exist" if not named else None), "Doesn't exist"]


def devices():
    proxy = "10.0.0.6:8080"
    named_ok = []
    for url in URLS:
        code = 400 if "blob" in url else 200
        lines = block(url, ["Failed (12029)", "Failed (12180)", "Failed (12029)", "Succeeded (%d)" % code,
                            "Doesn't exist"])
        lines[4] = "4 - Named proxy (%s): Succeeded (%d)" % (proxy, code)
        named_ok += lines
    fallback = block(URLS[0], ["Failed (12029)", "Failed (12180)", "Succeeded (200)", "Doesn't exist", "Doesn't exist"])
    blocked = block(URLS[1], ["Failed (407)", "Failed (12180)", "Failed (12029)", "Failed (403)", "Doesn't exist"])
    blocked[4] = "4 - Named proxy (%s): Failed (403)" % proxy
    blob = block(URLS[2], ["Succeeded (400)", "Failed (12180)", "Succeeded (400)", "Doesn't exist", "Doesn't exist"])
    direct = []
    for url in URLS:
        code = 400 if "blob" in url else 200
        direct += block(url, ["Succeeded (%d)" % code, "Failed (12180)", "Succeeded (%d)" % code, "Doesn't exist",
                              "Doesn't exist"], legacy=True)
    cut = block(URLS[0], ok(200)) + block(URLS[1], ok(200))[:4]
    return {
        # The analyzer script's own encoding: UTF-16LE with BOM, CRLF; the proxy named in TelemetryProxyServer.
        "hq-desktop-01/MDEClientAnalyzerResult.txt": ("utf-16-le-bom", "\r\n", NOTES + named_ok),
        # A roaming laptop with a stale netsh proxy: method 1 fails, method 3 works; the proxy asks for credentials.
        "hq-laptop-02_MDEClientAnalyzerResult.txt": ("utf-8-bom", "\r\n", NOTES + fallback + blocked + blob),
        # An older analyzer's file (MDATP names and spelling), saved as UTF-8 with LF line ends.
        "branch-pc-03_MDATPClientAnalyzerResult.txt": ("utf-8", "\n", direct),
        # Cut short while it was copied: the second block stops after method 3.
        "old-pc-04/MDEClientAnalyzerResult.txt": ("utf-8", "\r\n", NOTES + cut),
    }


def encode(text, encoding):
    if encoding == "utf-16-le-bom":
        return codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    if encoding == "utf-8-bom":
        return codecs.BOM_UTF8 + text.encode("utf-8")
    return text.encode("utf-8")


def main():
    for relative, (encoding, newline, lines) in devices().items():
        path = os.path.join(DEST, *relative.split("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(encode(newline.join(lines) + newline, encoding))
        print("wrote", os.path.relpath(path, ROOT))
    # The zip the analyzer writes, as collected: the member under SystemInfoLogs\ (backslash), UTF-16LE.
    lines = NOTES + block(URLS[0], ["Succeeded (200)", "Failed (12180)", "Succeeded (200)", "Doesn't exist",
                                    "Doesn't exist"])
    path = os.path.join(DEST, "lab-vm-05_MDEClientAnalyzerResult.zip")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo("SystemInfoLogs\\MDEClientAnalyzer.txt", (2026, 7, 2, 8, 15, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, encode("\r\n".join(lines) + "\r\n", "utf-16-le-bom"))
        other = zipfile.ZipInfo("SystemInfoLogs\\netsh_winhttp.txt", (2026, 7, 2, 8, 15, 0))
        archive.writestr(other, encode("Current WinHTTP proxy settings:\r\n\r\n    Direct access (no proxy server).\r\n",
                                       "utf-16-le-bom"))
    print("wrote", os.path.relpath(path, ROOT))


if __name__ == "__main__":
    main()
