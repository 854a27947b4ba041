# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller half of purview.device_proxy.defender_av_proxy.

Validates every option (addresses with the shared proxy address model) before the host is
contacted, tells the target the exact registry values to hold (one round trip), and decides
changed/before/after/diff from the raw values it reports.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.purview.device_proxy.plugins.modules.defender_av_proxy import DOCUMENTATION
from ansible_collections.purview.device_proxy.plugins.plugin_utils.defender_av_values import (
    bypass_value,
    ssl_options_warning,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.registry_locations import (
    DEFENDER_PROXY_BYPASS,
    DEFENDER_PROXY_PAC_URL,
    DEFENDER_PROXY_SERVER,
    DEFENDER_SSL_OPTIONS,
    keys_written_by,
    values_written_by,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.registry_values import (
    ABSENT,
    READ,
    Desired,
    hold_values,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.raw_registry_value import RegistryValue
from ansible_collections.purview.device_proxy.plugins.plugin_utils.task_arguments import TaskInputError
from ansible_collections.purview.device_proxy.plugins.plugin_utils.windows_module import (
    Outcome,
    TargetSession,
    WindowsModuleAction,
    forward_options,
)

MODULE = "defender_av_proxy"
# The text values state=present sets from their options, each through its row's normaliser.
TEXT_VALUES = (DEFENDER_PROXY_SERVER, DEFENDER_PROXY_PAC_URL, DEFENDER_PROXY_BYPASS)


def _text_value(text: Optional[str]) -> Desired:
    return ABSENT if text is None else ("present", RegistryValue("String", text))


def desired_values(params: Dict[str, Any]) -> Tuple[Dict[str, Desired], Dict[str, Any], List[str]]:
    """(desired per result key, normalised options to forward, warnings). Raises on bad or contradicting input.

    The result keys and the option names are the same for these values (the settings table's rows).
    """
    state = params["state"]
    server, pac, bypass = params.get("proxy_server"), params.get("proxy_pac_url"), params.get("proxy_bypass")
    ssl_options, reset_ssl = params.get("ssl_options"), params.get("reset_ssl_options")
    warnings: List[str] = []
    normalised: Dict[str, Any] = {}
    wanted: Dict[str, Desired] = {}

    if state == "absent":
        for option, value in (("proxy_server", server), ("proxy_pac_url", pac), ("proxy_bypass", bypass)):
            if value is not None:
                raise TaskInputError(option, "absent-takes-no-value",
                                     "not used with state=absent, which removes every proxy value; remove it")
        if ssl_options is not None:
            raise TaskInputError("ssl_options", "absent-takes-no-value",
                                 "not used with state=absent; use reset_ssl_options to remove SSLOptions")
        wanted.update(proxy_server=ABSENT, proxy_pac_url=ABSENT, proxy_bypass=ABSENT)
    else:
        if not server and not pac:
            raise TaskInputError(
                "proxy_server", "required-one-of",
                "state=present needs proxy_server or proxy_pac_url with a non-empty value")
        for row in TEXT_VALUES:
            value = params.get(row.option)
            wanted[row.result_key] = READ
            if value is None:
                continue
            if row is DEFENDER_PROXY_BYPASS:
                if bypass and not server:
                    raise TaskInputError(
                        "proxy_bypass", "needs-proxy-server",
                        "bypass entries apply to proxy_server; give it in the same task (a PAC file decides its own bypass)")
                # An empty list removes the value, as an empty address does.
                normalised[row.option] = row.normaliser(value, field=row.option)
                wanted[row.result_key] = _text_value(bypass_value(normalised[row.option]))
            else:
                normalised[row.option] = row.normaliser(value, field=row.option) if value != "" else None
                wanted[row.result_key] = _text_value(normalised[row.option])

    if ssl_options is not None and reset_ssl:
        raise TaskInputError("ssl_options", "mutually-exclusive", "cannot be combined with reset_ssl_options: true")
    if ssl_options is not None:
        wanted[DEFENDER_SSL_OPTIONS.result_key] = ("present", RegistryValue("DWord", ssl_options))
        warning = ssl_options_warning(ssl_options)
        if warning:
            warnings.append(warning)
    else:
        wanted[DEFENDER_SSL_OPTIONS.result_key] = ABSENT if reset_ssl else READ
    return wanted, normalised, warnings


class ActionModule(WindowsModuleAction):
    MODULE_NAME = "purview.device_proxy.defender_av_proxy"
    DOCUMENTATION = DOCUMENTATION

    def decide(self, params: Dict[str, Any], session: TargetSession) -> Outcome:
        wanted, normalised, warnings = desired_values(params)
        args = forward_options(params, self.argument_spec(), normalised)
        return hold_values(session, args, values_written_by(MODULE), wanted, keys_written_by(MODULE), warnings)
