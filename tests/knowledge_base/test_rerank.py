"""The optional cross-encoder: off by default, re-orders the best passages when configured."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from knowledge_base.embeddings import FakeEmbeddings
from knowledge_base.errors import RerankerUnavailable
from knowledge_base.index import KnowledgeIndex
from knowledge_base.rerank import CrossEncoderReranker
from knowledge_base.schemas import ChunkInput, DocumentInput
from tests.knowledge_base.conftest import make_index


class PrefersWord:
    """A stand-in cross-encoder: passages holding ``word`` are the relevant ones."""

    def __init__(self, word: str) -> None:
        self.word = word
        self.calls: list[tuple[str, int]] = []

    def score(self, question: str, passages: Sequence[str]) -> list[float]:
        self.calls.append((question, len(passages)))
        return [8.0 if self.word in p else -8.0 for p in passages]


def seed(index: KnowledgeIndex) -> None:
    index.replace_document(
        DocumentInput("a", "Panduan A"),
        [ChunkInput("Panduan A\nPendaftaran akun aplikasi lewat menu Daftar aplikasi.")],
    )
    index.replace_document(
        DocumentInput("b", "Panduan B"),
        [ChunkInput("Panduan B\nAkun baru diverifikasi admin dalam satu hari kerja.")],
    )


def test_without_a_reranker_the_fusion_decides(index: KnowledgeIndex) -> None:
    seed(index)
    assert index.reranker is None
    hits = index.search("pendaftaran akun aplikasi", k=2)
    assert hits[0].doc_id == "a" and hits[0].rerank_score is None


def test_a_configured_reranker_reorders_the_best_passages(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    index = make_index(sqlite_engine, tmp_path / "chroma", embeddings=FakeEmbeddings())
    reranker = PrefersWord("diverifikasi")
    index.reranker, index.rerank_weight = reranker, 0.9
    try:
        seed(index)
        hits = index.search("pendaftaran akun aplikasi", k=2)
    finally:
        index.close()
    assert [h.doc_id for h in hits] == ["b", "a"]
    assert hits[0].rerank_score is not None and reranker.calls


def test_a_missing_model_folder_is_a_configuration_error(tmp_path: Path) -> None:
    reranker = CrossEncoderReranker(tmp_path / "no-such-model")
    with pytest.raises(RerankerUnavailable):
        reranker.score("q", ["p"])


@pytest.mark.slow
def test_a_local_cross_encoder_folder_is_loaded_and_scores(tmp_path: Path) -> None:
    """A tiny cross-encoder written to disk here (random weights, a word-level vocabulary):
    the real loading path, with nothing downloaded."""
    from sentence_transformers import CrossEncoder
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    vocab = tmp_path / "vocab.txt"
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "akun", "daftar", "menu", "hari"]
    vocab.write_text("\n".join(words), encoding="utf-8")
    tokenizer = BertTokenizerFast(vocab_file=str(vocab))
    config = BertConfig(
        vocab_size=len(words), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=32, num_labels=1,
    )  # fmt: skip
    model_dir = tmp_path / "tiny-cross-encoder"
    BertForSequenceClassification(config).save_pretrained(model_dir)
    tokenizer.save_pretrained(model_dir)
    CrossEncoder(str(model_dir), num_labels=1).save(str(model_dir))
    scores = CrossEncoderReranker(model_dir).score("daftar akun", ["menu daftar akun", "hari"])
    assert len(scores) == 2 and all(isinstance(s, float) for s in scores)
