# shellcheck shell=bash
# Sourced by the project's scripts. Makes `purview.device_proxy` resolvable
# from this checkout by its full name, without installing it: the link
# .build/pytest/ansible_collections/purview/device_proxy -> the checkout, made
# by tools/collection_link.py (the one place that knows the layout), and
# ANSIBLE_COLLECTIONS_PATH pointing at the folder it prints. Only ansible-test
# needs a real copy; it makes its own.
# Usage: source scripts/collection_path.sh "<checkout root>"
# Any Python 3 will do (the helper uses the standard library only): the
# checkout's .venv when the caller put it first on PATH, else python3.
collection_path_dir=$(python3 "$1/tools/collection_link.py") || {
    echo "collection_path.sh: could not link the collection under $1/.build" >&2
    return 1
}
export ANSIBLE_COLLECTIONS_PATH="$collection_path_dir"
unset collection_path_dir
