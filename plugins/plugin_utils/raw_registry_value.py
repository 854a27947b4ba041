# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A registry value as the target scripts report it (RawRegistry.psm1's ``{kind, data}``), on the controller."""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping, Optional


@dataclasses.dataclass(frozen=True)
class RegistryValue:
    """A registry value as the target reports it: ``{kind, data}`` (RawRegistry.psm1).

    ``kind`` is the .NET RegistryValueKind name; ``data`` is an unsigned number for
    DWord/QWord, text for String/ExpandString, a list for MultiString and upper-case hex
    otherwise. A value that does not exist is ``None``, not a RegistryValue.
    """

    kind: str
    data: Any

    @classmethod
    def from_raw(cls, raw: Optional[Mapping[str, Any]]) -> Optional["RegistryValue"]:
        if raw is None:
            return None
        return cls(kind=str(raw["kind"]), data=raw.get("data"))


def registry_data(raw: Optional[Mapping[str, Any]]) -> Any:
    """The data of a reported registry value, or None when it does not exist."""
    value = RegistryValue.from_raw(raw)
    return None if value is None else value.data
