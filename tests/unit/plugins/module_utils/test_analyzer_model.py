# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The analyzer model is the one truth. The Python copies are compared here; the method lists in the
documentation, PowerShell spec, role and C# are compared by tools/gates/choice_lists.py
(tests/unit/tools/test_choice_lists.py)."""

from __future__ import annotations

import os
import re

from ansible_collections.purview.device_proxy.plugins.module_utils import analyzer_model as model
from ansible_collections.purview.device_proxy.plugins.module_utils import analyzer_text
from ansible_collections.purview.device_proxy.plugins.module_utils import failure_kinds as fk
from ansible_collections.purview.device_proxy.plugins.plugin_utils import connectivity_verdict as cv

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
CSHARP = os.path.join(ROOT, "plugins", "module_utils", "WinHttpProbeModel.cs")


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def test_csharp_enum_numbers_are_the_model():
    body = re.search(r"public enum ProbeMethod\s*\{([^}]*)\}", _read(CSHARP)).group(1)
    numbers = [int(n) for n in re.findall(r"=\s*(\d+)", body)]
    assert numbers == [m.number for m in model.METHODS]


def test_python_copies_derive_from_the_model():
    assert cv.METHODS == model.METHOD_KEYS
    assert [cv.METHOD_NUMBERS[k] for k in cv.METHODS] == [1, 2, 3, 4, 5]
    assert analyzer_text.METHOD_NAMES == {m.number: m.label for m in model.METHODS}
    assert analyzer_text.LEGACY_METHOD_NAMES[5] == "Command-line proxy"
    assert analyzer_text.PASSING_CODES == cv.ANALYZER_ACCEPTED == (200, 400, 404)


def test_every_kind_the_verdict_uses_is_in_the_vocabulary():
    kinds = {entry[1] for entry in cv.WINHTTP_ERRORS.values()} | set(cv.HTTP_STATUS_KINDS.values())
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


def test_the_network_probe_speaks_the_shared_vocabulary():
    # Read-only: the probe's own categories must be exactly the shared kinds, same spelling.
    from ansible_collections.purview.device_proxy.plugins.module_utils import probe_engine

    assert tuple(probe_engine.CATEGORIES) == fk.SHARED
