"""The assistant as a service: routes, the tracker's answers as the acting subject (a matrix
over every role), mixed questions, curated answers first, follow-ups, region choices."""

from __future__ import annotations

from datetime import date

import pytest

from accounts.errors import AccessDenied
from knowledge_base.schemas import ChunkInput, DocumentInput
from services import Services
from services.access import AuthSubject, Operator
from services.tracker import NewMilestone
from tests.fakes.tracker import BANDUNG, KERINCI, MOJOKERTO_CITY, OPERATOR, new_agreement

GAMPIL = DocumentInput(
    "panduan-gampil", "Panduan Gampil", app="Gampil", doc_type="manual", language="id"
)
ADMIN, COORDINATOR, BOUND, TRAINER, OFFICIAL, PENDING, BLOCKED = 1, 2, 3, 4, 5, 6, 7


@pytest.fixture
def world(services: Services) -> dict[str, int]:
    """Two Kerinci agreements (one late), one Mojokerto agreement, the Gampil manual, and a
    user of every kind."""
    tracker = services.tracker
    kerinci = tracker.add_agreement(
        OPERATOR,
        new_agreement(
            title="PKS Replikasi Gampil Kerinci",
            kind="pks",
            parties=(BANDUNG, KERINCI),
            signed_on=date(2025, 11, 1),
            ends_on=date(2027, 11, 1),
            apps=("Gampil",),
            template=None,
            milestones=(
                NewMilestone("Pelatihan petugas", due_on=date(2026, 2, 1)),  # late on 2 March
                NewMilestone("Go-live Gampil", due_on=date(2026, 6, 1), key="go_live"),
            ),
        ),
    )
    draft = tracker.add_agreement(
        OPERATOR,
        new_agreement(
            title="Rancangan KB Hayu.Bdg Kerinci",
            parties=(BANDUNG, KERINCI),
            numbers=(None, None),
            signed_on=None,
            ends_on=None,
            template=None,
            milestones=(NewMilestone("Penunjukan koordinator"),),
        ),
    )
    mojokerto = tracker.add_agreement(
        OPERATOR,
        new_agreement(
            title="KB e-RK Mojokerto",
            parties=(BANDUNG, MOJOKERTO_CITY),
            numbers=("415/MJK/2026", None),
            signed_on=date(2026, 1, 5),
            ends_on=date(2027, 1, 5),
            apps=("e-RK",),
            template=None,
            milestones=(NewMilestone("Server siap", due_on=date(2026, 2, 20)),),
        ),
    )
    services.index.replace_document(
        GAMPIL,
        [
            ChunkInput(
                "Panduan Gampil > Memulai\nDaerah mitra yang ingin mulai memakai Gampil: siapkan "
                "server, pasang aplikasi Gampil, lalu latih petugas perizinan.",
                "Memulai",
                2,
                0,
            )
        ],
    )
    access = services.access
    access.add_user(ADMIN, "admin", name="Admin")
    access.add_user(COORDINATOR, "coordinator", KERINCI, name="Sari")
    access.add_user(BOUND, "coordinator", KERINCI, name="Rudi")
    access.bind_agreement(BOUND, mojokerto.id)
    access.add_user(TRAINER, "trainer", name="Budi")
    access.add_user(OFFICIAL, "official", name="Dedi")
    access.request_access(PENDING, "Pending", None, "id")
    access.add_user(BLOCKED, "official", name="Blocked")
    access.block(BLOCKED, by=Operator("test"))
    return {"kerinci": kerinci.id, "draft": draft.id, "mojokerto": mojokerto.id}


def user(services: Services, telegram_id: int) -> AuthSubject:
    found = services.access.get_user(telegram_id)
    assert found is not None
    return found


def test_a_tracker_question_is_answered_from_the_tracker(
    services: Services, world: dict[str, int]
) -> None:
    reply = services.assistant.answer(OPERATOR, "Perjanjian dengan Kerinci sudah sampai mana?")
    assert reply.route == "tracker" and reply.knowledge is None and reply.found
    tracker = reply.tracker
    assert tracker is not None and tracker.intent == "status"
    assert set(reply.agreement_ids) == {world["kerinci"], world["draft"]}
    late = next(i for i in tracker.items if i.agreement.id == world["kerinci"])
    assert late.next_milestone is not None and late.next_milestone.title == "Pelatihan petugas"
    assert late.must_act == ("Kota Bandung", "Kabupaten Kerinci")
    assert late.may_update  # the operator may update milestones


def test_overdue_names_the_late_milestones(services: Services, world: dict[str, int]) -> None:
    reply = services.assistant.answer(OPERATOR, "Apa saja yang terlambat di Mojokerto?")
    tracker = reply.tracker
    assert tracker is not None and tracker.intent == "overdue"
    # Mojokerto is a regency and a city; only the city has agreements: settled, and said so
    assert tracker.settled == (("Mojokerto", "Kota Mojokerto"),)
    assert [m.title for i in tracker.items for m in i.milestones] == ["Server siap"]


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("What is overdue?", "overdue"),
        ("Apa yang terlambat?", "overdue"),
        ("what's late?", "overdue"),
        ("yg telat apa?", "overdue"),
        ("Is anything overdue right now?", "overdue"),
        ("Ada yang terlambat sekarang?", "overdue"),
        ("Who is late?", "overdue"),
        ("Siapa yang terlambat?", "overdue"),
        ("Which regions are behind?", "overdue"),
        ("Daerah mana yang terlambat?", "overdue"),
        ("Which agreements are stalled?", "stalled"),
        ("Perjanjian mana yang mandek?", "stalled"),
        ("What is stalled?", "stalled"),
        ("Apa yang mandek?", "stalled"),
        ("What is blocked?", "blocked"),
        ("Apa yang terhambat?", "blocked"),
    ],
)
def test_a_state_asked_over_the_whole_list_reaches_the_tracker_in_either_language(
    services: Services, world: dict[str, int], question: str, intent: str
) -> None:
    reply = services.assistant.answer(OPERATOR, question)
    assert reply.route == "tracker" and not reply.off_topic and reply.knowledge is None
    tracker = reply.tracker
    # Nothing is marked blocked here: asked what is, the late milestones answer, said so.
    assert tracker is not None and tracker.none_blocked == (intent == "blocked")
    assert tracker.intent == ("overdue" if intent == "blocked" else intent)
    if intent in ("overdue", "blocked"):
        late = {m.title for i in tracker.items for m in i.milestones}
        assert late == {"Pelatihan petugas", "Server siap"}


@pytest.mark.parametrize(
    "question",
    [
        "What expires next month?",
        "what ends this year?",
        "Apa yang berakhir bulan depan?",
        "apa yg habis tahun ini?",
        "Apa yang berakhir dalam 90 hari?",
    ],
)
def test_an_end_asked_over_the_whole_list_reaches_the_tracker_in_either_language(
    services: Services, world: dict[str, int], question: str
) -> None:
    reply = services.assistant.answer(OPERATOR, question)
    assert reply.route == "tracker" and not reply.off_topic and reply.knowledge is None
    assert reply.tracker is not None and reply.tracker.intent == "ending"


@pytest.mark.parametrize(
    "question",
    [
        "kapan perjanjian {id} berakhir?",
        "Perjanjian nomor {id} sudah sampai mana?",
        "when does agreement #{id} end?",
        "/mou {id} ada yang terlambat?",
    ],
)
def test_an_agreement_named_by_the_id_the_bot_shows_is_the_one_answered(
    services: Services, world: dict[str, int], question: str
) -> None:
    # "/mou 3" is how every answer names an agreement; asked back as "perjanjian 3", the id
    # was ignored: every agreement was listed, and a coordinator asking of an agreement they
    # cannot see got their own as if it were the one asked about.
    mojokerto = question.format(id=world["mojokerto"])
    reply = services.assistant.answer(OPERATOR, mojokerto)
    assert reply.route == "tracker" and reply.agreement_ids == (world["mojokerto"],)
    assert services.assistant.answer(user(services, COORDINATOR), mojokerto).agreement_ids == ()
    kerinci = question.format(id=world["kerinci"])
    assert services.assistant.answer(user(services, COORDINATOR), kerinci).agreement_ids == (
        world["kerinci"],
    )


@pytest.mark.parametrize(
    "question",
    [
        "Izin usaha saya berakhir bulan depan, bagaimana memperpanjangnya?",
        "When does a building permit expire?",
    ],
)
def test_an_end_inside_another_question_does_not_make_it_a_tracker_question(
    services: Services, world: dict[str, int], question: str
) -> None:
    assert services.assistant.answer(OPERATOR, question).route != "tracker"


@pytest.mark.parametrize(
    "question",
    [
        "Apa yang terjadi jika pembayaran TPP terlambat?",
        "What happens when a report is late?",
        "apa itu keterlambatan?",
    ],
)
def test_a_state_word_inside_another_question_does_not_make_it_a_tracker_question(
    services: Services, world: dict[str, int], question: str
) -> None:
    assert services.assistant.answer(OPERATOR, question).route != "tracker"


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("operator", {"kerinci", "draft", "mojokerto"}),
        (ADMIN, {"kerinci", "draft", "mojokerto"}),
        (COORDINATOR, {"kerinci", "draft"}),  # their region's only
        (BOUND, {"kerinci", "draft", "mojokerto"}),  # and the agreement they are bound to
    ],
)
def test_every_role_sees_what_it_may(
    services: Services, world: dict[str, int], who: object, sees: set[str]
) -> None:
    subject = OPERATOR if who == "operator" else user(services, int(str(who)))
    listed = services.assistant.answer(subject, "Daftar semua perjanjian")
    assert listed.tracker is not None and not listed.tracker.denied
    assert set(listed.agreement_ids) == {world[k] for k in sees}
    about_mojokerto = services.assistant.answer(
        subject, "Kapan perjanjian dengan Mojokerto berakhir?"
    )
    assert about_mojokerto.tracker is not None
    ids = set(about_mojokerto.agreement_ids)
    assert ids == ({world["mojokerto"]} if "mojokerto" in sees else set())


def test_another_regions_agreement_looks_like_none_at_all(
    services: Services, world: dict[str, int]
) -> None:
    """A coordinator asking about a region whose agreement they may not see learns exactly
    what they would learn about a region with no agreement."""
    sari = user(services, COORDINATOR)
    hidden = services.assistant.answer(sari, "Perjanjian dengan Kota Mojokerto sudah sampai mana?")
    absent = services.assistant.answer(sari, "Perjanjian dengan Kabupaten Garut sudah sampai mana?")
    for reply, name in ((hidden, "Kota Mojokerto"), (absent, "Kabupaten Garut")):
        assert reply.tracker is not None
        assert reply.tracker.items == () and reply.tracker.total == 0
        assert reply.tracker.nothing_for == (name,) and not reply.found


@pytest.mark.parametrize("who", [TRAINER, OFFICIAL])
def test_roles_without_agreements_are_told_so(
    services: Services, world: dict[str, int], who: int
) -> None:
    reply = services.assistant.answer(user(services, who), "Apa saja yang terlambat di Kerinci?")
    assert reply.route == "tracker" and reply.tracker is not None and reply.tracker.denied
    assert reply.agreement_ids == () and not reply.found


@pytest.mark.parametrize(("who", "reason"), [(PENDING, "pending"), (BLOCKED, "blocked")])
def test_users_not_in_cannot_ask(
    services: Services, world: dict[str, int], who: int, reason: str
) -> None:
    with pytest.raises(AccessDenied) as refused:
        services.assistant.answer(user(services, who), "Apa saja yang terlambat di Kerinci?")
    assert refused.value.params["reason"] == reason


def test_a_mixed_question_gets_both_halves(services: Services, world: dict[str, int]) -> None:
    reply = services.assistant.answer(OPERATOR, "Bagaimana Kerinci bisa mulai memakai Gampil?")
    assert reply.route == "mixed"
    assert reply.knowledge is not None and reply.knowledge.found
    assert reply.knowledge.citations[0].title == "Panduan Gampil"
    assert reply.tracker is not None
    # the Kerinci agreement that covers Gampil, and its next milestone
    assert reply.agreement_ids == (world["kerinci"],)
    assert reply.tracker.items[0].next_milestone is not None
    # an official gets the manual's half only
    official = services.assistant.answer(
        user(services, OFFICIAL), "Bagaimana Kerinci bisa mulai memakai Gampil?"
    )
    assert official.route == "mixed" and official.tracker is None
    assert official.knowledge is not None and official.knowledge.found


def test_knowledge_and_small_talk(services: Services, world: dict[str, int]) -> None:
    reply = services.assistant.answer(OPERATOR, "Bagaimana cara memasang aplikasi Gampil?")
    assert reply.route == "knowledge" and reply.tracker is None and reply.knowledge is not None
    hello = services.assistant.answer(OPERATOR, "halo")
    assert (hello.route, hello.small_talk, hello.knowledge) == ("none", "greeting", None)
    weather = services.assistant.answer(OPERATOR, "resep rendang yang enak")
    assert weather.route == "none" and weather.off_topic
    anyway = services.assistant.answer(OPERATOR, "resep rendang yang enak", documents_only=True)
    assert anyway.route == "knowledge" and anyway.knowledge is not None


def test_ambiguous_region_offers_a_choice_then_answers_the_choice(
    services: Services, world: dict[str, int]
) -> None:
    tracker = services.tracker
    for code in ("32.06", "32.78"):  # the regency and the city of Tasikmalaya
        tracker.add_agreement(
            OPERATOR, new_agreement(title=f"KB {code}", parties=(BANDUNG, code), template=None)
        )
    reply = services.assistant.answer(OPERATOR, "tasik gimana progresnya?")
    assert reply.tracker is not None and reply.tracker.items == ()
    [choice] = reply.tracker.choices
    assert choice.phrase == "tasik"
    assert [name for _, name in choice.candidates] == ["Kabupaten Tasikmalaya", "Kota Tasikmalaya"]
    chosen = services.assistant.answer(
        OPERATOR, "tasik gimana progresnya?", region=("tasik", "32.78")
    )
    assert chosen.tracker is not None and chosen.tracker.regions == ("Kota Tasikmalaya",)
    assert [i.agreement.title for i in chosen.tracker.items] == ["KB 32.78"]


def test_a_follow_up_names_another_region(services: Services, world: dict[str, int]) -> None:
    first = "Apa saja yang terlambat di Kerinci?"
    reply = services.assistant.answer(OPERATOR, "kalau Kota Mojokerto?", history=(first,))
    assert reply.route == "tracker" and reply.tracker is not None
    assert reply.tracker.intent == "overdue" and reply.agreement_ids == (world["mojokerto"],)


def test_a_curated_answer_comes_first_for_a_paraphrase(
    services: Services, world: dict[str, int]
) -> None:
    asked = services.assistant.answer(OPERATOR, "Bagaimana cara reset kata sandi akun Gampil?")
    assert asked.question_id is not None
    trainer = user(services, TRAINER)
    services.curated.add_from_reply(
        trainer,
        question="Bagaimana cara reset kata sandi akun Gampil?",
        answer="Pilih 'Lupa kata sandi' di halaman masuk, lalu buka tautan di email.",
        question_id=asked.question_id,
    )
    later = services.assistant.answer(OPERATOR, "gimana reset kata sandi akun di Gampil ya")
    assert later.curated is not None and later.curated.answer.author_name == "Budi"
    assert later.found
    other_app = services.assistant.answer(OPERATOR, "Bagaimana cara reset kata sandi akun e-RK?")
    assert other_app.curated is None


@pytest.mark.parametrize("question", ["Apa itu Gampil?", "apa itu sipd", "What is SRIKANDI?"])
def test_an_app_the_product_knows_is_on_topic_and_a_gap_when_the_documents_lack_it(
    services: Services, question: str
) -> None:
    """An empty knowledge base and no agreement naming the app: still a question for the
    documents (the built-in dictionary of replicated apps), logged as a gap for trainers."""
    reply = services.assistant.answer(OPERATOR, question)
    assert reply.route == "knowledge" and not reply.off_topic
    assert reply.knowledge is not None and not reply.found
    assert [(g.question, g.not_found) for g in services.gaps.gaps()] == [(question, 1)]
