"""KnowledgeService: cited answers, honest "not found", the gap log, feedback, follow-ups."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from core.clock import FixedClock
from core.config import Settings
from core.db import make_session_factory
from knowledge_base import index as index_module
from knowledge_base.errors import (
    CitationNotFound,
    DocumentNotFound,
    EmptyQuestion,
    QuestionNotFound,
)
from knowledge_base.llm import LlmAnswerer
from knowledge_base.models import KbIndexMeta
from knowledge_base.pg_keyword import PostgresKeywordStore
from knowledge_base.schemas import ChunkInput, DocumentInput, SearchFilters
from knowledge_base.terms_upgrade import TERMS_META
from services import Services
from services.knowledge import Turn
from tests.fakes.tracker import OPERATOR

GAMPIL = DocumentInput(
    "panduan-gampil", "Panduan Gampil", app="Gampil", doc_type="manual", language="id"
)
ERK = DocumentInput("erk-guide", "e-RK guide", app="e-RK", doc_type="manual", language="en")


def seed(services: Services) -> None:
    services.index.replace_document(
        GAMPIL,
        [
            ChunkInput(
                "Panduan Gampil > Izin\nPengajuan izin usaha dilakukan melalui menu "
                "Perizinan. Petugas memverifikasi berkas dalam tiga hari kerja.",
                "Izin",
                4,
                0,
            ),
            ChunkInput(
                "Panduan Gampil > Masuk\nMasuk ke Gampil dengan NIK dan kata sandi.", "Masuk", 2, 1
            ),
        ],
    )
    services.index.replace_document(
        ERK,
        [
            ChunkInput(
                "e-RK guide > Targets\nYearly performance targets are entered in e-RK by "
                "the head of the agency.",
                "Targets",
                None,
                0,
            ),
        ],
    )


def test_answer_with_citations_and_passage(services: Services) -> None:
    seed(services)
    answer = services.knowledge.ask("Berapa lama verifikasi berkas izin usaha?", asked_by="tg:1")
    assert answer.found and answer.language == "id"
    assert "tiga hari kerja" in answer.answer and "[1]" in answer.answer
    (citation,) = answer.citations
    assert (citation.doc_id, citation.title, citation.section, citation.page) == (
        "panduan-gampil",
        "Panduan Gampil",
        "Izin",
        4,
    )
    assert answer.question_id is not None
    passage = services.knowledge.citation_passage(answer.question_id, 1)
    assert "Perizinan" in passage
    with pytest.raises(CitationNotFound):
        services.knowledge.citation_passage(answer.question_id, 2)
    with pytest.raises(QuestionNotFound):
        services.knowledge.citation_passage(999, 1)


def test_unknown_question_is_not_found_and_becomes_a_gap(services: Services) -> None:
    seed(services)
    answer = services.knowledge.ask("Kapan jadwal kereta api ke Surabaya?")
    assert not answer.found and answer.citations == ()
    assert "belum ada di basis pengetahuan" in answer.answer
    english = services.knowledge.ask("When does the train to Surabaya leave?")
    assert not english.found and "does not contain" in english.answer
    gaps = services.knowledge.gaps()
    assert sum(g.count for g in gaps) == 2
    assert all(g.not_found == g.count for g in gaps)


def test_similar_gaps_are_grouped(services: Services) -> None:
    seed(services)
    for q in (
        "Bagaimana cara membuat akun e-budgeting?",
        "bagaimana membuat akun e-budgeting",
        "Siapa pengelola anggaran desa?",
    ):
        services.knowledge.ask(q)
    gaps = services.knowledge.gaps()
    assert [g.count for g in gaps] == [2, 1]
    assert len(gaps[0].examples) == 2


def test_thumbs_down_answers_are_gaps_and_votes_can_change(services: Services) -> None:
    seed(services)
    services.access.add_user(1, "trainer", name="Pelatih")  # a voter has an account
    answer = services.knowledge.ask("Berapa lama verifikasi berkas izin usaha?")
    assert answer.question_id is not None
    services.knowledge.feedback(answer.question_id, False, user="tg:1")
    (gap,) = services.knowledge.gaps()
    assert gap.unhelpful == 1 and gap.not_found == 0
    services.knowledge.feedback(answer.question_id, True, user="tg:1")
    assert services.knowledge.gaps() == []
    with pytest.raises(QuestionNotFound):
        services.knowledge.feedback(12345, True, user="tg:1")


def test_filters_restrict_the_sources(services: Services) -> None:
    seed(services)
    answer = services.knowledge.ask("izin usaha", filters=SearchFilters(app="e-RK"))
    assert all(c.doc_id == "erk-guide" for c in answer.citations)
    answer = services.knowledge.ask("targets", filters=SearchFilters(language="en"))
    assert answer.found and answer.citations[0].doc_id == "erk-guide"


def test_follow_up_uses_the_previous_question(services: Services) -> None:
    seed(services)
    alone = services.knowledge.ask("dan itu berapa lama?")
    follow = services.knowledge.ask(
        "dan itu berapa lama?", history=[Turn("Bagaimana verifikasi berkas izin usaha?")]
    )
    assert follow.found and follow.citations[0].doc_id == "panduan-gampil"
    assert not alone.found


def test_english_question_with_indonesian_sources_says_so(services: Services) -> None:
    seed(services)
    answer = services.knowledge.ask("How long is the verifikasi berkas for izin usaha?")
    assert answer.language == "en"
    assert answer.found and answer.citations[0].doc_id == "panduan-gampil"
    assert "Sources are only available in Indonesian" in answer.answer


def test_llm_answer_and_fallback(services: Services) -> None:
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    seed(services)
    knowledge = services.knowledge
    knowledge.llm = LlmAnswerer(FakeListChatModel(responses=["Tiga hari kerja [1]."]))
    answer = knowledge.ask("Berapa lama verifikasi berkas izin usaha?")
    assert answer.answer == "Tiga hari kerja [1]."
    assert answer.citations[0].doc_id == "panduan-gampil"

    class Down(FakeListChatModel):
        def invoke(self, *args: object, **kwargs: object) -> object:
            raise TimeoutError("LLM timed out")

    knowledge.llm = LlmAnswerer(Down(responses=["x"]))
    answer = knowledge.ask("Berapa lama verifikasi berkas izin usaha?")
    assert answer.found and "tiga hari kerja" in answer.answer


def test_empty_question_and_documents(services: Services) -> None:
    seed(services)
    with pytest.raises(EmptyQuestion):
        services.knowledge.ask("  ?! ")
    assert sorted(d.doc_id for d in services.knowledge.list_documents()) == [
        "erk-guide",
        "panduan-gampil",
    ]
    services.knowledge.remove_document("erk-guide")
    with pytest.raises(DocumentNotFound):
        services.knowledge.remove_document("erk-guide")
    assert [d.doc_id for d in services.knowledge.list_documents()] == ["panduan-gampil"]


def test_tentative_answers_carry_a_caveat_and_are_gaps(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    seed(services)
    index = services.index
    # An answer short of the confident bar (here: a bar no answer reaches) is hedged.
    monkeypatch.setattr(index, "judge", replace(index.judge, confident_coverage=1.01))
    answer = services.knowledge.ask("Berapa lama verifikasi berkas izin usaha?")
    assert answer.found and not answer.confident
    assert answer.answer.startswith("Jawaban berikut mungkin belum tepat")
    assert answer.citations[0].doc_id == "panduan-gampil"
    (gap,) = services.knowledge.gaps()
    assert gap.not_found == 1  # logged as a gap for trainers


def test_knows_whether_a_message_is_about_the_documents(services: Services) -> None:
    seed(services)
    services.index.replace_document(
        DocumentInput("aduan", "Aduan warga", app="Hayu.Bdg", doc_type="manual", language="id"),
        [ChunkInput("Aduan > Lampu\nAduan lampu jalan dibuat lewat menu Buat Aduan.", "", 1, 0)],
    )
    knowledge = services.knowledge
    assert knowledge.knows("Petugas memverifikasi berkas izin usaha?") == 5
    # Read as the searches read it: a synonym ("komplain" is an "aduan") and a typo.
    assert knowledge.knows("lampu mati mau komplain gimana caranya") > 0
    assert knowledge.knows("verifkasi berkas") == 2
    # A common word the documents hold does not make a recipe theirs.
    assert knowledge.knows("Berapa hari membuat rendang?") == 0
    assert knowledge.knows("resep rendang padang") == 0
    assert knowledge.knows("?") == 0


def test_a_question_with_a_nul_or_broken_bytes_is_answered_and_logged(
    services: Services,
) -> None:
    # A terminal under the C locale hands undecodable bytes over as lone surrogates, and a
    # pasted NUL reaches the question log: neither SQLite nor PostgreSQL stores those.
    seed(services)
    answer = services.knowledge.ask(
        "Berapa lama\x00 verifikasi berkas izin usaha? \udcff", asked_by="cli"
    )
    assert answer.found and answer.question_id is not None
    reply = services.assistant.answer(
        OPERATOR, "Bagaimana masuk ke Gampil\x00 dengan NIK?\udcff", asked_by="cli"
    )
    assert reply.knowledge is not None and reply.knowledge.found
    with services.engine.connect() as conn:
        logged = list(conn.execute(text("SELECT question FROM kb_questions")).scalars())
    assert len(logged) == 2
    assert all("\x00" not in q and "\udcff" not in q for q in logged)


def test_answers_during_a_terms_upgrade_carry_a_caveat_and_are_no_gaps(
    services: Services,
    settings: Settings,
    clock: FixedClock,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed(services)
    question = "Berapa lama verifikasi berkas izin usaha?"
    assert services.knowledge.ask(question).confident
    # The stored terms are from an older normalisation and the index is too large to be
    # upgraded on open: a worker serves while `sinergi kb reindex-terms` runs.
    with make_session_factory(engine).begin() as s:
        meta = s.get(KbIndexMeta, TERMS_META)
        assert meta is not None
        meta.value = "1"
    monkeypatch.setattr(index_module, "AUTO_TERMS_UPGRADE_LIMIT", 1)
    worker = Services(settings, clock=clock, engine=engine)
    try:
        assert not worker.index.terms_current
        held = worker.knowledge.ask(question, asked_by="tg:1")
        assert held.found and not held.confident
        assert held.answer.startswith("Basis pengetahuan sedang diperbarui")
        assert "tiga hari kerja" in held.answer
        # A question the documents cannot answer is still a gap during the upgrade.
        worker.knowledge.ask("Kapan jadwal kereta api ke Surabaya?", asked_by="tg:1")
        assert [g.question for g in worker.knowledge.gaps()] == [
            "Kapan jadwal kereta api ke Surabaya?"
        ]
        month = worker.gaps.answer_rates(months=1)[-1]
        assert (month.asked, month.answered) == (3, 2)  # the held-back answer counts

        worker.index.upgrade_terms()
        done = worker.knowledge.ask(question)
        assert done.confident and done.answer.startswith("Petugas")
    finally:
        worker.close()


@pytest.mark.parametrize(
    "name",
    [
        "p0123456789abcdef",  # well-formed, never given
        "p0123456789ABCDEF",
        "p0123456789abcde",
        "p" + "a" * 5000,
        "",
        "p",
        "0",
        "-1",
        "9" * 30,  # beyond any id the database holds
        str(2**31),
        "٣",  # a digit, not an ASCII one
        "1 ",
        "p0123456789abcdef\n",
        "'; DROP TABLE kb_questions; --",
    ],
)
def test_a_question_named_by_anything_but_a_name_it_gave_is_not_found(
    services: Services, name: str
) -> None:
    seed(services)
    services.access.add_user(1, "trainer", name="Pelatih")
    answer = services.knowledge.ask("Berapa lama verifikasi berkas izin usaha?")
    assert answer.question_id is not None
    with pytest.raises(QuestionNotFound):
        services.knowledge.citation_source(name, 1)
    with pytest.raises(QuestionNotFound):
        services.knowledge.feedback(name, False, user="tg:1")
    assert services.knowledge.question_id(name) is None
    assert services.knowledge.citation_source(str(answer.question_id), 1).text  # still there


def test_one_vote_pressed_twice_at_once_on_two_workers_is_kept_once(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A double tap on a feedback button reaches two workers together: both find no vote of
    the user yet, and both write one. The second must replace the first, not fail on the
    one-vote-per-user constraint."""
    import contextlib
    import threading

    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from knowledge_base.models import KbFeedback

    seed(services)
    services.access.add_user(1, "trainer", name="Pelatih")
    answer = services.knowledge.ask("Berapa lama verifikasi berkas izin usaha?")
    assert answer.question_id is not None
    both_read = threading.Barrier(2)
    real_add = Session.add

    def add_together(self: Session, instance: object, *args: object, **kwargs: object) -> None:
        if isinstance(instance, KbFeedback):  # both have read "no vote yet" by now
            # Broken: the other worker did not get here (a write that cannot race).
            with contextlib.suppress(threading.BrokenBarrierError):
                both_read.wait(timeout=10)
        real_add(self, instance, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Session, "add", add_together)
    errors: list[BaseException] = []

    def press(helpful: bool) -> None:
        try:
            services.knowledge.feedback(answer.question_id or 0, helpful, user="tg:1")
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=press, args=(h,)) for h in (True, False)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert errors == []
    with services.knowledge._sf() as s:
        votes = list(s.scalars(select(KbFeedback).where(KbFeedback.user == "tg:1")))
    assert len(votes) == 1 and votes[0].question_id == answer.question_id


@pytest.mark.parametrize("calibrated", [False, True])
def test_the_questions_unit_cosines_are_computed_once_and_answer_as_before(
    services: Services, monkeypatch: pytest.MonkeyPatch, calibrated: bool
) -> None:
    """The ranking by sentences, the answer and the refusal's neighbourhood cosine read the
    same cosines of the question with the passages' units: computed once per question (they
    were computed three times), and the answers, verdicts and probabilities are unchanged."""
    from dataclasses import replace

    from knowledge_base import judge as judge_module
    from knowledge_base import unit_vectors

    seed(services)
    index = services.index
    index.fusion = replace(index.fusion, sentence_weight=0.5, sentence_floor=0.0)
    # The calibrated refusal model reads them too (the test model's answers it refuses).
    index.judge = replace(index.judge, calibrated=calibrated)
    questions = [
        "Berapa lama verifikasi berkas izin usaha?",
        "Bagaimana cara masuk ke Gampil?",
        "Who enters the yearly performance targets in e-RK?",
        "Berapa tarif retribusi parkir?",
    ]
    verdicts: list[judge_module.Verdict] = []
    real_judge = judge_module.judge_answer

    def recording_judge(*args: object, **kwargs: object) -> judge_module.Verdict:
        verdict = real_judge(*args, **kwargs)  # type: ignore[arg-type]
        verdicts.append(verdict)
        return verdict

    monkeypatch.setattr("services.knowledge.judge_answer", recording_judge)
    computed: list[str] = []

    def counting(stored: Any, query: Any) -> dict[str, dict[bytes, float]]:
        computed.extend(stored)
        return unit_vectors.similarities(stored, query)

    monkeypatch.setattr(index_module, "similarities", counting)
    monkeypatch.setattr(judge_module, "similarities", counting)

    def ask_all() -> tuple[list[tuple[object, ...]], list[list[str]]]:
        out: list[tuple[object, ...]] = []
        counts: list[list[str]] = []
        for question in questions:
            computed.clear()
            answer = services.knowledge.ask(question)
            counts.append(list(computed))
            out.append((answer.found, answer.confident, answer.answer, answer.citations))
        return out, counts

    reused, counts = ask_all()
    assert any(found for found, *_ in reused) is not calibrated
    assert all(c and len(c) == len(set(c)) for c in counts)  # each passage's cosines once
    reused_verdicts, verdicts[:] = list(verdicts), []
    # As before: the search's cosines dropped, so the answer and the judge compute their own.
    real_retrieve = index.retrieve
    monkeypatch.setattr(
        index, "retrieve", lambda *a, **kw: replace(real_retrieve(*a, **kw), unit_cosines={})
    )
    before, counts = ask_all()
    assert any(len(c) > len(set(c)) for c in counts)  # the counter sees a repeated one
    assert reused == before
    assert reused_verdicts == verdicts
    assert any(v.probability is not None for v in verdicts) is calibrated


def test_an_answer_reads_the_index_revision_once(services: Services) -> None:
    """The search follows the database once (one read of the index's revision); the answer
    checks ask whether the index knows a dozen terms without reading it again (each read
    cost about 0.6 ms of CPU, more than the rest of the checks)."""
    from sqlalchemy import event

    from knowledge_base.models import REVISION_META

    seed(services)
    services.knowledge.ask("Berapa lama verifikasi berkas izin usaha?")  # the first follow
    reads: list[str] = []

    def keep(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        values = parameters.values() if isinstance(parameters, dict) else parameters
        if "kb_index_meta" in statement and REVISION_META in list(values or ()):
            reads.append(statement)

    event.listen(services.engine, "before_cursor_execute", keep)
    try:
        # The checks look up each of the question's words (and a name's: "SIMPEG").
        services.knowledge.ask("Berapa lama verifikasi berkas izin usaha di SIMPEG?")
        assert services.knowledge.ask("Berapa lama verifikasi berkas izin usaha?").found
    finally:
        event.remove(services.engine, "before_cursor_execute", keep)
    assert len(reads) == 2, reads


def test_the_index_knows_a_term_as_its_last_search_read_it(services: Services) -> None:
    """``knows_as_searched`` answers from the index as the last search followed it; a
    document another process wrote since counts from the next search on (``knows`` follows
    the database at each call). With the keyword side in PostgreSQL the store is the
    database, so the write counts at once."""
    seed(services)
    index = services.index
    index.search("verifikasi berkas")
    other = Services(services.settings, clock=services.clock, engine=services.engine)
    try:
        other.index.replace_document(
            DocumentInput("sop-parkir", "SOP Parkir", app="Gampil", doc_type="sop", language="id"),
            [ChunkInput("SOP Parkir > Tarif\nTarif retribusi parkir ditetapkan.", "Tarif", 1, 0)],
        )
    finally:
        other.close()
    (known,) = index.normalizer.terms("verifikasi")
    (term,) = index.normalizer.terms("retribusi")
    assert index.knows_as_searched(known)
    in_database = isinstance(index.keywords, PostgresKeywordStore)
    assert index.knows_as_searched(term) is in_database
    assert index.knows(term)  # follows the database
    index.search("retribusi")
    assert index.knows_as_searched(term)
