# -*- coding: utf-8 -*-
"""Probe engine scheduling: the bound, per-probe budgets, the run deadline (fake probes, no network).

Wall-clock figures belong to tools/bench/bench_network_probe.py; these tests only check ordering, bounds and
that a run ends near its deadline with generous margins.
"""

from __future__ import annotations

import threading
import time

import pytest

from ansible_collections.purview.device_proxy.plugins.module_utils import probe_model
from ansible_collections.purview.device_proxy.plugins.module_utils import probe_runner
from ansible_collections.purview.device_proxy.plugins.module_utils import probe_targets
from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import ProxyEndpoint

HTTPS = probe_targets.make_target("https://winatp-gw-cus.microsoft.com/test")
CTL = probe_targets.make_target("http://ctldl.windowsupdate.com/msdownload/update/v3/static/trustedr/en/disallowedcertstl.cab")
PROXY = ProxyEndpoint("10.0.0.6", 8080)


def targets(count):
    return [probe_targets.make_target("https://host%d.example/test" % index) for index in range(count)]


def jobs_for(items):
    return [probe_runner.Job(target, probe_model.DIRECT, probe_model.Hop(probe_model.DIRECT)) for target in items]


class Recorder:
    """A fake probe that records concurrency and the budgets it was given."""

    def __init__(self, delay=0.02, outcome=None):
        self.delay = delay
        self.outcome = outcome or (lambda target: probe_model.Observation(status=200))
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
        return probe_model.Observation(status=200) if index % 2 else probe_model.Observation(failure=probe_model.F_DNS)

    results = probe_runner.run_jobs(jobs_for(items), concurrency=5, probe=Recorder(0.01, outcome))
    assert [r.target for r in results] == items
    assert [r.category for r in results[:4]] == [probe_model.DNS_FAILURE, probe_model.REACHABLE, probe_model.DNS_FAILURE, probe_model.REACHABLE]


def test_concurrency_bound_is_respected_and_used():
    recorder = Recorder(0.05)
    probe_runner.run_jobs(jobs_for(targets(30)), concurrency=4, probe=recorder)
    assert recorder.peak == 4


def test_each_probe_gets_the_timeout_as_budget():
    recorder = Recorder(0.0)
    probe_runner.run_jobs(jobs_for(targets(5)), timeout=7.5, deadline=60, probe=recorder)
    assert len(recorder.budgets) == 5
    assert all(7.0 < budget <= 7.5 for budget in recorder.budgets)


def test_budget_is_cut_to_what_is_left_of_the_deadline():
    recorder = Recorder(0.0)
    probe_runner.run_jobs(jobs_for(targets(3)), timeout=30, deadline=2, probe=recorder)
    assert all(budget <= 2 for budget in recorder.budgets)


def test_probes_not_started_by_the_deadline_are_not_run():
    recorder = Recorder(0.4)
    started = time.monotonic()
    results = probe_runner.run_jobs(jobs_for(targets(10)), timeout=5, deadline=1.0, concurrency=1, probe=recorder)
    elapsed = time.monotonic() - started
    categories = [r.category for r in results]
    assert categories[:2] == [probe_model.REACHABLE, probe_model.REACHABLE]
    assert categories[-1] == probe_model.NOT_RUN
    assert probe_model.REACHABLE in categories and probe_model.NOT_RUN in categories
    assert "deadline" in results[-1].detail
    assert elapsed < 3.0  # generous: the run stops near its 1 s deadline, not after 10 x 0.4 s


def test_a_probe_that_ignores_its_budget_is_abandoned():
    release = threading.Event()

    def stuck(target, hop, policy, timeout):
        if target.host.startswith("host0."):
            release.wait(30)  # like name resolution: no timeout applies
        return probe_model.Observation(status=200)

    started = time.monotonic()
    results = probe_runner.run_jobs(jobs_for(targets(3)), timeout=0.5, deadline=10, probe=stuck)
    elapsed = time.monotonic() - started
    release.set()
    assert results[0].category == probe_model.TIMEOUT
    assert "abandoned" in results[0].detail
    assert [r.category for r in results[1:]] == [probe_model.REACHABLE, probe_model.REACHABLE]
    assert elapsed < 5.0


def test_a_raising_probe_becomes_an_error_result():
    def boom(target, hop, policy, timeout):
        raise RuntimeError("unexpected")

    results = probe_runner.run_jobs(jobs_for(targets(2)), probe=boom)
    assert [r.category for r in results] == [probe_model.ERROR, probe_model.ERROR]


def test_resolver_failures_become_error_results():
    def resolve(target):
        raise probe_model.ProbeConfigError("pac_url", "pac-directive", "the PAC file returned 'SOCKS5 x:1'")

    job = probe_runner.Job(targets(1)[0], probe_model.PAC, None, resolve)
    results = probe_runner.run_jobs([job], probe=Recorder(0.0))
    assert results[0].category == probe_model.ERROR
    assert "SOCKS5" in results[0].detail
    assert results[0].hop.route == probe_model.PAC


@pytest.mark.parametrize("kwargs, field", [
    ({"timeout": 0}, "timeout"), ({"deadline": -1}, "deadline"), ({"concurrency": 0}, "concurrency")])
def test_bad_settings_name_the_field(kwargs, field):
    with pytest.raises(probe_model.ProbeConfigError) as info:
        probe_runner.run_jobs(jobs_for(targets(1)), probe=Recorder(0.0), **kwargs)
    assert info.value.field == field


def test_empty_job_list_returns_no_results():
    assert probe_runner.run_jobs([], probe=Recorder(0.0)) == []


# --- planning ----------------------------------------------------------------------------------

def test_plan_jobs_only_for_configured_routes():
    targets = [HTTPS, CTL]
    named = probe_model.Hop(probe_model.NAMED, PROXY)
    jobs = probe_runner.plan_jobs(targets, probe_model.ROUTES, named=named, environ={})
    assert [(j.route, j.target.url) for j in jobs] == [
        (probe_model.DIRECT, HTTPS.url), (probe_model.DIRECT, CTL.url), (probe_model.NAMED, HTTPS.url), (probe_model.NAMED, CTL.url)]
    jobs = probe_runner.plan_jobs(targets, [probe_model.ENVIRONMENT], environ={"https_proxy": "http://p.example:1"})
    assert [j.hop.proxy for j in jobs] == [ProxyEndpoint("p.example", 1), None]


# --- settings: finite, within the documented ranges -------------------------------------------

@pytest.mark.parametrize("kwargs, field, rule", [
    ({"timeout": float("nan")}, "timeout", "finite"),
    ({"timeout": float("inf")}, "timeout", "finite"),
    ({"deadline": float("nan")}, "deadline", "finite"),
    ({"deadline": float("inf")}, "deadline", "finite"),
    ({"timeout": probe_runner.TIMEOUT_MAX + 1}, "timeout", "range"),
    ({"deadline": probe_runner.DEADLINE_MAX + 1}, "deadline", "range"),
    ({"concurrency": probe_runner.CONCURRENCY_MAX + 1}, "concurrency", "range"),
])
def test_settings_must_be_finite_and_in_range(kwargs, field, rule):
    # NaN passed every "<= 0" test and spun the scheduler; infinity crashed it.
    recorder = Recorder(0.0)
    with pytest.raises(probe_model.ProbeConfigError) as info:
        probe_runner.run_jobs(jobs_for(targets(1)), probe=recorder, **kwargs)
    assert (info.value.field, info.value.rule) == (field, rule)
    assert field in str(info.value)
    assert recorder.budgets == []


def test_settings_at_the_documented_maximum_are_accepted():
    probe_runner.check_settings(probe_runner.TIMEOUT_MAX, probe_runner.DEADLINE_MAX, probe_runner.CONCURRENCY_MAX)
