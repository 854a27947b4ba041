"""Make ``ansible_collections.purview.device_proxy`` importable from this checkout.

The tests import the collection by its real name. A link under .build points
``ansible_collections/purview/device_proxy`` at the checkout, so edits are
tested without copying.
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS_DIR = os.path.join(ROOT, ".build", "pytest")
LINK = os.path.join(COLLECTIONS_DIR, "ansible_collections", "purview", "device_proxy")

if not os.path.islink(LINK):
    os.makedirs(os.path.dirname(LINK), exist_ok=True)
    os.symlink(ROOT, LINK)
if COLLECTIONS_DIR not in sys.path:
    sys.path.insert(0, COLLECTIONS_DIR)
os.environ.setdefault("ANSIBLE_COLLECTIONS_PATH", COLLECTIONS_DIR)

# Property tests: no per-example deadline (the machines are shared and
# noisy), and a fixed seed under CI so a run can be repeated exactly.
try:
    from hypothesis import settings as _hypothesis_settings
except ImportError:  # pragma: no cover - hypothesis is a test requirement
    pass
else:
    _hypothesis_settings.register_profile("dev", deadline=None)
    _hypothesis_settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
    _hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "dev")
