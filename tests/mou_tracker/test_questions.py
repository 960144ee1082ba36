"""Reading a question about the agreements: intent, slots, time windows, score."""

from __future__ import annotations

from datetime import date

import pytest

from mou_tracker.questions import (
    TRACKER_THRESHOLD,
    find_window,
    party_matches,
    read_question,
    stage_matches,
)
from mou_tracker.regions import RegionDirectory

TODAY = date(2026, 3, 4)  # a Wednesday
APPS = ("Hayu.Bdg", "Gampil", "e-RK", "Sabilulungan", "e-budgeting")


@pytest.fixture(scope="module")
def directory() -> RegionDirectory:
    return RegionDirectory.load()


def read(text: str, directory: RegionDirectory):  # type: ignore[no-untyped-def]
    return read_question(text, regions=directory, apps=APPS, today=TODAY, home_regions=("32.73",))


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Perjanjian dengan Kerinci sudah sampai mana?", "status"),
        ("Apa saja yang terlambat di Mojokerto?", "overdue"),
        ("Kapan kesepakatan dengan Sarolangun berakhir?", "ending"),
        ("Daerah mana saja yang sudah go-live e-RK?", "stage_regions"),
        ("Siapa koordinator Mempawah?", "coordinator"),
        ("Tonggak apa yang jatuh tempo minggu ini?", "due"),
        ("MoU mana yang hanya di atas kertas?", "stalled"),
        ("How many agreements expire next year?", "ending"),
        ("Tonggak mana yang sedang terhambat?", "blocked"),
        ("Perjanjian mana yang berisiko?", "at_risk"),
        ("Perjanjian mana yang perlu segera diperpanjang?", "renewal"),
        ("Apakah server di Kota Mojokerto sudah siap?", "stage"),
        ("Berapa MoU yang ditandatangani tahun 2025?", "signed"),
        ("Adendum apa saja yang sudah dicatat?", "addendum"),
        ("Perjanjian yang masih berupa draf apa saja?", "draft"),
        ("Has Mempawah appointed its coordinators yet?", "stage"),
        ("apa yg habis masa berlakunya?", "ending"),
        ("agreements whose term runs out this year?", "ending"),
        ("MoU mana yang masa berlakunya habis tahun depan?", "ending"),
        ("When does agreement 3 end?", "ending"),
        ("when does the agreement with Kerinci end?", "ending"),
    ],
)
def test_intents(directory: RegionDirectory, text: str, intent: str) -> None:
    question = read(text, directory)
    assert question.intent == intent
    assert question.score >= TRACKER_THRESHOLD, question.signals


def test_slots(directory: RegionDirectory) -> None:
    q = read("pks gampil sergai udh ttd blm", directory)
    assert q.apps == ("Gampil",) and q.kind == "pks" and q.intent == "signed"
    assert [r.name for r in q.regions[0].candidates] == ["Kabupaten Serdang Bedagai"]
    q = read("Perjanjian nomor 415.4/021-Huk/2024 sudah sampai tahap apa?", directory)
    assert q.number == "415.4/021-Huk/2024" and q.intent == "status"
    q = read("Daerah mana saja yang sudah go-live e-RK?", directory)
    assert q.stage == "go_live" and q.apps == ("e-RK",)
    assert read("How many agreements expire next year?", directory).counting
    assert read("Siapa koordinator Mempawah?", directory).asks_who


@pytest.mark.parametrize(
    "text",
    [
        "Bagaimana cara mengajukan izin lewat Gampil?",
        "Apa perbedaan Kesepakatan Bersama dan Perjanjian Kerja Sama?",
        "Berapa lama masa berlaku akun Gampil jika tidak aktif?",
        "kapan masa berlaku KTP habis?",
        "masa berlaku izin saya kapan habis?",
        "kinerja harian telat diisi bisa ga?",
        "Bagaimana cuaca di Bandung besok?",
    ],
)
def test_questions_not_about_the_agreements_score_low(
    directory: RegionDirectory, text: str
) -> None:
    assert read(text, directory).score < TRACKER_THRESHOLD


def test_the_home_region_alone_is_not_a_partner(directory: RegionDirectory) -> None:
    # Kota Bandung owns the apps: naming it does not make a question about an agreement
    assert read("Apa langkah replikasi aplikasi dari Kota Bandung?", directory).score < 1.0
    assert read("kerinci gimana?", directory).score >= TRACKER_THRESHOLD


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("tonggak minggu ini", date(2026, 3, 2), date(2026, 3, 8)),
        ("due next week", date(2026, 3, 9), date(2026, 3, 15)),
        ("bulan depan", date(2026, 4, 1), date(2026, 4, 30)),
        ("tahun ini", date(2026, 1, 1), date(2026, 12, 31)),
        ("next year", date(2027, 1, 1), date(2027, 12, 31)),
        ("pada 2030", date(2030, 1, 1), date(2030, 12, 31)),
        ("dalam 90 hari ke depan", TODAY, date(2026, 6, 2)),
        ("hari ini", TODAY, TODAY),
        ("bulan Mei", date(2026, 5, 1), date(2026, 5, 31)),
        ("Okt 2026", date(2026, 10, 1), date(2026, 10, 31)),
    ],
)
def test_windows(text: str, start: date, end: date) -> None:
    window = find_window(f" {text} ", TODAY)
    assert window is not None and (window.start, window.end) == (start, end)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("Perjanjian apa yang berakhir tahun 2032?", date(2032, 1, 1), date(2032, 12, 31)),
        ("Tonggak yang jatuh tempo dalam 12 hari?", TODAY, date(2026, 3, 16)),
        ("Which milestones are due within 22 days?", TODAY, date(2026, 3, 26)),
    ],
)
def test_numbers_ending_in_2_are_read_whole(
    directory: RegionDirectory, text: str, start: date, end: date
) -> None:
    # Chat spelling reads "apa2" as "apa"; it read "12" as "1" and "2032" as "203" too.
    window = read(text, directory).window
    assert window is not None and (window.start, window.end) == (start, end)


@pytest.mark.parametrize("run", ["-", ".", ".-", "/."])
def test_a_run_of_dashes_or_dots_after_a_number_is_read_at_once(
    directory: RegionDirectory, run: str
) -> None:
    # The agreement-number pattern could split a run of "-" or "." in exponentially many ways
    # before failing: "perjanjian 1" and 40 dashes took 18 s, 60 would take days, with the
    # whole bot process waiting (the regex engine holds the interpreter).
    # Its speed is measured, not asserted (docs/benchmarks.md): here, what it reads.
    for text in (f"perjanjian 1{run * 40}?", f"MoU 415/{run * 40}!", f"Rp 1{run * 40}."):
        assert read(text, directory).number is None
    long = f"perjanjian 1{'-' * 3000}?"  # a Telegram message's worth
    assert read(long, directory).number is None
    q = read("Perjanjian nomor 415.4/021-Huk/2024.... sudah sampai mana?", directory)
    assert q.number == "415.4/021-Huk/2024"
    assert read("PKS 12//PKS//2025?", directory).number is None  # no part between the slashes
    assert read("pasal 1/2 dan PKS 7/PKS/2025", directory).number == "7/PKS/2025"


@pytest.mark.parametrize(
    ("text", "agreement_id"),
    [
        ("kapan perjanjian 3 berakhir?", 3),
        ("Perjanjian nomor 12 sudah sampai mana?", 12),
        ("when does agreement #7 end?", 7),
        ("/mou 41 ada yang terlambat?", 41),
        ("MoU 2024 dengan Kerinci", None),  # a year
        ("perjanjian 5 tahun dengan Kerinci", None),  # a duration
        ("kerja sama 3 pihak", None),
        ("MoU 415/021-Huk/2024 sudah sampai mana?", None),  # a document number
        ("apa yang terlambat di Kerinci?", None),
    ],
)
def test_the_id_the_bot_shows_names_an_agreement(
    directory: RegionDirectory, text: str, agreement_id: int | None
) -> None:
    question = read(text, directory)
    assert question.agreement_id == agreement_id
    if agreement_id is not None:
        assert question.score >= TRACKER_THRESHOLD, question.signals


def test_no_window_and_no_name_read_as_a_month() -> None:
    assert find_window(" Pak Agus bertanya ", TODAY) is None
    assert find_window(" may I ask ", TODAY) is None


def test_stages_match_by_key_or_title() -> None:
    assert stage_matches("go_live", "go_live", "anything")
    assert stage_matches("servers_ready", "custom", "Server dan jaringan siap")
    assert not stage_matches("training", "pilot", "Uji coba (pilot)")


def test_a_province_covers_its_regencies() -> None:
    assert party_matches("15.01", "15") and party_matches("15", "15")
    assert not party_matches("15.01", "15.03") and not party_matches("16.01", "15")
