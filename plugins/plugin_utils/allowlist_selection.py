# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a proxy team's handover covers: one or several tenants (a cloud and its regions each), the
catalog they are selected from, and a title that says exactly what is covered.

A proxy that serves two tenants (say EU commercial and GCC High) gets one selection, the union
of each tenant's ``Catalog.select``. ``tenants`` is a list of ``{"cloud": ..., "regions": [...]}``;
the single-cloud options (``cloud``, ``regions``) are the one-tenant case of the same thing.

A catalog JSON named by the operator (``catalog_file``) is checked the way the reference CSV is
checked when the catalog is built (``catalog_import``: URL and host, ports, cloud, list, excluded
hosts), with the same functions, before any of it is used.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

from ansible_collections.purview.device_proxy.plugins.plugin_utils.allowlist import is_direct_only
from ansible_collections.purview.device_proxy.plugins.plugin_utils.catalog import (
    ALWAYS_INCLUDED_REGIONS,
    CLOUD_LABELS,
    CLOUDS,
    DEVICE_LISTS,
    EXTRA_LISTS,
    GOV_CLOUDS,
    MODELS,
    OS_NAMES,
    Catalog,
    CatalogEntry,
    CatalogError,
    allowlist_items,
    load_catalog,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.catalog_import import (
    entries_for_row,
    exclusion_reason,
    load_catalog_file,
    parse_ports,
)

TENANT_KEYS = ("cloud", "regions")
OS_LABELS = {
    "windows": "Windows 10/11 and Windows Server devices (unified agent)",
    "windows-legacy": "Windows 7/8.1, Windows 10 1607-1803 and MMA-onboarded server devices",
    "macos": "macOS devices",
    "linux": "Linux devices",
}

Tenant = Tuple[str, Tuple[str, ...]]


def tenants_from(tenants: Any, catalog: Catalog) -> List[Tenant]:
    """``tenants`` validated: a non-empty list of dicts with a known cloud and that cloud's regions.
    Errors name the item and key (``tenants[1].regions``)."""
    if not isinstance(tenants, (list, tuple)) or not tenants:
        raise CatalogError("tenants", "type", "must be a non-empty list of {cloud, regions} dicts")
    result = []
    for index, tenant in enumerate(tenants):
        where = "tenants[%d]" % index
        if not isinstance(tenant, dict):
            raise CatalogError(where, "type", "must be a dict with the keys cloud and regions, got %s"
                               % type(tenant).__name__)
        unknown = sorted(str(key) for key in tenant if key not in TENANT_KEYS)
        if unknown:
            raise CatalogError(where, "unknown-name", "unknown key %s" % ", ".join(repr(k) for k in unknown),
                               valid=TENANT_KEYS)
        cloud = tenant.get("cloud")
        regions = tenant.get("regions")
        regions = ALWAYS_INCLUDED_REGIONS.get(cloud, ()) if regions is None else regions
        try:
            # the catalog's own check of a selection (it raises naming 'cloud' or 'regions')
            catalog.select(cloud, regions)
        except CatalogError as exc:
            raise CatalogError("%s.%s" % (where, exc.field), exc.rule, exc.message, valid=exc.valid) from exc
        names = [regions] if isinstance(regions, str) else list(regions)
        result.append((cloud, tuple(str(name) for name in names)))
    return result


def select_tenants(catalog: Catalog, tenants: Any, model: str = "standard", os: str = "windows",
                   required_only: bool = False, extra_lists: Any = ()) -> List[CatalogEntry]:
    """The entries every tenant needs, each once; for one tenant exactly ``Catalog.select``."""
    chosen = [catalog.select(cloud, list(regions), model, os, required_only, extra_lists)
              for cloud, regions in tenants_from(tenants, catalog)]
    if len(chosen) == 1:
        return chosen[0]
    return list(dict.fromkeys(entry for part in chosen for entry in part))


def probe_tenants(catalog: Catalog, tenants: Any, model: str = "standard", os: str = "windows",
                  required_only: bool = False, extra_lists: Any = ()) -> List[Dict[str, Any]]:
    """``Catalog.probe_urls`` for every tenant, in tenant order."""
    probes: List[Dict[str, Any]] = []
    for cloud, regions in tenants_from(tenants, catalog):
        probes += catalog.probe_urls(cloud, list(regions), model, os, required_only, extra_lists)
    return probes


def annotated_items(entries: Sequence[CatalogEntry]) -> List[Dict[str, Any]]:
    """``catalog.allowlist_items`` plus, per item, the clouds it is selected for (``clouds``) and
    whether Microsoft wants it reached directly (``direct_only``, see ``allowlist.is_direct_only``)."""
    items = allowlist_items(entries)
    clouds: Dict[Tuple[Any, ...], set] = {}
    direct: Dict[Tuple[Any, ...], bool] = {}
    for entry in entries:
        key = (entry.scheme, entry.host, entry.port, entry.path)
        clouds.setdefault(key, set()).add(entry.cloud)
        direct[key] = direct.get(key, False) or is_direct_only(entry)
    for item in items:
        key = (item["scheme"], item["host"], item["port"], item["path"])
        item["clouds"] = sorted(clouds[key], key=CLOUDS.index)
        item["direct_only"] = direct[key]
    return items


def selection_title(tenants: Any, model: str = "standard", os: str = "windows", required_only: bool = False,
                    catalog: Optional[Catalog] = None) -> str:
    """``Microsoft Defender for Endpoint service URLs - commercial: worldwide and EU rows; GCC High:
    all rows (...); standard model; <devices>``. The US Government pages list every row under
    the US Gov geography, so a gov cloud's selection is all of its rows, never "worldwide"."""
    catalog = catalog or load_catalog()
    if model not in MODELS:
        raise CatalogError("model", "unknown-name", "unknown model %r" % (model,), valid=MODELS)
    if os not in OS_NAMES:
        raise CatalogError("os", "unknown-name", "unknown os %r" % (os,), valid=OS_NAMES)
    parts = []
    for cloud, regions in tenants_from(tenants, catalog):
        if cloud in GOV_CLOUDS:
            covered = "all rows (every row is listed under the US Gov geography)"
        else:
            named = [r.upper() for r in dict.fromkeys(regions) if r not in ALWAYS_INCLUDED_REGIONS[cloud]]
            covered = "worldwide and %s rows" % ", ".join(named) if named else "worldwide rows"
        parts.append("%s: %s" % (CLOUD_LABELS[cloud], covered))
    if required_only:
        parts.append("required rows only")
    return "Microsoft Defender for Endpoint service URLs - %s; %s model; %s" % ("; ".join(parts), model, OS_LABELS[os])


# --- catalog files ---------------------------------------------------------------------------

def load_selection_catalog(path: str, model: Optional[str] = None) -> Catalog:
    """``catalog_import.load_catalog_file``, with a catalog JSON checked entry by entry first."""
    catalog = load_catalog_file(path, model=model)
    if str(path).lower().endswith(".json"):
        check_catalog_entries(catalog, str(path))
    return catalog


_TEXT_FIELDS = ("url", "host", "scheme", "path", "region", "list_name", "function", "notes", "source")


def check_catalog_entries(catalog: Catalog, field_name: str) -> None:
    """Every entry of a catalog JSON as the reference CSV build would have made it from its own
    URL, port, cloud and list (``row`` is the 1-based entry number)."""
    for row, entry in enumerate(catalog.entries, start=1):
        if entry.cloud not in CLOUDS:
            raise CatalogError(field_name, "cloud", "unknown cloud %r" % (entry.cloud,), valid=CLOUDS, row=row)
        for key in _TEXT_FIELDS:
            if not isinstance(getattr(entry, key), str):
                raise CatalogError(field_name, key, "%s %r is not text" % (key, getattr(entry, key)), row=row)
        if not isinstance(entry.required, bool):
            raise CatalogError(field_name, "required", "required %r is not true or false" % (entry.required,), row=row)
        tool = entry.list_name[len("probe:"):] if entry.list_name.startswith("probe:") else None
        if tool is None and entry.list_name not in DEVICE_LISTS + EXTRA_LISTS or tool == "":
            raise CatalogError(field_name, "category", "list %r is not a Microsoft list or probe:<tool>"
                               % (entry.list_name,), valid=DEVICE_LISTS + EXTRA_LISTS, row=row)
        unknown_os = [name for name in entry.os if name not in OS_NAMES]
        if unknown_os:
            raise CatalogError(field_name, "os", "unknown os %r" % (unknown_os,), valid=OS_NAMES, row=row)
        ports = parse_ports(str(entry.port), field_name, row)
        if len(ports) != 1 or ports[0] != entry.port:
            raise CatalogError(field_name, "port", "port %r is not one number 1-65535" % (entry.port,), row=row)
        port = ports[0]
        (made,) = entries_for_row(entry.url, [port], str(entry.scheme), entry.cloud, entry.region, entry.list_name,
                                  entry.function, entry.required, entry.os, entry.notes, entry.source, field_name, row)
        for key in ("host", "scheme", "path"):
            if getattr(made, key) != getattr(entry, key):
                raise CatalogError(field_name, key, "%s %r is not the one of the URL %r (%r)"
                                   % (key, getattr(entry, key), entry.url, getattr(made, key)), row=row)
        reason = exclusion_reason(entry.host, "" if tool is not None else entry.function)
        if reason:
            raise CatalogError(field_name, "excluded", "%s: %s" % (entry.host, reason), row=row)


__all__ = ["TENANT_KEYS", "annotated_items", "check_catalog_entries", "load_selection_catalog", "probe_tenants",
           "select_tenants", "selection_title", "tenants_from"]
