# -*- coding: utf-8 -*-
"""Probe engine scheduling: the bound, per-probe budgets, the run deadline (fake probes, no network).

Wall-clock figures belong to tools/bench_probe.py; these tests only check ordering, bounds and
that a run ends near its deadline with generous margins.
"""

import threading
import time

import pytest

from ansible_collections.purview.device_proxy.plugins.module_utils import probe_engine as pe


def targets(count):
    return [pe.make_target("https://host%d.example/test" % index) for index in range(count)]


def jobs_for(items):
    return [pe.Job(target, pe.DIRECT, pe.Hop(pe.DIRECT)) for target in items]


class Recorder:
    """A fake probe that records concurrency and the budgets it was given."""

    def __init__(self, delay=0.02, outcome=None):
        self.delay = delay
        self.outcome = outcome or (lambda target: pe.Observation(status=200))
        self.lock = threading.Lock()
        self.active = 0
        self.peak = 0
        self.budgets = []

    def __call__(self, target, hop, policy, timeout):
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
            self.budgets.append(timeout)
        try:
            time.sleep(self.delay)
            return self.outcome(target)
        finally:
            with self.lock:
                self.active -= 1


def test_results_keep_job_order_and_are_classified():
    items = targets(20)

    def outcome(target):
        index = int(target.host[4:].split(".")[0])
        return pe.Observation(status=200) if index % 2 else pe.Observation(failure=pe.F_DNS)

    results = pe.run_jobs(jobs_for(items), concurrency=5, probe=Recorder(0.01, outcome))
    assert [r.target for r in results] == items
    assert [r.category for r in results[:4]] == [pe.DNS_FAILURE, pe.REACHABLE, pe.DNS_FAILURE, pe.REACHABLE]


def test_concurrency_bound_is_respected_and_used():
    recorder = Recorder(0.05)
    pe.run_jobs(jobs_for(targets(30)), concurrency=4, probe=recorder)
    assert recorder.peak == 4


def test_each_probe_gets_the_timeout_as_budget():
    recorder = Recorder(0.0)
    pe.run_jobs(jobs_for(targets(5)), timeout=7.5, deadline=60, probe=recorder)
    assert len(recorder.budgets) == 5
    assert all(7.0 < budget <= 7.5 for budget in recorder.budgets)


def test_budget_is_cut_to_what_is_left_of_the_deadline():
    recorder = Recorder(0.0)
    pe.run_jobs(jobs_for(targets(3)), timeout=30, deadline=2, probe=recorder)
    assert all(budget <= 2 for budget in recorder.budgets)


def test_probes_not_started_by_the_deadline_are_not_run():
    recorder = Recorder(0.4)
    started = time.monotonic()
    results = pe.run_jobs(jobs_for(targets(10)), timeout=5, deadline=1.0, concurrency=1, probe=recorder)
    elapsed = time.monotonic() - started
    categories = [r.category for r in results]
    assert categories[:2] == [pe.REACHABLE, pe.REACHABLE]
    assert categories[-1] == pe.NOT_RUN
    assert pe.REACHABLE in categories and pe.NOT_RUN in categories
    assert "deadline" in results[-1].detail
    assert elapsed < 3.0  # generous: the run stops near its 1 s deadline, not after 10 x 0.4 s


def test_a_probe_that_ignores_its_budget_is_abandoned():
    release = threading.Event()

    def stuck(target, hop, policy, timeout):
        if target.host.startswith("host0."):
            release.wait(30)  # like name resolution: no timeout applies
        return pe.Observation(status=200)

    started = time.monotonic()
    results = pe.run_jobs(jobs_for(targets(3)), timeout=0.5, deadline=10, probe=stuck)
    elapsed = time.monotonic() - started
    release.set()
    assert results[0].category == pe.TIMEOUT
    assert "abandoned" in results[0].detail
    assert [r.category for r in results[1:]] == [pe.REACHABLE, pe.REACHABLE]
    assert elapsed < 5.0


def test_a_raising_probe_becomes_an_error_result():
    def boom(target, hop, policy, timeout):
        raise RuntimeError("unexpected")

    results = pe.run_jobs(jobs_for(targets(2)), probe=boom)
    assert [r.category for r in results] == [pe.ERROR, pe.ERROR]


def test_resolver_failures_become_error_results():
    def resolve(target):
        raise pe.ProbeConfigError("pac_url", "pac-directive", "the PAC file returned 'SOCKS5 x:1'")

    job = pe.Job(targets(1)[0], pe.PAC, None, resolve)
    results = pe.run_jobs([job], probe=Recorder(0.0))
    assert results[0].category == pe.ERROR
    assert "SOCKS5" in results[0].detail
    assert results[0].hop.route == pe.PAC


@pytest.mark.parametrize("kwargs, field", [
    ({"timeout": 0}, "timeout"), ({"deadline": -1}, "deadline"), ({"concurrency": 0}, "concurrency")])
def test_bad_settings_name_the_field(kwargs, field):
    with pytest.raises(pe.ProbeConfigError) as info:
        pe.run_jobs(jobs_for(targets(1)), probe=Recorder(0.0), **kwargs)
    assert info.value.field == field


def test_empty_job_list_returns_no_results():
    assert pe.run_jobs([], probe=Recorder(0.0)) == []
