# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Risky changes are flagged in the plan, each with a warning a reviewer cannot miss.

* WinHTTP left on the old proxy while TelemetryProxyServer moves to a new one;
* a bypass list that a WinHTTP (or Defender Antivirus) change would drop;
* a replaced value that this collection did not write (whoever wrote it may write it back).

Each case has its negative twin, so a warning that fires on everything fails too.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from ansible_collections.purview.device_proxy.plugins.module_utils.winhttp_settings import WinHttpSettings, encode_hex
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan import compute_plan

NEW = "10.0.0.6:8080"
OLD = "10.0.0.5:8080"
FOREIGN = "legacy.proxy.example:3128"
DESKTOP = {"chassis_types": [3], "pc_system_type": 1, "has_battery": False, "is_virtual": False}
LAPTOP = {"chassis_types": [10], "pc_system_type": 2, "has_battery": True, "is_virtual": False}


def _view(proxy: Optional[str], bypass: str = "") -> Dict[str, Any]:
    settings = WinHttpSettings.direct() if proxy is None else WinHttpSettings.named_proxy(proxy, bypass)
    return {"raw": encode_hex(settings), "decoded": None, "error": None}


def facts(server: Optional[str] = None, winhttp: Optional[str] = None, bypass: str = "", hardware=None,
          defender: Optional[str] = None, defender_bypass: Optional[str] = None, policy=None) -> Dict[str, Any]:
    result = {"telemetry_proxy": {"server": server, "disable_enterprise_auth_proxy": 1 if server else None,
                                  "prefer_static_proxy_for_http_request": None},
              "winhttp": {"native": _view(winhttp, bypass), "wow64": _view(winhttp, bypass)},
              "hardware": dict(hardware or DESKTOP),
              "defender_av": {"proxy_server": defender, "proxy_pac_url": None, "proxy_bypass": defender_bypass,
                              "ssl_options": None}}
    if policy is not None:
        result["policy"] = policy
    return result


def warnings(plan: Dict[str, Any]) -> str:
    return "\n".join(f["message"] for f in plan["findings"] if f["severity"] == "warning")


def action(plan: Dict[str, Any], target: str) -> str:
    return next(item["action"] for item in plan["actions"] if item["target"] == target)


STATIC = {"network_mode": "static", "proxy": NEW, "previous_proxies": [OLD]}

# --- WinHTTP left on the old proxy ------------------------------------------------------------


def test_winhttp_left_on_the_old_proxy_while_telemetry_moves_is_a_warning():
    plan = compute_plan(STATIC, facts(server=OLD, winhttp=OLD))
    assert action(plan, "telemetry_proxy") == "set" and action(plan, "winhttp_proxy") == "keep"
    assert f"stays on the old proxy {OLD} while TelemetryProxyServer moves to {NEW}" in warnings(plan)
    assert "winhttp_policy to set or stable_only" in warnings(plan)


def test_old_proxy_is_recognised_from_the_replaced_telemetry_value_alone():
    """No previous_proxies given: the TelemetryProxyServer being replaced names the old proxy."""
    plan = compute_plan({"network_mode": "static", "proxy": NEW}, facts(server=OLD, winhttp=OLD))
    assert "stays on the old proxy" in warnings(plan)


def test_move_already_done_still_flags_the_old_winhttp():
    plan = compute_plan(STATIC, facts(server=NEW, winhttp=OLD))
    assert action(plan, "telemetry_proxy") == "keep"
    assert f"stays on the old proxy {OLD} while TelemetryProxyServer has moved to {NEW}" in warnings(plan)


def test_no_move_warning_when_winhttp_moves_too_or_holds_an_unrelated_proxy():
    plan = compute_plan({**STATIC, "winhttp_policy": "set"}, facts(server=OLD, winhttp=OLD))
    assert action(plan, "winhttp_proxy") == "set"
    assert "stays on the old proxy" not in warnings(plan)
    plan = compute_plan(STATIC, facts(server=OLD, winhttp=FOREIGN))
    assert "stays on the old proxy" not in warnings(plan)
    plan = compute_plan(STATIC, facts(server=OLD, winhttp=NEW))
    assert "stays on the old proxy" not in warnings(plan)


# --- bypass entries a change would drop ---------------------------------------------------------


def test_winhttp_change_that_drops_bypass_entries_says_so():
    plan = compute_plan({**STATIC, "winhttp_policy": "set", "bypass": ["<local>"]},
                        facts(server=NEW, winhttp=OLD, bypass="<local>;*.legacy.example"))
    assert action(plan, "winhttp_proxy") == "set"
    assert "drops bypass entries *.legacy.example" in warnings(plan)


def test_winhttp_change_that_keeps_every_bypass_entry_is_quiet():
    plan = compute_plan({**STATIC, "winhttp_policy": "set", "bypass": ["<local>", "*.legacy.example"]},
                        facts(server=NEW, winhttp=OLD, bypass="*.legacy.example"))
    assert action(plan, "winhttp_proxy") == "set"
    assert "drops bypass entries" not in warnings(plan)


def test_defender_change_that_drops_bypass_entries_says_so():
    plan = compute_plan({**STATIC, "bypass": ["<local>"]},
                        facts(server=NEW, hardware=LAPTOP, defender="http://" + NEW, defender_bypass="*.old.example"))
    assert action(plan, "defender_av_proxy") == "set"
    assert "drops ProxyBypass entries *.old.example" in warnings(plan)


# --- a replaced value this collection did not write --------------------------------------------


def test_replacing_a_foreign_telemetry_proxy_warns_that_it_may_come_back():
    plan = compute_plan(STATIC, facts(server=FOREIGN))
    assert action(plan, "telemetry_proxy") == "set"
    assert f"TelemetryProxyServer {FOREIGN} is replaced, and this collection did not write it" in warnings(plan)
    assert "no policy evidence" in warnings(plan)


def test_replacing_our_own_earlier_proxy_is_not_flagged():
    plan = compute_plan(STATIC, facts(server=OLD))
    assert "did not write it" not in warnings(plan)


def test_policy_evidence_changes_the_words_not_the_warning():
    # RSoP read (it always records the local GPO) and setting nothing.
    local_gpo = {"id": "LocalGPO", "name": "Local Group Policy", "guidName": "LocalGPO"}
    unowned = {"rsop": {"error": None, "gpos": [local_gpo], "settings": []}, "local_registry_pol": "", "mdm": {}, "gpp": []}
    plan = compute_plan(STATIC, facts(server=FOREIGN, policy=unowned))
    assert "no policy read sets it; another tool or script" in warnings(plan)
    plan = compute_plan(STATIC, facts(server=FOREIGN, policy={"rsop": {"error": None, "gpos": [], "settings": []}}))
    assert "could not be read" in warnings(plan)


def test_replacing_a_foreign_winhttp_proxy_warns():
    plan = compute_plan({**STATIC, "winhttp_policy": "set"}, facts(server=NEW, winhttp=FOREIGN))
    assert action(plan, "winhttp_proxy") == "set"
    assert "the system-wide WinHTTP proxy (proxy legacy.proxy.example:3128) is replaced, and this collection did not" in warnings(plan)


def test_replacing_a_foreign_defender_proxy_warns():
    plan = compute_plan(STATIC, facts(server=NEW, hardware=LAPTOP, defender="http://" + FOREIGN))
    assert action(plan, "defender_av_proxy") == "set"
    assert f"Defender Antivirus ProxyServer http://{FOREIGN} is replaced" in warnings(plan)
    plan = compute_plan(STATIC, facts(server=NEW, hardware=LAPTOP, defender="http://" + OLD))
    assert "Defender Antivirus ProxyServer" not in warnings(plan)
