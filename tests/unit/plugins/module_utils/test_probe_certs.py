# -*- coding: utf-8 -*-
"""Reading the issuer of a certificate."""

from __future__ import annotations

import ssl

import pytest

from ansible_collections.purview.device_proxy.plugins.module_utils import probe_certs


# --- certificate issuer ------------------------------------------------------------------------

def test_issuer_from_der_matches_the_ssl_module_reading(tmp_path):
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA(organization_name="Contoso Test", organization_unit_name="Probe Unit")
    leaf = ca.issue_cert("svc.test")
    pem = leaf.cert_chain_pems[0].bytes()
    der = ssl.PEM_cert_to_DER_cert(pem.decode("ascii"))
    path = tmp_path / "leaf.pem"
    path.write_bytes(pem)
    decoded = ssl._ssl._test_decode_cert(str(path))  # pylint: disable=protected-access
    from_der = probe_certs.issuer_from_der(der)
    assert from_der == probe_certs.issuer_from_peercert(decoded)
    assert from_der == "O=Contoso Test, OU=Probe Unit"


@pytest.mark.parametrize("data", [b"", b"\x30", b"\x30\x82\xff\xff", b"\x02\x01\x00"])
def test_issuer_from_der_survives_garbage(data):
    assert probe_certs.issuer_from_der(data) is None


def test_issuer_from_peercert_without_issuer():
    assert probe_certs.issuer_from_peercert({}) is None
    assert probe_certs.issuer_from_peercert(None) is None


def test_expectations_split_into_names_and_fingerprints():
    colon = ":".join(["AB"] * 20)
    assert probe_certs.split_expectations(["Microsoft Corporation", " ", colon, "ab" * 20, "DigiCert Inc"]) == (
        ("Microsoft Corporation", "DigiCert Inc"), ("ab" * 20,))
    assert probe_certs.normalise_fingerprint("ab" * 19) is None
    assert probe_certs.normalise_fingerprint("zz" * 20) is None


class _ChainSocket:
    def __init__(self, chain):
        self.chain = chain

    def get_verified_chain(self):
        return self.chain


def test_verified_chain_fingerprints_where_python_gives_the_chain():
    import hashlib

    chain = [b"leaf-der", b"root-der"]
    assert probe_certs.verified_chain_fingerprints(_ChainSocket(chain)) == tuple(hashlib.sha1(c).hexdigest() for c in chain)
    assert probe_certs.verified_chain_fingerprints(object()) is None  # Python < 3.13: no chain
    assert probe_certs.verified_chain_fingerprints(_ChainSocket([])) is None


def test_issuer_names_from_peercert():
    cert = {"issuer": ((("organizationName", "Microsoft Corporation"),), (("commonName", "Microsoft TLS CA"),),
                       (("emailAddress", "x@example"),))}
    assert probe_certs.issuer_rdns_from_peercert(cert) == (("O", "Microsoft Corporation"), ("CN", "Microsoft TLS CA"))
    assert probe_certs.issuer_rdns_from_peercert(None) == ()
