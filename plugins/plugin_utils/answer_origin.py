# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who made a probe's answer and which route its request took, from the device's raw facts.

The verdict rules (connectivity_verdict.classify_probe) ask these questions of one raw probe: did
the proxy make the answer rather than the service, did a proxy read it inside the TLS tunnel,
does the certificate chain end in a Microsoft service root with no trust error, and which proxy
(or none) did the request go through.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Mapping, Optional

from ansible_collections.purview.device_proxy.plugins.module_utils import failure_kinds as fk
from ansible_collections.purview.device_proxy.plugins.module_utils import microsoft_tls_trust
from ansible_collections.purview.device_proxy.plugins.module_utils.analyzer_model import AnalyzerInputError, optional_int
from ansible_collections.purview.device_proxy.plugins.module_utils.analyzer_text import line_safe
from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import ProxyAddressError
from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_bypass import parse_bypass_list


def proxy_produced(url: str, raw: Mapping[str, Any], status: int) -> Optional[str]:
    """Why an answer must be the proxy's rather than the service's, or None.

    * https: the service can only answer inside TLS, so a status read while no server
      certificate was seen (``server_chain`` null) is the proxy's answer to CONNECT;
    * plain HTTP: ``X-Squid-Error`` or a ``Proxy-Status`` with an ``error`` parameter (RFC 9209)
      mark an answer the proxy made; ``Via`` alone is on relayed answers too, so it only
      disqualifies a code other than 200 (a relayed 404 cannot be told from a proxy's 404).
    """
    if url.lower().startswith("https://"):
        if "server_chain" in raw and not raw.get("server_chain"):
            return "no server certificate was seen, so the answer is the proxy's refusal of the CONNECT tunnel"
        return None
    headers = {str(k).lower().replace("-", "_"): v for k, v in (raw.get("proxy_headers") or {}).items() if v}
    if headers.get("x_squid_error"):
        return "X-Squid-Error: %s" % headers["x_squid_error"]
    proxy_status = str(headers.get("proxy_status") or "")
    if any(part.strip().lower().startswith("error=") for part in proxy_status.split(";")[1:]):
        return "Proxy-Status: %s" % proxy_status
    if headers.get("via") and status != 200:
        return "Via: %s on a %d answer (a proxy's own answer cannot be told from a relayed one)" % (
            headers["via"], status)
    return None


def proxy_used(raw: Mapping[str, Any], url: str) -> Optional[str]:
    """The proxy the probe's request went through, ``direct``, or None when not reported.

    For method 1 the target reports WinHTTP's default proxy and its bypass list; a URL whose host
    the bypass list matches went direct (proxy_address.BypassList, the collection's one matcher).
    """
    used = raw.get("proxy_used") or None
    bypass = raw.get("proxy_bypass")
    if used and used != "direct" and bypass:
        host = re.sub(r"^[a-z]+://", "", url, flags=re.IGNORECASE).split("/")[0].rsplit(":", 1)[0]
        try:
            if parse_bypass_list(bypass, field="proxy_bypass").matches(host):
                return "direct"
        except ProxyAddressError:
            pass   # an entry the parser refuses: WinHTTP's own reading is unknown, keep the proxy
    return used


def tunnel_headers(url: str, raw: Mapping[str, Any]) -> Optional[str]:
    """A proxy header on an https answer read inside TLS (a server chain was seen), or None.

    Inside a tunnel the proxy only relays bytes; a Via, X-Squid-Error or Proxy-Status header it
    adds there proves it decrypted the traffic, whatever the chain and the status code say.
    """
    if not url.lower().startswith("https://") or not raw.get("server_chain"):
        return None
    headers = {str(k).lower().replace("-", "_"): v for k, v in (raw.get("proxy_headers") or {}).items() if v}
    for key, name in (("via", "Via"), ("x_squid_error", "X-Squid-Error"), ("proxy_status", "Proxy-Status")):
        if headers.get(key):
            return "%s: %s" % (name, headers[key])
    return None


def chain_verdict(chain: Any, status: Any = None) -> Dict[str, Any]:
    """Whether a reported certificate chain (leaf first) ends in a Microsoft service root.

    ``kind`` is None when it does, ``tls_intercepted`` when it ends elsewhere (even in a root
    the device trusts: an inspection CA), ``tls_unverified`` when no chain was reported, and
    ``tls_error`` when the chain's trust status (CERT_TRUST_STATUS.dwErrorStatus, ``status``) has
    an error: such a chain proves nothing, whatever root it ends in.
    """
    if not chain:
        return {"kind": fk.TLS_UNVERIFIED, "root": None, "line_code": fk.TLS_UNVERIFIED,
                "detail": fk.sentence(fk.TLS_UNVERIFIED)}
    if not isinstance(chain, list) or not all(isinstance(c, Mapping) for c in chain):
        raise AnalyzerInputError("probes.server_chain", "type", "must be a list of certificates (dicts)")
    root = chain[-1]
    thumbprint = str(root.get("thumbprint") or "").replace(":", "").replace(" ", "").lower()
    errors = optional_int(status, "probes.chain_status") or 0
    if thumbprint in microsoft_tls_trust.root_thumbprints() and errors:
        code = "0x%08X" % (errors & 0xFFFFFFFF)
        return {"kind": fk.TLS_ERROR, "root": root.get("subject"), "line_code": "chain status %s" % code,
                "detail": fk.sentence(fk.TLS_ERROR, "chain_status", code=code)}
    if thumbprint in microsoft_tls_trust.root_thumbprints():
        return {"kind": None, "root": root.get("subject"), "line_code": None, "detail": ""}
    issuer = chain[0].get("issuer") or root.get("subject") or "unknown issuer"
    return {"kind": fk.TLS_INTERCEPTED, "root": root.get("subject"),
            "line_code": "tls_intercepted, issuer %s" % line_safe(issuer),
            "detail": fk.sentence(fk.TLS_INTERCEPTED, "foreign_root", issuer=issuer, root=root.get("subject"))}
