# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Defender Antivirus decision under its earlier import path; it lives in plan/defender_av_decision.py."""

from __future__ import annotations

from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan.defender_av_decision import (
    MODULE,
    TARGET,
    DefenderPlanError,
    decide_defender_av_proxy,
    winhttp_carries_after,
)

__all__ = ["MODULE", "TARGET", "DefenderPlanError", "decide_defender_av_proxy", "winhttp_carries_after"]
