# -*- coding: utf-8 -*-
"""The transport's mapping of OS errors to failure kinds (no network)."""

import errno

from ansible_collections.purview.device_proxy.plugins.module_utils import probe_client
from ansible_collections.purview.device_proxy.plugins.module_utils import probe_model


def test_os_errors_map_to_failures():
    assert probe_client._os_failure(ConnectionRefusedError(errno.ECONNREFUSED, "x"), probe_model.AT_PROXY).failure == probe_model.F_REFUSED
    assert probe_client._os_failure(OSError(errno.ENETUNREACH, "x"), probe_model.AT_ORIGIN).failure == probe_model.F_UNREACHABLE
    assert probe_client._os_failure(OSError(errno.EINVAL, "x"), probe_model.AT_ORIGIN).failure == probe_model.F_UNREACHABLE
    assert probe_client._os_failure(OSError(errno.ETIMEDOUT, "x"), probe_model.AT_ORIGIN).failure == probe_model.F_TIMEOUT
    assert probe_client._os_failure(ConnectionResetError(), probe_model.AT_ORIGIN).failure == probe_model.F_RESET
    assert probe_client._os_failure(OSError(errno.EIO, "x"), probe_model.AT_ORIGIN).failure == probe_model.F_OTHER
