"""`python -m bench.scale`: the generated passage vectors cluster by document like real ones."""

from __future__ import annotations

from typing import Any

import numpy as np

from bench.scale import clustered_vectors


def _anchors(n: int = 300, dim: int = 64) -> Any:
    """Anisotropic unit vectors: one strong shared direction plus a spread, like e5's."""
    rng = np.random.default_rng(7)
    common = np.zeros(dim)
    common[0] = 1.0
    spread = rng.normal(0.0, 1.0, size=(n, dim))
    spread /= np.linalg.norm(spread, axis=1, keepdims=True)
    anchors = 0.88 * common + 0.47 * spread
    return anchors / np.linalg.norm(anchors, axis=1, keepdims=True)


def _mean_cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(a @ b.T))


def test_unit_norm_and_deterministic_per_document() -> None:
    anchors = _anchors()
    first = clustered_vectors(anchors, 3, 20)
    assert first.shape == (20, 64) and first.dtype == np.float32
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(first, clustered_vectors(anchors, 3, 20))
    assert not np.array_equal(first, clustered_vectors(anchors, 4, 20))


def test_chunks_of_one_document_are_nearer_than_unrelated_chunks() -> None:
    anchors = _anchors()
    docs = [clustered_vectors(anchors, d, 20) for d in range(30)]
    within = (
        np.mean(
            [_mean_cos(v, v) - 1.0 / len(v) for v in docs]  # drop each vector's self-cosine
        )
        * 20
        / 19
    )
    across = np.mean([_mean_cos(docs[d], docs[d + 1]) for d in range(29)])
    assert within > across + 0.05
    # Unrelated chunks keep the shared direction: far from orthogonal, as real embeddings are.
    assert across > 0.5
