"""A learned question/sentence compatibility over e5 vectors, as a refusal feature: measured.

``python -m bench.answer_model compatibility --workdir W`` reports the model's
cross-validated AUC on its own rows against the plain cosine's, and ``refusal --compatibility``
adds its held-out score of the chosen unit to the refusal model's features (the product's
judge does not read it: measured and dropped, docs/benchmarks.md, "ninth round").

The idea: a near-miss question (another entity, number or relation than its passage gives)
finds the sentence its answerable twin would be answered by, and about as close, because the
cosine sums every dimension alike. A logistic model over the element-wise product and the
absolute difference of the question's and the sentence's vectors (``[q * s, |q - s|]``)
weighs the dimensions instead.

Rows, from the questions of TyDi QA valid and gov-id dev as the product retrieved them
(``collect``): an answerable question's gold unit (the closest holding a gold span) is a
positive; its closest other units, and the chosen and closest units of a near-miss question,
are negatives. The near-miss negatives weigh as much as the positives together, the wrong
units of answerable questions :data:`WRONG_WEIGHT` of that. Folds are by passage
(:func:`group_of`), so a near-miss and its answerable twin are never on both sides.

``compatibility --train`` fits the same model on rows of TyDi **train** instead
(:func:`train_rows`: the gold unit against the other units of its passage and the best units
of the closest other passages) and ``refusal --compatibility-train`` adds its score, already
held out for TyDi valid and gov-id dev: it ranks TyDi's held-out sentences better than the
cosine, and adds nothing to the refusal (docs/benchmarks.md, "twelfth round").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

WRONG_WEIGHT = 0.5
"""The wrong units of answerable questions weigh this share of the positives together."""
NEAR_MISS_UNITS = 2
"""A near-miss question gives its chosen unit and this many of its closest units as
negatives."""
WRONG_UNITS = 3
"""An answerable question gives this many of its closest wrong units as negatives."""
L2 = 10.0
"""Ridge penalty on the standardised features (per row weight summed to one)."""
COMPONENTS: int | None = None
"""Project the vectors onto this many principal directions first (``None``: all)."""


CLIP = 8.0
"""The model's logit is read within +-this, divided by it (one feature in -1..1)."""


def pair_features(question: npt.ArrayLike, sentence: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """``[q * s, |q - s|]`` of the two unit-normalised vectors (rows of a matrix for many)."""
    q = _normalised(np.asarray(question, dtype=np.float64))
    s = _normalised(np.asarray(sentence, dtype=np.float64))
    return np.concatenate([q * s, np.abs(q - s)], axis=-1)


def _normalised(v: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    norm = np.linalg.norm(v, axis=-1, keepdims=True)
    return np.asarray(v / np.where(norm > 0, norm, 1.0))


@dataclass(frozen=True)
class CompatibilityModel:
    """A fitted logistic model over :func:`pair_features` (standardised)."""

    weights: npt.NDArray[np.float64]
    bias: float
    mean: npt.NDArray[np.float64]
    scale: npt.NDArray[np.float64]
    basis: npt.NDArray[np.float64] | None = None
    """Vectors are first projected onto these columns (leading principal directions)."""

    @property
    def dimensions(self) -> int:
        return int(self.basis.shape[0] if self.basis is not None else self.weights.size // 2)

    def logit(self, question: npt.ArrayLike, sentence: npt.ArrayLike) -> float | None:
        """The logit that ``sentence`` answers ``question``; ``None`` for another width."""
        q = np.asarray(question, dtype=np.float64).ravel()
        s = np.asarray(sentence, dtype=np.float64).ravel()
        if q.size != self.dimensions or s.size != self.dimensions:
            return None
        if self.basis is not None:
            q, s = q @ self.basis, s @ self.basis
        x = (pair_features(q, s) - self.mean) / self.scale
        return float(x @ self.weights + self.bias)


def chosen_unit_vector(result: Any, composed: Any) -> Any | None:
    """The stored vector of the answer's quoted unit closest to the question (the unit whose
    cosine ``Evidence.cosine`` reads), from the vectors the search read; ``None`` without."""
    from knowledge_base.units import passage_units, unit_key

    if result.query_vector is None or not result.unit_vectors:
        return None
    q = np.asarray(result.query_vector, dtype=np.float32).ravel()
    hits = {h.chunk_id: h for h in result.hits}
    best: tuple[float, Any] | None = None
    for citation in composed.citations:
        hit = hits.get(citation.chunk_id)
        vectors = result.unit_vectors.get(citation.chunk_id)
        if hit is None or not vectors:
            continue
        for unit in passage_units(hit.text, hit.title, hit.section):
            span = unit.span
            if not any(a < span.end and span.start < b for a, b in citation.quotes):
                continue
            vector = vectors.get(unit_key(unit.read))
            if vector is None or np.asarray(vector).size != q.size:
                continue
            cosine = float(np.asarray(vector, dtype=np.float32) @ q)
            if best is None or cosine > best[0]:
                best = (cosine, vector)
    return None if best is None else best[1]


def compatibility_feature(result: Any, composed: Any, model: CompatibilityModel) -> float:
    """The model's logit for the chosen unit, clipped to :data:`CLIP` and divided by it;
    0.0 (undecided) without the vectors."""
    vector = chosen_unit_vector(result, composed)
    logit = None if vector is None else model.logit(result.query_vector, vector)
    if logit is None:
        return 0.0
    return max(-CLIP, min(CLIP, logit)) / CLIP


def group_of(case: Any) -> str:
    """The passage (document) a case is about: its gold document, else the first retrieved."""
    if case.doc:
        return str(case.doc)
    hits = case.result.hits
    return str(hits[0].doc_id) if hits else str(case.case_id)


def fold_of(cases: Sequence[Any], folds: int) -> np.ndarray:
    """Each case's fold, by :func:`group_of`."""
    keys = [group_of(c) for c in cases]
    order = {k: i % folds for i, k in enumerate(sorted(set(keys)))}
    return np.array([order[k] for k in keys], dtype=np.int64)


def _units(case: Any) -> list[tuple[Any, str, float]]:
    """Every unit of the retrieved passages with a stored vector: (vector, text, cosine)."""
    from knowledge_base.units import passage_units, unit_key

    result = case.result
    q = result.query_vector
    if q is None:
        return []
    q = np.asarray(q, dtype=np.float32).ravel()
    out = []
    for hit in result.hits:
        vectors = result.unit_vectors.get(hit.chunk_id) or {}
        for unit in passage_units(hit.text, hit.title, hit.section):
            if unit.header:
                continue
            v = vectors.get(unit_key(unit.read))
            if v is None or np.asarray(v).size != q.size:
                continue
            out.append((v, unit.read, float(np.asarray(v, dtype=np.float32) @ q)))
    return out


def case_rows(judged: Any) -> tuple[list[Any], list[float], list[float]]:
    """The rows a judged case gives: (unit vectors, labels, weights before balancing)."""
    from knowledge_base.evaluation import contains_answer

    case = judged.case
    units = _units(case)
    if not units:
        return [], [], []
    vectors: list[Any] = []
    labels: list[float] = []
    if case.answerable:
        if not case.answers:
            return [], [], []
        holds = [contains_answer(u[1], case.answers) for u in units]
        gold = [u for u, h in zip(units, holds, strict=True) if h]
        if not gold:
            return [], [], []
        best_gold = max(gold, key=lambda u: u[2])
        others = [u for u, h in zip(units, holds, strict=True) if not h]
        wrong = sorted(others, key=lambda u: -u[2])[:WRONG_UNITS]
        vectors = [best_gold[0], *[u[0] for u in wrong]]
        labels = [1.0, *[0.0] * len(wrong)]
        weights = [1.0, *[WRONG_WEIGHT / max(len(wrong), 1)] * len(wrong)]
        return vectors, labels, weights
    chosen = chosen_unit_vector(case.result, judged.composed) if judged.composed else None
    closest = sorted(units, key=lambda u: -u[2])
    picked = [chosen] if chosen is not None else []
    picked += [u[0] for u in closest if chosen is None or u[0] is not chosen][:NEAR_MISS_UNITS]
    return picked, [0.0] * len(picked), [1.0 / len(picked)] * len(picked)


def fit_model(
    questions: npt.ArrayLike,
    vectors: npt.ArrayLike,
    labels: npt.ArrayLike,
    weights: npt.ArrayLike,
) -> CompatibilityModel:
    """A :class:`CompatibilityModel` fitted on the rows (question vector, unit vector, label,
    weight); positives and negatives weigh alike."""
    from scipy.optimize import minimize

    q_all = np.asarray(questions, dtype=np.float64)
    s_all = np.asarray(vectors, dtype=np.float64)
    basis = None
    if COMPONENTS is not None:
        stacked = np.vstack([q_all, s_all])
        _, _, vt = np.linalg.svd(stacked - stacked.mean(axis=0), full_matrices=False)
        basis = vt[:COMPONENTS].T
        q_all, s_all = q_all @ basis, s_all @ basis
    x = pair_features(q_all, s_all)
    y = np.asarray(labels, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    w = np.where(y == 1, w / w[y == 1].sum(), w / w[y == 0].sum())
    mean = x.mean(axis=0)
    scale = x.std(axis=0) + 1e-6
    xs = (x - mean) / scale
    total = w.sum()

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        z = xs @ theta[1:] + theta[0]
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
        value = -float(np.sum(w * (y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12))))
        grad = np.concatenate([[np.sum(w * (p - y))], xs.T @ (w * (p - y))]) / total
        reg = L2 * theta[1:] / len(theta)
        return (
            value / total + 0.5 * L2 * float(theta[1:] @ theta[1:]) / len(theta),
            grad + np.concatenate([[0.0], reg]),
        )

    theta = minimize(loss, np.zeros(xs.shape[1] + 1), jac=True, method="L-BFGS-B").x
    return CompatibilityModel(
        weights=np.asarray(theta[1:]),
        bias=float(theta[0]),
        mean=mean,
        scale=scale,
        basis=basis,
    )


def _rows(
    judged: Sequence[Any],
) -> tuple[list[Any], list[Any], list[float], list[float], list[int]]:
    qs: list[Any] = []
    vs: list[Any] = []
    ys: list[float] = []
    ws: list[float] = []
    owner: list[int] = []
    for i, j in enumerate(judged):
        vectors, labels, weights = case_rows(j)
        q = j.case.result.query_vector
        for v, y, w in zip(vectors, labels, weights, strict=True):
            qs.append(np.asarray(q, dtype=np.float32).ravel())
            vs.append(np.asarray(v, dtype=np.float32).ravel())
            ys.append(y)
            ws.append(w)
            owner.append(i)
    return qs, vs, ys, ws, owner


def held_out_scores(judged: Sequence[Any], fold: np.ndarray) -> np.ndarray:
    """Each judged case's compatibility feature (:func:`compatibility_feature`) from a model
    fitted without its fold."""
    qs, vs, ys, ws, owner = _rows(judged)
    row_fold = fold[np.asarray(owner, dtype=np.int64)]
    out = np.zeros(len(judged))
    for k in sorted(set(fold.tolist())):
        keep = row_fold != k
        model = fit_model(
            [qs[i] for i in np.flatnonzero(keep)],
            [vs[i] for i in np.flatnonzero(keep)],
            [ys[i] for i in np.flatnonzero(keep)],
            [ws[i] for i in np.flatnonzero(keep)],
        )
        for i in np.flatnonzero(fold == k):
            j = judged[i]
            if j.composed is not None:
                out[i] = compatibility_feature(j.case.result, j.composed, model)
    return out


def row_auc(judged: Sequence[Any], fold: np.ndarray) -> dict[str, float]:
    """Cross-validated AUC of the model on its own rows (by set), and of the plain cosine."""
    from bench.refusal_model import _auc

    qs, vs, ys, ws, owner = _rows(judged)
    owner_a = np.asarray(owner, dtype=np.int64)
    row_fold = fold[owner_a]
    y = np.asarray(ys)
    scores = np.zeros(len(ys))
    for k in sorted(set(fold.tolist())):
        keep = row_fold != k
        idx = np.flatnonzero(keep)
        model = fit_model([qs[i] for i in idx], [vs[i] for i in idx], y[idx], [ws[i] for i in idx])
        held = np.flatnonzero(~keep)
        if not len(held):
            continue
        scores[held] = [model.logit(qs[i], vs[i]) for i in held]
    cosine = np.array([float(np.dot(q, v)) for q, v in zip(qs, vs, strict=True)])
    corpus = np.array([judged[i].case.corpus for i in owner])
    out: dict[str, float] = {}
    for name in ("tydi", "gov"):
        m = corpus == name
        out[f"{name}_model"] = _auc(scores[m], y[m])
        out[f"{name}_cosine"] = _auc(cosine[m], y[m])
    return out


SAME_PASSAGE_UNITS = 5
"""Training rows from TyDi train: a question's closest wrong units of its gold passage."""
HARD_PASSAGES = 3
"""... and the best unit of each of this many closest other passages (hard negatives)."""


def train_rows(
    unit_vectors: npt.NDArray[np.float32],
    unit_docs: Sequence[str],
    unit_texts: Sequence[str],
    questions: npt.NDArray[np.float32],
    gold_docs: Sequence[str],
    answers: Sequence[Sequence[str]],
) -> tuple[
    npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.float64]
]:
    """Rows of (question index, unit index, label, weight) from questions with a gold passage
    and answer spans (TyDi train): the gold passage's unit holding a span closest to the
    question is the positive; its :data:`SAME_PASSAGE_UNITS` closest units without a span and
    the closest unit of each of the :data:`HARD_PASSAGES` closest other passages (by their
    best unit, without a span) are negatives, weighing together as much as the positive.
    A question whose gold passage holds no span in any unit gives no rows."""
    from knowledge_base.evaluation import contains_answer

    docs = np.asarray(unit_docs)
    by_doc: dict[str, list[int]] = {}
    for i, doc in enumerate(unit_docs):
        by_doc.setdefault(doc, []).append(i)
    qi: list[int] = []
    ui: list[int] = []
    ys: list[float] = []
    ws: list[float] = []
    for k, (gold, spans) in enumerate(zip(gold_docs, answers, strict=True)):
        own = by_doc.get(gold, [])
        if not own or not spans:
            continue
        cos = unit_vectors @ questions[k]
        holds = {i: contains_answer(unit_texts[i], spans) for i in own}
        positives = [i for i in own if holds[i]]
        if not positives:
            continue
        best = max(positives, key=lambda i: cos[i])
        wrong = sorted((i for i in own if not holds[i]), key=lambda i: -cos[i])
        negatives = wrong[:SAME_PASSAGE_UNITS]
        seen = {gold}
        hard: list[int] = []
        for i in np.argsort(-cos):
            if len(hard) == HARD_PASSAGES:
                break
            if docs[i] in seen:
                continue
            seen.add(str(docs[i]))
            if not contains_answer(unit_texts[i], spans):
                hard.append(int(i))
        negatives += hard
        if not negatives:
            continue
        qi += [k] * (1 + len(negatives))
        ui += [best, *negatives]
        ys += [1.0] + [0.0] * len(negatives)
        ws += [1.0] + [1.0 / len(negatives)] * len(negatives)
    return (
        np.asarray(qi, dtype=np.int64),
        np.asarray(ui, dtype=np.int64),
        np.asarray(ys, dtype=np.float64),
        np.asarray(ws, dtype=np.float64),
    )
