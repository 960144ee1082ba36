"""An optional cross-encoder that re-scores the best fused passages (off by default).

No installable package ships a multilingual cross-encoder with its weights, so Sinergi does
not bundle one. A deployment that has one on disk (any sentence-transformers ``CrossEncoder``
directory) sets ``SINERGI_RERANKER_MODEL=/path/to/model``: the ``top_n`` best passages of the
fusion are scored against the question, and their order becomes a blend of the fused score
and the cross-encoder's (``weight``). Nothing is downloaded: a path that does not hold a
model is a configuration error at the first question.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from knowledge_base.errors import RerankerUnavailable
from knowledge_base.schemas import SearchHit


class Reranker(Protocol):
    """Scores passages against a question; higher is more relevant."""

    def score(self, question: str, passages: Sequence[str]) -> list[float]: ...


class CrossEncoderReranker:
    """A sentence-transformers ``CrossEncoder`` loaded from a local directory, lazily."""

    def __init__(self, path: Path, *, device: str = "cpu", max_length: int = 512) -> None:
        self.path = path
        self.device = device
        self.max_length = max_length
        self._model: Any = None
        self._lock = threading.Lock()

    def _get(self) -> Any:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    if not self.path.is_dir():
                        raise RerankerUnavailable(model=str(self.path), detail="not a folder")
                    from sentence_transformers import CrossEncoder

                    try:
                        self._model = CrossEncoder(
                            str(self.path),
                            device=self.device,
                            max_length=self.max_length,
                            local_files_only=True,
                        )
                    except (OSError, ValueError) as exc:
                        raise RerankerUnavailable(model=str(self.path), detail=str(exc)) from exc
        return self._model

    def score(self, question: str, passages: Sequence[str]) -> list[float]:
        if not passages:
            return []
        model = self._get()
        raw = model.predict([(question, p) for p in passages], show_progress_bar=False)
        return [float(x) for x in raw]


def rerank(hits: Sequence[SearchHit], scores: Sequence[float], *, weight: float) -> list[SearchHit]:
    """``hits`` re-ordered by ``(1 - weight) * fused + weight * cross-encoder``.

    Cross-encoder scores are squashed to ``[0, 1]`` (logistic) so the blend does not depend on
    the model's scale; the fused score stays the one the abstention rules read.
    """
    if len(scores) != len(hits):
        raise ValueError("one score per hit")
    blended = []
    for hit, raw in zip(hits, scores, strict=True):
        squashed = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, raw))))
        blended.append(((1.0 - weight) * hit.score + weight * squashed, hit))
    blended.sort(key=lambda pair: -pair[0])
    return [replace(hit, rerank_score=round(value, 6)) for value, hit in blended]
