# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):

    # How the plan filters name the inputs in their messages (plugins/plugin_utils/plan/inputs.py).
    DOCUMENTATION = r"""
options:
  field_prefix:
    description: Prepended to input names in messages, for example C(device_proxy_).
    type: str
    default: ""
"""
