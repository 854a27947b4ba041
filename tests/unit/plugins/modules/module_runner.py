# -*- coding: utf-8 -*-
"""Run a Python module's ``main()`` in-process, as Ansible would (a test helper, not a test module)."""

from __future__ import annotations

import json
from typing import Any, Callable, Dict

import pytest
from ansible.module_utils.testing import patch_module_args


def run_module(main: Callable[[], None], args: Dict[str, Any], capsys: Any) -> Dict[str, Any]:
    """The module's JSON result for ``args``, with its exit status under ``_rc``."""
    with patch_module_args(args):
        with pytest.raises(SystemExit) as info:
            main()
    output = json.loads(capsys.readouterr().out)
    output["_rc"] = info.value.code
    return output
