# -*- coding: utf-8 -*-
"""scripts/check_network.sh (what ``make check-network`` runs) against the lab, offline.

IP-literal URLs, so no name is looked up and nothing leaves the machine: the lab's HTTP service,
directly and through the lab Squid.
"""

from __future__ import annotations

import json
import os
import re
import subprocess

import squid_lab as L

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(HERE))), "scripts", "check_network.sh")
PROXY_VARIABLES = ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY")


def check_network(lab, *args, proxy=None):
    env = {key: value for key, value in os.environ.items() if key not in PROXY_VARIABLES}
    env.update(ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0", DEADLINE="20", PROXY=proxy or lab.proxy())
    urls = json.dumps({"check_network_urls": ["http://127.0.0.1:%d/check" % lab.http.port]})
    run = subprocess.run([SCRIPT, "-e", urls] + list(args),
                         capture_output=True, text=True, env=env, timeout=180, check=False)
    return run


def assert_no_raw_result(output):
    # The probe task's result (results, summary, invocation) is never printed; only what the
    # playbook's debug and fail tasks choose to show.
    for key in ('"results"', '"summary"', '"invocation"', "module_args", '"skipped_routes"'):
        assert key not in output, output[-3000:]


def test_verbosity_is_accepted_and_never_dumps_the_module_result(lab):
    run = check_network(lab, "-vv")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert_no_raw_result(run.stdout)
    assert "Testing URL : http://127.0.0.1:%d/check" % lab.http.port in run.stdout  # the report, at -v
    # One line per probe, at -vv: route | url | category | detail.
    assert re.search(r"named \| http://127\.0\.0\.1:%d/check \| \w+ \| " % lab.http.port, run.stdout)
    assert "1 of 1 URL(s) reachable" in run.stdout


def test_without_verbosity_only_the_table_requirements_and_verdict(lab):
    run = check_network(lab)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert_no_raw_result(run.stdout)
    assert "Testing URL" not in run.stdout
    assert "allowed: " in run.stdout and "anonymous: " in run.stdout


def test_bad_input_fails_with_its_message_only(lab):
    run = check_network(lab, "-v", proxy="no-port-given")
    assert run.returncode != 0
    assert_no_raw_result(run.stdout)
    assert "proxy" in run.stdout and "(option proxy)" in run.stdout


def test_extra_arguments_reach_ansible_playbook(lab):
    run = check_network(lab, "-e", "strict=true", proxy=lab.proxy())
    # Reachable directly, so strict passes; an unknown extra option would make ansible-playbook fail.
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert L.PLAIN not in run.stdout
