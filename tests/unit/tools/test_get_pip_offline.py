# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""tools/build/get_pip_offline.py run the way ansible-test runs its cached pip bootstrap.

ansible-test creates a virtual environment without pip, then runs its own quiet_pip.py with
GET_PIP=<cached bootstrap> and the get-pip arguments ('--disable-pip-version-check',
'pip==<version>', '--no-setuptools', '--no-wheel'). These tests do exactly that, with pip cut off
from every index, so they pass without a network.
"""

import ensurepip
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SCRIPT = os.path.join(ROOT, "tools", "build", "get_pip_offline.py")


def _quiet_pip():
    try:
        from ansible_test._util.target.setup import quiet_pip
    except ImportError:  # pragma: no cover - ansible-core is a test requirement
        pytest.skip("ansible-test is not installed: its quiet_pip.py wrapper runs the bootstrap")
    return quiet_pip.__file__


@pytest.fixture(scope="module")
def quiet_pip():
    return _quiet_pip()


@pytest.fixture
def bare_venv(tmp_path):
    """A virtual environment without pip, as ansible-test creates it."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    assert subprocess.run([str(python), "-c", "import pip"], capture_output=True, check=False).returncode != 0
    return python


def _offline_env(tmp_path):
    """pip with no configuration file, no index and an empty local wheel folder: nothing to download."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PIP_")}
    empty = tmp_path / "no-wheels"
    empty.mkdir(exist_ok=True)
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_NO_INDEX="1", PIP_FIND_LINKS=str(empty),
               PIP_BREAK_SYSTEM_PACKAGES="1")
    return env


def _bootstrap(python, quiet_pip, tmp_path, pip_version):
    cache = tmp_path / "cache"
    cache.mkdir()
    # ansible-test's cache name: get_pip_<version with dots as underscores>.py
    cached = cache / ("get_pip_%s.py" % pip_version.replace(".", "_"))
    shutil.copy(SCRIPT, cached)
    env = _offline_env(tmp_path)
    env["GET_PIP"] = str(cached)
    command = [str(python), quiet_pip, "--disable-pip-version-check", "pip==%s" % pip_version,
               "--no-setuptools", "--no-wheel"]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)


def _installed(python, distribution):
    probe = ("import importlib.metadata as m, sys\n"
             "try:\n    print(m.version(sys.argv[1]))\n"
             "except m.PackageNotFoundError:\n    print('')\n")
    return subprocess.run([str(python), "-c", probe, distribution], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_bootstrap_installs_the_bundled_pip_offline_without_setuptools(bare_venv, quiet_pip, tmp_path):
    bundled = ensurepip.version()
    result = _bootstrap(bare_venv, quiet_pip, tmp_path, bundled)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _installed(bare_venv, "pip") == bundled
    assert _installed(bare_venv, "setuptools") == ""  # --no-setuptools is honoured
    assert _installed(bare_venv, "wheel") == ""
    assert "could not install" not in result.stderr
    # ansible-test's next step: pip itself, through the same wrapper without GET_PIP
    env = _offline_env(tmp_path)
    version = subprocess.run([str(bare_venv), quiet_pip, "--version"], env=env, capture_output=True, text=True,
                             check=False)
    assert version.returncode == 0 and ("pip " + bundled) in version.stdout


def test_unreachable_pinned_pip_keeps_the_bundled_one_and_says_so(bare_venv, quiet_pip, tmp_path):
    result = _bootstrap(bare_venv, quiet_pip, tmp_path, "24.2" if ensurepip.version() != "24.2" else "24.1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "get_pip_offline: could not install" in result.stderr
    assert "--no-setuptools" not in result.stderr  # get-pip options are not passed on to pip install
    assert _installed(bare_venv, "pip") == ensurepip.version()


def test_setuptools_already_present_is_left_alone(tmp_path, quiet_pip):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    before = _installed(python, "setuptools")
    if not before:
        pytest.skip("this Python's venv installs no setuptools")
    result = _bootstrap(python, quiet_pip, tmp_path, ensurepip.version())
    assert result.returncode == 0, result.stdout + result.stderr
    assert _installed(python, "setuptools") == before
