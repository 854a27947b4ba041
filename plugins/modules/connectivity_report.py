# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

# The module is an action plugin only (it runs on the controller); this file holds its
# documentation only.

DOCUMENTATION = r"""
---
module: connectivity_report
short_description: Write fleet reports of device_connectivity_probe or network_url_probe results on the controller
description:
  - Collects the registered results of M(purview.device_proxy.device_connectivity_probe) from every host of
    the play (or, with O(source=network), of M(purview.device_proxy.network_url_probe)) and writes, on the
    controller, in O(dest) one analyzer-style text file per host (C(hosts/<host>.txt)), a fleet JSON
    (C(connectivity-fleet.json)), a JUnit XML with one test case per host and URL (C(connectivity-junit.xml))
    and a self-contained HTML matrix of hosts by URLs, failures first, filterable and paginated
    (C(connectivity-fleet.html)), and a short text summary (C(connectivity-summary.txt)).
  - With O(history_dir), every run leaves a digest in that folder (the newest O(history_keep) are
    kept) and the reports say what changed since the previous run - new failures, recoveries, hosts
    that appeared or disappeared, URLs a catalog change added or removed, configured-method changes -
    with the changed cells marked and a per-URL trend chart in the HTML.
  - With O(metrics_file), a Prometheus text-format file for node_exporter's textfile collector.
  - Hosts without a result (unreachable, or failed before the test) are listed as such.
  - With O(source=network), each host's network_url_probe result is converted to the per-host shape the reports
    read for a device (no report of its own). Its routes become the analyzer's methods (C(environment) 1 -
    Default proxy, C(pac) 2 - Proxy auto discovery, C(direct) 3 - Proxy disabled, C(named) 4 - Named proxy;
    method 5 has no network-side route and is C(not_requested)), its categories keep their failure-kind words,
    and the strict verdict judges the most specific proxy route that ran (named, then pac, then environment,
    then direct).
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
    description:
      - The name of the variable each host registered the device_connectivity_probe result in (the
        network_url_probe result with O(source=network)).
    type: str
    default: connectivity_check_result
  results:
    description:
      - The results as a dictionary of host name to device_connectivity_probe result, instead of reading
        O(result_var) from each host.
      - The RV(purview.device_proxy.analyzer_results#module:results) of M(purview.device_proxy.analyzer_results)
        (devices without WinRM, read from Microsoft client analyzer files) go here too; such hosts have no
        strict verdict, so use O(fail_verdict=analyzer) for them.
      - With O(source=network), a dictionary of host name to network_url_probe result.
    type: dict
  source:
    description:
      - Which module's results the hosts carry. V(device) - M(purview.device_proxy.device_connectivity_probe)
        (or M(purview.device_proxy.analyzer_results)). V(network) -
        M(purview.device_proxy.network_url_probe), registered unchanged on each Linux or macOS host that probed.
      - A result of the other kind, a loop's registered results, or a result with a field of the wrong type or an
        unknown route or category fails the task naming the host and the field; write one report per kind.
      - With V(network), a failed task without probes (a wrong option, an unreachable host) and a run in which no
        probe ran are hosts without a result; a task that failed only its
        O(purview.device_proxy.network_url_probe#module:require) check still reports its probes.
    type: str
    choices: [device, network]
    default: device
  formats:
    description: The reports to write.
    type: list
    elements: str
    choices: [text, summary, json, junit, html]
    default: [text, summary, json, junit, html]
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
  history_dir:
    description:
      - A folder on the controller for the run history (created when missing). Each run adds one
        entry (C(run-<time>-<pid>-<random>.jsonl), written atomically and fsynced under a unique name, so two
        runs at once cannot corrupt it) and the reports compare this run with the newest earlier
        entry. Unset, no history is kept or read.
      - Only names of exactly that form are entries, ordered by the run time inside them (an entry dated
        more than an hour after the run is not used). An entry of another history schema version, with a
        field of the wrong type or range, a link, a FIFO or a file over the size limit is not used and never
        removed; the task warns naming the file and the field, and writes the reports all the same.
      - A C(connectivity-fleet.json) copied into the folder under an entry's name (for example
        C(run-20260101T000000.000000Z-0-00000000.jsonl)) is read as an entry, to seed the history.
    type: path
  history_keep:
    description:
      - How many history entries to keep (the newest, this run's own entry always among them); older
        usable ones are removed after each run.
    type: int
    default: 10
  metrics_file:
    description:
      - Write the fleet metrics in the Prometheus text format to this file (atomically), for example
        into node_exporter's C(--collector.textfile.directory). The name must end in C(.prom).
      - Series (all gauges) - C(purview_connectivity_url_failing_hosts{url,channel,required}),
        C(purview_connectivity_channel_failing_hosts{channel}), C(purview_connectivity_host_failed_urls{host}),
        C(purview_connectivity_host_tested{host}), C(purview_connectivity_host_configured_method{host,method}),
        C(purview_connectivity_host_last_run_timestamp_seconds{host}), C(purview_connectivity_hosts{state}),
        C(purview_connectivity_run_duration_seconds), C(purview_connectivity_run_timestamp_seconds) and,
        with a history, C(purview_connectivity_changes{kind}).
    type: path
notes:
  - Proxy settings a device reports with user information (C(http://user:password@proxy:8080)) are masked
    (C(http://***@proxy:8080)) in every report and in the task result; host names, errors and texts from
    devices reach the text reports and messages without control characters or terminal escapes.
  - The HTML report carries a Content-Security-Policy that allows only its own inline script and style.
  - Supports check mode (nothing is written, no history entry is added or removed; RV(changed_files)
    lists what would change) and diff (file names and sizes).
  - With a history every run is a change (a new entry is written).
  - The action runs on the controller whatever the connection of the host is.
attributes:
  check_mode:
    support: full
    details: Nothing is written and no history entry is added or removed; RV(changed_files) lists what would change.
  diff_mode:
    support: full
    details: The names and sizes of the report files that change.
  platform:
    platforms: all
    details:
      - The action runs on the controller and writes there, whatever the platform of the host.
      - The results come from Windows devices (O(source=device)) or from Linux or macOS hosts that ran
        network_url_probe (O(source=network)).
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - purview.device_proxy.controller_only
seealso:
  - module: purview.device_proxy.device_connectivity_probe
  - module: purview.device_proxy.network_url_probe
"""

EXAMPLES = r"""
- name: Test every host
  purview.device_proxy.device_connectivity_probe:
  become: true
  become_method: ansible.builtin.runas
  become_user: SYSTEM
  register: connectivity_check_result

- name: Write the fleet reports once
  purview.device_proxy.connectivity_report:
    dest: "{{ playbook_dir }}/reports/connectivity"
  run_once: true

- name: Reports with the last 14 runs of history and a metrics file for node_exporter
  purview.device_proxy.connectivity_report:
    dest: /srv/reports/connectivity
    history_dir: /srv/reports/connectivity/history
    history_keep: 14
    metrics_file: /var/lib/node_exporter/textfile_collector/purview_connectivity.prom
  run_once: true
  register: report

- name: Say what changed
  ansible.builtin.debug:
    msg: "{{ report.since }}"
  run_once: true

# A network-side run: Linux hosts on each site's network probe through the proxy, the same reports follow.
- name: Probe the service URLs through the site proxy
  purview.device_proxy.network_url_probe:
    urls: "{{ lookup('purview.device_proxy.service_urls', cloud='commercial', regions=['us'], output='probe') }}"
    routes: [direct, named]
    proxy: "{{ site_proxy }}"
  register: network_check_result

- name: Write the network-side fleet reports
  purview.device_proxy.connectivity_report:
    dest: /srv/reports/network
    source: network
    result_var: network_check_result
    history_dir: /srv/reports/network/history
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
since:
  description: One line on what changed since the previous run (or why nothing is compared).
  returned: success
  type: str
  sample: "Since 2026-07-02T09:00:00Z: 3 new failures, 1 recovery, 1 URL added."
changes:
  description:
    - The comparison with the previous run - counts by kind, and the first 100 new failures and
      recoveries as [host, url]. Absent without O(history_dir) or an earlier entry.
  returned: when there is an earlier run in the history
  type: dict
history:
  description: The entry written (path), the entries removed, and warnings about entries not used.
  returned: with O(history_dir)
  type: dict
metrics_file:
  description: The metrics file written (or that would be, in check mode).
  returned: with O(metrics_file)
  type: str
"""
