# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PAC files: loading one and asking it which proxy a URL takes.

``requests`` and ``pypac`` (with its JavaScript engine) are needed only here, and imported only
when a PAC route is asked for.
"""

from __future__ import annotations

import threading
from typing import Any, List, Optional

from ansible_collections.purview.device_proxy.plugins.module_utils.probe_model import PAC, Hop, MissingLibraryError, ProbeConfigError, ProbeTarget
from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import ProxyAddressError, ProxyEndpoint, parse_endpoint

def parse_pac_result(text, field_name="pac"):
    # type: (Any, str) -> List[Optional[ProxyEndpoint]]
    """``"PROXY a:3128; DIRECT"`` -> [endpoint, None]; None means DIRECT. SOCKS is not supported."""
    if not isinstance(text, str) or not text.strip():
        return [None]
    choices = []  # type: List[Optional[ProxyEndpoint]]
    for part in text.split(";"):
        words = part.split()
        if not words:
            continue
        kind = words[0].upper()
        if kind == "DIRECT":
            choices.append(None)
        elif kind in ("PROXY", "HTTP") and len(words) == 2:
            try:
                choices.append(parse_endpoint(words[1], field=field_name))
            except ProxyAddressError as exc:
                raise ProbeConfigError(field_name, exc.rule, "the PAC file returned '%s': %s" % (part.strip(), exc.message))
        else:
            raise ProbeConfigError(field_name, "pac-directive", "the PAC file returned '%s'; only PROXY host:port and DIRECT are supported" % part.strip())
    return choices or [None]


class PacResolver:
    """Evaluates a PAC script with pypac; one interpreter per thread (the JS engine is not shared)."""

    def __init__(self, script, origin):
        # type: (str, str) -> None
        self.script = script
        self.origin = origin
        self._local = threading.local()
        self._parser_class = _pac_parser_class()
        self._parser()  # a broken script fails here, before any probe

    def _parser(self):
        parser = getattr(self._local, "parser", None)
        if parser is None:
            try:
                parser = self._parser_class(self.script)
            except Exception as exc:  # pypac raises several types for a bad script
                raise ProbeConfigError("pac_url", "pac-script", "the PAC file from %s does not evaluate: %s" % (self.origin, exc))
            self._local.parser = parser
        return parser

    def hop_for(self, target):
        # type: (ProbeTarget) -> Hop
        value = self._parser().find_proxy_for_url(target.url, target.host)
        choices = parse_pac_result(value)
        first = choices[0]
        note = "PAC returned %s" % ("DIRECT" if first is None else "PROXY " + first.host_port())
        return Hop(PAC, first, None, note)


def _pac_parser_class():
    try:
        from pypac.parser import PACFile  # pylint: disable=import-outside-toplevel
    except ImportError as exc:
        raise MissingLibraryError(
            "PAC evaluation needs the Python libraries 'pypac' and 'dukpy' on the probing host "
            "(pip install pypac); import failed: %s" % exc)
    return PACFile


def load_pac(pac_url=None, pac_file=None, timeout=10.0, ca_file=None):
    # type: (Optional[str], Optional[str], float, Optional[str]) -> PacResolver
    """Fetch (directly, without a proxy) or read a PAC script and prepare it for evaluation."""
    if pac_file:
        try:
            with open(pac_file, "r") as handle:
                return PacResolver(handle.read(), pac_file)
        except (IOError, OSError) as exc:
            raise ProbeConfigError("pac_file", "readable", "cannot read %s: %s" % (pac_file, exc.strerror or exc))
    try:
        import requests  # pylint: disable=import-outside-toplevel
    except ImportError as exc:
        raise MissingLibraryError("downloading a PAC file needs the Python library 'requests' on the probing host: %s" % exc)
    if pac_url == "auto":
        try:
            from pypac import get_pac  # pylint: disable=import-outside-toplevel
        except ImportError as exc:
            raise MissingLibraryError("WPAD discovery needs the Python library 'pypac' on the probing host: %s" % exc)
        pac = get_pac(from_os_settings=True, from_dns=True, timeout=timeout)
        if pac is None:
            raise ProbeConfigError("pac_url", "wpad-not-found", "no PAC file was found by WPAD discovery (DNS wpad.<domain>)")
        return PacResolver(pac.js, "WPAD")
    session = requests.Session()
    session.trust_env = False  # the PAC file itself is fetched directly
    try:
        response = session.get(pac_url, timeout=timeout, verify=ca_file or True)
    except requests.RequestException as exc:
        raise ProbeConfigError("pac_url", "reachable", "cannot download the PAC file %s: %s" % (pac_url, type(exc).__name__))
    finally:
        session.close()
    if response.status_code != 200:
        raise ProbeConfigError("pac_url", "reachable", "downloading the PAC file %s answered %d" % (pac_url, response.status_code))
    return PacResolver(response.text, pac_url)
