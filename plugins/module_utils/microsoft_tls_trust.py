# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The certificate authorities Microsoft's service certificates chain to (internal to this collection).

A TLS-inspecting proxy re-signs the service's certificate with its own CA. When the probing
host or the device trusts that CA, ordinary verification succeeds, so "not inspected" can only
be shown by checking *who* issued the chain. This module is the one list both sides use: the
Linux network probe (network_url_probe) and the Windows device test (device_connectivity_probe).

Sources (SHA-1 thumbprints as Microsoft publishes them):

* [AZCA] "Azure Certificate Authority details",
  https://learn.microsoft.com/en-us/azure/security/fundamentals/azure-ca-details
  (root and subordinate CAs used by Azure-hosted Microsoft services).
  The root table of the current page adds Entrust Root Certification Authority G2; a revision of
  the same page (tab "root-and-subordinate-cas-list") also lists DigiCert TLS ECC P384 Root G5 and
  DigiCert TLS RSA 4096 Root G5 [AZCA-G5].
* [AZTLS] "Azure TLS certificate changes" (2020),
  https://learn.microsoft.com/en-us/azure/security/fundamentals/tls-certificate-changes
  (the roots Azure services moved to: DigiCert Global Root G2 / CA, Baltimore, D-TRUST,
  Microsoft RSA / EV ECC Root 2017).
* [MDEA] Microsoft's client analyzer checks pinned URLs with CertVerifyCertificateChainPolicy;
  Microsoft Root Certificate Authority 2010/2011 as its pinning roots is an inference (no
  Microsoft page states it); they are kept because a Microsoft-operated root is never an
  interceptor's.

Data only: no matching logic lives here.
"""

from __future__ import annotations

# (common name, organisation, SHA-1 thumbprint lower-case hex, source)
MICROSOFT_SERVICE_ROOTS = (
    ("DigiCert Global Root CA", "DigiCert Inc", "a8985d3a65e5e5c4b2d7d66d40c6dd2fb19c5436", "AZCA"),
    ("DigiCert Global Root G2", "DigiCert Inc", "df3c24f9bfd666761b268073fe06d1cc8d4f82a4", "AZCA"),
    ("DigiCert Global Root G3", "DigiCert Inc", "7e04de896a3e666d00e687d33ffad93be83d349e", "AZCA"),
    ("DigiCert TLS ECC P384 Root G5", "DigiCert, Inc.", "17f3de5e9f0f19e98ef61f32266e20c407ae30ee", "AZCA-G5"),
    ("DigiCert TLS RSA 4096 Root G5", "DigiCert, Inc.", "a78849dc5d7c758c8cde399856b3aad0b2a57135", "AZCA-G5"),
    ("Entrust Root Certification Authority G2", "Entrust, Inc.", "8cf427fd790c3ad166068de81e57efbb932272d4", "AZCA"),
    ("Baltimore CyberTrust Root", "Baltimore", "d4de20d05e66fc53fe1a50882c78db2852cae474", "AZTLS"),
    ("D-TRUST Root Class 3 CA 2 2009", "D-Trust GmbH", "58e8abb0361533fb80f79b1b6d29d3ff8d5f00f0", "AZTLS"),
    ("Microsoft RSA Root Certificate Authority 2017", "Microsoft Corporation",
     "73a5e64a3bff8316ff0edccc618a906e4eae4d74", "AZCA"),
    ("Microsoft ECC Root Certificate Authority 2017", "Microsoft Corporation",
     "999a64c37ff47d9fab95f14769891460eec4c3c5", "AZCA"),
    ("Microsoft EV ECC Root Certificate Authority 2017", "Microsoft Corporation",
     "6b1937abfd64e1e40daf2262a27857c015d6228d", "AZTLS"),
    ("Microsoft Root Certificate Authority 2010", "Microsoft Corporation",
     "3b1efd3a66ea28b16697394703a72ca340a05bd5", "MDEA"),
    ("Microsoft Root Certificate Authority 2011", "Microsoft Corporation",
     "8f43288ad272f3103b6fb1428485ea3014c0bcfe", "MDEA"),
)

# Organisations that issue the service (leaf) certificates: the subordinate CAs listed in
# [AZCA] are all "O=Microsoft Corporation" (Microsoft Azure RSA/ECC TLS Issuing CA 0x,
# Microsoft TLS G2 ... CA OCSP xx, Microsoft RSA TLS CA 0x) or "O=DigiCert Inc" (DigiCert
# TLS RSA SHA256 2020 CA1, DigiCert SHA2 Secure Server CA, DigiCert Cloud Services CA-1).
# Matched exactly against the issuer's organisationName, never as a substring.
MICROSOFT_SERVICE_ISSUER_ORGANISATIONS = ("Microsoft Corporation", "DigiCert Inc")

SOURCES = {
    "AZCA": "https://learn.microsoft.com/en-us/azure/security/fundamentals/azure-ca-details",
    "AZCA-G5": "https://learn.microsoft.com/en-us/azure/security/fundamentals/azure-ca-details?tabs=root-and-subordinate-cas-list "
               "(a revision of the page's root table)",
    "AZTLS": "https://learn.microsoft.com/en-us/azure/security/fundamentals/tls-certificate-changes",
    "MDEA": "inference: the client analyzer's pinning roots (no Microsoft page states them)",
}


def root_thumbprints() -> frozenset:
    """SHA-1 thumbprints (lower-case hex) of every root in MICROSOFT_SERVICE_ROOTS."""
    return frozenset(row[2] for row in MICROSOFT_SERVICE_ROOTS)
