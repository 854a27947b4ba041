#!/usr/bin/env bash
# Run every molecule scenario under extensions/molecule that can run on this machine.
#
# A scenario that needs something from outside (a real Windows host, for example) lists the
# environment variables it needs, one per line, in a file named requires_env in its folder; it is
# skipped, with the reason printed, when any of them is empty. A file requires_root (its first
# line says why) skips the scenario for other users; requires_programs lists programs it needs. Scenario names given as arguments
# limit the run to those. Exit status: non-zero when any scenario that ran failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
root="$PWD"
export PATH="$root/.venv/bin:$PATH"
export ANSIBLE_NOCOLOR=1 PY_COLORS=0 NO_COLOR=1 ANSIBLE_FORCE_COLOR=0

# The scenarios resolve purview.device_proxy from this checkout.
# shellcheck source=scripts/collection_path.sh
source "$root/scripts/collection_path.sh" "$root"

if ! command -v molecule >/dev/null; then
    echo "SKIP: molecule scenarios: molecule is not installed (.venv)"
    exit 0
fi

scenarios=("$@")
if [ ${#scenarios[@]} -eq 0 ]; then
    for file in extensions/molecule/*/molecule.yml; do
        [ -e "$file" ] || continue
        scenarios+=("$(basename "$(dirname "$file")")")
    done
fi

ran=() failed=() skipped=()
for name in "${scenarios[@]}"; do
    dir="extensions/molecule/$name"
    if [ ! -f "$dir/molecule.yml" ]; then
        echo "FAIL: molecule scenario $name: $dir/molecule.yml not found"
        failed+=("$name")
        continue
    fi
    missing=()
    if [ -f "$dir/requires_env" ]; then
        while read -r var; do
            if [ -z "$var" ] || [ "${var:0:1}" = "#" ]; then continue; fi
            [ -n "${!var:-}" ] || missing+=("$var")
        done < "$dir/requires_env"
    fi
    if [ ${#missing[@]} -gt 0 ]; then
        echo "SKIP: molecule scenario $name: ${missing[*]} not set"
        skipped+=("$name (${missing[*]} not set)")
        continue
    fi
    # requires_root: the scenario binds privileged ports or starts system
    # services; the file says why.
    if [ -f "$dir/requires_root" ] && [ "$(id -u)" -ne 0 ]; then
        echo "SKIP: molecule scenario $name: needs root ($(head -n 1 "$dir/requires_root"))"
        skipped+=("$name (needs root)")
        continue
    fi
    # requires_programs: one program per line that must be installed.
    absent=()
    if [ -f "$dir/requires_programs" ]; then
        while read -r program; do
            if [ -z "$program" ] || [ "${program:0:1}" = "#" ]; then continue; fi
            command -v "$program" >/dev/null 2>&1 || [ -x "$program" ] || absent+=("$program")
        done < "$dir/requires_programs"
    fi
    if [ ${#absent[@]} -gt 0 ]; then
        echo "SKIP: molecule scenario $name: ${absent[*]} not installed"
        skipped+=("$name (${absent[*]} not installed)")
        continue
    fi
    echo "=== molecule scenario: $name"
    if molecule test -s "$name"; then
        ran+=("$name")
    else
        failed+=("$name")
    fi
done

echo
[ ${#ran[@]} -eq 0 ] || echo "molecule passed: ${ran[*]}"
[ ${#skipped[@]} -eq 0 ] || printf 'molecule skipped: %s\n' "${skipped[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "molecule FAILED: ${failed[*]}"
    exit 1
fi
