"""Memory images for ``$readmemh``: the word files of golden-vector directories (docs/golden.md)."""
from __future__ import annotations

import hashlib
import numbers

import numpy as np


_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


# 4 hex characters of every 16-bit value: converting through this table in row
# chunks keeps a 10,000-step mnist export to seconds.
_HEX4 = np.ascontiguousarray(_HEX[(np.arange(65536)[:, None] >> np.array([12, 8, 4, 0])) & 15]).view(np.uint32)[:, 0]


_CHUNK_ROWS = 1 << 18


def _memh_chunks(words, width_bits: int, comment: str):
    a = np.asarray(words)
    if not isinstance(width_bits, numbers.Integral) or isinstance(width_bits, bool) or width_bits < 1:
        raise ValueError(f"width_bits must be an integer >= 1; got {width_bits!r}")
    digits = (int(width_bits) + 3) // 4
    if a.dtype == bool and a.ndim == 2:
        if a.shape[1] != width_bits:
            raise ValueError(f"a boolean matrix holds {a.shape[1]}-bit words; width_bits is {width_bits}")
        n = a.shape[0]
    else:
        if not (np.issubdtype(a.dtype, np.integer) or a.dtype == bool):
            raise TypeError(f"words must be integers or a 2-D boolean matrix; got dtype {a.dtype}")
        if width_bits > 64:
            raise ValueError(f"width_bits must be in [1, 64] for integer words; got {width_bits}")
        a = a.reshape(-1)
        if a.size and np.issubdtype(a.dtype, np.signedinteger) and int(a.min()) < 0:
            raise ValueError(f"words must be unsigned; got {int(a.min())}")
        if a.size and width_bits < 64 and int(a.max()) >= 1 << width_bits:
            raise ValueError(f"a word does not fit in width_bits={width_bits}: {int(a.max())}")
        n = a.size
    yield (f"// {comment}".rstrip() + f"\n// width {int(width_bits)} bits, {n} words\n").encode()
    groups = (digits + 3) // 4
    for lo in range(0, n, _CHUNK_ROWS):
        part = a[lo : lo + _CHUNK_ROWS]
        rows = part.shape[0]
        if part.ndim == 2:  # wide words: nibbles from the bit matrix, most significant first
            bits = np.zeros((rows, 4 * digits), dtype=np.uint8)
            bits[:, : part.shape[1]] = part
            nib = bits.reshape(rows, digits, 4) @ np.array([1, 2, 4, 8], dtype=np.uint8)
            chars = _HEX[nib[:, ::-1]]
        else:
            full = np.empty((rows, groups), dtype=np.uint32)
            if groups == 1 and part.dtype.itemsize <= 2 and part.dtype != bool:
                full[:, 0] = _HEX4[part]
            else:
                v = part.astype(np.uint64)
                for g in range(groups):
                    full[:, groups - 1 - g] = _HEX4[(v >> np.uint64(16 * g)) & np.uint64(0xFFFF)]
            chars = full.view(np.uint8).reshape(rows, 4 * groups)[:, 4 * groups - digits :]
        lines = np.empty((rows, digits + 1), dtype=np.uint8)
        lines[:, :digits] = chars
        lines[:, digits] = ord("\n")
        yield lines.tobytes()


def memh_bytes(words, width_bits: int, comment: str = "") -> bytes:
    """The bytes of a ``$readmemh`` file: two ``//`` header lines (comment; width and
    count), then one zero-padded lowercase hex word per line, most significant digit
    first.

    words: unsigned integers (any shape, flattened; width_bits 1..64), or a 2-D
        boolean matrix whose rows are wide words of ``width_bits == shape[1]`` bits,
        bit i (column i) at weight 2^i.
    """
    return b"".join(_memh_chunks(words, width_bits, comment))


def write_memh(path, words, width_bits: int, comment: str = "") -> str:
    """Write integer words (or a boolean matrix of wide words) as a ``$readmemh``
    file (layout: :func:`memh_bytes`); returns the file's SHA-256 (hex)."""
    digest = hashlib.sha256()
    with open(path, "wb") as f:
        for chunk in _memh_chunks(words, width_bits, comment):
            digest.update(chunk)
            f.write(chunk)
    return digest.hexdigest()
