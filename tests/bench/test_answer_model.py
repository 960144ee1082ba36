"""Collecting the answer model's cases: each question as the ask path and the product's
index see it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from bench.answer_model import _case, _open
from knowledge_base.embeddings import FakeEmbeddings
from knowledge_base.fusion import GENERIC_FUSION
from tests.knowledge_base.conftest import make_index
from tests.knowledge_base.test_translation import write_dictd
from tests.knowledge_base.test_unit_vectors import CHUNKS, GUIDE


def test_the_scratch_index_translates_english_words_as_the_product_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``collect`` composes an English question's answer from its words' Indonesian
    translations, as ``sinergi ask`` and ``kb eval`` do (``build_index`` reads the
    settings' English dictionary); without them "report" had no alternative "laporan"."""
    base = tmp_path / "dict" / "freedict-eng-ind"
    base.parent.mkdir()
    write_dictd(base, {"report": "report <n>\nlaporan\ninformation describing events\n"})
    monkeypatch.setenv("SINERGI_ENGLISH_DICTIONARY", str(base))
    index = _open(tmp_path, "gov", FakeEmbeddings())
    try:
        assert "laporan" in index.lexicon.current().english.lookup("report")
    finally:
        index.close()


def test_a_case_takes_the_cosines_the_search_already_computed(
    engine: Engine, tmp_path: Path
) -> None:
    index = make_index(engine, tmp_path / "chroma")
    index.fusion = replace(GENERIC_FUSION, sentence_weight=0.5, sentence_floor=0.0)
    retrieve = index.retrieve
    planted: dict[str, dict[bytes, float]] = {}

    def searched(*args: Any, **kwargs: Any) -> Any:
        # The search's cosines, planted so that taking them shows (the ask path takes them).
        result = retrieve(*args, **kwargs)
        planted.update({c: dict.fromkeys(u, 0.5) for c, u in result.unit_cosines.items()})
        return replace(result, unit_cosines=planted)

    index.retrieve = searched  # type: ignore[method-assign]
    try:
        index.replace_document(GUIDE, CHUNKS)
        item = {"id": "q1", "question": "berapa lama verifikasi berkas?", "answerable": True}
        case = _case(index, "gov", "dev", item, 2)
        assert case is not None and planted
        hits = {h.chunk_id for h in case.result.hits}
        assert hits <= set(case.similarity) and set(planted) & hits
        for chunk_id in set(planted) & hits:
            assert case.similarity[chunk_id] == planted[chunk_id]
    finally:
        index.close()
