# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):

    # The modules whose action plugin does all the work on the controller
    # (plugin_utils/controller_action.py): no host is contacted.
    DOCUMENTATION = r"""
attributes:
  platform:
    platforms: all
    details: The action runs on the controller, and writes there when it writes, whatever the platform of the host.
"""
