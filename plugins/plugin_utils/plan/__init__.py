# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The decision function: what to do with a device's proxy settings, and why.

``compute_plan(inputs, facts)`` turns the role's inputs and one device's facts (the mapping that
``purview.device_proxy.device_facts`` returns as ``ansible_facts.purview_device_proxy``) into a
plan: for each target (the registry-based static proxy, ``PreferStaticProxyForHttpRequest``, the
system-wide WinHTTP proxy and Defender Antivirus's own proxy) an action (``set``, ``remove``,
``keep``, ``report`` or ``refuse``) with the reason in the documentation's terms, and the module
arguments that carry out the changes. The plan is a plain, JSON-serialisable dict, so it can be
printed for review before a change window, stored, and passed straight to the modules. The logic
follows Microsoft's device proxy guidance (decision table in roles/device_proxy/README.md).

The package, one job per module:

* ``vocabulary``: verdicts, severities, targets, errors, the shape of an action;
* ``inputs``: the inputs, their defaults and rules (``parse_inputs``, ``PlanInputs``);
* ``current_state``: what the facts say (values, topology, policy owners);
* ``decider`` and ``targets``: what a target decider is, and the one list of them, which the plan,
  the fleet review and the summary read; one module per target (``telemetry_target``,
  ``prefer_static_target``, ``winhttp_target``, ``defender_av_target`` with
  ``defender_av_decision``), each with its decide step, ownership checks, risk hooks and module call;
* ``ownership``: a value a policy enforces is not fought over, the same way for every target;
* ``compute``: one device's plan, and its summary lines.

Ownership ("never silently remove what this collection did not put there"): the modules write
plain registry values without a marker, so a static setting counts as written by this collection
when its value equals a proxy the inputs declare: ``proxy`` (or ``winhttp_proxy``) or one of
``previous_proxies``. Settings that are not the collection's are reported and removed only with
``remove_stale`` (or, for WinHTTP, an explicit ``winhttp_policy: reset``).
"""

from __future__ import annotations

from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.compute import compute_plan, summarise_plan
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.current_state import unwrap_facts
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.inputs import (
    DEFAULT_INPUTS,
    NETWORK_MODES,
    STATES,
    TOPOLOGY_CHOICES,
    WINHTTP_POLICIES,
    PlanInputs,
    inputs_summary,
    parse_inputs,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.vocabulary import (
    PLAN_VERSION,
    PlanError,
    PlanFactsError,
    PlanInputError,
)

__all__ = [
    "DEFAULT_INPUTS", "NETWORK_MODES", "PLAN_VERSION", "STATES", "TOPOLOGY_CHOICES", "WINHTTP_POLICIES",
    "PlanError", "PlanFactsError", "PlanInputError", "PlanInputs",
    "compute_plan", "inputs_summary", "parse_inputs", "summarise_plan", "unwrap_facts",
]
