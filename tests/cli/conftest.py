"""What every CLI test starts from: a private data dir and none of the developer's settings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.db import make_engine
from services import database


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty data dir; every ``SINERGI_*`` setting cleared except the test servers' URLs."""
    for name in list(os.environ):
        if name.startswith("SINERGI_") and not name.startswith("SINERGI_TEST_"):
            monkeypatch.delenv(name)
    path = tmp_path / "d"
    path.mkdir()
    monkeypatch.setenv("SINERGI_DATA_DIR", str(path))
    monkeypatch.setenv("SINERGI_EMBEDDING_BACKEND", "fake")
    monkeypatch.setenv("SINERGI_LANGUAGE", "id")
    return path


@pytest.fixture
def data_dir(cli_env: Path) -> Path:
    """``cli_env`` with the schema built by the migrations, as ``sinergi db upgrade`` does."""
    engine = make_engine(f"sqlite:///{cli_env / 'sinergi.db'}")
    database.upgrade(engine)
    engine.dispose()
    return cli_env
