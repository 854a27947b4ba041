# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Registry values in ``.reg`` file notation: what the registry modules' diffs show."""

from __future__ import annotations

from typing import Iterable, List, Optional, Sequence, Tuple

from ansible_collections.purview.device_proxy.plugins.plugin_utils.raw_registry_value import RegistryValue


def reg_file_text(paths: Sequence[str], values: Iterable[Tuple[str, str, Optional[RegistryValue]]]) -> str:
    """Registry values in .reg file notation, grouped under their HKLM keys in ``paths`` order: what
    the registry modules' diffs show. ``values`` holds (key path, value name, value or None)."""
    entries = list(values)
    lines: List[str] = []
    for path in paths:
        lines.append("[HKEY_LOCAL_MACHINE\\%s]" % path)
        lines.extend(_reg_line(name, value) for key, name, value in entries if key == path)
        lines.append("")
    return "\n".join(lines)


def _reg_line(name: str, value: Optional[RegistryValue]) -> str:
    if value is None:
        return "; %s is not set" % name
    if value.kind == "String":
        return '"%s"="%s"' % (name, str(value.data).replace("\\", "\\\\").replace('"', '\\"'))
    if value.kind == "DWord" and isinstance(value.data, int):
        return '"%s"=dword:%08x' % (name, value.data)
    return '"%s"=%s:%s' % (name, value.kind, value.data)
