# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

# The module is an action plugin only (it runs on the controller); this file holds its
# documentation only.

DOCUMENTATION = r"""
---
module: group_policy_export
short_description: Write the device proxy plan as Group Policy files, one folder per device class
description:
  - For fleets managed with Group Policy instead of WinRM. Groups the devices into classes - a site
    (devices with the same plan inputs) and a topology (stable, roaming, or unknown to the collection,
    as each device's own plan resolves it; virtual machines are stable) - and writes, per class, into
    C(<dest>/<class>/) a machine C(Registry.pol), C(wmi-filter.txt), C(computers.txt) and C(README.md)
    with the import instructions (GPMC, or C(LGPO.exe /m) for stand-alone devices); plus
    C(winhttp-startup.cmd) for stable devices that get the system-wide WinHTTP proxy.
  - Every value comes from the plan (P(purview.device_proxy.device_proxy_plan#filter)'s decision function),
    run on a device of the class with nothing configured. C(Registry.pol) holds the registry-based static
    proxy (C(TelemetryProxyServer), C(DisableEnterpriseAuthProxy)), C(PreferStaticProxyForHttpRequest)
    and Defender Antivirus's proxy where the plan sets them. It never deletes a value.
  - The system-wide WinHTTP proxy is never rendered for roaming or unknown devices, even when
    C(winhttp_force) forces it on single devices; the README says why. C(WinHttpSettings) is not a policy
    value, so stable devices get a startup script running C(netsh winhttp set proxy).
  - A WMI filter cannot express the topology rules exactly (one filter per GPO, its queries ANDed, no OR
    across classes, no test for absent instances, no arrays such as ChassisTypes). Each C(wmi-filter.txt)
    says what its query cannot see and which devices of the export it gets wrong; security-group
    filtering with C(computers.txt) is the exact scope.
  - Runs on the controller and contacts no device. Files are rewritten only when their content changes;
    check mode writes nothing. Run it once per play (C(run_once)).
version_added: 0.1.0
author:
  - purview.device_proxy maintainers (@purview-device-proxy)
options:
  dest:
    description: The folder to write into on the controller; created when missing.
    type: path
    required: true
  devices:
    description:
      - Per device name, its C(facts) (as M(purview.device_proxy.device_facts) returns them, or a CMDB
        export of them) and its plan C(inputs) (the options of P(purview.device_proxy.device_proxy_plan#filter)).
    type: dict
    required: true
notes:
  - Nothing here runs on Windows; the files are checked against Samba's Registry.pol parser and the
    WMI queries against the topology rules in the collection's tests, not on a domain controller.
attributes:
  check_mode:
    support: full
    details: Nothing is written; RV(changed_files) lists the files that would be.
  diff_mode:
    support: full
    details: The names and sizes of the files that change.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - purview.device_proxy.controller_only
seealso:
  - name: Registry Policy File Format
    description: The format of the Registry.pol files written here.
    link: https://learn.microsoft.com/en-us/previous-versions/windows/desktop/policy/registry-policy-file-format
  - name: Microsoft Security Compliance Toolkit (LGPO.exe)
    description: LGPO.exe imports a Registry.pol into local policy (C(/m)) and exports a GPO backup (C(/b)).
    link: >-
      https://learn.microsoft.com/en-us/windows/security/operating-system-security/device-management/windows-security-configuration-framework/security-compliance-toolkit-10
"""

EXAMPLES = r"""
- name: Write the Group Policy files of every device of the play
  purview.device_proxy.group_policy_export:
    dest: /srv/handover/group-policy
    devices: "{{ dict(ansible_play_hosts_all | zip(ansible_play_hosts_all | map('extract', hostvars) | map(attribute='gpo_device'))) }}"
  run_once: true
  delegate_to: localhost
"""

RETURN = r"""
dest:
  description: The folder written into.
  returned: success
  type: str
classes:
  description: One entry per device class.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: The class, also its folder name (C(<site>-<topology>)).
      type: str
      sample: static-10.0.0.6-8080-roaming
    topology:
      description: V(stable), V(roaming) or V(unknown).
      type: str
    hosts:
      description: The devices of the class.
      type: list
      elements: str
    values:
      description: The Registry.pol values (key, name, kind, value, the Group Policy that writes it).
      type: list
      elements: dict
    winhttp:
      description: V(startup_script), V(refused) (with the reason) or V(none).
      type: str
    wmi_query:
      description: The WMI filter query; null when no filter can select the class.
      type: str
    misclassified:
      description: Devices of the export the WMI filter selects though not of the class (C(selected)) or leaves out (C(missed)).
      type: dict
changed_files:
  description: The files written (or, in check mode, that would be).
  returned: success
  type: list
  elements: str
"""
