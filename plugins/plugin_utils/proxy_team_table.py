# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The allowlist as a table for the people who run the proxy.

A plain domain list loses what a proxy rule needs: the port (the certificate revocation hosts are
plain http on port 80), the path (``www.microsoft.com/pkiops/*`` is one folder of a shared host),
what the host is for, and the two requirements besides "allow": no TLS inspection and no
authentication challenge. One row per scheme, host, port and path keeps all of it.

The rows come from the same normalisation as the other renderers (``allowlist.rules_from``) and
the same shared-storage rule as the Squid snippet (``catalog.SHARED_STORAGE_WILDCARDS``) and the
same direct-only test as the PAC file (``allowlist.is_direct_only``), so the table never says
something the Squid snippet or the PAC file does not do. Cells are made safe for the reader's tool
in ``table_cells`` (spreadsheet formulas, Markdown).
"""

from __future__ import annotations

import csv
import io
from typing import Any, Dict, Iterable, List, Optional

from ansible_collections.purview.device_proxy.plugins.plugin_utils.allowlist import (
    DIRECT_ONLY_SOURCE,
    AllowlistError,
    Rule,
    check_direct_only,
    is_direct_only,
    microsoft_source,
    rules_from,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.catalog import (
    CLOUDS,
    SHARED_STORAGE_WILDCARDS,
    CatalogEntry,
    pattern_covers,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.table_cells import csv_cell, markdown_code, markdown_text

OUTPUTS = ("csv", "markdown", "rows")
# New columns go at the end, so that a sheet that reads columns by position keeps working.
COLUMNS = ("host", "port", "scheme", "path", "purpose", "must_not_be_tls_inspected",
           "must_allow_anonymous", "required", "note", "direct_only", "cloud")
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
    "direct_only": "direct connection or proxy bypass",
    "cloud": "cloud",
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


def _clouds_of(item: Any) -> List[str]:
    if isinstance(item, CatalogEntry):
        return [item.cloud]
    if isinstance(item, dict):
        if isinstance(item.get("clouds"), (list, tuple)):
            return [str(name) for name in item["clouds"]]
        if item.get("cloud"):
            return [str(item["cloud"])]
    return []


def _required_of(item: Any) -> Optional[bool]:
    if isinstance(item, CatalogEntry):
        return item.required
    if isinstance(item, dict) and isinstance(item.get("required"), bool):
        return item["required"]
    return None


def table_rows(entries: Iterable[Any], direct_only: str = "direct") -> List[Dict[str, Any]]:
    """One dict per scheme, host, port and path (keys ``COLUMNS``), sorted by domain, then port.

    ``must_not_be_tls_inspected`` is True for https hosts of the service, False for the shared
    storage wildcards (allowed, never exempted), None for plain http (nothing to inspect).
    ``must_allow_anonymous`` is True for every row a device needs, False only for rows that come
    from the administrators' portal list alone. ``required`` is None when the input does not say.
    ``direct_only`` is True for the hosts Microsoft wants reached directly (``allowlist.is_direct_only``);
    the note says where the PAC file sends them (``direct_only`` of ``allowlist.render_pac``).
    ``cloud`` names the clouds whose selection holds the row. A row whose host another row's
    wildcard covers, with the same port, scheme, path and treatment, is folded into that row.
    """
    check_direct_only(direct_only)
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
        row = merged.setdefault(rule, {"functions": [], "lists": set(), "required": None, "clouds": set(),
                                       "direct_only": False, "sources": [], "folded": []})
        for name in _functions_of(item):
            if name not in row["functions"]:
                row["functions"].append(name)
        row["lists"].add(_list_of(item))
        row["clouds"].update(_clouds_of(item))
        required = _required_of(item)
        if required is not None:
            row["required"] = bool(row["required"]) or required
        if is_direct_only(item):
            row["direct_only"] = True
            source = microsoft_source(item)
            if source and source not in row["sources"]:
                row["sources"].append(source)
    if not merged:
        raise AllowlistError("entries", "empty", "nothing to allow")
    rows = [_row(rule, data, direct_only) for rule, data in _fold(merged).items()]
    rows.sort(key=lambda r: (list(reversed(r["host"].lstrip("*.").split("."))), r["host"], r["port"], r["path"]))
    return rows


def _treatment(rule: Rule, data: Dict[str, Any]) -> Any:
    shared = rule.host in SHARED_STORAGE_WILDCARDS
    return (rule.port, rule.scheme, rule.path, shared, data["lists"] == {PORTAL_LIST}, data["direct_only"])


def _fold(merged: Dict[Rule, Dict[str, Any]]) -> Dict[Rule, Dict[str, Any]]:
    """Fold each row into the widest other row that covers its host with the same treatment
    (a service storage account under ``*.blob.core.windows.net`` differs: it is spliced, the
    wildcard is not, so it stays)."""
    treatments = {rule: _treatment(rule, data) for rule, data in merged.items()}
    into: Dict[Rule, Rule] = {}
    for rule in merged:
        covers = [o for o in merged if o.host != rule.host and treatments[o] == treatments[rule]
                  and pattern_covers(o.host, rule.host)]
        widest = [o for o in covers if not any(p.host != o.host and pattern_covers(p.host, o.host) for p in covers)]
        if widest:
            into[rule] = min(widest, key=lambda o: o.host)
    kept = {rule: data for rule, data in merged.items() if rule not in into}
    for rule, outer in into.items():
        data, target = merged[rule], kept[outer]
        target["functions"] += [name for name in data["functions"] if name not in target["functions"]]
        target["lists"] |= data["lists"]
        target["clouds"] |= data["clouds"]
        if data["required"] is not None:
            target["required"] = bool(target["required"]) or data["required"]
        target["sources"] += [src for src in data["sources"] if src not in target["sources"]]
        target["folded"].append(rule.host)
    return kept


def _row(rule: Rule, data: Dict[str, Any], direct_only: str) -> Dict[str, Any]:
    shared = rule.host in SHARED_STORAGE_WILDCARDS
    if rule.scheme == "http":
        inspect = None
    else:
        inspect = not shared
    portal_only = data["lists"] == {PORTAL_LIST}
    notes = []
    if data["direct_only"]:
        notes.append("Microsoft: needs a direct connection or a proxy bypass (Live Response push notifications; %s); "
                     "%s" % (", ".join(data["sources"] or [DIRECT_ONLY_SOURCE]),
                             "the PAC file sends it DIRECT" if direct_only == "direct"
                             else "the PAC file sends it to the proxy (direct_only=proxy)"))
    if shared:
        notes.append("shared storage: allow it, but do not exempt it from inspection; "
                     "the service's own storage accounts are listed separately")
    if rule.scheme == "http" and rule.path:
        notes.append("plain http on port %d: a rule for the host on 443 does not cover this path" % rule.port)
    if portal_only:
        notes.append("administrators' browsers only; devices do not need it")
    if data["folded"]:
        notes.append("also listed by name: %s" % ", ".join(sorted(set(data["folded"]))))
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
        "direct_only": data["direct_only"],
        "cloud": ", ".join(sorted(data["clouds"], key=lambda c: (CLOUDS.index(c) if c in CLOUDS else len(CLOUDS), c))),
    }


def _text(column: str, value: Any) -> str:
    if column == "must_not_be_tls_inspected":
        return {True: "yes", False: "no", None: "n/a (plain http)"}[value]
    if column in ("must_allow_anonymous", "direct_only"):
        return "yes" if value else "no"
    if column == "required":
        return {True: "required", False: "optional", None: ""}[value]
    return "" if value is None else str(value)


def render_table(entries: Iterable[Any], output: str = "csv", direct_only: str = "direct") -> Any:
    """The table as CSV text, as a Markdown table, or as the row dicts (``output='rows'``).
    ``direct_only`` is what the PAC file does with direct-only hosts (for the note)."""
    if output not in OUTPUTS:
        raise AllowlistError("output", "unknown-name", "unknown output %r; valid: %s" % (output, ", ".join(OUTPUTS)))
    rows = table_rows(entries, direct_only=direct_only)
    if output == "rows":
        return rows
    if output == "csv":
        out = io.StringIO()
        # Every cell quoted and every formula start neutralised (table_cells.csv_cell).
        writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
        writer.writerow([HEADINGS[c] for c in COLUMNS])
        for row in rows:
            writer.writerow([csv_cell(_text(c, row[c])) for c in COLUMNS])
        return out.getvalue()
    lines = ["| " + " | ".join(HEADINGS[c] for c in COLUMNS) + " |",
             "|" + "|".join("---:" if c == "port" else "---" for c in COLUMNS) + "|"]
    for row in rows:
        cells = [markdown_code(_text(c, row[c])) if c in ("host", "path") else markdown_text(_text(c, row[c]))
                 for c in COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


__all__ = ["COLUMNS", "OUTPUTS", "PURPOSES", "render_table", "table_rows"]
