#!/usr/bin/env bash
# Probe the real service URLs from this machine (see README.md, "Quick start").
# Settings come from the environment: CLOUD (commercial), REGION (us; a
# comma-separated list is fine), MODEL (standard), PROXY (host:port, optional;
# https_proxy/http_proxy in the environment are tried as well), DEADLINE
# (seconds, 60). Extra arguments go to ansible-playbook, except verbosity:
# -v / -vv (or --verbose) ask the playbook for more of the probe's own output
# (the analyzer report, one line per probe) instead of making Ansible dump the
# module's raw result. Example: scripts/check_network.sh -v -e strict=true
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export PATH="$root/.venv/bin:$PATH"

# The playbook names the collection by its full name; resolve it from this
# checkout.
# shellcheck source=scripts/collection_path.sh
source "$root/scripts/collection_path.sh" "$root"

args=(-e "cloud=${CLOUD:-commercial}" -e "region=${REGION:-us}" -e "model=${MODEL:-standard}"
      -e "deadline=${DEADLINE:-60}"
      # the probe module runs here and needs requests and pypac from .venv
      -e "ansible_python_interpreter=$root/.venv/bin/python")
[ -z "${PROXY:-}" ] || args+=(-e "proxy=$PROXY")

level=0
passed=()
for arg in "$@"; do
    case "$arg" in
        --verbose) level=$((level + 1)) ;;
        -v|-vv|-vvv|-vvvv|-vvvvv|-vvvvvv) level=$((level + ${#arg} - 1)) ;;
        *) passed+=("$arg") ;;
    esac
done
# Ansible's own verbosity would print every task's full result; keep it at 0.
export ANSIBLE_VERBOSITY=0
exec ansible-playbook -i localhost, playbooks/check_network.yml "${args[@]}" -e "check_network_verbosity=$level" \
    ${passed[@]+"${passed[@]}"}
