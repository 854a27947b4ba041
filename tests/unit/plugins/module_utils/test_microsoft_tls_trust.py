# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Microsoft root table against Microsoft's published list of the roots its services chain to."""

from __future__ import annotations

import pytest

from ansible_collections.purview.device_proxy.plugins.module_utils import microsoft_tls_trust
from ansible_collections.purview.device_proxy.plugins.plugin_utils.connectivity_verdict import chain_verdict

# "Azure Certificate Authority details", Root Certificate Authorities table (SHA-1 thumbprints):
# https://learn.microsoft.com/en-us/azure/security/fundamentals/azure-ca-details
AZURE_CA_DETAILS_ROOTS = {
    "DigiCert Global Root CA": "a8985d3a65e5e5c4b2d7d66d40c6dd2fb19c5436",
    "DigiCert Global Root G2": "df3c24f9bfd666761b268073fe06d1cc8d4f82a4",
    "DigiCert Global Root G3": "7e04de896a3e666d00e687d33ffad93be83d349e",
    "Entrust Root Certification Authority G2": "8cf427fd790c3ad166068de81e57efbb932272d4",
    "Microsoft ECC Root Certificate Authority 2017": "999a64c37ff47d9fab95f14769891460eec4c3c5",
    "Microsoft RSA Root Certificate Authority 2017": "73a5e64a3bff8316ff0edccc618a906e4eae4d74",
    # A revision of the same page's root table (tab "root-and-subordinate-cas-list") also lists these two.
    "DigiCert TLS ECC P384 Root G5": "17f3de5e9f0f19e98ef61f32266e20c407ae30ee",
    "DigiCert TLS RSA 4096 Root G5": "a78849dc5d7c758c8cde399856b3aad0b2a57135",
}


@pytest.mark.parametrize("name", sorted(AZURE_CA_DETAILS_ROOTS))
def test_every_published_root_is_in_the_table(name):
    table = {row[0]: row[2] for row in microsoft_tls_trust.MICROSOFT_SERVICE_ROOTS}
    assert table.get(name) == AZURE_CA_DETAILS_ROOTS[name]


@pytest.mark.parametrize("name", sorted(AZURE_CA_DETAILS_ROOTS))
def test_a_chain_ending_on_a_published_root_is_not_intercepted(name):
    thumbprint = AZURE_CA_DETAILS_ROOTS[name].upper()
    chain = [
        {"thumbprint": "11" * 20, "subject": "CN=winatp-gw-cus.microsoft.com", "issuer": "CN=Microsoft Azure RSA TLS Issuing CA 03"},
        {"thumbprint": "22" * 20, "subject": "CN=Microsoft Azure RSA TLS Issuing CA 03", "issuer": "CN=%s" % name},
        # Windows writes thumbprints in upper case, sometimes with separators.
        {"thumbprint": " ".join(thumbprint[i:i + 2] for i in range(0, 40, 2)), "subject": "CN=%s" % name, "issuer": "CN=%s" % name},
    ]
    verdict = chain_verdict(chain)
    assert verdict["kind"] is None, verdict


def test_every_row_names_a_known_source():
    for name, organisation, thumbprint, source in microsoft_tls_trust.MICROSOFT_SERVICE_ROOTS:
        assert source in microsoft_tls_trust.SOURCES, name
        assert len(thumbprint) == 40 and thumbprint == thumbprint.lower()
