"""Exact dense search: every stored passage vector of a small index in one matrix.

Chroma's HNSW graph is approximate, and for a collection below its sync threshold (10,000
vectors) the graph is rebuilt from Chroma's log each time a process opens the collection, a
little differently each time: two processes asking the same question of the same index got
50 dense candidates that differed by one to three passages (docs/benchmarks.md, "Retrieval:
exact dense search for small collections"). Up to ``EXACT_DENSE_LIMIT`` passages the index
therefore keeps the passage vectors in memory as one normalised matrix and ranks them all
with one product, the same way in every process; above it, HNSW answers.

The matrix belongs to one revision of the index (a write bumps it); the next one is built
from the previous one, so only vectors of passages written since are read from the store.
Chunk ids are content addresses (document id + text), so a live id's vector never changes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import numpy as np
import numpy.typing as npt
from threadpoolctl import ThreadpoolController

EXACT_DENSE_LIMIT = 20_000
"""An index of at most this many passages is searched exactly (one matrix product over every
stored vector) instead of through Chroma's HNSW graph. At 20,000 passages of 384 dimensions
the matrix takes 31 MB per process and a question's product costs a few milliseconds of CPU
more than Chroma's HNSW query (1.3 to 1.9 times, measured in docs/benchmarks.md, twelfth
round); above it, the product grows with the index while HNSW does not."""

_BLAS = ThreadpoolController()
"""numpy's BLAS, whose threads the product is kept to one of: a multi-threaded product leaves
its threads spinning after it, and on a two-core server they took the CPU the next
question's embedding needed (10,000 passages, `bench.latency`: the embedding's p50 9.9 ->
23.7 ms, the whole question's 29.7 -> 38.2 ms; one thread: 33.3 ms; docs/benchmarks.md,
twelfth round)."""


_ONE_PRODUCT = threading.Lock()
"""One product at a time in the process, each with BLAS held to one thread.

The bot answers on several threads, and threadpoolctl's limit is process-wide: overlapping,
the first product to end gave BLAS its threads back under the second, which then, ending,
set the process to one thread for good (it put back the count it had found). A product is
a few milliseconds; two questions' products take turns."""


FILTER_CACHE_LIMIT = 16
"""How many filters' rows (or, above ``EXACT_DENSE_LIMIT``, matrices) a process keeps within
one revision: the filters are app, document type and language combinations, as many as a
deployment has apps, and a large index's filtered matrix holds up to 3,000 vectors (4.6 MB)."""

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class RecentCache(Generic[K, V]):
    """The values of the ``limit`` keys used last (each filter's rows within a revision),
    safe to share between the threads answering questions."""

    def __init__(self, limit: int = FILTER_CACHE_LIMIT) -> None:
        self._limit = limit
        self._items: OrderedDict[K, V] = OrderedDict()
        self._guard = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._guard:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self._guard:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._limit:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._guard:
            self._items.clear()

    def __len__(self) -> int:
        with self._guard:  # not halfway through another thread's put
            return len(self._items)


Fetch = Callable[[Sequence[str]], Mapping[str, npt.NDArray[np.float32]]]
"""Reads stored vectors by chunk id; an id the store does not hold is left out."""


@dataclass(frozen=True, eq=False)
class PassageMatrix:
    """The normalised vectors of the live passages, one row each, ids in sorted order (so
    equal cosines rank the same way in every process: by chunk id)."""

    ids: tuple[str, ...]
    matrix: npt.NDArray[np.float32]
    absent: tuple[str, ...] = ()
    """Live passages whose vector the store did not hold, or held unusable, when the matrix
    was built (lost until ``kb check --repair``, which bumps the revision, as does a write
    putting back vectors another write cleaned up): read again by the next revision's
    matrix, not before each search."""
    rows: dict[str, int] = field(init=False, repr=False)
    """Each id's row."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "rows", {cid: i for i, cid in enumerate(self.ids)})

    @property
    def width(self) -> int:
        return int(self.matrix.shape[1])

    def rows_of(self, chunk_ids: Sequence[str]) -> npt.NDArray[np.intp]:
        """The rows of those of ``chunk_ids`` the matrix holds, ascending."""
        found = [self.rows[cid] for cid in chunk_ids if cid in self.rows]
        return np.asarray(sorted(found), dtype=np.intp)


def build_matrix(
    live: Sequence[str],
    fetch: Fetch,
    width: int,
    previous: PassageMatrix | None = None,
) -> PassageMatrix:
    """The matrix of the passages ``live``, reusing the rows of ``previous`` (same width) and
    reading only the other vectors through ``fetch``. A vector of another width than the
    question's (a model switch under way) counts as absent, and so does one that gives no
    cosine: a NaN or an infinity in it (a NaN row made every cosine of the ranking's cut NaN
    when it stood among the ``n`` best, and the search found nothing), or all zeros."""
    ids = sorted(set(live))
    reuse = previous if previous is not None and previous.width == width else None
    kept = reuse.rows if reuse is not None else {}
    missing = [cid for cid in ids if cid not in kept]
    fetched = dict(fetch(missing)) if missing else {}
    present: list[str] = []
    absent: list[str] = []
    for cid in ids:
        vector = fetched.get(cid)
        if cid in kept or (vector is not None and gives_cosine(vector, width)):
            present.append(cid)
        else:
            absent.append(cid)
    matrix = np.empty((len(present), width), dtype=np.float32)
    new_rows: list[int] = []
    for i, cid in enumerate(present):
        if cid in kept:
            assert reuse is not None
            matrix[i] = reuse.matrix[kept[cid]]
        else:
            matrix[i] = np.asarray(fetched[cid], dtype=np.float32).reshape(width)
            new_rows.append(i)
    if new_rows:
        part = matrix[new_rows]
        matrix[new_rows] = part / (np.linalg.norm(part, axis=1, keepdims=True) + 1e-12)
    return PassageMatrix(tuple(present), matrix, tuple(absent))


def gives_cosine(vector: npt.ArrayLike, width: int) -> bool:
    """Whether ``vector`` has ``width`` values and gives a cosine (finite, not all zeros)."""
    values = np.asarray(vector, dtype=np.float64)
    return bool(values.size == width and np.isfinite(values).all() and values.any())


def nearest(
    found: PassageMatrix,
    vector: npt.ArrayLike,
    n: int,
    rows: npt.NDArray[np.intp] | None = None,
) -> dict[str, float]:
    """The ``n`` passages of ``found`` (of its ``rows`` only, when given) with the highest
    cosine to ``vector``, best first, cosines rounded to 6 places as the index's other
    cosines are; equal cosines rank by chunk id."""
    q = np.asarray(vector, dtype=np.float32).reshape(-1)
    if n <= 0 or not found.ids or q.size != found.width:
        return {}
    with _ONE_PRODUCT, _BLAS.limit(limits=1, user_api="blas"):
        sims = found.matrix @ (q / (np.linalg.norm(q) or 1.0))
    candidates = np.arange(sims.size, dtype=np.intp) if rows is None else rows
    if not candidates.size:
        return {}
    values = sims[candidates]
    k = min(n, values.size)
    # Everything at or above the k-th best value, then a stable sort: rows are in chunk-id
    # order, so ties (the same text in two documents) fall the same way in every process.
    kth = np.partition(values, values.size - k)[values.size - k]
    chosen = np.flatnonzero(values >= kth)
    order = chosen[np.argsort(-values[chosen], kind="stable")][:k]
    return {found.ids[int(candidates[i])]: round(float(values[i]), 6) for i in order}
