"""The latency benchmark's split of a question into stages (``--stages``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.latency import STAGES, StageClock, format_stages, measure, stage_names
from knowledge_base import index as index_module
from knowledge_base.embeddings import FakeEmbeddings
from knowledge_base.evaluation import open_scratch_index
from knowledge_base.index import KnowledgeIndex
from knowledge_base.schemas import ChunkInput, DocumentInput

QUESTIONS = [
    "Berapa hari verifikasi berkas izin usaha di Gampil?",
    "Bagaimana cara mengajukan izin usaha?",
    "Siapa yang menandatangani izin usaha?",
]


@pytest.fixture
def index(tmp_path: Path) -> KnowledgeIndex:
    built = open_scratch_index(FakeEmbeddings(), tmp_path)
    doc = DocumentInput("panduan-gampil", "Panduan Gampil", app="Gampil", language="id")
    texts = [
        "Panduan Gampil > Perizinan\nPemohon mengajukan izin usaha melalui menu Perizinan.",
        "Panduan Gampil > Verifikasi\nVerifikasi berkas selesai dalam tiga hari kerja.",
        "Panduan Gampil > Penandatanganan\nIzin usaha ditandatangani oleh kepala dinas.",
    ]
    built.replace_document(
        doc, [ChunkInput(t, f"Bagian {i}", i + 1, i) for i, t in enumerate(texts)]
    )
    return built


def test_each_stage_of_each_question_is_counted(index: KnowledgeIndex) -> None:
    clock = StageClock()
    measure(index, QUESTIONS, clock=clock)
    rows = {row["stage"]: row for row in clock.report(stage_names())}
    names = stage_names()
    assert list(rows) == [*names, "database statements (SQLAlchemy)"]
    for name in names:
        assert len(clock.spent[name]) == len(QUESTIONS)  # one value per question
    assert rows["question embedding"]["calls"] == 1.0  # the search embeds the question once
    assert rows["dense search (_dense)"]["calls"] == 1.0
    assert rows["keyword search (BM25)"]["calls"] == 1.0
    assert clock.calls["candidate rows (_hits)"] == [1] * len(QUESTIONS)
    assert rows["sentence choice (compose)"]["calls"] == 1.0
    assert rows["whole question"]["calls"] == 1.0
    whole = clock.spent["whole question"]
    inside = clock.spent["dense search (_dense)"]
    assert all(0 <= part <= total for part, total in zip(inside, whole, strict=True))
    for name in names:  # the wall-clock and the process's CPU, one value per question too
        assert len(clock.wall[name]) == len(clock.process[name]) == len(QUESTIONS)
    inside = clock.process["dense search (_dense)"]
    assert all(0 <= p <= t for p, t in zip(inside, clock.process["whole question"], strict=True))
    assert rows["whole question"]["wall_p50_ms"] == round(
        sorted(clock.wall["whole question"])[1], 3
    )  # the median of three
    assert all(n >= 2 for n in clock.statements)  # the revision, the passages' rows


def test_a_nested_call_of_a_stage_counts_its_time_once() -> None:
    clock = StageClock()

    def inner(n: int) -> int:
        return n if n == 0 else timed(n - 1)

    timed = clock.timed("recursive", inner)
    assert timed(3) == 0
    clock.question_done(["recursive"])
    assert clock.calls["recursive"] == [4]
    assert len(clock.spent["recursive"]) == 1


def test_the_stages_are_unwrapped_afterwards(index: KnowledgeIndex) -> None:
    real_fuse = index_module.fuse  # type: ignore[attr-defined]
    measure(index, QUESTIONS[:1], clock=StageClock())
    assert index_module.fuse is real_fuse  # type: ignore[attr-defined]
    for _, where, attr in STAGES:
        if where == "index":
            assert attr not in vars(index)
    clock = StageClock()
    measure(index, QUESTIONS[:1])  # not timed: nothing counts into any clock
    assert clock.spent == {}


def test_the_table_lists_every_stage() -> None:
    clock = StageClock()
    clock.question_done(["a"])
    table = format_stages(clock.report(["a"]))
    lines = table.splitlines()
    assert lines[0].split()[:1] == ["stage"]
    assert lines[0].split()[-1] == "calls" and "wall p50" in lines[0] and "proc p50" in lines[0]
    assert lines[1].startswith("a ") and lines[1].split()[1:] == ["0.000"] * 5 + ["0.0"]
    assert lines[2].startswith("database statements (SQLAlchemy)")


def test_each_timed_question_starts_without_the_kept_texts(
    index: KnowledgeIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bench import latency
    from knowledge_base import units

    index.normalizer.terms("Verifikasi berkas selesai.")
    units.passage_units("Judul > Bagian\nSatu kalimat.", "Judul", "Bagian")
    latency._forget_texts(index)
    assert not index.normalizer._terms
    assert units._passage_units.cache_info().currsize == 0
    forgotten: list[object] = []
    monkeypatch.setattr(latency, "_forget_texts", forgotten.append)
    measure(index, QUESTIONS, clock=StageClock())
    assert forgotten == [index] * len(QUESTIONS)  # the timed pass only
