# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HTML report's Content-Security-Policy, and durable report and history writes."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import os
import re
from html.parser import HTMLParser

import pytest

from ansible_collections.purview.device_proxy.plugins.plugin_utils import fleet_history
from ansible_collections.purview.device_proxy.plugins.plugin_utils import fleet_report
from ansible_collections.purview.device_proxy.plugins.plugin_utils import fleet_report_html
from ansible_collections.purview.device_proxy.plugins.plugin_utils import report_files

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "action", "fixtures",
                        "connectivity_report")
_spec = importlib.util.spec_from_file_location("regenerate_golden", os.path.join(FIXTURES, "regenerate_golden.py"))
golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden)


@pytest.fixture(scope="module")
def page():
    results = golden.fleet_inputs()
    return fleet_report_html.render_html(fleet_report.build_fleet(results, golden.GENERATED_AT))


class Page(HTMLParser):
    """The CSP meta, every inline script and style (with its type) and every attribute name."""

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.policies, self.scripts, self.styles, self.attributes = [], [], [], set()
        self._open = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.attributes.update(attrs)
        if tag == "meta" and (attrs.get("http-equiv") or "").lower() == "content-security-policy":
            self.policies.append(attrs.get("content") or "")
        if tag in ("script", "style"):
            self._open = [tag, attrs.get("type"), ""]

    def handle_data(self, data):
        if self._open:
            self._open[2] += data

    def handle_endtag(self, tag):
        if self._open and tag == self._open[0]:
            (self.scripts if tag == "script" else self.styles).append((self._open[1], self._open[2]))
            self._open = None


def source_hash(text):
    # CSP Level 3, "does element match source list for type and source": the hash is over the
    # UTF-8 bytes of the element's text (https://www.w3.org/TR/CSP3/#match-element-to-source-list).
    return "'sha256-%s'" % base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def directives(policy):
    parsed = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            parsed[words[0].lower()] = words[1:]
    return parsed


def test_the_page_carries_a_strict_policy_that_allows_only_its_own_script_and_style(page):
    parsed_page = Page()
    parsed_page.feed(page)
    assert len(parsed_page.policies) == 1, "no Content-Security-Policy meta"
    assert page.index("Content-Security-Policy") < page.index("<style"), "the policy must come before the style"
    policy = directives(parsed_page.policies[0])
    assert policy["default-src"] == ["'none'"]
    executable = [text for kind, text in parsed_page.scripts if kind in (None, "", "text/javascript")]
    assert len(executable) == 1
    assert policy["script-src"] == [source_hash(executable[0])]
    assert policy["style-src"] == [source_hash(text) for _kind, text in parsed_page.styles]
    assert policy.get("base-uri") == ["'none'"] and policy.get("form-action") == ["'none'"]
    flat = " ".join(" ".join(v) for v in policy.values())
    assert "unsafe" not in flat and "*" not in flat and "data:" not in flat
    # Nothing the policy would have to allow some other way: no style or event-handler attributes.
    assert "style" not in parsed_page.attributes
    assert not [a for a in parsed_page.attributes if a.startswith("on")]
    assert not re.search(r"\.style\b|setAttribute\(\s*[\"']style|\son\w+=", executable[0])


def test_hostile_text_cannot_add_a_script_the_policy_allows(page):
    results = golden.fleet_inputs()
    results['</script><script>alert(1)</script><meta http-equiv="Content-Security-Policy" content="x">'] = None
    hostile = fleet_report_html.render_html(fleet_report.build_fleet(results, golden.GENERATED_AT))
    parsed = Page()
    parsed.feed(hostile)
    assert len(parsed.policies) == 1
    assert len([1 for kind, _text in parsed.scripts if kind != "application/json"]) == 1


# --- durable writes --------------------------------------------------------------------------------
class Recorder:
    """Records os.fsync (with the path of the descriptor) and os.replace, in order."""

    def __init__(self, monkeypatch):
        self.events = []
        real_fsync, real_replace = os.fsync, os.replace

        def fsync(fd):
            self.events.append(("fsync", os.readlink("/proc/self/fd/%d" % fd)))
            return real_fsync(fd)

        def replace(source, target, *args, **kwargs):
            self.events.append(("replace", os.path.abspath(source), os.path.abspath(target)))
            return real_replace(source, target, *args, **kwargs)

        monkeypatch.setattr(os, "fsync", fsync)
        monkeypatch.setattr(os, "replace", replace)

    def check(self, targets):
        """Every target: its temporary file synced before its rename, its folder synced after."""
        for target in targets:
            target = os.path.abspath(target)
            renames = [i for i, e in enumerate(self.events) if e[0] == "replace" and e[2] == target]
            assert len(renames) == 1, (target, self.events)
            index = renames[0]
            temporary = self.events[index][1]
            assert ("fsync", temporary) in self.events[:index], "%s not synced before its rename" % target
            assert ("fsync", os.path.dirname(target)) in self.events[index + 1:], \
                "the folder of %s not synced after the rename" % target


def test_write_atomically_syncs_the_file_then_the_folder(tmp_path, monkeypatch):
    recorder = Recorder(monkeypatch)
    target = tmp_path / "report.json"
    report_files.write_atomically(str(target), b"{}\n")
    recorder.check([str(target)])


def test_report_batches_and_history_entries_are_durable(tmp_path, monkeypatch):
    results = golden.fleet_inputs()
    fleet = fleet_report.build_fleet(results, golden.GENERATED_AT)
    files = fleet_report.render_files(results, fleet, fleet_report.FORMATS)
    recorder = Recorder(monkeypatch)
    fleet_report.write_reports(str(tmp_path / "r"), files)
    saved = fleet_history.save_entry(str(tmp_path / "h"), fleet_history.entry_from_fleet(fleet), keep=3)
    recorder.check([str(tmp_path / "r" / name) for name in files] + [saved["path"]])
