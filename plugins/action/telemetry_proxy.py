# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller half of purview.device_proxy.telemetry_proxy.

Validates the proxy with the shared address model, tells the target the exact registry values
to hold (one round trip), and decides changed/before/after/diff from the raw values it reports.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import (
    telemetry_proxy_server_value,
)
from ansible_collections.purview.device_proxy.plugins.modules.telemetry_proxy import DOCUMENTATION
from ansible_collections.purview.device_proxy.plugins.plugin_utils.registry_locations import (
    ATP_POLICY_KEY,
    DATA_COLLECTION_KEY,
    DISABLE_ENTERPRISE_AUTH_PROXY,
    PREFER_STATIC_PROXY_FOR_HTTP_REQUEST,
    TELEMETRY_PROXY_SERVER,
    TELEMETRY_PROXY_VALUES,
    RegistryLocation,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.windows_module import reg_file_text as windows_reg_file_text
from ansible_collections.purview.device_proxy.plugins.plugin_utils.windows_module import (
    Outcome,
    OutcomeError,
    RegistryValue,
    TargetSession,
    WindowsModuleAction,
    WindowsModuleInputError,
    forward_options,
)

# The values this module owns; ``field`` is each one's key in before/after.
ManagedValue = RegistryLocation
SERVER = TELEMETRY_PROXY_SERVER
DISABLE_AUTH_PROXY = DISABLE_ENTERPRISE_AUTH_PROXY
PREFER_STATIC = PREFER_STATIC_PROXY_FOR_HTTP_REQUEST
MANAGED_VALUES = TELEMETRY_PROXY_VALUES

# A desired value: "present" with the RegistryValue to hold, "absent", or "read" (left as it is).
Desired = Tuple[str, Optional[RegistryValue]]


def desired_values(params: Dict[str, Any]) -> Dict[ManagedValue, Desired]:
    """What each managed value must become, from validated options. Raises on contradictions."""
    state = params["state"]
    prefer = params.get("prefer_static_proxy_for_http_request")
    if state == "absent":
        if params.get("proxy") is not None:
            raise WindowsModuleInputError("proxy", "absent-takes-no-proxy", "not used with state=absent; remove it")
        if prefer:
            raise WindowsModuleInputError(
                "prefer_static_proxy_for_http_request", "needs-proxy",
                "true needs a static proxy and cannot be combined with state=absent; use false to remove it")
        wanted = {SERVER: ("absent", None), DISABLE_AUTH_PROXY: ("absent", None)}
    else:
        server = telemetry_proxy_server_value(params.get("proxy"), field="proxy")
        wanted = {
            SERVER: ("present", RegistryValue("String", server)),
            DISABLE_AUTH_PROXY: ("present", RegistryValue("DWord", 1)),
        }
    if prefer is None:
        wanted[PREFER_STATIC] = ("read", None)
    elif prefer:
        wanted[PREFER_STATIC] = ("present", RegistryValue("DWord", 1))
    else:
        wanted[PREFER_STATIC] = ("absent", None)
    return wanted


def module_values(wanted: Dict[ManagedValue, Desired]) -> List[Dict[str, Any]]:
    """The ``_values`` argument of telemetry_proxy.ps1."""
    values = []
    for managed in MANAGED_VALUES:
        state, value = wanted[managed]
        entry = {"path": managed.path, "name": managed.name, "state": state}
        if value is not None:
            entry.update(kind=value.kind, data=value.data)
        values.append(entry)
    return values


def reported_values(raw: Dict[str, Any]) -> Dict[ManagedValue, Tuple[Optional[RegistryValue], Optional[RegistryValue]]]:
    """(before, after) per managed value from the target's ``raw.values``."""
    by_location = {(entry["path"].lower(), entry["name"].lower()): entry for entry in raw["values"]}
    reported = {}
    for managed in MANAGED_VALUES:
        entry = by_location.get((managed.path.lower(), managed.name.lower()))
        if entry is None:
            raise OutcomeError("the target did not report %s\\%s" % (managed.path, managed.name))
        reported[managed] = (RegistryValue.from_raw(entry.get("before")), RegistryValue.from_raw(entry.get("after")))
    return reported


def holds(current: Optional[RegistryValue], desired: Desired) -> bool:
    """Whether a value already is what it must become (exact kind and data, like the target)."""
    state, value = desired
    if state == "read":
        return True
    if state == "absent":
        return current is None
    return current is not None and current.kind == value.kind and _same_data(current.data, value.data)


def _same_data(left: Any, right: Any) -> bool:
    if isinstance(left, int) and isinstance(right, int):
        return left == right
    return str(left) == str(right)


def as_fields(values: Dict[ManagedValue, Optional[RegistryValue]]) -> Dict[str, Any]:
    return {managed.field: (None if value is None else value.data) for managed, value in values.items()}


def reg_file_text(values: Dict[ManagedValue, Optional[RegistryValue]]) -> str:
    """The values in .reg file notation, grouped by key: what the diff shows."""
    return windows_reg_file_text((DATA_COLLECTION_KEY, ATP_POLICY_KEY),
                                 ((managed.path, managed.name, values[managed]) for managed in MANAGED_VALUES))


class ActionModule(WindowsModuleAction):
    MODULE_NAME = "purview.device_proxy.telemetry_proxy"
    DOCUMENTATION = DOCUMENTATION
    ARGUMENT_RULES = {"required_if": [("state", "present", ("proxy",))]}

    def decide(self, params: Dict[str, Any], session: TargetSession) -> Outcome:
        wanted = desired_values(params)
        server = wanted[SERVER][1]
        args = forward_options(params, self.argument_spec(), {"proxy": server.data if server else None})
        args["_values"] = module_values(wanted)

        reply = session.call(args)
        reported = reported_values(reply["raw"])
        before = {managed: reported[managed][0] for managed in MANAGED_VALUES}
        expected = {
            managed: before[managed] if wanted[managed][0] == "read" else wanted[managed][1]
            for managed in MANAGED_VALUES
        }
        changed = not all(holds(before[managed], wanted[managed]) for managed in MANAGED_VALUES)

        if session.check_mode:
            after = expected
        else:
            after = {managed: reported[managed][1] for managed in MANAGED_VALUES}
            stuck = [m.name for m in MANAGED_VALUES if not holds(after[m], wanted[m])]
            if stuck:
                raise OutcomeError("the target did not hold the requested value of %s after writing it" % ", ".join(stuck))

        return Outcome(
            changed=changed,
            before=as_fields(before),
            after=as_fields(after),
            diff_before=reg_file_text(before),
            diff_after=reg_file_text(after),
            extra={"raw": reply["raw"]},
        )
