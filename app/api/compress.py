"""gzip for large responses, deflated on several cores at once (the way pigz does it).

The body is cut into pieces; each is raw-deflated on its own thread (zlib releases the GIL),
all but the last ending in a sync flush so that their concatenation is one valid deflate
stream; a gzip header and the CRC-32 and length of the whole body wrap it. Any gzip reader
sees one ordinary gzip member. Small bodies take the plain single-threaded path.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor

PARALLEL_MIN_BYTES = 1 << 20
# Magic, deflate, no flags, mtime 0, no extra flags, unknown OS.
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="gatescope-gzip")


def _deflate(piece: memoryview, level: int, last: bool) -> bytes:
    compressor = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(piece) + compressor.flush(
        zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH
    )


def gzip_bytes(data: bytes, level: int, pieces: int = 2) -> bytes:
    """`data` as one gzip member, compressed on up to `pieces` threads."""
    if pieces <= 1 or len(data) < PARALLEL_MIN_BYTES:
        return gzip.compress(data, compresslevel=level, mtime=0)
    view = memoryview(data)
    size = -(-len(data) // pieces)
    starts = range(0, len(data), size)
    futures = [
        _pool.submit(_deflate, view[start : start + size], level, start + size >= len(data))
        for start in starts[1:]
    ]
    first = _deflate(view[:size], level, size >= len(data))
    crc = zlib.crc32(data)
    trailer = struct.pack("<II", crc & 0xFFFFFFFF, len(data) & 0xFFFFFFFF)
    return b"".join([GZIP_HEADER, first, *(future.result() for future in futures), trailer])
