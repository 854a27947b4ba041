#!/usr/bin/env bash
# Build the collection's documentation site in one command:
#   1. copy the collection into a temporary ansible_collections/purview/device_proxy
#      tree (a real copy outside the checkout: ansible-doc and antsibull-docs need
#      that layout, and git-ignored paths inside the checkout confuse them),
#   2. lint every module, plugin and role doc and the guides with
#      antsibull-docs lint-collection-docs,
#   3. build the Sphinx site with antsibull-docs and sphinx-build -W (any
#      warning fails the build),
#   4. check that every module, lookup, filter and role has its page.
# Nothing is fetched from the network: the only external references the
# generated pages make (to the Ansible documentation) resolve from a small
# local inventory written below.
#
# Usage: tools/build/build_docs.sh [--lint-only] [OUTPUT_DIR]
#   OUTPUT_DIR defaults to docs/build/html (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/../.." || exit 1
REPO=$PWD
[ -d "$REPO/.venv/bin" ] && export PATH="$REPO/.venv/bin:$PATH"
export ANSIBLE_NOCOLOR=1

lint_only=false
if [ "${1:-}" = "--lint-only" ]; then
    lint_only=true
    shift
fi
OUTPUT=${1:-$REPO/docs/build/html}

for tool in antsibull-docs sphinx-build ansible-doc; do
    command -v "$tool" >/dev/null || { echo "build_docs: $tool not found (pip install -r requirements-test.txt)" >&2; exit 2; }
done

# The start page is generated from docs/index.md: a stale copy fails the build before anything else.
"${PYTHON:-python3}" tools/build/docs_index.py --check

WORK=$(mktemp -d "${TMPDIR:-/tmp}/purview-device-proxy-docs.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
COLLECTIONS="$WORK/collections"
COLL="$COLLECTIONS/ansible_collections/purview/device_proxy"
mkdir -p "$COLL"
tar -c --exclude=./.git --exclude=./.venv --exclude=./.build --exclude=./.ansible \
    --exclude=.pytest_cache --exclude=.hypothesis --exclude=__pycache__ \
    --exclude=./tests/output --exclude=./docs/build . | tar -x -C "$COLL"

# Only this copy, never a collection installed elsewhere on the machine.
export ANSIBLE_COLLECTIONS_PATH="$COLLECTIONS"
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false

# A lint finding fails the command, but the site is still built so that the
# run reports every problem at once.
echo "=== antsibull-docs lint-collection-docs"
lint_rc=0
antsibull-docs lint-collection-docs --plugin-docs --check-extra-docs-refs \
    --validate-collection-refs dependent "$COLL" || lint_rc=1
if [ $lint_rc -eq 0 ]; then echo "lint: no findings"; else echo "lint: FAILED (findings above)"; fi
$lint_only && exit $lint_rc

echo "=== Sphinx site"
SITE="$WORK/site"
mkdir -m 700 "$SITE"
antsibull-docs sphinx-init --use-current --fail-on-error --dest-dir "$SITE" \
    --project purview.device_proxy --copyright "purview.device_proxy maintainers" \
    --title "purview.device_proxy" --no-add-antsibull-docs-version \
    purview.device_proxy >/dev/null

# The pages antsibull-docs generates link to a handful of labels of the
# Ansible documentation. Resolve them from a local intersphinx inventory that
# points at docs.ansible.com instead of downloading the real one.
"${PYTHON:-python3}" - "$SITE" <<'PY'
import sys
import zlib
from pathlib import Path

site = Path(sys.argv[1])
base = "https://docs.ansible.com/projects/ansible/devel/"
labels = {  # label: (page, title)
    "action_plugins": ("plugins/action.html#action-plugins", "Action plugins"),
    "ansible_configuration_settings": ("reference_appendices/config.html", "Ansible Configuration Settings"),
    "callback_plugins": ("plugins/callback.html#callback-plugins", "Callback plugins"),
    "collections_keyword": ("collections_guide/collections_using_playbooks.html#using-collections-in-playbooks",
                            "Using collections in playbooks"),
    "common_return_values": ("reference_appendices/common_return_values.html", "Return Values"),
    "list_of_callback_plugins": ("collections/index_callback.html", "Index of all Callback Plugins"),
    "list_of_collections": ("collections/index.html", "Collection Index"),
}
header = (
    "# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n"
    "# The remainder of this file is compressed using zlib.\n"
)
body = "".join(f"{name} std:label -1 {uri} {title}\n" for name, (uri, title) in sorted(labels.items()))
inventory = site / "ansible_devel.inv"
inventory.write_bytes(header.encode() + zlib.compress(body.encode()))
with (site / "conf.py").open("a", encoding="utf-8") as conf:
    conf.write(
        "\n# Offline build: no inventories are downloaded.\n"
        f"intersphinx_mapping = {{'ansible_devel': ({base!r}, {str(inventory)!r})}}\n"
    )
PY

(cd "$SITE" && ./build.sh)

# Every module, lookup, filter and role of the collection has its page (a plugin
# whose documentation cannot be loaded is otherwise left out without a warning).
"${PYTHON:-python3}" - "$COLL" "$SITE/build/html/collections/purview/device_proxy" <<'PY'
import ast
import sys
from pathlib import Path

coll, pages = Path(sys.argv[1]), Path(sys.argv[2])
expected = [f"{p.stem}_module" for p in (coll / "plugins" / "modules").glob("*.py") if p.stem != "__init__"]
expected += [f"{p.stem}_lookup" for p in (coll / "plugins" / "lookup").glob("*.py") if p.stem != "__init__"]
expected += [f"{p.name}_role" for p in (coll / "roles").iterdir() if p.is_dir()]
for source in (coll / "plugins" / "filter").glob("*.py"):
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef) and node.name == "filters":
            for ret in ast.walk(node):
                if isinstance(ret, ast.Return) and isinstance(ret.value, ast.Dict):
                    expected += [f"{key.value}_filter" for key in ret.value.keys]
missing = sorted(name for name in expected if not (pages / f"{name}.html").is_file())
if missing:
    sys.exit(f"docs: no page for {', '.join(missing)}")
print(f"docs: {len(expected)} plugin and role pages, none missing")
PY
rm -rf "$OUTPUT"
mkdir -p "$(dirname "$OUTPUT")"
cp -r "$SITE/build/html" "$OUTPUT"
echo "docs: site written to $OUTPUT"
exit $lint_rc
