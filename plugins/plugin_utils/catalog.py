# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one catalog of Microsoft Defender for Endpoint service URLs (controller side).

The catalog ships as data (``service_url_catalog.json`` next to this file), built by
``tools/build/build_catalog.py`` from the reference table ``mde-service-urls.csv``. Every entry is one
(URL, port) pair of one Microsoft list:

* ``standard`` / ``streamlined``: the Learn pages "standard/streamlined device connectivity URLs"
  (commercial and US Government);
* ``mdav-page``: the Defender Antivirus network connections page;
* ``portal``: rows for administrators' browsers (never needed by devices);
* ``probe:<tool>``: the URLs Microsoft's connectivity analyzers request, with the status codes
  they accept. A probe is kept only when its host is in one of the lists above, so hosts that
  appear in no Microsoft list are never offered (see ``NOT_IN_MICROSOFT_LISTS``).

``Catalog.select`` picks the entries a device fleet needs; ``Catalog.probe_urls`` picks the test
URLs for the same selection. Both reject unknown names with the list of valid ones.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
from dataclasses import asdict, dataclass
from typing import Any, Dict, Iterable, List, Mapping, NamedTuple, Optional, Sequence, Set, Tuple

from ansible_collections.purview.device_proxy.plugins.module_utils._input_error import InputError

CATALOG_FORMAT = 1
SHIPPED_CATALOG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "service_url_catalog.json")


class Cloud(NamedTuple):
    """One Microsoft cloud: what every part of the collection that knows clouds reads (one row each)."""

    key: str                                 # the option value (cloud=, proxy_allowlist_cloud, ...)
    label: str                               # as titles and the proxy team's table print it
    government: bool                         # a US Government cloud (rows filed under "US Gov")
    always_included_regions: Tuple[str, ...]
    # How the "Geography" column of Microsoft's downloadable tables names this cloud (lower case),
    # and the region such rows belong to.
    geography_names: Tuple[str, ...] = ()
    home_region: str = "worldwide"


# The gov pages put every row under the "US Gov" geography, so for those clouds "us" is as
# unconditional as "worldwide" is for commercial.
CLOUD_TABLE = (
    Cloud("commercial", "commercial", False, ("worldwide",)),
    Cloud("gcc", "GCC", True, ("worldwide", "us"), ("gcc", "gcc mod"), "us"),
    Cloud("gcc-high", "GCC High", True, ("worldwide", "us"), ("gcc high",), "us"),
    Cloud("dod", "DoD", True, ("worldwide", "us"), ("dod",), "us"),
)
CLOUDS = tuple(cloud.key for cloud in CLOUD_TABLE)
GOV_CLOUDS = tuple(cloud.key for cloud in CLOUD_TABLE if cloud.government)
CLOUD_LABELS = {cloud.key: cloud.label for cloud in CLOUD_TABLE}
ALWAYS_INCLUDED_REGIONS = {cloud.key: cloud.always_included_regions for cloud in CLOUD_TABLE}
# Geography names of Microsoft's tables that name one cloud: name -> (cloud, region).
CLOUD_GEOGRAPHIES = {name: (cloud.key, cloud.home_region) for cloud in CLOUD_TABLE for name in cloud.geography_names}
MODELS = ("standard", "streamlined")
# "windows": Windows 10 1809+/11 and servers on the unified agent; "windows-legacy": Windows 7/8.1,
# Windows 10 1607-1803 and servers onboarded with MMA (the lists give them separate columns).
OS_NAMES = ("windows", "windows-legacy", "macos", "linux")
EXTRA_LISTS = ("mdav-page", "portal")
DEVICE_LISTS = ("standard", "streamlined", "mdav-page")
OUTPUTS = ("probe", "allowlist", "entries")


# Hosts found in community scripts, analyzer data files or old lists that no current Microsoft
# list contains (docs/reference/service-urls.md#not-in-lists). Wildcards in the lists would otherwise cover some of them
# (``*.events.data.microsoft.com`` covers us5-v20), so they are refused by name.
NOT_IN_MICROSOFT_LISTS = frozenset((
    "winatp-gw-wus.microsoft.com",
    "winatp-gw-auc.microsoft.com",
    "automatedirstrprdwus.blob.core.windows.net",
    "edr-cac.ca.endpoint.security.microsoft.com",
    "edr-eas.asia.endpoint.security.microsoft.com",
    "us5-v20.events.data.microsoft.com",
    "eu-cdn.x.cp.wd.microsoft.com",
    "wu-cdn.x.cp.wd.microsoft.com",
    "officecdn-microsoft-com.akamaized.net",
    "*.azure-automation.net",
    "*.notify.windows.com",
))

# Shared multi-tenant storage domains: allowing them is Microsoft's advice for MMA and the network
# scanner, but exempting them from inspection is not (docs/reference/service-urls.md#shared-storage): only the service's own accounts.
SHARED_STORAGE_WILDCARDS = frozenset(("*.blob.core.windows.net", "*.blob.core.usgovcloudapi.net"))


class CatalogError(InputError):
    """Bad selection option or bad catalog file.

    Attributes: field (option name or file), rule (short rule name), valid (tuple of valid
    choices, may be empty), row and column (1-based position in a file, or None).
    """

    def __init__(self, field: str, rule: str, message: str, valid: Iterable[str] = (),
                 row: Optional[int] = None, column: Optional[int] = None) -> None:
        super().__init__(field, rule, message)
        self.valid = tuple(valid)
        self.row = row
        self.column = column

    def __str__(self) -> str:
        where = ""
        if self.row is not None:
            where = " (row %s" % self.row
            where += ", column %s)" % self.column if self.column is not None else ")"
        text = "%s%s: %s" % (self.field, where, self.message)
        if self.valid:
            text += "; valid: " + ", ".join(self.valid)
        return text


@dataclass(frozen=True)
class CatalogEntry:
    url: str
    host: str
    port: int
    scheme: str
    path: str
    cloud: str
    region: str
    list_name: str
    function: str
    required: bool
    os: Tuple[str, ...]
    notes: str = ""
    source: str = ""
    # Only for probe entries (list_name "probe:<tool>").
    expected_status: Tuple[int, ...] = ()
    no_pinning: bool = False
    method: str = ""
    models: Tuple[str, ...] = ()

    @property
    def is_probe(self) -> bool:
        return self.list_name.startswith("probe:")

    @property
    def tool(self) -> str:
        return self.list_name.split(":", 1)[1] if self.is_probe else ""

    def to_dict(self) -> Dict[str, Any]:
        data = asdict(self)
        data["os"] = list(self.os)
        data["expected_status"] = list(self.expected_status)
        data["models"] = list(self.models)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "CatalogEntry":
        values = dict(data)
        values["os"] = tuple(values.get("os", ()))
        values["expected_status"] = tuple(values.get("expected_status", ()))
        values["models"] = tuple(values.get("models", ()))
        return cls(**values)


# A list host: dotted, lower case, "*" wildcards allowed.
_HOST_PATTERN = re.compile(r"^(?=.*\.)[a-z0-9*](?:[a-z0-9*.-]*[a-z0-9])?$")


def split_url(url: str) -> Tuple[str, str, str]:
    """Split a list URL as Microsoft writes it into (scheme or '', host, path).

    ``www.microsoft.com/pkiops/*`` -> ('', 'www.microsoft.com', '/pkiops/*');
    ``https://x.example/`` -> ('https', 'x.example', '/'). The host is lower-cased.
    """
    text = url.strip()
    scheme = ""
    if "://" in text:
        scheme, text = text.split("://", 1)
        scheme = scheme.lower()
    host, sep, rest = text.partition("/")
    return scheme, host.lower(), (sep + rest) if sep else ""


def parse_host(url: str, field_name: str, row: Optional[int] = None,
               column: Optional[int] = None) -> Tuple[str, str, str]:
    """(scheme, host, path) of a list URL, or CatalogError naming where it came from."""
    scheme, host, path = split_url(url)
    if scheme not in ("", "http", "https"):
        raise CatalogError(field_name, "scheme", "URL %r has scheme %r; only http and https are listed" % (url, scheme),
                           row=row, column=column)
    if not host or not _HOST_PATTERN.match(host) or ".." in host:
        raise CatalogError(field_name, "host", "URL %r has no valid host name" % url, row=row, column=column)
    return scheme, host, path


def host_matches(pattern: str, host: str) -> bool:
    """True when a list host pattern covers a concrete host name.

    ``*.x.com`` covers subdomains of x.com (not x.com itself); a ``*`` elsewhere (``*ecs.office.com``)
    is a plain glob on the whole name.
    """
    pattern = pattern.lower()
    host = host.lower().rstrip(".")
    if "*" not in pattern:
        return pattern == host
    if pattern.startswith("*.") and "*" not in pattern[2:]:
        return host.endswith(pattern[1:])
    return fnmatch.fnmatchcase(host, pattern)


def pattern_covers(outer: str, inner: str) -> bool:
    """True when every host matched by pattern ``inner`` is also matched by ``outer``."""
    if outer == inner:
        return True
    if "*" not in outer:
        return False
    if "*" not in inner:
        return host_matches(outer, inner)
    # Both wildcards: outer "*.a" covers "*.b.a" and "*x.b.a"; a glob covers anything whose
    # literal suffix it matches after the inner wildcard.
    inner_suffix = inner.rsplit("*", 1)[1]
    if outer.startswith("*.") and "*" not in outer[2:]:
        return inner_suffix.endswith(outer[1:]) and (inner.startswith("*.") or inner_suffix != outer[1:])
    return fnmatch.fnmatchcase(inner, outer)


def _check_choice(field_name: str, value: Any, valid: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in valid:
        raise CatalogError(field_name, "unknown-name", "unknown %s %r" % (field_name, value), valid=valid)
    return value


def _as_name_list(field_name: str, value: Any) -> Tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, (list, tuple)):
        raise CatalogError(field_name, "type", "must be a list of names, got %s" % type(value).__name__)
    return tuple(value)


class Catalog:
    """An immutable set of entries with the source and date of the list they came from."""

    def __init__(self, entries: Iterable[CatalogEntry], source: str, date: str,
                 excluded: Iterable[Mapping[str, Any]] = (), origin: str = "", compared: str = "") -> None:
        self.entries = tuple(entries)
        self.source = source
        self.date = date  # the newest page date among the entries' sources
        self.excluded = tuple(excluded)
        self.origin = origin
        self.compared = compared  # when the source data was last compared with Microsoft's pages

    # --- valid names -------------------------------------------------------------------------
    def regions(self, cloud: str) -> Tuple[str, ...]:
        """Region names a selection for this cloud may use (from the list entries)."""
        _check_choice("cloud", cloud, CLOUDS)
        found = {e.region for e in self.entries if e.cloud == cloud and not e.is_probe}
        found.update(ALWAYS_INCLUDED_REGIONS[cloud])
        return tuple(sorted(found, key=lambda name: (name != "worldwide", name)))

    def _validated(self, cloud: str, regions: Any, model: str, os_name: str,
                   extra_lists: Any) -> Tuple[Set[str], Set[str]]:
        _check_choice("cloud", cloud, CLOUDS)
        _check_choice("model", model, MODELS)
        _check_choice("os", os_name, OS_NAMES)
        valid_regions = self.regions(cloud)
        wanted = set(ALWAYS_INCLUDED_REGIONS[cloud])
        for region in _as_name_list("regions", regions):
            wanted.add(_check_choice("regions", region, valid_regions))
        lists = {model}
        for name in _as_name_list("extra_lists", extra_lists):
            lists.add(_check_choice("extra_lists", name, EXTRA_LISTS))
        return wanted, lists

    # --- selection ---------------------------------------------------------------------------
    def select(self, cloud: str = "commercial", regions: Any = ("worldwide",), model: str = "standard",
               os: str = "windows", required_only: bool = False, extra_lists: Any = ()) -> List[CatalogEntry]:
        """List entries (no probes) a device of ``os`` in ``cloud``/``regions`` needs for ``model``."""
        wanted_regions, lists = self._validated(cloud, regions, model, os, extra_lists)
        if not isinstance(required_only, bool):
            raise CatalogError("required_only", "type", "must be true or false")
        return [
            e for e in self.entries
            if e.cloud == cloud and e.region in wanted_regions and e.list_name in lists
            and os in e.os and (e.required or not required_only)
        ]

    def probe_urls(self, cloud: str = "commercial", regions: Any = ("worldwide",), model: str = "standard",
                   os: str = "windows", required_only: bool = False, extra_lists: Any = ()) -> List[Dict[str, Any]]:
        """Analyzer-style test URLs for the hosts of the same selection, one per host and channel.

        A probe is offered when the most specific list entry for its host (any OS, same cloud,
        regions, lists and port) is part of the selection, so a macOS-only host is not probed
        from Windows even when a wider wildcard would allow it. Tools are preferred in the order
        of ``probe_tool_order(os)``. Returns dicts with url, host, port, channel, expected_status,
        no_pinning, method, cloud, region, tool and required.
        """
        selected = set(self.select(cloud, regions, model, os, required_only, extra_lists))
        wanted_regions, lists = self._validated(cloud, regions, model, os, extra_lists)
        in_scope = [
            e for e in self.entries
            if e.cloud == cloud and e.region in wanted_regions and e.list_name in lists
            and e.host not in SHARED_STORAGE_WILDCARDS
        ]
        order = {tool: rank for rank, tool in enumerate(probe_tool_order(os))}
        candidates = [
            e for e in self.entries
            if e.is_probe and e.cloud == cloud and e.region in wanted_regions
            and model in e.models and e.tool in order
        ]
        candidates.sort(key=lambda e: order[e.tool])
        probes = []
        seen = set()
        for probe in candidates:
            if (probe.host, probe.function) in seen:
                continue
            best = most_specific(in_scope, probe.host, probe.port)
            if best is None or best not in selected:
                continue
            seen.add((probe.host, probe.function))
            probes.append({
                "url": probe.url,
                "host": probe.host,
                "port": probe.port,
                "channel": probe.function,
                "expected_status": list(probe.expected_status),
                "no_pinning": probe.no_pinning,
                "method": probe.method,
                "cloud": probe.cloud,
                "region": probe.region,
                "tool": probe.tool,
                "required": best.required,
            })
        return probes

    # --- serialisation -----------------------------------------------------------------------
    def to_document(self) -> Dict[str, Any]:
        return {
            "format": CATALOG_FORMAT,
            "source": self.source,
            "date": self.date,
            "compared": self.compared,
            "origin": self.origin,
            "entries": [e.to_dict() for e in self.entries],
            "excluded": [dict(item) for item in self.excluded],
        }

    def to_json_text(self) -> str:
        """The exact text of a catalog file: stable key order, one entry per line (small diffs)."""
        document = self.to_document()
        parts = []
        for key in sorted(document):
            value = document[key]
            if isinstance(value, list):
                items = ",\n".join("  " + json.dumps(item, sort_keys=True, ensure_ascii=False) for item in value)
                parts.append(" %s: [\n%s\n ]" % (json.dumps(key), items) if value else " %s: []" % json.dumps(key))
            else:
                parts.append(" %s: %s" % (json.dumps(key), json.dumps(value, ensure_ascii=False)))
        return "{\n" + ",\n".join(parts) + "\n}\n"

    @classmethod
    def from_document(cls, data: Any, field_name: str = "catalog") -> "Catalog":
        if not isinstance(data, dict) or data.get("format") != CATALOG_FORMAT:
            raise CatalogError(field_name, "format", "not a service URL catalog of format %d" % CATALOG_FORMAT)
        entries = []
        for index, item in enumerate(data.get("entries", ()), start=1):
            try:
                entries.append(CatalogEntry.from_dict(item))
            except (TypeError, ValueError) as exc:
                raise CatalogError(field_name, "entry", "entry %d is malformed: %s" % (index, exc), row=index) from exc
        return cls(entries, data.get("source", ""), data.get("date", ""), data.get("excluded", ()),
                   data.get("origin", ""), data.get("compared", ""))


def probe_tool_order(os_name: str) -> Tuple[str, ...]:
    """Probe sources in order of preference for a device OS: its own tool first, then the XMDE
    tool's service URLs (they name the expected status exactly). The Linux/macOS command's sample
    output is used for those systems only; the analyzer's built-in fallback strings never."""
    windows = ("mdeclientanalyzer-windows", "mdeclientanalyzer-windows-default")
    if os_name == "macos":
        return ("xmde-connectivitytest", "mdatp-connectivity-test-macos", "mdatp-connectivity-test")
    if os_name == "linux":
        return ("xmde-connectivitytest", "mdatp-connectivity-test")
    return windows + ("xmde-connectivitytest",)


def most_specific(entries: Iterable[CatalogEntry], host: str, port: Optional[int] = None) -> Optional[CatalogEntry]:
    """The entry whose host pattern covers ``host`` most narrowly (exact name first, then the
    longest wildcard), or None."""
    best = None
    best_key = None
    for entry in entries:
        if port is not None and entry.port != port:
            continue
        if not host_matches(entry.host, host):
            continue
        key = ("*" not in entry.host, len(entry.host), entry.list_name in MODELS, entry.required)
        if best_key is None or key > best_key:
            best, best_key = entry, key
    return best


def load_catalog(path: Optional[str] = None) -> "Catalog":
    """The shipped catalog, or a catalog JSON written by ``Catalog.to_json_text``.

    Microsoft's Markdown and xlsx tables are read by ``catalog_import.load_catalog_file``. A bad
    file raises CatalogError and never changes the shipped data.
    """
    return _load_json(SHIPPED_CATALOG if path is None else path)


def _load_json(path: str) -> Catalog:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as exc:
        raise CatalogError(str(path), "unreadable", "cannot read the catalog: %s" % exc.strerror) from exc
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        column = getattr(exc, "colno", None)
        raise CatalogError(str(path), "json", "not valid JSON: %s" % exc, row=line, column=column) from exc
    return Catalog.from_document(data, field_name=str(path))


def entries_as_dicts(entries: Iterable[Any]) -> List[Dict[str, Any]]:
    """Entries as plain dicts (what the lookup returns for output='entries')."""
    return [e.to_dict() if isinstance(e, CatalogEntry) else dict(e) for e in entries]


def allowlist_items(entries: Iterable[CatalogEntry]) -> List[Dict[str, Any]]:
    """One dict per distinct (scheme, host, port, path): what the allowlist renderers need."""
    items = {}
    for entry in entries:
        key = (entry.scheme, entry.host, entry.port, entry.path)
        item = items.get(key)
        if item is None:
            items[key] = {
                "url": entry.url, "host": entry.host, "port": entry.port, "scheme": entry.scheme,
                "path": entry.path, "functions": [entry.function], "required": entry.required,
            }
        else:
            if entry.function not in item["functions"]:
                item["functions"].append(entry.function)
            item["required"] = item["required"] or entry.required
    return list(items.values())


DEFAULT_MAX_AGE_DAYS = 90
REFRESH_HOW = ("compare it with Microsoft's current pages: save them and run 'make catalog-refresh PAGES=...' "
               "in the collection's source repository, or pass a newer page as catalog_file")


def staleness_warning(catalog: Catalog, max_age_days: Any = DEFAULT_MAX_AGE_DAYS, today: Optional[Any] = None) -> str:
    """A warning when the catalog was last compared with Microsoft's pages more than
    ``max_age_days`` ago (or never), else "". ``max_age_days`` 0 turns the check off."""
    import datetime

    if isinstance(max_age_days, bool) or not isinstance(max_age_days, int) or max_age_days < 0:
        raise CatalogError("catalog_max_age_days", "type", "must be a whole number of days, 0 or more (0: no check)")
    if max_age_days == 0:
        return ""
    today = today or datetime.date.today()
    try:
        compared = datetime.date.fromisoformat(catalog.compared)
    except (TypeError, ValueError):
        return "the service URL catalog records no comparison with Microsoft's pages; %s" % REFRESH_HOW
    age = (today - compared).days
    if age <= max_age_days:
        return ""
    return ("the service URL catalog was last compared with Microsoft's pages on %s, %d days ago (more than "
            "catalog_max_age_days=%d); %s" % (catalog.compared, age, max_age_days, REFRESH_HOW))
