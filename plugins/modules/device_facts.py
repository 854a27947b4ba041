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
  - The Internet Options (WinINet) proxy of the machine and of the SYSTEM account.
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
  - A virtual machine is recognised by the manufacturer, model and BIOS strings of well-known
    hypervisors (Hyper-V, VMware, VirtualBox, QEMU/KVM, Xen, Parallels, cloud providers).
  - Runs only through its action plugin (the controller half); calling the PowerShell script
    directly is not supported.
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
            - C(native) and C(wow64) (C(null) members on a 32-bit OS), each with C(raw) (upper-case hex or C(null)),
              C(decoded) (version, counter, flags, proxy, bypass, autoconfig_url, uses_proxy; C(null) when
              missing or undecodable) and C(error); C(drift) is true when the views hold different settings.
          type: dict
          sample:
            native:
              raw: 1800000000000000010000000000000000000000
              decoded: {version: 24, counter: 0, flags: 1, proxy: "", bypass: "", autoconfig_url: null, uses_proxy: false}
              error: null
            wow64:
              raw: 1800000000000000010000000000000000000000
              decoded: {version: 24, counter: 0, flags: 1, proxy: "", bypass: "", autoconfig_url: null, uses_proxy: false}
              error: null
            drift: false
        wininet:
          description: The Internet Options proxy of the machine (HKLM) and of the SYSTEM account (HKU\S-1-5-18).
          type: dict
          sample:
            machine: {proxy_enable: null, proxy_server: null, auto_config_url: null}
            system_account: {proxy_enable: 0, proxy_server: null, auto_config_url: null}
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
      description: C(native) and C(wow64) C(WinHttpSettings) as upper-case hex, C(null) when absent.
      type: dict
    wininet:
      description: C(machine) and C(system_account), each with C(proxy_enable), C(proxy_server), C(auto_config_url) as C({kind, data}) or C(null).
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
