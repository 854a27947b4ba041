# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The texts of a Group Policy export: each class's README and WMI filter file, and the index.

They render what ``group_policy_export`` decided (via the plan) and ``group_policy_wmi`` rendered;
nothing is decided here. Sources the instructions rest on:

* LGPO.exe, in Microsoft's Security Compliance Toolkit
  (https://learn.microsoft.com/en-us/windows/security/operating-system-security/device-management/windows-security-configuration-framework/security-compliance-toolkit-10;
  its usage: ``/m path\\registry.pol`` imports into the local machine policy, ``/b`` exports the
  local policy as a GPO backup that GPMC's "Import Settings" reads);
* the Registry client-side extension {35378EAC-683F-11D2-A89A-00C04FBBCFA2} ([MS-GPREG]): a GPO
  is processed for Registry.pol only when gPCMachineExtensionNames lists it;
* WMI filter evaluation ([MS-GPOL], MSFT_SomFilter.Evaluate): every query must return an instance;
* KB 4494447 (Use Group Policy to apply WinHTTP proxy settings to clients): ``netsh winhttp set
  proxy``, and a Group Policy Preferences registry item carrying ``WinHttpSettings``.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping

REGISTRY_POL = "Registry.pol"
WMI_FILTER = "wmi-filter.txt"
COMPUTERS = "computers.txt"
README = "README.md"
STARTUP_SCRIPT = "winhttp-startup.cmd"

SCT_URL = ("https://learn.microsoft.com/en-us/windows/security/operating-system-security/device-management/"
           "windows-security-configuration-framework/security-compliance-toolkit-10")
GPOL_WMI_URL = "https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-gpol/494e3623-391d-40ba-a648-672119a07b5f"
WQL_URL = "https://learn.microsoft.com/en-us/windows/win32/wmisdk/querying-with-wql"
KB_WINHTTP_URL = ("https://learn.microsoft.com/en-us/troubleshoot/windows-client/networking/"
                  "use-group-policy-apply-winhttp-proxy-settings")
WMI_AFTER_SECURITY_URL = "https://technet.microsoft.com/en-us/library/cc781936.aspx"
REGISTRY_EXTENSION = "[{35378EAC-683F-11D2-A89A-00C04FBBCFA2}{D02B1F72-3407-48AE-BA88-E8213C6761F1}]"

_KIND_WORDS = {"String": "REG_SZ", "DWord": "REG_DWORD"}
_TOPOLOGY_WORDS = {
    "stable": "stable devices (desktops, servers and virtual machines that always sit behind the same proxy)",
    "roaming": "roaming devices (laptops and tablets that move between networks)",
    "unknown": "devices whose topology the collection does not know (their facts name no chassis, PCSystemType or battery)",
}


def _inputs_line(inputs: Mapping[str, Any]) -> str:
    parts = ["network mode %s" % inputs.get("network_mode")]
    if inputs.get("proxy"):
        parts.append("proxy %s" % inputs["proxy"])
    if inputs.get("bypass"):
        parts.append("bypass %s" % ";".join(inputs["bypass"]))
    parts.append("WinHTTP policy %s" % inputs.get("winhttp_policy"))
    parts.append("OS has another route: %s" % ("yes" if inputs.get("os_has_other_route") else "no"))
    return ", ".join(parts)


def wmi_filter_text(item: Mapping[str, Any]) -> str:
    """The class's WMI filter as GPMC's "New WMI Filter" dialog takes it, with its limits."""
    wmi = item["wmi_filter"]
    lines = ["# WMI filter for the Group Policy of class %s (%s)" % (item["name"], item["topology"]),
             "# A GPO has one WMI filter; every query in it must return at least one instance (%s)." % GPOL_WMI_URL, ""]
    if wmi["query"]:
        lines += ["Name: purview.device_proxy %s" % item["name"], "Namespace: %s" % wmi["namespace"],
                  "Query language: %s" % wmi["language"], "Query: %s" % wmi["query"], ""]
    lines.append("What this filter cannot express (%s):" % WQL_URL)
    lines += ["- %s" % text for text in wmi["limits"]]
    wrong = item["misclassified"]
    lines += ["", "Devices of this export the filter gets wrong:"]
    if not wmi["query"]:
        lines.append("- not applicable: no filter")
    elif not (wrong["selected"] or wrong["missed"]):
        lines.append("- none")
    lines += ["- selected although %s: %s (%s)" % (entry["class"], entry["host"], entry["why"]) for entry in wrong["selected"]]
    lines += ["- missed although %s: %s (%s)" % (entry["class"], entry["host"], entry["why"]) for entry in wrong["missed"]]
    lines += ["", "Exact scoping: security-group filtering with the computers in %s." % COMPUTERS]
    return "\n".join(lines) + "\n"


def _values_table(values: List[Mapping[str, Any]]) -> List[str]:
    if not values:
        return ["Registry.pol holds no value (only its header): the plan sets nothing on these devices."]
    rows = ["| key (HKLM) | value | type | data | Group Policy that writes it |", "|---|---|---|---|---|"]
    for value in values:
        policy = value["policy"] or "none (GPMC shows it under Extra Registry Settings)"
        kind = _KIND_WORDS.get(value["kind"], value["kind"])
        rows.append("| `%s` | `%s` | %s | `%s` | %s |" % (value["key"], value["name"], kind, value["value"], policy))
    return rows


def _winhttp_section(item: Mapping[str, Any]) -> List[str]:
    winhttp = item["winhttp"]
    lines = ["## The system-wide WinHTTP proxy", ""]
    if winhttp["delivery"] == "startup_script":
        lines += [
            "`%s` is the computer startup script that sets it:" % STARTUP_SCRIPT, "",
            "```bat", winhttp["command"], "```", "",
            "It is not in Registry.pol: `WinHttpSettings` is a binary value under `Internet Settings\\Connections`, "
            "outside the Policies keys, not a policy value. Add the script in the GPO under Computer Configuration > "
            "Policies > Windows Settings > Scripts (Startup/Shutdown) > Startup. It runs the 64-bit and the 32-bit "
            "netsh, so both registry views (native and WOW6432Node) hold the proxy.",
            "",
            "Alternative documented in KB 4494447 (%s): a Group Policy Preferences registry item (Computer "
            "Configuration > Preferences > Windows Settings > Registry, action Update) for "
            "`HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\Connections\\WinHttpSettings`, "
            "REG_BINARY `%s`, and the same under `SOFTWARE\\WOW6432Node\\...`." % (KB_WINHTTP_URL, winhttp["registry_hex"]),
            "", "Why: %s" % winhttp["reason"]]
    elif winhttp["delivery"] == "refused":
        lines += ["**Do not deploy `netsh winhttp set proxy` (or a WinHttpSettings preference item) to these devices.** "
                  "Nothing for it is rendered here.", "", "Why: %s" % winhttp["reason"]]
    else:
        lines += ["Not touched: %s" % winhttp["reason"]]
    return lines


def _import_section(item: Mapping[str, Any]) -> List[str]:
    has_values = bool(item["values"])
    lines = ["## Import", ""]
    if has_values:
        lines += [
            "**Domain GPO (GPMC).** Create the GPO, then:", "",
            "1. On a reference machine that is not in the domain (or a test VM), import the file into the local "
            "policy with LGPO.exe and export it as a GPO backup: `LGPO.exe /m %s` then `LGPO.exe /b C:\\GPOBackup`. "
            "LGPO.exe is in Microsoft's Security Compliance Toolkit (%s), with its documentation." % (REGISTRY_POL, SCT_URL),
            "2. In GPMC, right-click the GPO > Import Settings, and choose that backup. GPMC writes the GPO's "
            "`Machine\\Registry.pol`, registers the Registry extension and raises the GPO version.",
            "3. Copying `%s` into `\\\\<domain>\\SYSVOL\\<domain>\\Policies\\{<GPO GUID>}\\Machine\\` by hand is not "
            "enough on its own: clients process it only when the GPO's gPCMachineExtensionNames lists the Registry "
            "extension `%s` and the GPO version (gPCVersionNumber and GPT.INI) has changed. A GPO that already has "
            "Administrative Template settings has the extension; the version still has to change." % (REGISTRY_POL, REGISTRY_EXTENSION),
            "",
            "**Stand-alone devices (no domain).** As administrator: `LGPO.exe /m %s`, then `gpupdate /target:computer "
            "/force`." % REGISTRY_POL, ""]
    else:
        lines += ["Nothing to import into a GPO: Registry.pol is empty on purpose.", ""]
    query = item["wmi_filter"]["query"]
    lines += ["**Scope.** Security filtering is exact: make a group of the computers in `%s` (inventory names; the "
              "Active Directory account is the computer's NetBIOS name), and in the GPO's Scope tab replace "
              "Authenticated Users by that group under Security Filtering (keep Read for Authenticated Users or Domain "
              "Computers on the Delegation tab)." % COMPUTERS]
    if query:
        lines += ["", "Then add the WMI filter of `%s` (GPMC > WMI Filters > New, namespace root\\CIMv2, the query as "
                      "written; then the GPO's Scope tab > WMI Filtering) as a second guard: the GPO applies only where "
                      "both the group and the filter say yes (the client evaluates WMI filters after security filtering, %s). Read "
                      "its limits before relying on it alone." % (WMI_FILTER, WMI_AFTER_SECURITY_URL)]
    else:
        lines += ["", "No WMI filter can select this class (see `%s`): use the security group." % WMI_FILTER]
    lines += ["", "**Check a device.** `gpresult /r /scope computer` lists the GPO; `reg query "
                  "\"HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\DataCollection\"` shows the static proxy; then prove "
                  "connectivity (the analyzer, or purview.device_proxy.device_connectivity_probe)."]
    return lines


def class_readme(item: Mapping[str, Any]) -> str:
    """The administrator's instructions for one class."""
    lines = ["# Group Policy for %s" % item["name"], "",
             "Device class: %s, site with %s." % (_TOPOLOGY_WORDS[item["topology"]], _inputs_line(item["inputs"])),
             "Devices (%d, in `%s`): %s." % (len(item["hosts"]), COMPUTERS, ", ".join(item["hosts"])), "",
             "Rendered by purview.device_proxy from the plan of a %s device of this site with nothing configured yet; "
             "the plan playbook shows what changes on each real device (stale settings are reported there; a Group "
             "Policy export only sets values, it never removes any)." % item["topology"], "",
             "## Registry.pol (Computer Configuration)", ""]
    lines += _values_table(item["values"])
    lines += ["", "Why, per setting:", ""]
    lines += ["- %s: %s" % (target, reason) for target, reason in item["reasons"].items()]
    if item["findings"]:
        lines += ["", "Warnings of the plan:", ""] + ["- %s" % finding for finding in item["findings"]]
    lines += [""] + _winhttp_section(item) + [""] + _import_section(item)
    return "\n".join(lines) + "\n"


def index_readme(classes: List[Dict[str, Any]]) -> str:
    """The export's top folder: one line per class."""
    lines = ["# Group Policy export of the device proxy plan", "",
             "One folder per device class (site and topology). Each holds `%s`, `%s`, `%s`, `%s` and, for stable "
             "devices that get the system-wide WinHTTP proxy, `%s`." % (REGISTRY_POL, WMI_FILTER, COMPUTERS, README, STARTUP_SCRIPT),
             "", "| class | devices | Registry.pol values | WinHTTP |", "|---|---|---|---|"]
    for item in classes:
        lines.append("| `%s` | %d | %d | %s |" % (item["name"], len(item["hosts"]), len(item["values"]), item["winhttp"]["delivery"]))
    return "\n".join(lines) + "\n"
