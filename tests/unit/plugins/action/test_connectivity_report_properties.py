# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Property: whatever the task results and the history folder hold, the report task either writes
the reports (warning about each history file it skipped, by name) or refuses the input with an
error naming the host and the field. It never ends in an unhandled exception.

Task results are recorded device results with values replaced or removed at random places and
hostile host names; history files are real entries with fields replaced, other JSON, random bytes,
under generated and other names. Small fleets keep an example fast; under CI (``CI`` set) at
least 2,000 examples run.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import re
import tempfile
from xml.etree import ElementTree
from unittest import mock
from unittest.mock import MagicMock

from hypothesis import HealthCheck, given, settings, strategies as st

from ansible.playbook.task import Task

from ansible_collections.purview.device_proxy.plugins.action import connectivity_report
from ansible_collections.purview.device_proxy.plugins.plugin_utils import fleet_history
from ansible_collections.purview.device_proxy.plugins.plugin_utils import fleet_report

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "regenerate_golden", os.path.join(HERE, "fixtures", "connectivity_report", "regenerate_golden.py"))
golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden)

RESULTS = golden.fleet_inputs()
HOSTS = sorted(RESULTS)
EXAMPLES = 2000 if os.environ.get("CI") else 200
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")

text = st.text(alphabet=st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF), max_size=12)
host_names = st.one_of(st.sampled_from(HOSTS), text.filter(bool),
                       st.sampled_from(["evil\x1b[2J\r", "bad\ud800", "..", "a/b", "x" * 300]))
scalars = st.one_of(st.none(), st.booleans(), st.integers(-2, 2 ** 40), st.floats(allow_nan=True), text,
                    st.sampled_from(["pass", "fail", "untested", "tested", "no-result", "named", "strict", "P", "F"]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(text, inner, max_size=3)), max_leaves=6)


def paths(node, prefix=(), depth=0):
    """Every place in a JSON-like value, down to depth 5."""
    found = [prefix] if prefix else []
    if depth >= 5:
        return found
    if isinstance(node, dict):
        for key, child in node.items():
            found.extend(paths(child, prefix + (key,), depth + 1))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found.extend(paths(child, prefix + (index,), depth + 1))
    return found


def mutate(document, data, count):
    """Replace or remove the value at ``count`` randomly drawn places of ``document``, in place."""
    for _round in range(count):
        places = paths(document)
        if not places:
            return
        place = data.draw(st.sampled_from(places))
        parent = document
        for step in place[:-1]:
            parent = parent[step]
        if isinstance(parent, dict) and data.draw(st.booleans()):
            del parent[place[-1]]
        else:
            parent[place[-1]] = data.draw(values)


@st.composite
def task_results(draw):
    data = draw(st.data())
    chosen = draw(st.lists(st.sampled_from(HOSTS), min_size=1, max_size=3, unique=True))
    results = {}
    for host in chosen:
        result = copy.deepcopy(RESULTS[host])
        if isinstance(result, dict) and draw(st.integers(0, 3)) == 0:
            mutate(result, data, draw(st.integers(1, 3)))
        name = draw(host_names)
        results[name] = result
    return results


@st.composite
def history_files(draw):
    """[(file name, bytes)] for a history folder."""
    data = draw(st.data())
    files = []
    for index in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["entry", "mutated", "fleet", "json", "bytes"]))
        chosen = {h: RESULTS[h] for h in draw(st.lists(st.sampled_from(HOSTS), min_size=1, max_size=3, unique=True))}
        when = "2026-07-0%dT09:00:00Z" % draw(st.integers(1, 9))
        fleet = fleet_report.build_fleet(chosen, when)
        if kind in ("entry", "mutated"):
            entry = json.loads(json.dumps(fleet_history.entry_from_fleet(fleet)))
            if kind == "mutated":
                mutate(entry, data, draw(st.integers(1, 2)))
            body = fleet_history.encode_entry(entry) if "hosts" in entry else json.dumps(entry).encode("utf-8") + b"\n"
        elif kind == "fleet":
            document = json.loads(fleet_report.render_json(fleet))
            mutate(document, data, draw(st.integers(0, 2)))
            body = json.dumps(document).encode("utf-8", "surrogatepass")
        elif kind == "json":
            body = json.dumps(draw(values)).encode("utf-8", "surrogatepass") + b"\n"
        else:
            body = draw(st.binary(max_size=64))
        generated = "run-2026070%dT090000.%06dZ-%d-%08x.jsonl" % (draw(st.integers(1, 9)), index, index, index)
        name = draw(st.sampled_from([generated, generated, "run-seed-%d.jsonl" % index]))
        files.append((name, body))
    return files


def run_report(args):
    task = MagicMock(Task)
    task.args = args
    task.check_mode = False
    task.diff = False
    task.async_val = 0
    plugin = connectivity_report.ActionModule(task, MagicMock(), MagicMock(), loader=None, templar=None,
                                              shared_loader_obj=None)
    return plugin.run(task_vars={})


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(results=task_results(), files=history_files(), policy=st.sampled_from(["any", "required", "never"]),
       verdict=st.sampled_from(["strict", "analyzer"]))
def test_the_report_task_writes_reports_or_names_the_bad_input(results, files, policy, verdict):
    # Durability is tested on its own; here it would only cost a disk flush per file.
    with tempfile.TemporaryDirectory() as folder, mock.patch("os.fsync"):
        history = os.path.join(folder, "history")
        os.mkdir(history)
        for name, body in files:
            with open(os.path.join(history, name), "wb") as handle:
                handle.write(body)
        dest = os.path.join(folder, "reports")
        outcome = run_report({"dest": dest, "results": results, "history_dir": history, "history_keep": 2,
                              "fail_policy": policy, "fail_verdict": verdict,
                              "metrics_file": os.path.join(folder, "m.prom")})
        if outcome.get("failed"):
            # A refused input names the host and the field.
            assert outcome.get("rule") in ("result-shape", "file-name"), outcome
            hosts = {"results[%s]" % host for host in results} | set(results)  # file-name: the host itself
            assert outcome["invalid_option"] in hosts, outcome
            assert re.search(r"urls|configured|maps|summary|a field|analyzer text|file name", outcome["msg"]), outcome["msg"]
            assert not os.path.exists(dest), "reports written before the input was refused"
            return
        written = os.listdir(dest)
        assert {"connectivity-fleet.json", "connectivity-fleet.html", "connectivity-junit.xml",
                "connectivity-summary.txt"} <= set(written)
        with open(os.path.join(dest, "connectivity-fleet.json"), encoding="utf-8") as handle:
            json.load(handle)
        ElementTree.parse(os.path.join(dest, "connectivity-junit.xml"))
        with open(os.path.join(dest, "connectivity-summary.txt"), encoding="utf-8") as handle:
            assert not CONTROL.search(handle.read())
        # Every warning names a file of the folder (or the folder); every file is used or warned about.
        warnings = outcome["history"]["warnings"]
        for warning in warnings:
            assert warning.startswith(history), warning
            assert not CONTROL.search(warning), repr(warning)
        named = {name for name, _body in files}
        warned = {name for name in named if any(os.path.join(history, name) + ":" in w for w in warnings)}
        assert outcome["history"]["entry"] and os.path.exists(outcome["history"]["entry"])
        for name in named - warned - set(outcome["history"]["removed"]):
            # Not warned about: a usable entry of the generated form (kept, or still there).
            assert fleet_history.NAME_PATTERN.match(name), (name, warnings)
