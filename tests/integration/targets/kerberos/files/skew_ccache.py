#!/usr/bin/env python
# Copyright: contributors to mailflow.exchange
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make a FILE ticket cache look as if this machine's clock were OFFSET seconds off.

MIT Kerberos keeps the difference between the client's and the KDC's clocks in
the header of a version 4 FILE cache (tag 1, "DeltaTime": seconds and
microseconds) and, with kdc_timesync on (its default), adds it to the local
time of every request it makes from that cache. Writing an offset there gives
a real clock skew as the KDC and the server see it, without changing any clock.

    skew_ccache.py CACHE_FILE OFFSET_SECONDS
"""

from __future__ import annotations

import struct
import sys

FILE_CACHE_V4 = b"\x05\x04"
DELTA_TIME_TAG = 1


def skew(path, offset):
    with open(path, "rb") as handle:
        data = handle.read()
    if data[:2] != FILE_CACHE_V4:
        sys.exit("%s is not a version 4 FILE cache" % path)
    (header_length,) = struct.unpack(">H", data[2:4])
    header = struct.pack(">HHii", DELTA_TIME_TAG, 8, offset, 0)
    with open(path, "wb") as handle:
        handle.write(FILE_CACHE_V4 + struct.pack(">H", len(header)) + header + data[4 + header_length:])


if __name__ == "__main__":
    skew(sys.argv[1], int(sys.argv[2]))
