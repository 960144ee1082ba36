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


_BYTES = (bytes, bytearray, memoryview)
HEADER_SIZE = _HEADER.size
"""A stored row's header, in bytes; then each unit's key (:data:`KEY_SIZE`), each unit's
scale (:data:`SCALE_SIZE`), and the int8 vectors."""
KEY_SIZE = 8
SCALE_SIZE = 2


def _layout(blob: bytes, model_id: str) -> tuple[int, int] | None:
    """A stored row's units and dimensions, or ``None`` when another model (or format) wrote
    it or it is cut. A value that is no bytes at all (SQLite keeps a number or a text in a
    BLOB column, as a restore by another tool may leave it) is a damaged row too: its
    ``len`` or unpacking raised a TypeError in every question that read it."""
    if not isinstance(blob, _BYTES):
        return None
    return _layout_of(blob[:HEADER_SIZE], len(blob), model_id)


def _layout_of(head: bytes, size: int, model_id: str) -> tuple[int, int] | None:
    """:func:`_layout` from a row's first :data:`HEADER_SIZE` bytes and its length (a head
    that is no bytes, the database's part of a number or a text, is no layout)."""
    if not isinstance(head, _BYTES) or size < HEADER_SIZE or len(head) < HEADER_SIZE:
        return None
    fmt, fingerprint, n, dim = _HEADER.unpack_from(head)
    if fmt != UNITS_FORMAT or fingerprint != model_fingerprint(model_id):
        return None
    if size != HEADER_SIZE + n * (KEY_SIZE + SCALE_SIZE + dim):
        return None
    return n, dim


def _scales(blob: bytes, n: int) -> npt.NDArray[np.float32]:
    at = HEADER_SIZE + KEY_SIZE * n
    return np.frombuffer(blob, dtype=np.float16, count=n, offset=at).astype(np.float32)


def decode(blob: bytes, model_id: str) -> UnitVectors | None:
    """One chunk's unit vectors, or ``None`` when another model (or format) wrote them."""
    layout = _layout(blob, model_id)
    if layout is None:
        return None
    n, dim = layout
    at = HEADER_SIZE
    keys = [blob[at + KEY_SIZE * i : at + KEY_SIZE * (i + 1)] for i in range(n)]
    scale = _scales(blob, n)
    at += (KEY_SIZE + SCALE_SIZE) * n
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


def usable_parts(head: bytes, size: int, scales: bytes, model_id: str, dimensions: int) -> bool:
    """:func:`usable` from the parts of a row the database can send instead of the row: its
    first :data:`HEADER_SIZE` bytes, its length, and the :data:`SCALE_SIZE` bytes of each unit
    that come after the keys of a row of ``dimensions`` (:func:`scales_span`). A row of
    another width is not usable whatever its scales, so the span counted from ``dimensions``
    is the row's own whenever it matters."""
    layout = _layout_of(head, size, model_id)
    if layout is None:
        return False
    n, dim = layout
    if n and dim != dimensions:
        return False
    if not isinstance(scales, _BYTES) or len(scales) != SCALE_SIZE * n:
        return False
    return bool(np.isfinite(np.frombuffer(scales, dtype=np.float16)).all())


def scales_span(size: int, dimensions: int) -> tuple[int, int]:
    """Where the scales of a row of ``size`` bytes and ``dimensions`` stand: the offset
    (from 0) and the length, both 0 for a row shorter than a header. Written as arithmetic
    a database can compute on a row's length (``KnowledgeIndex.damaged_unit_count``)."""
    if size < HEADER_SIZE:
        return 0, 0
    n = (size - HEADER_SIZE) // (KEY_SIZE + SCALE_SIZE + dimensions)
    return HEADER_SIZE + KEY_SIZE * n, SCALE_SIZE * n


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
