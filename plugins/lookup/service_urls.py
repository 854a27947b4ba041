# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: service_urls
author: purview.device_proxy maintainers
short_description: Select Microsoft Defender for Endpoint service URLs from the collection's catalog
version_added: 0.1.0
description:
  - Selects the service URLs a fleet of devices needs from the catalog shipped with the collection
    (built from Microsoft's standard and streamlined device connectivity URL lists, commercial and
    US Government, with the source and date of the list).
  - Returns allowlist items for the proxy (see the C(purview.device_proxy.allowlist_*) filters), the
    full catalog entries, or the test URLs Microsoft's connectivity analyzers use, with the status
    codes they accept.
  - Rows for the C(worldwide) geography are always included; for the US Government clouds every row
    is listed under C(us), which is always included too.
  - Unknown cloud, region, model, OS or list names fail with the list of valid names, and so do
    unknown option names (a misspelt O(regions) would otherwise give a list without the tenant's region).
  - Hosts that are in no Microsoft list (for example hosts seen only in third-party scripts or in
    the analyzer's data files) are never returned.
options:
  _terms:
    description:
      - Not used; every choice is an option. Terms are rejected, so that a region written as a term
        is not silently ignored.
    required: false
  cloud:
    description:
      - The Microsoft cloud of the tenant.
      - One of V(commercial), V(gcc), V(gcc-high), V(dod).
      - For several tenants at once use O(tenants) instead.
    type: str
    default: commercial
  regions:
    description:
      - The data locations (geographies) of the tenant, besides C(worldwide).
      - Commercial V(us), V(eu), V(uk), V(au), V(uae); US Government V(us).
      - The AutoIR storage accounts C(automatedirstrprdaec0a)/C(aen0a) are listed by Microsoft under
        C(au) although their names suggest UAE; they are kept under C(au) as the source says.
    type: list
    elements: str
    default: [worldwide]
  tenants:
    description:
      - Several tenants in one selection, for a proxy that serves them all (for example EU commercial
        and GCC High). A list of dicts with the keys C(cloud) (required) and C(regions) (optional, as
        O(regions)); the result is the union of each tenant's selection, every entry once.
      - Give either O(tenants) or O(cloud)/O(regions), not both. O(cloud) and O(regions) are the
        one-tenant form; a list with one tenant whose cloud is V(commercial) and whose regions are
        V(eu) gives the same result as O(cloud=commercial) with O(regions=[eu]).
      - Errors name the item and key, for example C(tenants[1].regions).
    type: list
    elements: dict
  model:
    description:
      - The device connectivity model. V(streamlined) uses the consolidated
        C(*.endpoint.security.microsoft.com) (gov C(.us)) hosts; V(standard) the per-service hosts.
    type: str
    default: standard
  os:
    description:
      - Which devices the selection is for.
      - V(windows) is Windows 10 1809+/11 and servers on the unified agent; V(windows-legacy) is Windows
        7/8.1, Windows 10 1607-1803 and servers onboarded with the Microsoft Monitoring Agent;
        V(macos) and V(linux).
    type: str
    default: windows
  required_only:
    description: Return only what Microsoft marks as required (drop optional rows such as Live Response WNS).
    type: bool
    default: false
  extra_lists:
    description:
      - Other Microsoft lists to add to the selection.
      - V(mdav-page) is the Defender Antivirus network connections page (adds port 80 for the
        alternate download locations); V(portal) is for administrators' browsers, never needed by devices.
    type: list
    elements: str
    default: []
  output:
    description:
      - V(allowlist) returns one item per distinct scheme, host, port and path (keys C(url), C(host),
        C(port), C(scheme), C(path), C(functions), C(required), C(clouds) and C(direct_only)), the input of
        the allowlist filters. C(direct_only) is true for the hosts Microsoft says need a direct connection
        or a proxy bypass (Live Response push notifications).
      - V(entries) returns the full catalog entries (keys C(url), C(host), C(port), C(scheme), C(path),
        C(cloud), C(region), C(list_name), C(function), C(required), C(os), C(notes), C(source), ...).
      - V(probe) returns test URLs (keys C(url), C(host), C(port), C(channel), C(expected_status),
        C(no_pinning), C(method), C(cloud), C(region), C(tool), C(required)), one per host and channel.
    type: str
    default: allowlist
  catalog_file:
    description:
      - A newer copy of a Microsoft list to use instead of the shipped one for its cloud and model,
        without a new release of the collection.
      - The Markdown source of a Learn page (C(.md)), Microsoft's xlsx download (C(.xlsx), read with the
        Python package C(openpyxl) on the controller), or a catalog JSON built by C(tools/build/build_catalog.py)
        of the source repository (the script is not part of the installed collection).
      - A malformed file fails with the row and column at fault and the shipped catalog is not changed.
        A catalog JSON is checked entry by entry like the reference CSV the shipped catalog is built from
        (URL and host, port, scheme, path, cloud, list, OS names, hosts in no Microsoft list).
    type: path
  catalog_model:
    description: The model of the list in O(catalog_file); by default C(streamlined) when its name or title says so.
    type: str
  catalog_fallback:
    description:
      - When O(catalog_file) is rejected, warn and use the shipped catalog instead of failing.
    type: bool
    default: false
  catalog_max_age_days:
    description:
      - Warn when the catalog was last compared with Microsoft's pages more than this many days ago,
        saying how to refresh it. V(0) turns the warning off.
      - The shipped catalog was last compared on 2026-12-07 (C(compared) in the catalog; a unit test keeps
        this line equal to it).
    type: int
    default: 90
    env:
      - name: PURVIEW_DEVICE_PROXY_CATALOG_MAX_AGE_DAYS
    vars:
      - name: purview_device_proxy_catalog_max_age_days
notes:
  - Use C(query()) or C(lookup(..., wantlist=true)) to get a list.
  - The catalog's source and date are in C(docs/service-url-catalog.md); every entry names its Microsoft page and that
    page's date (C(source)). The source repository compares it with Microsoft's pages and rebuilds it with
    C(make catalog-refresh) (C(tools/build/refresh_catalog.py)).
seealso:
  - name: Microsoft Defender for Endpoint standard connectivity URLs - commercial
    description: The Learn page the standard commercial list comes from.
    link: https://learn.microsoft.com/en-us/defender-endpoint/standard-device-connectivity-urls-commercial
  - name: Microsoft Defender for Endpoint streamlined connectivity URLs - commercial
    description: The Learn page the streamlined commercial list comes from.
    link: https://learn.microsoft.com/en-us/defender-endpoint/streamlined-device-connectivity-urls-commercial
"""

EXAMPLES = r"""
- name: Allowlist for Windows devices of an EU tenant (standard connectivity)
  ansible.builtin.set_fact:
    mde_allowlist: "{{ query('purview.device_proxy.service_urls', regions=['eu']) }}"

- name: Required streamlined hosts, as a plain domain list
  ansible.builtin.debug:
    msg: "{{ query('purview.device_proxy.service_urls', regions=['us'], model='streamlined', required_only=true)
             | purview.device_proxy.allowlist_domains }}"

- name: One allowlist for two tenants, EU commercial and GCC High
  ansible.builtin.set_fact:
    mde_entries: >-
      {{ query('purview.device_proxy.service_urls', output='entries',
               tenants=[{'cloud': 'commercial', 'regions': ['eu']}, {'cloud': 'gcc-high'}]) }}

- name: Test URLs for the Windows connectivity check (GCC High)
  ansible.builtin.set_fact:
    mde_probes: "{{ query('purview.device_proxy.service_urls', cloud='gcc-high', output='probe') }}"

- name: Use a newer copy of Microsoft's table downloaded by the operator
  ansible.builtin.set_fact:
    mde_allowlist: >-
      {{ query('purview.device_proxy.service_urls', regions=['uk'],
               catalog_file=playbook_dir ~ '/files/standard-device-connectivity-urls-commercial.md') }}
"""

RETURN = r"""
_raw:
  description:
    - A list of dicts; their keys depend on O(output) (see there).
  type: list
  elements: dict
"""

from typing import Any, Dict, List, Optional

import yaml
from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible.utils.display import Display

from ansible_collections.purview.device_proxy.plugins.plugin_utils.allowlist_selection import (
    annotated_items,
    load_selection_catalog,
    probe_tenants,
    select_tenants,
)
from ansible_collections.purview.device_proxy.plugins.plugin_utils.catalog import (
    OUTPUTS,
    Catalog,
    CatalogError,
    entries_as_dicts,
    load_catalog,
    staleness_warning,
)

display = Display()

# The documented options are the only ones accepted: ansible-core ignores unknown keyword arguments.
OPTION_NAMES = tuple(name for name in yaml.safe_load(DOCUMENTATION)["options"] if name != "_terms")


class LookupModule(LookupBase):

    def run(self, terms: List[Any], variables: Optional[Dict[str, Any]] = None, **kwargs: Any) -> List[Any]:
        self._check_call(terms, kwargs)
        self.set_options(var_options=variables, direct=kwargs)
        output = self.get_option("output")
        if output not in OUTPUTS:
            raise AnsibleLookupError(str(CatalogError("output", "unknown-name", "unknown output %r" % output, valid=OUTPUTS)))
        catalog = self._catalog()
        tenants = self.get_option("tenants")
        if tenants is None:
            # the one-tenant form, unchanged
            tenants = [{"cloud": self.get_option("cloud"), "regions": self.get_option("regions")}]
        self._warn_when_stale(catalog)
        selection = {
            "model": self.get_option("model"),
            "os": self.get_option("os"),
            "required_only": self.get_option("required_only"),
            "extra_lists": self.get_option("extra_lists"),
        }
        try:
            if output == "probe":
                return probe_tenants(catalog, tenants, **selection)
            entries = select_tenants(catalog, tenants, **selection)
        except CatalogError as exc:
            raise AnsibleLookupError("purview.device_proxy.service_urls: %s" % exc) from exc
        if output == "entries":
            return entries_as_dicts(entries)
        return annotated_items(entries)

    def _warn_when_stale(self, catalog: Catalog) -> None:
        try:
            message = staleness_warning(catalog, self.get_option("catalog_max_age_days"))
        except CatalogError as exc:
            raise AnsibleLookupError("purview.device_proxy.service_urls: %s" % exc) from exc
        if message:
            display.warning("purview.device_proxy.service_urls: %s" % message)

    @staticmethod
    def _check_call(terms: List[Any], kwargs: Dict[str, Any]) -> None:
        unknown = sorted(name for name in kwargs if name not in OPTION_NAMES)
        if unknown:
            raise AnsibleLookupError("purview.device_proxy.service_urls: %s" % CatalogError(
                "options", "unknown-name", "unknown option %s" % ", ".join(repr(name) for name in unknown),
                valid=OPTION_NAMES))
        if "tenants" in kwargs and ("cloud" in kwargs or "regions" in kwargs):
            raise AnsibleLookupError("purview.device_proxy.service_urls: %s" % CatalogError(
                "tenants", "exclusive", "give either tenants or cloud and regions, not both"))
        if terms:
            raise AnsibleLookupError("purview.device_proxy.service_urls: %s" % CatalogError(
                "terms", "no-terms", "the lookup takes no terms (got %r); pass every choice as an option, "
                "e.g. regions=['eu']" % (list(terms),), valid=OPTION_NAMES))

    def _catalog(self) -> Catalog:
        path = self.get_option("catalog_file")
        try:
            return load_selection_catalog(path, model=self.get_option("catalog_model")) if path else load_catalog()
        except CatalogError as exc:
            if path and self.get_option("catalog_fallback"):
                display.warning("purview.device_proxy.service_urls: %s; using the shipped catalog" % exc)
                return load_catalog()
            raise AnsibleLookupError("purview.device_proxy.service_urls: %s" % exc) from exc
