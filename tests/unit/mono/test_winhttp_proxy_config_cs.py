# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The C# half of winhttp_proxy (WinHttpProxyConfig.cs) under mono, with the native calls faked.

Compiled with ``mcs -langversion:5`` like Windows PowerShell 5.1's Add-Type would; the real
winhttp.dll calls cannot run here and are only shown to fail with DllNotFoundException.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from ansible_collections.purview.device_proxy.tests.unit.mono import csharp_build

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

DRIVER = r"""
using System;
using System.Collections.Generic;
using ansible_collections.purview.device_proxy.plugins.module_utils.WinHttpProxyConfig;

public class FakeApi : IWinHttpApi
{
    public List<DefaultProxySetting> Written = new List<DefaultProxySetting>();
    public DefaultProxySetting GetDefaultProxy() { return Written.Count > 0 ? Written[Written.Count - 1] : null; }
    public void SetDefaultProxy(DefaultProxySetting setting) { Written.Add(setting); }
    public IeProxySetting GetIeProxyForCurrentUser() { return new IeProxySetting(); }
}

public class BrokenApi : IWinHttpApi
{
    public DefaultProxySetting GetDefaultProxy() { throw new System.ComponentModel.Win32Exception(5, "Access is denied"); }
    public void SetDefaultProxy(DefaultProxySetting setting) { }
    public IeProxySetting GetIeProxyForCurrentUser() { return new IeProxySetting(); }
}

public static class Driver
{
    static void Expect(bool condition, string what)
    {
        Console.WriteLine((condition ? "ok " : "FAIL ") + what);
    }

    static bool Rejects(DefaultProxySetting setting)
    {
        FakeApi api = new FakeApi();
        try { DefaultProxy.Apply(api, setting); }
        catch (InvalidProxySettingException) { return api.Written.Count == 0; }
        return false;
    }

    public static void Main()
    {
        FakeApi api = new FakeApi();
        DefaultProxy.Apply(api, new DefaultProxySetting(AccessType.NamedProxy, "10.0.0.6:8080", "<local>"));
        Expect(api.Written.Count == 1 && api.Written[0].Proxy == "10.0.0.6:8080", "named proxy reaches the API");
        DefaultProxy.Apply(api, new DefaultProxySetting(AccessType.NoProxy, null, ""));
        Expect(api.Written.Count == 2 && api.Written[1].AccessType == AccessType.NoProxy, "no proxy reaches the API");
        Expect(Rejects(new DefaultProxySetting(AccessType.NamedProxy, "", "")), "named proxy without proxy is refused");
        Expect(Rejects(new DefaultProxySetting(AccessType.NoProxy, "a:1", "")), "no proxy with a proxy is refused");
        Expect(Rejects(new DefaultProxySetting((AccessType)2, null, null)), "unknown access type is refused");
        Expect(Rejects(null), "null setting is refused");

        // Read-back through the API, as winhttp_proxy verifies a write.
        FakeApi readApi = new FakeApi();
        ProxyReadBack empty = DefaultProxy.ReadBack(readApi);
        Expect(empty.Error == "the API returned no setting" && empty.AccessType == "", "no setting is an error, not direct access");
        DefaultProxy.Apply(readApi, new DefaultProxySetting(AccessType.NamedProxy, "10.0.0.6:8080", "<local>"));
        ProxyReadBack named = DefaultProxy.ReadBack(readApi);
        Expect(named.Error == null && named.AccessType == "named_proxy" && named.Proxy == "10.0.0.6:8080"
               && named.ProxyBypass == "<local>", "a named proxy reads back as written");
        DefaultProxy.Apply(readApi, new DefaultProxySetting(AccessType.NoProxy, null, null));
        ProxyReadBack direct = DefaultProxy.ReadBack(readApi);
        Expect(direct.AccessType == "no_proxy" && direct.Proxy == "" && direct.ProxyBypass == "", "null strings read back empty");
        readApi.Written.Add(new DefaultProxySetting((AccessType)7, "x", null));
        Expect(DefaultProxy.ReadBack(readApi).AccessType == "unknown:7", "an unknown access type is named by number");
        ProxyReadBack broken = DefaultProxy.ReadBack(new BrokenApi());
        Expect(broken.Error != null && broken.Error.StartsWith("Win32Exception: ") && broken.Error.Contains("Access is denied")
               && broken.AccessType == "", "a failed read is reported, never thrown");
        try
        {
            new NativeWinHttpApi().GetDefaultProxy();
            Expect(false, "winhttp.dll is not there");
        }
        catch (DllNotFoundException)
        {
            Expect(true, "native call goes to winhttp.dll");
        }
        catch (EntryPointNotFoundException)
        {
            Expect(true, "native call goes to winhttp.dll");
        }
    }
}
"""


@pytest.fixture(scope="module")
def driver_output(tmp_path_factory):
    if not (shutil.which("mcs") and shutil.which("mono")):
        pytest.skip("mcs and mono (Debian mono-mcs, mono-runtime) are needed")
    folder = tmp_path_factory.mktemp("winhttp_cs")
    source = folder / "Driver.cs"
    source.write_text(DRIVER, encoding="utf-8")
    exe = folder / "driver.exe"
    built = csharp_build.compile_program(csharp_build.PROXY_CONFIG_UTILS, [str(source)], str(exe))
    assert built.returncode == 0, built.stdout + built.stderr
    run = subprocess.run(["mono", str(exe)], capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    return run.stdout.splitlines()


def test_every_check_passes_under_mono(driver_output):
    assert len(driver_output) == 12
    failures = [line for line in driver_output if not line.startswith("ok ")]
    assert failures == []
