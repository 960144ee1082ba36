"""The backup and the restore drill of docs/deploy.md, run for real (slow, PostgreSQL + Chroma).

``deploy/backup.sh`` backs up a live deployment (PostgreSQL through pg_dump, the data folder,
the folder of a real ``chroma run`` server, stopped and started around the copy);
``deploy/restore.sh`` restores it into a new database, new folders and a new Chroma server.
The restored deployment must answer the same questions with the same sources and hold the
same agreements, users and reminders. A restore whose Chroma copy is older than its database
(a document ingested in between) must end consistent too: the drill re-embeds what is missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from core.config import Settings
from core.db import make_engine
from services import Services, build_services, database
from services.demo import DEFAULT_SAMPLES_DIR, seed_demo
from tests.conftest import POSTGRES_URL_ENV, require_server
from tests.fakes.tracker import OPERATOR
from tests.reliability.servers import ChromaServer, free_port
from tests.required import everything_required

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SINERGI = Path(sys.executable).with_name("sinergi")
SERVERS = f"{sys.executable} -m tests.reliability.servers"  # stops/starts the test's Chroma

SERVERS_NEEDED = (pytest.mark.slow, pytest.mark.postgres, pytest.mark.chroma_server)


def needs_servers(test: Callable[..., None]) -> Callable[..., None]:
    for mark in SERVERS_NEEDED:
        test = mark(test)
    return test


QUESTIONS = (
    "Bagaimana cara mengajukan izin usaha lewat Gampil?",
    # The documents state this one (the table of service times); how long verification takes
    # they do not say, and the answer now refuses that rather than guess.
    "Berapa lama penyelesaian izin reklame?",
)


def _tools() -> None:
    missing = [
        t for t in ("pg_dump", "pg_restore", "psql", "tar", "sha256sum") if not shutil.which(t)
    ]
    if not missing:
        return
    if everything_required():
        pytest.fail(f"the restore drill needs {', '.join(missing)}")
    pytest.skip(f"the restore drill needs {', '.join(missing)} (CI installs PostgreSQL)")


@pytest.fixture
def server_url() -> Iterator[str]:
    """The CI PostgreSQL server; the test creates and drops its own databases on it."""
    url = require_server(POSTGRES_URL_ENV, "PostgreSQL")
    _tools()
    yield url


@dataclass
class Deployment:
    """One deployment's settings, as environment variables for the scripts and the CLI."""

    database_url: str
    data_dir: Path
    chroma: ChromaServer

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SINERGI_")}
        env.update(
            SINERGI_ENV_FILE="/nonexistent",
            SINERGI_DATABASE_URL=self.database_url,
            SINERGI_DATA_DIR=str(self.data_dir),
            SINERGI_CHROMA_URL=self.chroma.url,
            SINERGI_CHROMA_DIR=str(self.chroma.path),
            SINERGI_CHROMA_STOP=f"{SERVERS} stop {self.chroma.path}",
            SINERGI_CHROMA_START=f"{SERVERS} start {self.chroma.path} {self.chroma.port}",
            SINERGI_EMBEDDING_BACKEND="fake",
            SINERGI_LANGUAGE="id",
            SINERGI_BIN=str(SINERGI),
            PYTHONPATH=str(ROOT),
            **extra,
        )
        return env

    def settings(self) -> Settings:
        return Settings(  # type: ignore[call-arg]
            _env_file=None,
            data_dir=self.data_dir,
            database_url=self.database_url,
            chroma_url=self.chroma.url,
            embedding_backend="fake",
            language="id",
        )

    @contextmanager
    def services(self) -> Iterator[Services]:
        services = build_services(self.settings())
        try:
            yield services
        finally:
            services.close()

    def script(self, name: str, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            ["bash", str(DEPLOY / name), *args],
            env=self.env(),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if ok:
            assert done.returncode == 0, f"{name} failed:\n{done.stdout}\n{done.stderr}"
        return done


@pytest.fixture
def databases(server_url: str) -> Iterator[list[str]]:
    """Fresh databases on the CI server, dropped afterwards (``new()`` makes one more)."""
    admin = make_engine(server_url).execution_options(isolation_level="AUTOCOMMIT")
    made: list[str] = []

    def new() -> str:
        name = f"sinergi_drill_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return make_url(server_url).set(database=name).render_as_string(hide_password=False)

    urls = [new(), new(), new()]
    yield urls
    with admin.connect() as conn:
        for name in made:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def _answers(services: Services) -> list[tuple[str, list[tuple[str, str | None]]]]:
    out = []
    for question in QUESTIONS:
        answer = services.knowledge.ask(question, asked_by="test")
        out.append((answer.answer, [(c.doc_id, c.section) for c in answer.citations]))
    return out


def _state(services: Services) -> dict[str, object]:
    return {
        "agreements": services.tracker.list_agreements(OPERATOR, at=date(2026, 11, 23)),
        "users": services.access.list_users(),
        "documents": [
            (d.doc_id, d.title, d.chunk_count, d.source_hash)
            for d in services.knowledge.list_documents()
        ],
        "outbox": services.reminders.log(limit=1000),
    }


@needs_servers
def test_backup_then_restore_gives_the_same_deployment(
    databases: list[str], tmp_path: Path
) -> None:
    source_db, restored_db, mixed_db = databases
    extra = tmp_path / "extra" / "panduan-sipd.md"
    extra.parent.mkdir()
    extra.write_text(
        "# Panduan SIPD\n\n## Sinkronisasi\n\nData anggaran SIPD disinkronkan setiap "
        "malam pukul 23.00 oleh operator Bappeda.\n",
        encoding="utf-8",
    )
    with ChromaServer(tmp_path / "chroma-live", free_port()) as chroma:
        live = Deployment(source_db, tmp_path / "data-live", chroma)
        database.upgrade_configured(live.settings())
        with live.services() as services:
            seed_demo(services, DEFAULT_SAMPLES_DIR, today=date(2026, 11, 23))
            services.access.add_user(424242, "admin", name="Admin")
            answers = _answers(services)
            state = _state(services)
        assert all(citations for _, citations in answers)

        live.script("backup.sh", str(tmp_path / "backups"))
        first = sorted((tmp_path / "backups").iterdir())
        assert len(first) == 1 and (first[0] / "SHA256SUMS").exists()
        with live.services() as services:
            # The live Chroma server was started again after the copy; then new work comes in.
            assert services.knowledge.check_index().consistent
            services.ingest.ingest_paths([extra])
        live.script("backup.sh", str(tmp_path / "backups"))
        second = sorted(p for p in (tmp_path / "backups").iterdir() if p not in first)
        assert len(second) == 1

    # Disaster: the restored deployment starts from nothing but the backup folder.
    with ChromaServer(tmp_path / "chroma-restored", free_port(), start=False) as chroma:
        restored = Deployment(restored_db, tmp_path / "data-restored", chroma)
        done = restored.script("restore.sh", str(first[0]))
        assert "re-embedding" not in done.stdout
        with restored.services() as services:
            assert _answers(services) == answers
            assert _state(services) == state
            check = services.knowledge.check_index()
            assert (check.missing, check.orphans) == (0, 0)
            # The restored deployment takes new work.
            assert services.ingest.ingest_paths([extra]).added == 1

    # Last night's database with an older Chroma copy: the drill re-embeds what is missing.
    mixed_backup = tmp_path / "mixed"
    shutil.copytree(second[0], mixed_backup)
    shutil.copy2(first[0] / "chroma.tar.gz", mixed_backup / "chroma.tar.gz")
    _checksums(mixed_backup)
    with ChromaServer(tmp_path / "chroma-mixed", free_port(), start=False) as chroma:
        mixed = Deployment(mixed_db, tmp_path / "data-mixed", chroma)
        done = mixed.script("restore.sh", str(mixed_backup))
        assert "re-embedding" in done.stdout
        with mixed.services() as services:
            check = services.knowledge.check_index()
            assert (check.missing, check.orphans) == (0, 0)
            answer = services.knowledge.ask("Kapan data anggaran SIPD disinkronkan?")
            assert answer.found and answer.citations[0].doc_id.startswith("panduan-sipd")


def _checksums(folder: Path) -> None:
    subprocess.run(
        "sha256sum database.dump data.tar.gz chroma.tar.gz MANIFEST > SHA256SUMS",
        shell=True,
        check=True,
        cwd=folder,
    )


@needs_servers
def test_restore_refuses_a_damaged_backup_and_a_database_in_use(
    databases: list[str], tmp_path: Path
) -> None:
    chroma = ChromaServer(tmp_path / "chroma", free_port(), start=False)  # never reached
    target = Deployment(databases[0], tmp_path / "data", chroma)
    database.upgrade_configured(target.settings())
    backup = tmp_path / "backup"
    backup.mkdir()
    (backup / "MANIFEST").write_text("created_at=test\n")
    for name in ("database.dump", "data.tar.gz", "chroma.tar.gz"):
        (backup / name).write_bytes(b"")
    _checksums(backup)
    in_use = target.script("restore.sh", str(backup), ok=False)
    assert in_use.returncode != 0 and "not empty" in in_use.stdout
    (backup / "data.tar.gz").write_bytes(b"tampered")
    damaged = target.script("restore.sh", str(backup), ok=False)
    assert damaged.returncode != 0 and "damaged" in damaged.stdout


def test_the_settings_file_fills_in_only_what_the_environment_leaves_unset(
    tmp_path: Path,
) -> None:
    env_file = tmp_path / "sinergi.env"
    env_file.write_text(
        "# a comment\n"
        "SINERGI_DATA_DIR=/var/lib/sinergi/data\n"
        '  SINERGI_WEBHOOK_SECRET="two words"\n'
        "SINERGI_DATABASE_URL=postgresql+psycopg://prod/sinergi\n"
        "not a setting\n",
        encoding="utf-8",
    )
    script = f'. {DEPLOY / "env.sh"}; load_env; printf "%s|%s|%s" "$SINERGI_DATA_DIR" '
    script += '"$SINERGI_WEBHOOK_SECRET" "$SINERGI_DATABASE_URL"'
    env = {
        "PATH": os.environ["PATH"],
        "SINERGI_ENV_FILE": str(env_file),
        "SINERGI_DATABASE_URL": "postgresql+psycopg://drill/sinergi_drill",
    }
    done = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True)
    assert done.stdout == (
        "/var/lib/sinergi/data|two words|postgresql+psycopg://drill/sinergi_drill"
    )


def _recording_tools(folder: Path) -> Path:
    """``pg_dump``, ``psql`` and ``pg_restore`` that write down their arguments and the
    password they were given, then do what the scripts need of them."""
    folder.mkdir()
    log = folder / "calls.log"
    for tool in ("pg_dump", "psql", "pg_restore"):
        body = f'printf "%s\\t%s\\t%s\\n" "{tool}" "$*" "${{PGPASSWORD-}}" >>"{log}"\n'
        if tool == "pg_dump":
            body += 'for a in "$@"; do [ "$prev" = --file ] && : >"$a"; prev=$a; done\n'
        if tool == "psql":
            body += "echo 0\n"
        path = folder / tool
        path.write_text("#!/bin/bash\n" + body, encoding="utf-8")
        path.chmod(0o700)
    return log


def test_the_database_password_is_never_on_a_command_line(tmp_path: Path) -> None:
    # Every account on the server sees command lines (ps); the password goes by environment.
    password = "S@ndi/rahasia-77"
    log = _recording_tools(tmp_path / "bin")
    data, chroma = tmp_path / "data", tmp_path / "chroma"
    data.mkdir()
    chroma.mkdir()
    (data / "pseudonym.key").write_text("k" * 32, encoding="utf-8")
    env = {
        "PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "SINERGI_ENV_FILE": str(tmp_path / "none.env"),
        "SINERGI_DATABASE_URL": "postgresql+psycopg://sinergi:S%40ndi%2Frahasia-77@db:5432/s",
        "SINERGI_DATA_DIR": str(data),
        "SINERGI_CHROMA_DIR": str(chroma),
        "SINERGI_CHROMA_STOP": "true",
        "SINERGI_CHROMA_START": "true",
    }
    backups = tmp_path / "backups"
    done = subprocess.run(
        ["bash", str(DEPLOY / "backup.sh"), str(backups)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (backup,) = backups.iterdir()
    env["SINERGI_DATA_DIR"], env["SINERGI_CHROMA_DIR"] = str(tmp_path / "d2"), str(tmp_path / "c2")
    done = subprocess.run(
        ["bash", str(DEPLOY / "restore.sh"), str(backup)], env=env, capture_output=True, text=True
    )
    lines = log.read_text(encoding="utf-8").splitlines()
    calls = [line.split("\t") for line in lines if "--version" not in line]
    assert {tool for tool, _, _ in calls} == {"pg_dump", "psql", "pg_restore"}
    for tool, arguments, given in calls:
        assert "rahasia" not in arguments and "postgresql://sinergi@db:5432/s" in arguments
        assert given == password, tool
    assert "rahasia" not in done.stdout + done.stderr
