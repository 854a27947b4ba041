# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make ``ansible_collections.purview.device_proxy`` importable from this checkout.

The collection imports itself by its full name. A link under .build points
``ansible_collections/purview/device_proxy`` at the checkout, so tests and tools use the files
being edited without installing anything. scripts/collection_path.sh makes the same link for
the shell scripts.
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS_DIR = os.path.join(ROOT, ".build", "pytest")
LINK = os.path.join(COLLECTIONS_DIR, "ansible_collections", "purview", "device_proxy")


def ensure_collection_importable():
    """Create the link if needed, put its folder on sys.path and return that folder."""
    if not os.path.islink(LINK) and not os.path.isdir(LINK):
        os.makedirs(os.path.dirname(LINK), exist_ok=True)
        os.symlink(ROOT, LINK)
    if COLLECTIONS_DIR not in sys.path:
        sys.path.insert(0, COLLECTIONS_DIR)
    return COLLECTIONS_DIR
