# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""RawRegistry.psm1 read as text (nothing here runs PowerShell).

.NET's RegistryKey.GetValue returns null for the kinds it does not read (REG_LINK,
REG_RESOURCE_LIST, REG_FULL_RESOURCE_DESCRIPTOR, REG_RESOURCE_REQUIREMENTS_LIST: the
.NET Framework reference source of RegistryKey.InternalGetValue falls through to the default
value for them), and GetValueKind calls them Unknown. Passing that null to ConvertTo-RawHex's
mandatory [Byte[]] parameter is a parameter-binding error, so the null must be handled first.
"""

from __future__ import annotations

import os
import re

MODULE_UTILS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "plugins", "module_utils")


def _function(source: str, name: str) -> str:
    start = source.index("Function %s {" % name)
    following = source.find("\nFunction ", start + 1)
    return source[start:following if following > 0 else len(source)]


def test_a_null_value_is_reported_by_kind_before_any_conversion():
    with open(os.path.join(MODULE_UTILS, "RawRegistry.psm1"), encoding="utf-8") as handle:
        body = _function(handle.read(), "Get-RawRegistryValue")
    null_check = re.search(r"if \(\$null -eq \$value\) \{[^}]*return @\{ kind = \$kind\.ToString\(\); data = \$null; reg_type = ", body)
    assert null_check, "Get-RawRegistryValue must report a value .NET reads as null by its kind"
    assert null_check.start() < body.index("ConvertTo-RawHex")
