# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The device proxy plan as filters (documentation in the sidecar .yml files)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan import (
    PlanError,
    compute_plan,
    summarize_plan,
)


def device_proxy_plan(facts, inputs=None, field_prefix="", host=None):
    try:
        return compute_plan(inputs, facts, field_prefix=field_prefix, host=host)
    except PlanError as exc:
        raise AnsibleFilterError(f"purview.device_proxy.device_proxy_plan: {exc}") from exc


def device_proxy_plan_summary(plan):
    if not isinstance(plan, dict) or "actions" not in plan:
        raise AnsibleFilterError("purview.device_proxy.device_proxy_plan_summary: the input must be a plan "
                                 "returned by purview.device_proxy.device_proxy_plan")
    return summarize_plan(plan)


class FilterModule:

    def filters(self):
        return {
            "device_proxy_plan": device_proxy_plan,
            "device_proxy_plan_summary": device_proxy_plan_summary,
        }
