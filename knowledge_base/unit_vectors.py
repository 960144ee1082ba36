"""Vectors of a passage's units (sentences, list items, table rows), stored compactly.

Which sentence of the retrieved passages states the asked fact is decided, among other
signals, by how close each sentence is to the question in the embedding space (multilingual,
so it also carries an English question to an Indonesian sentence). Embedding the sentences
while the official waits would cost more than the whole rest of the answer, so they are
embedded when the passage is written, and read back only for the few passages an answer is
composed from.

Storage: one row per chunk (``kb_unit_vectors``), its units' vectors in int8 with one float16
scale each (386 bytes per unit for a 384-dimension model, against 1,536 in float32; the
cosines move by about 0.001), each keyed by :func:`~knowledge_base.units.unit_key`, and
tagged with the model that made them. A chunk's row goes with the chunk (foreign key, cascade).
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

UNITS_FORMAT = b"U1"
_HEADER = struct.Struct("<2s8sHH")  # format, model fingerprint, units, dimensions

UnitVectors = dict[bytes, npt.NDArray[np.float32]]
"""A chunk's unit vectors by unit key (unit-normalised, float32)."""


def model_fingerprint(model_id: str) -> bytes:
    return hashlib.blake2b(model_id.encode("utf-8"), digest_size=8).digest()


def encode(model_id: str, keys: Sequence[bytes], vectors: npt.ArrayLike) -> bytes:
    """The stored form of one chunk's unit vectors (``vectors``: one row per key)."""
    matrix = np.asarray(vectors, dtype=np.float32).reshape(len(keys), -1)
    n, dim = matrix.shape
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    matrix = (matrix / np.where(norms > 0, norms, 1.0)).astype(np.float32)
    peak = np.abs(matrix).max(axis=1, keepdims=True)
    scale = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float16)
    quantised = np.clip(np.rint(matrix / scale.astype(np.float32)), -127, 127).astype(np.int8)
    return b"".join(
        (
            _HEADER.pack(UNITS_FORMAT, model_fingerprint(model_id), n, dim),
            b"".join(keys),
            scale.tobytes(),
            quantised.tobytes(),
        )
    )


def _layout(blob: bytes, model_id: str) -> tuple[int, int] | None:
    """A stored row's units and dimensions, or ``None`` when another model (or format) wrote
    it or it is cut. A value that is no bytes at all (SQLite keeps a number or a text in a
    BLOB column, as a restore by another tool may leave it) is a damaged row too: its
    ``len`` or unpacking raised a TypeError in every question that read it."""
    if not isinstance(blob, bytes | bytearray | memoryview) or len(blob) < _HEADER.size:
        return None
    fmt, fingerprint, n, dim = _HEADER.unpack_from(blob)
    if fmt != UNITS_FORMAT or fingerprint != model_fingerprint(model_id):
        return None
    if len(blob) != _HEADER.size + n * 8 + n * 2 + n * dim:
        return None
    return n, dim


def _scales(blob: bytes, n: int) -> npt.NDArray[np.float32]:
    at = _HEADER.size + 8 * n
    return np.frombuffer(blob, dtype=np.float16, count=n, offset=at).astype(np.float32)


def decode(blob: bytes, model_id: str) -> UnitVectors | None:
    """One chunk's unit vectors, or ``None`` when another model (or format) wrote them."""
    layout = _layout(blob, model_id)
    if layout is None:
        return None
    n, dim = layout
    at = _HEADER.size
    keys = [blob[at + 8 * i : at + 8 * i + 8] for i in range(n)]
    scale = _scales(blob, n)
    at += 10 * n
    matrix = np.frombuffer(blob, dtype=np.int8, count=n * dim, offset=at).reshape(n, dim)
    if not np.isfinite(scale).all():
        return None  # a damaged row (NaN or infinite scales): embedded again, not ranked on
    vectors = matrix.astype(np.float32) * scale[:, None]
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-12
    return dict(zip(keys, vectors, strict=True))


def fits(vectors: UnitVectors, dimensions: int) -> bool:
    """Whether a chunk's unit vectors have the question vector's ``dimensions`` (a row of
    another width cannot be compared with it: it is embedded again)."""
    return all(v.shape == (dimensions,) for v in vectors.values())


def similarities(
    stored: Mapping[str, UnitVectors], query: npt.ArrayLike
) -> dict[str, dict[bytes, float]]:
    """The cosine of the question's vector with every stored unit vector, by chunk and key."""
    q = np.asarray(query, dtype=np.float32).ravel()
    q = q / (np.linalg.norm(q) or 1.0)
    out: dict[str, dict[bytes, float]] = {}
    for chunk_id, vectors in stored.items():
        if not vectors or not fits(vectors, q.shape[0]):
            out[chunk_id] = {}
            continue
        keys = list(vectors)
        sims = np.stack([vectors[k] for k in keys]) @ q
        out[chunk_id] = dict(zip(keys, (float(s) for s in sims), strict=True))
    return out


def usable(blob: bytes, model_id: str, dimensions: int | None = None) -> bool:
    """Whether a stored row is one :func:`decode` reads and that :func:`fits` ``dimensions``
    (when known), told from its header, length and scales without building its vectors: a
    count of the rows that cannot be used (``kb check``, ``sinergi status``) stays cheap."""
    layout = _layout(blob, model_id)
    if layout is None:
        return False
    n, dim = layout
    if not np.isfinite(_scales(blob, n)).all():
        return False
    return n == 0 or dimensions is None or dim == dimensions
