# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The analyzer model is the one truth: every copy that cannot import it is compared with it."""

from __future__ import annotations

import os
import re

import yaml

from ansible_collections.purview.device_proxy.plugins.module_utils import analyzer_model as model
from ansible_collections.purview.device_proxy.plugins.module_utils import analyzer_text
from ansible_collections.purview.device_proxy.plugins.module_utils import failure_kinds as fk
from ansible_collections.purview.device_proxy.plugins.modules import device_connectivity_probe as doc
from ansible_collections.purview.device_proxy.plugins.plugin_utils import connectivity_verdict as cv

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
CSHARP = os.path.join(ROOT, "plugins", "module_utils", "WinHttpProbeModel.cs")
POWERSHELL = os.path.join(ROOT, "plugins", "modules", "device_connectivity_probe.ps1")


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def _quoted(text: str) -> list:
    return re.findall(r"['\"]([^'\"]+)['\"]", text)


def test_csharp_names_array_is_the_model():
    match = re.search(r"string\[\]\s+Names\s*=\s*\{([^}]*)\}", _read(CSHARP))
    assert match, "ProbeMethods.Names not found in WinHttpProbeModel.cs"
    assert tuple(_quoted(match.group(1))) == model.METHOD_KEYS


def test_csharp_enum_numbers_are_the_model():
    body = re.search(r"public enum ProbeMethod\s*\{([^}]*)\}", _read(CSHARP)).group(1)
    numbers = [int(n) for n in re.findall(r"=\s*(\d+)", body)]
    assert numbers == [m.number for m in model.METHODS]


def test_powershell_method_choices_and_default_are_the_model():
    text = _read(POWERSHELL)
    block = re.search(r"methods\s*=\s*@\{(.*?)\n\s*\}", text, re.DOTALL).group(1)
    choices = re.search(r"choices\s*=\s*([^\n]+)", block).group(1)
    default = re.search(r"default\s*=\s*([^\n]+)", block).group(1)
    assert tuple(_quoted(choices)) == model.METHOD_KEYS
    assert tuple(_quoted(default)) == model.METHOD_KEYS


def test_module_documentation_choices_are_the_model():
    options = yaml.safe_load(doc.DOCUMENTATION)["options"]
    assert tuple(options["methods"]["choices"]) == model.METHOD_KEYS
    assert tuple(options["methods"]["default"]) == model.METHOD_KEYS


def test_python_copies_derive_from_the_model():
    assert cv.METHODS == model.METHOD_KEYS
    assert [cv.METHOD_NUMBERS[k] for k in cv.METHODS] == [1, 2, 3, 4, 5]
    assert analyzer_text.METHOD_NAMES == {m.number: m.label for m in model.METHODS}
    assert analyzer_text.LEGACY_METHOD_NAMES[5] == "Command-line proxy"
    assert analyzer_text.PASSING_CODES == cv.ANALYZER_ACCEPTED == (200, 400, 404)


def test_every_kind_the_verdict_uses_is_in_the_vocabulary():
    kinds = {entry[1] for entry in cv.WINHTTP_ERRORS.values()} | {entry[0] for entry in cv._HTTP_REASONS.values()}
    assert kinds <= set(fk.ALL)
    assert set(fk.DESCRIPTIONS) == set(fk.ALL)
    assert len(fk.ALL) == len(set(fk.ALL))
    # The probe's spellings for the shared failures (snake_case), not the old device ones.
    assert {"dns_failure", "connection_refused", "timeout", "tls_error", "tls_intercepted", "blocked",
            "proxy_auth_required", "proxy_error"} <= set(fk.SHARED)
    assert not any("-" in kind for kind in fk.ALL)


def test_strict_accepts_exactly_200_and_the_documented_codes():
    assert model.strict_accepted([]) == (200,)
    assert model.strict_accepted([400]) == (200, 400)
    assert model.strict_accepted([404, 200]) == (200, 404)


def test_role_method_choices_and_default_are_the_model():
    role = os.path.join(ROOT, "roles", "connectivity_check")
    with open(os.path.join(role, "meta", "argument_specs.yml"), encoding="utf-8") as handle:
        spec = yaml.safe_load(handle)["argument_specs"]["main"]["options"]["connectivity_check_methods"]
    with open(os.path.join(role, "defaults", "main.yml"), encoding="utf-8") as handle:
        defaults = yaml.safe_load(handle)
    assert tuple(spec["choices"]) == model.METHOD_KEYS
    assert tuple(spec["default"]) == model.METHOD_KEYS
    assert tuple(defaults["connectivity_check_methods"]) == model.METHOD_KEYS


def test_the_network_probe_speaks_the_shared_vocabulary():
    # Read-only: the probe's own categories must be exactly the shared kinds, same spelling.
    from ansible_collections.purview.device_proxy.plugins.module_utils import probe_engine

    assert tuple(probe_engine.CATEGORIES) == fk.SHARED
