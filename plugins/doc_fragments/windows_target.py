# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):

    # The Windows modules: a PowerShell half on the device, the decisions in the action plugin on
    # the controller (plugin_utils/windows_module.py).
    DOCUMENTATION = r"""
attributes:
  platform:
    platforms: windows
    details: The PowerShell half runs on the Windows host (WinRM or PSRP); the action plugin checks the options and decides on the controller.
notes:
  - Runs only through its action plugin (the controller half); calling the PowerShell script directly
    is not supported.
"""
