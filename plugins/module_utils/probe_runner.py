# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The threaded runner: every probe concurrently, within a bound, a per-probe timeout and a run deadline."""

from __future__ import annotations

import math
import queue
import threading
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.purview.device_proxy.plugins.module_utils.probe_classify import classify, identity_of
from ansible_collections.purview.device_proxy.plugins.module_utils.probe_client import perform_probe
from ansible_collections.purview.device_proxy.plugins.module_utils.probe_model import (
    AT_ORIGIN, DIRECT, ENVIRONMENT, ERROR, F_NOT_RUN, F_OTHER, F_TIMEOUT, NAMED, PAC, Hop, Observation,
    ProbeConfigError, ProbeResult, ProbeTarget, TlsPolicy,
)
from ansible_collections.purview.device_proxy.plugins.module_utils.probe_pac import PacResolver
from ansible_collections.purview.device_proxy.plugins.module_utils.probe_routes import environment_configured, environment_hop

# An abandoned probe (stuck in name resolution, which has no timeout) is given up this long
# after its own budget; its thread is a daemon and its late result is discarded.
ABANDON_GRACE = 0.5

# The documented ranges of the run settings (network_url_probe documents the same numbers).
TIMEOUT_MAX = 300.0
DEADLINE_MAX = 3600.0
CONCURRENCY_MAX = 256


def _check_seconds(name: str, value: float, maximum: float) -> None:
    # NaN fails every comparison, so "value <= 0" alone lets it through (and the scheduler then
    # spins); infinity overflows the timer arithmetic. Both are refused by name.
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise ProbeConfigError(name, "finite", "%s must be a finite number of seconds, not %r" % (name, value))
    if value <= 0:
        raise ProbeConfigError(name, "positive", "%s must be greater than 0" % name)
    if value > maximum:
        raise ProbeConfigError(name, "range", "%s must be at most %g seconds, not %g" % (name, maximum, value))


def check_settings(timeout: float, deadline: float, concurrency: int) -> None:
    """Refuse run settings outside their documented ranges, naming the option."""
    _check_seconds("timeout", timeout, TIMEOUT_MAX)
    _check_seconds("deadline", deadline, DEADLINE_MAX)
    if not isinstance(concurrency, int) or isinstance(concurrency, bool) or concurrency < 1:
        raise ProbeConfigError("concurrency", "positive", "concurrency must be at least 1")
    if concurrency > CONCURRENCY_MAX:
        raise ProbeConfigError("concurrency", "range", "concurrency must be at most %d, not %d" % (CONCURRENCY_MAX, concurrency))


@dataclass(frozen=True)
class Job:
    """One probe to run: a target and how to find its hop (resolved inside the worker)."""

    target: ProbeTarget
    route: str
    hop: Optional[Hop] = None
    resolve: Optional[Callable[[ProbeTarget], Hop]] = None


def _run_job(job: Job, policy: TlsPolicy, timeout: float, probe: Callable[..., Observation]) -> Tuple[Hop, Observation]:
    hop = job.hop
    if hop is None:
        try:
            hop = job.resolve(job.target)
        except ProbeConfigError as exc:
            return Hop(job.route), Observation(failure=F_OTHER, detail=str(exc))
        except Exception as exc:  # PAC scripts can fail in many ways
            return Hop(job.route), Observation(failure=F_OTHER, detail="choosing the proxy failed: %s" % exc)
    return hop, probe(job.target, hop, policy, timeout)


def run_jobs(jobs: Sequence[Job], policy: Optional[TlsPolicy] = None, timeout: float = 10.0, deadline: float = 60.0,
             concurrency: int = 32, probe: Callable[..., Observation] = perform_probe,
             clock: Callable[[], float] = time.monotonic) -> List[ProbeResult]:
    """Run probes concurrently (at most ``concurrency`` at once) and classify them.

    Each probe gets ``timeout`` seconds, cut to what is left of the run ``deadline``. Probes not
    started by the deadline are reported as not run. A probe stuck where no timeout applies
    (name resolution) is given up shortly after its budget, so the run ends by its deadline.
    """
    check_settings(timeout, deadline, concurrency)
    policy = policy or TlsPolicy()
    done = queue.Queue()  # type: queue.Queue
    outcomes = [None] * len(jobs)  # type: List[Optional[Tuple[Hop, Observation]]]
    expiry = {}  # type: Dict[int, float]
    run_end = clock() + deadline
    next_index = 0

    def worker(index: int, job: Job, budget: float) -> None:
        try:
            done.put((index, _run_job(job, policy, budget, probe)))
        except BaseException as exc:  # pragma: no cover - defensive: always report back
            done.put((index, (Hop(job.route), Observation(failure=F_OTHER, detail=str(exc)))))

    while next_index < len(jobs) or expiry:
        now = clock()
        while next_index < len(jobs) and len(expiry) < concurrency and now < run_end:
            budget = min(timeout, run_end - now)
            expiry[next_index] = now + budget + ABANDON_GRACE
            thread = threading.Thread(target=worker, args=(next_index, jobs[next_index], budget))
            thread.daemon = True
            thread.start()
            next_index += 1
        if next_index < len(jobs) and now >= run_end:
            for index in range(next_index, len(jobs)):
                outcomes[index] = (Hop(jobs[index].route), Observation(
                    failure=F_NOT_RUN, detail="not started: the run deadline of %gs was reached" % deadline))
            next_index = len(jobs)
        if not expiry:
            continue
        wait = max(0.0, min(expiry.values()) - clock())
        try:
            index, outcome = done.get(timeout=wait)
        except queue.Empty:
            now = clock()
            for index in [i for i, end in expiry.items() if end <= now]:
                del expiry[index]
                outcomes[index] = (Hop(jobs[index].route), Observation(
                    failure=F_TIMEOUT, at=AT_ORIGIN, detail="abandoned: no answer from name resolution",
                    elapsed=timeout))
            continue
        if index in expiry:
            del expiry[index]
            outcomes[index] = outcome
    return [_result(job, outcome, policy) for job, outcome in zip(jobs, outcomes)]  # type: ignore[arg-type]


def _result(job: Job, outcome: Tuple[Hop, Observation], policy: TlsPolicy) -> ProbeResult:
    """One probe's result; a failure to judge it stays with that probe, every other one still reports."""
    hop, obs = outcome
    try:
        category, detail = classify(job.target, obs, policy)
        identity = identity_of(job.target, obs, policy)
    except Exception as exc:  # what a server sends is not trusted: one odd answer must not end the run
        return ProbeResult(job.target, hop, obs, ERROR, "the answer could not be judged: %s: %s" % (type(exc).__name__, exc))
    return ProbeResult(job.target, hop, obs, category, detail, identity)


def plan_jobs(targets: Sequence[ProbeTarget], routes: Sequence[str], named: Optional[Hop] = None,
              environ: Optional[Mapping[str, str]] = None, pac: Optional[PacResolver] = None) -> List[Job]:
    """One job per target and configured route, in route order, so results group by route."""
    environ = environ if environ is not None else {}
    jobs = []
    for route in routes:
        for target in targets:
            if route == DIRECT:
                jobs.append(Job(target, route, Hop(DIRECT)))
            elif route == NAMED and named is not None:
                jobs.append(Job(target, route, named))
            elif route == ENVIRONMENT and environment_configured(environ):
                jobs.append(Job(target, route, environment_hop(target, environ)))
            elif route == PAC and pac is not None:
                jobs.append(Job(target, route, None, pac.hop_for))
    return jobs
