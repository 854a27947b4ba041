# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one table of registry locations the collection reads and writes.

The controller owns where each setting lives; the PowerShell halves of the modules receive the
locations as private arguments (``_values``, ``_registry``) and never spell a key or value name
themselves. A new Windows setting is therefore one row here plus the code that decides about it.

Sources: the Defender for Endpoint proxy configuration page (``TelemetryProxyServer``,
``DisableEnterpriseAuthProxy``, ``PreferStaticProxyForHttpRequest``), KB 4494447 and the netsh
documentation (``WinHttpSettings`` in both registry views), and the Internet Options (WinINet)
proxy values ``ProxyEnable``, ``ProxyServer`` and ``AutoConfigURL``.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, List, Tuple

HKLM = "HKLM"
HKU = "HKU"

DATA_COLLECTION_KEY = r"SOFTWARE\Policies\Microsoft\Windows\DataCollection"
ATP_POLICY_KEY = r"SOFTWARE\Policies\Microsoft\Windows Advanced Threat Protection"
CONNECTIONS_KEY = r"SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings\Connections"
CONNECTIONS_KEY_WOW64 = r"SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Internet Settings\Connections"
INTERNET_SETTINGS_KEY = r"Software\Microsoft\Windows\CurrentVersion\Internet Settings"
# The LocalSystem account's profile, whose Internet Options services running as SYSTEM see.
SYSTEM_ACCOUNT_SID = "S-1-5-18"


@dataclasses.dataclass(frozen=True)
class RegistryLocation:
    """One registry value: ``field`` is its key in facts and results, ``kind`` the kind it holds."""

    field: str
    hive: str
    path: str
    name: str
    kind: str

    @property
    def display(self) -> str:
        return f"{self.hive}\\{self.path}\\{self.name}"


TELEMETRY_PROXY_SERVER = RegistryLocation("server", HKLM, DATA_COLLECTION_KEY, "TelemetryProxyServer", "String")
DISABLE_ENTERPRISE_AUTH_PROXY = RegistryLocation(
    "disable_enterprise_auth_proxy", HKLM, DATA_COLLECTION_KEY, "DisableEnterpriseAuthProxy", "DWord")
PREFER_STATIC_PROXY_FOR_HTTP_REQUEST = RegistryLocation(
    "prefer_static_proxy_for_http_request", HKLM, ATP_POLICY_KEY, "PreferStaticProxyForHttpRequest", "DWord")
TELEMETRY_PROXY_VALUES = (TELEMETRY_PROXY_SERVER, DISABLE_ENTERPRISE_AUTH_PROXY, PREFER_STATIC_PROXY_FOR_HTTP_REQUEST)

WINHTTP_SETTINGS_NATIVE = RegistryLocation("native", HKLM, CONNECTIONS_KEY, "WinHttpSettings", "Binary")
WINHTTP_SETTINGS_WOW64 = RegistryLocation("wow64", HKLM, CONNECTIONS_KEY_WOW64, "WinHttpSettings", "Binary")
WINHTTP_SETTINGS_VIEWS = (WINHTTP_SETTINGS_NATIVE, WINHTTP_SETTINGS_WOW64)


def wininet_values(hive: str, path: str) -> Tuple[RegistryLocation, ...]:
    return (
        RegistryLocation("proxy_enable", hive, path, "ProxyEnable", "DWord"),
        RegistryLocation("proxy_server", hive, path, "ProxyServer", "String"),
        RegistryLocation("auto_config_url", hive, path, "AutoConfigURL", "String"),
    )


WININET_MACHINE = wininet_values(HKLM, INTERNET_SETTINGS_KEY)
WININET_SYSTEM_ACCOUNT = wininet_values(HKU, f"{SYSTEM_ACCOUNT_SID}\\{INTERNET_SETTINGS_KEY}")


def read_entry(location: RegistryLocation, at: Tuple[str, ...], hex_data: bool = False,
               only_64bit_os: bool = False) -> Dict[str, Any]:
    """One ``_registry`` entry: read ``location`` and put it at the path ``at`` of the reply.

    ``hex_data`` reports the data alone (the hex of a binary value) instead of ``{kind, data}``;
    ``only_64bit_os`` reports null on a 32-bit OS, which has no WOW6432Node view.
    """
    return {"at": list(at), "hive": location.hive, "path": location.path, "name": location.name,
            "hex_data": hex_data, "only_64bit_os": only_64bit_os}


def device_facts_reads() -> List[Dict[str, Any]]:
    """What device_facts.ps1 reads from the registry, and where each value goes in its reply."""
    entries = [read_entry(location, ("telemetry_proxy", location.field)) for location in TELEMETRY_PROXY_VALUES]
    entries.append(read_entry(WINHTTP_SETTINGS_NATIVE, ("winhttp", "native"), hex_data=True))
    entries.append(read_entry(WINHTTP_SETTINGS_WOW64, ("winhttp", "wow64"), hex_data=True, only_64bit_os=True))
    for scope, locations in (("machine", WININET_MACHINE), ("system_account", WININET_SYSTEM_ACCOUNT)):
        entries.extend(read_entry(location, ("wininet", scope, location.field)) for location in locations)
    return entries


def winhttp_views_option() -> Dict[str, str]:
    """The ``_registry`` argument of winhttp_proxy.ps1: the key of each view and the value name."""
    return {"native": WINHTTP_SETTINGS_NATIVE.path, "wow64": WINHTTP_SETTINGS_WOW64.path,
            "name": WINHTTP_SETTINGS_NATIVE.name}


def connectivity_test_option() -> Dict[str, Any]:
    """The ``_registry`` argument for connectivity_test.ps1: the static proxy it probes through
    (method 4, named proxy) and both WinHttpSettings views it reports. All HKLM."""
    return {
        "telemetry_proxy_server": {"path": TELEMETRY_PROXY_SERVER.path, "name": TELEMETRY_PROXY_SERVER.name},
        "winhttp": winhttp_views_option(),
    }
