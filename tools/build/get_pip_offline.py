"""Offline stand-in for the pip bootstrap script that ansible-test downloads.

ansible-test runs its cached ``get_pip_<version>.py`` inside a fresh virtual
environment (created without pip) through its ``quiet_pip.py`` wrapper, with
get-pip style arguments: ``--disable-pip-version-check pip==24.2
--no-setuptools --no-wheel``. This stand-in installs pip from the
interpreter's bundled wheel (ensurepip), which needs no network, then asks
that pip for the requested packages from whatever index pip is configured to
use. When no index is reachable, the bundled pip is kept and a warning says so.

get-pip's ``--no-setuptools`` means the environment ends up without
setuptools; ensurepip of Python 3.11 and older installs it next to pip, so it
is removed again unless it was there before. Exit status: 0 when pip is
installed, the status of ensurepip when that fails.
"""

import subprocess
import sys

GET_PIP_ONLY_OPTIONS = ("--no-setuptools", "--no-wheel")
PROG = "get_pip_offline"


def is_installed(distribution):
    """True when the running interpreter has that distribution installed."""
    try:
        from importlib import metadata
    except ImportError:  # Python 3.7 and older: ansible-test no longer bootstraps these
        return False
    try:
        metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        return False
    return True


def warn(message):
    sys.stderr.write("%s: %s\n" % (PROG, message))


def main(argv):
    setuptools_before = is_installed("setuptools")
    result = subprocess.call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
    if result != 0:
        warn("ensurepip failed with status %d; this Python has no bundled pip to install offline" % result)
        return result
    if "--no-setuptools" in argv and not setuptools_before and is_installed("setuptools"):
        # Offline and quick: only removes files ensurepip just wrote.
        if subprocess.call([sys.executable, "-m", "pip", "uninstall", "--yes", "--quiet",
                            "--disable-pip-version-check", "setuptools"]) != 0:
            warn("could not remove the setuptools that ensurepip installed")
    pip_args = [arg for arg in argv if arg not in GET_PIP_ONLY_OPTIONS]
    if not any(not arg.startswith("-") for arg in pip_args):
        return 0
    result = subprocess.call([sys.executable, "-m", "pip", "install"] + pip_args)
    if result != 0:
        warn("could not install %s; keeping the pip bundled with Python" % " ".join(pip_args))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
