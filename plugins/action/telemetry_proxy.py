# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller half of purview.device_proxy.telemetry_proxy.

Validates the proxy with the shared address model, tells the target the exact registry values
to hold (one round trip), and decides changed/before/after/diff from the raw values it reports.
"""

from __future__ import annotations

from typing import Any, Dict

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
from ansible_collections.purview.device_proxy.plugins.plugin_utils.registry_values import Desired, hold_values
from ansible_collections.purview.device_proxy.plugins.plugin_utils.windows_module import (
    Outcome,
    RegistryValue,
    TargetSession,
    WindowsModuleAction,
    WindowsModuleInputError,
    forward_options,
)

ManagedValue = RegistryLocation
SERVER = TELEMETRY_PROXY_SERVER
DISABLE_AUTH_PROXY = DISABLE_ENTERPRISE_AUTH_PROXY
PREFER_STATIC = PREFER_STATIC_PROXY_FOR_HTTP_REQUEST
MANAGED_VALUES = TELEMETRY_PROXY_VALUES
# Each value under its own field name in before/after.
SLOTS = tuple((managed, managed.field) for managed in MANAGED_VALUES)


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


class ActionModule(WindowsModuleAction):
    MODULE_NAME = "purview.device_proxy.telemetry_proxy"
    DOCUMENTATION = DOCUMENTATION
    ARGUMENT_RULES = {"required_if": [("state", "present", ("proxy",))]}

    def decide(self, params: Dict[str, Any], session: TargetSession) -> Outcome:
        wanted = desired_values(params)
        server = wanted[SERVER][1]
        args = forward_options(params, self.argument_spec(), {"proxy": server.data if server else None})
        return hold_values(session, args, SLOTS, {managed.field: wanted[managed] for managed in MANAGED_VALUES},
                           (DATA_COLLECTION_KEY, ATP_POLICY_KEY))
