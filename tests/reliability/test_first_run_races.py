"""Commands started together on a new data folder: the schema is created once, first writes
do not collide.

Two ``sinergi mou list`` on an empty folder used to die with "table … already exists", and two
first ``kb ingest`` runs with an IntegrityError on ``kb_index_meta``. Each round below starts
the processes together on a fresh folder; a few rounds make an unlucky interleaving likely.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from core.clock import FixedClock
from core.config import Settings
from core.db import make_engine, make_session_factory
from knowledge_base.index import REVISION_META, build_index
from knowledge_base.models import KbIndexMeta
from knowledge_base.schemas import ChunkInput, DocumentInput
from services import database
from tests.conftest import create_schema

pytestmark = pytest.mark.slow
ROUNDS = 3
SINERGI = str(Path(sys.executable).with_name("sinergi"))


def start(data_dir: Path, *args: str) -> subprocess.Popen[str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SINERGI_")},
        "SINERGI_DATA_DIR": str(data_dir),
        "SINERGI_EMBEDDING_BACKEND": "fake",
    }
    return subprocess.Popen(
        [SINERGI, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(process: subprocess.Popen[str]) -> str:
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err[-2000:]
    assert "Traceback" not in err
    return out


def test_commands_started_together_on_a_new_folder_all_succeed(tmp_path: Path) -> None:
    for round_number in range(ROUNDS):
        data_dir = tmp_path / f"round-{round_number}"
        processes = [start(data_dir, "mou", "list", "--json") for _ in range(3)]
        for process in processes:
            assert json.loads(finish(process)) == []
        engine = make_engine(f"sqlite:///{data_dir / 'sinergi.db'}")
        try:
            assert database.is_up_to_date(engine)
        finally:
            engine.dispose()


def test_two_first_ingests_together_keep_both_documents(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("gampil", "hayu"):
        (docs / f"{name}.txt").write_text(
            f"Panduan {name} untuk layanan perizinan daring kota.\n" * 3, encoding="utf-8"
        )
    for round_number in range(ROUNDS):
        data_dir = tmp_path / f"round-{round_number}"
        processes = [
            start(data_dir, "kb", "ingest", str(docs / f"{name}.txt"), "--json")
            for name in ("gampil", "hayu")
        ]
        for process in processes:
            assert json.loads(finish(process))["added"] == 1
        listed = json.loads(finish(start(data_dir, "kb", "list", "--json")))
        assert sorted(d["doc_id"] for d in listed) == ["gampil", "hayu"]


def test_concurrent_first_writes_to_one_index_each_get_a_revision(tmp_path: Path) -> None:
    """Threads with their own engines stand in for processes: every first write succeeds and
    the revision counts each of them (none lost to a read-then-write race)."""
    writers = 4
    for round_number in range(ROUNDS):
        errors, revision = race_first_writes(tmp_path / f"round-{round_number}", writers)
        assert errors == []
        assert revision == str(writers)


def race_first_writes(folder: Path, writers: int) -> tuple[list[BaseException], str | None]:
    """``writers`` first documents written at once into one new database."""
    url = f"sqlite:///{folder / 'sinergi.db'}"
    folder.mkdir()
    setup = make_engine(url)
    create_schema(setup)
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(number: int) -> None:
        # One database for all; each its own vector store (only the database is what
        # separate processes share and race on).
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            data_dir=folder / f"store-{number}",
            database_url=url,
            embedding_backend="fake",
        )
        settings.ensure_dirs()
        engine = make_engine(url)
        try:
            index = build_index(settings, make_session_factory(engine), clock=FixedClock())
            doc = DocumentInput(doc_id=f"dok-{number}", title=f"Dokumen {number}")
            chunk = ChunkInput(f"Isi dokumen nomor {number} tentang layanan.")
            barrier.wait()
            index.replace_document(doc, [chunk])
            index.close()
        except BaseException as exc:  # collected and reported by the test
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with make_session_factory(setup)() as session:
        revision = session.scalar(select(KbIndexMeta.value).where(KbIndexMeta.key == REVISION_META))
    setup.dispose()
    return errors, revision
