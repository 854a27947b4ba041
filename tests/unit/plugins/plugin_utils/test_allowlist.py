# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Allowlist renderers: plain list, PAC evaluated by pypac's engine, Squid snippet parsed by squid."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from urllib.parse import urlsplit

import pytest
import trustme
from pypac.parser import PACFile

from ansible_collections.purview.device_proxy.plugins.plugin_utils.allowlist import (
    AllowlistError,
    host_regex,
    render_domains,
    render_pac,
    render_squid,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.catalog import (
    allowlist_items,
    load_catalog,
)

SQUID = "/usr/sbin/squid"
CERTGEN = "/usr/lib/squid/security_file_certgen"
CATALOG = load_catalog()


def items(cloud="commercial", regions=("us",), model="standard", os_name="windows", extra=()):
    return allowlist_items(CATALOG.select(cloud, list(regions), model, os_name, extra_lists=list(extra)))


def everything():
    """A wide selection: both models, legacy Windows (MMA rows), the Defender Antivirus page."""
    selected = []
    for model in ("standard", "streamlined"):
        for os_name in ("windows", "windows-legacy", "macos", "linux"):
            selected += CATALOG.select("commercial", ["us", "eu", "uk", "au", "uae"], model, os_name,
                                       extra_lists=["mdav-page"])
    return allowlist_items(selected)


# --- plain list ---------------------------------------------------------------------------------

def test_domains_are_distinct_hosts_without_paths():
    domains = render_domains(items())
    assert len(domains) == len(set(domains))
    assert "www.microsoft.com" in domains and not any("/" in d for d in domains)
    assert "*.wd.microsoft.com" in domains


def test_domains_dot_style_and_collapse():
    domains = render_domains(items(), style="dot", collapse_covered=True)
    assert ".wd.microsoft.com" in domains
    assert "*ecs.office.com" in domains  # not a label wildcard: kept as written
    assert "us-v20.events.data.microsoft.com" not in domains  # covered by *.events.data.microsoft.com
    with pytest.raises(AllowlistError):
        render_domains(items(), style="regex")


def test_plain_url_strings_are_accepted():
    assert render_domains(["https://a.example.com/x", "b.example.com", "*.c.example.com"]) == [
        "a.example.com", "b.example.com", "*.c.example.com"]


@pytest.mark.parametrize("bad,field_name", [
    ([{"port": 443}], "entries[0]"),
    (["ok.example.com", "bad host"], "entries[1]"),
    ([{"host": "a.example.com", "port": "https"}], "entries[0]"),
    ([{"host": "a.example.com", "port": 70000}], "entries[0]"),
    ([42], "entries[0]"),
])
def test_bad_items_name_the_item(bad, field_name):
    with pytest.raises(AllowlistError) as caught:
        render_domains(bad)
    assert caught.value.field == field_name


# --- PAC ----------------------------------------------------------------------------------------

def find_proxy(pac, url):
    return PACFile(pac).find_proxy_for_url(url, urlsplit(url).hostname)


def test_pac_sends_catalog_hosts_through_the_proxy_and_leaves_the_rest():
    pac = render_pac(items(), proxy="10.0.0.6:8080", header="catalog 2026-07-03")
    assert pac.startswith("// catalog 2026-07-03")
    via = "PROXY 10.0.0.6:8080"
    for url in ("https://winatp-gw-cus.microsoft.com/commands/test",
                "https://ussus1eastprod.blob.core.windows.net/",
                "https://x.wd.microsoft.com/",                       # *.wd.microsoft.com
                "https://a.b.smartscreen-prod.microsoft.com/",      # any depth
                "https://config.ecs.office.com/config/v1/MicrosoftWindowsDefenderClient",  # *ecs.office.com
                "http://crl.microsoft.com/pki/crl/products/x.crl",
                "http://www.microsoft.com/pkiops/crl/x.crl",        # path row, http
                "https://www.microsoft.com/security/encyclopedia/adlpackages.aspx"):
        assert find_proxy(pac, url) == via, url
    for url in ("https://example.org/",
                "https://wd.microsoft.com/",                        # *.x means subdomains only
                "https://evilwd.microsoft.com/",
                "http://www.microsoft.com/en-us/",                  # outside the listed paths
                "https://crl.microsoft.com/",                       # listed for http only
                "https://winatp-gw-cus.microsoft.com.evil.example/"):
        assert find_proxy(pac, url) == "DIRECT", url


def test_pac_required_only_routes_only_the_service_storage_accounts():
    required = allowlist_items(CATALOG.select("commercial", ["us"], required_only=True))
    pac = render_pac(required, proxy="10.0.0.6:8080")
    assert find_proxy(pac, "https://automatedirstrprdcus.blob.core.windows.net/") == "PROXY 10.0.0.6:8080"
    assert find_proxy(pac, "https://other.blob.core.windows.net/") == "DIRECT"


def test_pac_direct_route_with_a_configured_default():
    pac = render_pac(items(), route="direct", otherwise="PROXY proxy.corp.example:3128; DIRECT")
    assert find_proxy(pac, "https://winatp-gw-eus.microsoft.com/") == "DIRECT"
    assert find_proxy(pac, "https://intranet.corp.example/") == "PROXY proxy.corp.example:3128; DIRECT"


def test_pac_host_case_does_not_matter():
    pac = render_pac(items(), proxy="proxy.corp.example:3128")
    assert PACFile(pac).find_proxy_for_url("https://WINATP-GW-CUS.microsoft.com/", "WINATP-GW-CUS.microsoft.com") \
        == "PROXY proxy.corp.example:3128"


@pytest.mark.parametrize("kwargs,field_name", [
    ({}, "proxy"),
    ({"proxy": "10.0.0.6"}, "proxy"),
    ({"proxy": "10.0.0.6:8080", "route": "sideways"}, "route"),
    ({"proxy": "10.0.0.6:8080", "otherwise": "PROXY"}, "otherwise"),
    ({"proxy": "10.0.0.6:8080", "otherwise": "PROXY a:1\"; alert(1)"}, "otherwise"),
])
def test_pac_bad_options(kwargs, field_name):
    with pytest.raises(AllowlistError) as caught:
        render_pac(items(), **kwargs)
    assert caught.value.field == field_name


# --- Squid --------------------------------------------------------------------------------------

def acl_values(snippet, name):
    return [line.split(None, 3)[3] for line in snippet.splitlines() if line.startswith("acl %s " % name)]


def test_squid_snippet_structure():
    snippet = render_squid(everything(), acl_name="mde")
    lines = snippet.splitlines()
    access = [i for i, line in enumerate(lines) if line.startswith("http_access")]
    bump = [i for i, line in enumerate(lines) if line.startswith("ssl_bump")]
    assert access and bump
    assert all(line.startswith("http_access allow ") for line in lines if line.startswith("http_access"))
    assert all(line.startswith("ssl_bump splice ") for line in lines if line.startswith("ssl_bump"))
    assert all(re.match(r"^(#|acl mde_|http_access allow |ssl_bump splice )", line) for line in lines)
    assert "http_access allow mde_connect mde_port_443 mde_tls_443" in lines
    assert "http_access allow !mde_connect mde_port_80 mde_http_80_url" in lines


def test_squid_wildcards_and_paths_are_translated():
    snippet = render_squid(everything())
    tls = acl_values(snippet, "mde_service_tls_443")
    tls_re = acl_values(snippet, "mde_service_tls_443_re")
    assert "winatp-gw-cus.microsoft.com" in tls
    assert ".events.data.microsoft.com" in tls          # events.data.microsoft.com and *.events... both listed
    assert "us-v20.events.data.microsoft.com" not in tls  # covered: no overlapping dstdomain entries
    assert "-i \\.wd\\.microsoft\\.com$" in tls_re       # subdomains only
    assert "-i ecs\\.office\\.com$" in tls_re
    urls = acl_values(snippet, "mde_service_http_80_url")
    assert "-i ^http://www\\.microsoft\\.com(:80)?/pkiops/" in urls
    assert not any("/pkiops/crl" in u for u in urls)     # inside /pkiops/
    assert "www.microsoft.com" in tls                    # https path rows allow the host for CONNECT


def test_squid_regexes_match_what_the_list_means():
    regex = re.compile(host_regex("*.wd.microsoft.com").replace("-i ", ""))
    assert regex.search("x.wd.microsoft.com") and not regex.search("wd.microsoft.com")
    assert not regex.search("x.wd.microsoft.com.evil.example")


def test_blob_wildcard_is_allowed_but_never_spliced():
    snippet = render_squid(everything())
    splice = acl_values(snippet, "mde_service_splice") + acl_values(snippet, "mde_service_splice_re")
    assert "automatedirstrprdcus.blob.core.windows.net" in splice
    assert "ussus1eastprod.blob.core.windows.net" in splice
    assert not any("blob\\.core\\.windows\\.net" in value and "automatedir" not in value for value in splice)
    assert not any(value.startswith(".blob.") for value in splice)
    allowed = acl_values(snippet, "mde_service_tls_443_re")
    assert "-i \\.blob\\.core\\.windows\\.net$" in allowed  # Microsoft lists it for MMA


def test_no_dstdomain_acl_has_overlapping_entries():
    snippet = render_squid(everything())
    for name in ("mde_service_tls_443", "mde_service_http_80", "mde_service_splice"):
        values = acl_values(snippet, name)
        assert values, name
        for value in values:
            for other in values:
                if other != value and other.startswith("."):
                    assert not value.endswith(other) and value != other[1:], (name, value, other)


def test_bad_acl_name_is_rejected():
    with pytest.raises(AllowlistError) as caught:
        render_squid(items(), acl_name="mde service; http_access allow all")
    assert caught.value.field == "acl_name"
    with pytest.raises(AllowlistError):
        render_squid([])


@pytest.fixture(scope="module")
def squid_dir(tmp_path_factory):
    if not os.path.exists(SQUID):
        pytest.skip("%s is missing: install the Debian package squid-openssl (scripts/bootstrap.sh does)" % SQUID)
    folder = tmp_path_factory.mktemp("squid")
    os.chmod(folder, 0o755)  # squid drops privileges to its own user
    ca = trustme.CA(key_type=trustme.KeyType.RSA)
    (folder / "ca.pem").write_bytes(ca.private_key_pem.bytes() + ca.cert_pem.bytes())
    subprocess.run([CERTGEN, "-c", "-s", str(folder / "ssl_db"), "-M", "4MB"], check=True, capture_output=True)
    if os.geteuid() == 0:
        shutil.chown(folder / "ssl_db", "proxy")
    return folder


def squid_parse(folder, snippet):
    conf = folder / "squid.conf"
    conf.write_text("\n".join([
        "http_port 127.0.0.1:3129 ssl-bump tls-cert=%s generate-host-certificates=on "
        "dynamic_cert_mem_cache_size=4MB" % (folder / "ca.pem"),
        "sslcrtd_program %s -s %s -M 4MB" % (CERTGEN, folder / "ssl_db"),
        "pid_filename none",
        "cache_log stdio:%s" % (folder / "cache.log"),
        "access_log none",
        "acl step1 at_step SslBump1",
        "auth_param basic program /bin/false",
        "acl authenticated proxy_auth REQUIRED",
        snippet,
        "http_access allow authenticated",
        "http_access deny all",
        "ssl_bump peek step1",
        "ssl_bump bump all",
        "",
    ]), encoding="utf-8")
    return subprocess.run([SQUID, "-k", "parse", "-f", str(conf)], capture_output=True, text=True, timeout=60, check=False)


def two_tenants():
    """EU commercial and GCC High in one snippet, both device OS families (the lookup's tenants)."""
    from ansible_collections.purview.device_proxy.plugins.plugin_utils.allowlist_selection import (
        annotated_items,
        select_tenants,
    )
    tenants = [{"cloud": "commercial", "regions": ["eu"]}, {"cloud": "gcc-high"}]
    return annotated_items(select_tenants(CATALOG, tenants) + select_tenants(CATALOG, tenants, os="windows-legacy"))


@pytest.mark.parametrize("selection", ["us-windows", "everything", "gov-streamlined", "two-tenants"])
def test_squid_accepts_the_snippet_without_warnings(squid_dir, selection):
    chosen = {
        "us-windows": items,
        "everything": everything,
        "gov-streamlined": lambda: items("dod", ("us",), "streamlined", "windows-legacy", ("portal",)),
        "two-tenants": two_tenants,
    }[selection]()
    snippet = render_squid(chosen)
    result = squid_parse(squid_dir, snippet)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    problems = [line for line in output.splitlines() if re.search(r"WARNING|ERROR|FATAL|BUNGLED", line)]
    assert problems == []
    # every ACL and rule of the snippet was read
    assert output.count("Processing: acl mde_service_") == snippet.count("\nacl ")
    assert "Processing: http_access allow mde_service_connect" in output


def test_squid_reports_an_overlapping_acl(squid_dir):
    """The check above can fail: Squid does complain about the overlap the renderer avoids."""
    result = squid_parse(squid_dir, "acl overlap dstdomain .microsoft.com\nacl overlap dstdomain www.microsoft.com\n"
                                    "http_access allow overlap")
    assert re.search(r"WARNING|ERROR", result.stdout + result.stderr)


@pytest.mark.parametrize("acl_name", ["mde\n", "mde\r\n", "mde_service\n"])
def test_an_acl_name_with_a_trailing_newline_is_rejected(acl_name):
    # '$' also matches before a final newline; the name must match in full.
    with pytest.raises(AllowlistError) as caught:
        render_squid(items(), acl_name=acl_name)
    assert caught.value.field == "acl_name"


@pytest.mark.parametrize("path", ["/a .*", "/a\t.*", "/pki/\n.*", "/a\x0b.*", "/a\x00b", "/a\u2028.*", "/a\xa0.*"])
def test_white_space_and_control_characters_in_a_plain_http_path_are_rejected(path):
    # Squid splits an ACL line at white space: '/a .*' would add the value '.*', which allows
    # every plain-http URL on the port.
    entry = {"host": "crl.example.com", "port": 80, "scheme": "http", "path": path}
    with pytest.raises(AllowlistError) as caught:
        render_squid([entry])
    assert caught.value.field == "entries[0]" and caught.value.rule == "path"
    with pytest.raises(AllowlistError):
        render_pac([entry], proxy="proxy.example.com:3128")
    with pytest.raises(AllowlistError):
        render_squid(["http://crl.example.com%s" % path])


def test_a_host_with_a_newline_is_rejected():
    # The URL splitter leaves the newline on the host ('$' matches before it); the renderer refuses it.
    with pytest.raises(AllowlistError) as caught:
        render_squid(["http://crl.example.com\n/pki"])
    assert caught.value.field == "entries[0]" and caught.value.rule == "host"
