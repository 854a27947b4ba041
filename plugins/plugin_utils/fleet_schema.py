# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report's JSON contract: its schema id and version, the host statuses, the method tokens
and the JSON Schema that connectivity-fleet.json validates against (fleet_report builds it, the run
history reads it back)."""

from __future__ import annotations

import re
from typing import Any, Dict

from ansible_collections.purview.device_proxy.plugins.plugin_utils import connectivity_verdict as cv

SCHEMA_ID = "purview.device_proxy/connectivity-fleet"
# 2: failures carry the method outcomes (structured); hosts carry elapsed_ms.
SCHEMA_VERSION = 2

# Where a report's results come from, and the module that gives them (named where a host has none).
DEVICE = "device"
NETWORK = "network"
SOURCES = (DEVICE, NETWORK)
PROBE_MODULES = {DEVICE: "device_connectivity_probe", NETWORK: "network_url_probe"}

TESTED = "tested"
NO_RESULT = "no-result"

# One token per method in a cell: S<code> succeeded, F<code> failed, "-" doesn't exist,
# "N" not run. The code is the HTTP status or the WinHTTP error (or a reason word).
_TOKEN_RE = r"^(S[0-9]{3}|F[A-Za-z0-9.-]+|-|N)$"
_TOKEN = re.compile(_TOKEN_RE)

FLEET_SCHEMA: Dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "purview.device_proxy connectivity fleet report",
    "type": "object",
    "required": ["schema", "version", "generated_at", "verdict", "urls", "hosts", "totals"],
    "additionalProperties": False,
    "properties": {
        "schema": {"const": SCHEMA_ID},
        "version": {"const": SCHEMA_VERSION},
        "generated_at": {"type": "string"},
        "title": {"type": "string"},
        # Only on a report of network_url_probe results; a device report has no "source".
        "source": {"enum": [NETWORK]},
        "verdict": {"enum": list(cv.FAIL_VERDICTS)},
        "methods": {"type": "array", "items": {"type": "string"}},
        "urls": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["url", "channel", "required", "failed_hosts"],
                "additionalProperties": False,
                "properties": {
                    "url": {"type": "string"},
                    "channel": {"enum": list(cv.CHANNEL_ORDER)},
                    "required": {"type": "boolean"},
                    "failed_hosts": {"type": "integer", "minimum": 0},
                },
            },
        },
        "hosts": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["host", "status", "verdict", "failed", "error", "configured", "results", "failures"],
                "additionalProperties": False,
                "properties": {
                    "host": {"type": "string"},
                    "status": {"enum": [TESTED, NO_RESULT]},
                    "verdict": {"enum": [cv.PASS, cv.FAIL, NO_RESULT]},
                    "failed": {"type": "integer", "minimum": 0},
                    "error": {"type": ["string", "null"]},
                    "configured": {
                        "type": ["object", "null"],
                        "required": ["method", "proxy"],
                        "properties": {"method": {"enum": list(cv.METHODS)}, "proxy": {"type": ["string", "null"]}},
                    },
                    "run_as_system": {"type": ["boolean", "null"]},
                    "deadline_reached": {"type": ["boolean", "null"]},
                    "elapsed_ms": {"type": ["integer", "null"], "minimum": 0},
                    # Only on hosts whose test ran with validate_maps (MpCmdRun -ValidateMapsConnection).
                    "maps": {
                        "type": "object",
                        "required": ["status", "hresult"],
                        "additionalProperties": False,
                        "properties": {
                            "status": {"enum": [cv.MAPS_PASSED, cv.MAPS_FAILED, cv.MAPS_NOT_RUN]},
                            "hresult": {"type": ["string", "null"]},
                        },
                    },
                    "results": {
                        "type": "array",
                        "description": "aligned with the top-level urls; null where the host did not test that URL",
                        "items": {
                            "type": ["object", "null"],
                            "required": ["strict", "analyzer", "methods"],
                            "additionalProperties": False,
                            "properties": {
                                "strict": {"enum": [cv.PASS, cv.FAIL, cv.UNTESTED]},
                                "analyzer": {"enum": [cv.PASS, cv.FAIL]},
                                "methods": {"type": "array", "minItems": len(cv.METHODS), "maxItems": len(cv.METHODS),
                                            "items": {"type": "string", "pattern": _TOKEN_RE}},
                                "ms": {"type": ["integer", "null"]},
                            },
                        },
                    },
                    "failures": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["url", "diagnosis", "methods"],
                            "additionalProperties": False,
                            "properties": {
                                "url": {"type": "string"},
                                "diagnosis": {"type": "string"},
                                "methods": {
                                    "type": "array", "minItems": len(cv.METHODS), "maxItems": len(cv.METHODS),
                                    "description": "one per method, in the analyzer's order; null where the method doesn't exist",
                                    "items": {
                                        "type": ["object", "null"],
                                        "required": ["ok", "code", "proxy"],
                                        "additionalProperties": False,
                                        "properties": {"ok": {"type": "boolean"},
                                                       "code": {"type": ["integer", "string", "null"]},
                                                       "proxy": {"type": ["string", "null"]}},
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
        "totals": {
            "type": "object",
            "required": ["hosts", "tested", "no_result", "passed", "failed", "urls", "cells", "failed_cells"],
            "additionalProperties": {"type": "integer", "minimum": 0},
        },
    },
}
