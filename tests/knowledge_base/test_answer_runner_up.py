"""The runner-up an answer quotes beside its best unit: the best unit of the passage that fits
beside it, not the best of all."""

from __future__ import annotations

import pytest

from knowledge_base import answer
from knowledge_base.answer import FEATURES, compose
from knowledge_base.keyword import TextNormalizer
from tests.knowledge_base.conftest import encyclopedia_hit as hit


def test_the_runner_up_is_the_best_unit_that_fits_beside_the_best_one(
    normalizer: TextNormalizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    long_second = (
        "Pada masa itu istana sedang direnovasi dan kaisar tinggal di paviliun timur bersama "
        "para pengawal, juru masak, penasihat, dokter istana dan keluarga dekatnya yang tidak "
        "pernah meninggalkan ibu kota selama musim dingin yang panjang itu berlangsung, "
        "sementara para menteri bersidang setiap pagi di balai agung."
    )
    assert len(long_second) > answer.ANSWER_CHARS - len("Kaisar wafat pada malam itu.")
    passage = hit(
        "kaisar",
        f"Kaisar wafat pada malam itu. {long_second} Kaisar wafat karena ditusuk pedang.",
    )
    # Weights that rank the sentences by their place: the long one second, the short third.
    weights = [0.0] * len(FEATURES)
    weights[FEATURES.index("first")] = 2.0
    weights[FEATURES.index("position")] = -1.0
    weights[FEATURES.index("coverage")] = 1.0
    composed = compose(
        "Apa penyebab kaisar wafat?",
        [passage],
        terms=normalizer.terms,
        idf=lambda t: 1.0,
        weights=weights,
    )
    assert composed.text.startswith("Kaisar wafat pada malam itu.")
    assert "ditusuk pedang" in composed.text
    assert "paviliun" not in composed.text
    # With room for nothing beside the best sentence, it stands alone.
    monkeypatch.setattr(answer, "ANSWER_CHARS", 40)
    alone = compose(
        "Apa penyebab kaisar wafat?",
        [passage],
        terms=normalizer.terms,
        idf=lambda t: 1.0,
        weights=weights,
    )
    assert "ditusuk pedang" not in alone.text
