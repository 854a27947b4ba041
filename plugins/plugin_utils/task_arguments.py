# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Task arguments checked against a module's own DOCUMENTATION, before anything else happens.

Every action plugin of the collection, whether it calls a Windows module or runs on the
controller alone, validates and defaults its task's arguments here: one truth for the option
names, types, choices and defaults (the module's DOCUMENTATION), and one error naming the option
and the rule.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Mapping, Optional, Sequence

import yaml

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.purview.device_proxy.plugins.module_utils._input_error import InputError

# Documentation keys that carry over to an argument spec unchanged.
_SPEC_KEYS = ("type", "elements", "choices", "default", "required", "aliases", "no_log")


class TaskInputError(InputError):
    """Bad task input, found before a host is contacted or anything is written.

    ``field`` is the option the user wrote, ``rule`` a short name of the rule it breaks.
    ``str(err)`` is ``"<field>: <message>"``.
    """


def argument_spec_from_documentation(documentation: str) -> Dict[str, Dict[str, Any]]:
    """The argument spec that DOCUMENTATION describes (nested ``suboptions`` included)."""
    doc = yaml.safe_load(documentation) or {}
    return _spec_from_options(doc.get("options") or {})


def _spec_from_options(options: Mapping[str, Any]) -> Dict[str, Dict[str, Any]]:
    spec = {}
    for name, option in options.items():
        entry = {key: option[key] for key in _SPEC_KEYS if key in option}
        entry.setdefault("type", "str")
        if option.get("suboptions"):
            entry["options"] = _spec_from_options(option["suboptions"])
        spec[name] = entry
    return spec


_RULE_NAMES = {
    "ArgumentTypeError": "type",
    "ArgumentValueError": "choices",
    "MutuallyExclusiveError": "mutually-exclusive",
    "RequiredError": "required",
    "RequiredIfError": "required-if",
    "RequiredOneOfError": "required-one-of",
    "RequiredTogetherError": "required-together",
    "RequiredByError": "required-by",
    "UnsupportedError": "unsupported",
    "ElementError": "elements",
}


def validate_arguments(
    task_args: Mapping[str, Any],
    argument_spec: Mapping[str, Any],
    rules: Optional[Mapping[str, Sequence[Any]]] = None,
) -> Dict[str, Any]:
    """Validate and default task arguments; raise :class:`TaskInputError` on the first error.

    ``rules`` holds ``mutually_exclusive``, ``required_if``, ``required_together``,
    ``required_one_of`` and ``required_by`` as ansible's ArgumentSpecValidator takes them.
    """
    validator = ArgumentSpecValidator(dict(argument_spec), **dict(rules or {}))
    result = validator.validate(dict(task_args))
    if result.error_messages:
        error = result.errors[0]
        message = str(error)
        field = _first_option_named(message, list(argument_spec) + list(task_args)) or "arguments"
        raise TaskInputError(field, _RULE_NAMES.get(type(error).__name__, "arguments"), message)
    return result.validated_parameters


def _first_option_named(message: str, names: Sequence[str]) -> str:
    """The option named first in a validation message (ansible's messages name the options)."""
    found = []
    for name in set(names):
        match = re.search(r"(?<![\w])%s(?![\w])" % re.escape(str(name)), message)
        if match:
            found.append((match.start(), str(name)))
    return min(found)[1] if found else ""
