# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one list of target deciders, in decision order. The plan runs them in this order (a decider
may read the decisions before it: Defender Antivirus reads WinHTTP's), the fleet review shows one
column per target in this order, and the plan's ``apply`` lists module calls in this order."""

from __future__ import annotations

from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan import (
    defender_av_target,
    prefer_static_target,
    telemetry_target,
    winhttp_target,
)

DECIDERS = (
    telemetry_target.DECIDER,
    prefer_static_target.DECIDER,
    winhttp_target.DECIDER,
    defender_av_target.DECIDER,
)
TARGETS = tuple(decider.target for decider in DECIDERS)
