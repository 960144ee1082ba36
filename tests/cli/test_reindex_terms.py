"""``sinergi kb reindex-terms`` and the terms step of ``sinergi db upgrade``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from cli.main import main
from core.db import make_engine, make_session_factory
from knowledge_base.keyword import TERMS_VERSION, TextNormalizer
from knowledge_base.models import REVISION_META, KbChunk, KbDocument, KbIndexMeta
from knowledge_base.terms_upgrade import TERMS_META

TEXTS = (
    "Pengajuan izin usaha dilakukan melalui menu Perizinan.",
    "Władysław I diberi gelar adipati di kota München.",
    "Petugas memverifikasi berkas dalam tiga hari kerja.",
)


def _old_index(data_dir: Path) -> str:
    """Three passages whose terms an older normalisation wrote; the database URL."""
    url = f"sqlite:///{data_dir / 'sinergi.db'}"
    engine = make_engine(url)
    with make_session_factory(engine).begin() as s:
        s.add(
            KbDocument(
                doc_id="d", title="D", chunk_count=3, revision=1, ingested_at=datetime.now(UTC)
            )
        )
        s.flush()
        for i, text in enumerate(TEXTS):
            s.add(KbChunk(chunk_id=f"c{i}", doc_id="d", position=i, text=text, terms="usang"))
        s.add(KbIndexMeta(key=TERMS_META, value="1"))
        s.add(KbIndexMeta(key=REVISION_META, value="1"))
    engine.dispose()
    return url


def _terms(url: str) -> tuple[list[str], str | None]:
    engine = make_engine(url)
    with make_session_factory(engine)() as s:
        terms = list(s.scalars(select(KbChunk.terms).order_by(KbChunk.chunk_id)))
        version = s.scalar(select(KbIndexMeta.value).where(KbIndexMeta.key == TERMS_META))
    engine.dispose()
    return terms, version


def test_reindex_terms_rewrites_stale_terms_and_says_so(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = _old_index(data_dir)
    assert main(["kb", "reindex-terms", "--batch", "2"]) == 0
    out = " ".join(capsys.readouterr().out.split())  # rich wraps long lines
    assert "diturunkan ulang" in out and "3 potongan" in out
    terms, version = _terms(url)
    normalizer = TextNormalizer()
    assert terms == [" ".join(normalizer.terms(t)) for t in TEXTS]
    assert version == TERMS_VERSION
    # Again: nothing to do, and the JSON output says what ran.
    assert main(["kb", "reindex-terms", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["batches"] == 0 and report["complete"] is True


def test_db_upgrade_runs_the_terms_step(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = _old_index(data_dir)
    assert main(["db", "upgrade"]) == 0
    assert "diturunkan ulang" in capsys.readouterr().out
    assert _terms(url)[1] == TERMS_VERSION
    assert main(["db", "upgrade"]) == 0
    assert "sudah mutakhir" in capsys.readouterr().out


def test_a_batch_of_zero_is_refused(data_dir: Path) -> None:
    assert main(["kb", "reindex-terms", "--batch", "0"]) == 2  # usage error, nothing done


def test_db_upgrade_raises_the_chroma_collections_save_interval(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from knowledge_base.vectorstore import HNSW_SYNC_THRESHOLD, make_client

    assert main(["db", "upgrade"]) == 0
    assert "indeks vektor" not in capsys.readouterr().out  # no Chroma folder yet: nothing to do
    client = make_client(chroma_url=None, chroma_dir=data_dir / "chroma")
    client.create_collection("sinergi_chunks", metadata={"hnsw:space": "cosine"})
    assert main(["db", "upgrade"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert f"sync_threshold 1000 -> {HNSW_SYNC_THRESHOLD}" in out
    config = client.get_collection("sinergi_chunks").configuration_json["hnsw"]
    assert config["sync_threshold"] == HNSW_SYNC_THRESHOLD
    assert main(["db", "upgrade"]) == 0
    assert "Pengaturan indeks vektor (Chroma) sudah mutakhir" in capsys.readouterr().out
