"""The answer model's collection reads questions as the product's index does."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.answer_model import _open
from knowledge_base.embeddings import FakeEmbeddings
from tests.knowledge_base.test_translation import write_dictd


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
