"""The refusal model: "does the chosen answer answer the question?", calibrated.

Used by ``python -m bench.answer_model refusal``. Every question of TyDi QA valid (answerable
and IDK-MRC's near-miss unanswerable ones) and of gov-id dev goes through the answer's
composition (with the unit weights in force) and the judge's fixed checks (another year,
another regulation, a name the index never saw, a negated restriction); the questions that
pass are described by ``knowledge_base.judge.refusal_features`` and a logistic regression
learns answerable against unanswerable, the two sets weighted equally, cross-validated
(gov-id by document). The report gives the answered / refused trade-off per set at each
probability threshold, on the cross-validated probabilities.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np


@dataclass
class Judged:
    case: Any
    features: list[float] | None
    """``None``: refused by a fixed check (or nothing retrieved)."""
    hit: bool
    reason: str = ""
    composed: Any = None
    """The composed answer (``None`` when nothing was retrieved)."""


def judge_cases(cases: Sequence[Any], *, unknown_rule: bool = True) -> list[Judged]:
    from knowledge_base.answer import compose
    from knowledge_base.evaluation import contains_answer
    from knowledge_base.judge import DEFAULT_JUDGE, judge_answer, refusal_features
    from knowledge_base.keyword import TextNormalizer
    from knowledge_base.question import analyse

    norm = TextNormalizer()
    fixed_only = replace(
        DEFAULT_JUDGE, calibrated=True, answer_probability=-1.0, unknown_rule=unknown_rule
    )
    out: list[Judged] = []
    for case in cases:
        result = case.result
        query = result.query
        info = analyse(query.text)
        composed = compose(
            query.text,
            list(result.hits),
            terms=norm.terms,
            idf=lambda t, c=case: c.idf.get(t, 0.0),
            language=case.language,
            concepts=case.concepts,
            info=info,
            similarity=case.similarity,
        )
        verdict = judge_answer(
            result,
            composed,
            info,
            terms=norm.terms,
            known=lambda t, c=case: c.known.get(t, False),
            synonyms=[c.alternatives for c in query.concepts],
            config=fixed_only,
            similarity=case.similarity,
        )
        hit = bool(case.answers) and contains_answer(composed.text, case.answers)
        if not verdict.answer:
            out.append(Judged(case, None, hit, verdict.reason, composed))
            continue
        features = refusal_features(
            result,
            composed,
            info,
            terms=norm.terms,
            known=lambda t, c=case: c.known.get(t, False),
            similarity=case.similarity,
        )
        out.append(Judged(case, features, hit, "", composed))
    return out


def _logistic(x: np.ndarray, y: np.ndarray, w: np.ndarray, l2: float = 1e-2) -> np.ndarray:
    from scipy.optimize import minimize

    xb = np.hstack([np.ones((len(x), 1)), x])

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        z = xb @ theta
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
        value = -float(np.sum(w * (y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12))))
        grad = xb.T @ (w * (p - y))
        reg = l2 * theta
        reg[0] = 0.0
        return value / w.sum() + 0.5 * l2 * float(theta[1:] @ theta[1:]), grad / w.sum() + reg

    return np.asarray(minimize(loss, np.zeros(xb.shape[1]), jac=True, method="L-BFGS-B").x)


def _probability(theta: np.ndarray, x: np.ndarray) -> np.ndarray:
    z = theta[0] + x @ theta[1:]
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -30, 30))))


def _group(case: Any) -> str:
    """The set a case is reported in: ``tydi``, ``gov`` (dev) or ``offtopic`` (chit-chat and
    off-topic questions asked of the gov-id documents)."""
    return "offtopic" if case.split == "offtopic" else str(case.corpus)


def fit_refusal(
    all_cases: Sequence[Any],
    folds: int = 5,
    *,
    without: Sequence[str] = (),
    unknown_rule: bool = True,
    offtopic: bool = True,
    seed: int | None = None,
    compatibility: bool = False,
    compatibility_model: Any = None,
) -> dict[str, Any]:
    """Fit the refusal model; ``without`` names features held at zero (to measure each).

    Args:
        unknown_rule: keep the judge's fixed "mostly unknown words" check.
        offtopic: learn from the chit-chat and off-topic questions too (as negatives of the
            gov-id set; always reported, under ``offtopic``).
        seed: shuffle the passages' assignment to folds (``None``: in order of their ids).
        compatibility: add the learned question/sentence compatibility of the chosen unit
            (``bench.compatibility_model``) as one more feature, held out: in each fold from
            a compatibility model fitted without that fold (measured and dropped; the
            judge does not read it).
        compatibility_model: a :class:`~bench.compatibility_model.CompatibilityModel`
            fitted on other questions (TyDi train): its score of the chosen unit is the added
            feature, already held out for TyDi valid and gov-id dev (measured and dropped).
    """
    from bench.compatibility_model import compatibility_feature, group_of, held_out_scores
    from knowledge_base.judge import REFUSAL_FEATURES

    cases = [c for c in all_cases if c.split in ("valid", "dev", "offtopic")]
    judged = judge_cases(cases, unknown_rule=unknown_rule)
    usable = [j for j in judged if j.features is not None]
    learned = np.array([offtopic or j.case.split != "offtopic" for j in usable])
    x = np.array([j.features for j in usable], dtype=np.float64)
    # Folds by passage: gov-id by document, TyDi by the passage a question is about (a
    # near-miss carries none and falls with the passage it retrieved first, which is its
    # answerable twin's).
    keys = [group_of(j.case) for j in usable]
    groups = sorted(set(keys))
    if seed is not None:
        np.random.default_rng(seed).shuffle(groups)
    order = {k: i % folds for i, k in enumerate(groups)}
    fold = np.array([order[k] for k in keys])
    names = tuple(REFUSAL_FEATURES)
    if compatibility and len(x):
        x = np.column_stack([x, held_out_scores(usable, fold)])
        names = (*names, "compatibility")
    elif compatibility_model is not None and len(x):
        scores = [
            compatibility_feature(j.case.result, j.composed, compatibility_model) for j in usable
        ]
        x = np.column_stack([x, scores])
        names = (*names, "compatibility")
    dropped = [names.index(name) for name in without]
    if dropped and len(x):
        x[:, dropped] = 0.0
    y = np.array([1.0 if j.case.answerable else 0.0 for j in usable])
    corpus = np.array([j.case.corpus for j in usable])
    sizes = {c: sum(1 for j in judged if j.case.corpus == c) for c in ("tydi", "gov")}
    w = np.array([1.0 / sizes[c] for c in corpus]) * len(usable)
    cv = np.zeros(len(usable))
    for k in range(folds):
        train = (fold != k) & learned
        theta = _logistic(x[train], y[train], w[train])
        cv[fold == k] = _probability(theta, x[fold == k])
    theta = _logistic(x[learned], y[learned], w[learned])
    fitted = _probability(theta, x)
    curve = []
    for t in [0.0, *np.round(np.arange(0.2, 0.85, 0.0125), 4).tolist()]:
        row: dict[str, Any] = {"threshold": t}
        for name in ("tydi", "gov", "offtopic"):
            part = [j for j in judged if _group(j.case) == name]
            answerable = [j for j in part if j.case.answerable]
            unanswerable = [j for j in part if not j.case.answerable]
            prob = {id(j): p for j, p in zip(usable, cv, strict=True)}
            answered = [j for j in answerable if j.features is not None and prob[id(j)] >= t]
            refused = [j for j in unanswerable if j.features is None or prob[id(j)] < t]
            row[name] = {
                "answered": round(len(answered) / max(len(answerable), 1), 3),
                "refused": round(len(refused) / max(len(unanswerable), 1), 3),
                "hit": round(sum(j.hit for j in answered) / max(len(answerable), 1), 3),
            }
        curve.append(row)
    fixed = {
        name: {
            "answerable_refused": sum(
                1 for j in judged if _group(j.case) == name and j.case.answerable and not j.features
            ),
            "unanswerable_refused": sum(
                1
                for j in judged
                if _group(j.case) == name and not j.case.answerable and not j.features
            ),
        }
        for name in ("tydi", "gov", "offtopic")
    }
    return {
        "cases": len(judged),
        "fixed_checks": fixed,
        "curve_cross_validated": curve,
        "in_sample_auc": _auc(fitted[learned], y[learned]),
        "cross_validated_auc": _auc(cv[learned], y[learned]),
        "cross_validated_auc_by_set": {
            name: _auc(cv[learned & (corpus == name)], y[learned & (corpus == name)])
            for name in ("tydi", "gov")
        },
        "weights": dict(
            zip(("intercept", *names), [round(float(v), 3) for v in theta], strict=True)
        ),
        "REFUSAL_WEIGHTS": "(" + ", ".join(f"{v:.3f}" for v in theta) + ")",
    }


def _auc(p: np.ndarray, y: np.ndarray) -> float:
    pos = p[y == 1]
    neg = p[y == 0]
    if not len(pos) or not len(neg):
        return 0.0
    wins = sum(float(np.sum(q > neg)) + 0.5 * float(np.sum(q == neg)) for q in pos)
    return round(wins / (len(pos) * len(neg)), 4)
