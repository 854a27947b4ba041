# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one shape of a bad-input error: which field, which rule, and what to do about it.

Internal to purview.device_proxy: not a public API, and it may change without notice.

Every validator in the collection (proxy addresses, the plan's inputs and facts, hardware facts,
the Windows modules' options) raises a subclass of :class:`InputError`, so the action plugins and
the filters catch one class and report ``field`` and ``rule`` without parsing the message. Runs on
the controller and on Linux targets (Python 3.8 or later).
"""

from __future__ import annotations

from typing import Any


class InputError(ValueError):
    """Bad input, found before anything was changed.

    ``field`` is the option or fact the user wrote (``proxy``, ``facts.hardware.chassis_types``),
    ``rule`` a short name of the rule it breaks (``port-range``, ``required``), ``message`` the
    explanation without the field. ``str(err)`` is ``"<field>: <message>"``.
    """

    def __init__(self, field: str, rule: str, message: str, *args: Any) -> None:
        self.field = field
        self.rule = rule
        self.message = message
        super().__init__(f"{field}: {message}", *args)

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"
