"""htmhw state files: a small, versioned, checksummed container of named arrays.

Layout (all integers little-endian):
    8 bytes   magic b"HTMHWST\\0"
    4 bytes   format version (uint32)
    8 bytes   header length H (uint64)
    H bytes   UTF-8 JSON header: {"kind", "meta", "arrays": [{"name", "dtype", "shape", "offset", "nbytes"}]}
    ...       array payloads (C order, little-endian), at the header's offsets from the payload start
    32 bytes  SHA-256 of everything before it
Written atomically (temporary file in the same directory, fsync, rename).
"""
from __future__ import annotations

import hashlib
import json
import os
import struct
import tempfile

import numpy as np

MAGIC = b"HTMHWST\0"
FORMAT_VERSION = 1
_ALLOWED_DTYPES = {"<u1", "<u2", "<u4", "<u8", "<i8", "<f4", "<f8", "|u1", "|b1"}


class StateFileError(ValueError):
    """A state file that is truncated, corrupted, of another version or kind."""


def write_state(path, kind: str, meta: dict, arrays: dict) -> None:
    specs, payload, offset = [], [], 0
    for name, arr in arrays.items():
        a = np.ascontiguousarray(arr)
        a = a.astype(a.dtype.newbyteorder("<"), copy=False)
        raw = a.tobytes()
        specs.append({"name": name, "dtype": a.dtype.str, "shape": list(a.shape), "offset": offset, "nbytes": len(raw)})
        payload.append(raw)
        offset += len(raw)
    header = json.dumps({"kind": kind, "meta": meta, "arrays": specs}, sort_keys=True).encode()
    body = MAGIC + struct.pack("<IQ", FORMAT_VERSION, len(header)) + header + b"".join(payload)
    atomic_write_bytes(path, body + hashlib.sha256(body).digest())


def atomic_write_bytes(path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a reader (or a crash) sees the old file or the
    whole new one, never a part: temporary file in the same directory, fsync, rename."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):  # named here: mkstemp's error would name its temporary file
        raise FileNotFoundError(f"{path}: cannot write, directory {directory} does not exist")
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".htmhw-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def read_state(path, kinds):
    """Return (meta, arrays, kind) for a file holding one of `kinds` (a str or a
    tuple of str), or raise StateFileError naming the file and the problem."""
    kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    path = os.fspath(path)
    with open(path, "rb") as f:
        data = f.read()
    fixed = len(MAGIC) + 12
    # The magic first: a short file of something else is "not a state file", not "truncated".
    if not MAGIC.startswith(data[: len(MAGIC)]):
        raise StateFileError(f"{path}: not an htmhw state file (bad magic)")
    if len(data) < fixed + 32:
        raise StateFileError(f"{path}: truncated (only {len(data)} bytes)")
    version, header_len = struct.unpack("<IQ", data[len(MAGIC) : fixed])
    if version != FORMAT_VERSION:
        raise StateFileError(f"{path}: format version {version} is not supported (this htmhw reads {FORMAT_VERSION})")
    body, digest = data[:-32], data[-32:]
    if hashlib.sha256(body).digest() != digest:
        raise StateFileError(f"{path}: checksum mismatch (file truncated or corrupted)")
    if fixed + header_len > len(body):
        raise StateFileError(f"{path}: header length exceeds file size")
    try:
        header = json.loads(body[fixed : fixed + header_len].decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise StateFileError(f"{path}: unreadable header ({e})") from None
    if header.get("kind") not in kinds:
        raise StateFileError(f"{path}: holds a {header.get('kind')!r}, expected one of {kinds!r}")
    payload = memoryview(body)[fixed + header_len :]
    arrays = {}
    for spec in header["arrays"]:
        if spec["dtype"] not in _ALLOWED_DTYPES:
            raise StateFileError(f"{path}: array {spec['name']!r} has unsupported dtype {spec['dtype']}")
        dtype = np.dtype(spec["dtype"])
        count = int(np.prod(spec["shape"], dtype=np.int64))
        end = spec["offset"] + spec["nbytes"]
        if spec["nbytes"] != count * dtype.itemsize or spec["offset"] < 0 or end > len(payload):
            raise StateFileError(f"{path}: array {spec['name']!r} is out of bounds")
        arrays[spec["name"]] = np.frombuffer(payload[spec["offset"] : end], dtype=dtype).reshape(spec["shape"]).copy()
    return header["meta"], arrays, header["kind"]
