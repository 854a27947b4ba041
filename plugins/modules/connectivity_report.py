# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# The module is an action plugin only (it runs on the controller); this file holds its
# documentation only.

DOCUMENTATION = r"""
---
module: connectivity_report
short_description: Write fleet reports of purview.device_proxy.connectivity_test results on the controller
description:
  - Collects the registered results of M(purview.device_proxy.connectivity_test) from every host of
    the play and writes, on the controller, in O(dest) one analyzer-style text file per host
    (C(hosts/<host>.txt)), a fleet JSON (C(connectivity-fleet.json)), a JUnit XML with one test case
    per host and URL (C(connectivity-junit.xml)) and a self-contained HTML matrix of hosts by URLs,
    failures first, filterable and paginated (C(connectivity-fleet.html)).
  - Hosts without a result (unreachable, or failed before the test) are listed as such.
  - Files are rewritten only when their content changes. Run it once per play (C(run_once)).
version_added: 0.1.0
author:
  - purview.device_proxy maintainers (@purview-device-proxy)
options:
  dest:
    description: The report directory on the controller; created when missing.
    type: path
    required: true
  hosts:
    description:
      - The hosts to report on. Defaults to every host of the play (C(ansible_play_hosts_all)).
    type: list
    elements: str
  result_var:
    description: The name of the variable each host registered the connectivity_test result in.
    type: str
    default: connectivity_check_result
  results:
    description:
      - The results as a dictionary of host name to connectivity_test result, instead of reading
        O(result_var) from each host.
    type: dict
  formats:
    description: The reports to write.
    type: list
    elements: str
    choices: [text, json, junit, html]
    default: [text, json, junit, html]
  fail_verdict:
    description: Which verdict marks a URL as failed in the fleet JSON, JUnit and HTML.
    type: str
    default: strict
    choices: [strict, analyzer]
  fail_policy:
    description:
      - Which URL failures RV(policy_failures) lists per host. V(any) every URL failing O(fail_verdict),
        V(required) only URLs the catalog marks as required, V(never) none.
      - The action itself never fails because of them; a later task decides (the role
        C(purview.device_proxy.connectivity_check) fails those hosts after the reports are written).
    type: str
    default: never
    choices: [any, required, never]
  title:
    description: The report title.
    type: str
    default: Defender for Endpoint connectivity
  legacy_text:
    description: Write the per-host text in the analyzer's older spelling.
    type: bool
    default: false
notes:
  - Supports check mode (nothing is written; RV(changed_files) lists what would change) and diff
    (file names and sizes).
  - The action runs on the controller whatever the connection of the host is.
seealso:
  - module: purview.device_proxy.connectivity_test
"""

EXAMPLES = r"""
- name: Test every host
  purview.device_proxy.connectivity_test:
  become: true
  become_method: ansible.builtin.runas
  become_user: SYSTEM
  register: connectivity_check_result

- name: Write the fleet reports once
  purview.device_proxy.connectivity_report:
    dest: "{{ playbook_dir }}/reports/connectivity"
  run_once: true
"""

RETURN = r"""
dest:
  description: The report directory.
  returned: always
  type: str
changed_files:
  description: Report files (relative to O(dest)) that were written (would be, in check mode).
  returned: success
  type: list
  elements: str
sizes:
  description: Size in bytes of every report file, by relative path.
  returned: success
  type: dict
totals:
  description: Fleet counts (hosts, tested, no_result, passed, failed, urls, cells, failed_cells).
  returned: success
  type: dict
policy_failures:
  description: For every tested host, the URLs that fail it under O(fail_policy) (an empty list when it passes).
  returned: success
  type: dict
  sample: {"win10-01.corp.example": ["https://winatp-gw-cus.microsoft.com/commands/test"], "win10-02.corp.example": []}
failed_hosts:
  description: Hosts that failed the fleet verdict, and hosts without a result.
  returned: success
  type: list
  elements: str
"""
