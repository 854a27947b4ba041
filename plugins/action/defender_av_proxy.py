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
    bypass_entries,
    bypass_value,
    pac_url_value,
    proxy_server_value,
    ssl_options_warning,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.registry_locations import (
    DEFENDER_POLICY_KEY,
    DEFENDER_PROXY_BYPASS,
    DEFENDER_PROXY_PAC_URL,
    DEFENDER_PROXY_SERVER,
    DEFENDER_SPYNET_KEY,
    DEFENDER_SSL_OPTIONS,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.registry_values import (
    ABSENT,
    READ,
    Desired,
    Slot,
    hold_values,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.windows_module import (
    Outcome,
    RegistryValue,
    TargetSession,
    WindowsModuleAction,
    WindowsModuleInputError,
    forward_options,
)

# (registry location, key in before/after)
MANAGED: Tuple[Slot, ...] = (
    (DEFENDER_PROXY_SERVER, "proxy_server"),
    (DEFENDER_PROXY_PAC_URL, "proxy_pac_url"),
    (DEFENDER_PROXY_BYPASS, "proxy_bypass"),
    (DEFENDER_SSL_OPTIONS, "ssl_options"),
)


def _text_value(text: Optional[str]) -> Desired:
    return ABSENT if text is None else ("present", RegistryValue("String", text))


def desired_values(params: Dict[str, Any]) -> Tuple[Dict[str, Desired], Dict[str, Any], List[str]]:
    """(desired per field, normalised options to forward, warnings). Raises on bad or contradicting input."""
    state = params["state"]
    server, pac, bypass = params.get("proxy_server"), params.get("proxy_pac_url"), params.get("proxy_bypass")
    ssl_options, reset_ssl = params.get("ssl_options"), params.get("reset_ssl_options")
    warnings: List[str] = []
    normalised: Dict[str, Any] = {}
    wanted: Dict[str, Desired] = {}

    if state == "absent":
        for option, value in (("proxy_server", server), ("proxy_pac_url", pac), ("proxy_bypass", bypass)):
            if value is not None:
                raise WindowsModuleInputError(option, "absent-takes-no-value",
                                              "not used with state=absent, which removes every proxy value; remove it")
        if ssl_options is not None:
            raise WindowsModuleInputError("ssl_options", "absent-takes-no-value",
                                          "not used with state=absent; use reset_ssl_options to remove SSLOptions")
        wanted.update(proxy_server=ABSENT, proxy_pac_url=ABSENT, proxy_bypass=ABSENT)
    else:
        if not server and not pac:
            raise WindowsModuleInputError(
                "proxy_server", "required-one-of",
                "state=present needs proxy_server or proxy_pac_url with a non-empty value")
        wanted["proxy_server"] = READ
        if server is not None:
            normalised["proxy_server"] = proxy_server_value(server) if server != "" else None
            wanted["proxy_server"] = _text_value(normalised["proxy_server"])
        wanted["proxy_pac_url"] = READ
        if pac is not None:
            normalised["proxy_pac_url"] = pac_url_value(pac) if pac != "" else None
            wanted["proxy_pac_url"] = _text_value(normalised["proxy_pac_url"])
        wanted["proxy_bypass"] = READ
        if bypass is not None:
            if bypass and not server:
                raise WindowsModuleInputError(
                    "proxy_bypass", "needs-proxy-server",
                    "bypass entries apply to proxy_server; give it in the same task (a PAC file decides its own bypass)")
            entries = bypass_entries(bypass)
            normalised["proxy_bypass"] = entries
            wanted["proxy_bypass"] = _text_value(bypass_value(entries))

    if ssl_options is not None and reset_ssl:
        raise WindowsModuleInputError("ssl_options", "mutually-exclusive", "cannot be combined with reset_ssl_options: true")
    if ssl_options is not None:
        wanted["ssl_options"] = ("present", RegistryValue("DWord", ssl_options))
        warning = ssl_options_warning(ssl_options)
        if warning:
            warnings.append(warning)
    else:
        wanted["ssl_options"] = ABSENT if reset_ssl else READ
    return wanted, normalised, warnings


class ActionModule(WindowsModuleAction):
    MODULE_NAME = "purview.device_proxy.defender_av_proxy"
    DOCUMENTATION = DOCUMENTATION

    def decide(self, params: Dict[str, Any], session: TargetSession) -> Outcome:
        wanted, normalised, warnings = desired_values(params)
        args = forward_options(params, self.argument_spec(), normalised)
        return hold_values(session, args, MANAGED, wanted, (DEFENDER_POLICY_KEY, DEFENDER_SPYNET_KEY), warnings)
