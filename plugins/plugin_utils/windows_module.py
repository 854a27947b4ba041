# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller half shared by the collection's Windows modules.

Every Windows module here is a thin PowerShell script that reads raw state and applies an
explicit desired state. The decisions live in an action plugin of the same name, built on
:class:`WindowsModuleAction`:

1. validate the task arguments against the module's own DOCUMENTATION (one truth for the
   option names, types, choices and defaults) before the host is contacted;
2. let the action plugin turn them into module arguments (``decide``), calling the target
   through :class:`TargetSession`, which counts round trips;
3. shape the answer: ``changed``, ``before``, ``after``, ``diff`` (when ``--diff`` is on) and
   the module-specific extras the action plugin returns in an :class:`Outcome`.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, ClassVar, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import yaml

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

from ansible_collections.purview.device_proxy.plugins.module_utils._input_error import InputError

# Documentation keys that carry over to an argument spec unchanged.
_SPEC_KEYS = ("type", "elements", "choices", "default", "required", "aliases", "no_log")


class WindowsModuleInputError(InputError):
    """Bad task input, found before the host is contacted.

    ``field`` is the option the user wrote, ``rule`` a short name of the rule it breaks.
    ``str(err)`` is ``"<field>: <message>"``.
    """


class ModuleFailedError(RuntimeError):
    """The target reported a failure; ``result`` is its answer, passed on to the user."""

    def __init__(self, result: Mapping[str, Any]) -> None:
        self.result = dict(result)
        super().__init__(self.result.get("msg", "the module failed"))


class ModuleReplyError(RuntimeError):
    """The target answered without the fields its RETURN documentation promises."""


class OutcomeError(RuntimeError):
    """The target did something other than what the controller asked (e.g. a write did not stick)."""


@dataclasses.dataclass
class Outcome:
    """What an action plugin decided and observed.

    ``diff_before``/``diff_after`` default to ``before``/``after``; give text for a
    line-oriented diff. ``extra`` is merged into the task result.
    """

    changed: bool
    before: Any
    after: Any
    diff_before: Any = None
    diff_after: Any = None
    extra: Dict[str, Any] = dataclasses.field(default_factory=dict)
    warnings: List[str] = dataclasses.field(default_factory=list)


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
    """Validate and default task arguments; raise :class:`WindowsModuleInputError` on the first error.

    ``rules`` holds ``mutually_exclusive``, ``required_if``, ``required_together``,
    ``required_one_of`` and ``required_by`` as ansible's ArgumentSpecValidator takes them.
    """
    validator = ArgumentSpecValidator(dict(argument_spec), **dict(rules or {}))
    result = validator.validate(dict(task_args))
    if result.error_messages:
        error = result.errors[0]
        message = str(error)
        field = _first_option_named(message, list(argument_spec) + list(task_args)) or "arguments"
        raise WindowsModuleInputError(field, _RULE_NAMES.get(type(error).__name__, "arguments"), message)
    return result.validated_parameters


def _first_option_named(message: str, names: Sequence[str]) -> str:
    """The option named first in a validation message (ansible's messages name the options)."""
    found = []
    for name in set(names):
        match = re.search(r"(?<![\w])%s(?![\w])" % re.escape(str(name)), message)
        if match:
            found.append((match.start(), str(name)))
    return min(found)[1] if found else ""


def forward_options(params: Mapping[str, Any], argument_spec: Mapping[str, Any],
                    normalised: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """The documented options to pass to the target (normalised values replace what the user wrote).

    The PowerShell module declares the documented options too, so the target validates the
    same names and ``invocation`` shows what was asked; it acts only on the private ``_`` ones.
    """
    args = {name: params.get(name) for name in argument_spec if params.get(name) is not None}
    args.update({name: value for name, value in (normalised or {}).items() if value is not None})
    return args


class TargetSession:
    """One module on one host: each :meth:`call` is one round trip."""

    def __init__(self, action: "WindowsModuleAction", task_vars: Mapping[str, Any]) -> None:
        self._action = action
        self._task_vars = task_vars
        self.calls = 0

    @property
    def check_mode(self) -> bool:
        return bool(self._action._task.check_mode)

    def call(self, module_args: Mapping[str, Any], expect: Sequence[str] = ("raw",)) -> Dict[str, Any]:
        """Run the module once; return its answer or raise when it failed or lacks ``expect`` keys."""
        self.calls += 1
        result = self._action._execute_module(
            module_name=self._action.MODULE_NAME,
            module_args=dict(module_args),
            task_vars=self._task_vars,
        )
        if result.get("failed"):
            raise ModuleFailedError(result)
        missing = [key for key in expect if key not in result]
        if missing:
            raise ModuleReplyError(
                "%s answered without %s; the target copy of the module does not match this controller"
                % (self._action.MODULE_NAME, ", ".join(missing)))
        return result


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


def reg_file_text(paths: Sequence[str], values: Iterable[Tuple[str, str, Optional["RegistryValue"]]]) -> str:
    """Registry values in .reg file notation, grouped under their HKLM keys in ``paths`` order: what
    the registry modules' diffs show. ``values`` holds (key path, value name, value or None)."""
    entries = list(values)
    lines: List[str] = []
    for path in paths:
        lines.append("[HKEY_LOCAL_MACHINE\\%s]" % path)
        lines.extend(_reg_line(name, value) for key, name, value in entries if key == path)
        lines.append("")
    return "\n".join(lines)


def _reg_line(name: str, value: Optional["RegistryValue"]) -> str:
    if value is None:
        return "; %s is not set" % name
    if value.kind == "String":
        return '"%s"="%s"' % (name, str(value.data).replace("\\", "\\\\").replace('"', '\\"'))
    if value.kind == "DWord" and isinstance(value.data, int):
        return '"%s"=dword:%08x' % (name, value.data)
    return '"%s"=%s:%s' % (name, value.kind, value.data)


def registry_data(raw: Optional[Mapping[str, Any]]) -> Any:
    """The data of a reported registry value, or None when it does not exist."""
    value = RegistryValue.from_raw(raw)
    return None if value is None else value.data


def shape_result(outcome: Outcome, diff: bool) -> Dict[str, Any]:
    """The task result for an outcome: changed, before, after, extras, diff and warnings.

    ``before``/``after`` set to None (a read-only module) leave out before, after and diff.
    """
    result: Dict[str, Any] = {"changed": bool(outcome.changed)}
    has_states = outcome.before is not None or outcome.after is not None
    if has_states:
        result.update(before=outcome.before, after=outcome.after)
    result.update(outcome.extra)
    if diff and has_states:
        result["diff"] = {
            "before": outcome.before if outcome.diff_before is None else outcome.diff_before,
            "after": outcome.after if outcome.diff_after is None else outcome.diff_after,
        }
    if outcome.warnings:
        result["warnings"] = list(outcome.warnings)
    return result


class WindowsModuleAction(ActionBase):
    """Base class of the Windows modules' action plugins.

    Subclasses set ``MODULE_NAME`` (the FQCN), ``DOCUMENTATION`` (the module's, from its .py)
    and ``ARGUMENT_RULES``, and implement :meth:`decide`.
    """

    MODULE_NAME: ClassVar[str] = ""
    DOCUMENTATION: ClassVar[str] = ""
    ARGUMENT_RULES: ClassVar[Dict[str, Sequence[Any]]] = {}
    # A subclass that can run its module under async (and still decide on its final answer)
    # sets this and returns a session that polls from target_session.
    SUPPORTS_ASYNC: ClassVar[bool] = False

    TRANSFERS_FILES = False
    _requires_connection = True

    @classmethod
    def argument_spec(cls) -> Dict[str, Dict[str, Any]]:
        return argument_spec_from_documentation(cls.DOCUMENTATION)

    def decide(self, params: Dict[str, Any], session: TargetSession) -> Outcome:
        raise NotImplementedError

    def target_session(self, task_vars: Mapping[str, Any]) -> TargetSession:
        return TargetSession(self, task_vars)

    def run(self, tmp: Optional[str] = None, task_vars: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        self._supports_check_mode = True
        self._supports_async = self.SUPPORTS_ASYNC
        result = super().run(tmp, task_vars)
        del tmp
        session = self.target_session(task_vars or {})
        try:
            params = validate_arguments(self._task.args, self.argument_spec(), self.ARGUMENT_RULES)
            outcome = self.decide(params, session)
        except InputError as err:
            # Every validator's error names the option and the rule; nothing was changed on the host.
            result.update(failed=True, msg=str(err), invalid_option=err.field, rule=err.rule)
            return result
        except ModuleFailedError as err:
            result.update(err.result)
            result["failed"] = True
            return result
        except (ModuleReplyError, OutcomeError) as err:
            result.update(failed=True, msg=str(err))
            return result
        result.update(shape_result(outcome, diff=bool(self._task.diff)))
        return result
