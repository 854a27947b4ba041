# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The settings table: every registry value the collection reads and writes, one row each.

The controller owns where each setting lives; the PowerShell halves of the modules receive the
locations as private arguments (``_values``, ``_registry``) and never spell a key or value name
themselves. Each row (:class:`RegistryLocation`) says where the value lives, where device_facts
puts it, and, for a value the collection manages (:data:`MANAGED_LOCATIONS`), its field in the
ownership report, the Group Policy and MDM policy that set it, and the module and option that
write it. Derived from the rows: device_facts' reads (:func:`device_facts_reads`), where the facts
hold each managed value (:data:`CURRENT_VALUE_AT`), the values each registry module writes
(:func:`module_values`), the lookups the ownership parsers (Registry.pol, RSoP, MDM, Group Policy
Preferences) use, and the Group Policy named to an administrator.

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
from typing import Any, Callable, Dict, List, Optional, Tuple

from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import telemetry_proxy_server_value
from ansible_collections.purview.device_proxy.plugins.plugin_utils.defender_av_values import (
    bypass_entries,
    pac_url_value,
    proxy_server_value,
)

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
    """One registry value, a row of the settings table.

    Where it lives: ``hive``, ``path`` (the key), ``name``, ``kind``, ``view`` (``native``, or
    ``wow64`` for the WOW6432Node copy, which only a 64-bit Windows has). ``at`` is where
    device_facts puts it, in the target's reply and in the facts; ``hex_data`` values are read as
    hex and shown decoded, their data under ``raw``. A value the collection manages has an
    ``ownership_field`` (its key in the ownership report), the Administrative Templates setting
    that writes it (``group_policy``, under Computer Configuration > Administrative Templates, with
    the label of the setting's option that holds the value, ``group_policy_option``) and
    the MDM policy that deploys it (``mdm``: area, policy), if any, and the ``module`` that writes
    it with the ``option`` that gives its value and the ``normaliser`` that option goes through,
    or, for a value no option sets, the data it holds while the module's proxy is set
    (``held_with_proxy``; removed with the proxy) and why (``held_with_proxy_why``, as the plan says it).
    """

    hive: str
    path: str
    name: str
    kind: str
    at: Tuple[str, ...] = ()
    view: str = "native"
    hex_data: bool = False
    ownership_field: Optional[str] = None
    group_policy: Optional[str] = None
    group_policy_option: Optional[str] = None
    mdm: Optional[Tuple[str, str]] = None
    module: Optional[str] = None
    option: Optional[str] = None
    normaliser: Optional[Callable[..., Any]] = dataclasses.field(default=None, compare=False)
    held_with_proxy: Optional[int] = None
    held_with_proxy_why: Optional[str] = None

    @property
    def display(self) -> str:
        return f"{self.hive}\\{self.path}\\{self.name}"

    @property
    def result_key(self) -> str:
        """Its key in the writing module's before/after, the same as its key in the facts."""
        return self.at[-1]

    @property
    def current_at(self) -> Tuple[str, ...]:
        """Where the facts hold its current data."""
        return self.at + ("raw",) if self.hex_data else self.at


def _defender_bypass(value: Any, field: str = "proxy_bypass") -> List[str]:
    return bypass_entries(value, field)


_DATA_COLLECTION_GP = "Windows Components > Data Collection and Preview Builds > "
_DEFENDER_GP = "Windows Components > Microsoft Defender Antivirus > "
_DEFENDER_ADMX = "ADMX_MicrosoftDefenderAntivirus"

# The managed values, in the order device_facts reads them and the modules report them.
TELEMETRY_PROXY_SERVER = RegistryLocation(
    HKLM, DATA_COLLECTION_KEY, "TelemetryProxyServer", "String", ("telemetry_proxy", "server"),
    ownership_field="telemetry_proxy_server",
    group_policy=_DATA_COLLECTION_GP + "Configure connected user experiences and telemetry",
    group_policy_option="Proxy Server Name",
    mdm=("System", "TelemetryProxy"), module="telemetry_proxy", option="proxy", normaliser=telemetry_proxy_server_value)
DISABLE_ENTERPRISE_AUTH_PROXY = RegistryLocation(
    HKLM, DATA_COLLECTION_KEY, "DisableEnterpriseAuthProxy", "DWord", ("telemetry_proxy", "disable_enterprise_auth_proxy"),
    ownership_field="disable_enterprise_auth_proxy",
    group_policy=_DATA_COLLECTION_GP + "Configure Authenticated Proxy usage for the Connected User Experience and "
                                       "Telemetry Service",
    group_policy_option="Disable Authenticated Proxy usage",
    mdm=("System", "DisableEnterpriseAuthProxy"), module="telemetry_proxy", held_with_proxy=1,
    held_with_proxy_why="Sense sends anonymous device traffic and cannot authenticate to the proxy")
PREFER_STATIC_PROXY_FOR_HTTP_REQUEST = RegistryLocation(
    HKLM, ATP_POLICY_KEY, "PreferStaticProxyForHttpRequest", "DWord",
    ("telemetry_proxy", "prefer_static_proxy_for_http_request"),
    ownership_field="prefer_static_proxy_for_http_request", module="telemetry_proxy",
    option="prefer_static_proxy_for_http_request")
WINHTTP_SETTINGS_NATIVE = RegistryLocation(
    HKLM, CONNECTIONS_KEY, "WinHttpSettings", "Binary", ("winhttp", "native"), hex_data=True,
    ownership_field="winhttp_settings", module="winhttp_proxy")
WINHTTP_SETTINGS_WOW64 = RegistryLocation(
    HKLM, CONNECTIONS_KEY_WOW64, "WinHttpSettings", "Binary", ("winhttp", "wow64"), view="wow64", hex_data=True,
    ownership_field="winhttp_settings_wow64", module="winhttp_proxy")
DEFENDER_PROXY_SERVER = RegistryLocation(
    HKLM, DEFENDER_POLICY_KEY, "ProxyServer", "String", ("defender_av", "proxy_server"),
    ownership_field="defender_proxy_server",
    group_policy=_DEFENDER_GP + "Define proxy server for connecting to the network",
    mdm=(_DEFENDER_ADMX, "ProxyServer"), module="defender_av_proxy", option="proxy_server",
    normaliser=proxy_server_value)
DEFENDER_PROXY_PAC_URL = RegistryLocation(
    HKLM, DEFENDER_POLICY_KEY, "ProxyPacUrl", "String", ("defender_av", "proxy_pac_url"),
    ownership_field="defender_proxy_pac_url",
    group_policy=_DEFENDER_GP + "Define proxy auto-config (.pac) for connecting to the network",
    mdm=(_DEFENDER_ADMX, "ProxyPacUrl"), module="defender_av_proxy", option="proxy_pac_url", normaliser=pac_url_value)
DEFENDER_PROXY_BYPASS = RegistryLocation(
    HKLM, DEFENDER_POLICY_KEY, "ProxyBypass", "String", ("defender_av", "proxy_bypass"),
    ownership_field="defender_proxy_bypass",
    group_policy=_DEFENDER_GP + "Define addresses to bypass proxy server",
    mdm=(_DEFENDER_ADMX, "ProxyBypass"), module="defender_av_proxy", option="proxy_bypass", normaliser=_defender_bypass)
DEFENDER_SSL_OPTIONS = RegistryLocation(
    HKLM, DEFENDER_SPYNET_KEY, "SSLOptions", "DWord", ("defender_av", "ssl_options"),
    ownership_field="defender_ssl_options", module="defender_av_proxy", option="ssl_options")

# "Turn off Resultant Set of Policy logging" (Computer Configuration > System > Group Policy): 0 turns
# RSoP logging off, so the RSoP namespace no longer says which GPOs set what. Read only.
# https://learn.microsoft.com/en-us/previous-versions/windows/desktop/policy/developing-an-rsop-management-tool
RSOP_LOGGING = RegistryLocation(HKLM, r"SOFTWARE\Policies\Microsoft\Windows\System", "RSoPLogging", "DWord",
                                ("policy", "rsop", "logging_policy"))
# The folder of the current Defender Antivirus platform (where the newest MpCmdRun.exe is); read only.
DEFENDER_INSTALL_LOCATION = RegistryLocation(HKLM, r"SOFTWARE\Microsoft\Windows Defender", "InstallLocation", "String")

MANAGED_LOCATIONS: Tuple[RegistryLocation, ...] = (
    TELEMETRY_PROXY_SERVER,
    DISABLE_ENTERPRISE_AUTH_PROXY,
    PREFER_STATIC_PROXY_FOR_HTTP_REQUEST,
    WINHTTP_SETTINGS_NATIVE,
    WINHTTP_SETTINGS_WOW64,
    DEFENDER_PROXY_SERVER,
    DEFENDER_PROXY_PAC_URL,
    DEFENDER_PROXY_BYPASS,
    DEFENDER_SSL_OPTIONS,
)
BY_FIELD: Dict[str, RegistryLocation] = {managed.ownership_field: managed for managed in MANAGED_LOCATIONS}
# Where each managed value's current data is in the facts (ownership field -> facts path).
CURRENT_VALUE_AT: Dict[str, Tuple[str, ...]] = {managed.ownership_field: managed.current_at for managed in MANAGED_LOCATIONS}


def values_written_by(module: str) -> Tuple[RegistryLocation, ...]:
    """The values ``module`` writes, in table order: its ``_values`` and its before/after keys."""
    return tuple(managed for managed in MANAGED_LOCATIONS if managed.module == module)


def held_with_proxy(module: str) -> Tuple[RegistryLocation, ...]:
    """The values ``module`` sets with its proxy and removes with it (no option of their own), in table order."""
    return tuple(managed for managed in values_written_by(module) if managed.held_with_proxy is not None)


def keys_written_by(module: str) -> Tuple[str, ...]:
    """The registry keys of the values ``module`` writes, in table order (its ``.reg`` diff's sections)."""
    return tuple(dict.fromkeys(managed.path for managed in values_written_by(module)))


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


_BY_LOCATION: Dict[Tuple[str, str], RegistryLocation] = {
    (normal_key(managed.path), managed.name.lower()): managed for managed in MANAGED_LOCATIONS
}


def find_location(key: str, name: str) -> Optional[RegistryLocation]:
    """The managed value at ``key``\\``name`` (any case, with or without a hive prefix), or None."""
    return _BY_LOCATION.get((normal_key(key), name.strip().lower()))


def wininet_values(hive: str, path: str, scope: str) -> Tuple[RegistryLocation, ...]:
    """The Internet Options proxy values of one profile, read into ``wininet.<scope>``."""
    return tuple(RegistryLocation(hive, path, name, kind, ("wininet", scope, field))
                 for field, name, kind in (("proxy_enable", "ProxyEnable", "DWord"), ("proxy_server", "ProxyServer", "String"),
                                           ("auto_config_url", "AutoConfigURL", "String")))


def default_connection_settings(hive: str, profile: str, scope: str) -> RegistryLocation:
    """The Internet Options connection blob of one profile (WinINet format, not WinHttpSettings)."""
    return RegistryLocation(hive, f"{profile}\\{INTERNET_SETTINGS_KEY}\\Connections", "DefaultConnectionSettings", "Binary",
                            ("wininet", scope, "default_connection_settings"))


WININET_MACHINE = wininet_values(HKLM, INTERNET_SETTINGS_KEY, "machine")
WININET_SYSTEM_ACCOUNT = wininet_values(HKU, f"{SYSTEM_ACCOUNT_SID}\\{INTERNET_SETTINGS_KEY}", "system_account")
WININET_DEFAULT_USER = wininet_values(HKU, f"{DEFAULT_USER_SID}\\{INTERNET_SETTINGS_KEY}", "default_user")
# WinHTTP's automatic mode (WinHttpGetIEProxyConfigForCurrentUser from a service) reads these.
DEFAULT_CONNECTION_SETTINGS_SYSTEM_ACCOUNT = default_connection_settings(HKU, SYSTEM_ACCOUNT_SID, "system_account")
DEFAULT_CONNECTION_SETTINGS_DEFAULT_USER = default_connection_settings(HKU, DEFAULT_USER_SID, "default_user")


def mdm_policy_values(managed: RegistryLocation) -> Tuple[RegistryLocation, ...]:
    """Where Windows shows the MDM policy that deploys ``managed``: the policy and the provider that won it,
    as policy_sources reads them (``policy.mdm.<area>.<name>``)."""
    if managed.mdm is None:
        return ()
    area, policy = managed.mdm
    return tuple(RegistryLocation(HKLM, f"{MDM_DEVICE_KEY}\\{area}", name, "String", ("policy", "mdm", area, name))
                 for name in (policy, policy + "_WinningProvider"))


def read_entry(location: RegistryLocation) -> Dict[str, Any]:
    """One ``_registry`` entry: read ``location`` and put it at ``location.at`` of the reply.

    ``hex_data`` reports the data alone (the hex of a binary value) instead of ``{kind, data}``;
    ``only_64bit_os`` reports null on a 32-bit OS, which has no WOW6432Node view.
    """
    return {"at": list(location.at), "hive": location.hive, "path": location.path, "name": location.name,
            "hex_data": location.hex_data, "only_64bit_os": location.view == "wow64"}


# Everything device_facts reads, in the order of its reply's sections.
DEVICE_FACTS_READS: Tuple[RegistryLocation, ...] = (
    values_written_by("telemetry_proxy") + values_written_by("winhttp_proxy")
    + WININET_MACHINE + WININET_SYSTEM_ACCOUNT + WININET_DEFAULT_USER
    + (DEFAULT_CONNECTION_SETTINGS_SYSTEM_ACCOUNT, DEFAULT_CONNECTION_SETTINGS_DEFAULT_USER)
    + values_written_by("defender_av_proxy") + (RSOP_LOGGING,)
    + tuple(value for managed in MANAGED_LOCATIONS for value in mdm_policy_values(managed))
)


def device_facts_reads() -> List[Dict[str, Any]]:
    """What device_facts.ps1 reads from the registry, and where each value goes in its reply."""
    return [read_entry(location) for location in DEVICE_FACTS_READS]


# Group Policy Preferences keep a copy of each applied GPO's preference files here, per GPO GUID.
GPP_HISTORY_FOLDER = r"%ProgramData%\Microsoft\Group Policy\History"
GPP_REGISTRY_XML = r"Machine\Preferences\Registry\Registry.xml"


def device_facts_policy_option() -> Dict[str, Any]:
    """The ``_policy`` argument of device_facts.ps1: where the Group Policy evidence lives.

    ``rsop_keys`` are the registry keys whose RSoP settings are worth returning (the RSoP
    namespace holds every policy setting of the machine; the others are not needed here).
    """
    keys = sorted({managed.path for managed in MANAGED_LOCATIONS}, key=str.lower)
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
