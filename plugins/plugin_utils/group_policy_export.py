# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The device proxy plan as Group Policy: one set of files per device class.

A class is a site (devices whose plan inputs are the same: network mode, proxy, WinHTTP policy...)
and a topology (stable, roaming, or unknown to the collection). Each device's class comes from its
own plan (``plan.compute_plan``: the topology it resolved, virtual machines stable). What a class
gets is decided by the same function, run once per class on a representative device (the site's
inputs, the class's topology, nothing configured yet); nothing is decided here:

* the ``set`` actions of the static proxy, ``PreferStaticProxyForHttpRequest`` and Defender
  Antivirus's proxy become machine ``Registry.pol`` values (``policy_registry_pol_writer``) at the
  locations of ``registry_locations``;
* a WinHTTP ``set`` becomes a computer startup script running ``netsh winhttp set proxy`` (the
  netsh form of ``winhttp_view``): ``WinHttpSettings`` is a binary value outside the Policies keys,
  not a policy value, so it has no place in Registry.pol. A class the one WinHTTP rule
  (``topology.static_winhttp_decision``, unforced) does not allow it (roaming, unknown) never gets
  it, even when the plan inputs force it on single devices: the class's README says why instead;
* the class's WMI filter and its limits come from ``group_policy_wmi``; ``computers.txt`` lists the
  devices, for the security-group filtering that scopes the GPO exactly.

:func:`export_group_policy` returns every class with its files as bytes; writing them is the
caller's job (the ``group_policy_export`` action).
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ansible_collections.purview.device_proxy.plugins.module_utils._input_error import InputError
from ansible_collections.purview.device_proxy.plugins.module_utils.winhttp_settings import encode_hex
from ansible_collections.purview.device_proxy.plugins.plugin_utils import group_policy_wmi as wmi
from ansible_collections.purview.device_proxy.plugins.plugin_utils.group_policy_readme import (
    COMPUTERS,
    README,
    REGISTRY_POL,
    STARTUP_SCRIPT,
    WMI_FILTER,
    class_readme,
    index_readme,
    wmi_filter_text,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.defender_av_values import bypass_value
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan import PlanFactsError, compute_plan
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.current_state import unwrap_facts
from ansible_collections.purview.device_proxy.plugins.plugin_utils.policy_registry_pol_writer import PolValue, write_registry_pol
from ansible_collections.purview.device_proxy.plugins.plugin_utils.registry_locations import (
    DEFENDER_PROXY_BYPASS,
    DEFENDER_PROXY_SERVER,
    DEFENDER_SSL_OPTIONS,
    PREFER_STATIC_PROXY_FOR_HTTP_REQUEST,
    TELEMETRY_PROXY_SERVER,
    RegistryLocation,
    held_with_proxy,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.topology import (
    ROAMING,
    STABLE,
    UNKNOWN,
    static_winhttp_decision,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.winhttp_view import WinHttpView

TOPOLOGIES = (STABLE, ROAMING, UNKNOWN)


def policy_name(location: RegistryLocation) -> Optional[str]:
    """The Group Policy (Computer Configuration > Administrative Templates > Windows Components > ...) that
    writes a value, with the option that holds it, from the settings table; None: no Administrative
    Template writes it (GPMC lists it under "Extra Registry Settings")."""
    if location.group_policy is None:
        return None
    name = location.group_policy.split("Windows Components > ", 1)[-1]
    return f"{name} ({location.group_policy_option})" if location.group_policy_option else name


# A device with nothing configured: the plan's "set" actions then carry the whole desired state.
_FRESH_DEVICE: Dict[str, Any] = {
    "os": {"architecture": "64-bit"},
    "telemetry_proxy": {"server": None, "disable_enterprise_auth_proxy": None, "prefer_static_proxy_for_http_request": None},
    "winhttp": {"native": {"raw": None, "decoded": None, "error": None}, "wow64": {"raw": None, "decoded": None, "error": None}},
    "defender_av": {"proxy_server": None, "proxy_pac_url": None, "proxy_bypass": None, "ssl_options": None},
}


class GroupPolicyExportError(InputError):
    """Bad input for the export; ``field`` names it (``devices.laptop-02.inputs.proxy``)."""


def _device_plan(host: str, entry: Any) -> Dict[str, Any]:
    field = "devices.%s" % host
    if not isinstance(entry, Mapping):
        raise GroupPolicyExportError(field, "type", "must be a mapping with facts and inputs, got %s" % type(entry).__name__)
    for key in ("facts", "inputs"):
        if entry.get(key) is None:
            raise GroupPolicyExportError("%s.%s" % (field, key), "required", "is required (the device's %s)" % (
                "facts, as purview.device_proxy.device_facts returns them" if key == "facts" else "plan inputs"))
    try:
        return compute_plan(entry["inputs"], entry["facts"], host=host)
    except PlanFactsError as err:
        raise GroupPolicyExportError("%s.%s" % (field, err.field), err.rule, err.message) from None
    except InputError as err:
        raise GroupPolicyExportError("%s.inputs.%s" % (field, err.field), err.rule, err.message) from None


def _hardware(entry: Mapping[str, Any]) -> Optional[Mapping[str, Any]]:
    try:
        hardware = unwrap_facts(entry["facts"]).get("hardware")
    except InputError:
        return None
    return hardware if isinstance(hardware, Mapping) else None


def _site_key(inputs: Mapping[str, Any]) -> Tuple[Tuple[str, str], ...]:
    # The topology is the class, not the site.
    return tuple(sorted((key, repr(value)) for key, value in inputs.items() if key != "topology"))


def _site_name(inputs: Mapping[str, Any]) -> str:
    parts = [inputs.get("state") if inputs.get("state") != "present" else inputs.get("network_mode")]
    if inputs.get("network_mode") == "static" and inputs.get("proxy"):
        parts.append(inputs["proxy"])
    return re.sub(r"[^A-Za-z0-9.]+", "-", "-".join(str(part) for part in parts if part)).strip("-") or "site"


def _representative_plan(site_inputs: Mapping[str, Any], topology: str) -> Dict[str, Any]:
    inputs = dict(site_inputs, topology=topology if topology != UNKNOWN else "auto")
    plan = compute_plan(inputs, dict(_FRESH_DEVICE), host="%s device" % topology)
    if plan["topology"]["value"] != topology:
        raise GroupPolicyExportError("devices", "topology", "the representative %s device was planned as %s"
                                     % (topology, plan["topology"]["value"]))
    return plan


def _value(location: RegistryLocation, value: Any) -> Dict[str, Any]:
    return {"key": location.path, "name": location.name, "kind": location.kind, "value": value,
            "policy": policy_name(location)}


def registry_values(plan: Mapping[str, Any]) -> List[Dict[str, Any]]:
    """The machine policy values the plan's ``set`` actions write, in the order the modules write them."""
    actions = {action["target"]: action for action in plan["actions"]}
    values = []
    telemetry = actions["telemetry_proxy"]
    if telemetry["action"] == "set" and telemetry["desired"].get("server"):
        values.append(_value(TELEMETRY_PROXY_SERVER, telemetry["desired"]["server"]))
        values.extend(_value(row, telemetry["desired"][row.result_key]) for row in held_with_proxy("telemetry_proxy"))
    prefer = actions["prefer_static_proxy"]
    if prefer["action"] == "set" and prefer["desired"].get("value") == 1:
        values.append(_value(PREFER_STATIC_PROXY_FOR_HTTP_REQUEST, 1))
    defender = actions["defender_av_proxy"]
    if defender["action"] == "set":
        params = defender["params"]
        values.append(_value(DEFENDER_PROXY_SERVER, params["proxy_server"]))
        if params.get("proxy_bypass"):
            values.append(_value(DEFENDER_PROXY_BYPASS, bypass_value(list(params["proxy_bypass"]))))
        if params.get("ssl_options") is not None:
            values.append(_value(DEFENDER_SSL_OPTIONS, params["ssl_options"]))
    return values


def winhttp_delivery(plan: Mapping[str, Any], topology: str) -> Dict[str, Any]:
    """How the class's WinHTTP proxy is delivered: a startup script, refused, or not touched."""
    action = next(action for action in plan["actions"] if action["target"] == "winhttp_proxy")
    rule = static_winhttp_decision(topology, force=False, unknown_refused=True, force_option="winhttp_force")
    if action["action"] == "set" and action["desired"].get("proxy") and rule.allowed:
        view = WinHttpView.proxy_setting(action["desired"]["proxy"], action["desired"].get("bypass") or "")
        return {"delivery": "startup_script", "command": view.netsh(), "registry_hex": encode_hex(view.settings),
                "reason": action["reason"]}
    if action["action"] in ("set", "refuse") and action["desired"].get("proxy"):
        # A forced plan sets it on single devices; the unforced rule says why a whole class must not get it.
        refusal = action["reason"] if action["action"] == "refuse" else rule.refusal
        refusal += ("; a Group Policy reaches every device of the class, so this export never renders it, whatever "
                    "winhttp_force says")
        return {"delivery": "refused", "command": None, "registry_hex": None, "reason": refusal}
    return {"delivery": "none", "command": None, "registry_hex": None, "reason": action["reason"]}


def startup_script(class_name: str, command: str) -> bytes:
    """A computer startup script that sets the WinHTTP proxy in both registry views (CRLF, ASCII)."""
    arguments = command[len("netsh "):]
    lines = [
        "@echo off",
        "rem purview.device_proxy: the system-wide WinHTTP proxy for the device class %s." % class_name,
        "rem WinHttpSettings is a binary value outside the Policies keys, not a policy value: it cannot go in",
        "rem Registry.pol, so a computer startup script sets it. 64-bit processes read the native copy and",
        "rem 32-bit processes the WOW6432Node copy; the 32-bit netsh writes the second one.",
        '"%%SystemRoot%%\\System32\\netsh.exe" %s' % arguments,
        "if errorlevel 1 exit /b 1",
        'if exist "%%SystemRoot%%\\SysWOW64\\netsh.exe" "%%SystemRoot%%\\SysWOW64\\netsh.exe" %s' % arguments,
    ]
    return ("\r\n".join(lines) + "\r\n").encode("ascii")


def export_group_policy(devices: Any) -> Dict[str, Any]:
    """Every device class of ``devices`` ({host: {facts, inputs}}) with its Group Policy files.

    Raises :class:`GroupPolicyExportError` naming the device and field before anything is built.
    """
    if not isinstance(devices, Mapping) or not devices:
        raise GroupPolicyExportError("devices", "required", "must be a non-empty mapping of host names to {facts, inputs}")
    plans = {str(host): _device_plan(str(host), devices[host]) for host in sorted(devices, key=str)}
    sites: Dict[Tuple[Tuple[str, str], ...], Dict[str, Any]] = {}
    for host, plan in plans.items():
        site = sites.setdefault(_site_key(plan["inputs"]), {"inputs": plan["inputs"], "hosts": []})
        site["hosts"].append(host)
    names: Dict[str, int] = {}
    classes = []
    for site in sites.values():
        base = _site_name(site["inputs"])
        names[base] = names.get(base, 0) + 1
        site_name = base if names[base] == 1 else "%s-%d" % (base, names[base])
        members = [(host, plans[host]["topology"]["value"], _hardware(devices[host])) for host in site["hosts"]]
        for topology in TOPOLOGIES:
            hosts = [host for host, actual, _hardware_facts in members if actual == topology]
            if hosts:
                classes.append(_class(site_name, site["inputs"], topology, hosts, members))
    for item in classes:
        item["files"][README] = class_readme(item).encode("utf-8")
    return {"classes": classes, "index": index_readme(classes).encode("utf-8")}


def _class(site_name: str, inputs: Mapping[str, Any], topology: str, hosts: List[str],
           members: List[Tuple[str, str, Optional[Mapping[str, Any]]]]) -> Dict[str, Any]:
    name = "%s-%s" % (site_name, topology)
    plan = _representative_plan(inputs, topology)
    values = registry_values(plan)
    winhttp = winhttp_delivery(plan, topology)
    query = wmi.query_for(topology)
    files = {
        REGISTRY_POL: write_registry_pol([PolValue(v["key"], v["name"], v["kind"], v["value"]) for v in values]),
        COMPUTERS: "".join(host + "\r\n" for host in hosts).encode("utf-8"),
    }
    item = {
        "name": name,
        "site": site_name,
        "inputs": dict(inputs),
        "topology": topology,
        "hosts": hosts,
        "values": values,
        "winhttp": winhttp,
        "reasons": {action["target"]: "%s: %s" % (action["action"], action["reason"]) for action in plan["actions"]},
        "findings": [finding["message"] for finding in plan["findings"] if finding["severity"] == "warning"],
        "wmi_filter": {"namespace": wmi.NAMESPACE, "language": wmi.QUERY_LANGUAGE, "query": query,
                       "limits": wmi.limits_text(topology)},
        "misclassified": wmi.misclassified(members, topology),
        "files": files,
    }
    if winhttp["delivery"] == "startup_script":
        files[STARTUP_SCRIPT] = startup_script(name, winhttp["command"])
    files[WMI_FILTER] = wmi_filter_text(item).encode("utf-8")
    return item
