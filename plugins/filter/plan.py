# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The device proxy plan as filters (documentation in the sidecar .yml files)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from typing import Any, Dict, List, Optional

from ansible_collections.purview.device_proxy.plugins.module_utils._input_error import InputError
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan_review import ReviewInputError, fleet_review
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan import (
    compute_plan,
    inputs_summary,
    parse_inputs,
    summarise_plan,
)


def device_proxy_plan(facts: Any, inputs: Optional[Dict[str, Any]] = None, field_prefix: str = "",
                      host: Optional[str] = None) -> Dict[str, Any]:
    try:
        return compute_plan(inputs, facts, field_prefix=field_prefix, host=host)
    except InputError as exc:
        raise AnsibleFilterError(f"purview.device_proxy.device_proxy_plan: {exc}") from exc


def device_proxy_plan_inputs(inputs: Any, field_prefix: str = "") -> Dict[str, Any]:
    """The inputs checked by the plan's own rules, before any device is contacted."""
    try:
        return inputs_summary(parse_inputs(inputs, field_prefix))
    except InputError as exc:
        raise AnsibleFilterError(f"purview.device_proxy.device_proxy_plan_inputs: {exc}") from exc


def device_proxy_plan_summary(plan: Any) -> List[str]:
    if not isinstance(plan, dict) or "actions" not in plan:
        raise AnsibleFilterError("purview.device_proxy.device_proxy_plan_summary: the input must be a plan "
                                 "returned by purview.device_proxy.device_proxy_plan")
    return summarise_plan(plan)


def device_proxy_fleet_review(plans: Any) -> List[str]:
    try:
        return fleet_review(plans)
    except ReviewInputError as exc:
        raise AnsibleFilterError(f"purview.device_proxy.device_proxy_fleet_review: {exc}") from exc


class FilterModule:

    def filters(self) -> Dict[str, Any]:
        return {
            "device_proxy_plan": device_proxy_plan,
            "device_proxy_plan_summary": device_proxy_plan_summary,
            "device_proxy_plan_inputs": device_proxy_plan_inputs,
            "device_proxy_fleet_review": device_proxy_fleet_review,
        }
