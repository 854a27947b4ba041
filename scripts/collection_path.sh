# shellcheck shell=bash
# Sourced by the project's scripts. Makes `purview.device_proxy` resolvable
# from this checkout by its full name, without installing it: a link
# .build/pytest/ansible_collections/purview/device_proxy -> the checkout (the
# same link tools/collection_link.py makes for Python), and ANSIBLE_COLLECTIONS_PATH
# pointing at it. Only ansible-test needs a real copy; it makes its own.
# Usage: source scripts/collection_path.sh "<checkout root>"
collection_path_root=$1
collection_path_link="$collection_path_root/.build/pytest/ansible_collections/purview/device_proxy"
if [ ! -e "$collection_path_link" ]; then
    mkdir -p "$(dirname "$collection_path_link")"
    ln -s "$collection_path_root" "$collection_path_link"
fi
export ANSIBLE_COLLECTIONS_PATH="$collection_path_root/.build/pytest"
