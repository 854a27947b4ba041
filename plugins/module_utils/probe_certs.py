# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading certificates: the issuer name of a presented certificate, from ``getpeercert()`` or DER."""

from __future__ import annotations

from typing import Any, List, Mapping, Optional, Sequence, Tuple

def format_name(rdns):
    # type: (Sequence[Tuple[str, str]]) -> str
    """``[("O", "Example"), ("CN", "Example CA")]`` -> ``"O=Example, CN=Example CA"``."""
    return ", ".join("%s=%s" % (key, value) for key, value in rdns)


_SSL_NAME_KEYS = {
    "countryName": "C", "organizationName": "O", "organizationalUnitName": "OU",
    "commonName": "CN", "stateOrProvinceName": "ST", "localityName": "L",
}


def issuer_from_peercert(cert):
    # type: (Mapping[str, Any]) -> Optional[str]
    """The issuer of ``SSLSocket.getpeercert()`` in the same form :func:`issuer_from_der` gives."""
    issuer = cert.get("issuer") if cert else None
    if not issuer:
        return None
    rdns = []
    for rdn in issuer:
        for key, value in rdn:
            if key in _SSL_NAME_KEYS:
                rdns.append((_SSL_NAME_KEYS[key], value))
    return format_name(rdns) or None


_OID_KEYS = {
    "2.5.4.6": "C", "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.3": "CN", "2.5.4.8": "ST", "2.5.4.7": "L",
}


def _der_item(data, offset):
    # type: (bytes, int) -> Tuple[int, int, int]
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


def _der_children(data, start, end):
    # type: (bytes, int, int) -> List[Tuple[int, int, int]]
    items = []
    offset = start
    while offset < end:
        item = _der_item(data, offset)
        items.append(item)
        offset = item[2]
    return items


def _oid_text(raw):
    # type: (bytes) -> str
    first = raw[0]
    parts = [first // 40, first % 40]
    value = 0
    for byte in raw[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    return ".".join(str(part) for part in parts)


def issuer_from_der(der):
    # type: (bytes) -> Optional[str]
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
