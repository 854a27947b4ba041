# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render one selection of service URLs as proxy allowlists: a plain domain list, a PAC file and a
Squid snippet.

Wildcards mean what the Microsoft lists mean: ``*.x.com`` is every subdomain of x.com (not x.com
itself); a ``*`` anywhere else (``*ecs.office.com``) is a glob over the whole name. A path
(``www.microsoft.com/pkiops/*``) can only be enforced for plain http; for https the proxy sees the
host only (CONNECT and the TLS server name), so the host is allowed.

The shared storage wildcards (``*.blob.core.windows.net``, ``*.blob.core.usgovcloudapi.net``) may
be allowed, but they are never exempted from TLS inspection: only the service's own storage
accounts are spliced (Microsoft's guidance; docs/reference/service-urls.md#shared-storage).

Direct-only hosts: Microsoft's device connectivity URL lists say the Live Response push
notification hosts (``*.wns.windows.com``, ``login.live.com``, ``login.microsoftonline.com``) need
"a direct connection or a proxy bypass" (``DIRECT_ONLY_SOURCE``;
docs/reference/proxy-requirements.md#live-response). ``is_direct_only`` is the one test for it: the
PAC file sends those hosts DIRECT unless asked otherwise, the table and the Squid snippet say so.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Iterable

from ansible_collections.purview.device_proxy.plugins.module_utils._input_error import InputError
from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import (
    ProxyAddressError,
    parse_endpoint,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.catalog import (
    SHARED_STORAGE_WILDCARDS,
    CatalogError,
    CatalogEntry,
    pattern_covers,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.catalog import parse_host

DIRECT_ONLY_FUNCTIONS = frozenset(("live-response-wns",))
# The catalog's notes for those rows (the gov standard page files them under a shared function).
_DIRECT_ONLY_NOTE = re.compile(r"direct connection|proxy bypass|cannot be used through a proxy", re.IGNORECASE)
DIRECT_ONLY_SOURCE = "https://learn.microsoft.com/en-us/defender-endpoint/standard-device-connectivity-urls-commercial"
DIRECT_ONLY_CHOICES = ("direct", "proxy")
_ACL_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,40}")  # used with fullmatch: '$' also matches before a final newline
_PAC_KEYWORDS = ("PROXY", "HTTPS", "SOCKS", "SOCKS4", "SOCKS5")


class AllowlistError(InputError):
    """Bad renderer input. Attributes: field (option name or 'entries[<index>]'), rule."""


@dataclass(frozen=True)
class Rule:
    """One thing to allow: a host pattern on a port, for https (host only) or http (host and path)."""
    host: str
    port: int
    scheme: str
    path: str = ""

    @property
    def is_wildcard(self) -> bool:
        return "*" in self.host


def _unsafe_character(text: str) -> str | None:
    """The first white space or control character of ``text``, or None. Squid splits an ACL line at
    white space and reads a line up to the first newline or CR, so one such character in a value
    would add values of its own (a path '/a .*' adds '.*', which allows every URL)."""
    for char in text:
        if char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Zs", "Zl", "Zp"):
            return char
    return None


def _check_text(text: str, where: str, part: str) -> None:
    char = _unsafe_character(text)
    if char is not None:
        raise AllowlistError(where, part, "the %s %r holds white space or a control character (%r); a proxy rule "
                                          "cannot carry it" % (part, text, char))


def _rule_from_item(item: Any, index: int) -> Rule:
    where = "entries[%d]" % index
    if isinstance(item, CatalogEntry):
        item = {"host": item.host, "port": item.port, "scheme": item.scheme, "path": item.path}
    if isinstance(item, str):
        item = {"url": item}
    if not isinstance(item, dict):
        raise AllowlistError(where, "type", "expected a catalog entry (dict) or a URL string, got %s" % type(item).__name__)
    url = item.get("url") or item.get("host")
    if not url or not isinstance(url, str):
        raise AllowlistError(where, "url", "needs a 'host' or 'url'")
    try:
        scheme, host, path = parse_host(url, where)
        if item.get("host"):
            _s, host, _p = parse_host(item["host"], where)
    except CatalogError as exc:
        raise AllowlistError(where, exc.rule, exc.message) from exc
    scheme = (item.get("scheme") or scheme or "").lower()
    port = item.get("port")
    if port in (None, ""):
        port = 80 if scheme == "http" else 443
    try:
        port = int(port)
    except (TypeError, ValueError):
        raise AllowlistError(where, "port", "port %r is not a number" % (port,)) from None
    if not 1 <= port <= 65535:
        raise AllowlistError(where, "port", "port %d is out of range 1-65535" % port)
    scheme = scheme or ("http" if port == 80 else "https")
    if scheme not in ("http", "https"):
        raise AllowlistError(where, "scheme", "scheme %r is neither http nor https" % scheme)
    path = item.get("path", path) or ""
    if not isinstance(path, str):
        raise AllowlistError(where, "path", "path %r is not a string" % (path,))
    _check_text(host, where, "host")
    _check_text(path, where, "path")
    # https paths are invisible to a proxy that does not decrypt; keep the host only.
    return Rule(host=host, port=port, scheme=scheme, path=path if scheme == "http" else "")


def _as_list(entries: Any) -> list[Any]:
    if isinstance(entries, (str, dict)) or entries is None:
        return [] if entries is None else [entries]
    return list(entries)


def rules_from(entries: Any) -> list[Rule]:
    """Normalise lookup output (allowlist items, entries, probe dicts) or URL strings into Rules."""
    rules = []
    for index, item in enumerate(_as_list(entries)):
        rule = _rule_from_item(item, index)
        if rule not in rules:
            rules.append(rule)
    return rules


def is_direct_only(item: Any) -> bool:
    """True when Microsoft says the item's host needs a direct connection or a proxy bypass: an
    item that says so (``direct_only``, set by the service_urls lookup), a Live Response push
    notification function, or a catalog note with Microsoft's words."""
    if isinstance(item, CatalogEntry):
        item = {"function": item.function, "notes": item.notes}
    if not isinstance(item, dict):
        return False
    if isinstance(item.get("direct_only"), bool):
        return item["direct_only"]
    functions = item.get("functions")
    functions = list(functions) if isinstance(functions, (list, tuple)) else [item.get("function")]
    if any(name in DIRECT_ONLY_FUNCTIONS for name in functions):
        return True
    notes = item.get("notes")
    return isinstance(notes, str) and bool(_DIRECT_ONLY_NOTE.search(notes))


def direct_only_rules(entries: Any) -> set[Rule]:
    """The rules of ``entries`` that at least one item marks as direct-only."""
    return {_rule_from_item(item, index) for index, item in enumerate(_as_list(entries)) if is_direct_only(item)}


def microsoft_source(item: Any) -> str | None:
    """The Microsoft page an item cites (the first learn.microsoft.com address of its source)."""
    source = item.source if isinstance(item, CatalogEntry) else item.get("source") if isinstance(item, dict) else None
    if isinstance(source, str):
        for word in source.split():
            if word.startswith("https://learn.microsoft.com/"):
                return word.rstrip(");,")
    return None


def direct_only_sources(entries: Any) -> list[str]:
    """The pages the direct-only items cite, or ``DIRECT_ONLY_SOURCE`` when none says."""
    found = [microsoft_source(item) for item in _as_list(entries) if is_direct_only(item)]
    return list(dict.fromkeys(page for page in found if page)) or [DIRECT_ONLY_SOURCE]


def check_direct_only(value: Any) -> str:
    if value not in DIRECT_ONLY_CHOICES:
        raise AllowlistError("direct_only", "unknown-name", "unknown choice %r; valid: %s"
                             % (value, ", ".join(DIRECT_ONLY_CHOICES)))
    return value


def collapse(patterns: Iterable[str]) -> list[str]:
    """Drop patterns another pattern of the set already covers; sorted by domain for reading."""
    unique = sorted(set(patterns), key=_domain_order)
    return [p for p in unique if not any(o != p and pattern_covers(o, p) for o in unique)]


def collapse_paths(rules: Iterable[Rule]) -> list[Rule]:
    """Drop path rules whose path is inside another rule's path for the same host and port (paths
    are prefixes: the lists name folders)."""
    def prefix(rule: Rule) -> str:
        return rule.path[:-1] if rule.path.endswith("*") else rule.path

    unique = sorted(set(rules), key=lambda r: (_domain_order(r.host), r.port, prefix(r)))
    return [r for r in unique if not any(
        o is not r and o.host == r.host and o.port == r.port and prefix(r).startswith(prefix(o)) and prefix(o) != prefix(r)
        for o in unique)]


def _domain_order(pattern: str) -> tuple[list[str], str]:
    return (list(reversed(pattern.lstrip("*.").split("."))), pattern)


# --- plain list ------------------------------------------------------------------------------

def render_domains(entries: Any, style: str = "wildcard", collapse_covered: bool = False) -> list[str]:
    """Distinct host patterns. style 'wildcard' keeps ``*.x.com``; 'dot' writes ``.x.com`` (which
    most firewalls read as x.com and its subdomains)."""
    if style not in ("wildcard", "dot"):
        raise AllowlistError("style", "unknown-name", "unknown style %r; valid: wildcard, dot" % (style,))
    hosts = [r.host for r in rules_from(entries)]
    hosts = collapse(hosts) if collapse_covered else sorted(set(hosts), key=_domain_order)
    if style == "dot":
        hosts = [h[1:] if h.startswith("*.") and "*" not in h[2:] else h for h in hosts]
    return hosts


# --- PAC -------------------------------------------------------------------------------------

def pac_result(value: Any, field: str) -> str:
    """Validate a PAC result string ("DIRECT", "PROXY h:p; DIRECT", ...) and return it normalised."""
    if not isinstance(value, str) or not value.strip():
        raise AllowlistError(field, "pac-result", "must be a PAC result such as 'DIRECT' or 'PROXY host:port'")
    parts = []
    for part in value.split(";"):
        words = part.split()
        if words == ["DIRECT"]:
            parts.append("DIRECT")
            continue
        if len(words) != 2 or words[0] not in _PAC_KEYWORDS:
            raise AllowlistError(field, "pac-result", "%r is not DIRECT or <PROXY|HTTPS|SOCKS> host:port" % part.strip())
        try:
            endpoint = parse_endpoint(words[1], field=field)
        except ProxyAddressError as exc:
            raise AllowlistError(field, exc.rule, str(exc)) from exc
        parts.append("%s %s" % (words[0], endpoint.host_port()))
    return "; ".join(parts)


def _pac_table(rules: Iterable[Rule]) -> dict[str, dict[str, Any]]:
    """Per scheme: exact hosts, '.suffix'es (for '*.x'), other globs, and path rules, each path
    rule with its own host test so that the path is never matched against another host's URL."""
    table: dict[str, dict[str, Any]] = {}
    for rule in rules:
        bucket = table.setdefault(rule.scheme, {"hosts": [], "suffixes": [], "globs": [], "paths": []})
        if rule.path:
            path = rule.path if rule.path.endswith("*") else rule.path + "*"
            bucket["paths"].append(_pac_host_test(rule.host) + [path])
        elif not rule.is_wildcard:
            bucket["hosts"].append(rule.host)
        elif rule.host.startswith("*.") and "*" not in rule.host[2:]:
            bucket["suffixes"].append(rule.host[1:])
        else:
            bucket["globs"].append(rule.host)
    for bucket in table.values():
        for key in ("suffixes", "globs"):
            bucket[key] = sorted(set(bucket[key]))
        bucket["paths"] = sorted({tuple(p) for p in bucket["paths"]})
        bucket["hosts"] = {host: 1 for host in sorted(set(bucket["hosts"]))}
    return table


def _pac_host_test(host: str) -> list[str]:
    if "*" not in host:
        return ["host", host]
    if host.startswith("*.") and "*" not in host[2:]:
        return ["suffix", host[1:]]
    return ["glob", host]


def render_pac(entries: Any, proxy: str | None = None, route: str = "proxy", otherwise: str = "DIRECT",
               header: str = "", direct_only: str = "direct") -> str:
    """A complete PAC file (wpad.dat): the catalog's hosts go through ``proxy`` (route='proxy') or
    DIRECT (route='direct'); every other URL gets ``otherwise`` unchanged. Hosts Microsoft wants
    reached directly (``is_direct_only``) go DIRECT unless ``direct_only='proxy'``."""
    if route == "proxy":
        if proxy is None:
            raise AllowlistError("proxy", "required", "is required when route is 'proxy'")
        try:
            matched = parse_endpoint(proxy, field="proxy", allow_scheme=True).pac_directive()
        except ProxyAddressError as exc:
            raise AllowlistError("proxy", exc.rule, str(exc)) from exc
    elif route == "direct":
        matched = "DIRECT"
    else:
        raise AllowlistError("route", "unknown-name", "unknown route %r; valid: proxy, direct" % (route,))
    check_direct_only(direct_only)
    otherwise = pac_result(otherwise, "otherwise")
    rules = rules_from(entries)
    direct = direct_only_rules(entries) if direct_only == "direct" and matched != "DIRECT" else set()
    lines = ["// %s" % line for line in (header or "Service URL allowlist").splitlines()]
    lines += [
        "// Generated by purview.device_proxy. Catalog hosts -> %s; everything else -> %s." % (matched, otherwise),
    ]
    if direct:
        lines += [
            "// DIRECT_ONLY hosts -> DIRECT: Microsoft says they need a direct connection or a proxy bypass",
            "// (Live Response push notifications; %s)." % ", ".join(direct_only_sources(entries)),
        ]
    lines += [
        "var MATCHED = %s;" % json.dumps(matched),
        "var OTHERWISE = %s;" % json.dumps(otherwise),
        "var DIRECT_ONLY = %s;" % json.dumps(_pac_table(r for r in rules if r in direct), indent=1, sort_keys=True),
        "var RULES = %s;" % json.dumps(_pac_table(r for r in rules if r not in direct), indent=1, sort_keys=True),
        "",
        "// '*.x.com' means subdomains only: dnsDomainIs(h, '.x.com') is false for x.com itself.",
        "function hostIs(h, kind, pattern) {",
        "  if (kind === 'host') { return h === pattern; }",
        "  if (kind === 'suffix') { return dnsDomainIs(h, pattern); }",
        "  return shExpMatch(h, pattern);",
        "}",
        "",
        "// The path of the URL (after scheme://authority), tested only after its host has matched.",
        "function pathOf(url) {",
        "  var slash = url.indexOf('/', url.indexOf('://') + 3);",
        "  return slash < 0 ? '/' : url.substring(slash);",
        "}",
        "",
        "function listed(table, scheme, h, url) {",
        "  var r = table[scheme];",
        "  var i;",
        "  if (!r) { return false; }",
        "  if (Object.prototype.hasOwnProperty.call(r.hosts, h)) { return true; }",
        "  for (i = 0; i < r.suffixes.length; i++) { if (dnsDomainIs(h, r.suffixes[i])) { return true; } }",
        "  for (i = 0; i < r.globs.length; i++) { if (shExpMatch(h, r.globs[i])) { return true; } }",
        "  for (i = 0; i < r.paths.length; i++) {",
        "    if (hostIs(h, r.paths[i][0], r.paths[i][1]) && shExpMatch(pathOf(url), r.paths[i][2])) { return true; }",
        "  }",
        "  return false;",
        "}",
        "",
        "function FindProxyForURL(url, host) {",
        "  var h = host.toLowerCase();",
        "  var scheme = url.substring(0, url.indexOf(':')).toLowerCase();",
        "  if (listed(DIRECT_ONLY, scheme, h, url)) { return 'DIRECT'; }",
        "  if (listed(RULES, scheme, h, url)) { return MATCHED; }",
        "  return OTHERWISE;",
        "}",
        "",
    ]
    return "\n".join(lines)


# --- Squid -----------------------------------------------------------------------------------

def _glob_regex(glob: str, any_chars: str) -> str:
    return "".join(any_chars if char == "*" else re.escape(char) for char in glob)


def host_regex(pattern: str) -> str:
    """POSIX extended regex (for dstdom_regex / ssl::server_name_regex) matching exactly the hosts
    of a list pattern."""
    body = _glob_regex(pattern, ".*").replace("\\-", "-") + "$"
    # Squid warns about a leading '^.*' and drops it; write the form it keeps.
    body = body[2:] if body.startswith(".*") else "^" + body
    # A value that starts with '-' is read as an ACL option ("unsupported ACL option: -x" with
    # Squid 5); the bracket form matches the same character.
    return "[-]" + body[1:] if body.startswith("-") else body


def _url_regex(rule: Rule) -> str:
    path = rule.path[:-1] if rule.path.endswith("*") else rule.path
    port = "(:80)?" if rule.port == 80 else ":%d" % rule.port
    host = _glob_regex(rule.host, "[^/:]*").replace("\\-", "-")
    return "^http://%s%s%s" % (host, port, _glob_regex(path, ".*").replace("\\-", "-").replace("\\/", "/"))


def _split_domains(patterns: list[str]) -> tuple[list[str], list[str]]:
    """dstdomain values (exact names, '.x.com' when both x.com and *.x.com are allowed) and the
    wildcard patterns that need a regex."""
    names, regexes = [], []
    exact = {p for p in patterns if "*" not in p}
    for pattern in patterns:
        if "*" not in pattern:
            if "*." + pattern not in patterns:
                names.append(pattern)
        elif pattern.startswith("*.") and "*" not in pattern[2:] and pattern[2:] in exact:
            names.append(pattern[1:])
        else:
            regexes.append(host_regex(pattern))
    return names, regexes


def render_squid(entries: Any, acl_name: str = "mde_service") -> str:
    """A Squid (5+) snippet: ACLs, ``http_access allow`` lines and ``ssl_bump splice`` lines.

    Put it before any ``http_access`` rule that requires authentication (proxy_auth) and before any
    ``ssl_bump bump`` rule: the service's devices connect anonymously as LocalSystem and the service
    pins certificates.
    """
    if not isinstance(acl_name, str) or not _ACL_NAME.fullmatch(acl_name):
        raise AllowlistError("acl_name", "acl-name", "must start with a letter and contain only letters, digits and '_' (at most 41)")
    rules = rules_from(entries)
    if not rules:
        raise AllowlistError("entries", "empty", "nothing to allow")
    acls, access = [], []
    connect_acl = "%s_connect" % acl_name

    def add(name: str, kind: str, values: list[str], flags: str = "") -> bool:
        for value in values:
            if value.startswith("-"):
                # Squid would take it for an option; hosts never start with '-', so this is a bug
                # or a hostile input either way.
                raise AllowlistError("entries", "squid-value",
                                     "the %s value %r starts with '-', which Squid reads as an option" % (kind, value))
            acls.append("acl %s %s %s%s" % (name, kind, flags, value))
        return bool(values)

    acls.append("acl %s method CONNECT" % connect_acl)
    for scheme, kind in (("https", "tls"), ("http", "http")):
        for port in sorted({r.port for r in rules if r.scheme == scheme}):
            port_acl = "%s_port_%d" % (acl_name, port)
            acls.append("acl %s port %d" % (port_acl, port))
            method = connect_acl if scheme == "https" else "!" + connect_acl
            hosts = collapse([r.host for r in rules if r.scheme == scheme and r.port == port and not r.path])
            names, regexes = _split_domains(hosts)
            base = "%s_%s_%d" % (acl_name, kind, port)
            if add(base, "dstdomain", names):
                access.append("http_access allow %s %s %s" % (method, port_acl, base))
            if add(base + "_re", "dstdom_regex", regexes, "-i "):
                access.append("http_access allow %s %s %s_re" % (method, port_acl, base))
            path_rules = [r for r in rules if r.scheme == scheme and r.port == port and r.path
                          and not any(pattern_covers(h, r.host) for h in hosts)]
            if add(base + "_url", "url_regex", [_url_regex(r) for r in collapse_paths(path_rules)], "-i "):
                access.append("http_access allow %s %s %s_url" % (method, port_acl, base))
    splice_hosts = collapse([r.host for r in rules if r.scheme == "https" and r.host not in SHARED_STORAGE_WILDCARDS])
    names, regexes = _split_domains(splice_hosts)
    bump = []
    if add("%s_splice" % acl_name, "ssl::server_name", names):
        bump.append("ssl_bump splice %s_splice" % acl_name)
    if add("%s_splice_re" % acl_name, "ssl::server_name_regex", regexes, "-i "):
        bump.append("ssl_bump splice %s_splice_re" % acl_name)
    skipped = sorted({r.host for r in rules if r.scheme == "https" and r.host in SHARED_STORAGE_WILDCARDS})
    lines = [
        "# purview.device_proxy service URL allowlist (%s)." % acl_name,
        "# Place before any http_access rule that requires authentication and before any ssl_bump bump rule.",
    ]
    if skipped:
        lines.append("# Allowed but never spliced (shared storage; only the service's own accounts are): %s" % ", ".join(skipped))
    direct = sorted({r.host for r in direct_only_rules(entries)}, key=_domain_order)
    if direct:
        lines.append("# Microsoft asks for a direct connection or a proxy bypass (Live Response push notifications; "
                     "%s): %s. Allowed and spliced here for devices that reach them through the proxy."
                     % (", ".join(direct_only_sources(entries)), ", ".join(direct)))
    return "\n".join(lines + acls + access + bump) + "\n"


__all__ = ["AllowlistError", "Rule", "rules_from", "collapse", "render_domains", "render_pac", "render_squid",
           "host_regex", "pac_result", "is_direct_only", "direct_only_rules", "DIRECT_ONLY_SOURCE"]
