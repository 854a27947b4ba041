# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make ``ansible_collections.purview.device_proxy`` resolvable from this checkout.

The collection names itself by its full name. A link under .build points
``ansible_collections/purview/device_proxy`` at the checkout, so tests, tools and playbooks use the
files being edited without installing anything. This is the only place that makes the link:
Python callers import :func:`ensure_collection_importable`; the shell scripts source
scripts/collection_path.sh, which runs this file and exports the folder it prints as
ANSIBLE_COLLECTIONS_PATH.

    python3 tools/collection_link.py    # make the link; print the collections folder
"""

from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS_DIR = os.path.join(ROOT, ".build", "pytest")
LINK = os.path.join(COLLECTIONS_DIR, "ansible_collections", "purview", "device_proxy")


def ensure_link() -> str:
    """Create the link if it is missing and return the collections folder that holds it."""
    if not os.path.islink(LINK) and not os.path.isdir(LINK):
        os.makedirs(os.path.dirname(LINK), exist_ok=True)
        os.symlink(ROOT, LINK)
    return COLLECTIONS_DIR


def ensure_collection_importable() -> str:
    """Create the link if needed, put its folder on sys.path and return that folder."""
    ensure_link()
    if COLLECTIONS_DIR not in sys.path:
        sys.path.insert(0, COLLECTIONS_DIR)
    return COLLECTIONS_DIR


if __name__ == "__main__":
    print(ensure_link())
