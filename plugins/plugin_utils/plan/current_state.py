# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the device facts say today: the managed values, the topology, the policies that own values.

The facts are the mapping ``purview.device_proxy.device_facts`` returns as
``ansible_facts.purview_device_proxy`` (or supplied from inventory in the same shape).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.purview.device_proxy.plugins.module_utils._input_error import InputError
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.inputs import PlanInputs
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.readable_facts import check_decoded_view
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.vocabulary import (
    INFO,
    WARNING,
    PlanFactsError,
    finding as _finding,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.policy_sources import (
    OwnershipReport,
    PolicyEvidenceError,
    resolve_ownership,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.registry_locations import held_with_proxy
from ansible_collections.purview.device_proxy.plugins.plugin_utils.topology import (
    ROAMING,
    STABLE,
    UNKNOWN,
    TopologyError,
    derive_topology,
    reported_topology,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.winhttp_view import (
    WinHttpView,
    optional_int,
    winhttp_drift,
)


@dataclass
class CurrentState:
    telemetry_known: bool = False
    telemetry_server: Optional[str] = None
    # The values that go with the static proxy (settings table), by their facts key.
    held_with_proxy: Dict[str, Optional[int]] = field(default_factory=dict)
    prefer_static: Optional[int] = None
    winhttp_views: Tuple[WinHttpView, ...] = ()
    findings: List[Dict[str, str]] = field(default_factory=list)

    @property
    def winhttp_known(self) -> bool:
        return any(view.known for view in self.winhttp_views)

    def winhttp_proxies(self) -> List[WinHttpView]:
        """Views that hold a proxy or cannot be read (either may route traffic)."""
        return [view for view in self.winhttp_views if view.routes_traffic()]

    def describe_winhttp(self) -> str:
        described = {view.describe() for view in self.winhttp_views}
        if len(described) == 1:
            return described.pop()
        return "; ".join(f"{view.name}: {view.describe()}" for view in self.winhttp_views)


def _mapping(value: Any, name: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise PlanFactsError(name, "type", f"must be a mapping, got {type(value).__name__}")
    return value


def _optional_int(value: Any, name: str) -> Optional[int]:
    return optional_int(value, name, PlanFactsError)


def _winhttp_view(view_name: str, raw_view: Any, facts_name: str) -> WinHttpView:
    # A readable value beside the bytes must agree with them: an edit of one alone is refused, not ignored.
    check_decoded_view(raw_view, facts_name)
    try:
        return WinHttpView.from_facts(raw_view, facts_name, name=view_name)
    except InputError as err:
        raise PlanFactsError(err.field, err.rule, err.message) from None


def unwrap_facts(facts: Any) -> Mapping[str, Any]:
    """Accept the device facts mapping itself or ``ansible_facts`` holding it."""
    if facts is None:
        raise PlanFactsError("facts", "required", "no device facts were given (run purview.device_proxy.device_facts "
                                                  "or supply them from inventory)")
    facts = _mapping(facts, "facts")
    if "purview_device_proxy" in facts:
        facts = _mapping(facts["purview_device_proxy"], "facts.purview_device_proxy")
    return facts


def read_current_state(facts: Mapping[str, Any]) -> CurrentState:
    current = CurrentState()
    telemetry = facts.get("telemetry_proxy")
    if telemetry is None:
        current.findings.append(_finding(INFO, "the facts do not report the telemetry proxy registry values"))
    else:
        telemetry = _mapping(telemetry, "facts.telemetry_proxy")
        current.telemetry_known = True
        server = telemetry.get("server")
        current.telemetry_server = str(server) if server not in (None, "") else None
        current.held_with_proxy = {row.result_key: _optional_int(telemetry.get(row.result_key), ".".join(("facts",) + row.at))
                                   for row in held_with_proxy("telemetry_proxy")}
        current.prefer_static = _optional_int(
            telemetry.get("prefer_static_proxy_for_http_request"), "facts.telemetry_proxy.prefer_static_proxy_for_http_request")
    winhttp = _mapping(facts.get("winhttp"), "facts.winhttp")
    views = [_winhttp_view("native", winhttp.get("native"), "facts.winhttp.native")]
    os_facts = facts.get("os")
    if not (isinstance(os_facts, Mapping) and os_facts.get("architecture") == "32-bit"):
        # A 32-bit Windows has no WOW6432Node copy.
        views.append(_winhttp_view("wow64", winhttp.get("wow64"), "facts.winhttp.wow64"))
    current.winhttp_views = tuple(views)
    if not current.winhttp_known:
        current.findings.append(_finding(INFO, "the facts do not report the WinHTTP settings"))
    for view in current.winhttp_views:
        if view.error:
            current.findings.append(_finding(WARNING, f"the {view.name} WinHttpSettings value cannot be decoded: {view.error}"))
    if len(current.winhttp_views) == 2 and winhttp_drift(*current.winhttp_views):
        current.findings.append(_finding(
            WARNING, f"the 64-bit and 32-bit (WOW6432Node) WinHTTP settings differ: {current.describe_winhttp()}; "
                     "32-bit processes see a different proxy"))
    return current


def _detected_topology(facts: Mapping[str, Any]) -> Tuple[Optional[Dict[str, Any]], str, bool]:
    """What the facts say about the topology: (result or None, source, whether facts said nothing conclusive).

    Stable for want of any chassis type, PCSystemType or battery is not known to be stable, so such a
    result counts as no detection (a laptop whose inventory record names only its maker looks the same).
    """
    hardware = facts.get("hardware")
    derived = None
    try:
        if isinstance(hardware, Mapping) and hardware:
            derived = derive_topology(hardware)
    except TopologyError as err:
        raise PlanFactsError(f"facts.{err.field}", err.rule, err.message) from None
    inconclusive = derived is not None and derived["topology"] == UNKNOWN
    if inconclusive:
        derived = None
    reported = reported_topology(facts.get("topology"), facts.get("topology_evidence"))
    if reported is None and facts.get("topology") in (ROAMING, STABLE):
        # Facts of an earlier release: "stable" for want of any evidence.
        inconclusive = True

    if derived is not None:
        if reported is not None and reported["topology"] == derived["topology"] and reported["evidence"]:
            # device_facts derives the same way and adds what it saw (hypervisor strings, for example).
            return reported, "detected", False
        return derived, "detected", False
    if reported is not None:
        evidence = reported["evidence"] or ["reported by the device facts without evidence"]
        return {"topology": reported["topology"], "evidence": evidence}, "facts", False
    return None, "none", inconclusive


def resolve_topology(inputs: PlanInputs, facts: Mapping[str, Any]) -> Dict[str, Any]:
    """The topology used for the decision, where it came from, and the evidence."""
    detected, source, inconclusive = _detected_topology(facts)
    if inputs.topology != "auto":
        evidence = [f"set by {inputs.name('topology')}"]
        if detected is not None and detected["topology"] != inputs.topology:
            evidence.append(f"detection would say {detected['topology']}: " + "; ".join(detected["evidence"]))
        return {"value": inputs.topology, "source": "inventory", "evidence": evidence}
    if detected is None:
        facts_words = ("the hardware facts report no chassis type, PCSystemType or battery" if inconclusive
                       else "no hardware facts")
        return {"value": UNKNOWN, "source": "none",
                "evidence": [f"{facts_words} and no {inputs.name('topology')}: the topology cannot be detected"]}
    return {"value": detected["topology"], "source": source, "evidence": list(detected["evidence"])}


def read_ownership(facts: Mapping[str, Any]) -> Optional[OwnershipReport]:
    """Owners of the managed values from the facts' policy evidence; None when the facts carry none."""
    evidence = facts.get("policy")
    if evidence is None:
        return None
    try:
        return resolve_ownership(evidence)
    except PolicyEvidenceError as err:
        where = err.field if err.field.startswith("policy") else f"policy.{err.field}"
        raise PlanFactsError(f"facts.{where}", err.rule, err.message) from None


def device_summary(facts: Mapping[str, Any]) -> Dict[str, Any]:
    """The device in a few words for the review: OS, machine, virtual or not, the sensor's state."""
    os_facts = facts.get("os") if isinstance(facts.get("os"), Mapping) else {}
    hardware = facts.get("hardware") if isinstance(facts.get("hardware"), Mapping) else {}
    services = facts.get("services") if isinstance(facts.get("services"), Mapping) else {}
    sense = services.get("sense") if isinstance(services.get("sense"), Mapping) else None
    return {
        "os": " ".join(str(part) for part in (os_facts.get("caption"), os_facts.get("build") and f"build {os_facts['build']}")
                       if part) or None,
        "machine": " ".join(str(hardware[key]) for key in ("manufacturer", "model") if hardware.get(key)) or None,
        "virtual": hardware.get("is_virtual"),
        "sense": sense.get("state") if sense else None,
    }
