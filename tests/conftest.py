"""Shared set-up for every test folder under tests/.

The tests import the collection by its real name; tools/collection_link.py makes that name
point at this checkout (loaded by path: tools/ is not a package).
"""

import importlib.util
import os

_HELPER = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools", "collection_link.py")
_spec = importlib.util.spec_from_file_location("purview_device_proxy_collection_link", _HELPER)
_collection_link = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_collection_link)
os.environ.setdefault("ANSIBLE_COLLECTIONS_PATH", _collection_link.ensure_collection_importable())

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
