# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller half of purview.device_proxy.device_connectivity_probe.

Resolves the URLs (catalog and/or user), validates every option before the host is contacted,
runs the probes in one round trip, then classifies the raw results, gives the verdicts and
renders the analyzer text (plugin_utils.connectivity_verdict).
"""

from __future__ import annotations

import math
import time
from typing import Any, Dict, List, Mapping, Optional

from ansible.playbook.task import Task

from ansible_collections.purview.device_proxy.plugins.plugin_utils import registry_locations
from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import (
    ProxyAddressError,
    parse_endpoint,
)
from ansible_collections.purview.device_proxy.plugins.modules.device_connectivity_probe import DOCUMENTATION
from ansible_collections.purview.device_proxy.plugins.plugin_utils import connectivity_verdict as cv
from ansible_collections.purview.device_proxy.plugins.plugin_utils import maps_check
from ansible_collections.purview.device_proxy.plugins.plugin_utils.polled_target import PolledTargetSession
from ansible_collections.purview.device_proxy.plugins.plugin_utils.task_arguments import TaskInputError
from ansible_collections.purview.device_proxy.plugins.plugin_utils.windows_module import (
    Outcome,
    TargetSession,
    WindowsModuleAction,
    forward_options,
)

LIMITS = {"max_concurrency": (1, 256), "probe_timeout": (1, 300), "deadline": (1, 3600), "establish_after": (0, 10),
          "maps_timeout": (1, 600)}
MAX_AUTO_CONCURRENCY = 256
SYSTEM_SID = "S-1-5-18"


def check_limits(params: Dict[str, Any]) -> None:
    for name, (low, high) in LIMITS.items():
        value = params.get(name)
        if value is None:
            continue  # chosen by run_limits
        if not low <= value <= high:
            raise TaskInputError(name, "range", f"{value} is out of range {low}-{high}")


def run_limits(probes: int, probe_timeout_s: int, max_concurrency: Optional[int] = None,
               deadline_s: Optional[int] = None) -> Dict[str, int]:
    """The concurrency bound and deadline (ms) for ``probes`` planned probes.

    Defaults: every probe may run at once (up to MAX_AUTO_CONCURRENCY threads on the target), so a
    broken network costs about one probe timeout instead of one per batch; the deadline leaves one
    timeout per batch plus one and a half: the deciding probes of a shared failure (one timeout),
    the probes that waited for them when nothing was established (one more) and WinHTTP's
    overhead. docs/connectivity-check.md, "Scheduling", gives the bound and the measured figures.
    """
    concurrency = max_concurrency or max(1, min(MAX_AUTO_CONCURRENCY, probes))
    batches = max(1, math.ceil(probes / concurrency))
    deadline_ms = deadline_s * 1000 if deadline_s else int(probe_timeout_s * 1000 * (batches + 1.5))
    return {"max_concurrency": concurrency, "deadline_ms": deadline_ms}


def catalog_probe_items(params: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The catalog's analyzer probe URLs for the selection options (imported lazily: controller only)."""
    from ansible_collections.purview.device_proxy.plugins.plugin_utils.catalog import CatalogError, load_catalog

    try:
        return load_catalog().probe_urls(cloud=params["cloud"], regions=tuple(params["regions"]),
                                         model=params["model"], os="windows")
    except CatalogError as err:
        raise TaskInputError(getattr(err, "field", "catalog") or "catalog", "catalog", str(err)) from err


def resolve_url_specs(params: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The URLs to test, normalised, catalog first, duplicates (same URL) dropped."""
    user_items = params.get("urls") or []
    use_catalog = params.get("catalog")
    if use_catalog is None:
        use_catalog = not user_items
    specs: List[Dict[str, Any]] = []
    if use_catalog:
        specs.extend(cv.normalise_url_spec(item, index, "catalog")
                     for index, item in enumerate(catalog_probe_items(params)))
    try:
        specs.extend(cv.normalise_url_spec(item, index, "urls") for index, item in enumerate(user_items))
    except cv.VerdictInputError as err:
        raise TaskInputError(err.field, err.rule, err.message) from err
    if params.get("required_only"):
        specs = [spec for spec in specs if spec["required"]]
    unique: Dict[str, Dict[str, Any]] = {}
    for spec in specs:
        unique.setdefault(spec["url"], spec)
    if not unique:
        raise TaskInputError("urls", "empty", "no URL to test: give urls, or a catalog selection that has some")
    return list(unique.values())


def command_line_proxy(params: Dict[str, Any]) -> Any:
    value = params.get("command_line_proxy")
    if value is None:
        return None
    try:
        return parse_endpoint(value, field="command_line_proxy", allow_scheme=True).host_port()
    except ProxyAddressError as err:
        raise TaskInputError("command_line_proxy", err.rule, err.message) from err


def maps_timeout_ms(params: Dict[str, Any], deadline_ms: int) -> Optional[int]:
    """MpCmdRun's time limit (ms) when validate_maps is on, None when the check is off.

    The check starts with the probes, so a limit no longer than the run's deadline ends it by the
    deadline: a deadline the user gave cuts maps_timeout; the computed one grows to hold it
    (see :func:`ActionModule.decide`), so the default is never a false timeout of a slow check.
    """
    if not params.get("validate_maps"):
        return None
    return min(params["maps_timeout"] * 1000, deadline_ms)


def maps_option(params: Dict[str, Any], deadline_ms: int) -> Optional[Dict[str, Any]]:
    """The ``_maps`` argument (time limit and where Defender's platform folder is recorded), or None."""
    timeout = maps_timeout_ms(params, deadline_ms)
    if timeout is None:
        return None
    return {"timeout_ms": timeout, "install_location": registry_locations.maps_check_option()}


def task_result(specs: List[Dict[str, Any]], raw: Dict[str, Any], params: Dict[str, Any]) -> Dict[str, Any]:
    """The task result's fields from the target's raw answer (verdicts, text, policy outcome)."""
    policy, verdict_name = params.get("fail_policy", "never"), params.get("fail_verdict", "strict")
    verdict = cv.host_verdict(specs, raw)
    failures = cv.policy_failures(verdict["summary"], policy, verdict_name)
    # A reply that carries MAPS facts the task did not ask for is not judged (and not shown).
    maps = maps_check.maps_verdict(raw.get("maps")) if params.get("validate_maps") else None
    if params.get("validate_maps") and maps is None:
        maps = maps_check.maps_verdict({"ran": False, "not_run_reason": "no-result"})
    maps_fails = bool(maps and maps["status"] == maps_check.MAPS_FAILED and policy != "never")
    result: Dict[str, Any] = {
        "raw": raw,
        "configured": verdict["configured"],
        "identity": verdict["identity"],
        "urls": verdict["urls"],
        "channels": verdict["channels"],
        "summary": verdict["summary"],
        "failed_urls": failures,
        "analyzer_text": cv.render_analyzer_text(verdict["urls"], legacy=bool(params.get("legacy_text")))
        + maps_check.render_maps_line(maps),
    }
    messages = []
    if failures:
        messages.append("%d URL(s) failed the %s verdict (fail_policy=%s): %s" % (
            len(failures), verdict_name, policy, ", ".join(failures)))
    if maps is not None:
        result["maps"] = dict(maps, fails_host=maps_fails)
        if maps_fails:
            messages.append("the MAPS check failed (fail_policy=%s): %s" % (policy, maps["detail"]))
    if messages:
        result["failed"] = True
        result["msg"] = "; ".join(messages)
    return result


class ActionModule(WindowsModuleAction):
    MODULE_NAME = "purview.device_proxy.device_connectivity_probe"
    DOCUMENTATION = DOCUMENTATION
    # A run's deadline can be an hour: under async the module runs detached on the target and the
    # action polls it (polled_target), then decides the verdicts on the final answer.
    SUPPORTS_ASYNC = True

    def target_session(self, task_vars: Mapping[str, Any]) -> TargetSession:
        if self._task.async_val:
            return PolledTargetSession(self, task_vars)
        return TargetSession(self, task_vars)

    def async_status(self, jid: str, mode: str = "status", task_vars: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
        """One run of the async_status action for the job, as ansible-core's task executor polls."""
        task = Task.load({"action": "ansible.builtin.async_status", "args": {"jid": jid, "mode": mode}})
        handler = self._shared_loader_obj.action_loader.get(
            "ansible.legacy.async_status", task=task, connection=self._connection, play_context=self._play_context,
            loader=self._loader, templar=self._templar, shared_loader_obj=self._shared_loader_obj)
        return handler.run(task_vars=dict(task_vars or {}))

    @staticmethod
    def sleep(seconds: float) -> None:
        time.sleep(seconds)

    def decide(self, params: Dict[str, Any], session: TargetSession) -> Outcome:
        if self._task.async_val and not self._task.poll:
            raise TaskInputError(
                "poll", "async", "poll: 0 is not supported: the verdicts are decided on the controller when the "
                "probes finish, so the task must wait for them (use poll > 0 with async)")
        check_limits(params)
        specs = resolve_url_specs(params)
        proxy = command_line_proxy(params)
        methods = [m for m in cv.METHODS if m in params["methods"]]
        limits = run_limits(len(specs) * len(methods), params["probe_timeout"],
                            params.get("max_concurrency"), params.get("deadline"))
        if params.get("validate_maps") and not params.get("deadline"):
            limits["deadline_ms"] = max(limits["deadline_ms"], params["maps_timeout"] * 1000)
        private = {
            "_urls": [spec["url"] for spec in specs],
            "_methods": methods,
            "_command_line_proxy": proxy,
            "_max_concurrency": limits["max_concurrency"],
            "_probe_timeout_ms": params["probe_timeout"] * 1000,
            "_deadline_ms": limits["deadline_ms"],
            "_establish_after": params["establish_after"],
            "_registry": registry_locations.device_probe_option(),
            # Present only when asked: without it the target never starts MpCmdRun.
            "_maps": maps_option(params, limits["deadline_ms"]),
        }
        module_args = forward_options(params, self.argument_spec(), {"command_line_proxy": proxy})
        module_args.pop("urls", None)  # resolved into _urls; dict items need not travel twice
        module_args.update({k: v for k, v in private.items() if v is not None})
        raw = session.call(module_args, expect=("raw",))["raw"]

        extra = task_result(specs, raw, params)
        return Outcome(changed=False, before=None, after=None, extra=extra, warnings=self._warnings(raw))

    @staticmethod
    def _warnings(raw: Dict[str, Any]) -> List[str]:
        warnings = []
        process = raw.get("process") or {}
        if process.get("sid") and process["sid"] != SYSTEM_SID:
            warnings.append(
                "the probes ran as %s, not SYSTEM: the sensor runs as SYSTEM, so results may differ; use "
                "become: true, become_method: ansible.builtin.runas, become_user: SYSTEM" % process.get("user"))
        if process.get("is_64bit_os") and process.get("is_64bit") is False:
            warnings.append(
                "the probes ran in a 32-bit PowerShell on 64-bit Windows: method 1 (default proxy) used the "
                "WOW6432Node copy of the WinHTTP settings, not the 64-bit one the sensor uses; run the task "
                "in the 64-bit PowerShell (the default WinRM/SSH endpoints are 64-bit)")
        run = raw.get("run") or {}
        if run.get("deadline_reached"):
            warnings.append("the deadline (%s ms) stopped the run; raise deadline or max_concurrency"
                            % run.get("deadline_ms"))
        return warnings
