# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client analyzer's connectivity model, in one place (internal to this collection).

Microsoft's client analyzer tests every service URL with five methods, numbered and labelled as
in its ``MDEClientAnalyzerResult.txt`` (docs/reference/connectivity-analyzer.md#methods). Everything in the collection that
names a method, renders a method line, accepts a status code or describes a URL to test takes it
from here: the action plugin, the verdicts, the analyzer text renderer, the fleet reports. The
copies that cannot import Python (the C# ``ProbeMethods.Names`` array, the PowerShell ``methods``
choices, the module documentation) are compared with this module by unit tests.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, NamedTuple, Optional, Sequence, Tuple

from ansible_collections.purview.device_proxy.plugins.module_utils._input_error import InputError
from ansible_collections.purview.device_proxy.plugins.module_utils import failure_kinds


class Method(NamedTuple):
    key: str            # the option value and the raw probe's ``method``
    number: int         # the analyzer's line number
    label: str          # the analyzer's wording (Microsoft's current page)
    legacy_label: str   # the older Purview/DLP pages' wording
    uses_proxy: bool    # needs a proxy address (named, command line); "Doesn't exist" without one
    # Its result depends on the account that runs it (WinHTTP's default configuration and WPAD
    # discovery are read per process identity); the sensor runs as SYSTEM (S-1-5-18).
    identity_dependent: bool = False
    # For a method that uses a proxy: the setting that gives it (named in the verdict when unset).
    proxy_setting: str = ""


METHODS = (
    Method("default", 1, "Default proxy", "Default proxy", False, True),
    Method("wpad", 2, "Proxy auto discovery (WPAD)", "Proxy auto discovery (WPAD)", False, True),
    Method("disabled", 3, "Proxy disabled", "Proxy disabled", False),
    Method("named", 4, "Named proxy", "Named proxy", True, proxy_setting="TelemetryProxyServer"),
    Method("command_line", 5, "Command line proxy", "Command-line proxy", True, proxy_setting="command_line_proxy"),
)
METHOD_KEYS = tuple(m.key for m in METHODS)
# The methods that need a proxy address of their own (the C# ProbeMethods.NeedsProxy is compared with it).
PROXY_METHOD_KEYS = tuple(m.key for m in METHODS if m.uses_proxy)
BY_KEY = {m.key: m for m in METHODS}
BY_NUMBER = {m.number: m for m in METHODS}

# Codes the analyzer script's ValidateURLs accepts on any method
# (architectaj/getTSS: scripts/tss_MDEClientAnalyzer.ps1;
# docs/reference/connectivity-analyzer.md#success-rule). Microsoft's page
# names only 200.
ANALYZER_ACCEPTED = (200, 400, 404)

# The strict verdict always accepts 200; other codes only where the catalog documents them.
ALWAYS_ACCEPTED = 200

# The failure vocabulary shared with the Linux network probe (see failure_kinds).
FAILURE_KINDS = failure_kinds.ALL

# A URL to test: the keys of the catalog's ``output='probe'`` items that the test reads.
URL_SPEC_KEYS = ("url", "channel", "expected_status", "no_pinning", "required")


class AnalyzerInputError(InputError):
    """Malformed input to the model. ``field`` names the value, ``rule`` says which rule it broke."""


def optional_int(value: Any, field: str) -> Optional[int]:
    """A number from a raw result (int or digits), None when absent; a bool or anything else is
    refused naming ``field``."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise AnalyzerInputError(field, "type", "must be a number")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise AnalyzerInputError(field, "type", f"{value!r} is not a number") from None


def normalise_url_spec(item: Any, index: int = 0, field: str = "urls") -> Dict[str, Any]:
    """One URL to test as a dict: url, channel (as given), expected_status, no_pinning, required.

    ``item`` is a URL string or a dict shaped like the catalog's ``output='probe'`` items.
    ``channel`` is returned as given; mapping it to an analyzer channel is the verdict's job.
    """
    where = f"{field}[{index}]"
    if isinstance(item, str):
        item = {"url": item}
    if not isinstance(item, Mapping):
        raise AnalyzerInputError(where, "type", "must be a URL string or a dict with a 'url' key")
    url = str(item.get("url") or "").strip()
    if not url.lower().startswith(("http://", "https://")):
        raise AnalyzerInputError(where + ".url", "scheme", f"{url!r} must start with http:// or https://")
    if any(ch.isspace() for ch in url) or "*" in url:
        raise AnalyzerInputError(where + ".url", "forbidden-character",
                                 f"{url!r} must be a concrete URL without spaces or wildcards")
    expected = item.get("expected_status") or []
    if isinstance(expected, int):
        expected = [expected]
    try:
        codes = sorted({int(code) for code in expected})
    except (TypeError, ValueError):
        raise AnalyzerInputError(where + ".expected_status", "type", "must be a list of HTTP status codes") from None
    if any(code < 100 or code > 599 for code in codes):
        raise AnalyzerInputError(where + ".expected_status", "range", "HTTP status codes are 100-599")
    return {
        "url": url,
        "channel": str(item.get("channel") or item.get("function") or ""),
        "expected_status": codes,
        "no_pinning": bool(item.get("no_pinning", False)),
        "required": bool(item.get("required", True)),
    }


def strict_accepted(expected_status: Sequence[int]) -> Tuple[int, ...]:
    """Codes the strict verdict accepts for a URL: 200 plus exactly the catalog's codes for it."""
    return tuple(sorted({ALWAYS_ACCEPTED, *(int(code) for code in expected_status)}))


def method_label(key: str, legacy: bool = False) -> str:
    method = BY_KEY[key]
    return method.legacy_label if legacy else method.label
