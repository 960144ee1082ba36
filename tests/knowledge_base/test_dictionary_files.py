"""The English-Indonesian dictionary's files as a server may hold them: truncated, corrupt,
huge, not UTF-8, a FIFO, a device, a folder. Each reads as no dictionary (logged) or as the
entries that are sound, never as a crash, a hang or a full memory."""

from __future__ import annotations

import gzip
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine

from core.config import Settings
from core.db import make_session_factory
from knowledge_base import translation
from knowledge_base.index import build_index
from knowledge_base.translation import EnglishDictionary, load_english_dictionary, read_dictd
from tests.knowledge_base.test_translation import ENTRIES, write_dictd


def load_in_time(base: Path) -> EnglishDictionary:
    """``load_english_dictionary(base)``, failing (not hanging the suite) if it blocks."""
    found: list[EnglishDictionary] = []
    reader = threading.Thread(target=lambda: found.append(load_english_dictionary(base)))
    reader.daemon = True
    reader.start()
    reader.join(60)
    assert not reader.is_alive(), "reading the dictionary blocked"
    return found[0]


def dict_dz(base: Path) -> Path:
    return base.with_name(base.name + ".dict.dz")


def index_of(base: Path) -> Path:
    return base.with_name(base.name + ".index")


@pytest.fixture
def base(tmp_path: Path) -> Path:
    base = tmp_path / "freedict-eng-ind"
    write_dictd(base, ENTRIES)
    return base


def test_a_truncated_compressed_dictionary_reads_as_none_and_is_logged(
    base: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = dict_dz(base).read_bytes()
    dict_dz(base).write_bytes(data[: len(data) // 2])
    with caplog.at_level(logging.WARNING, logger="knowledge_base.translation"):
        found = load_in_time(base)
    assert not found and found.lookup("report") == ()
    assert "dict-freedict-eng-ind" in caplog.text


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda data: data[:12] + b"\xff" * (len(data) - 12),  # deflate data destroyed
        lambda data: b"not gzip at all" + data,
        lambda data: b"",
    ],
    ids=["deflate", "header", "empty"],
)
def test_a_corrupt_compressed_dictionary_reads_as_none(base: Path, corrupt: object) -> None:
    data = dict_dz(base).read_bytes()
    dict_dz(base).write_bytes(corrupt(data))  # type: ignore[operator]
    found = load_in_time(base)
    assert found.lookup("report") == ()


def test_a_fifo_in_place_of_the_index_is_not_waited_on(base: Path) -> None:
    index_of(base).unlink()
    os.mkfifo(index_of(base))
    assert not load_in_time(base)


def test_a_fifo_in_place_of_the_entries_is_not_waited_on(base: Path) -> None:
    dict_dz(base).unlink()
    os.mkfifo(base.with_name(base.name + ".dict"))
    assert not load_in_time(base)


def test_entries_linked_to_an_endless_device_are_refused(base: Path) -> None:
    dict_dz(base).unlink()
    base.with_name(base.name + ".dict").symlink_to("/dev/zero")
    # In a child process with its memory bounded: read without end, /dev/zero would fill the
    # machine's memory before anything failed.
    script = (
        "import resource, sys\n"
        "from pathlib import Path\n"
        "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
        "from knowledge_base.translation import load_english_dictionary\n"
        "print(len(load_english_dictionary(Path(sys.argv[1])).entries))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(base)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "0"
    assert "not a regular file" in done.stderr  # the warning names why


def test_a_folder_in_place_of_the_index_reads_as_none(base: Path) -> None:
    index_of(base).unlink()
    index_of(base).mkdir()
    assert not load_in_time(base)


def test_a_dictionary_decompressing_past_the_limit_is_refused(
    base: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(translation, "MAX_DICTIONARY_BYTES", 100_000)
    with gzip.open(dict_dz(base), "wb") as fh:  # 150 kB of nothing: a small "gzip bomb"
        fh.write(b"\0" * 150_000)
    with pytest.raises(OSError, match="too large"):
        read_dictd(base)
    assert not load_in_time(base)


def test_an_index_past_the_limit_is_refused(base: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(translation, "MAX_DICTIONARY_BYTES", 100_000)
    index_of(base).write_bytes(b"report\tA\tB\n" * 20_000)
    with pytest.raises(OSError, match="too large"):
        read_dictd(base)


def test_index_lines_not_utf8_or_not_dictd_are_left_out_and_the_rest_read(base: Path) -> None:
    lines = index_of(base).read_bytes().splitlines()
    odd = [
        b"caf\xe9\tA\tZ",  # Latin-1
        b"broken\t!!\t??",  # not dictd's base-64
        b"light\t" + b"/" * 400 + b"\tB",  # an offset far past the end of the entries
        b"x" * 10_000,  # no fields at all
    ]
    index_of(base).write_bytes(b"\n".join(odd + lines) + b"\n")
    found = read_dictd(base)
    assert found.lookup("report") == ("laporan",)
    assert found.lookup("deadline") == ("batas waktu", "tenggat waktu")


def test_a_truncated_uncompressed_dictionary_keeps_its_whole_entries(base: Path) -> None:
    data = gzip.decompress(dict_dz(base).read_bytes())
    dict_dz(base).unlink()
    cut = data.index(b"laporan") + len(b"laporan\n")  # ends inside the entries after "report"
    base.with_name(base.name + ".dict").write_bytes(data[:cut])
    found = read_dictd(base)
    assert found.lookup("deadline") == ("batas waktu", "tenggat waktu")  # before the cut
    assert found.lookup("working day") == ()  # cut off: left out, not read as garbage


def test_a_word_of_hundreds_of_translations_keeps_the_first_few(tmp_path: Path) -> None:
    base = tmp_path / "eng-ind"
    many = ", ".join(f"kata{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(600))
    write_dictd(base, {"thing": f"thing <n>\n{many}\nan object\n", **ENTRIES})
    found = read_dictd(base).lookup("thing")
    assert len(found) == translation.MAX_TRANSLATIONS
    assert found[:2] == ("kataaa", "kataab")


def test_a_linked_dictionary_is_read(base: Path, tmp_path: Path) -> None:
    """A link to the dictionary (``update-alternatives``, a copy elsewhere) is the admin's
    choice, and read."""
    linked = tmp_path / "linked"
    linked.mkdir()
    for suffix in (".index", ".dict.dz"):
        (linked / f"eng-ind{suffix}").symlink_to(base.with_name(base.name + suffix))
    assert load_in_time(linked / "eng-ind").lookup("report") == ("laporan",)


def test_the_index_starts_without_a_dictionary_when_its_file_is_a_fifo(
    settings: Settings, sqlite_engine: Engine, tmp_path: Path
) -> None:
    base = tmp_path / "eng-ind"
    os.mkfifo(index_of(base))
    os.mkfifo(base.with_name(base.name + ".dict"))
    configured = settings.model_copy(update={"english_dictionary": base})
    built: list[object] = []
    starter = threading.Thread(
        target=lambda: built.append(build_index(configured, make_session_factory(sqlite_engine))),
        daemon=True,
    )
    starter.start()
    starter.join(120)
    assert not starter.is_alive(), "the index waited on the FIFO"
    index = built[0]
    try:
        assert not index.lexicon.english  # type: ignore[attr-defined]
    finally:
        index.close()  # type: ignore[attr-defined]
