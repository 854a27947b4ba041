# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The proxy team's table: what the plain domain list loses (ports, paths) must be in it, and its
inspection and authentication columns must say what the Squid snippet does."""

from __future__ import annotations

import csv
import io
import re
from typing import Any, Dict, List

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.purview.device_proxy.plugins.filter.allowlist import FilterModule
from ansible_collections.purview.device_proxy.plugins.plugin_utils.allowlist import (
    AllowlistError,
    render_domains,
    render_squid,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.catalog import (
    SHARED_STORAGE_WILDCARDS,
    allowlist_items,
    entries_as_dicts,
    load_catalog,
    pattern_covers,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.proxy_team_table import (
    COLUMNS,
    PURPOSES,
    render_table,
    table_rows,
)

CATALOG = load_catalog()


def entries(cloud: str = "commercial", regions=("eu",), model: str = "standard", os_name: str = "windows",
            extra=()) -> List[Dict[str, Any]]:
    return entries_as_dicts(CATALOG.select(cloud, list(regions), model, os_name, extra_lists=list(extra)))


def by_key(rows):
    return {(r["host"], r["port"], r["scheme"], r["path"]): r for r in rows}


def test_the_table_keeps_the_port_80_rows_and_paths_the_domain_list_loses():
    selection = entries()
    domains = render_domains(selection)
    # The plain list has the host only: nothing in it says port 80 or /pkiops/.
    assert "www.microsoft.com" in domains and not any("/" in d or ":" in d for d in domains)
    rows = by_key(table_rows(selection))
    pkiops = rows[("www.microsoft.com", 80, "http", "/pkiops/*")]
    assert pkiops["must_not_be_tls_inspected"] is None and pkiops["required"] is True
    assert "revocation" in pkiops["purpose"]
    assert ("www.microsoft.com", 80, "http", "/pki/*") in rows
    for host in ("crl.microsoft.com", "ctldl.windowsupdate.com"):
        assert (host, 80, "http", "") in rows, host
    # The same host on 443 is a separate row: a rule for one does not cover the other.
    assert ("www.microsoft.com", 443, "https", "") in rows


def test_every_port_and_path_of_the_selection_is_in_the_table():
    selection = entries(regions=("us", "eu"), extra=("mdav-page",))
    want = set()
    for e in selection:
        want.add((e["host"], e["port"], e["scheme"], e["path"] if e["scheme"] == "http" else ""))
    rows = table_rows(selection)
    have = by_key(rows)
    assert set(have) <= want
    # a key without its own row is folded into a row whose wildcard covers it, on the same port,
    # scheme and path, and that row names it
    for host, port, scheme, path in want - set(have):
        assert any(pattern_covers(r["host"], host) and (r["port"], r["scheme"], r["path"]) == (port, scheme, path)
                   and host in r["note"] for r in rows), host
    assert any(port == 80 and scheme == "http" and not path for _h, port, scheme, path in want)


def _splice_matchers(snippet: str):
    names = [line.split()[-1] for line in snippet.splitlines() if re.match(r"acl \S+_splice ssl::server_name ", line)]
    regexes = [line.split()[-1] for line in snippet.splitlines() if re.match(r"acl \S+_splice_re ssl::server_name_regex ", line)]

    def spliced(host: str) -> bool:
        for name in names:
            if host == name or (name.startswith(".") and (host == name[1:] or host.endswith(name))):
                return True
        return any(re.search(regex, host, re.IGNORECASE) for regex in regexes)
    return spliced


@pytest.mark.parametrize("cloud,regions,model", [
    ("commercial", ("eu",), "standard"),
    ("commercial", ("us", "uk", "au"), "standard"),
    ("commercial", ("eu",), "streamlined"),
    ("gcc-high", ("us",), "standard"),
])
def test_the_inspection_column_says_what_the_squid_snippet_splices(cloud, regions, model):
    """A host marked 'must not be TLS-inspected' is spliced by the Squid snippet; a shared storage
    wildcard (allowed for MMA and the scanner) is marked 'no' and a foreign account under it is not
    spliced. A table that said 'yes' for *.blob.core.windows.net would ask the proxy team to exempt
    every tenant's storage from inspection."""
    selection = entries(cloud, regions, model, extra=("mdav-page",) if cloud == "commercial" else ())
    legacy = entries(cloud, regions, model, os_name="windows-legacy")
    selection = selection + legacy
    spliced = _splice_matchers(render_squid(selection))
    rows = table_rows(selection)
    shared_seen = False
    for row in rows:
        if row["scheme"] != "https":
            assert row["must_not_be_tls_inspected"] is None, row
            continue
        sample = row["host"].replace("*", "sample-host") if "*" in row["host"] else row["host"]
        if row["host"] in SHARED_STORAGE_WILDCARDS:
            shared_seen = True
            assert row["must_not_be_tls_inspected"] is False, row
            assert "do not exempt" in row["note"]
            assert not spliced(sample), "a foreign storage account would be spliced: %s" % sample
        else:
            assert row["must_not_be_tls_inspected"] is True, row
            assert spliced(sample), "marked not-inspected but not spliced: %s" % row["host"]
    assert shared_seen, "the selection should contain the shared storage wildcard (MMA rows)"


def test_portal_rows_need_no_anonymous_access_device_rows_do():
    rows = by_key(table_rows(entries(extra=("portal",))))
    portal = rows[("security.microsoft.com", 443, "https", "")]
    assert portal["must_allow_anonymous"] is False and "administrators" in portal["note"]
    assert rows[("winatp-gw-neu.microsoft.com", 443, "https", "")]["must_allow_anonymous"] is True
    assert rows[("crl.microsoft.com", 80, "http", "")]["must_allow_anonymous"] is True


def test_allowlist_items_do_not_name_their_list_so_every_row_needs_anonymous_access():
    rows = table_rows(allowlist_items(CATALOG.select("commercial", ["eu"], extra_lists=["portal"])))
    assert all(row["must_allow_anonymous"] for row in rows)


def test_live_response_hosts_say_they_need_a_bypass():
    rows = by_key(table_rows(entries()))
    assert "direct connection or a proxy bypass" in rows[("*.wns.windows.com", 443, "https", "")]["note"]
    assert rows[("winatp-gw-neu.microsoft.com", 443, "https", "")]["note"] == ""


def test_one_row_per_host_port_and_path_with_every_purpose_and_required_if_any_list_requires_it():
    items = [
        {"url": "x.example.com", "port": 443, "scheme": "https", "function": "maps", "required": False,
         "list_name": "standard"},
        {"url": "https://x.example.com/other/path", "function": "smartscreen", "required": True,
         "list_name": "streamlined"},
        {"url": "x.example.com", "port": 443, "scheme": "https", "function": "maps", "required": False,
         "list_name": "standard"},
    ]
    (row,) = table_rows(items)
    assert row["purpose"] == "%s; %s" % (PURPOSES["maps"], PURPOSES["smartscreen"])
    assert row["required"] is True
    assert row["path"] == "", "an https path is invisible to the proxy and must not split the row"


def test_url_strings_give_rows_without_purpose_or_required():
    (row,) = table_rows(["http://www.microsoft.com/pkiops/*"])
    assert (row["host"], row["port"], row["scheme"], row["path"]) == ("www.microsoft.com", 80, "http", "/pkiops/*")
    assert row["purpose"] == "" and row["required"] is None


def test_every_function_of_the_shipped_catalog_has_words():
    functions = {e.function for e in CATALOG.entries if not e.is_probe}
    missing = sorted(functions - set(PURPOSES))
    assert not missing, "functions without a purpose text: %s" % missing


def test_csv_has_the_heading_and_one_line_per_row():
    selection = entries()
    text = render_table(selection, output="csv")
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[0] == ["host", "port", "scheme", "path", "purpose", "must not be TLS-inspected",
                         "must allow anonymous", "required", "note", "direct connection or proxy bypass", "cloud"]
    rows = table_rows(selection)
    assert len(parsed) == len(rows) + 1
    pkiops = [line for line in parsed if line[0] == "www.microsoft.com" and line[3] == "/pkiops/*"]
    assert pkiops == [["www.microsoft.com", "80", "http", "/pkiops/*", PURPOSES["crl"], "n/a (plain http)", "yes",
                       "required", pkiops[0][8], "no", "commercial"]]


def test_markdown_is_a_table_with_one_line_per_row():
    selection = entries()
    lines = render_table(selection, output="markdown").splitlines()
    assert lines[0].startswith("| host | port | scheme | path |")
    assert len(lines) == len(table_rows(selection)) + 2
    assert all(line.count("|") - line.count("\\|") == len(COLUMNS) + 1 for line in lines)
    assert any("`www.microsoft.com` | 80 | http | `/pkiops/*`" in line for line in lines)


@pytest.mark.parametrize("items,kwargs,field", [
    ([{"url": "x.example.com", "port": 70000}], {}, "entries[0]"),
    (["a.example.com", {"port": 443}], {}, "entries[1]"),
    ([], {}, "entries"),
    (["a.example.com"], {"output": "xlsx"}, "output"),
])
def test_bad_input_names_the_field(items, kwargs, field):
    with pytest.raises(AllowlistError) as caught:
        render_table(items, **kwargs)
    assert caught.value.field == field
    assert str(caught.value).startswith(field + ": ")


def test_the_filter_renders_what_the_renderer_renders_and_names_itself_in_errors():
    table = FilterModule().filters()
    selection = entries()
    assert table["allowlist_table"](selection) == render_table(selection)
    assert table["allowlist_table"](selection, output="rows") == table_rows(selection)
    with pytest.raises(AnsibleFilterError) as caught:
        table["allowlist_table"](selection, output="xlsx")
    assert "purview.device_proxy.allowlist_table: output: unknown output 'xlsx'" in str(caught.value)
