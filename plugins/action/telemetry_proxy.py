# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller half of purview.device_proxy.telemetry_proxy.

Validates the proxy with the shared address model, tells the target the exact registry values
to hold (one round trip), and decides changed/before/after/diff from the raw values it reports.
"""

from __future__ import annotations

from typing import Any, Dict

from ansible_collections.purview.device_proxy.plugins.modules.telemetry_proxy import DOCUMENTATION
from ansible_collections.purview.device_proxy.plugins.plugin_utils.registry_locations import (
    PREFER_STATIC_PROXY_FOR_HTTP_REQUEST,
    TELEMETRY_PROXY_SERVER,
    held_with_proxy,
    keys_written_by,
    values_written_by,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.registry_values import ABSENT, READ, Desired, hold_values
from ansible_collections.purview.device_proxy.plugins.plugin_utils.raw_registry_value import RegistryValue
from ansible_collections.purview.device_proxy.plugins.plugin_utils.task_arguments import TaskInputError
from ansible_collections.purview.device_proxy.plugins.plugin_utils.windows_module import (
    Outcome,
    TargetSession,
    WindowsModuleAction,
    forward_options,
)

MODULE = "telemetry_proxy"
# The values that go with the static proxy (DisableEnterpriseAuthProxy=1): set with it, removed with it.
HELD_WITH_PROXY = held_with_proxy(MODULE)


def desired_values(params: Dict[str, Any]) -> Dict[str, Desired]:
    """What each managed value must become (by its before/after key), from validated options.

    Raises on contradictions.
    """
    state = params["state"]
    prefer = params.get(PREFER_STATIC_PROXY_FOR_HTTP_REQUEST.option)
    if state == "absent":
        if params.get(TELEMETRY_PROXY_SERVER.option) is not None:
            raise TaskInputError(TELEMETRY_PROXY_SERVER.option, "absent-takes-no-proxy", "not used with state=absent; remove it")
        if prefer:
            raise TaskInputError(
                PREFER_STATIC_PROXY_FOR_HTTP_REQUEST.option, "needs-proxy",
                "true needs a static proxy and cannot be combined with state=absent; use false to remove it")
        wanted = {TELEMETRY_PROXY_SERVER.result_key: ABSENT}
        wanted.update((row.result_key, ABSENT) for row in HELD_WITH_PROXY)
    else:
        option = TELEMETRY_PROXY_SERVER.option
        server = TELEMETRY_PROXY_SERVER.normaliser(params.get(option), field=option)
        wanted = {TELEMETRY_PROXY_SERVER.result_key: ("present", RegistryValue("String", server))}
        wanted.update((row.result_key, ("present", RegistryValue(row.kind, row.held_with_proxy))) for row in HELD_WITH_PROXY)
    if prefer is None:
        wanted[PREFER_STATIC_PROXY_FOR_HTTP_REQUEST.result_key] = READ
    elif prefer:
        wanted[PREFER_STATIC_PROXY_FOR_HTTP_REQUEST.result_key] = ("present", RegistryValue("DWord", 1))
    else:
        wanted[PREFER_STATIC_PROXY_FOR_HTTP_REQUEST.result_key] = ABSENT
    return wanted


class ActionModule(WindowsModuleAction):
    MODULE_NAME = "purview.device_proxy.telemetry_proxy"
    DOCUMENTATION = DOCUMENTATION
    ARGUMENT_RULES = {"required_if": [("state", "present", ("proxy",))]}

    def decide(self, params: Dict[str, Any], session: TargetSession) -> Outcome:
        wanted = desired_values(params)
        server = wanted[TELEMETRY_PROXY_SERVER.result_key][1]
        args = forward_options(params, self.argument_spec(), {TELEMETRY_PROXY_SERVER.option: server.data if server else None})
        return hold_values(session, args, values_written_by(MODULE), wanted, keys_written_by(MODULE))
