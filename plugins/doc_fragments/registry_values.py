# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):

    # The modules that hold a few HKLM values through one engine (plugin_utils/registry_values.py)
    # and one target script (module_utils/RegistryValueModule.psm1): same check mode, diff and rollback.
    DOCUMENTATION = r"""
attributes:
  check_mode:
    support: full
    details: Reports what would change and changes nothing.
  diff_mode:
    support: full
    details: The registry values before and after, in C(.reg) file notation.
notes:
  - When writing one of the values fails, the values already written in the task are put back to what
    they were before and the task fails saying so; no half-applied configuration is left behind.
"""
