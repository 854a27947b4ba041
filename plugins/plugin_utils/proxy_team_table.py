# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The allowlist as a table for the people who run the proxy.

A plain domain list loses what a proxy rule needs: the port (the certificate revocation hosts are
plain http on port 80), the path (``www.microsoft.com/pkiops/*`` is one folder of a shared host),
what the host is for, and the two requirements besides "allow": no TLS inspection and no
authentication challenge. One row per scheme, host, port and path keeps all of it.

The rows come from the same normalisation as the other renderers (``allowlist.rules_from``) and
the same shared-storage rule as the Squid snippet (``catalog.SHARED_STORAGE_WILDCARDS``), so the
table never says something the Squid snippet does not do.
"""

from __future__ import annotations

import csv
import io
from typing import Any, Dict, Iterable, List, Optional

from ansible_collections.purview.device_proxy.plugins.plugin_utils.allowlist import (
    AllowlistError,
    Rule,
    rules_from,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.catalog import (
    SHARED_STORAGE_WILDCARDS,
    CatalogEntry,
)

OUTPUTS = ("csv", "markdown", "rows")
COLUMNS = ("host", "port", "scheme", "path", "purpose", "must_not_be_tls_inspected",
           "must_allow_anonymous", "required", "note")
HEADINGS = {
    "host": "host",
    "port": "port",
    "scheme": "scheme",
    "path": "path",
    "purpose": "purpose",
    "must_not_be_tls_inspected": "must not be TLS-inspected",
    "must_allow_anonymous": "must allow anonymous",
    "required": "required",
    "note": "note",
}

# The catalog's function names in words a proxy team can act on. A name missing here is shown
# as it is, never dropped.
PURPOSES = {
    "autoir-sample-storage": "automated investigation sample storage (Defender for Endpoint)",
    "cloud-protection": "Defender Antivirus cloud-delivered protection and security intelligence",
    "cloud-protection-xplat": "Defender Antivirus cloud protection (macOS, Linux)",
    "command-and-control": "sensor command and control gateway (Defender for Endpoint)",
    "common": "connected user experiences and telemetry (DiagTrack) and shared services",
    "core": "consolidated Defender for Endpoint services (streamlined connectivity)",
    "crl": "certificate revocation lists and trust lists",
    "defender-core-ecs": "Defender Core service feature configuration",
    "defender-core-telemetry": "Defender Core service diagnostic data",
    "edr-cyber-data": "sensor cyber data upload (Defender for Endpoint)",
    "ipv6-probe": "IPv6 connectivity probe",
    "linux-config": "Linux agent configuration",
    "linux-packages": "Linux agent packages",
    "live-response-wns": "Live Response push notifications (WNS)",
    "maps": "Defender Antivirus cloud protection (MAPS)",
    "mdav-updates-adl": "Defender Antivirus updates, alternate download location",
    "mdav-updates-mu-wu": "Defender Antivirus updates through Microsoft Update / Windows Update",
    "mdav-utc": "Windows client diagnostic data",
    "mma": "Microsoft Monitoring Agent (legacy onboarding)",
    "mma-downlevel": "Microsoft Monitoring Agent (legacy onboarding)",
    "network-scanner": "vulnerability management network scanner",
    "sample-submission-storage": "malware sample submission storage",
    "security-management": "security settings management (device registration and check-in)",
    "si-updates-cdn-xplat": "security intelligence updates (macOS, Linux)",
    "smartscreen": "SmartScreen and network protection",
    "smartscreen-appexec": "SmartScreen application reputation",
    "streamlined-pattern": "consolidated Defender for Endpoint services (streamlined connectivity)",
    "updates": "Defender Antivirus security intelligence and platform updates",
    "utc": "Windows client diagnostic data",
    "web-network-protection": "web content filtering and network protection",
    "win1607-1803": "services for Windows 10 1607-1803 (standard hosts)",
    "standard": "administrators' portal",
    "streamlined": "administrators' portal",
}

# Functions whose hosts Microsoft says need a direct connection or a proxy bypass.
NEEDS_BYPASS = frozenset(("live-response-wns",))
PORTAL_LIST = "portal"


def _functions_of(item: Any) -> List[str]:
    if isinstance(item, CatalogEntry):
        return [item.function]
    if not isinstance(item, dict):
        return []
    names = item.get("functions")
    if isinstance(names, (list, tuple)):
        return [str(name) for name in names]
    for key in ("function", "channel"):
        if item.get(key):
            return [str(item[key])]
    return []


def _list_of(item: Any) -> Optional[str]:
    """The Microsoft list an item comes from, when the input says (catalog entries do)."""
    if isinstance(item, CatalogEntry):
        return item.list_name
    if isinstance(item, dict) and item.get("list_name"):
        return str(item["list_name"])
    return None


def _required_of(item: Any) -> Optional[bool]:
    if isinstance(item, CatalogEntry):
        return item.required
    if isinstance(item, dict) and isinstance(item.get("required"), bool):
        return item["required"]
    return None


def table_rows(entries: Iterable[Any]) -> List[Dict[str, Any]]:
    """One dict per scheme, host, port and path (keys ``COLUMNS``), sorted by domain, then port.

    ``must_not_be_tls_inspected`` is True for https hosts of the service, False for the shared
    storage wildcards (allowed, never exempted), None for plain http (nothing to inspect).
    ``must_allow_anonymous`` is True for every row a device needs, False only for rows that come
    from the administrators' portal list alone. ``required`` is None when the input does not say.
    """
    if isinstance(entries, (str, dict)) or entries is None:
        entries = [] if entries is None else [entries]
    merged: Dict[Rule, Dict[str, Any]] = {}
    for index, item in enumerate(entries):
        # The same normalisation (and the same errors) as the other renderers, item by item so
        # that an error names the item's index in the input.
        try:
            (rule,) = rules_from([item])
        except AllowlistError as exc:
            raise AllowlistError("entries[%d]" % index, exc.rule, exc.message) from exc
        row = merged.setdefault(rule, {"functions": [], "lists": set(), "required": None})
        for name in _functions_of(item):
            if name not in row["functions"]:
                row["functions"].append(name)
        row["lists"].add(_list_of(item))
        required = _required_of(item)
        if required is not None:
            row["required"] = bool(row["required"]) or required
    if not merged:
        raise AllowlistError("entries", "empty", "nothing to allow")
    rows = [_row(rule, data) for rule, data in merged.items()]
    rows.sort(key=lambda r: (list(reversed(r["host"].lstrip("*.").split("."))), r["host"], r["port"], r["path"]))
    return rows


def _row(rule: Rule, data: Dict[str, Any]) -> Dict[str, Any]:
    shared = rule.host in SHARED_STORAGE_WILDCARDS
    if rule.scheme == "http":
        inspect = None
    else:
        inspect = not shared
    portal_only = data["lists"] == {PORTAL_LIST}
    notes = []
    if any(name in NEEDS_BYPASS for name in data["functions"]):
        notes.append("needs a direct connection or a proxy bypass")
    if shared:
        notes.append("shared storage: allow it, but do not exempt it from inspection; "
                     "the service's own storage accounts are listed separately")
    if rule.scheme == "http" and rule.path:
        notes.append("plain http on port %d: a rule for the host on 443 does not cover this path" % rule.port)
    if portal_only:
        notes.append("administrators' browsers only; devices do not need it")
    return {
        "host": rule.host,
        "port": rule.port,
        "scheme": rule.scheme,
        "path": rule.path,
        "purpose": "; ".join(PURPOSES.get(name, name) for name in data["functions"]),
        "must_not_be_tls_inspected": inspect,
        "must_allow_anonymous": not portal_only,
        "required": data["required"],
        "note": "; ".join(notes),
    }


def _text(column: str, value: Any) -> str:
    if column == "must_not_be_tls_inspected":
        return {True: "yes", False: "no", None: "n/a (plain http)"}[value]
    if column == "must_allow_anonymous":
        return "yes" if value else "no"
    if column == "required":
        return {True: "required", False: "optional", None: ""}[value]
    return "" if value is None else str(value)


def render_table(entries: Iterable[Any], output: str = "csv") -> Any:
    """The table as CSV text, as a Markdown table, or as the row dicts (``output='rows'``)."""
    if output not in OUTPUTS:
        raise AllowlistError("output", "unknown-name", "unknown output %r; valid: %s" % (output, ", ".join(OUTPUTS)))
    rows = table_rows(entries)
    if output == "rows":
        return rows
    if output == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([HEADINGS[c] for c in COLUMNS])
        for row in rows:
            writer.writerow([_text(c, row[c]) for c in COLUMNS])
        return out.getvalue()
    lines = ["| " + " | ".join(HEADINGS[c] for c in COLUMNS) + " |",
             "|" + "|".join("---:" if c == "port" else "---" for c in COLUMNS) + "|"]
    for row in rows:
        cells = [_text(c, row[c]).replace("|", "\\|") for c in COLUMNS]
        cells = ["`%s`" % cell if c in ("host", "path") and cell else cell for c, cell in zip(COLUMNS, cells)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


__all__ = ["COLUMNS", "OUTPUTS", "PURPOSES", "render_table", "table_rows"]
