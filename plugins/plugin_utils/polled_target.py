# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A module call that runs in the background on the target while the action polls it (``async``).

ansible-core runs a module under ``async`` by wrapping it (``_execute_module(wrap_async=True)``:
the target starts it detached and answers at once with a job id) and then polls the job with the
``async_status`` action, as its task executor does for every async task. An action that decides
on the module's answer (the connectivity verdicts are decided on the controller) cannot hand the
job to the executor and return: it polls the job itself, every ``poll`` seconds until ``async``
seconds have passed, then decides on the final answer and removes the job's result file.
``poll: 0`` (fire and forget) leaves nobody to decide, so the action refuses it.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Sequence

from ansible_collections.purview.device_proxy.plugins.plugin_utils.windows_module import (
    ModuleFailedError,
    ModuleReplyError,
    TargetSession,
)


class PolledTargetSession(TargetSession):
    """TargetSession whose call starts the module as an async job and polls it to its end.

    The action supplies ``async_status(jid, mode, task_vars)`` (one async_status run) and ``sleep(seconds)``.
    """

    def call(self, module_args: Mapping[str, Any], expect: Sequence[str] = ("raw",)) -> Dict[str, Any]:
        action = self._action
        task = action._task
        started = action._execute_module(module_name=action.MODULE_NAME, module_args=dict(module_args),
                                         task_vars=self._task_vars, wrap_async=True)
        if started.get("failed"):
            raise ModuleFailedError(started)
        jid = started.get("ansible_job_id")
        if not jid:
            raise ModuleReplyError("%s was started under async but the target gave no job id" % action.MODULE_NAME)
        # Counted in poll intervals, as ansible-core's executor counts an async task's time left.
        time_left = task.async_val
        try:
            while True:
                result = action.async_status(jid, "status", self._task_vars)
                if result.get("finished"):
                    break
                if result.get("failed"):
                    raise ModuleFailedError(result)
                time_left -= task.poll
                if time_left < 0:
                    raise ModuleReplyError("%s did not finish within async=%d s; raise async (the run's deadline "
                                           "should fit in it)" % (action.MODULE_NAME, task.async_val))
                action.sleep(task.poll)
        finally:
            action.async_status(jid, "cleanup", self._task_vars)
        if result.get("failed"):
            raise ModuleFailedError(result)
        missing = [key for key in expect if key not in result]
        if missing:
            raise ModuleReplyError("%s answered without %s" % (action.MODULE_NAME, ", ".join(missing)))
        return result
