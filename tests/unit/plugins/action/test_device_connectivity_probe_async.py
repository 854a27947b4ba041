# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The device probe under ``async``: the module runs in the background on the target, the action
polls it with async_status (as ansible-core's task executor does) and still decides the verdicts;
``poll: 0`` is refused because nobody would be left to decide them."""

from __future__ import annotations

import copy

from ansible_collections.purview.device_proxy.plugins.action import device_connectivity_probe as action

from .conftest import RecordedTarget, make_action
from .test_device_connectivity_probe import recorded


class PolledStatus:
    """Stands in for the async_status action: 'running' answers, then the module's result."""

    def __init__(self, running, final):
        self.answers = [{"ansible_job_id": "j1", "started": 1, "finished": 0}] * running
        self.answers.append(dict(copy.deepcopy(final), ansible_job_id="j1", started=1, finished=1))
        self.calls = []

    def __call__(self, jid, mode="status", task_vars=None):
        self.calls.append((jid, mode))
        if mode == "cleanup":
            return {"ansible_job_id": jid, "erased": "C:\\async\\" + jid}
        return self.answers.pop(0)


def run_async(args, final, running=2, poll=1, async_val=3600):
    plugin = make_action(action, args)
    plugin._task.async_val = async_val
    plugin._task.poll = poll
    target = RecordedTarget({"ansible_job_id": "j1", "started": 1, "finished": 0, "results_file": "C:\\async\\j1"})
    plugin._execute_module = target
    status = PolledStatus(running, final)
    plugin.async_status = status
    plugin.sleep = lambda seconds: None
    return plugin.run(task_vars={"inventory_hostname": "win10-01"}), target, status


def test_async_runs_the_module_in_the_background_and_judges_the_final_answer():
    urls, reply = recorded("named_proxy_ok")
    result, target, status = run_async({"urls": urls, "fail_policy": "any"}, reply)
    assert len(target.calls) == 1 and target.calls[0]["kwargs"].get("wrap_async") is True
    assert status.calls == [("j1", "status")] * 3 + [("j1", "cleanup")]
    assert "failed" not in result, result.get("msg")
    assert [u["strict"] for u in result["urls"]] == ["pass"] * 4
    assert result["analyzer_text"].startswith("Testing URL : ")


def test_async_failure_of_the_module_is_the_task_failure():
    urls, _reply = recorded("named_proxy_ok")
    result, _target, _status = run_async({"urls": urls}, {"failed": True, "msg": "Add-Type failed"}, running=0)
    assert result["failed"] is True and "Add-Type failed" in result["msg"]


def test_async_that_outlives_its_time_is_a_failure_not_a_verdict():
    urls, reply = recorded("named_proxy_ok")
    result, _target, status = run_async({"urls": urls}, reply, running=100, poll=10, async_val=30)
    assert result["failed"] is True
    assert "did not finish within async=30" in result["msg"]
    assert "urls" not in result
    assert status.calls[-1] == ("j1", "cleanup")


def test_poll_zero_is_refused_before_the_host_is_contacted():
    urls, reply = recorded("named_proxy_ok")
    result, target, _status = run_async({"urls": urls}, reply, poll=0)
    assert result["failed"] is True and result["invalid_option"] == "poll"
    assert "decided on the controller" in result["msg"]
    assert target.calls == []
