"""English questions over Indonesian documents: FreeDict's dictionary and the keyword side."""

from __future__ import annotations

import gzip
import logging
import math
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from core.config import Settings
from core.db import make_session_factory
from knowledge_base.index import build_index
from knowledge_base.keyword import TextNormalizer
from knowledge_base.lexicon import Lexicon, LexiconSource
from knowledge_base.query import TRANSLATION_WEIGHT, Query, QueryRewriter
from knowledge_base.translation import (
    DEFAULT_DICTIONARY,
    EnglishDictionary,
    load_english_dictionary,
    parse_entry,
    read_dictd,
)
from tests.fakes.scans import everything_required

_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

# Entries as FreeDict's English-Indonesian prints them (headword line, translations, glosses).
ENTRIES = {
    "00databaseinfo": "English-Bahasa Indonesia FreeDict+WikDict dictionary\n",
    "report": "report //ɹɪˈpɔːt// <n>\nlaporan\ninformation describing events\n",
    "broken": (
        "broken //ˈbɹəʊkən// <adj>\n1. patah, pecah, retak, rusak\n2. rusak\nnot working properly\n"
    ),
    "light": (
        "light //laɪt// <n>\ncahaya 2.\nelectromagnetic waves\n 3.\nsource of illumination\n"
    ),
    "deadline": (
        "deadline //ˈdɛdˌlaɪn// <n>\nbatas waktu, tenggat waktu\n"
        "date on or before which something must be completed\n"
    ),
    "day": "day //deɪ// <n>\nhari\nperiod of 24 hours\n",
    "submit": "submit //səbˈmɪt// <v>\nmengumpulkan\nto put forward\n",
    "may": "may //meɪ// <v>\nboleh, mei\nto be permitted\n",
    "must": "must //mʌst// <v>\nharus\nto be obliged\n",
    "working day": "working day <n>\nhari kerja\na day on which work is done\n",
}

VOCABULARY = {
    "lapor": 40, "rusak": 3, "patah": 1, "cahaya": 2, "batas": 5, "waktu": 30, "hari": 20,
    "kerja": 50, "kumpul": 4, "muat": 9, "mei": 2, "boleh": 5, "lampu": 6, "jalan": 12,
}  # fmt: skip


def write_dictd(base: Path, entries: dict[str, str]) -> None:
    """``entries`` in dictd's format: ``base.dict.dz`` and its ``base.index``."""

    def b64(number: int) -> str:
        out = ""
        while True:
            out = _B64[number % 64] + out
            number //= 64
            if not number:
                return out

    data = b""
    index = []
    for head, text in sorted(entries.items()):
        raw = text.encode("utf-8")
        index.append(f"{head}\t{b64(len(data))}\t{b64(len(raw))}")
        data += raw
    with gzip.open(base.with_name(base.name + ".dict.dz"), "wb") as fh:
        fh.write(data)
    base.with_name(base.name + ".index").write_text("\n".join(index) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def dictionary(tmp_path_factory: pytest.TempPathFactory) -> EnglishDictionary:
    base = tmp_path_factory.mktemp("dict") / "freedict-eng-ind"
    write_dictd(base, ENTRIES)
    return read_dictd(base)


@pytest.fixture(scope="module")
def normalizer() -> TextNormalizer:
    return TextNormalizer()


def rewrite(
    normalizer: TextNormalizer,
    dictionary: EnglishDictionary,
    question: str,
    language: str | None = "en",
) -> Query:
    lexicon = Lexicon({}, tuple(LexiconSource(informal=False).bundled_groups()), dictionary)
    return QueryRewriter(normalizer).rewrite(
        question,
        lexicon,
        known=lambda t: VOCABULARY.get(t, 0) > 0,
        candidates=lambda first: sorted(t for t in VOCABULARY if t.startswith(first)),
        frequency=lambda t: VOCABULARY.get(t, 0),
        language=language,
    )


def test_entries_give_their_translation_lines_not_their_glosses() -> None:
    assert parse_entry(ENTRIES["broken"]) == ["patah", "pecah", "retak", "rusak"]
    assert parse_entry(ENTRIES["light"]) == ["cahaya"]  # " 2." numbers a gloss
    assert parse_entry(ENTRIES["deadline"]) == ["batas waktu", "tenggat waktu"]


def test_the_dictd_files_are_read_with_their_headwords(dictionary: EnglishDictionary) -> None:
    assert dictionary.entries["report"] == ("laporan",)
    assert dictionary.entries["working day"] == ("hari kerja",)
    assert "00databaseinfo" not in dictionary.entries


def test_inflected_words_find_their_headword(dictionary: EnglishDictionary) -> None:
    assert dictionary.lookup("days") == ("hari",)
    assert dictionary.lookup("reports") == ("laporan",)
    assert dictionary.lookup("submitted") == ("mengumpulkan",)
    assert dictionary.lookup("reported") == ("laporan",)
    assert dictionary.lookup("unknownword") == ()


def test_greek_plurals_find_their_singular_headword() -> None:
    words = EnglishDictionary(
        {"criterion": ("kriteria",), "phenomenon": ("fenomena",), "area": ("daerah",)}
    )
    assert words.lookup("criteria") == ("kriteria",)
    assert words.lookup("phenomena") == ("fenomena",)
    assert words.lookup("area") == ("daerah",)  # an entry itself: read as it is
    assert words.lookup("agenda") == ()


def test_an_english_question_also_searches_the_translations_the_index_holds(
    normalizer: TextNormalizer, dictionary: EnglishDictionary
) -> None:
    query = rewrite(normalizer, dictionary, "How do I report a broken light?")
    # One translation: the synonym weight; four (two the index holds): less each.
    assert query.weights["lapor"] == TRANSLATION_WEIGHT
    assert query.weights["rusak"] == pytest.approx(TRANSLATION_WEIGHT / math.sqrt(2))
    assert query.weights["patah"] == query.weights["rusak"]
    assert "pecah" not in query.weights and "retak" not in query.weights  # not in the index
    assert query.weights["report"] == 1.0  # the word itself is still searched
    # A passage saying "laporan" covers the question's "report".
    report = next(c for c in query.concepts if c.terms == ("report",))
    assert ("lapor",) in report.alternatives
    # "broken" has four senses: searched in them, but none vouches that a passage speaks of it.
    broken = next(c for c in query.concepts if c.terms == ("broken",))
    assert broken.alternatives == (("broken",),)


def test_a_two_word_headword_is_read_before_its_words(
    normalizer: TextNormalizer, dictionary: EnglishDictionary
) -> None:
    query = rewrite(normalizer, dictionary, "How many working days to submit the deadline?")
    assert query.weights["hari"] > 0 and query.weights["kerja"] > 0
    deadline = next(c for c in query.concepts if c.terms == ("deadline",))
    assert ("batas", "waktu") in deadline.alternatives


def test_function_words_are_not_translated(
    normalizer: TextNormalizer, dictionary: EnglishDictionary
) -> None:
    query = rewrite(normalizer, dictionary, "When may I report it? It must be light")
    assert "mei" not in query.weights and "boleh" not in query.weights
    assert "lapor" in query.weights


def test_english_questions_are_not_corrected_into_indonesian_terms(
    normalizer: TextNormalizer, dictionary: EnglishDictionary
) -> None:
    # "must" is one edit from the index's "muat" (to load): an English word, not a typo.
    query = rewrite(normalizer, dictionary, "which form must be filled")
    assert not query.corrections and "muat" not in query.weights
    assert "muat" not in query.text


def test_indonesian_questions_are_not_translated(
    normalizer: TextNormalizer, dictionary: EnglishDictionary
) -> None:
    # An English word in an Indonesian question is a name or a loan ("report harian").
    query = rewrite(normalizer, dictionary, "report harian rusak", language="id")
    assert "lapor" not in query.weights and "report" in query.weights


def test_without_the_dictionary_english_questions_search_their_own_words(
    normalizer: TextNormalizer,
) -> None:
    query = rewrite(normalizer, EnglishDictionary({}), "How do I report a broken light?")
    assert "lapor" not in query.weights and query.weights["report"] == 1.0


def test_a_missing_dictionary_is_logged_and_reads_as_empty(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="knowledge_base.translation"):
        found = load_english_dictionary(tmp_path / "nowhere")
    assert not found and found.lookup("report") == ()
    assert "dict-freedict-eng-ind" in caplog.text
    assert not load_english_dictionary(None)


def test_a_missing_dictionary_is_warned_about_once_per_path_and_reason(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A health check asks on every /status: one warning, not one per check.
    with caplog.at_level(logging.WARNING, logger="knowledge_base.translation"):
        for _ in range(3):
            load_english_dictionary(tmp_path / "gone")
        load_english_dictionary(tmp_path / "other")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [str(tmp_path / "gone") in r.getMessage() for r in warnings] == [True, False]


def test_the_lexicon_source_carries_the_dictionary(tmp_path: Path) -> None:
    base = tmp_path / "freedict-eng-ind"
    write_dictd(base, ENTRIES)
    source = LexiconSource(informal=False, english=base)
    assert source.current().english.lookup("report") == ("laporan",)
    assert not LexiconSource(informal=False).current().english


def test_a_dictionary_installed_while_running_is_used_as_status_reports_it(
    tmp_path: Path,
) -> None:
    # ``/status`` reads the dictionary again (per file version) and said "present" once it
    # was installed, while questions kept the empty one read at start until a restart.
    base = tmp_path / "freedict-eng-ind"
    source = LexiconSource(informal=False, english=base)
    assert not source.current().english and not source.english
    write_dictd(base, ENTRIES)
    assert source.current().english.lookup("report") == ("laporan",)
    assert source.english.lookup("report") == ("laporan",)
    unchanged = source.current()
    assert source.current() is unchanged  # nothing read again while nothing changed


#: CI (``.ci/run`` installs the Debian package) must read the real dictionary.
needs_freedict = pytest.mark.skipif(
    not os.environ.get("SINERGI_TEST_REQUIRE_DICTIONARY")
    and not everything_required()
    and not DEFAULT_DICTIONARY.with_name(DEFAULT_DICTIONARY.name + ".index").is_file(),
    reason="FreeDict English-Indonesian is not installed (apt-get install "
    "dict-freedict-eng-ind); .ci/run installs it",
)


@needs_freedict
def test_the_installed_freedict_dictionary_reads() -> None:
    found = load_english_dictionary(DEFAULT_DICTIONARY)
    assert len(found.entries) > 5_000
    assert "laporan" in found.lookup("report")
    assert "batas waktu" in found.lookup("deadline")
    assert "rusak" in found.lookup("broken")


def test_the_setting_names_the_dictionary_the_index_reads(
    settings: Settings, sqlite_engine: Engine, tmp_path: Path
) -> None:
    base = tmp_path / "eng-ind"
    write_dictd(base, ENTRIES)
    configured = settings.model_copy(update={"english_dictionary": base})
    index = build_index(configured, make_session_factory(sqlite_engine))
    try:
        assert index.lexicon.english.lookup("deadline") == ("batas waktu", "tenggat waktu")
    finally:
        index.close()
    off = Settings(_env_file=None, english_dictionary="")  # type: ignore[call-arg]
    assert off.english_dictionary is None


def test_english_questions_are_ranked_with_the_lower_cross_language_cosine_floor(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import knowledge_base.index as index_module
    from knowledge_base.embeddings import FakeEmbeddings
    from knowledge_base.fusion import E5_FUSION
    from knowledge_base.schemas import ChunkInput, DocumentInput
    from knowledge_base.vectorstore import VectorStore, make_client

    emb = FakeEmbeddings()
    store = VectorStore(make_client(chroma_url=None, chroma_dir=tmp_path / "chroma"), "tests", emb)
    index = index_module.KnowledgeIndex(
        make_session_factory(sqlite_engine), emb, store, fusion=E5_FUSION
    )
    floors: list[float] = []
    real = index_module.fuse

    def spy(*args: Any, **kwargs: Any) -> Any:
        floors.append(kwargs["config"].dense_floor)
        return real(*args, **kwargs)

    monkeypatch.setattr(index_module, "fuse", spy)
    try:
        index.replace_document(
            DocumentInput("hayu", "Hayu.Bdg"),
            [ChunkInput(text="Cara menyampaikan aduan lampu jalan", section=None, page=None)],
        )
        index.retrieve("aduan lampu jalan", language="id")
        index.retrieve("report a street light", language="en")
    finally:
        index.close()
    # An English question's best cosine against Indonesian passages sits about 0.05 lower.
    assert E5_FUSION.english_dense_floor is not None
    assert floors == [E5_FUSION.dense_floor, E5_FUSION.english_dense_floor]
    assert E5_FUSION.english_dense_floor < E5_FUSION.dense_floor


def test_the_translations_are_looked_up_in_one_round_trip(
    normalizer: TextNormalizer, dictionary: EnglishDictionary
) -> None:
    asked: list[set[str]] = []
    lexicon = Lexicon({}, (), dictionary)
    QueryRewriter(normalizer).rewrite(
        "How do I report a broken light before the deadline?",
        lexicon,
        known=lambda t: VOCABULARY.get(t, 0) > 0,
        candidates=lambda first: [],
        frequency=lambda t: VOCABULARY.get(t, 0),
        language="en",
        prefetch=lambda terms: asked.append(set(terms)),
    )
    assert len(asked) == 1
    assert {"lapor", "rusak", "patah", "cahaya", "batas", "waktu"} <= asked[0]


def test_an_english_question_on_the_documents_topic_is_known_through_its_translations(
    settings: Settings, sqlite_engine: Engine, tmp_path: Path
) -> None:
    """Whether a question is about what the documents cover (the assistant's on-topic check)
    reads an English question's words through their translations, as its search does."""
    from core.clock import FixedClock
    from knowledge_base.schemas import ChunkInput, DocumentInput
    from services import Services

    base = tmp_path / "eng-ind"
    write_dictd(base, ENTRIES)
    configured = settings.model_copy(update={"english_dictionary": base})
    services = Services(configured, clock=FixedClock(), engine=sqlite_engine)
    try:
        services.knowledge.index.replace_document(
            DocumentInput("sop", "SOP pelaporan"),
            [ChunkInput(text="Laporan disampaikan sebelum batas waktu, paling lambat sehari.")],
        )
        assert services.knowledge.knows("batas waktu laporan") > 0
        assert services.knowledge.knows("When is the deadline of the report?") > 0
        assert services.knowledge.knows("How do I renew my passport?") == 0
    finally:
        services.close()


def test_a_question_with_invisible_characters_inside_its_words_is_found_and_known(
    settings: Settings, sqlite_engine: Engine
) -> None:
    from core.clock import FixedClock
    from knowledge_base.schemas import ChunkInput, DocumentInput
    from services import Services

    services = Services(settings, clock=FixedClock(), engine=sqlite_engine)
    try:
        services.knowledge.index.replace_document(
            DocumentInput("sop", "SOP pelaporan"),
            [ChunkInput(text="Laporan disampaikan sebelum batas waktu, paling lambat sehari.")],
        )
        typed = "Kapan ba\u200dtas wak\u00adtu lapo\u200dran?"
        assert services.knowledge.knows(typed) > 0  # the assistant's topic check
        answer = services.knowledge.ask(typed, asked_by="cli")
        assert answer.found and "batas waktu" in answer.answer
    finally:
        services.close()
