#!/usr/bin/env bash
# Prepare this checkout for the checks: a virtual environment with the Python
# dependencies and, when running as root, the Debian packages the gates need.
# Safe to run again; it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
# mono-mcs/mono-runtime: the C# gate and the C# logic tests; squid-openssl: the
# Squid tests, renderer checks and molecule scenario; shellcheck: its sanity
# test; chromium: the HTML report screenshot test; iproute2: the network
# namespace scenario; python3-samba: Samba's own Registry.pol (PReg) parser, the
# independent reader our parser and the exported Group Policy files are checked
# against (run by the system /usr/bin/python3).
# gcc builds the WinHTTP/crypt32 contract stand-in the transport tests load into mono;
# libmono-profiler (the log profiler) and mono-utils (mprof-report) give their line coverage.
DEBIAN_PACKAGES=(mono-mcs mono-runtime squid-openssl shellcheck chromium iproute2 python3-samba gcc libmono-profiler mono-utils)

missing_debs=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing_debs+=("$pkg")
done
if [ ${#missing_debs[@]} -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
        echo "bootstrap: installing Debian packages: ${missing_debs[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing_debs[@]}" >/dev/null
    else
        echo "bootstrap: not root (or no apt-get): not installing ${missing_debs[*]};" \
             "the checks that need them will be skipped"
    fi
fi

if [ ! -x .venv/bin/python ]; then
    echo "bootstrap: creating .venv"
    "$PYTHON" -m venv .venv
fi
stamp=.venv/.requirements-test.sha256
want=$(sha256sum requirements-test.txt | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "bootstrap: installing Python requirements into .venv"
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -r requirements-test.txt
    echo "$want" > "$stamp"
fi

# Offline support for ansible-test: it bootstraps pip in the virtual
# environments it creates from a download that locked-down networks block. It
# looks for a cached bootstrap first; ours uses the interpreter's own ensurepip.
# ansible-test names the cached file after the pip version it pins.
pip_version=$(.venv/bin/python - <<'PY'
from ansible_test._internal.python_requirements import get_venv_packages
from ansible_test._internal.host_configs import NativePythonConfig
print(get_venv_packages(NativePythonConfig(version="3.11"))["pip"].replace(".", "_"))
PY
)
mkdir -p "$HOME/.ansible/test/cache"
cp tools/build/get_pip_offline.py "$HOME/.ansible/test/cache/get_pip_${pip_version}.py"
echo "bootstrap: ready"
