# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""tools/gates/choice_lists.py: every copy of a model list agrees, and a wrong copy is named."""

import importlib.util
import os
import shutil
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
TOOL = os.path.join(ROOT, "tools", "gates", "choice_lists.py")

_spec = importlib.util.spec_from_file_location("choice_lists", TOOL)
tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tool)


def _write(root, relative, text):
    path = os.path.join(root, relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(textwrap.dedent(text))
    return path


def _copy_tree(tmp_path, *relatives):
    """A scratch checkout holding only the named files and the doc fragments their documentation
    extends (copied from this one)."""
    root = str(tmp_path / "checkout")
    shutil.copytree(os.path.join(ROOT, "plugins", "doc_fragments"), os.path.join(root, "plugins", "doc_fragments"))
    for relative in relatives:
        os.makedirs(os.path.dirname(os.path.join(root, relative)), exist_ok=True)
        shutil.copy(os.path.join(ROOT, relative), os.path.join(root, relative))
    return root


def _replace(root, relative, old, new):
    path = os.path.join(root, relative)
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    assert old in text, "test set-up: %r not in %s" % (old, relative)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text.replace(old, new, 1))


def test_every_copy_in_the_checkout_agrees_with_the_model():
    assert tool.check() == []


def test_the_model_lists_are_read_from_the_python_model():
    from ansible_collections.purview.device_proxy.plugins.module_utils import analyzer_model, failure_kinds
    from ansible_collections.purview.device_proxy.plugins.plugin_utils import catalog, fleet_report
    from ansible_collections.purview.device_proxy.plugins.plugin_utils.plan import inputs

    lists = tool.model_lists()
    assert lists["clouds"] == catalog.CLOUDS
    assert lists["methods"] == analyzer_model.METHOD_KEYS
    assert lists["report_formats"] == fleet_report.FORMATS
    assert lists["plan.winhttp_policy"] == inputs.WINHTTP_POLICIES
    assert lists["plan.topology.default"] == ("auto",)
    assert lists["plan.defender_ssl_options.default"] == ()
    assert lists["proxy_methods"] == tuple(m.key for m in analyzer_model.METHODS if m.uses_proxy)
    assert lists["probe_skip_reasons"] == (failure_kinds.NOT_CONFIGURED, failure_kinds.DEADLINE)
    assert lists["established"] == (failure_kinds.PROXY_UNREACHABLE, failure_kinds.WPAD_FAILED)


@pytest.mark.parametrize("model", ["clouds", "models", "os_names", "methods", "report_formats", "plan.state",
                                   "proxy_methods", "probe_skip_reasons", "established"])
def test_every_kind_of_model_list_has_copies_outside_python(model):
    kinds = {copy.reader.__name__ for copy in tool.COPIES if copy.model == model}
    assert kinds, "no copy of %s is checked" % model


def test_a_new_model_value_is_reported_in_every_copy():
    # A sixth method added to the model only: every copy (docs, PowerShell, role, defaults, C#) is named.
    lists = dict(tool.model_lists())
    lists["methods"] = lists["methods"] + ("sixth",)
    problems = tool.check(lists=lists)
    method_copies = [copy for copy in tool.COPIES if copy.model == "methods"]
    assert len(problems) == len(method_copies)
    for copy in method_copies:
        assert any(p.startswith("%s: %s (%s)" % (copy.path, copy.option, copy.field)) and "missing 'sixth'" in p
                   for p in problems), copy


def test_a_role_spec_missing_a_cloud_names_file_option_and_value(tmp_path):
    relative = "roles/proxy_allowlist/meta/argument_specs.yml"
    root = _copy_tree(tmp_path, relative)
    _replace(root, relative, "choices: [commercial, gcc, gcc-high, dod]", "choices: [commercial, gcc, gcc-high]")
    copies = [copy for copy in tool.COPIES if copy.path == relative and copy.model == "clouds"]
    problems = tool.check(root, copies)
    assert problems == [
        "roles/proxy_allowlist/meta/argument_specs.yml: proxy_allowlist_cloud (choices): clouds differs from the "
        "model: missing 'dod' (model: commercial, gcc, gcc-high, dod)"]


def test_a_powershell_spec_with_an_extra_format_or_wrong_order_fails(tmp_path):
    relative = "plugins/modules/device_connectivity_probe.ps1"
    root = _copy_tree(tmp_path, relative)
    _replace(root, relative, "choices = 'commercial', 'gcc', 'gcc-high', 'dod'",
             "choices = 'commercial', 'gcc', 'dod', 'gcc-high', 'moon'")
    copies = [copy for copy in tool.COPIES if copy.path == relative and copy.model == "clouds"]
    (problem,) = tool.check(root, copies)
    assert problem.startswith("plugins/modules/device_connectivity_probe.ps1: cloud (choices): ")
    assert "not in the model 'moon'" in problem

    _replace(root, relative, "'commercial', 'gcc', 'dod', 'gcc-high', 'moon'", "'commercial', 'gcc', 'dod', 'gcc-high'")
    (problem,) = tool.check(root, copies)
    assert "order ['commercial', 'gcc', 'dod', 'gcc-high']" in problem


def test_module_documentation_and_csharp_copies_of_the_methods(tmp_path):
    doc, csharp = "plugins/modules/device_connectivity_probe.py", "plugins/module_utils/WinHttpProbeModel.cs"
    root = _copy_tree(tmp_path, doc, csharp)
    _replace(root, doc, "default: [default, wpad, disabled, named, command_line]", "default: [default, wpad]")
    _replace(root, csharp, '"command_line"', '"commandline"')
    copies = [copy for copy in tool.COPIES if copy.path in (doc, csharp) and copy.model == "methods"]
    problems = tool.check(root, copies)
    assert len(problems) == 2
    assert problems[0].startswith("plugins/modules/device_connectivity_probe.py: methods (default): ")
    assert "missing 'disabled', 'named', 'command_line'" in problems[0]
    assert problems[1].startswith("plugins/module_utils/WinHttpProbeModel.cs: Names (array): ")
    assert "missing 'command_line'; not in the model 'commandline'" in problems[1]


def test_the_csharp_wire_words_and_proxy_methods_are_checked_against_the_python_model(tmp_path):
    # The device probe's skip reasons are failure_kinds' words; its proxy methods are the model's uses_proxy.
    csharp = "plugins/module_utils/WinHttpProbeModel.cs"
    root = _copy_tree(tmp_path, csharp)
    _replace(root, csharp, '"not_configured"', '"not-configured"')
    _replace(root, csharp, 'ProxyMethodNames = { "named", "command_line" }', 'ProxyMethodNames = { "named" }')
    copies = [copy for copy in tool.COPIES if copy.path == csharp]
    problems = tool.check(root, copies)
    assert len(problems) == 2
    assert problems[0].startswith("plugins/module_utils/WinHttpProbeModel.cs: ProxyMethodNames (array): ")
    assert "missing 'command_line'" in problems[0]
    assert problems[1].startswith("plugins/module_utils/WinHttpProbeModel.cs: SkipReasonNames (array): ")
    assert "missing 'not_configured'; not in the model 'not-configured'" in problems[1]
    assert tool.write(root, copies) == []
    assert tool.check(root, copies) == []


def test_a_readme_row_missing_a_value_and_a_missing_row(tmp_path):
    relative = "roles/device_proxy/README.md"
    root = _copy_tree(tmp_path, relative)
    _replace(root, relative, "`auto` (detected from hardware facts), `stable` or `roaming`", "`auto` or `stable`")
    copies = [copy for copy in tool.COPIES if copy.path == relative and copy.model == "plan.topology"]
    (problem,) = tool.check(root, copies)
    assert problem == ("roles/device_proxy/README.md: device_proxy_topology (row): plan.topology differs from "
                       "the model: missing 'roaming' (model: auto, stable, roaming)")
    _replace(root, relative, "| `device_proxy_topology` |", "| `device_proxy_topologie` |")
    (problem,) = tool.check(root, copies)
    assert "device_proxy_topology (row): cannot read the copy: no table row for `device_proxy_topology`" in problem


def test_plugin_documentation_is_read_with_the_collection_fragments(tmp_path):
    root = str(tmp_path)
    _write(root, "plugins/doc_fragments/selection.py", '''
        class ModuleDocFragment(object):
            DOCUMENTATION = r"""
        options:
          cloud:
            description: The cloud.
            type: str
            choices: [commercial, gcc]
        """
        ''')
    path = _write(root, "plugins/modules/sample.py", '''
        DOCUMENTATION = r"""
        module: sample
        options:
          cloud:
            description: Overridden here; the choices come from the fragment.
        extends_documentation_fragment:
          - ansible.builtin.action_common_attributes
          - purview.device_proxy.selection
        """
        ''')
    copy = tool.Copy("clouds", "plugins/modules/sample.py", tool.read_doc, "cloud")
    (problem,) = tool.check(root, [copy], lists={"clouds": ("commercial", "gcc", "dod")})
    assert problem.startswith("plugins/modules/sample.py: cloud (choices): clouds differs from the model: missing 'dod'")
    doc = tool._docs().plugin_doc(path, root)
    assert doc["options"]["cloud"]["description"].startswith("Overridden here")

    _write(root, "plugins/modules/sample.py", 'DOCUMENTATION = r"""\nextends_documentation_fragment: [purview.device_proxy.nope]\n"""\n')
    (problem,) = tool.check(root, [copy], lists={"clouds": ("commercial",)})
    assert "cannot read the copy" in problem and "purview.device_proxy.nope" in problem


def test_main_fails_and_prints_the_problems(monkeypatch, capsys):
    monkeypatch.setattr(tool, "check", lambda: ["a.yml: x (choices): clouds differs from the model: missing 'dod'"])
    assert tool.main(["--check"]) == 1
    assert "a.yml: x (choices)" in capsys.readouterr().out
    monkeypatch.setattr(tool, "check", lambda: [])
    assert tool.main([]) == 0


def _files_of(copies):
    return sorted({copy.path for copy in copies})


def test_write_regenerates_every_method_copy_for_a_sixth_method(tmp_path):
    copies = [copy for copy in tool.COPIES if copy.model == "methods"]
    root = _copy_tree(tmp_path, *_files_of(copies))
    lists = dict(tool.model_lists())
    lists["methods"] = lists["methods"] + ("sixth",)
    assert len(tool.check(root, copies, lists)) == len(copies)
    assert tool.write(root, copies, lists) == []
    assert tool.check(root, copies, lists) == []
    # The rewritten files still read as what they are (YAML documentation, PowerShell spec).
    spec = tool._load_tool("gates/ps_argspec_check.py").read_ps_spec(os.path.join(root, "plugins/modules/device_connectivity_probe.ps1"))
    assert spec["options"]["methods"]["default"][-1] == "sixth"


def test_write_leaves_readme_and_prose_copies_to_a_person(tmp_path):
    copies = [copy for copy in tool.COPIES if copy.model == "clouds"]
    root = _copy_tree(tmp_path, *_files_of(copies))
    lists = dict(tool.model_lists())
    lists["clouds"] = lists["clouds"] + ("moon",)
    left = tool.write(root, copies, lists)
    assert sorted(p.split(":")[0] for p in left) == ["plugins/lookup/service_urls.py", "roles/proxy_allowlist/README.md"]
    assert all("missing 'moon'" in p for p in left)
