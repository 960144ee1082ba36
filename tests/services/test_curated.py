"""Curated answers: made from a trainer's reply, versioned, reviewed, retired, and matched."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from accounts.errors import AccessDenied
from core.clock import FixedClock
from knowledge_base.errors import (
    CuratedAnswerNotFound,
    CuratedAnswerRetired,
    CuratedAnswerTooLong,
    InvalidCuratedAnswer,
)
from knowledge_base.schemas import ChunkInput, DocumentInput
from services import Services

TRAINER, OTHER_TRAINER, OFFICIAL = 2, 3, 4
QUESTION = "Bagaimana cara mengajukan izin lewat Gampil?"


@pytest.fixture
def people(services: Services) -> dict[int, object]:
    services.access.add_user(TRAINER, "trainer", name="Budi")
    services.access.add_user(OTHER_TRAINER, "trainer", name="Rina")
    services.access.add_user(OFFICIAL, "official", name="Dedi")
    return {i: services.access.get_user(i) for i in (TRAINER, OTHER_TRAINER, OFFICIAL)}


def test_made_edited_versioned_retired(
    services: Services, people: dict[int, object], clock: FixedClock
) -> None:
    curated = services.curated
    made = curated.add_from_reply(people[TRAINER], question=QUESTION, answer="Lewat menu Izin.")  # type: ignore[arg-type]
    assert (made.version, made.status, made.author_name) == (1, "active", "Budi")
    assert made.review_on == date(2026, 3, 2) + timedelta(
        days=services.settings.curated_review_days
    )
    clock.advance(timedelta(days=3))
    edited = curated.edit(people[OTHER_TRAINER], made.id, answer="Lewat menu Perizinan > Ajukan.")  # type: ignore[arg-type]
    assert (edited.version, edited.updated_by_name, edited.author_name) == (2, "Rina", "Budi")
    history = curated.versions(people[TRAINER], made.id)  # type: ignore[arg-type]
    assert [(v.version, v.answer) for v in history] == [
        (1, "Lewat menu Izin."),
        (2, "Lewat menu Perizinan > Ajukan."),
    ]
    retired = curated.retire(people[TRAINER], made.id)  # type: ignore[arg-type]
    assert retired.status == "retired"
    assert curated.match(QUESTION) is None  # no longer given
    with pytest.raises(CuratedAnswerRetired):
        curated.edit(people[TRAINER], made.id, answer="x y")  # type: ignore[arg-type]
    assert [a.id for a in curated.answers(people[TRAINER], retired=True)] == [made.id]  # type: ignore[arg-type]
    assert curated.answers(people[TRAINER]) == []  # type: ignore[arg-type]


def test_review_date_passed_is_marked(
    services: Services, people: dict[int, object], clock: FixedClock
) -> None:
    made = services.curated.add_from_reply(people[TRAINER], question=QUESTION, answer="Menu Izin.")  # type: ignore[arg-type]
    clock.advance(timedelta(days=services.settings.curated_review_days + 1))
    found = services.curated.match("Bagaimana cara mengajukan izin di Gampil?")
    assert found is not None and found.answer.id == made.id and found.answer.review_due


def test_paraphrases_match_and_other_questions_do_not(
    services: Services, people: dict[int, object]
) -> None:
    # The app names come from the product's data (here the documents'): names must agree.
    for app in ("Gampil", "Hayu.Bdg"):
        services.index.replace_document(
            DocumentInput(app.casefold(), f"Panduan {app}", app=app, doc_type="manual"),
            [ChunkInput(f"Panduan {app}\nMenu utama {app}.", "", 1, 0)],
        )
    made = services.curated.add_from_reply(people[TRAINER], question=QUESTION, answer="Menu Izin.")  # type: ignore[arg-type]
    for paraphrase in (
        "gimana cara ngajuin izin di gampil?",
        "Apa langkah mengajukan izin lewat Gampil",
        "cara pengajuan izin Gampil bagaimana?",
    ):
        found = services.curated.match(paraphrase)
        assert found is not None and found.answer.id == made.id, paraphrase
    for other in (
        "Bagaimana cara mengajukan izin lewat Hayu.Bdg?",  # another app
        "Berapa lama izin di Gampil terbit?",
        "Bagaimana cara daftar akun Gampil?",
    ):
        assert services.curated.match(other) is None, other


def test_only_trainers_and_admins_curate(services: Services, people: dict[int, object]) -> None:
    with pytest.raises(AccessDenied):
        services.curated.add_from_reply(people[OFFICIAL], question=QUESTION, answer="x y")  # type: ignore[arg-type]
    made = services.curated.add_from_reply(people[TRAINER], question=QUESTION, answer="Menu Izin.")  # type: ignore[arg-type]
    with pytest.raises(AccessDenied):
        services.curated.retire(people[OFFICIAL], made.id)  # type: ignore[arg-type]
    with pytest.raises(CuratedAnswerNotFound):
        services.curated.get(people[TRAINER], 999)  # type: ignore[arg-type]
    with pytest.raises(InvalidCuratedAnswer):
        services.curated.add_from_reply(people[TRAINER], question=QUESTION, answer=" ... ")  # type: ignore[arg-type]
    assert services.curated.get(people[TRAINER], made.id).answer == "Menu Izin."  # type: ignore[arg-type]


def test_texts_with_a_nul_or_broken_bytes_are_kept_cleaned(
    services: Services, people: dict[int, object]
) -> None:
    # `kb curated edit` under the C locale passes undecodable bytes as lone surrogates; a NUL
    # can be pasted: neither database stores those (the edit failed with an unexpected error).
    curated = services.curated
    made = curated.add_from_reply(people[TRAINER], question=QUESTION, answer="Menu\x00 Izin.")  # type: ignore[arg-type]
    assert made.answer == "Menu Izin."
    edited = curated.edit(people[TRAINER], made.id, answer="Lewat menu Izin \udcff, lalu Ajukan.")  # type: ignore[arg-type]
    assert edited.answer == "Lewat menu Izin \ufffd, lalu Ajukan." and edited.version == 2


def test_a_terms_upgrade_re_derives_curated_and_gap_signatures(
    services: Services, people: dict[int, object]
) -> None:
    """After a normalisation change, `sinergi kb reindex-terms` (and `db upgrade`) re-derive
    the signatures of curated answers and gaps too, not only the passages' and questions'."""
    from sqlalchemy import select, update

    from knowledge_base.keyword import TERMS_VERSION, TextNormalizer
    from knowledge_base.models import KbCuratedAnswer, KbGap, KbIndexMeta, KbQuestion
    from knowledge_base.terms_upgrade import TERMS_META, upgrade_terms

    services.index.replace_document(
        DocumentInput("panduan", "Panduan Gampil", app="Gampil"),
        [ChunkInput("Panduan Gampil\nMasuk ke Gampil dengan NIK.", None, None, 0)],
    )
    trainer = people[TRAINER]
    made = services.curated.add_from_reply(trainer, question=QUESTION, answer="Menu Izin.")  # type: ignore[arg-type]
    services.knowledge.ask("Bagaimana cara membuat akun e-budgeting?")
    (gap,) = services.knowledge.gaps()
    sf = services.session_factory
    normalizer = TextNormalizer()
    with sf.begin() as s:
        # As an older normalisation (no stemming) wrote them.
        s.execute(update(KbCuratedAnswer).values(normalized="bagaimana cara mengajukan izin"))
        s.execute(update(KbGap).values(normalized="bagaimana cara membuat akun e-budgeting"))
        s.execute(update(KbQuestion).values(normalized="bagaimana cara membuat akun e-budgeting"))
        meta = s.get(KbIndexMeta, TERMS_META)
        assert meta is not None
        meta.value = "1"
    # Curated answers are matched on their question's text, so they match meanwhile too.
    assert services.curated.match("bagaimana mengajukan izin lewat Gampil") is not None

    done = upgrade_terms(sf, normalizer, services.index.keywords, batch=1)
    assert done.complete and done.changed_questions == 3  # a question, a curated answer, a gap
    with sf() as s:
        assert s.scalars(select(KbCuratedAnswer.normalized)).all() == [
            normalizer.signature(QUESTION)
        ]
        assert s.scalars(select(KbGap.normalized)).all() == [
            normalizer.signature("Bagaimana cara membuat akun e-budgeting?")
        ]
        assert s.scalar(select(KbIndexMeta.value).where(KbIndexMeta.key == TERMS_META)) == (
            TERMS_VERSION
        )
    # A new wording of the gap's question joins that gap instead of opening another one.
    services.knowledge.ask("bagaimana membuat akun e-budgeting")
    (grown,) = services.knowledge.gaps()
    assert (grown.id, grown.count) == (gap.id, 2)
    assert services.curated.get(people[TRAINER], made.id).question == QUESTION  # type: ignore[arg-type]


def test_a_long_answer_is_kept_whole_or_refused_never_cut(
    services: Services, people: dict[int, object]
) -> None:
    """A trainer's reply as long as Telegram lets a message be is kept to its last word; a
    longer text (the command line) is refused with its length, the stored version unchanged."""
    steps = " ".join(("Buka menu Perizinan, pilih Ajukan, lalu unggah berkas. " * 80).split())
    reply = steps[:4089].rstrip() + " AKHIR."
    assert 4090 <= len(reply) <= 4096  # a Telegram message can hold it
    made = services.curated.add_from_reply(people[TRAINER], question=QUESTION, answer=reply)  # type: ignore[arg-type]
    assert made.answer.endswith("AKHIR.")
    assert services.curated.get(people[TRAINER], made.id).answer == reply.strip()  # type: ignore[arg-type]
    with pytest.raises(CuratedAnswerTooLong) as refused:
        services.curated.edit(people[TRAINER], made.id, answer=reply + " Tambahan." * 100)  # type: ignore[arg-type]
    assert refused.value.params["limit"] == 4096
    assert refused.value.params["length"] > 4096
    kept = services.curated.get(people[TRAINER], made.id)  # type: ignore[arg-type]
    assert (kept.version, kept.answer) == (1, reply.strip())
