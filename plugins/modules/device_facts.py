# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# The module is device_facts.ps1 (target) with the action plugin of the same name (controller);
# this file holds its documentation only.

DOCUMENTATION = r"""
---
module: device_facts
short_description: Gather the proxy configuration and topology facts of a Windows device
description:
  - Reads, in one round trip and without changing anything, everything the collection decides on
    and returns it as C(ansible_facts.purview_device_proxy).
  - The registry-based static proxy of the Defender for Endpoint sensor (C(TelemetryProxyServer),
    C(DisableEnterpriseAuthProxy), C(PreferStaticProxyForHttpRequest)).
  - The WinHTTP default proxy of both registry views (native and C(WOW6432Node)), raw and decoded on
    the controller, and whether the two views differ.
  - The Internet Options (WinINet) proxy of the machine, of the SYSTEM account and of C(HKU\.DEFAULT),
    and the C(Connections\DefaultConnectionSettings) blob of the SYSTEM account and C(HKU\.DEFAULT) (what
    WinHTTP's automatic mode reads), decoded on the controller.
  - The Defender Antivirus proxy values (C(ProxyServer), C(ProxyPacUrl), C(ProxyBypass), C(Spynet\SSLOptions)).
  - Who owns each value the collection manages, from the Group Policy evidence the device holds, namely the
    Resultant Set of Policy (C(root\rsop\computer), C(RSOP_RegistryPolicySetting) and C(RSOP_GPO), when it
    can be read), the local Group Policy file C(Machine\Registry.pol) (returned as bytes and parsed on
    the controller, through C(Sysnative) when the host process is 32-bit), the MDM policies in
    C(PolicyManager\current\device) (C(System/TelemetryProxy), C(System/DisableEnterpriseAuthProxy) and the
    Defender Antivirus ADMX policies) and the Group Policy Preferences C(Registry.xml) of each applied GPO.
  - SMBIOS chassis types, C(PCSystemType), battery presence and whether the machine is virtual, with
    the derived topology (C(roaming) or C(stable)) and the evidence for it.
  - The state of the sensor (C(Sense)) and telemetry (C(DiagTrack)) services, and the OS build.
  - The target only reads raw values (registry values, WMI properties); decoding and every
    conclusion (virtual machine, topology, drift) happen on the controller.
version_added: 0.1.0
author:
  - purview.device_proxy maintainers (@purview-device-proxy)
options: {}
notes:
  - Check mode is supported (nothing is ever changed); diff has nothing to show.
  - RSoP needs an elevated token and RSoP logging (on by default); when it cannot be read, domain GPO
    owners are reported as not known (C(unread)) and the reason is in C(policy.rsop.error), never taken
    for "no owner". An RSoP answer that lists no GPO at all (its data never written) and RSoP logging
    turned off by policy (C(RSoPLogging) = 0 under C(HKLM\Software\Policies\Microsoft\Windows\System))
    are not known either, with the reason in C(unread) and C(findings).
  - RSoP and C(Registry.pol) deletion instructions (C(**del.), C(**delvals.), C(**DeleteValues),
    C(**DeleteKeys), in any letter case) own the values they delete.
  - A malformed C(Registry.pol) record does not hide the others. When only its content is wrong (its
    brackets, separators and size are in place), that record alone is lost and reading goes on; after a
    framing error nothing further is read, because the format has no marker to find the next record by
    (a C([) may sit inside a name or data). Each bad record is a finding with its byte offset, and the
    values it may have set are C(unread).
  - A C(WinHttpSettings) value of another kind than C(REG_BINARY) is reported as such in C(error), not decoded.
  - A virtual machine is recognised by the manufacturer, model and BIOS strings of well-known
    hypervisors (Hyper-V, VMware, VirtualBox, QEMU/KVM, Xen, Parallels, cloud providers).
attributes:
  check_mode:
    support: full
    details: Nothing on the device is ever changed, so the facts are gathered in check mode too.
  diff_mode:
    support: none
    details: Nothing is changed, so there is no difference to show.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - purview.device_proxy.windows_target
seealso:
  - module: purview.device_proxy.telemetry_proxy
  - module: purview.device_proxy.winhttp_proxy
"""

EXAMPLES = r"""
- name: Gather the facts
  purview.device_proxy.device_facts:

- name: Show the topology and why
  ansible.builtin.debug:
    msg: >-
      {{ ansible_facts.purview_device_proxy.topology }}:
      {{ ansible_facts.purview_device_proxy.topology_evidence | join('; ') }}

- name: Set the WinHTTP proxy only where it is safe
  purview.device_proxy.winhttp_proxy:
    proxy: 10.0.0.6:8080
    device_topology: "{{ ansible_facts.purview_device_proxy.topology }}"
"""

RETURN = r"""
ansible_facts:
  description: The facts.
  returned: always
  type: dict
  contains:
    purview_device_proxy:
      description: Proxy configuration and topology of the device.
      returned: always
      type: dict
      contains:
        telemetry_proxy:
          description: The registry-based static proxy values, C(null) when not set.
          type: dict
          sample: {server: "10.0.0.6:8080", disable_enterprise_auth_proxy: 1, prefer_static_proxy_for_http_request: null}
        winhttp:
          description:
            - C(native) and C(wow64) (C(null) members on a 32-bit OS), each with C(raw) (upper-case hex or C(null);
              C(null) with an C(error) naming the kind for a value that is not C(REG_BINARY)),
              C(decoded) (version, counter, flags, proxy, bypass, autoconfig_url, uses_proxy, and trailing, the hex of
              bytes after the known fields, kept as read; C(null) when
              missing or undecodable) and C(error); C(drift) is true when the views hold different settings.
          type: dict
          sample:
            native:
              raw: 1800000000000000010000000000000000000000
              decoded: {version: 24, counter: 0, flags: 1, proxy: "", bypass: "", autoconfig_url: null, uses_proxy: false,
                        trailing: ""}
              error: null
            wow64:
              raw: 1800000000000000010000000000000000000000
              decoded: {version: 24, counter: 0, flags: 1, proxy: "", bypass: "", autoconfig_url: null, uses_proxy: false,
                        trailing: ""}
              error: null
            drift: false
        wininet:
          description:
            - The Internet Options proxy of the machine (C(machine), HKLM), of the SYSTEM account (C(system_account),
              HKU\S-1-5-18) and of C(default_user) (HKU\.DEFAULT).
            - C(system_account) and C(default_user) also have C(default_connection_settings), the
              C(Connections\DefaultConnectionSettings) value as C({raw, decoded, error}); C(decoded) holds version,
              counter, flags, proxy_enabled, auto_config_enabled, auto_detect, proxy, bypass and autoconfig_url
              (the strings are kept while their flag is off). This is the WinINet format, not C(WinHttpSettings).
          type: dict
          sample:
            machine: {proxy_enable: null, proxy_server: null, auto_config_url: null}
            system_account:
              proxy_enable: 0
              proxy_server: null
              auto_config_url: null
              default_connection_settings:
                raw: 460000003A000000010000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
                decoded: {version: 70, counter: 58, flags: 1, proxy_enabled: false, auto_config_enabled: false,
                          auto_detect: false, proxy: "", bypass: "", autoconfig_url: ""}
                error: null
            default_user:
              proxy_enable: null
              proxy_server: null
              auto_config_url: null
              default_connection_settings: {raw: null, decoded: null, error: null}
        defender_av:
          description: Defender Antivirus's own proxy values, C(null) when not set (C(ssl_options) is C(Spynet\SSLOptions)).
          type: dict
          sample: {proxy_server: "http://proxy.corp.example:3128", proxy_pac_url: null, proxy_bypass: null, ssl_options: null}
        policy:
          description:
            - The ownership evidence in the shape C(plugins/plugin_utils/policy_sources.py) documents, for the plan to
              resolve again. C(rsop) (C({settings, gpos, error, logging_policy}), the settings limited to the keys of
              the managed values, C(logging_policy) the C(RSoPLogging) policy value as C({kind, data}) or C(null)),
              C(local_registry_pol) (the local C(Registry.pol) as upper-case hex, C("") when the file does not
              exist, C(null) when it could not be read), C(mdm) (per area and value name, C({kind, data}) or C(null)) and
              C(gpp) (C([{gpo_id, gpo_name, xml}]), C(null) when not read).
          type: dict
          sample:
            rsop: {settings: [], gpos: [{id: LocalGPO, name: Local Group Policy, guidName: LocalGPO}], error: null,
                   logging_policy: null}
            local_registry_pol: ""
            mdm: {System: {TelemetryProxy: null, TelemetryProxy_WinningProvider: null}}
            gpp: []
        ownership:
          description:
            - Who sets each managed value, resolved from C(policy) with C(resolve_ownership). C(values) is keyed by
              C(telemetry_proxy_server), C(disable_enterprise_auth_proxy), C(prefer_static_proxy_for_http_request),
              C(winhttp_settings), C(winhttp_settings_wow64), C(defender_proxy_server), C(defender_proxy_pac_url),
              C(defender_proxy_bypass) and C(defender_ssl_options).
            - Each value has C(location), C(source) (C(domain_gpo), C(local_gpo), C(gpp), C(mdm), C(none), or C(unknown)
              when a source could not be read), C(owners) (each C({source, name, action, kind, value, enforced,
              detail}), the winning owner first), C(unread) (the sources not read), C(current) (the value the device
              holds, as in the other facts) and C(policy_value_in_place) (whether the first enforcing owner's value is
              the current one; C(null) when no policy enforces the value).
            - C(findings) are C({severity, message}), such as the MDM C(TelemetryProxyServer) caveat.
          type: dict
          sample:
            values:
              telemetry_proxy_server:
                location: HKLM\SOFTWARE\Policies\Microsoft\Windows\DataCollection\TelemetryProxyServer
                source: domain_gpo
                owners:
                  - {source: domain_gpo, name: Workstations - Proxy, action: set, kind: String,
                     value: "proxy.corp.example:3128", enforced: true, detail: RSoP precedence 1}
                unread: []
                current: "proxy.corp.example:3128"
                policy_value_in_place: true
            findings: []
        hardware:
          description: SMBIOS chassis types, PCSystemType (2 is mobile), battery, virtual machine, manufacturer, model.
          type: dict
          sample: {chassis_types: [10], pc_system_type: 2, has_battery: true, is_virtual: false,
                   manufacturer: "LENOVO", model: "20XW0026GE"}
        topology:
          description:
            - C(roaming) (the device moves between networks) or C(stable).
            - C(unknown) when the device reported no chassis type, PCSystemType or battery at all;
              M(purview.device_proxy.winhttp_proxy) refuses a static proxy for it, as for a roaming device.
          type: str
          sample: roaming
        topology_evidence:
          description: The facts the topology was derived from.
          type: list
          elements: str
          sample: ["chassis type 10 (Notebook) is portable", "PCSystemType 2 (Mobile) is a mobile system"]
        services:
          description: C(sense) and C(diagtrack), each C({state, start_mode}) with C(null) members when not installed.
          type: dict
          sample: {sense: {state: Running, start_mode: Auto}, diagtrack: {state: Running, start_mode: Auto}}
        os:
          description: Build number, version, caption (localized) and architecture (C(64-bit) or C(32-bit)).
          type: dict
          sample: {build: 22631, version: "10.0.22631", caption: "Microsoft Windows 11 Enterprise", architecture: 64-bit}
raw:
  description: The target's reply, before decoding.
  returned: always
  type: dict
  contains:
    telemetry_proxy:
      description: C(server), C(disable_enterprise_auth_proxy), C(prefer_static_proxy_for_http_request), each C({kind, data}) or C(null).
      type: dict
    winhttp:
      description:
        - C(native) and C(wow64) C(WinHttpSettings) as upper-case hex, C(null) when absent; a value of another kind
          than C(REG_BINARY) as C({kind, data}).
      type: dict
    wininet:
      description:
        - C(machine), C(system_account) and C(default_user), each with C(proxy_enable), C(proxy_server),
          C(auto_config_url) as C({kind, data}) or C(null); C(system_account) and C(default_user) also with
          C(default_connection_settings).
      type: dict
    defender_av:
      description: C(proxy_server), C(proxy_pac_url), C(proxy_bypass), C(ssl_options), each C({kind, data}) or C(null).
      type: dict
    policy:
      description:
        - C(rsop), C(mdm) and C(gpp) as in the C(policy) fact; C(local_registry_pol) is base64 here (C("") when the
          file does not exist, C(null) when unreadable) and hex in the fact.
      type: dict
    hardware:
      description: C(chassis_types), C(pc_system_type), C(battery_count), C(manufacturer), C(model), C(bios_manufacturer), C(bios_version) as WMI reports them.
      type: dict
    services:
      description: C(sense) and C(diagtrack), each C({state, start_mode}) or C(null) when not installed.
      type: dict
    os:
      description: C(build_number), C(version), C(caption) and C(is_64bit).
      type: dict
    errors:
      description: WMI classes that could not be read, with the reason; their facts are C(null).
      type: list
      elements: str
"""
