# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A history folder someone else can write to: malformed entries, special files, names, dates.

Every case here is a folder state that a crash, a copy, a clock or a newer collection can leave
behind. The rules: an entry that cannot be used is skipped with a warning naming the file and
the field, it is never deleted, and it never stops the run; entries are ordered by the time they
carry, not by their names; the run's own entry survives its own pruning.
"""

from __future__ import annotations

import datetime
import importlib.util
import json
import multiprocessing
import os
import resource

import pytest

from ansible_collections.purview.device_proxy.plugins.plugin_utils import fleet_history
from ansible_collections.purview.device_proxy.plugins.plugin_utils import fleet_report

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "action", "fixtures",
                        "connectivity_report")
_spec = importlib.util.spec_from_file_location("regenerate_golden", os.path.join(FIXTURES, "regenerate_golden.py"))
golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden)

# Runs are dated relative to the real clock: the skew bound is measured against it.
NOW = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


@pytest.fixture(scope="module")
def results():
    return golden.fleet_inputs()


def entry(results, when):
    return fleet_history.entry_from_fleet(fleet_report.build_fleet(results, when))


def name_for(when, tag="0000beef"):
    """A file name of exactly the generated form."""
    return "run-%s-4242-%s.jsonl" % (when.strftime("%Y%m%dT%H%M%S.%fZ"), tag)


def at(day, hour=9):
    """Day ``day`` of the last ten days (day 10 is today), at ``hour``."""
    midnight = NOW.replace(hour=0, minute=0, second=0)
    return midnight - datetime.timedelta(days=10 - day) + datetime.timedelta(hours=hour)


def stamp(when):
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def saved_folder(tmp_path, results, days=(1, 2, 3)):
    folder = tmp_path / "history"
    for day in days:
        fleet_history.save_entry(str(folder), entry(results, stamp(at(day))), keep=10, now=at(day))
    return folder


# --- malformed entries: skipped by name and field --------------------------------------------------
def _mutations():
    """(case, field the warning must name, change to a valid entry)."""
    def hosts_value(e):
        e["hosts"][next(iter(e["hosts"]))] = 5

    def hosts_list(e):
        e["hosts"] = list(e["hosts"])

    def urls_item(e):
        e["urls"][0] = 5

    def url_text(e):
        e["urls"][0][0] = ["x"]

    def generated(e):
        e["generated_at"] = 20260702

    def generated_text(e):
        e["generated_at"] = "yesterday"

    def failed_hosts(e):
        e["failed_hosts"] = ["many"] + e["failed_hosts"][1:]

    def failed_hosts_negative(e):
        e["failed_hosts"][0] = -3

    def failed_hosts_length(e):
        e["failed_hosts"] = e["failed_hosts"][1:]

    def letters(e):
        host = next(h for h, v in e["hosts"].items() if v[0] == "tested")
        e["hosts"][host][2] = "P?" + e["hosts"][host][2][2:]

    def letters_length(e):
        host = next(h for h, v in e["hosts"].items() if v[0] == "tested")
        e["hosts"][host][3] = "P"

    def status(e):
        host = next(iter(e["hosts"]))
        e["hosts"][host][0] = "maybe"

    def verdict(e):
        e["verdict"] = ["strict"]

    def totals(e):
        e["totals"] = "all"

    def duration(e):
        e["duration_ms"] = "slow"

    return [
        ("hosts-value-not-list", "hosts", hosts_value),
        ("hosts-not-mapping", "hosts", hosts_list),
        ("urls-item-not-list", "urls[0]", urls_item),
        ("url-not-text", "urls[0]", url_text),
        ("generated-at-not-string", "generated_at", generated),
        ("generated-at-not-a-time", "generated_at", generated_text),
        ("failed-hosts-not-numbers", "failed_hosts", failed_hosts),
        ("failed-hosts-negative", "failed_hosts", failed_hosts_negative),
        ("failed-hosts-length", "failed_hosts", failed_hosts_length),
        ("letters", "hosts", letters),
        ("letters-length", "hosts", letters_length),
        ("status", "hosts", status),
        ("verdict", "verdict", verdict),
        ("totals", "totals", totals),
        ("duration", "duration_ms", duration),
    ]


@pytest.mark.parametrize("case,field,mutate", _mutations(), ids=[m[0] for m in _mutations()])
@pytest.mark.parametrize("position", ["newest", "older"])
def test_a_malformed_entry_is_skipped_with_its_file_and_field(tmp_path, results, case, field, mutate, position):
    folder = saved_folder(tmp_path, results)
    when = at(4 if position == "newest" else 2, 12)
    bad = json.loads(json.dumps(entry(results, stamp(when))))
    mutate(bad)
    name = name_for(when)
    (folder / name).write_bytes(fleet_history.encode_entry(bad))
    entries, warnings = fleet_history.load_entries(str(folder), 10)
    if position == "older" and field == "hosts":
        # An older entry serves the trend only: its header is checked, its hosts are not read.
        assert [e["generated_at"] for e in entries] == [stamp(at(3)), stamp(when), stamp(at(2)), stamp(at(1))]
        assert warnings == []
    else:
        assert [e["generated_at"] for e in entries] == [stamp(at(3)), stamp(at(2)), stamp(at(1))]
        assert len(warnings) == 1, warnings
        assert name in warnings[0] and field in warnings[0], warnings[0]
    # The comparison and the trend work on what was read.
    current = entry(results, stamp(NOW))
    fleet_history.compare(entries[0], current)
    fleet_history.trend(list(reversed(entries)) + [current])
    # Never deleted, even when older than what is kept: pruning reads an entry whole before removing it.
    fleet_history.save_entry(str(folder), current, keep=1)
    assert (folder / name).exists()
    assert len(fleet_history.entry_names(str(folder))) == 2


# --- special files ---------------------------------------------------------------------------------
def _load_in_child(folder, queue):
    # Bound the child's memory: a reader that slurps /dev/zero ends in MemoryError here, quickly,
    # instead of taking the machine's memory.
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[0])
    limit = pages * resource.getpagesize() + (768 << 20)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        entries, warnings = fleet_history.load_entries(folder, 10)
        queue.put(("ok", [e["generated_at"] for e in entries], warnings))
    except BaseException as err:  # reported to the parent, which fails the test with it
        queue.put(("error", type(err).__name__, str(err)[:300]))


def load_with_limits(folder, timeout=20):
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_load_in_child, args=(str(folder), queue))
    child.start()
    child.join(timeout)
    if child.is_alive():
        child.kill()
        child.join()
        pytest.fail("reading the history blocked for %d s" % timeout)
    assert not queue.empty(), "the reader died (exit code %s)" % child.exitcode
    return queue.get()


def test_a_fifo_named_like_an_entry_does_not_block(tmp_path, results):
    folder = saved_folder(tmp_path, results)
    fifo = folder / name_for(at(5))
    os.mkfifo(fifo)
    outcome = load_with_limits(folder)
    assert outcome[0] == "ok", outcome
    assert outcome[1][0] == stamp(at(3))
    assert len(outcome[2]) == 1 and fifo.name in outcome[2][0] and "regular file" in outcome[2][0]


def test_a_symlink_to_dev_zero_is_refused(tmp_path, results):
    folder = saved_folder(tmp_path, results)
    link = folder / name_for(at(5))
    os.symlink("/dev/zero", link)
    outcome = load_with_limits(folder)
    assert outcome[0] == "ok", outcome
    assert outcome[1][0] == stamp(at(3))
    assert len(outcome[2]) == 1 and link.name in outcome[2][0] and "link" in outcome[2][0]


def test_a_symlink_to_a_good_entry_is_not_followed(tmp_path, results):
    folder = saved_folder(tmp_path, results)
    elsewhere = tmp_path / "elsewhere.jsonl"
    elsewhere.write_bytes(fleet_history.encode_entry(entry(results, stamp(at(5)))))
    os.symlink(elsewhere, folder / name_for(at(5)))
    entries, warnings = fleet_history.load_entries(str(folder), 10)
    assert entries[0]["generated_at"] == stamp(at(3))
    assert len(warnings) == 1 and "link" in warnings[0]


def test_an_oversized_entry_and_an_endless_line_are_refused(tmp_path, results, monkeypatch):
    folder = saved_folder(tmp_path, results)
    monkeypatch.setattr(fleet_history, "MAX_ENTRY_BYTES", 4096)
    monkeypatch.setattr(fleet_history, "MAX_HEADER_BYTES", 1024)
    big = folder / name_for(at(5))
    big.write_bytes(b"{" + b" " * 5000 + b"}\n")
    entries, warnings = fleet_history.load_entries(str(folder), 10)
    assert any(big.name in w and "size" in w for w in warnings), warnings
    big.unlink()
    long_line = folder / name_for(at(6))
    long_line.write_bytes(b'{"schema":"' + b"x" * 2000 + b'"}\n{}\n')
    entries, warnings = fleet_history.load_entries(str(folder), 10)
    assert any(long_line.name in w and "line" in w for w in warnings), warnings


# --- names and order -------------------------------------------------------------------------------
def test_a_seed_under_a_free_name_is_not_an_entry(tmp_path, results):
    """The natural way to seed (copy the fleet JSON as run-seed.jsonl) must not become the baseline."""
    folder = saved_folder(tmp_path, results)
    seed = folder / "run-seed.jsonl"
    seed.write_text(fleet_report.render_json(fleet_report.build_fleet(results, stamp(at(1, 6))), indent=1))
    entries, warnings = fleet_history.load_entries(str(folder), 10)
    assert [e["generated_at"] for e in entries] == [stamp(at(3)), stamp(at(2)), stamp(at(1))]
    assert len(warnings) == 1 and "run-seed.jsonl" in warnings[0] and "name" in warnings[0]
    fleet_history.save_entry(str(folder), entry(results, stamp(NOW)), keep=1)
    assert seed.exists()  # not ours to delete


def test_order_comes_from_the_entry_time_not_the_name(tmp_path, results):
    folder = saved_folder(tmp_path, results)
    # A seed (or a clock that was wrong) under a name far in the future, holding an older run.
    seed = folder / name_for(datetime.datetime(2099, 12, 31, tzinfo=datetime.timezone.utc))
    seed.write_text(fleet_report.render_json(fleet_report.build_fleet(results, stamp(at(1, 6))), indent=1))
    entries, warnings = fleet_history.load_entries(str(folder), 10)
    assert warnings == []
    assert [e["generated_at"] for e in entries] == [stamp(at(3)), stamp(at(2)), stamp(at(1)), stamp(at(1, 6))]
    # Retention follows the same order: the seed is the oldest run and goes first.
    saved = fleet_history.save_entry(str(folder), entry(results, stamp(NOW)), keep=3)
    assert seed.name in saved["removed"] and not seed.exists()
    kept, _warnings = fleet_history.load_entries(str(folder), 10)
    assert [e["generated_at"] for e in kept] == [stamp(NOW), stamp(at(3)), stamp(at(2))]


def test_an_entry_dated_beyond_the_clock_skew_is_not_used_nor_deleted(tmp_path, results):
    folder = saved_folder(tmp_path, results)
    future = NOW + datetime.timedelta(days=30)
    late = folder / name_for(at(4))
    late.write_bytes(fleet_history.encode_entry(entry(results, stamp(future))))
    entries, warnings = fleet_history.load_entries(str(folder), 10)
    assert entries[0]["generated_at"] == stamp(at(3))
    assert len(warnings) == 1 and late.name in warnings[0] and "generated_at" in warnings[0]
    fleet_history.save_entry(str(folder), entry(results, stamp(NOW)), keep=1)
    assert late.exists()
    # Within the skew bound, a slightly fast clock elsewhere is fine.
    near = NOW + fleet_history.MAX_CLOCK_SKEW - datetime.timedelta(seconds=5)
    (folder / name_for(at(5))).write_bytes(fleet_history.encode_entry(entry(results, stamp(near))))
    entries, warnings = fleet_history.load_entries(str(folder), 10)
    assert entries[0]["generated_at"] == stamp(near)


def test_history_keep_one_keeps_the_new_entry(tmp_path, results):
    folder = saved_folder(tmp_path, results)
    (folder / name_for(datetime.datetime(2099, 1, 1, tzinfo=datetime.timezone.utc))).write_bytes(
        fleet_history.encode_entry(entry(results, stamp(at(3, 12)))))
    saved = fleet_history.save_entry(str(folder), entry(results, stamp(NOW)), keep=1)
    assert os.path.exists(saved["path"])
    assert fleet_history.entry_names(str(folder)) == [os.path.basename(saved["path"])]
    entries, warnings = fleet_history.load_entries(str(folder), 10)
    assert [e["generated_at"] for e in entries] == [stamp(NOW)] and warnings == []


def test_the_new_entry_survives_even_when_others_look_newer(tmp_path, results):
    """Entries within the skew bound after this run's time still never push this run's entry out."""
    folder = saved_folder(tmp_path, results)
    soon = NOW + datetime.timedelta(minutes=2)
    (folder / name_for(soon)).write_bytes(fleet_history.encode_entry(entry(results, stamp(soon))))
    saved = fleet_history.save_entry(str(folder), entry(results, stamp(NOW)), keep=1)
    assert os.path.exists(saved["path"])


def test_entries_of_a_newer_schema_are_never_pruned(tmp_path, results):
    folder = saved_folder(tmp_path, results)
    newer = dict(entry(results, stamp(at(1, 6))), version=fleet_history.SCHEMA_VERSION + 1)
    kept = folder / name_for(at(1, 6))
    kept.write_bytes(fleet_history.encode_entry(newer))
    broken = folder / name_for(at(1, 7))
    broken.write_text("{not json\n")
    saved = fleet_history.save_entry(str(folder), entry(results, stamp(NOW)), keep=1)
    assert kept.exists() and broken.exists()
    assert kept.name not in saved["removed"] and broken.name not in saved["removed"]
    assert len(saved["removed"]) == 3


def test_an_unreadable_folder_gives_a_warning_not_an_error(tmp_path):
    not_a_folder = tmp_path / "history"
    not_a_folder.write_text("a file where the folder should be")
    entries, warnings = fleet_history.load_entries(str(not_a_folder), 10)
    assert entries == [] and len(warnings) == 1 and "history" in warnings[0]
