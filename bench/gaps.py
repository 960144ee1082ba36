"""Grouping knowledge gaps at scale: ``python -m bench.gaps`` (``--full``: 100,000 questions).

Synthesises a question log the way officials fill it (a few hundred topics, each asked in many
wordings over months, with typos; about half unanswered, some rated unhelpful) and measures:

* the grouping rule alone: the indexed grouping (:func:`knowledge_base.gaps.assign`) against
  the previous one that compared every question with every group found so far
  (``token_set_ratio >= 80``), at growing sizes (the old one only up to where it stays bearable);
* the whole path a trainer waits for: ``GapService.gaps()`` on SQLite over the full log (the
  first call groups every gap question and stores the groups), then again after 100 new
  questions (only those are grouped).

Wall-clock figures depend on the machine and its load; the script prints the load average.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rapidfuzz import fuzz
from sqlalchemy import insert

from core.clock import FixedClock
from core.config import Settings
from knowledge_base.gaps import LoggedQuestion, assign, terms_of
from knowledge_base.keyword import TextNormalizer
from knowledge_base.models import KbFeedback, KbQuestion
from services import Services

APPS = ["gampil", "hayu", "bdg", "erk", "sabilulungan", "budgeting"]
TOPICS = [
    "daftar akun", "lupa kata sandi", "ubah nomor ponsel", "syarat izin usaha", "tarif retribusi",
    "cetak izin", "verifikasi berkas", "unggah dokumen", "format berkas", "batas ukuran unggah",
    "laporan kinerja harian", "hitung tunjangan", "atasan setuju aktivitas", "hibah syarat",
    "jadwal hibah", "penerima bantuan", "revisi anggaran", "rka setuju", "server minimal",
    "instal aplikasi", "salin basis data", "akses operator", "tambah pengguna", "hapus akun",
    "notifikasi email", "kode otp", "aduan warga", "tindak lanjut aduan", "integrasi dukcapil",
    "tanda tangan elektronik", "biaya lisensi", "kode sumber", "pelatihan petugas", "uji coba",
]  # fmt: skip
FILLERS = ["bagaimana", "cara", "apa", "kapan", "berapa", "mengapa", "apakah", "bisa", "tolong"]
WORDS = [
    "izin", "akun", "berkas", "data", "menu", "laporan", "jadwal", "biaya", "petugas", "dinas",
    "warga", "kantor", "server", "kinerja", "aplikasi", "layanan", "sistem", "portal", "modul",
]  # fmt: skip
START = datetime(2026, 1, 1, tzinfo=UTC)


def log(n: int, seed: int = 7) -> list[tuple[str, bool, bool, datetime]]:
    """``n`` questions: (question, found, rated unhelpful, asked at)."""
    rng = random.Random(seed)
    topics = [f"{t} {rng.choice(APPS)}" for t in TOPICS for _ in range(12)]  # ~400 topics
    syllables = [c + v for c in "bcdghjklmnprstw" for v in "aiueo"]
    made_up = {"".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(3000)}
    vocabulary = [*WORDS, *sorted({w for t in TOPICS for w in t.split()}), *sorted(made_up)]
    rows = []
    for i in range(n):
        if rng.random() < 0.4:  # the long tail: questions asked once or twice
            words = [rng.choice(FILLERS), *rng.sample(vocabulary, rng.randint(2, 5))]
        else:
            words = [rng.choice(FILLERS), *rng.choice(topics).split()]
            words += rng.sample(WORDS, rng.randint(0, 2))
        if rng.random() < 0.15:  # a typo
            j = rng.randrange(len(words))
            w = words[j]
            if len(w) > 4:
                k = rng.randrange(1, len(w) - 1)
                words[j] = w[:k] + w[k + 1 :]
        rng.shuffle(words[1:])
        found = rng.random() < 0.5
        unhelpful = found and rng.random() < 0.1
        rows.append((" ".join(words) + "?", found, unhelpful, START + timedelta(minutes=3 * i)))
    return rows


def old_grouping(signatures: list[str], similarity: float = 80.0) -> int:
    """The previous grouping: each question against every group found so far."""
    groups: list[str] = []
    for norm in signatures:
        for group in groups:
            if fuzz.token_set_ratio(norm, group) >= similarity:
                break
        else:
            groups.append(norm)
    return len(groups)


def rule_only(sizes: list[int], old_limit: int) -> None:
    normalizer = TextNormalizer()
    rows = log(max(sizes))
    signatures = [normalizer.signature(q) for q, found, _, _ in rows if not found]
    print(f"gap questions in the largest log: {len(signatures)} of {max(sizes)}")
    for size in sizes:
        part = signatures[: size // 2]  # about half of a log are gap questions
        questions = [LoggedQuestion(i, terms_of(s)) for i, s in enumerate(part)]
        started = time.perf_counter()
        grouping = assign([], questions)
        new = time.perf_counter() - started
        groups = len(grouping.new_groups)
        line = f"  {size:>7} logged ({len(part)} gaps): indexed {new:6.2f} s, {groups} groups"
        if size <= old_limit:
            started = time.perf_counter()
            count = old_grouping(part)
            old = time.perf_counter() - started
            line += f"; every pair {old:7.2f} s, {count} groups"
        print(line, flush=True)


def service_path(n: int) -> None:
    normalizer = TextNormalizer()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=Path(tmp), embedding_backend="fake")  # type: ignore[call-arg]
        clock = FixedClock(START + timedelta(days=400))
        services = Services(settings, clock=clock)
        try:
            rows = log(n)
            values = [
                {
                    "asked_at": at, "asked_by": "tg:1", "question": q,
                    "normalized": normalizer.signature(q), "language": "id", "found": found,
                    "top_score": None, "answer": "-", "filters": {}, "citations": [],
                }
                for q, found, _, at in rows
            ]  # fmt: skip
            with services.session_factory.begin() as s:
                for start in range(0, len(values), 5000):
                    s.execute(insert(KbQuestion), values[start : start + 5000])
                unhelpful = [
                    {"question_id": i + 1, "user": "tg:1", "helpful": False, "at": rows[i][3]}
                    for i, (_, _, bad, _) in enumerate(rows)
                    if bad
                ]
                if unhelpful:
                    s.execute(insert(KbFeedback), unhelpful)
            started = time.perf_counter()
            gaps = services.gaps.gaps(20)
            first = time.perf_counter() - started
            print(f"  GapService.gaps(), {n} logged, first call (groups all): {first:.2f} s, "
                  f"top gap x{gaps[0].count}")  # fmt: skip
            for question in log(100, seed=99):
                services.knowledge.ask(question[0], asked_by="tg:2")
            started = time.perf_counter()
            services.gaps.gaps(20)
            again = time.perf_counter() - started
            print(f"  GapService.gaps() after 100 new questions: {again:.2f} s")
            started = time.perf_counter()
            services.gaps.answer_rates(6)
            print(f"  GapService.answer_rates(6): {time.perf_counter() - started:.2f} s")
        finally:
            services.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.gaps", description=__doc__)
    parser.add_argument("--full", action="store_true", help="up to 100,000 logged questions")
    args = parser.parse_args(argv)
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    sizes = [2_000, 10_000, 100_000] if args.full else [2_000, 10_000]
    print("the grouping rule alone:")
    rule_only(sizes, old_limit=100_000 if args.full else 10_000)
    print("the whole path (SQLite):")
    service_path(sizes[-1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
