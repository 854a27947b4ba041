# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Text from devices made safe to show: one filter for terminals and XML, one redaction of proxy credentials.

Host names, errors and analyzer text come from devices and connection plugins. Before they reach a
human-readable report (summary, per-host text, JUnit, task messages):

* :func:`clean_text` removes terminal escape sequences (CSI, OSC, the two-character escapes and
  the 8-bit CSI) and replaces every other control character, the bidirectional overrides, unpaired
  surrogates and the two non-characters XML forbids (U+FFFE, U+FFFF) by U+FFFD. Single-line text
  gets a space for a line break or tab, multi-line text keeps line feeds (a CR LF becomes LF). The
  result is always valid XML 1.0 character data, so JUnit uses this filter too.
* :func:`proxy_secrets` lists the proxy settings a device reported that carry user information, and
  :func:`redact` replaces them (and any ``scheme://user:password@`` word) by the masked form of the
  proxy address model (``proxy_address``), ``http://***@host:port``.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.purview.device_proxy.plugins.module_utils.proxy_address import (
    _mask_credentials as mask_credentials,
)

REPLACEMENT = "\ufffd"

# CSI (ESC [ ... final byte, or the 8-bit CSI U+009B ...), OSC (ESC ] ... BEL or ESC \) and
# the two-character escapes (ESC and one byte from @ to _).
_ESCAPE = re.compile(r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]?")
# Everything else a terminal or an XML parser must not get: C0 (except tab and line feed), DEL,
# C1, the bidirectional embeddings, overrides and isolates, lone surrogates, U+FFFE and U+FFFF.
_UNSAFE_MULTILINE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")
_UNSAFE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# Printable ASCII (and tab and line feed in multi-line text): text made only of these passes unchanged.
_SAFE_LINE = bytes(range(0x20, 0x7F))
_SAFE_MULTILINE = _SAFE_LINE + b"\t\n"
_WHITESPACE_CONTROLS = {"\t": " ", "\n": " ", "\r": " "}


def _line_replacement(match: "re.Match[str]") -> str:
    return _WHITESPACE_CONTROLS.get(match.group(0), REPLACEMENT)


def clean_text(value: Any, multiline: bool = False) -> str:
    """``value`` as text safe for a terminal, a text file and XML (see the module docstring)."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if text.isascii() and not text.encode("ascii").translate(None, _SAFE_MULTILINE if multiline else _SAFE_LINE):
        return text  # the common case, found by a byte table lookup (several times faster than a regex scan)
    if "\x1b" in text or "\x9b" in text:
        text = _ESCAPE.sub("", text)
    if multiline:
        if "\r" in text:
            text = text.replace("\r\n", "\n")
        return _UNSAFE_MULTILINE.sub(REPLACEMENT, text)
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    return _UNSAFE_LINE.sub(_line_replacement, text)


def replace_surrogates(text: str) -> str:
    """``text`` with unpaired surrogates (which no UTF-8 writer accepts) replaced by U+FFFD."""
    return _SURROGATE.sub(REPLACEMENT, text)


# --- proxy credentials -----------------------------------------------------------------------------
def _proxy_values(result: Mapping[str, Any]) -> Iterable[Any]:
    """Every proxy setting a device_connectivity_probe result carries (raw and classified)."""
    configured = result.get("configured")
    if isinstance(configured, Mapping):
        yield configured.get("proxy")
    raw = result.get("raw")
    if isinstance(raw, Mapping):
        yield raw.get("telemetry_proxy_server")
        for probe in raw.get("probes") or ():
            if isinstance(probe, Mapping):
                yield probe.get("proxy")
                yield probe.get("proxy_used")
        api = raw.get("winhttp_api")
        if isinstance(api, Mapping):
            yield api.get("proxy")
        run = raw.get("run")
        wpad = run.get("wpad_discovery") if isinstance(run, Mapping) else None
        if isinstance(wpad, Mapping):
            yield wpad.get("proxy")
    urls = result.get("urls")
    for url in urls if isinstance(urls, list) else ():
        for probe in (url.get("probes") or ()) if isinstance(url, Mapping) else ():
            if isinstance(probe, Mapping):
                yield probe.get("proxy")
                yield probe.get("proxy_used")


def proxy_secrets(result: Any) -> List[Tuple[str, str]]:
    """[(reported proxy setting, its masked form)] for the settings that carry user information."""
    if not isinstance(result, Mapping):
        return []
    found = {}
    for value in _proxy_values(result):
        if isinstance(value, str) and "@" in value and value not in found:
            found[value] = mask_credentials(value)
    # Longest first: a setting that contains another is replaced whole.
    return sorted(found.items(), key=lambda pair: -len(pair[0]))


def redact(text: Any, secrets: Sequence[Tuple[str, str]] = ()) -> Any:
    """``text`` with the reported proxy settings and any ``scheme://user:password@`` word masked."""
    if not isinstance(text, str) or "@" not in text:
        return text
    for secret, masked in secrets:
        if secret in text:
            text = text.replace(secret, masked)
    if "://" in text:
        words = text.split(" ")
        for index, word in enumerate(words):
            scheme = word.find("://")
            if scheme >= 0 and "@" in word[scheme:]:
                # The masking helper keeps what follows the last "@" (the proxy's host and port).
                words[index] = word[:scheme + 3] + mask_credentials(word[scheme + 3:])
        text = " ".join(words)
    return text


def redact_proxy(value: Optional[str]) -> Optional[str]:
    """One proxy setting with its user information masked (None stays None)."""
    if isinstance(value, str) and "@" in value:
        return mask_credentials(value)
    return value
