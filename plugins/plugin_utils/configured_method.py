# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which of the analyzer's methods matches how this device's sensor reaches the service."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Tuple

from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import (
    ProxyAddressError,
    telemetry_proxy_server_value,
)
from ansible_collections.purview.device_proxy.plugins.module_utils.winhttp_settings import (
    WinHttpSettingsError,
    decode_hex,
)


def _default_proxy_from_api(api: Mapping[str, Any], notes: List[str]) -> Tuple[bool, Optional[str]]:
    """(read, proxy) from the module's WinHttpGetDefaultProxyConfiguration read-back."""
    error = api.get("error")
    if error:
        notes.append(f"WinHttpGetDefaultProxyConfiguration could not be read ({error}): the default proxy was "
                     "decided from the registry bytes")
        return False, None
    if api.get("access_type") == "named_proxy" and (api.get("proxy") or "").strip():
        return True, str(api["proxy"]).strip()
    return True, None


def configured_method(telemetry_proxy_server: Optional[str],
                      winhttp_settings_hex: Optional[str] = None,
                      winhttp_api: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """The analyzer method that matches how this device's sensor reaches the service.

    Reasoning (docs/reference/device-settings.md#registry-static-proxy, #fallback;
    connectivity-analyzer.md#methods; open-questions.md#q2-fallback, #q3-precedence, #q7-analyzer):

    * ``TelemetryProxyServer`` set: the sensor uses it (section 1, the registry-based static
      proxy; the analyzer's method 4 tests exactly that value). Uncertain: when that proxy is
      unreachable the sensor falls back to a direct connection according to the DLP pages, or to
      the default proxy configuration according to the CSP page (section 7, question 2), and which
      setting wins when several are set is not documented (question 3). So a failing named proxy
      fails the strict verdict; a method that would catch the fallback is reported, not counted.
    * otherwise a WinHTTP default proxy (``netsh winhttp set proxy``) set: the sensor, a WinHTTP
      client running as LocalSystem, uses it; method 1 (default proxy) tests it.
    * otherwise nothing static: the sensor relies on WinHTTP's automatic configuration (WPAD,
      then direct). Method 1 opens WinHTTP with its default configuration
      (WINHTTP_ACCESS_TYPE_DEFAULT_PROXY, the netsh proxy), which is direct here; WPAD is method 2,
      reported as a fallback. Which of the two the sensor reaches the service by when WPAD finds
      a proxy is not documented (section 7 question 7).

    ``winhttp_api`` is what WinHTTP itself reports for its default proxy
    (WinHttpGetDefaultProxyConfiguration, read by the module: ``access_type``, ``proxy``,
    ``bypass``, ``error``); it decides whenever it was read. ``winhttp_settings_hex`` is the native
    ``WinHttpSettings`` value (upper-case hex or None), decoded with the collection's codec: the
    layout is undocumented, so the bytes decide only when the API could not be read (or a module
    reply predates the read), and a disagreement between the two is noted.
    """
    notes: List[str] = []
    server = (telemetry_proxy_server or "").strip()
    if server:
        try:
            telemetry_proxy_server_value(server, field="TelemetryProxyServer")
        except ProxyAddressError as err:
            notes.append(f"TelemetryProxyServer {server!r} is not in the documented host:port form "
                         f"({err}); whether the sensor accepts it is undocumented (docs/reference/open-questions.md#q1-value-format)")
        notes.append("if this proxy is unreachable the sensor falls back to a direct connection (DLP docs) "
                     "or to the default proxy configuration (CSP docs); which one is undocumented "
                     "(docs/reference/open-questions.md#q2-fallback)")
        return {
            "method": "named",
            "proxy": server,
            "reason": f"TelemetryProxyServer is set to {server}: the sensor uses this registry-based static proxy",
            "fallbacks": ["disabled", "default"],
            "notes": notes,
        }
    byte_notes: List[str] = []
    bytes_proxy = None
    if winhttp_settings_hex:
        try:
            settings = decode_hex(winhttp_settings_hex)
        except WinHttpSettingsError as err:
            byte_notes.append(f"the WinHttpSettings value could not be decoded ({err}); treated as direct access")
        else:
            if settings.uses_proxy:
                bytes_proxy = settings.proxy
    api_read, default_proxy = _default_proxy_from_api(winhttp_api, notes) if winhttp_api is not None else (False, None)
    if not api_read:
        default_proxy = bytes_proxy
        notes.extend(byte_notes)
    elif (default_proxy or None) != (bytes_proxy or None):
        notes.append(f"the registry bytes read as {bytes_proxy or 'direct access'}, the API (what WinHTTP uses) "
                     f"as {default_proxy or 'direct access'}: the API decided")
    if default_proxy:
        return {
            "method": "default",
            "proxy": default_proxy,
            "reason": f"TelemetryProxyServer is not set and the WinHTTP default proxy is {default_proxy}: "
                      "the sensor, a WinHTTP client, uses it",
            "fallbacks": [],
            "notes": notes,
        }
    notes.append("method 1 uses WinHTTP's default configuration, which is direct on this device; when WPAD "
                 "(method 2) finds a proxy the sensor may use it instead, which is not documented "
                 "(docs/reference/connectivity-analyzer.md#methods, docs/reference/open-questions.md#q7-analyzer)")
    return {
        "method": "default",
        "proxy": None,
        "reason": "no static proxy is configured (no TelemetryProxyServer, WinHTTP default is direct): "
                  "the sensor relies on automatic discovery (WPAD) and then a direct connection",
        "fallbacks": ["wpad", "disabled"],
        "notes": notes,
    }
