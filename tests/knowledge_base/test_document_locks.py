"""One writer per document at a time, across processes (both databases).

Two writes of one document (the same file uploaded while its re-ingest runs in another
process) used to overlap: the first one's clean-up, reading which vectors were unused a moment
before the second committed, deleted the second one's new vectors, and the live version was
left without them until ``kb check --repair``. Each write now holds the document's lock
(PostgreSQL: an advisory lock; SQLite: a lock file in the data folder) from its first vector
to its last clean-up.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from core.config import Settings
from core.db import make_session_factory
from core.errors import StorageUnwritable
from core.locks import FileNamedLocks, named_locks_for
from knowledge_base.index import KnowledgeIndex, build_index
from knowledge_base.schemas import ChunkInput, DocumentInput
from tests.knowledge_base.conftest import make_index

ROOT = Path(__file__).resolve().parents[2]
DOC = DocumentInput("panduan-gampil", "Panduan Gampil", app="Gampil", language="id")
HOLDER = """
import sys
from pathlib import Path
from typing import Any
from core.db import make_engine
from core.locks import named_locks_for
engine = make_engine(sys.argv[1])
with named_locks_for(engine, Path(sys.argv[2]), prefix="document").hold(sys.argv[3]):
    print("held", flush=True)
    sys.stdin.readline()
"""


def _chunks(*texts: str) -> list[ChunkInput]:
    return [ChunkInput(text, "Izin", 1, i) for i, text in enumerate(texts)]


def _in_thread(work: Callable[[], object]) -> tuple[threading.Thread, threading.Event]:
    done = threading.Event()

    def run() -> None:
        work()
        done.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, done


def _two_processes(engine: Engine, tmp_path: Path) -> tuple[KnowledgeIndex, KnowledgeIndex]:
    """Two processes' indexes over one database and one vector store, sharing the document
    locks."""
    locks = tmp_path / "locks"
    first, second = (
        make_index(
            engine,
            tmp_path / "chroma",
            document_locks=named_locks_for(engine, locks, prefix="document"),
        )
        for _ in range(2)
    )
    return first, second


def test_two_writes_of_one_document_never_leave_the_live_version_without_vectors(
    engine: Engine, tmp_path: Path
) -> None:
    # Two processes' indexes over one database and one vector store. The interleaving that
    # lost vectors: B has stored its new vectors but not committed; A, cleaning up, sees them
    # in the store and not among the live chunks, and deletes them after B committed.
    a, b = _two_processes(engine, tmp_path)
    a.replace_document(DOC, _chunks("Versi satu: verifikasi berkas tiga hari kerja."))
    b_stored, b_go, a_window, a_go = (threading.Event() for _ in range(4))
    embed_units, committed = b._embed_units, a._committed_chunk_ids

    def b_pauses(*args: Any) -> Any:  # between B's vectors and its commit
        b_stored.set()
        b_go.wait(10)
        return embed_units(*args)

    def a_pauses(doc_id: str) -> set[str]:  # A has read which chunks are live
        live = committed(doc_id)
        a_window.set()
        a_go.wait(10)
        return live

    b._embed_units = b_pauses  # type: ignore[method-assign,assignment]
    a._committed_chunk_ids = a_pauses  # type: ignore[method-assign]
    second, _ = _in_thread(
        lambda: b.replace_document(DOC, _chunks("Versi tiga: verifikasi berkas satu hari kerja."))
    )
    assert b_stored.wait(30)
    first, _ = _in_thread(
        lambda: a.replace_document(DOC, _chunks("Versi dua: verifikasi berkas dua hari kerja."))
    )
    a_window.wait(1.0)  # without the lock A gets there; with it, it waits for B
    b_go.set()
    second.join(60)
    a_go.set()
    first.join(60)
    assert not first.is_alive() and not second.is_alive()
    check = b.check()
    assert check.missing == 0 and check.orphans == 0, check
    [live] = b.list_documents()
    assert b.search("verifikasi berkas", k=1)[0].text.startswith("Versi")
    assert live.chunk_count == 1
    a.close()
    b.close()


def test_a_repair_during_a_write_never_deletes_the_new_versions_vectors(
    engine: Engine, tmp_path: Path
) -> None:
    # ``kb check --repair`` while the bot re-ingests a document: the writer has stored its new
    # vectors and not yet committed; the check's scan takes them for orphans. Deleted after the
    # writer committed, they left the live version without vectors.
    writer, checker = _two_processes(engine, tmp_path)
    writer.replace_document(DOC, _chunks("Versi satu: verifikasi berkas tiga hari kerja."))
    stored, written, scanned, repair = (threading.Event() for _ in range(4))
    embed_units, check_model = writer._embed_units, checker._check_model

    def writer_pauses(*args: Any) -> Any:  # between the writer's vectors and its commit
        stored.set()
        written.wait(10)
        return embed_units(*args)

    def checker_pauses(*, writing: bool = False) -> None:  # the scan is done, the repair next
        scanned.set()
        repair.wait(10)
        check_model(writing=writing)

    writer._embed_units = writer_pauses  # type: ignore[method-assign,assignment]
    checker._check_model = checker_pauses  # type: ignore[method-assign]
    write, _ = _in_thread(
        lambda: writer.replace_document(DOC, _chunks("Versi dua: verifikasi berkas dua hari."))
    )
    assert stored.wait(30)
    found: list[Any] = []
    check, _ = _in_thread(lambda: found.append(checker.check(repair=True)))
    assert scanned.wait(30)
    written.set()
    write.join(60)
    repair.set()
    check.join(60)
    assert not write.is_alive() and not check.is_alive()
    assert found[0].orphans == 1 and found[0].repaired  # what the scan saw
    after = checker.check()
    assert after.missing == 0 and after.orphans == 0, after
    assert checker.search("verifikasi berkas", k=1, mode="dense")[0].text.startswith("Versi dua")
    writer.close()
    checker.close()


def _holder(url: str, folder: Path, name: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url, str(folder), name],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "held"
    return process


def test_the_lock_is_another_processes_and_goes_with_it_when_it_is_killed(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=tmp_path / "data", embedding_backend="fake"
    )
    index = build_index(settings, make_session_factory(engine))
    holder = _holder(db_url, settings.data_dir / "locks", DOC.doc_id)
    try:
        # Another document is written meanwhile: the lock is the document's, not the index's.
        other = DocumentInput("panduan-hayu", "Panduan Hayu", app="Hayu", language="id")
        _, other_done = _in_thread(lambda: index.replace_document(other, _chunks("Lapor.")))
        assert other_done.wait(60)
        thread, done = _in_thread(
            lambda: index.replace_document(DOC, _chunks("Verifikasi berkas tiga hari kerja."))
        )
        assert not done.wait(0.5)  # waits for the other process's write of the document
        holder.kill()  # kill -9 mid-write: the lock goes with the process
        holder.wait(30)
        assert done.wait(60)
        thread.join(5)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(30)
    assert {d.doc_id for d in index.list_documents()} == {DOC.doc_id, "panduan-hayu"}
    assert index.check().missing == 0
    index.close()


def test_a_lock_file_is_never_opened_through_a_link(tmp_path: Path) -> None:
    folder = tmp_path / "locks"
    locks = FileNamedLocks(folder, prefix="document")
    folder.mkdir(mode=0o700)
    target = tmp_path / "elsewhere.txt"
    target.write_text("not ours", encoding="utf-8")
    os.symlink(target, locks.path("panduan"))
    with pytest.raises(StorageUnwritable), locks.hold("panduan"):
        pass
    assert target.read_text(encoding="utf-8") == "not ours"
    linked = tmp_path / "linked-locks"
    os.symlink(folder, linked)
    with pytest.raises(StorageUnwritable), FileNamedLocks(linked, prefix="d").hold("x"):
        pass
    os.mkfifo(locks.path("a fifo"))  # opening it for writing would wait for a reader
    with pytest.raises(StorageUnwritable), locks.hold("a fifo"):
        pass
    with locks.hold("another name in another file"):
        assert (os.stat(folder).st_mode & 0o777) == 0o700


def test_a_stuck_holder_makes_the_next_write_give_up_after_the_wait_changing_nothing(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    # Both databases: PostgreSQL's advisory lock (``lock_timeout``) and SQLite's lock file
    # (asked again without blocking until the wait is over); before, SQLite's waited forever.
    from sqlalchemy import text

    from cli.errors import ExitStatus, exit_status_for
    from core.errors import DatabaseUnavailable, LockWaitExpired
    from services.messages import error_message

    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path / "data",
        embedding_backend="fake",
        document_lock_wait_s=0.3,
    )
    index = build_index(settings, make_session_factory(engine))
    index.replace_document(DOC, _chunks("Versi satu: verifikasi berkas tiga hari kerja."))
    # Alive and holding the document's lock, but never finishing (a hung write).
    holder = _holder(db_url, settings.data_dir / "locks", DOC.doc_id)
    failures: list[BaseException] = []

    def write() -> None:
        try:
            index.replace_document(DOC, _chunks("Versi dua: verifikasi berkas dua hari kerja."))
        except LockWaitExpired as expired:
            failures.append(expired)

    try:
        # In a thread, so a wait without a limit fails the test instead of hanging it.
        _, done = _in_thread(write)
        assert done.wait(30), "the write still waits for the stuck holder"
        with pytest.raises(LockWaitExpired):
            index.remove_document(DOC.doc_id)
    finally:
        holder.kill()
        holder.wait(30)
    [err] = failures
    assert isinstance(err, DatabaseUnavailable) and err.params["reason"] == "locked"
    assert err.params["name"] == DOC.doc_id and err.params["seconds"] == "0.3"
    assert "tidak merespons" in error_message(err, "id") and "stuck" in error_message(err, "en")
    assert exit_status_for(err) == ExitStatus.UNAVAILABLE
    # Nothing changed: the old version answers, with all its vectors.
    assert [d.doc_id for d in index.list_documents()] == [DOC.doc_id]
    assert index.search("verifikasi berkas", k=1)[0].text.startswith("Versi satu")
    assert index.check().missing == 0
    if engine.dialect.name == "postgresql":
        # The pooled sessions wait as configured again (no lock_timeout left behind)...
        conns = [engine.connect() for _ in range(3)]
        try:
            assert {c.execute(text("SHOW lock_timeout")).scalar() for c in conns} == {"0"}
        finally:
            for c in conns:
                c.close()
    # ...and once the holder has gone, the write goes through.
    index.replace_document(DOC, _chunks("Versi dua: verifikasi berkas dua hari kerja."))
    assert index.search("verifikasi berkas", k=1)[0].text.startswith("Versi dua")
    index.close()
