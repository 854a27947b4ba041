# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writing report files safely, and text that every XML parser accepts.

* :func:`xml_text` - drops ANSI escape sequences and replaces every character XML 1.0 forbids
  (NUL, other C0 controls, lone surrogates, U+FFFE/U+FFFF) before the text is escaped; error
  messages of unreachable hosts carry exactly those.
* :func:`safe_file_name` - a host name as one file name: no path separators, never hidden, never
  longer than a file system allows (long names end in a hash of the full name, so two long names
  that share a prefix still differ).
* :func:`write_atomically` - a fresh temporary file in the target's folder (``mkstemp``: created,
  never opened through a planted symlink), flushed, then renamed over the target, so a reader sees
  the old file or the new one, never half of one.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from typing import Optional, Union

# CSI (ESC [ ... final byte), OSC (ESC ] ... BEL or ESC \) and two-character escapes.
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
# Everything outside XML 1.0's Char production.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
REPLACEMENT = "\ufffd"

# Most file systems allow 255 bytes per name; leave room for ".txt" and a temporary suffix.
MAX_NAME_BYTES = 200
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def xml_text(value: Optional[str]) -> str:
    """``value`` with ANSI escapes removed and characters XML 1.0 forbids replaced by U+FFFD."""
    if not value:
        return ""
    text = str(value)
    if "\x1b" in text:
        text = _ANSI.sub("", text)
    return _NOT_XML.sub(REPLACEMENT, text)


def safe_file_name(name: str, suffix: str = "") -> str:
    """``name`` as a single safe file name ending in ``suffix``."""
    base = _UNSAFE.sub("_", name).lstrip(".") or "_"
    if len(base.encode("utf-8")) > MAX_NAME_BYTES:
        digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        base = base[: MAX_NAME_BYTES - len(digest) - 1] + "-" + digest
    return base + suffix


def default_mode() -> int:
    # mkstemp creates 0600; reports are meant to be read by others (CI, web servers) as the
    # user's umask allows, like a file created with open().
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


_CHUNK = 1 << 20


def write_atomically(path: str, data: Union[bytes, str], mode: Optional[int] = None) -> None:
    """Write ``data`` (text as UTF-8) to ``path`` through a temporary file in the same folder, then rename it."""
    folder = os.path.dirname(path) or "."
    handle, temporary = tempfile.mkstemp(prefix="." + os.path.basename(path)[:40] + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "wb") as stream:
            if isinstance(data, str):
                # Encoded a megabyte at a time: no second full-size copy of a large report.
                for start in range(0, len(data), _CHUNK):
                    stream.write(data[start:start + _CHUNK].encode("utf-8"))
            else:
                stream.write(data)
            stream.flush()
            os.fchmod(stream.fileno(), default_mode() if mode is None else mode)
        os.replace(temporary, path)  # replaces a symlink at ``path`` itself, never its target
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise


def make_folder(path: str) -> None:
    """Create ``path`` (and parents); refuse a symlink where a report sub-folder should be."""
    if os.path.islink(path):
        raise OSError("%s is a symbolic link; remove it or choose another report directory" % path)
    os.makedirs(path, exist_ok=True)
