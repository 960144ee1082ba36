from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import Integer, LargeBinary, String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from core.clock import FixedClock, ensure_utc
from core.config import Settings, settings_error
from core.db import UTCDateTime, make_engine, make_session_factory
from core.errors import AppError, NotFound
from core.i18n import Catalog, normalize_language


class _TestBase(DeclarativeBase):
    """Kept apart from the product's metadata, which the migration tests compare."""


class _Stamp(_TestBase):
    __tablename__ = "test_core_stamp"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class _Note(_TestBase):
    __tablename__ = "test_core_note"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(String(100))
    data: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)


def test_settings_read_prefix_and_derive_paths(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SINERGI_DATA_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("SINERGI_MAX_UPLOAD_MB", "5")
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.data_dir == tmp_path / "state"
    assert s.max_upload_bytes == 5 * 1024 * 1024
    assert s.effective_database_url.startswith("sqlite:///")
    assert s.effective_database_url.endswith("state/sinergi.db")
    monkeypatch.setenv("SINERGI_DATABASE_URL", "postgresql+psycopg://u@h/db")
    assert Settings(_env_file=None).effective_database_url == "postgresql+psycopg://u@h/db"  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SINERGI_MAX_UPLOAD_MB", "inf"),
        ("SINERGI_MAX_UPLOAD_MB", "1e400"),
        ("SINERGI_CHUNK_SIZE", "1" + "0" * 400),
        ("SINERGI_CHUNK_OVERLAP", "1" + "0" * 400),
        # Accepted too: 400 digits of pixels overflowed every scanned page's scaling; a chat
        # user past the database's integers failed only when `sinergi chat` asked.
        ("SINERGI_OCR_MAX_PIXELS", "1" + "0" * 400),
        ("SINERGI_OCR_MAX_PAGES", "1" + "0" * 30),
        ("SINERGI_OCR_CONCURRENCY", "1" + "0" * 30),
        ("SINERGI_QUESTIONS_PER_MINUTE", "1" + "0" * 30),
        ("SINERGI_REMINDER_MAX_ATTEMPTS", "1" + "0" * 30),
        ("SINERGI_CHAT_USER", "1" + "0" * 30),
        ("SINERGI_TRAINERS_CHAT_ID", "1" + "0" * 30),
    ],
)
def test_a_size_setting_past_any_use_is_refused_naming_it(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    # Accepted, they made every ingest fail with an OverflowError ("an unexpected error").
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None)  # type: ignore[call-arg]
    error = settings_error(caught.value)
    assert error.params["setting"] == name and error.code == "settings.less_than_equal"


def test_settings_from_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = tmp_path / ".env"
    env.write_text("SINERGI_LANGUAGE=en\nSINERGI_TELEGRAM_TOKEN=123:abc\n")
    s = Settings(_env_file=env)  # type: ignore[call-arg]
    assert s.language == "en"
    assert s.telegram_token is not None
    assert s.telegram_token.get_secret_value() == "123:abc"
    assert "123:abc" not in repr(s)


def test_fixed_clock_moves_only_when_told() -> None:
    clock = FixedClock(datetime(2026, 1, 1, tzinfo=UTC))
    assert clock.now() == clock.now()
    clock.advance(timedelta(days=1))
    assert clock.now() == datetime(2026, 1, 2, tzinfo=UTC)
    with pytest.raises(ValueError):
        FixedClock(datetime(2026, 1, 1))


def test_ensure_utc_converts_offsets() -> None:
    wita = timezone(timedelta(hours=8))
    assert ensure_utc(datetime(2026, 1, 1, 8, tzinfo=wita)) == datetime(2026, 1, 1, 0, tzinfo=UTC)
    assert ensure_utc(datetime(2026, 1, 1)).tzinfo is UTC


def test_utc_datetime_round_trips_aware_and_rejects_naive(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    _TestBase.metadata.create_all(engine)
    factory = make_session_factory(engine)
    wit = timezone(timedelta(hours=9))
    with factory.begin() as s:
        s.add(_Stamp(id=1, at=datetime(2026, 5, 1, 9, 0, tzinfo=wit)))
    with factory() as s:
        got = s.scalars(select(_Stamp.at)).one()
    assert got == datetime(2026, 5, 1, 0, 0, tzinfo=UTC)
    assert got.tzinfo is not None
    with pytest.raises(Exception, match="naive"), factory.begin() as s:
        s.add(_Stamp(id=2, at=datetime(2026, 5, 1)))
        s.flush()


def test_catalog_falls_back_to_indonesian_then_key() -> None:
    cat = Catalog(
        {"id": {"hello": "Halo {name}", "only_id": "Hanya"}, "en": {"hello": "Hello {name}"}}
    )
    assert cat.t("hello", "en", name="Ani") == "Hello Ani"
    assert cat.t("hello", "id", name="Ani") == "Halo Ani"
    assert cat.t("only_id", "en") == "Hanya"
    assert cat.t("missing.key", "en") == "missing.key"
    assert cat.t("hello", "id") == "Halo {name}"  # a missing parameter never crashes


@pytest.mark.parametrize(
    ("code", "expected"), [("en-US", "en"), ("id", "id"), ("in", "id"), (None, "id"), ("EN", "en")]
)
def test_normalize_language(code: str | None, expected: str) -> None:
    assert normalize_language(code) == expected


def test_app_error_carries_params_and_pickles() -> None:
    import pickle

    err = NotFound("agreement 7", what="agreement 7")
    again = pickle.loads(pickle.dumps(err))
    assert isinstance(again, NotFound)
    assert again.params == {"what": "agreement 7"}
    assert again.code == "app.not_found"
    assert isinstance(again, AppError)


def test_echo_repeats_input_on_one_capped_line() -> None:
    from core.text import ECHO_LIMIT, echo

    assert echo("  Kab.\nKerinci ") == "Kab. Kerinci"
    long = echo("/srv/" + "a" * 100_000 + "/berkas.csv")
    assert len(long) == ECHO_LIMIT and long.startswith("/srv/aaa") and long.endswith("/berkas.csv")
    assert "…" in long
    assert echo("b" * ECHO_LIMIT) == "b" * ECHO_LIMIT


def test_text_no_database_takes_is_stored_readable(tmp_path: Path) -> None:
    # A Latin-1 byte in a command-line argument arrives as a lone surrogate, a pasted NUL as
    # itself: SQLite refused the first (UnicodeEncodeError), PostgreSQL both.
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    _TestBase.metadata.create_all(engine)
    factory = make_session_factory(engine)
    with factory.begin() as s:
        s.add(_Note(id=1, text="caf\udce9 \x00 ok", data=b"\x00\xff"))
        s.add_all([_Note(id=2, text="a\udcff"), _Note(id=3, text="tanpa masalah")])
    with factory() as s:
        stored = {row.id: row.text for row in s.execute(select(_Note.id, _Note.text))}
        assert stored == {1: "caf\ufffd \ufffd ok", 2: "a\ufffd", 3: "tanpa masalah"}
        assert s.get(_Note, 1).data == b"\x00\xff"  # type: ignore[union-attr]  # bytes untouched
        # Looking one up by such text finds the stored form, never a driver error.
        found = s.scalars(select(_Note.id).where(_Note.text == "a\udcff")).all()
        assert found == [2]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SINERGI_CHAT_USER", "0"),
        ("SINERGI_CHAT_USER", "-5"),
        ("SINERGI_TRAINERS_CHAT_ID", "-" + "9" * 30),
    ],
)
def test_an_id_setting_no_telegram_user_or_chat_has_is_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings_error(caught.value).params["setting"] == name
    monkeypatch.setenv(name, "-1001234567890" if "TRAINERS" in name else "1234567890")
    Settings(_env_file=None)  # type: ignore[call-arg]  # a real group's or user's ID is fine


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Sari\u200b", "Sari"),  # the same name as "Sari", not a look-alike
        ("\u200b\u200b", ""),  # a name that only looks filled in
        ("Hayu\u200b.Bdg", "Hayu .Bdg"),  # a word break, as questions read it
        ("\ufeffPanduan Ga\u2060mpil", "Panduan Gampil"),  # joiners join
        ("\U0001f469\u200d\U0001f4bb Rina", "\U0001f469\u200d\U0001f4bb Rina"),  # emoji kept
    ],
)
def test_a_line_loses_its_invisible_spaces_and_joiners(value: str, expected: str) -> None:
    from core.text import clean_block, clean_line

    assert clean_line(value) == expected
    assert clean_block(value) == expected
