# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading certificates and judging whose they are.

The issuer name of a presented certificate (from ``getpeercert()`` or DER), the SHA-1 fingerprints
of the verified chain where Python offers it, and the one rule that decides whether a verified
certificate is the service's own or a TLS-inspecting proxy's.

What can be told apart, and what cannot:

* Every Python: the *issuer of the leaf* (``getpeercert()`` after a verified handshake). Its
  organisation (O) or common name (CN) must equal one of the expected names exactly (case
  folded); a name that merely contains an expected word does not count. An inspection CA named
  "Contoso Inspection CA" is caught; one that calls itself "Microsoft Corporation" is not.
* Python 3.13 and later: the *verified chain* (``SSLSocket.get_verified_chain()``), so the SHA-1
  fingerprints of every certificate up to the trust anchor. When fingerprints are expected, a
  chain that contains none of them is an interceptor's whatever its names say, and a chain that
  contains one is the service's. Below 3.13 the chain is not available (only private APIs give
  it), so fingerprints alone cannot be checked and the result is "unchecked".
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, Iterable, List, Mapping, Optional, Sequence, Tuple

# Identity check outcomes (ProbeResult.identity).
IDENTITY_MATCHED = "matched"
IDENTITY_MISMATCH = "mismatch"
IDENTITY_UNCHECKED = "unchecked"

_FINGERPRINT = re.compile(r"[0-9a-f]{40}")


def format_name(rdns: Sequence[Tuple[str, str]]) -> str:
    """``[("O", "Example"), ("CN", "Example CA")]`` -> ``"O=Example, CN=Example CA"``."""
    return ", ".join("%s=%s" % (key, value) for key, value in rdns)


_SSL_NAME_KEYS = {
    "countryName": "C", "organizationName": "O", "organizationalUnitName": "OU",
    "commonName": "CN", "stateOrProvinceName": "ST", "localityName": "L",
}


def issuer_rdns_from_peercert(cert: Optional[Mapping[str, Any]]) -> Tuple[Tuple[str, str], ...]:
    """The issuer attributes of ``SSLSocket.getpeercert()`` as ``(("O", "..."), ("CN", "..."))``."""
    issuer = cert.get("issuer") if cert else None
    rdns = []
    for rdn in issuer or ():
        for key, value in rdn:
            if key in _SSL_NAME_KEYS:
                rdns.append((_SSL_NAME_KEYS[key], value))
    return tuple(rdns)


def issuer_from_peercert(cert: Mapping[str, Any]) -> Optional[str]:
    """The issuer of ``SSLSocket.getpeercert()`` in the same form :func:`issuer_from_der` gives."""
    return format_name(issuer_rdns_from_peercert(cert)) or None


def normalise_fingerprint(text: str) -> Optional[str]:
    """``"AB:CD:..."`` or ``"abcd..."`` (SHA-1, 40 hex digits) -> lower-case hex; None for anything else."""
    compact = re.sub(r"[\s:]", "", text or "").lower()
    return compact if _FINGERPRINT.fullmatch(compact) else None


def split_expectations(items: Iterable[str]) -> Tuple[Tuple[str, ...], Tuple[str, ...]]:
    """Expected issuers as given -> (names, SHA-1 fingerprints). A 40-hex-digit entry is a fingerprint."""
    names = []  # type: List[str]
    fingerprints = []  # type: List[str]
    for item in items:
        text = (item or "").strip()
        if not text:
            continue
        fingerprint = normalise_fingerprint(text)
        if fingerprint:
            fingerprints.append(fingerprint)
        else:
            names.append(text)
    return tuple(dict.fromkeys(names)), tuple(dict.fromkeys(fingerprints))


def verified_chain_fingerprints(tls: Any) -> Optional[Tuple[str, ...]]:
    """SHA-1 fingerprints of the verified chain (leaf first), or None where Python cannot give it (< 3.13)."""
    getter = getattr(tls, "get_verified_chain", None)
    if getter is None:
        return None
    try:
        chain = getter()
    except (AttributeError, ValueError, OSError):
        return None
    prints = []
    for cert in chain or ():
        # 3.13 returns DER bytes; an early 3.13 build returned certificate objects.
        der = cert if isinstance(cert, (bytes, bytearray)) else cert.public_bytes(2)  # 2 = _ssl.ENCODING_DER
        prints.append(hashlib.sha1(bytes(der)).hexdigest())  # nosec - a fingerprint, not a signature
    return tuple(prints) or None


def identity(issuer_rdns: Sequence[Tuple[str, str]], chain: Optional[Sequence[str]],
             names: Sequence[str], fingerprints: Sequence[str]) -> str:
    """Whether a verified certificate is the service's own: matched, mismatch or unchecked.

    With expected fingerprints and a verified chain, the chain decides (names can be copied by an
    interceptor, a root's fingerprint cannot). Otherwise the leaf's issuer O or CN must equal an
    expected name (case folded, whole value). Nothing expected, or only fingerprints where the
    chain is unavailable: unchecked, never matched.
    """
    if fingerprints and chain is not None:
        return IDENTITY_MATCHED if set(chain) & set(fingerprints) else IDENTITY_MISMATCH
    if names:
        wanted = set(name.casefold() for name in names)
        found = any(key in ("O", "CN") and value.casefold() in wanted for key, value in issuer_rdns)
        return IDENTITY_MATCHED if found else IDENTITY_MISMATCH
    return IDENTITY_UNCHECKED


_OID_KEYS = {
    "2.5.4.6": "C", "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.3": "CN", "2.5.4.8": "ST", "2.5.4.7": "L",
}


def _der_item(data: bytes, offset: int) -> Tuple[int, int, int]:
    """(tag, start of content, end of content) of the DER element at offset."""
    if offset + 2 > len(data):
        raise ValueError("truncated DER")
    tag = data[offset]
    length = data[offset + 1]
    start = offset + 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or start + count > len(data):
            raise ValueError("unsupported DER length")
        length = int.from_bytes(data[start:start + count], "big")
        start += count
    end = start + length
    if end > len(data):
        raise ValueError("truncated DER")
    return tag, start, end


def _der_children(data: bytes, start: int, end: int) -> List[Tuple[int, int, int]]:
    items = []
    offset = start
    while offset < end:
        item = _der_item(data, offset)
        items.append(item)
        offset = item[2]
    return items


def _oid_text(raw: bytes) -> str:
    first = raw[0]
    parts = [first // 40, first % 40]
    value = 0
    for byte in raw[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    return ".".join(str(part) for part in parts)


def issuer_from_der(der: bytes) -> Optional[str]:
    """The issuer name of a DER certificate (C, O, OU, CN, ST, L attributes), or None if unreadable."""
    try:
        _tag, cert_start, cert_end = _der_item(der, 0)
        tbs = _der_children(der, cert_start, cert_end)[0]
        fields = _der_children(der, tbs[1], tbs[2])
        index = 1 if fields[0][0] == 0xA0 else 0  # optional [0] version
        issuer = fields[index + 2]
        rdns = []
        for rdn_set in _der_children(der, issuer[1], issuer[2]):
            for attribute in _der_children(der, rdn_set[1], rdn_set[2]):
                oid, value = _der_children(der, attribute[1], attribute[2])[:2]
                key = _OID_KEYS.get(_oid_text(der[oid[1]:oid[2]]))
                if key:
                    encoding = "utf-16-be" if value[0] == 0x1E else "utf-8"
                    rdns.append((key, der[value[1]:value[2]].decode(encoding, "replace")))
        return format_name(rdns) or None
    except (ValueError, IndexError):
        return None
