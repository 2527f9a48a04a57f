"""gzip_bytes: one valid gzip member whatever the number of pieces."""

from __future__ import annotations

import gzip
import os
import zlib

import pytest

from app.api.compress import FAST_MAX_BYTES, PARALLEL_MIN_BYTES, gzip_bytes


@pytest.mark.parametrize(
    "size", [0, 1, 5000, FAST_MAX_BYTES + 9, PARALLEL_MIN_BYTES + 1, 3 * PARALLEL_MIN_BYTES + 7]
)
@pytest.mark.parametrize("pieces", [1, 2, 3])
def test_gzip_bytes_is_one_member_that_any_reader_reads(size: int, pieces: int) -> None:
    data = (
        os.urandom(size // 3) + b"0.1234," * (size // 7) + b"x" * (size - size // 3 - size // 7 * 7)
    )
    packed = gzip_bytes(data, 1, pieces)
    assert gzip.decompress(packed) == data
    reader = zlib.decompressobj(16 + zlib.MAX_WBITS)  # one member only, as httpx reads it
    assert reader.decompress(packed) == data
    assert reader.eof and reader.unused_data == b""
