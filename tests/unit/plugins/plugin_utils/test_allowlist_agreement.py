# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The four renderings handed to a proxy team (domain list, PAC file, Squid snippet, table) agree on
every host and on its treatment, for every cloud, model, OS and region of the shipped catalog.

The PAC file is evaluated by pypac's engine; the Squid snippet is read the way Squid reads its ACLs
(dstdomain: a leading dot is the domain and its subdomains; *_regex: POSIX regex, -i case-blind;
url_regex on the whole URL); the table is read back from its CSV text with Python's csv module.

Direct-only hosts: Microsoft's device connectivity URL lists say Live Response push notifications
(``*.wns.windows.com``, ``login.live.com``, ``login.microsoftonline.com``) need a direct connection
or a proxy bypass (https://learn.microsoft.com/en-us/defender-endpoint/standard-device-connectivity-urls-commercial,
https://learn.microsoft.com/en-us/defender-endpoint/streamlined-device-connectivity-urls-commercial,
and the gov pages; docs/reference/proxy-requirements.md#live-response).
"""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import urlsplit

import pytest
from pypac.parser import PACFile

from ansible_collections.purview.device_proxy.plugins.plugin_utils.allowlist import (
    render_domains,
    render_pac,
    render_squid,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.catalog import (
    CLOUDS,
    MODELS,
    OS_NAMES,
    entries_as_dicts,
    load_catalog,
    pattern_covers,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.proxy_team_table import (
    HEADINGS,
    render_table,
)

CATALOG = load_catalog()
PROXY = "PROXY 10.0.0.6:8080"
WNS_HOSTS = {"*.wns.windows.com", "login.live.com", "login.microsoftonline.com"}


def combinations():
    for cloud in CLOUDS:
        regions = list(CATALOG.regions(cloud))
        for model in MODELS:
            for os_name in OS_NAMES:
                for region in regions + ["all"]:
                    chosen = regions if region == "all" else [region]
                    if CATALOG.select(cloud, chosen, model, os_name):
                        yield pytest.param(cloud, chosen, model, os_name, id="%s-%s-%s-%s" % (cloud, region, model, os_name))


def sample_url(row):
    host = row["host"].replace("*.", "probe-a.").replace("*", "probe-b")
    path = row["path"].replace("*", "probe/c") if row["path"] else "/"
    return "%s://%s%s" % (row["scheme"], host, path)


def squid_acls(snippet):
    acls = {}
    for line in snippet.splitlines():
        if line.startswith("acl "):
            _acl, name, kind, *values = line.split()
            values = [v for v in values if v not in ("-i", "--")]
            acls.setdefault(name, (kind, []))[1].extend(values)
    rules = [line.split()[2:] for line in snippet.splitlines() if line.startswith("http_access allow ")]
    splices = [line.split()[2] for line in snippet.splitlines() if line.startswith("ssl_bump splice ")]
    return acls, rules, splices


def acl_matches(kind, values, host, url, port, method):
    host = host.lower()
    if kind in ("dstdomain", "ssl::server_name"):
        return any(host == v or (v.startswith(".") and (host.endswith(v) or host == v[1:])) for v in values)
    if kind in ("dstdom_regex", "ssl::server_name_regex"):
        return any(re.search(v, host, re.I) for v in values)
    if kind == "url_regex":
        return any(re.search(v, url, re.I) for v in values)
    if kind == "port":
        return str(port) in values
    if kind == "method":
        return method in values
    raise AssertionError("unexpected ACL type %s" % kind)


def squid_allows(acls, rules, host, url, port, method):
    def holds(name):
        negate = name.startswith("!")
        kind, values = acls[name.lstrip("!")]
        return acl_matches(kind, values, host, url, port, method) != negate
    return any(all(holds(name) for name in rule) for rule in rules)


def squid_splices(acls, splices, host):
    return any(acl_matches(*acls[name], host, "", 443, "CONNECT") for name in splices)


@pytest.mark.parametrize("cloud,regions,model,os_name", list(combinations()))
def test_the_four_renderings_agree_on_every_host(cloud, regions, model, os_name):
    selection = entries_as_dicts(CATALOG.select(cloud, regions, model, os_name))
    domains = render_domains(selection)
    table = list(csv.DictReader(io.StringIO(render_table(selection, output="csv"))))
    rows = render_table(selection, output="rows")
    pac_text = render_pac(selection, proxy="10.0.0.6:8080")
    pac = PACFile(pac_text)
    snippet = render_squid(selection)
    acls, rules, splices = squid_acls(snippet)

    # host sets: every table row is a listed host, every listed host is covered by a table row
    assert {r["host"] for r in table} <= set(domains)
    for domain in domains:
        assert any(pattern_covers(r["host"], domain) for r in table), domain
    assert len(table) == len(rows)

    heading_direct = HEADINGS["direct_only"]
    for row, text_row in zip(rows, table):
        url = sample_url(row)
        host = urlsplit(url).hostname
        method = "CONNECT" if row["scheme"] == "https" else "GET"
        # the table's two words for the same fact agree (rows and CSV)
        assert text_row["host"] == row["host"] and (text_row[heading_direct] == "yes") == row["direct_only"]
        # PAC: direct-only hosts DIRECT by default, every other row through the proxy
        expected = "DIRECT" if row["direct_only"] else PROXY
        assert pac.find_proxy_for_url(url, host) == expected, (url, row)
        # Squid: every row is allowed (devices that reach it through the proxy), on its port and scheme
        assert squid_allows(acls, rules, host, url, row["port"], method), (url, row)
        if row["scheme"] == "https":
            assert squid_splices(acls, splices, host) == bool(row["must_not_be_tls_inspected"]), (url, row)
        # direct-only exactly for the hosts Microsoft names
        assert row["direct_only"] == (row["host"] in WNS_HOSTS | {"login.microsoftonline.us"}), row
        if row["direct_only"]:
            # the table, the PAC file and the Squid snippet cite the same Microsoft pages
            pages = re.findall(r"https://learn\.microsoft\.com/\S+?(?=[;,)]|$)", row["note"])
            assert pages and all(page in pac_text and page in snippet for page in pages), (row["note"], pages)
        assert row["cloud"] == cloud

    # every catalog key, folded or not, gets from the PAC file what its table row says
    for entry in selection:
        path = entry["path"] if entry["scheme"] == "http" else ""
        same = [r for r in rows if (r["scheme"], r["port"], r["path"]) == (entry["scheme"], entry["port"], path)]
        row = next((r for r in same if r["host"] == entry["host"]), None) or next(
            r for r in same if pattern_covers(r["host"], entry["host"]))
        url = sample_url(dict(entry, path=path))
        assert pac.find_proxy_for_url(url, urlsplit(url).hostname) == ("DIRECT" if row["direct_only"] else PROXY), url

    # the Squid snippet names exactly the table's direct-only hosts
    named = [line for line in snippet.splitlines() if line.startswith("# Microsoft asks for a direct connection")]
    direct_hosts = {r["host"] for r in rows if r["direct_only"]}
    if direct_hosts:
        listed = named[0].split("): ", 1)[1].split(". Allowed")[0].split(", ")
        assert set(listed) == direct_hosts
    else:
        assert named == []


def test_direct_only_hosts_are_direct_by_default_and_routed_on_request():
    selection = entries_as_dicts(CATALOG.select("commercial", ["eu"]))
    by_default = PACFile(render_pac(selection, proxy="10.0.0.6:8080"))
    routed = PACFile(render_pac(selection, proxy="10.0.0.6:8080", direct_only="proxy"))
    for url in ("https://client.wns.windows.com/", "https://login.live.com/", "https://login.microsoftonline.com/"):
        host = urlsplit(url).hostname
        assert by_default.find_proxy_for_url(url, host) == "DIRECT", url
        assert routed.find_proxy_for_url(url, host) == PROXY, url
    assert by_default.find_proxy_for_url("https://winatp-gw-neu.microsoft.com/", "winatp-gw-neu.microsoft.com") == PROXY
    table = render_table(selection, output="rows", direct_only="proxy")
    wns = [r for r in table if r["host"] == "*.wns.windows.com"]
    assert wns and all(r["direct_only"] and "PAC" in r["note"] and "proxy" in r["note"] for r in wns)


def test_gov_standard_wns_rows_are_direct_only_although_their_function_is_common():
    """The US Government standard page files the WNS hosts under a shared row whose note says
    'direct connection or proxy bypass required'; the note, not the function name, decides."""
    selection = entries_as_dicts(CATALOG.select("gcc-high", ["us"], "standard"))
    pac_text = render_pac(selection, proxy="10.0.0.6:8080")
    pac = PACFile(pac_text)
    assert pac.find_proxy_for_url("https://login.live.com/", "login.live.com") == "DIRECT"
    rows = {r["host"]: r for r in render_table(selection, output="rows")}
    assert rows["*.wns.windows.com"]["direct_only"] is True


def test_the_squid_snippet_names_the_direct_only_hosts():
    snippet = render_squid(entries_as_dicts(CATALOG.select("commercial", ["eu"])))
    comment = [line for line in snippet.splitlines() if line.startswith("#") and "direct connection" in line]
    assert comment and all(host in comment[0] for host in WNS_HOSTS), snippet
