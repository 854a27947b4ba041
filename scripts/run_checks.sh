#!/usr/bin/env bash
# Run the project's checks (all of them, or the ones named as arguments) with
# the tools in .venv. Every check runs even when an earlier one fails; the
# exit status is non-zero when any failed. A check whose tool is missing is
# skipped with the reason printed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
REPO=$PWD
export PATH="$PWD/.venv/bin:$PATH"
export ANSIBLE_NOCOLOR=1 PY_COLORS=0

ALL_CHECKS=(units gates sanity lint changelog integration molecule docs distribution)
checks=("$@")
[ ${#checks[@]} -gt 0 ] || checks=("${ALL_CHECKS[@]}")

failed=()
skipped=()

skip() { echo "SKIP: $*"; skipped+=("$*"); }

# A real copy (ansible-test rejects symlinks) of the collection under
# $BUILD_ROOT/<purpose>/ansible_collections/purview/device_proxy. It lives
# outside the checkout: inside it, git would report the copy as ignored and
# ansible-test would find no files to test.
BUILD_ROOT=${PURVIEW_BUILD_ROOT:-${TMPDIR:-/tmp}/purview-device-proxy-$(pwd | sha256sum | cut -c1-12)}
collection_copy() {
    local dest="$BUILD_ROOT/$1/ansible_collections/purview/device_proxy"
    rm -rf "$dest" && mkdir -p "$dest"
    tar -c --exclude=./.git --exclude=./.venv --exclude=./.build --exclude=./docs/build \
        --exclude=.pytest_cache --exclude=.hypothesis --exclude=__pycache__ \
        --exclude=./tests/output . | tar -x -C "$dest"
    echo "$dest"
}

# pytest with the reason for every skip printed. Under CI (CI=true), where
# the bootstrap installed everything as root, a skipped test fails the check:
# a test that silently did not run must not pass as green.
run_pytest() {
    local log rc
    log=$(mktemp)
    python -m pytest -q -rs -p no:cacheprovider "$@" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    if [ "$rc" -eq 0 ] && [ -n "${CI:-}" ] && grep -Eq '^[0-9]+ passed.* [0-9]+ skipped|^SKIPPED' "$log"; then
        echo "FAIL: tests were skipped under CI (see the SKIPPED lines above)"
        rc=1
    fi
    rm -f "$log"
    return "$rc"
}

check_units() {
    run_pytest tests/unit
}

# Tests that start real programs on loopback: Squid, headless Chromium.
check_integration() {
    run_pytest tests/integration/squid tests/browser
}

check_gates() {
    local rc=0
    python tools/gates/ps_parse_gate.py || rc=1
    # PowerShell argument specs against the modules' documentation (what
    # validate-modules would check with pwsh).
    python tools/gates/ps_argspec_check.py || rc=1
    python tools/gates/choice_lists.py --check || rc=1  # docs, specs, roles, READMEs against the Python model
    # Every DllImport, struct, callback and constant of the C# against
    # Microsoft's win32metadata (no mono needed: it reads both as text).
    python tools/gates/pinvoke_gate.py || rc=1
    if command -v mcs >/dev/null; then
        python tools/gates/cs_compile_gate.py || rc=1
    else
        skip "C# compile gate: mcs not found (Debian package mono-mcs)"
    fi
    return $rc
}

check_sanity() {
    local dest
    dest=$(collection_copy sanity)
    # The analyzer result examples are device output kept byte for byte in the encodings and line
    # endings Microsoft's analyzer writes (UTF-16 with a byte order mark, CRLF): data, not source,
    # so the source-file rules (line endings, shebang, smart quotes) do not apply to them.
    rm -rf "$dest/examples/analyzer"
    (
        cd "$dest" || exit 1
        rc=0
        # validate-modules inspects PowerShell argument specs with pwsh,
        # which is not available here; it runs on the Python files below
        # (for a PowerShell module, its documentation file).
        ansible-test sanity --python 3.11 --skip-test validate-modules --color no || rc=1
        mapfile -t pyfiles < <(find plugins/modules -name '*.py')
        if [ ${#pyfiles[@]} -gt 0 ]; then
            ansible-test sanity --python 3.11 --test validate-modules --color no "${pyfiles[@]}" || rc=1
        fi
        # Modules and module_utils run on managed hosts with older Pythons:
        # compile them with every target Python this machine has.
        target_pythons
        for v in "${TARGET_PYTHONS[@]}"; do
            ansible-test sanity --python "$v" --test compile --color no || rc=1
        done
        exit $rc
    )
}

# Target Pythons (other than 3.11) that can be run here. pyenv's shims fail
# for versions that are not selected, so put the version folders first
# (after .venv, which keeps providing python3 and the tools).
target_pythons() {
    local d v extra=""
    for d in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.*/bin; do
        [ -d "$d" ] && extra="$extra:$d"
    done
    PATH="$REPO/.venv/bin$extra:$PATH"
    TARGET_PYTHONS=()
    for v in 3.8 3.9 3.10 3.12 3.13; do
        if "python$v" -c '' >/dev/null 2>&1; then
            TARGET_PYTHONS+=("$v")
        else
            echo "sanity: no python$v here; its compile check is skipped"
        fi
    done
}

# Every molecule scenario under extensions/molecule that can run here; the
# ones that need a real Windows host say what they are missing and skip.
check_molecule() {
    tools/run_molecule.sh
}

# antsibull-docs lint of every plugin, module and role doc, then the Sphinx
# site with warnings as errors.
check_docs() {
    tools/build/build_docs.sh
}

# Build the collection tarball, install it offline, use it by its full name;
# ansible-builder for the execution environment.
check_distribution() {
    run_pytest tests/distribution
}

check_lint() {
    # Roles and playbooks name purview.device_proxy by its full name: lint
    # resolves it from this checkout, never from a copy installed elsewhere.
    # shellcheck source=scripts/collection_path.sh
    source "$REPO/scripts/collection_path.sh" "$REPO"
    # ansible-lint puts its cache ($ANSIBLE_HOME, by default ~/.ansible) first on
    # the collections path and installs the linted collection there only when no
    # copy of the same version is present: a copy left by another checkout or an
    # older run would shadow this checkout. A fresh cache per run, in .build.
    local lint_home="$REPO/.build/lint-home"
    rm -rf "$lint_home" && mkdir -p "$lint_home"
    ANSIBLE_HOME="$lint_home" ansible-lint --offline --profile production
}

check_changelog() {
    antsibull-changelog lint
}

for name in "${checks[@]}"; do
    echo "=== check: $name"
    if "check_$name"; then
        echo "=== $name: passed"
    else
        echo "=== $name: FAILED"
        failed+=("$name")
    fi
done

echo
[ ${#skipped[@]} -eq 0 ] || printf 'skipped: %s\n' "${skipped[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "FAILED checks: ${failed[*]}"
    exit 1
fi
echo "all checks passed: ${checks[*]}"
