# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Find and read the result files of Microsoft's client analyzer, collected from devices by other means.

The analyzer writes its connectivity test to ``MDEClientAnalyzerResult.txt`` (older:
``MDATPClientAnalyzerResult.txt``; https://learn.microsoft.com/en-us/defender-endpoint/verify-connectivity)
and packs its whole result folder into ``MDEClientAnalyzerResult.zip``, where the test is
``SystemInfoLogs\\MDEClientAnalyzer.txt`` (the analyzer script, ``$connectivityCheckFile``;
docs/docsite/rst/analyzer_results.rst cites both). A collected folder holds either one sub-folder per device
(the device is the folder's name; the result files anywhere below it) or result files side by
side, each named ``<device>_<result file name>`` (``PC01_MDEClientAnalyzerResult.zip``).

The script writes that file with Windows PowerShell's ``Out-File`` and ``>>``, whose default is
UTF-16LE with a byte order mark; copies pass through editors and collection tools, so UTF-8 with
or without a mark, UTF-16 with a mark, and UTF-16 without one (told by where its NUL bytes sit)
are read, with CRLF, LF or CR line ends. Nothing here judges a result (``analyzer_import``).
"""

from __future__ import annotations

import codecs
import datetime
import os
import zipfile
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

# Names are compared case-insensitively (Windows file names).
TEXT_NAMES = ("MDEClientAnalyzerResult.txt", "MDATPClientAnalyzerResult.txt", "MDEClientAnalyzer.txt")
ZIP_NAMES = ("MDEClientAnalyzerResult.zip", "MDATPClientAnalyzerResult.zip")
ZIP_MEMBER = "SystemInfoLogs/MDEClientAnalyzer.txt"
RESULT_NAMES = TEXT_NAMES + ZIP_NAMES
FLAT_SEPARATOR = "_"
# A connectivity result is a few hundred kilobytes at most; anything far larger is not one (and a
# zip member is never inflated beyond it).
MAX_BYTES = 32 * 1024 * 1024

FILE_TIME = "file modification time (UTC)"
ZIP_ENTRY_TIME = "time recorded in the zip (the device's local time, no time zone)"


class AnalyzerFileError(ValueError):
    """A result file that cannot be read. ``file`` is its path (relative to the folder read),
    ``line`` the 1-based line (None when the problem is the whole file)."""

    def __init__(self, file: str, message: str, line: Optional[int] = None) -> None:
        self.file = file
        self.line = line
        self.reason = message
        where = "%s: line %d" % (file, line) if line else file
        super().__init__("%s: %s" % (where, message))


@dataclass(frozen=True)
class ResultFile:
    """One result file of one device: ``path`` on disk, ``label`` as reports name it."""

    device: str
    path: str
    label: str
    is_zip: bool


@dataclass(frozen=True)
class ResultText:
    text: str
    encoding: str
    label: str       # the file, and for a zip the member read
    time: str        # ISO 8601
    time_source: str


def _known(name: str, names: Tuple[str, ...]) -> Optional[str]:
    lower = name.lower()
    return next((known for known in names if lower == known.lower()), None)


def flat_device_name(file_name: str) -> Optional[str]:
    """The device of a file in a flat folder, ``<device>_<result file name>``, else None."""
    lower = file_name.lower()
    for known in RESULT_NAMES:
        suffix = (FLAT_SEPARATOR + known).lower()
        if lower.endswith(suffix) and len(file_name) > len(suffix):
            return file_name[:-len(suffix)]
    return None


def find_result_files(folder: str) -> Tuple[List[ResultFile], List[Dict[str, str]]]:
    """Every result file under ``folder`` with its device, and what was passed over (with why)."""
    if not os.path.isdir(folder):
        raise AnalyzerFileError(folder, "is not a folder")
    found: List[ResultFile] = []
    skipped: List[Dict[str, str]] = []
    for entry in sorted(os.listdir(folder)):
        path = os.path.join(folder, entry)
        if os.path.isdir(path):
            inside = []
            for root, dirs, files in os.walk(path):
                dirs.sort()
                for name in sorted(files):
                    if _known(name, RESULT_NAMES):
                        full = os.path.join(root, name)
                        inside.append(ResultFile(entry, full, _relative(full, folder), bool(_known(name, ZIP_NAMES))))
            if inside:
                found.extend(inside)
            else:
                skipped.append({"file": entry + "/", "reason": "no analyzer result file in this device folder ("
                                + ", ".join(RESULT_NAMES) + ")"})
            continue
        device = flat_device_name(entry)
        if device is None:
            reason = ("a result file directly in the folder needs the device in its name: <device>%s%s"
                      % (FLAT_SEPARATOR, entry)) if _known(entry, RESULT_NAMES) else "not an analyzer result file"
            skipped.append({"file": entry, "reason": reason})
            continue
        found.append(ResultFile(device, path, entry, entry.lower().endswith(".zip")))
    return found, skipped


def _relative(path: str, folder: str) -> str:
    return os.path.relpath(path, folder).replace(os.sep, "/")


def read_result(item: ResultFile) -> ResultText:
    """The decoded connectivity text of one result file (for a zip, of its connectivity member)."""
    if item.is_zip:
        return _read_zip(item)
    try:
        size = os.path.getsize(item.path)
        if size > MAX_BYTES:
            raise AnalyzerFileError(item.label, "is %d bytes, more than an analyzer result (%d)" % (size, MAX_BYTES))
        with open(item.path, "rb") as handle:
            data = handle.read()
        mtime = os.stat(item.path).st_mtime
    except OSError as err:
        raise AnalyzerFileError(item.label, "cannot be read: %s" % err.strerror) from err
    text, encoding = decode(data, item.label)
    when = datetime.datetime.fromtimestamp(mtime, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return ResultText(text, encoding, item.label, when, FILE_TIME)


def _zip_member(names: List[str]) -> Optional[str]:
    """The connectivity text in the zip's member list. Windows PowerShell 5.1 writes ``\\`` in zip
    paths, so both separators are read; the analyzer's own member first."""
    wanted = ZIP_MEMBER.lower()
    normal = {name: name.replace("\\", "/").lower() for name in names}
    for name, path in normal.items():
        if path == wanted or path.endswith("/" + wanted):
            return name
    for name, path in normal.items():
        if _known(path.rsplit("/", 1)[-1], TEXT_NAMES):
            return name
    return None


def _read_zip(item: ResultFile) -> ResultText:
    try:
        with zipfile.ZipFile(item.path) as archive:
            infos = {info.filename: info for info in archive.infolist() if not info.is_dir()}
            member = _zip_member(list(infos))
            if member is None:
                raise AnalyzerFileError(item.label, "holds no %s (nor %s)" % (
                    ZIP_MEMBER.replace("/", "\\"), ", ".join(TEXT_NAMES)))
            info = infos[member]
            label = "%s:%s" % (item.label, member.replace("\\", "/"))
            with archive.open(info) as handle:  # at most MAX_BYTES are inflated, whatever the header says
                data = handle.read(MAX_BYTES + 1)
            if len(data) > MAX_BYTES or info.file_size > MAX_BYTES:
                raise AnalyzerFileError(label, "is more than %d bytes, more than an analyzer result" % MAX_BYTES)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as err:
        raise AnalyzerFileError(item.label, "is not a readable zip file: %s" % err) from err
    except OSError as err:
        raise AnalyzerFileError(item.label, "cannot be read: %s" % (err.strerror or err)) from err
    text, encoding = decode(data, label)
    when = "%04d-%02d-%02dT%02d:%02d:%02d" % info.date_time
    return ResultText(text, encoding, label, when, ZIP_ENTRY_TIME)


def _utf16_without_mark(sample: bytes) -> Optional[str]:
    """UTF-16 without a byte order mark, told by its NUL bytes: text in the Latin range has a NUL
    in every second byte, odd positions in little-endian, even ones in big-endian."""
    pairs = len(sample) // 2
    if not pairs:
        return None
    odd = sum(1 for i in range(1, 2 * pairs, 2) if sample[i] == 0)
    even = sum(1 for i in range(0, 2 * pairs, 2) if sample[i] == 0)
    if odd >= pairs * 0.6 and even <= pairs * 0.1:
        return "utf-16-le"
    if even >= pairs * 0.6 and odd <= pairs * 0.1:
        return "utf-16-be"
    return None


def _line_of(text: str, position: int) -> int:
    prefix = text[:position]
    return prefix.count("\n") + prefix.count("\r") - prefix.count("\r\n") + 1


def decode(data: bytes, label: str) -> Tuple[str, str]:
    """(text, encoding name) of a result file's bytes; an AnalyzerFileError when they are not text."""
    marks = ((codecs.BOM_UTF8, "utf-8", "UTF-8 with BOM"), (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16LE with BOM"),
             (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16BE with BOM"))
    for mark, codec, name in marks:
        if data.startswith(mark):
            body = data[len(mark):]
            break
    else:
        codec = _utf16_without_mark(data[:4096]) or ""
        name = codec.upper().replace("UTF-16-", "UTF-16") + " without BOM" if codec else ""
        body = data
    if codec:
        try:
            text = body.decode(codec)
        except UnicodeDecodeError as err:
            before = body[:err.start].decode(codec, errors="replace")
            line = _line_of(before, len(before))
            raise AnalyzerFileError(label, "is not valid %s (%s)" % (name, err.reason), line) from err
    else:
        try:
            text, name = body.decode("utf-8"), "UTF-8"
        except UnicodeDecodeError:
            # Not UTF-8: the analyzer's own lines are ASCII, so a one-byte Windows code page keeps them.
            text, name = body.decode("cp1252", errors="replace"), "Windows-1252 (not valid UTF-8)"
    nul = text.find("\x00")
    if nul >= 0:
        raise AnalyzerFileError(label, "holds NUL characters (read as %s): UTF-16 in a pattern not recognised, "
                                "or not a text file" % name, _line_of(text, nul))
    return text, name
