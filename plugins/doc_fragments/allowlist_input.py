# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):

    # The input of the allowlist renderers (plugins/plugin_utils/allowlist.py accepts all four shapes).
    DOCUMENTATION = r"""
options:
  _input:
    description: Allowlist items, catalog entries, probe dicts or URL strings.
    type: list
    elements: raw
    required: true
"""
