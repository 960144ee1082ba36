"""What the reliability tests start from: a private data dir with the schema, env-configured."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.db import make_engine
from tests.conftest import create_schema


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    monkeypatch.setenv("SINERGI_DATA_DIR", str(path))
    monkeypatch.setenv("SINERGI_EMBEDDING_BACKEND", "fake")
    monkeypatch.setenv("SINERGI_LANGUAGE", "id")
    monkeypatch.setenv("SINERGI_DATABASE_BUSY_TIMEOUT_S", "0.2")
    monkeypatch.delenv("SINERGI_DATABASE_URL", raising=False)
    engine = make_engine(f"sqlite:///{path / 'sinergi.db'}")
    create_schema(engine)
    engine.dispose()
    return path
