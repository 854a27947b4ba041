# -*- coding: utf-8 -*-
# Copyright: contributors to purview.device_proxy
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read Registry.pol files with Samba's own PReg parser, for comparison with ours.

Run under the system Python that has Debian's python3-samba (``samba.dcerpc.preg``, decoded with
``samba.ndr.ndr_unpack``): a JSON list of hex files on stdin, a JSON list on stdout, per file
either ``{"entries": [[key, value name, type, size, data], ...]}`` or ``{"error": text}``.
Data is what Samba decodes: a number for REG_DWORD/REG_QWORD, text for REG_SZ/REG_EXPAND_SZ,
hex of the bytes for everything else.
"""

import binascii
import json
import sys

from samba.dcerpc import preg
from samba.ndr import ndr_unpack


def _data(entry):
    data = entry.data
    if isinstance(data, int) or isinstance(data, str):
        return data
    return binascii.hexlify(bytes(data)).decode("ascii").upper()


def main():
    answers = []
    for hex_text in json.load(sys.stdin):
        try:
            parsed = ndr_unpack(preg.file, binascii.unhexlify(hex_text))
        except Exception as err:  # Samba raises RuntimeError (or others) for any unreadable file.
            answers.append({"error": str(err)})
            continue
        answers.append({"entries": [[e.keyname, e.valuename, e.type, e.size, _data(e)] for e in parsed.entries]})
    json.dump(answers, sys.stdout)


if __name__ == "__main__":
    main()
