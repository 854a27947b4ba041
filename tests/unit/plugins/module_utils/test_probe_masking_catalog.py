# -*- coding: utf-8 -*-
"""Masking never alters a URL of the shipped catalog.

Every selection the ``service_urls`` lookup can make (each cloud, model, OS and region, with and
without the extra lists) is run through the one masking of the probe: the URL shown in messages
(``redact_url``) and the values handed to Ansible's ``no_log`` masking (``url_secrets``, used by
network_url_probe for every URL it is given). Catalog URLs carry no secrets, so nothing may change:
``https://go.microsoft.com/fwlink/?linkid=...`` must reach the reports as it is.
"""

from __future__ import annotations

from ansible_collections.purview.device_proxy.plugins.module_utils import probe_routes
from ansible_collections.purview.device_proxy.plugins.modules import network_url_probe
from ansible_collections.purview.device_proxy.plugins.plugin_utils import catalog as catalog_module


def _every_catalog_url():
    catalog = catalog_module.load_catalog()
    urls = set(entry.url for entry in catalog.entries if entry.url)
    selections = 0
    for cloud in catalog_module.CLOUDS:
        for region in catalog.regions(cloud):
            for model in catalog_module.MODELS:
                for os_name in catalog_module.OS_NAMES:
                    for extra in ((), catalog_module.EXTRA_LISTS):
                        selections += 1
                        urls.update(p["url"] for p in catalog.probe_urls(cloud, [region], model, os_name, extra_lists=extra))
                        urls.update(e.url for e in catalog.select(cloud, [region], model, os_name, extra_lists=extra) if e.url)
    return sorted(urls), selections


def test_no_catalog_url_is_altered_by_masking():
    urls, selections = _every_catalog_url()
    # The walk really covered the catalog (so the test cannot pass on an empty selection).
    assert selections > 50 and len(urls) > 100
    with_query = [url for url in urls if "?" in url]
    assert any("go.microsoft.com/fwlink/?linkid=" in url for url in with_query)
    altered = [(url, probe_routes.redact_url(url)) for url in urls if probe_routes.redact_url(url) != url]
    assert altered == []
    assert [url for url in urls if probe_routes.url_secrets(url)] == []
    params = {"proxy": None, "pac_url": None, "urls": [{"url": url} for url in urls]}
    assert network_url_probe.secrets(params, {}) == []


def test_the_reported_fwlink_query_is_shown_as_is():
    url = "https://go.microsoft.com/fwlink/?linkid=2164233"
    assert probe_routes.redact_url(url) == url
    assert probe_routes.url_secrets(url) == []
