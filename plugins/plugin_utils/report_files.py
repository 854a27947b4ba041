# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writing report files safely and durably.

* :func:`safe_file_name` - a host name as one file name: no path separators, never hidden, never
  longer than a file system allows (long names end in a hash of the full name, so two long names
  that share a prefix still differ).
* :func:`encode_text` - text as UTF-8, with unpaired surrogates (which a device's text can carry
  and no UTF-8 writer accepts) replaced by U+FFFD: every report writer goes through it.
* :func:`write_atomically` - a fresh temporary file in the target's folder (``mkstemp``: created,
  never opened through a planted symlink), written, flushed and fsynced, then renamed over the
  target, then the folder fsynced: a reader sees the old file or the new one, never half of one,
  and after a crash the rename is either not there or there with the whole content. Writers of
  many files in one folder sync the folder once after the last rename (:class:`FolderSync`).

Text shown to people goes through ``report_text.clean_text`` (the one filter for terminals and
XML) before it gets here.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from typing import Optional, Set, Union

from ansible_collections.purview.device_proxy.plugins.plugin_utils.report_text import replace_surrogates

# Most file systems allow 255 bytes per name; leave room for ".txt" and a temporary suffix.
MAX_NAME_BYTES = 200
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


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


def encode_text(text: str) -> bytes:
    """``text`` as UTF-8; unpaired surrogates become U+FFFD instead of an exception."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return replace_surrogates(text).encode("utf-8")


def sync_folder(folder: str) -> None:
    """fsync a folder, so that the renames into it survive a crash."""
    handle = os.open(folder or ".", os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


class FolderSync:
    """Folders written into by several :func:`write_atomically` calls, synced once at the end."""

    def __init__(self) -> None:
        self.folders: Set[str] = set()

    def sync(self) -> None:
        for folder in sorted(self.folders):
            sync_folder(folder)
        self.folders.clear()


def write_atomically(path: str, data: Union[bytes, str], mode: Optional[int] = None,
                     folders: Optional[FolderSync] = None) -> None:
    """Write ``data`` (text as UTF-8) to ``path`` through a synced temporary file in the same folder, rename it,
    then sync the folder (or leave that to ``folders``, for a writer of many files)."""
    folder = os.path.dirname(path) or "."
    handle, temporary = tempfile.mkstemp(prefix="." + os.path.basename(path)[:40] + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "wb") as stream:
            if isinstance(data, str):
                # Encoded a megabyte at a time: no second full-size copy of a large report.
                for start in range(0, len(data), _CHUNK):
                    stream.write(encode_text(data[start:start + _CHUNK]))
            else:
                stream.write(data)
            stream.flush()
            os.fchmod(stream.fileno(), default_mode() if mode is None else mode)
            os.fsync(stream.fileno())
        os.replace(temporary, path)  # replaces a symlink at ``path`` itself, never its target
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise
    if folders is None:
        sync_folder(folder)
    else:
        folders.folders.add(folder)


def make_folder(path: str) -> None:
    """Create ``path`` (and parents); refuse a symlink where a report sub-folder should be."""
    if os.path.islink(path):
        raise OSError("%s is a symbolic link; remove it or choose another report directory" % path)
    os.makedirs(path, exist_ok=True)
