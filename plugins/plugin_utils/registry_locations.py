# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one table of registry locations the collection reads and writes.

The controller owns where each setting lives; the PowerShell halves of the modules receive the
locations as private arguments (``_values``, ``_registry``) and never spell a key or value name
themselves. A new Windows setting is therefore one row here plus the code that decides about it.

The values the collection *manages* (writes, and asks who else owns) are listed once more as
:data:`MANAGED_LOCATIONS`, each built on its :class:`RegistryLocation` and naming the MDM policy
that deploys it, if any; the ownership parsers (Registry.pol, RSoP, MDM, Group Policy Preferences)
look values up there.

Sources: the Defender for Endpoint proxy configuration page (``TelemetryProxyServer``,
``DisableEnterpriseAuthProxy``, ``PreferStaticProxyForHttpRequest``), KB 4494447 and the netsh
documentation (``WinHttpSettings`` in both registry views), the Internet Options (WinINet)
proxy values ``ProxyEnable``, ``ProxyServer``, ``AutoConfigURL`` and the
``Connections\\DefaultConnectionSettings`` blob, the Defender Antivirus network connection page
(https://learn.microsoft.com/en-us/defender-endpoint/configure-network-connections-microsoft-defender-antivirus),
Policy CSP System/TelemetryProxy
(https://learn.microsoft.com/en-us/windows/client-management/mdm/policy-csp-system#telemetryproxy),
System/DisableEnterpriseAuthProxy
(https://learn.microsoft.com/en-us/windows/client-management/mdm/policy-csp-system#disableenterpriseauthproxy) and
Policy CSP ADMX_MicrosoftDefenderAntivirus
(https://learn.microsoft.com/en-us/windows/client-management/mdm/policy-csp-admx-microsoftdefenderantivirus).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, List, Optional, Tuple

HKLM = "HKLM"
HKU = "HKU"

DATA_COLLECTION_KEY = r"SOFTWARE\Policies\Microsoft\Windows\DataCollection"
ATP_POLICY_KEY = r"SOFTWARE\Policies\Microsoft\Windows Advanced Threat Protection"
CONNECTIONS_KEY = r"SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings\Connections"
CONNECTIONS_KEY_WOW64 = r"SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Internet Settings\Connections"
INTERNET_SETTINGS_KEY = r"Software\Microsoft\Windows\CurrentVersion\Internet Settings"
DEFENDER_POLICY_KEY = r"SOFTWARE\Policies\Microsoft\Windows Defender"
DEFENDER_SPYNET_KEY = r"SOFTWARE\Policies\Microsoft\Windows Defender\Spynet"
# Where Windows keeps the MDM policies in force for the device.
MDM_DEVICE_KEY = r"SOFTWARE\Microsoft\PolicyManager\current\device"
# The local Group Policy object's computer-side registry settings.
LOCAL_MACHINE_REGISTRY_POL = r"%SystemRoot%\System32\GroupPolicy\Machine\Registry.pol"
# The same file seen from a 32-bit process on 64-bit Windows, where the file system redirector sends
# System32 to SysWOW64; Sysnative is the documented alias of the real System32 for 32-bit processes
# (https://learn.microsoft.com/en-us/windows/win32/winprog64/file-system-redirector).
LOCAL_MACHINE_REGISTRY_POL_FROM_32BIT = r"%SystemRoot%\Sysnative\GroupPolicy\Machine\Registry.pol"
# The profile HKU\.DEFAULT: what WinHTTP's automatic mode reads for services without a profile of their own.
DEFAULT_USER_SID = ".DEFAULT"
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

DEFENDER_PROXY_SERVER = RegistryLocation("proxy_server", HKLM, DEFENDER_POLICY_KEY, "ProxyServer", "String")
DEFENDER_PROXY_PAC_URL = RegistryLocation("proxy_pac_url", HKLM, DEFENDER_POLICY_KEY, "ProxyPacUrl", "String")
DEFENDER_PROXY_BYPASS = RegistryLocation("proxy_bypass", HKLM, DEFENDER_POLICY_KEY, "ProxyBypass", "String")
DEFENDER_SSL_OPTIONS = RegistryLocation("ssl_options", HKLM, DEFENDER_SPYNET_KEY, "SSLOptions", "DWord")
DEFENDER_AV_VALUES = (DEFENDER_PROXY_SERVER, DEFENDER_PROXY_PAC_URL, DEFENDER_PROXY_BYPASS, DEFENDER_SSL_OPTIONS)
# "Turn off Resultant Set of Policy logging" (Computer Configuration > System > Group Policy): 0 turns
# RSoP logging off, so the RSoP namespace no longer says which GPOs set what. Read only.
# https://learn.microsoft.com/en-us/previous-versions/windows/desktop/policy/developing-an-rsop-management-tool
RSOP_LOGGING = RegistryLocation("rsop_logging", HKLM, r"SOFTWARE\Policies\Microsoft\Windows\System", "RSoPLogging", "DWord")
# The folder of the current Defender Antivirus platform (where the newest MpCmdRun.exe is); read only.
DEFENDER_INSTALL_LOCATION = RegistryLocation(
    "install_location", HKLM, r"SOFTWARE\Microsoft\Windows Defender", "InstallLocation", "String")


@dataclasses.dataclass(frozen=True)
class ManagedLocation:
    """A value the collection manages: ``field`` keys it in ownership reports, ``mdm`` is
    ``(area, policy)`` of the MDM policy that deploys it, or None. All managed values are HKLM."""

    field: str
    location: RegistryLocation
    mdm: Optional[Tuple[str, str]] = None

    @property
    def key(self) -> str:
        return self.location.path

    @property
    def name(self) -> str:
        return self.location.name

    @property
    def kind(self) -> str:
        return self.location.kind

    @property
    def display(self) -> str:
        return self.location.display


_DEFENDER_ADMX = "ADMX_MicrosoftDefenderAntivirus"
MANAGED_TELEMETRY_PROXY_SERVER = ManagedLocation("telemetry_proxy_server", TELEMETRY_PROXY_SERVER, ("System", "TelemetryProxy"))
MANAGED_DISABLE_ENTERPRISE_AUTH_PROXY = ManagedLocation("disable_enterprise_auth_proxy", DISABLE_ENTERPRISE_AUTH_PROXY,
                                                        ("System", "DisableEnterpriseAuthProxy"))
MANAGED_PREFER_STATIC_PROXY = ManagedLocation("prefer_static_proxy_for_http_request", PREFER_STATIC_PROXY_FOR_HTTP_REQUEST)
MANAGED_WINHTTP_SETTINGS = ManagedLocation("winhttp_settings", WINHTTP_SETTINGS_NATIVE)
MANAGED_WINHTTP_SETTINGS_WOW64 = ManagedLocation("winhttp_settings_wow64", WINHTTP_SETTINGS_WOW64)
MANAGED_DEFENDER_PROXY_SERVER = ManagedLocation("defender_proxy_server", DEFENDER_PROXY_SERVER, (_DEFENDER_ADMX, "ProxyServer"))
MANAGED_DEFENDER_PROXY_PAC_URL = ManagedLocation("defender_proxy_pac_url", DEFENDER_PROXY_PAC_URL, (_DEFENDER_ADMX, "ProxyPacUrl"))
MANAGED_DEFENDER_PROXY_BYPASS = ManagedLocation("defender_proxy_bypass", DEFENDER_PROXY_BYPASS, (_DEFENDER_ADMX, "ProxyBypass"))
MANAGED_DEFENDER_SSL_OPTIONS = ManagedLocation("defender_ssl_options", DEFENDER_SSL_OPTIONS)

MANAGED_LOCATIONS: Tuple[ManagedLocation, ...] = (
    MANAGED_TELEMETRY_PROXY_SERVER,
    MANAGED_DISABLE_ENTERPRISE_AUTH_PROXY,
    MANAGED_PREFER_STATIC_PROXY,
    MANAGED_WINHTTP_SETTINGS,
    MANAGED_WINHTTP_SETTINGS_WOW64,
    MANAGED_DEFENDER_PROXY_SERVER,
    MANAGED_DEFENDER_PROXY_PAC_URL,
    MANAGED_DEFENDER_PROXY_BYPASS,
    MANAGED_DEFENDER_SSL_OPTIONS,
)
BY_FIELD: Dict[str, ManagedLocation] = {managed.field: managed for managed in MANAGED_LOCATIONS}

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
    (normal_key(managed.key), managed.name.lower()): managed for managed in MANAGED_LOCATIONS
}
_BY_MDM: Dict[Tuple[str, str], ManagedLocation] = {
    (managed.mdm[0].lower(), managed.mdm[1].lower()): managed for managed in MANAGED_LOCATIONS if managed.mdm
}


def find_location(key: str, name: str) -> Optional[ManagedLocation]:
    """The managed value at ``key``\\``name`` (any case, with or without a hive prefix), or None."""
    return _BY_LOCATION.get((normal_key(key), name.strip().lower()))


def find_mdm_location(area: str, policy: str) -> Optional[ManagedLocation]:
    return _BY_MDM.get((area.strip().lower(), policy.strip().lower()))


def wininet_values(hive: str, path: str) -> Tuple[RegistryLocation, ...]:
    return (
        RegistryLocation("proxy_enable", hive, path, "ProxyEnable", "DWord"),
        RegistryLocation("proxy_server", hive, path, "ProxyServer", "String"),
        RegistryLocation("auto_config_url", hive, path, "AutoConfigURL", "String"),
    )


WININET_MACHINE = wininet_values(HKLM, INTERNET_SETTINGS_KEY)
WININET_SYSTEM_ACCOUNT = wininet_values(HKU, f"{SYSTEM_ACCOUNT_SID}\\{INTERNET_SETTINGS_KEY}")


def default_connection_settings(hive: str, profile: str) -> RegistryLocation:
    """The Internet Options connection blob of one profile (WinINet format, not WinHttpSettings)."""
    return RegistryLocation("default_connection_settings", hive,
                            f"{profile}\\{INTERNET_SETTINGS_KEY}\\Connections", "DefaultConnectionSettings", "Binary")


# WinHTTP's automatic mode (WinHttpGetIEProxyConfigForCurrentUser from a service) reads these.
DEFAULT_CONNECTION_SETTINGS_SYSTEM_ACCOUNT = default_connection_settings(HKU, SYSTEM_ACCOUNT_SID)
DEFAULT_CONNECTION_SETTINGS_DEFAULT_USER = default_connection_settings(HKU, DEFAULT_USER_SID)
WININET_DEFAULT_USER = wininet_values(HKU, f"{DEFAULT_USER_SID}\\{INTERNET_SETTINGS_KEY}")


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
    for scope, locations in (("machine", WININET_MACHINE), ("system_account", WININET_SYSTEM_ACCOUNT),
                             ("default_user", WININET_DEFAULT_USER)):
        entries.extend(read_entry(location, ("wininet", scope, location.field)) for location in locations)
    for scope, location in (("system_account", DEFAULT_CONNECTION_SETTINGS_SYSTEM_ACCOUNT),
                            ("default_user", DEFAULT_CONNECTION_SETTINGS_DEFAULT_USER)):
        entries.append(read_entry(location, ("wininet", scope, location.field)))
    entries.extend(read_entry(location, ("defender_av", location.field)) for location in DEFENDER_AV_VALUES)
    entries.append(read_entry(RSOP_LOGGING, ("policy", "rsop", "logging_policy")))
    for managed in MANAGED_LOCATIONS:
        if managed.mdm is None:
            continue
        area, policy = managed.mdm
        # The policy and the provider that won it, as policy_sources reads them.
        for name in (policy, policy + "_WinningProvider"):
            entries.append(read_entry(RegistryLocation(name, HKLM, f"{MDM_DEVICE_KEY}\\{area}", name, "String"),
                                      ("policy", "mdm", area, name)))
    return entries


# Group Policy Preferences keep a copy of each applied GPO's preference files here, per GPO GUID.
GPP_HISTORY_FOLDER = r"%ProgramData%\Microsoft\Group Policy\History"
GPP_REGISTRY_XML = r"Machine\Preferences\Registry\Registry.xml"


def device_facts_policy_option() -> Dict[str, Any]:
    """The ``_policy`` argument of device_facts.ps1: where the Group Policy evidence lives.

    ``rsop_keys`` are the registry keys whose RSoP settings are worth returning (the RSoP
    namespace holds every policy setting of the machine; the others are not needed here).
    """
    keys = sorted({managed.key for managed in MANAGED_LOCATIONS}, key=str.lower)
    return {
        "rsop_namespace": r"root\rsop\computer",
        "rsop_keys": keys,
        "registry_pol": LOCAL_MACHINE_REGISTRY_POL,
        "registry_pol_32bit_process": LOCAL_MACHINE_REGISTRY_POL_FROM_32BIT,
        "gpp_history": GPP_HISTORY_FOLDER,
        "gpp_registry_xml": GPP_REGISTRY_XML,
    }


def winhttp_views_option() -> Dict[str, str]:
    """The ``_registry`` argument of winhttp_proxy.ps1: the key of each view and the value name."""
    return {"native": WINHTTP_SETTINGS_NATIVE.path, "wow64": WINHTTP_SETTINGS_WOW64.path,
            "name": WINHTTP_SETTINGS_NATIVE.name}


def maps_check_option() -> Dict[str, Any]:
    """Where device_connectivity_probe.ps1 looks first for MpCmdRun.exe (validate_maps). HKLM."""
    return {"path": DEFENDER_INSTALL_LOCATION.path, "name": DEFENDER_INSTALL_LOCATION.name}


def device_probe_option() -> Dict[str, Any]:
    """The ``_registry`` argument for device_connectivity_probe.ps1: the static proxy it probes through
    (method 4, named proxy) and both WinHttpSettings views it reports. All HKLM."""
    return {
        "telemetry_proxy_server": {"path": TELEMETRY_PROXY_SERVER.path, "name": TELEMETRY_PROXY_SERVER.name},
        "winhttp": winhttp_views_option(),
    }
