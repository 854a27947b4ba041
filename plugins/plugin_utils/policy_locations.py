# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where each value the collection manages lives, and which policy sources can set it.

One row per managed value: the ``HKLM`` key and value name, the registry kind the collection
writes, and the MDM policy (``PolicyManager\\current\\device\\<Area>\\<Policy>``) that deploys it,
if any. The ownership parsers (Registry.pol, RSoP, MDM, Group Policy Preferences) look values up
here, so a location is written once.

Sources: Microsoft's proxy guidance for Defender for Endpoint
(https://learn.microsoft.com/en-us/defender-endpoint/configure-proxy-internet), the Defender
Antivirus network connection page
(https://learn.microsoft.com/en-us/defender-endpoint/configure-network-connections-microsoft-defender-antivirus),
Policy CSP System/TelemetryProxy
(https://learn.microsoft.com/en-us/windows/client-management/mdm/policy-csp-system#telemetryproxy) and
Policy CSP ADMX_MicrosoftDefenderAntivirus
(https://learn.microsoft.com/en-us/windows/client-management/mdm/policy-csp-admx-microsoftdefenderantivirus).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional, Tuple

DATA_COLLECTION_KEY = r"SOFTWARE\Policies\Microsoft\Windows\DataCollection"
ATP_POLICY_KEY = r"SOFTWARE\Policies\Microsoft\Windows Advanced Threat Protection"
CONNECTIONS_KEY = r"SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings\Connections"
CONNECTIONS_WOW64_KEY = r"SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Internet Settings\Connections"
DEFENDER_POLICY_KEY = r"SOFTWARE\Policies\Microsoft\Windows Defender"
DEFENDER_SPYNET_KEY = r"SOFTWARE\Policies\Microsoft\Windows Defender\Spynet"

# Where Windows keeps the MDM policies in force for the device.
MDM_DEVICE_KEY = r"SOFTWARE\Microsoft\PolicyManager\current\device"
# The local Group Policy object's computer-side registry settings.
LOCAL_MACHINE_REGISTRY_POL = r"%SystemRoot%\System32\GroupPolicy\Machine\Registry.pol"


@dataclass(frozen=True)
class ManagedLocation:
    """A registry value the collection manages. ``mdm`` is ``(area, policy)`` or None."""

    field: str
    key: str
    name: str
    kind: str
    mdm: Optional[Tuple[str, str]] = None

    @property
    def display(self) -> str:
        return "HKLM\\%s\\%s" % (self.key, self.name)


TELEMETRY_PROXY_SERVER = ManagedLocation(
    "telemetry_proxy_server", DATA_COLLECTION_KEY, "TelemetryProxyServer", "String", ("System", "TelemetryProxy"))
DISABLE_ENTERPRISE_AUTH_PROXY = ManagedLocation(
    "disable_enterprise_auth_proxy", DATA_COLLECTION_KEY, "DisableEnterpriseAuthProxy", "DWord")
PREFER_STATIC_PROXY = ManagedLocation(
    "prefer_static_proxy_for_http_request", ATP_POLICY_KEY, "PreferStaticProxyForHttpRequest", "DWord")
WINHTTP_SETTINGS = ManagedLocation("winhttp_settings", CONNECTIONS_KEY, "WinHttpSettings", "Binary")
WINHTTP_SETTINGS_WOW64 = ManagedLocation("winhttp_settings_wow64", CONNECTIONS_WOW64_KEY, "WinHttpSettings", "Binary")
DEFENDER_PROXY_SERVER = ManagedLocation(
    "defender_proxy_server", DEFENDER_POLICY_KEY, "ProxyServer", "String", ("ADMX_MicrosoftDefenderAntivirus", "ProxyServer"))
DEFENDER_PROXY_PAC_URL = ManagedLocation(
    "defender_proxy_pac_url", DEFENDER_POLICY_KEY, "ProxyPacUrl", "String", ("ADMX_MicrosoftDefenderAntivirus", "ProxyPacUrl"))
DEFENDER_PROXY_BYPASS = ManagedLocation(
    "defender_proxy_bypass", DEFENDER_POLICY_KEY, "ProxyBypass", "String", ("ADMX_MicrosoftDefenderAntivirus", "ProxyBypass"))
DEFENDER_SSL_OPTIONS = ManagedLocation("defender_ssl_options", DEFENDER_SPYNET_KEY, "SSLOptions", "DWord")

MANAGED_LOCATIONS: Tuple[ManagedLocation, ...] = (
    TELEMETRY_PROXY_SERVER,
    DISABLE_ENTERPRISE_AUTH_PROXY,
    PREFER_STATIC_PROXY,
    WINHTTP_SETTINGS,
    WINHTTP_SETTINGS_WOW64,
    DEFENDER_PROXY_SERVER,
    DEFENDER_PROXY_PAC_URL,
    DEFENDER_PROXY_BYPASS,
    DEFENDER_SSL_OPTIONS,
)
BY_FIELD: Dict[str, ManagedLocation] = {location.field: location for location in MANAGED_LOCATIONS}

_HIVE_PREFIXES = ("hkey_local_machine\\", "hklm\\", "hklm:\\", "machine\\")


def normal_key(key: str) -> str:
    """A key path for comparison: no hive prefix, single backslashes, no trailing one, lower case.

    Registry key names are case-insensitive; Registry.pol, RSoP and Group Policy Preferences write
    the same key with and without ``HKLM\\`` and in any case.
    """
    text = key.strip().replace("/", "\\")
    while "\\\\" in text:
        text = text.replace("\\\\", "\\")
    lowered = text.lower()
    for prefix in _HIVE_PREFIXES:
        if lowered.startswith(prefix):
            lowered = lowered[len(prefix):]
            break
    return lowered.strip("\\")


_BY_LOCATION: Dict[Tuple[str, str], ManagedLocation] = {
    (normal_key(location.key), location.name.lower()): location for location in MANAGED_LOCATIONS
}
_BY_MDM: Dict[Tuple[str, str], ManagedLocation] = {
    (location.mdm[0].lower(), location.mdm[1].lower()): location for location in MANAGED_LOCATIONS if location.mdm
}


def find_location(key: str, name: str) -> Optional[ManagedLocation]:
    """The managed value at ``key``\\``name`` (any case, with or without a hive prefix), or None."""
    return _BY_LOCATION.get((normal_key(key), name.strip().lower()))


def find_mdm_location(area: str, policy: str) -> Optional[ManagedLocation]:
    return _BY_MDM.get((area.strip().lower(), policy.strip().lower()))
