"""How long the definitions of a long regulation take to search: ``python -m bench.articles``.

A meaning question ("Apa yang dimaksud dengan X?") has the definitions entries of the retrieved
regulations read for the one that defines X (``KnowledgeIndex.with_articles``). A regulation
is written synthetically into a scratch index (SQLite, Chroma on disk, the deterministic fake
embeddings: what is timed reads no vector): ``--passages`` passages, each a definitions
passage of ``--entries`` numbered entries ("N. Term adalah ...", every few one with a short
form), their terms made of Indonesian words of the TyDi QA corpus (``bench/data``), each term
defined once. Then ``with_articles`` is timed for a question on a term one passage defines, on
a term none defines, and on the regulation's enactment date (CPU of the process and wall
clock, the minimum of ``--repeat`` runs), and what it added is reported.

    python -m bench.articles --passages 5000 --entries 12 --json
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "bench" / "data" / "tydiqa-id" / "corpus.jsonl"


def _words(limit: int = 20_000) -> list[str]:
    """Distinct alphabetic words of four letters or more of the TyDi corpus, in order, none a
    stop word (a term of stop words only would be no term)."""
    from knowledge_base.keyword import TextNormalizer

    normalizer = TextNormalizer()
    seen: dict[str, None] = {}
    with CORPUS.open(encoding="utf-8") as lines:
        for line in lines:
            for word in re.findall(r"[a-z]{4,}", json.loads(line)["text"].lower()):
                if not normalizer.is_stopword(word):
                    seen.setdefault(word, None)
            if len(seen) >= limit:
                break
    return list(seen)


def regulation(passages: int, entries: int, seed: int = 7) -> tuple[list[str], list[str]]:
    """The passages' texts and every defined term, in order."""
    rng = random.Random(seed)
    words = _words()
    terms: list[str] = []
    used: set[str] = set()
    texts: list[str] = []
    for p in range(passages):
        parts = ["Dalam Peraturan Daerah ini yang dimaksud dengan:"]
        for e in range(entries):
            while True:
                term = " ".join(w.capitalize() for w in rng.sample(words, rng.randint(2, 4)))
                if term not in used:
                    used.add(term)
                    break
            terms.append(term)
            short = ""
            if e % 4 == 3:
                short = " yang selanjutnya disingkat " + "".join(w[0] for w in term.split()).upper()
            meaning = " ".join(rng.sample(words, 12))
            # Numbered as a long article is (up to three digits), then from 1 again.
            parts.append(f"{(p * entries + e) % 999 + 1}. {term}{short} adalah {meaning}.")
        texts.append(" ".join(parts))
    closing = "Ditetapkan di Bandung pada tanggal 3 Maret 2021 WALI KOTA BANDUNG"
    texts[-1] = f"{texts[-1]} {closing}"
    return texts, terms


def run(passages: int, entries: int, repeat: int) -> dict[str, Any]:
    from sqlalchemy import select

    from core.db import make_engine, make_session_factory
    from knowledge_base.embeddings import FakeEmbeddings
    from knowledge_base.index import KnowledgeIndex
    from knowledge_base.models import KbChunk
    from knowledge_base.question import analyse
    from knowledge_base.schemas import ChunkInput, DocumentInput, SearchHit
    from knowledge_base.vectorstore import VectorStore, make_client
    from services.database import upgrade

    texts, terms = regulation(passages, entries)
    work = Path(tempfile.mkdtemp(prefix="bench-articles-"))
    engine = make_engine(f"sqlite:///{work / 'bench.db'}")
    upgrade(engine)
    emb = FakeEmbeddings()
    store = VectorStore(make_client(chroma_url=None, chroma_dir=work / "chroma"), "bench", emb)
    index = KnowledgeIndex(make_session_factory(engine), emb, store)
    doc = DocumentInput("perda-1-2021", "Perda 1/2021", doc_type="regulation", language="id")
    started = time.perf_counter()
    index.replace_document(
        doc,
        [
            ChunkInput(text=f"{doc.title} > Pasal 1\n{t}", section="Pasal 1", page=1, position=i)
            for i, t in enumerate(texts)
        ],
    )
    written_s = time.perf_counter() - started
    with make_session_factory(engine)() as s:
        first = s.execute(select(KbChunk.chunk_id, KbChunk.text).where(KbChunk.position == 0)).one()
    hits = [SearchHit(first.chunk_id, doc.doc_id, doc.title, first.text, "Pasal 1", 1, 0, 1.0)]
    rng = random.Random(11)
    asked = rng.choice(terms[entries:])  # defined in a passage other than the first
    # A word the meanings use throughout: a question holding it opens every passage that
    # holds it (the passages' stored terms are all that is checked before the entries).
    counts: dict[str, int] = {}
    for text in texts:
        for word in set(text.lower().split()):
            counts[word] = counts.get(word, 0) + 1
    vocabulary = set(_words())
    common = max((w for w in counts if w in vocabulary), key=lambda w: (counts[w], w))
    questions = {
        "defined": f"Apa yang dimaksud dengan {asked}?",
        "undefined": "Apa yang dimaksud dengan hubungan kerja?",
        "common_word": f"Apa yang dimaksud dengan {common} {asked.split()[0]}?",
        "enactment": "Kapan Perda 1/2021 ditetapkan?",
    }
    out: dict[str, Any] = {
        "passages": passages,
        "entries": entries,
        "written_s": round(written_s, 1),
        "passages_holding_common_word": counts[common],
    }
    for name, question in questions.items():
        info, query = analyse(question), index.rewrite(question)
        cpu, wall = [], []
        added: list[str] = []
        for _ in range(repeat):
            c0, w0 = time.process_time(), time.perf_counter()
            found = index.with_articles(hits, info, query)
            cpu.append(time.process_time() - c0)
            wall.append(time.perf_counter() - w0)
            added = [h.text for h in found[1:]]
        out[name] = {
            "question": question,
            "cpu_ms": round(min(cpu) * 1000, 1),
            "wall_ms": round(min(wall) * 1000, 1),
            "added": len(added),
            "added_defines_it": bool(added)
            and bool(re.search(rf"\d\. {re.escape(asked)} (adalah|yang)", added[0]))
            if name == "defined"
            else None,
        }
    index.close()
    engine.dispose()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.articles", description=__doc__)
    parser.add_argument("--passages", type=int, default=5000)
    parser.add_argument("--entries", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    report = run(args.passages, args.entries, args.repeat)
    print(json.dumps(report) if args.json else "\n".join(f"{k}: {v}" for k, v in report.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
