# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Former home of the managed-value table, now part of :mod:`registry_locations`.

Nothing is defined here: the names are re-exported so that existing imports keep working while
every location is written once, in ``registry_locations.py``. New code imports from there.
"""

from __future__ import annotations

from ansible_collections.purview.device_proxy.plugins.plugin_utils.registry_locations import (  # noqa: F401
    ATP_POLICY_KEY,
    BY_FIELD,
    CONNECTIONS_KEY,
    DATA_COLLECTION_KEY,
    DEFENDER_POLICY_KEY,
    DEFENDER_SPYNET_KEY,
    LOCAL_MACHINE_REGISTRY_POL,
    MANAGED_LOCATIONS,
    MDM_DEVICE_KEY,
    ManagedLocation,
    find_location,
    find_mdm_location,
    normal_key,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.registry_locations import (  # noqa: F401
    CONNECTIONS_KEY_WOW64 as CONNECTIONS_WOW64_KEY,
    MANAGED_DEFENDER_PROXY_BYPASS as DEFENDER_PROXY_BYPASS,
    MANAGED_DEFENDER_PROXY_PAC_URL as DEFENDER_PROXY_PAC_URL,
    MANAGED_DEFENDER_PROXY_SERVER as DEFENDER_PROXY_SERVER,
    MANAGED_DEFENDER_SSL_OPTIONS as DEFENDER_SSL_OPTIONS,
    MANAGED_DISABLE_ENTERPRISE_AUTH_PROXY as DISABLE_ENTERPRISE_AUTH_PROXY,
    MANAGED_PREFER_STATIC_PROXY as PREFER_STATIC_PROXY,
    MANAGED_TELEMETRY_PROXY_SERVER as TELEMETRY_PROXY_SERVER,
    MANAGED_WINHTTP_SETTINGS as WINHTTP_SETTINGS,
    MANAGED_WINHTTP_SETTINGS_WOW64 as WINHTTP_SETTINGS_WOW64,
)
