# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# The module is telemetry_proxy.ps1 (target) with the action plugin of the same name (controller);
# this file holds its documentation only.

DOCUMENTATION = r"""
---
module: telemetry_proxy
short_description: Set the registry-based static proxy of the Defender for Endpoint sensor
description:
  - Sets or removes the registry-based static proxy that the Microsoft Defender for Endpoint sensor
    (Sense) and Endpoint DLP use, the equivalent of the Group Policies
    C(Configure connected user experiences and telemetry) and
    C(Configure Authenticated Proxy usage for the Connected User Experience and Telemetry Service).
  - With O(state=present) it sets C(TelemetryProxyServer) (REG_SZ, C(host:port)) and
    C(DisableEnterpriseAuthProxy) (REG_DWORD C(1)) under
    C(HKLM\SOFTWARE\Policies\Microsoft\Windows\DataCollection). With O(state=absent) it removes
    exactly those two values and nothing else in the key.
  - The proxy address is validated and normalised on the controller (lower-cased host, C(host:port),
    no scheme) before the host is contacted; the target only reads and writes the exact values.
  - The sensor falls back to a direct connection when this proxy cannot be reached, which is why
    this method suits devices that move between networks, unlike a system-wide WinHTTP proxy.
version_added: 0.1.0
author:
  - purview.device_proxy maintainers (@purview-device-proxy)
options:
  state:
    description:
      - V(present) sets the proxy values, V(absent) removes C(TelemetryProxyServer) and
        C(DisableEnterpriseAuthProxy).
    type: str
    choices: [present, absent]
    default: present
  proxy:
    description:
      - The proxy as C(host:port) (DNS name, IPv4 address or bracketed IPv6 address), for example
        C(10.0.0.6:8080). No scheme, no credentials, one proxy only.
      - Required with O(state=present); not allowed with O(state=absent).
    type: str
  prefer_static_proxy_for_http_request:
    description:
      - Manage C(PreferStaticProxyForHttpRequest) (REG_DWORD) under
        C(HKLM\SOFTWARE\Policies\Microsoft\Windows Advanced Threat Protection).
      - V(true) sets it to C(1), which Microsoft asks for on devices whose operating system has no
        other route to the certificate revocation and update hosts (sensor 10.8210 or 10.8049 and
        later). V(false) removes it. When not given the value is left as it is.
      - V(true) is not allowed with O(state=absent).
    type: bool
notes:
  - Microsoft asks not to deploy C(TelemetryProxyServer) through MDM/Intune, because the sensor reads
    the Group Policy registry location that this module writes.
  - Removing C(DisableEnterpriseAuthProxy) also removes a value that security baselines (CIS)
    require; re-apply the baseline afterwards if it owns that value.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - purview.device_proxy.windows_target
  - purview.device_proxy.registry_values
seealso:
  - module: purview.device_proxy.winhttp_proxy
  - module: purview.device_proxy.device_facts
"""

EXAMPLES = r"""
- name: Send sensor traffic through the corporate proxy
  purview.device_proxy.telemetry_proxy:
    proxy: proxy.corp.example:3128

- name: The same for devices without any other route to the CRL and update hosts
  purview.device_proxy.telemetry_proxy:
    proxy: 10.0.0.6:8080
    prefer_static_proxy_for_http_request: true

- name: Remove the proxy values (and the preference for the static proxy)
  purview.device_proxy.telemetry_proxy:
    state: absent
    prefer_static_proxy_for_http_request: false
"""

RETURN = r"""
before:
  description: The values before the task, as the target read them (C(null) when a value is not set).
  returned: success
  type: dict
  contains:
    server:
      description: C(TelemetryProxyServer).
      type: str
      sample: 10.0.0.6:8080
    disable_enterprise_auth_proxy:
      description: C(DisableEnterpriseAuthProxy).
      type: int
      sample: 1
    prefer_static_proxy_for_http_request:
      description: C(PreferStaticProxyForHttpRequest).
      type: int
      sample: null
after:
  description:
    - The values after the task, same keys as RV(before).
    - In check mode, the values the task would have set.
  returned: success
  type: dict
  sample:
    server: 10.0.0.6:8080
    disable_enterprise_auth_proxy: 1
    prefer_static_proxy_for_http_request: null
raw:
  description: The target's reply, as it read the registry before and after any write.
  returned: success
  type: dict
  contains:
    values:
      description: One entry per registry value, in the order the controller asked for them.
      type: list
      elements: dict
      contains:
        path:
          description: Key under C(HKLM).
          type: str
          sample: SOFTWARE\Policies\Microsoft\Windows\DataCollection
        name:
          description: Value name.
          type: str
          sample: TelemetryProxyServer
        before:
          description: C({kind, data}) before the task, C(null) when the value did not exist.
          type: dict
          sample: {kind: String, data: "10.0.0.6:8080"}
        after:
          description: C({kind, data}) after the task (unchanged in check mode), C(null) when absent.
          type: dict
          sample: {kind: String, data: "10.0.0.6:8080"}
"""
