"""Fitting the question/sentence compatibility model: its rows, its folds, what it learns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from bench.compatibility_model import (
    CLIP,
    CompatibilityModel,
    case_rows,
    chosen_unit_vector,
    compatibility_feature,
    fit_model,
    fold_of,
    group_of,
    pair_features,
)
from bench.refusal_model import Judged
from knowledge_base.answer import compose
from knowledge_base.keyword import TextNormalizer
from knowledge_base.question import analyse
from knowledge_base.schemas import SearchHit, SearchResult
from knowledge_base.units import passage_units, unit_key

NORMALIZER = TextNormalizer()
HIT = SearchHit(
    "thr",
    "pp-19-2018",
    "PP 19/2018 tentang Tunjangan Hari Raya",
    "PP 19/2018 tentang Tunjangan Hari Raya > Pasal 3\n\nTunjangan hari raya dibayarkan paling "
    "cepat 10 (sepuluh) hari kerja sebelum hari raya. Pajak penghasilan atas tunjangan hari "
    "raya ditanggung pemerintah. Gedung kantor dicat putih setiap tahun.",
    "Pasal 3",
    None,
    0,
    0.9,
    dense_score=0.9,
    coverage=0.9,
)
QUESTION = "Kapan tunjangan hari raya dibayarkan?"


def unit_vector(*values: float) -> np.ndarray:
    v = np.array(values, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_pair_features_are_the_product_and_the_absolute_difference() -> None:
    q = np.array([3.0, 4.0])  # normalised to (0.6, 0.8)
    s = np.array([1.0, 0.0])
    assert pair_features(q, s) == pytest.approx([0.6, 0.0, 0.4, 0.8])
    rows = pair_features(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[1.0, 0.0], [1.0, 0.0]]))
    assert rows.shape == (2, 4)
    assert rows[1] == pytest.approx([0.0, 0.0, 1.0, 1.0])


def model_favouring_first_dimension(bias: float = 0.0) -> CompatibilityModel:
    # Agreement on the first dimension is what the question turns on.
    return CompatibilityModel(
        weights=np.array([10.0, 0.0, 0.0, 0.0, 0.0, 0.0]),
        bias=bias,
        mean=np.zeros(6),
        scale=np.ones(6),
    )


def test_the_model_weighs_dimensions_where_the_cosine_cannot() -> None:
    model = model_favouring_first_dimension()
    q = unit_vector(1.0, 1.0, 0.0)
    agree_first = unit_vector(1.0, 0.0, 0.2)
    agree_second = unit_vector(0.0, 1.0, 0.2)
    # The same cosine with the question, different compatibility.
    assert float(q @ agree_first) == pytest.approx(float(q @ agree_second))
    first = model.logit(q, agree_first)
    second = model.logit(q, agree_second)
    assert first is not None and second is not None
    assert first > second + 1.0
    assert model.logit(np.ones(4), np.ones(4)) is None  # another model's width


def answered(vectors: dict[bytes, np.ndarray], question: np.ndarray):  # type: ignore[no-untyped-def]
    info = analyse(QUESTION)
    composed = compose(QUESTION, [HIT], terms=NORMALIZER.terms, idf=lambda t: 1.0, info=info)
    result = SearchResult((HIT,), True, query_vector=question, unit_vectors={"thr": vectors})
    return result, composed, info


def keys() -> list[bytes]:
    return [unit_key(u.read) for u in passage_units(HIT.text, HIT.title, HIT.section)]


def test_the_chosen_unit_is_read_from_the_vectors_the_search_already_read() -> None:
    q = unit_vector(1.0, 0.0, 0.0)
    info = analyse(QUESTION)
    composed = compose(QUESTION, [HIT], terms=NORMALIZER.terms, idf=lambda t: 1.0, info=info)
    (citation,) = composed.citations
    units = passage_units(HIT.text, HIT.title, HIT.section)
    quoted = [
        unit_key(u.read)
        for u in units
        if any(a < u.span.end and u.span.start < b for a, b in citation.quotes)
    ]
    assert len(quoted) == 2
    other = SearchHit("other", "doc-2", "Lain", "Gedung kantor dicat putih.", None, None, 0, 0.5)
    (other_key,) = [unit_key(u.read) for u in passage_units(other.text, other.title, None)]
    close, closer = unit_vector(0.9, 0.1, 0.0), unit_vector(0.95, 0.05, 0.0)
    closest = unit_vector(1.0, 0.0, 0.01)  # not in the answer
    for first, second in ((close, closer), (closer, close)):
        result = SearchResult(
            (HIT, other),
            True,
            query_vector=q,
            unit_vectors={
                "thr": {quoted[0]: first, quoted[1]: second},
                "other": {other_key: closest},
            },
        )
        # Of the answer's units, the one closest to the question (as ``Evidence.cosine``).
        assert chosen_unit_vector(result, composed) is closer
    assert chosen_unit_vector(SearchResult((HIT,), True), composed) is None


def test_the_compatibility_feature_is_the_clipped_logit_and_neutral_without_vectors() -> None:
    first, *_ = keys()
    q = unit_vector(1.0, 1.0, 0.0)
    model = model_favouring_first_dimension()
    fits, composed, _ = answered({first: unit_vector(1.0, 0.0, 0.2)}, q)
    misfits, _, _ = answered({first: unit_vector(0.0, 1.0, 0.2)}, q)
    high = compatibility_feature(fits, composed, model)
    low = compatibility_feature(misfits, composed, model)
    assert -1.0 <= low < high <= 1.0
    assert high == pytest.approx(min(CLIP, model.logit(q, unit_vector(1.0, 0.0, 0.2)) or 0) / CLIP)
    bare = SearchResult((HIT,), True)
    assert compatibility_feature(bare, composed, model) == 0.0


def hit(chunk: str, doc: str, text: str) -> SearchHit:
    return SearchHit(chunk, doc, doc, text, None, None, 0, 0.9, dense_score=0.9, coverage=0.9)


@dataclass
class FakeCase:
    case_id: str
    doc: str | None
    answerable: bool
    result: Any
    answers: tuple[str, ...] = ()
    corpus: str = "tydi"
    split: str = "valid"
    extra: dict[str, Any] = field(default_factory=dict)


def test_a_near_miss_falls_with_the_passage_it_retrieved_first() -> None:
    twin = FakeCase("q-1", "p1", True, SearchResult((hit("c1", "p1", "x"),), True))
    near = FakeCase("q-1-unans", None, False, SearchResult((hit("c1", "p1", "x"),), True))
    other = FakeCase("q-2", "p2", True, SearchResult((hit("c2", "p2", "y"),), True))
    assert group_of(near) == "p1"
    folds = fold_of([twin, near, other], 2)
    assert folds[0] == folds[1] != folds[2]


TEXT = "Candi Borobudur dibangun pada abad ke-8. Candi itu terletak di Magelang. Ia dipugar."


def vectors_for(text: str) -> dict[bytes, np.ndarray]:
    rng = np.random.default_rng(0)
    out = {}
    for unit in passage_units(text, "Borobudur", None):
        v = rng.normal(size=8).astype(np.float32)
        out[unit_key(unit.read)] = v / np.linalg.norm(v)
    return out


def judged_case(question: str, answerable: bool, answers: tuple[str, ...]) -> Judged:
    h = hit("c1", "borobudur", TEXT)
    vectors = vectors_for(TEXT)
    q = np.ones(8, dtype=np.float32) / np.sqrt(8)
    result = SearchResult((h,), True, query_vector=q, unit_vectors={"c1": vectors})
    info = analyse(question)
    composed = compose(question, [h], terms=NORMALIZER.terms, idf=lambda t: 1.0, info=info)
    case = FakeCase("q", "borobudur" if answerable else None, answerable, result, answers)
    return Judged(case, [], False, "", composed)


def test_an_answerable_question_gives_its_gold_unit_and_wrong_ones() -> None:
    vectors, labels, weights = case_rows(
        judged_case("Di mana Candi Borobudur terletak?", True, ("Magelang",))
    )
    assert labels[0] == 1.0 and labels[1:] == [0.0, 0.0]
    gold = next(
        unit_key(u.read) for u in passage_units(TEXT, "Borobudur", None) if "Magelang" in u.read
    )
    assert vectors[0] is vectors_for(TEXT)[gold] or np.allclose(vectors[0], vectors_for(TEXT)[gold])
    assert weights[0] == 1.0 and sum(weights[1:]) < weights[0]
    # No unit holds the gold span: nothing to learn from.
    assert case_rows(judged_case("Di mana Candi Borobudur?", True, ("Jakarta",))) == ([], [], [])


def test_a_near_miss_gives_its_chosen_unit_as_a_negative() -> None:
    vectors, labels, weights = case_rows(
        judged_case("Di mana Candi Prambanan terletak?", False, ())
    )
    assert labels and set(labels) == {0.0}
    assert sum(weights) == 1.0
    assert len({id(v) for v in vectors}) == len(vectors)


def test_the_model_learns_a_dimension_the_cosine_cannot_tell() -> None:
    # Positives agree with the question in sign on dimension 0, negatives do not; the other
    # dimensions are equally close: one dimension of 16 moves the cosine little.
    rng = np.random.default_rng(1)
    dim = 16
    questions, sentences, labels = [], [], []
    for n in range(400):
        q = rng.normal(size=dim)
        q /= np.linalg.norm(q)
        s = q + 0.5 * rng.normal(size=dim)
        positive = n % 2 == 0
        s[0] = abs(s[0]) * np.sign(q[0]) * (1 if positive else -1)
        questions.append(q)
        sentences.append(s / np.linalg.norm(s))
        labels.append(1.0 if positive else 0.0)
    model = fit_model(questions[:300], sentences[:300], labels[:300], [1.0] * 300)
    right = sum(
        ((model.logit(q, s) or 0.0) > 0) == (y == 1.0)
        for q, s, y in zip(questions[300:], sentences[300:], labels[300:], strict=True)
    )
    assert right >= 75
    # The cosine, even with the best threshold on the held-out rows, is near chance.
    cosine = np.array([float(q @ s) for q, s in zip(questions, sentences, strict=True)])
    y = np.array(labels)
    best = max(np.mean((cosine[300:] > t) == (y[300:] == 1.0)) for t in cosine)
    assert best < 0.65


def test_train_rows_take_the_gold_unit_against_its_passage_and_the_closest_other_passages() -> None:
    from bench.compatibility_model import train_rows

    units = np.array(
        [
            unit_vector(1.0, 0.1, 0.0),  # gold passage, holds the span
            unit_vector(1.0, 0.3, 0.0),  # gold passage, another sentence
            unit_vector(0.9, 0.0, 0.4),  # another passage, close to the question
            unit_vector(0.0, 0.0, 1.0),  # another passage, far
            unit_vector(0.8, 0.2, 0.1),  # a third passage, holds the span too: never negative
        ],
        dtype=np.float32,
    )
    docs = ["gold", "gold", "near", "far", "also"]
    texts = [
        "Dibayarkan 10 hari kerja sebelum hari raya.",
        "Pajak ditanggung pemerintah.",
        "Gedung kantor dicat putih.",
        "Pasar buka setiap hari.",
        "Paling cepat 10 hari kerja.",
    ]
    questions = np.array([unit_vector(1.0, 0.0, 0.0), unit_vector(1.0, 0.0, 0.0)], dtype=np.float32)
    qi, ui, y, w = train_rows(
        units, docs, texts, questions, ["gold", "gold"], [["10 hari kerja"], ["tidak ada"]]
    )
    # The second question's span stands in no unit of its gold passage: no rows.
    assert qi.tolist() == [0, 0, 0, 0]
    assert ui.tolist()[:2] == [0, 1]
    assert set(ui.tolist()[2:]) == {2, 3}  # the other passages' units, not the one with a span
    assert y.tolist() == [1.0, 0.0, 0.0, 0.0]
    assert w.tolist() == pytest.approx([1.0, 1 / 3, 1 / 3, 1 / 3])
