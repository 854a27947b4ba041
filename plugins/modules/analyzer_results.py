# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

# The module is an action plugin only (it runs on the controller); this file holds its
# documentation only.

DOCUMENTATION = r"""
---
module: analyzer_results
short_description: Read Microsoft client analyzer result files into fleet report input, on the controller
description:
  - Reads the connectivity results of Microsoft's Defender for Endpoint client analyzer that were
    collected from devices by other means (software distribution, Group Policy scripts, Live
    Response) from a folder on the controller, and returns them as RV(results), one per device,
    shaped like the results of M(purview.device_proxy.device_connectivity_probe). Give RV(results)
    to M(purview.device_proxy.connectivity_report) (its O(purview.device_proxy.connectivity_report#module:results)
    option) to write the same text, JSON, JUnit, HTML, history and metrics reports as for probed devices.
  - "Files read: C(MDEClientAnalyzerResult.txt), the older C(MDATPClientAnalyzerResult.txt),
    C(MDEClientAnalyzer.txt), and C(MDEClientAnalyzerResult.zip) (its member
    C(SystemInfoLogs\\MDEClientAnalyzer.txt)); file names are compared case-insensitively."
  - "Folder layout: one sub-folder per device (the device is the sub-folder's name; its result files
    anywhere below it), or files side by side named C(<device>_<result file name>), for example
    C(PC01_MDEClientAnalyzerResult.zip). Both may be mixed. Other files are passed over and listed
    in RV(skipped)."
  - Encodings - UTF-8 with or without a byte order mark, UTF-16LE or UTF-16BE with a byte order mark,
    UTF-16 without one (told by its NUL bytes); CRLF, LF or CR line ends. Text that is not valid UTF-8
    is read as Windows-1252.
  - The analyzer verdict of each URL is the analyzer's own rule (a method line shows 200, 400 or 404).
    The strict verdict is B(not available) from a file (a file records neither the configured method
    nor the certificate chain); connectivity_report with O(purview.device_proxy.connectivity_report#module:fail_verdict=strict)
    lists such devices as without result, never as passing.
  - A file that cannot be read, is cut short or holds no C(Testing URL) block makes its device a
    result with C(failed) and a message naming the file and the line; every other device is still read.
    Two different results for one device (device names compared case-insensitively) are such an error;
    the same result twice (the zip and the text extracted from it) is read once, the text file first.
  - Reads only; nothing is written. Supports check mode.
version_added: 0.1.0
author:
  - purview.device_proxy maintainers (@purview-device-proxy)
options:
  path:
    description: The folder on the controller that holds the collected result files.
    type: path
    required: true
  require_results:
    description: Fail when the folder holds no result file at all (a wrong path, most likely).
    type: bool
    default: true
notes:
  - Run it once per play (C(run_once)).
  - "Why a separate module rather than an option of connectivity_report: reading and checking collected
    files is a job of its own with its own errors (per file and line), and its RV(results) can be merged
    with registered probe results (C(ansible.builtin.combine)) before one report is written."
attributes:
  check_mode:
    support: full
    details: The files are only read, in check mode as in a real run.
  diff_mode:
    support: none
    details: Nothing is written, so there is nothing to show.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - purview.device_proxy.controller_only
seealso:
  - module: purview.device_proxy.connectivity_report
  - module: purview.device_proxy.device_connectivity_probe
  - name: Run the client analyzer on Windows
    description: Microsoft's page on the analyzer and its result files.
    link: https://learn.microsoft.com/en-us/defender-endpoint/run-analyzer-windows
"""

EXAMPLES = r"""
- name: Read the collected analyzer results
  purview.device_proxy.analyzer_results:
    path: /srv/collected/mde-analyzer
  run_once: true
  register: analyzer

- name: Write the fleet reports from them
  purview.device_proxy.connectivity_report:
    dest: /srv/reports/analyzer
    results: "{{ analyzer.results }}"
    fail_verdict: analyzer
  run_once: true
"""

RETURN = r"""
results:
  description:
    - One result per device (the device name as the folder or file name gives it), shaped like a
      device_connectivity_probe task result plus C(source) (file, time, time_source, encoding,
      spelling, strict, note); a device whose file could not be read has C(failed) and C(msg).
  returned: always
  type: dict
devices:
  description:
    - Per device - C(device), C(status) (C(read) or C(error)), C(files), and either C(file) (the one
      read), C(encoding), C(time), C(time_source), C(urls), C(analyzer_failed), or C(error).
  returned: always
  type: list
  elements: dict
skipped:
  description: Files and folders passed over, each with C(file) and C(reason).
  returned: always
  type: list
  elements: dict
errors:
  description: The message of every device whose files could not be read.
  returned: always
  type: list
  elements: str
"""
