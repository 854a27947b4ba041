# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

import importlib.util
import os
import shutil
import subprocess
import sys

import pytest

pytest.importorskip("tree_sitter_powershell", reason="tree-sitter-powershell is not installed")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
TOOL = os.path.join(ROOT, "tools", "gates", "ps_argspec_check.py")
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures_argspec")

_spec = importlib.util.spec_from_file_location("ps_argspec_check", TOOL)
checker = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(checker)


def fixture(name):
    return os.path.join(FIXTURES, name)


def test_reads_every_literal_form():
    spec = checker.read_ps_spec(fixture("agree.ps1"))
    options = spec["options"]
    assert spec["supports_check_mode"] is True
    assert options["state"] == {"type": "str", "choices": ["present", "absent"], "default": "present"}
    assert options["name"] == {"type": "str", "required": True, "aliases": ["n", "label"]}
    assert options["retries"] == {"type": "int", "default": -1}
    assert options["enabled"] == {"type": "bool", "default": False}
    assert options["tags"]["default"] == ["a", "b"]
    assert options["only"]["choices"] == ["ie"]
    assert options["items"]["options"]["key"] == {"type": "str", "required": True}
    assert options["untyped"] == {}
    assert options["_internal"] == {"type": "dict"}


def test_agreeing_module_passes():
    assert checker.check_module(fixture("agree.ps1")) == []


def test_every_mismatch_is_reported():
    problems = checker.check_module(fixture("disagree.ps1"))
    assert problems == [
        "option '_private' is private (starts with '_') but documented",
        "option 'count': type is 'int' in the argument spec, 'str' in the documentation",
        "option 'force': default is None in the argument spec, False in the documentation",
        "option 'items': elements is 'dict' in the argument spec, 'str' in the documentation",
        "option 'items.key': required is False in the argument spec, True in the documentation",
        "option 'name': aliases is ['n'] in the argument spec, ['m'] in the documentation",
        "option 'only_documented' is documented but not in the argument spec",
        "option 'secret': required is False in the argument spec, True in the documentation",
        "option 'secret': no_log is False in the argument spec, True in the documentation",
        "option 'state': choices is ['absent', 'present', 'query'] in the argument spec, ['absent', 'present'] in the documentation",
        "option 'undocumented' is in the argument spec but not documented",
    ]


def test_missing_check_mode_support_is_reported():
    assert checker.check_module(fixture("no_check_mode.ps1")) == [
        "supports_check_mode is not $true (every module here supports check mode)"]


def test_spec_built_at_run_time_cannot_pass():
    assert checker.check_module(fixture("dynamic.ps1")) == [
        "cannot be checked: line 8: variable $choices cannot be read statically; write the value"]


def test_module_without_documentation_fails():
    assert checker.check_module(fixture("orphan.ps1")) == ["no documentation file orphan.py"]


def test_unparsable_module_fails(tmp_path):
    broken = tmp_path / "broken.ps1"
    broken.write_text("$spec = @{\n    options = @{ name = @{ type = 'str' }\n", encoding="utf-8")
    (tmp_path / "broken.py").write_text('DOCUMENTATION = "options: {}"\n', encoding="utf-8")
    problems = checker.check_module(str(broken))
    assert len(problems) == 1
    assert problems[0].startswith("cannot be checked: does not parse")


def test_expanded_string_cannot_pass(tmp_path):
    module = tmp_path / "expanded.ps1"
    module.write_text('$spec = @{ options = @{ name = @{ type = "s$x" } }; supports_check_mode = $true }\n',
                      encoding="utf-8")
    (tmp_path / "expanded.py").write_text('DOCUMENTATION = """\noptions:\n  name:\n    type: str\n"""\n', encoding="utf-8")
    assert checker.check_module(str(module)) == [
        'cannot be checked: line 1: string "s$x" is expanded at run time; use a plain literal']


def test_command_line_exit_status_and_output():
    good = subprocess.run([sys.executable, TOOL, fixture("agree.ps1")], capture_output=True, text=True, timeout=120, check=False)
    assert good.returncode == 0, good.stdout
    assert "1 module(s) checked, 0 with mismatches" in good.stdout

    bad = subprocess.run([sys.executable, TOOL, FIXTURES], capture_output=True, text=True, timeout=120, check=False)
    assert bad.returncode == 1
    assert "disagree.ps1: option 'count': type is 'int'" in bad.stdout
    assert "5 module(s) checked, 4 with mismatches" in bad.stdout


MODULES = sorted(name[:-4] for name in os.listdir(os.path.join(ROOT, "plugins", "modules")) if name.endswith(".ps1"))


def test_every_windows_module_is_checked():
    assert {"telemetry_proxy", "winhttp_proxy", "device_facts", "device_connectivity_probe"} <= set(MODULES)


@pytest.mark.parametrize("module", MODULES)
def test_the_windows_modules_agree_with_their_docs(module):
    assert checker.check_module(os.path.join(ROOT, "plugins", "modules", module + ".ps1")) == []


def test_default_run_checks_every_windows_module():
    # The gate as the checks run it, without arguments: it must not pass by finding nothing.
    result = subprocess.run([sys.executable, TOOL], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout
    assert result.stdout.strip().splitlines()[-1] == "ps_argspec_check: %d module(s) checked, 0 with mismatches" % len(MODULES)


def test_a_changed_real_module_is_caught(tmp_path):
    source = os.path.join(ROOT, "plugins", "modules", "winhttp_proxy")
    with open(source + ".ps1", encoding="utf-8") as handle:
        script = handle.read()
    edited = script.replace("'stable', 'roaming', 'unknown'; default = 'unknown'", "'stable', 'roaming'; default = 'stable'")
    assert edited != script
    # Laid out as in the collection, with the doc fragments its documentation extends.
    modules = tmp_path / "plugins" / "modules"
    modules.mkdir(parents=True)
    shutil.copytree(os.path.join(ROOT, "plugins", "doc_fragments"), str(tmp_path / "plugins" / "doc_fragments"))
    (modules / "winhttp_proxy.ps1").write_text(edited, encoding="utf-8")
    with open(source + ".py", encoding="utf-8") as handle:
        (modules / "winhttp_proxy.py").write_text(handle.read(), encoding="utf-8")
    problems = checker.check_module(str(modules / "winhttp_proxy.ps1"))
    assert problems == [
        "option 'device_topology': choices is ['roaming', 'stable'] in the argument spec, "
        "['roaming', 'stable', 'unknown'] in the documentation",
        "option 'device_topology': default is 'stable' in the argument spec, 'unknown' in the documentation",
    ]


# Ansible.Basic merges fragments returned by module_util functions into the module's spec:
# [Ansible.Basic.AnsibleModule]::Create($args, $spec, @(Get-SomeSpec)), as ansible.windows' modules
# do with Get-AnsibleWindowsWebRequestSpec.
REGISTRY_MODULES = ("telemetry_proxy", "defender_av_proxy")


def _copy_module(tmp_path, module, edit=None, util_edit=None):
    """A copy of a real module (its .ps1, its .py) and of plugins/module_utils, laid out as in the collection."""
    (tmp_path / "modules").mkdir()
    (tmp_path / "module_utils").mkdir()
    for name in os.listdir(os.path.join(ROOT, "plugins", "module_utils")):
        if name.endswith(".psm1"):
            with open(os.path.join(ROOT, "plugins", "module_utils", name), encoding="utf-8") as handle:
                text = handle.read()
            if util_edit and name == "RegistryValueModule.psm1":
                text = util_edit(text)
            (tmp_path / "module_utils" / name).write_text(text, encoding="utf-8")
    for ext in (".ps1", ".py"):
        with open(os.path.join(ROOT, "plugins", "modules", module + ext), encoding="utf-8") as handle:
            text = handle.read()
        if edit and ext == ".ps1":
            text = edit(text)
        (tmp_path / "modules" / (module + ext)).write_text(text, encoding="utf-8")
    return str(tmp_path / "modules" / (module + ".ps1"))


@pytest.mark.parametrize("module", REGISTRY_MODULES)
def test_the_registry_modules_take_their_one_values_schema_from_the_shared_util(module):
    path = os.path.join(ROOT, "plugins", "modules", module + ".ps1")
    own = checker.read_ps_spec(path)["options"]
    merged = checker.merged_spec(path)["options"]
    assert "_values" not in own
    assert merged["_values"]["options"]["state"] == {"type": "str", "required": True, "choices": ["present", "absent", "read"]}
    assert set(merged) == set(own) | {"_values"}
    with open(path, encoding="utf-8") as handle:
        script = handle.read()
    assert "Set-RawRegistryValueList" not in script and "Invoke-RegistryValueModule -Module $module" in script


def test_a_fragment_option_that_is_documented_is_caught(tmp_path):
    path = _copy_module(tmp_path, "telemetry_proxy", util_edit=lambda text: text.replace(
        "            _values = @{", "            proxy = @{ type = 'int' }\n            _values = @{"))
    assert checker.check_module(path) == ["cannot be checked: option 'proxy' is declared by the module and by its "
                                          "fragment Get-RegistryValueModuleSpec"]


def test_a_fragment_the_required_utils_do_not_define_cannot_pass(tmp_path):
    path = _copy_module(tmp_path, "defender_av_proxy",
                        edit=lambda text: text.replace("@(Get-RegistryValueModuleSpec)", "@(Get-MissingSpec)"))
    assert checker.check_module(path) == [
        "cannot be checked: spec fragment Get-MissingSpec is in none of the PowerShell module_utils the module "
        "requires (RegistryValueModule.psm1)"]


def test_a_fragment_built_at_run_time_cannot_pass(tmp_path):
    path = _copy_module(tmp_path, "telemetry_proxy", util_edit=lambda text: text.replace(
        "required = $true\n                options", "required = $script:required\n                options"))
    problems = checker.check_module(path)
    assert len(problems) == 1 and "cannot be read statically" in problems[0], problems


def test_a_create_call_with_other_arguments_cannot_pass(tmp_path):
    path = _copy_module(tmp_path, "telemetry_proxy",
                        edit=lambda text: text.replace("@(Get-RegistryValueModuleSpec)", "$fragments"))
    problems = checker.check_module(path)
    assert len(problems) == 1 and "cannot be read statically" in problems[0], problems
