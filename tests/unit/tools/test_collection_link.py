# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""tools/collection_link.py is the one place that links the collection; the shell twin asks it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SHELL_TWIN = ROOT / "scripts" / "collection_path.sh"


def copy_checkout_helpers(tmp_path: Path) -> Path:
    checkout = tmp_path / "checkout"
    (checkout / "tools").mkdir(parents=True)
    (checkout / "scripts").mkdir()
    shutil.copy(ROOT / "tools" / "collection_link.py", checkout / "tools")
    shutil.copy(SHELL_TWIN, checkout / "scripts")
    return checkout


def test_the_shell_script_makes_the_link_through_the_python_helper(tmp_path):
    checkout = copy_checkout_helpers(tmp_path)
    result = subprocess.run(["bash", "-c", 'set -euo pipefail; source scripts/collection_path.sh "$PWD"; '
                             'echo "$ANSIBLE_COLLECTIONS_PATH"'],
                            cwd=checkout, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(checkout / ".build" / "pytest")
    link = checkout / ".build" / "pytest" / "ansible_collections" / "purview" / "device_proxy"
    assert os.path.realpath(link) == str(checkout.resolve())


def test_the_link_logic_is_not_repeated_in_shell():
    # The shell twin must not grow its own copy of the layout again.
    text = SHELL_TWIN.read_text(encoding="utf-8")
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    assert "ln " not in code and "ansible_collections/purview" not in code
    assert "tools/collection_link.py" in code


def test_a_failing_helper_fails_the_sourcing_script(tmp_path):
    checkout = copy_checkout_helpers(tmp_path)
    (checkout / ".build").write_text("a file where the folder should be", encoding="utf-8")
    result = subprocess.run(["bash", "-c", 'source scripts/collection_path.sh "$PWD" || echo "returned $?"'],
                            cwd=checkout, capture_output=True, text=True, timeout=60, check=False)
    assert "returned 1" in result.stdout
    assert "could not link the collection" in result.stderr
