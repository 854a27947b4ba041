# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make the collection importable by its real name, as tests/unit/conftest.py does."""

import importlib.util
import os

_UNIT_CONFTEST = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "unit", "conftest.py")
_spec = importlib.util.spec_from_file_location("purview_device_proxy_unit_conftest", _UNIT_CONFTEST)
_spec.loader.exec_module(importlib.util.module_from_spec(_spec))
