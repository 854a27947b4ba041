"""Offline stand-in for the pip bootstrap script that ansible-test downloads.

ansible-test runs its cached ``get_pip_<version>.py`` inside a fresh virtual
environment with get-pip style arguments (``pip==24.2 --no-setuptools
--no-wheel`` and pip options). This stand-in installs pip from the
interpreter's bundled wheel (ensurepip), which needs no network, then asks
that pip for the requested packages from whatever index pip is configured to
use. When no index is reachable, the bundled pip is kept and a warning says so.
"""

import subprocess
import sys

GET_PIP_ONLY_OPTIONS = ("--no-setuptools", "--no-wheel")


def main(argv):
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
    pip_args = [arg for arg in argv if arg not in GET_PIP_ONLY_OPTIONS]
    if not any(not arg.startswith("-") for arg in pip_args):
        return 0
    result = subprocess.call([sys.executable, "-m", "pip", "install"] + pip_args)
    if result != 0:
        sys.stderr.write(
            "get_pip_offline: could not install %s; keeping the pip bundled with Python\n"
            % " ".join(pip_args)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
