# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller half shared by the collection's Windows modules.

Every Windows module here is a thin PowerShell script that reads raw state and applies an
explicit desired state. The decisions live in an action plugin of the same name, built on
:class:`WindowsModuleAction`:

1. validate the task arguments against the module's own DOCUMENTATION (``task_arguments``)
   before the host is contacted;
2. let the action plugin turn them into module arguments (``decide``), calling the target
   through :class:`TargetSession` (each call one round trip);
3. shape the answer: ``changed``, ``before``, ``after``, ``diff`` (when ``--diff`` is on) and
   the module-specific extras the action plugin returns in an :class:`Outcome`.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, Dict, List, Mapping, Optional, Sequence

from ansible.plugins.action import ActionBase

from ansible_collections.purview.device_proxy.plugins.module_utils._input_error import InputError
from ansible_collections.purview.device_proxy.plugins.plugin_utils.task_arguments import (
    argument_spec_from_documentation,
    validate_arguments,
)


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

    @property
    def check_mode(self) -> bool:
        return bool(self._action._task.check_mode)

    def call(self, module_args: Mapping[str, Any], expect: Sequence[str] = ("raw",)) -> Dict[str, Any]:
        """Run the module once; return its answer or raise when it failed or lacks ``expect`` keys."""
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
