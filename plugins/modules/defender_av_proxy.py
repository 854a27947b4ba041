# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# The module is defender_av_proxy.ps1 (target) with the action plugin of the same name (controller);
# this file holds its documentation only.

DOCUMENTATION = r"""
---
module: defender_av_proxy
short_description: Set the proxy that Microsoft Defender Antivirus uses for cloud protection
description:
  - Sets or removes the proxy settings of Microsoft Defender Antivirus (cloud-delivered protection,
    MAPS), the equivalent of the Group Policies under Windows Components > Microsoft Defender Antivirus
    C(Define proxy server for connecting to the network),
    "Define proxy auto-config (.pac) for connecting to the network" and
    C(Define addresses to bypass proxy server).
  - The values are C(ProxyServer), C(ProxyPacUrl) and C(ProxyBypass) (REG_SZ) under
    C(HKLM\SOFTWARE\Policies\Microsoft\Windows Defender), and on request C(SSLOptions) (REG_DWORD) under
    C(HKLM\SOFTWARE\Policies\Microsoft\Windows Defender\Spynet).
  - Defender Antivirus does not use the sensor's C(TelemetryProxyServer) (set by
    M(purview.device_proxy.telemetry_proxy)). Without a system-wide WinHTTP proxy, typically on roaming
    devices that have only the sensor's static proxy, cloud protection cannot reach the service unless
    Defender Antivirus has its own proxy.
  - Every address is validated and normalised on the controller with the collection's proxy address
    model before the host is contacted; the target only reads and writes the exact values.
  - This is a module of its own rather than an option of M(purview.device_proxy.telemetry_proxy), because
    the values belong to another product with another format (a URL with a scheme instead of
    C(host:port)), another registry key and another Group Policy, and the decision to set them differs
    (they are needed only where no system-wide WinHTTP proxy carries Defender Antivirus). A separate
    module keeps each module's C(changed), diff and rollback about one product's settings.
version_added: 0.2.0
author:
  - purview.device_proxy maintainers (@purview-device-proxy)
options:
  state:
    description:
      - V(present) sets the values given; values whose option is not given are left as they are.
      - V(absent) removes C(ProxyServer), C(ProxyPacUrl) and C(ProxyBypass) and nothing else in the key.
    type: str
    choices: [present, absent]
    default: present
  proxy_server:
    description:
      - The proxy as a URL with scheme, C(http://host:port) or C(https://host:port), for example
        C(http://10.0.0.6:8080). The scheme is required (unlike C(TelemetryProxyServer)); the host is a
        DNS name, an IPv4 address or a bracketed IPv6 address; no credentials, no path.
      - An empty string removes C(ProxyServer).
      - With O(state=present), O(proxy_server) or O(proxy_pac_url) must be a non-empty value.
    type: str
  proxy_pac_url:
    description:
      - The URL of a proxy auto-config (PAC) file, C(http://) or C(https://), for example
        C(http://wpad.corp.example/proxy.pac). No credentials; characters outside the URL syntax must be
        percent-encoded.
      - An empty string removes C(ProxyPacUrl).
      - Defender Antivirus tries the static proxy first, then the PAC file.
    type: str
  proxy_bypass:
    description:
      - Addresses that do not use O(proxy_server), as a list of host names, wildcards such as
        C(*.corp.example), IPv4 addresses or patterns such as C(10.*), or IPv6 addresses.
      - Written as one REG_SZ with the entries separated by C(;). Microsoft documents the policy as a list
        but not the separator in the registry value; C(;) is what the other Windows proxy settings use.
      - Needs O(proxy_server) in the same task (a PAC file decides its own bypass). An empty list removes
        C(ProxyBypass).
    type: list
    elements: str
  ssl_options:
    description:
      - Set C(SSLOptions) under C(Spynet). Never set unless given.
      - V(3) (the Windows default) keeps certificate pinning and revocation checks; V(2) turns off the
        revocation checks only; V(1) turns off pinning; V(0) turns off both.
      - Microsoft's proxy page recommends V(2) for devices whose operating system has no other route to the
        certificate revocation lists, while the streamlined URL page says V(0). Both weaken security, V(2)
        less than V(0); the task warns whenever a value other than V(3) is given. Prefer giving the
        operating system a route to the revocation lists instead.
      - Not allowed with O(state=absent) or O(reset_ssl_options).
    type: int
    choices: [0, 1, 2, 3]
  reset_ssl_options:
    description:
      - V(true) removes C(SSLOptions), which restores the Windows default (pinning and revocation checks on).
    type: bool
    default: false
notes:
  - When a Group Policy or an MDM policy owns these values, the next policy refresh puts the policy's
    values back; change them in that policy instead.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - purview.device_proxy.windows_target
  - purview.device_proxy.registry_values
seealso:
  - module: purview.device_proxy.telemetry_proxy
  - module: purview.device_proxy.winhttp_proxy
  - name: Configure Microsoft Defender Antivirus network connections
    description: Microsoft's page on the Defender Antivirus proxy and C(SSLOptions).
    link: https://learn.microsoft.com/en-us/defender-endpoint/configure-network-connections-microsoft-defender-antivirus
"""

EXAMPLES = r"""
- name: Give Defender Antivirus the corporate proxy (roaming devices without a system-wide WinHTTP proxy)
  purview.device_proxy.defender_av_proxy:
    proxy_server: http://proxy.corp.example:3128
    proxy_bypass:
      - "*.corp.example"
      - "10.*"

- name: Use a PAC file instead
  purview.device_proxy.defender_av_proxy:
    proxy_pac_url: http://wpad.corp.example/proxy.pac

- name: An offline device that cannot fetch revocation lists, accepting the documented trade-off
  purview.device_proxy.defender_av_proxy:
    proxy_server: http://10.0.0.6:8080
    ssl_options: 2

- name: Remove the Defender Antivirus proxy values and restore the default TLS checks
  purview.device_proxy.defender_av_proxy:
    state: absent
    reset_ssl_options: true
"""

RETURN = r"""
before:
  description: The values before the task, as the target read them (C(null) when a value is not set).
  returned: success
  type: dict
  contains:
    proxy_server:
      description: C(ProxyServer).
      type: str
      sample: http://10.0.0.6:8080
    proxy_pac_url:
      description: C(ProxyPacUrl).
      type: str
      sample: null
    proxy_bypass:
      description: C(ProxyBypass), the registry text.
      type: str
      sample: "*.corp.example;10.*"
    ssl_options:
      description: C(Spynet\SSLOptions).
      type: int
      sample: null
after:
  description:
    - The values after the task, same keys as RV(before).
    - In check mode, the values the task would have set.
  returned: success
  type: dict
  sample:
    proxy_server: http://10.0.0.6:8080
    proxy_pac_url: null
    proxy_bypass: null
    ssl_options: null
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
          sample: SOFTWARE\Policies\Microsoft\Windows Defender
        name:
          description: Value name.
          type: str
          sample: ProxyServer
        before:
          description: C({kind, data}) before the task, C(null) when the value did not exist.
          type: dict
          sample: {kind: String, data: "http://10.0.0.6:8080"}
        after:
          description: C({kind, data}) after the task (unchanged in check mode), C(null) when absent.
          type: dict
          sample: {kind: String, data: "http://10.0.0.6:8080"}
"""
