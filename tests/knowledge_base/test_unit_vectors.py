"""Unit vectors: every sentence of a chunk embedded when it is written, stored compactly,
read back for the passages an answer is composed from, and filled in for older indexes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.engine import Engine

from core.db import make_session_factory
from knowledge_base.embeddings import FakeEmbeddings
from knowledge_base.index import KnowledgeIndex
from knowledge_base.models import KbUnitVectors
from knowledge_base.schemas import ChunkInput, DocumentInput
from knowledge_base.unit_vectors import (
    HEADER_SIZE,
    decode,
    encode,
    fits,
    scales_span,
    similarities,
    usable,
    usable_parts,
)
from knowledge_base.units import passage_units, unit_key
from tests.knowledge_base.conftest import make_index

GUIDE = DocumentInput("panduan-gampil", "Panduan Gampil", app="Gampil")
CHUNKS = [
    ChunkInput(
        "Panduan Gampil > Izin\n\nPengajuan izin usaha lewat menu Perizinan. "
        "Verifikasi berkas selesai dalam tiga hari kerja.\n"
        "Jenis izin | Waktu\nIzin reklame | 3 hari kerja",
        "Izin",
        1,
        0,
    ),
    ChunkInput("Panduan Gampil > Akun\n\nDaftar akun dengan NIK dan kata sandi.", "Akun", 2, 1),
]


def _rows(engine: Engine) -> int:
    with make_session_factory(engine)() as s:
        return int(s.scalar(select(func.count()).select_from(KbUnitVectors)) or 0)


def test_the_stored_form_is_compact_and_close_to_the_vectors() -> None:
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((3, 384)).astype(np.float32)
    keys = [unit_key(t) for t in ("satu", "dua", "tiga")]
    blob = encode("model-a", keys, vectors)
    assert len(blob) < 3 * 400  # int8 + a float16 scale per unit, 8-byte keys
    decoded = decode(blob, "model-a")
    assert decoded is not None and list(decoded) == keys
    for key, vector in zip(keys, vectors, strict=True):
        cosine = float(decoded[key] @ (vector / np.linalg.norm(vector)))
        assert cosine > 0.999
    assert decode(blob, "model-b") is None  # another model's vectors are not used


def test_a_row_is_told_usable_as_decoding_it_would_tell() -> None:
    # The cheap check (header, length, scales) that ``sinergi status`` counts with agrees with
    # reading the row in full, for every way a row can be unusable.
    rng = np.random.default_rng(2)
    keys = [unit_key(t) for t in ("satu", "dua")]
    good = encode("model-a", keys, rng.standard_normal((2, 384)))
    nan = bytearray(good)
    nan[14 + 16 : 14 + 18] = np.array([np.inf], dtype=np.float16).tobytes()
    rows = {
        "good": good,
        "cut": good[:-1],
        "header only": good[:10],
        "another model": encode("model-b", keys, rng.standard_normal((2, 384))),
        "infinite scale": bytes(nan),
        "another width": encode("model-a", keys, rng.standard_normal((2, 768))),
    }
    for name, blob in rows.items():
        units = decode(blob, "model-a")
        readable = units is not None and fits(units, 384)
        assert usable(blob, "model-a", 384) is readable, name
    assert [n for n, b in rows.items() if not usable(b, "model-a", 384)] == [
        "cut",
        "header only",
        "another model",
        "infinite scale",
        "another width",
    ]
    assert usable(rows["another width"], "model-a")  # no width known yet: not counted


def test_units_of_a_written_chunk_get_vectors_that_answer_a_question(
    index: KnowledgeIndex, engine: Engine, embeddings: FakeEmbeddings
) -> None:
    index.replace_document(GUIDE, CHUNKS)
    assert _rows(engine) == 2
    result = index.retrieve("berapa lama verifikasi berkas?", k=2)
    sims = index.unit_similarities(result.hits, result.query_vector, lazy=False)
    hit = next(h for h in result.hits if h.section == "Izin")
    units = passage_units(hit.text, hit.title, hit.section)
    by_text = {u.span.text: sims[hit.chunk_id][unit_key(u.read)] for u in units}
    assert set(by_text) == {
        "Pengajuan izin usaha lewat menu Perizinan.",
        "Verifikasi berkas selesai dalam tiga hari kerja.",
        "Jenis izin | Waktu",
        "Izin reklame | 3 hari kerja",
    }
    best = max(by_text, key=by_text.__getitem__)
    assert best == "Verifikasi berkas selesai dalam tiga hari kerja."
    # The same cosine as embedding the unit now (int8 storage loses almost nothing).
    vector = np.asarray(embeddings.embed_documents([best])[0])
    query = np.asarray(result.query_vector)
    expected = float(vector @ query / np.linalg.norm(query))
    assert abs(by_text[best] - expected) < 0.01


def test_unchanged_chunks_keep_their_unit_vectors_and_removed_ones_lose_them(
    index: KnowledgeIndex, engine: Engine, embeddings: FakeEmbeddings
) -> None:
    index.replace_document(GUIDE, CHUNKS)
    before = sum(embeddings.calls)
    assert index.replace_document(GUIDE, CHUNKS) == 0
    assert sum(embeddings.calls) == before  # neither chunks nor units embedded again
    index.replace_document(GUIDE, CHUNKS[1:])
    assert _rows(engine) == 1
    index.remove_document(GUIDE.doc_id)
    assert _rows(engine) == 0


def test_an_index_written_without_unit_vectors_gains_them(engine: Engine, tmp_path: Path) -> None:
    old = make_index(engine, tmp_path / "chroma")
    old.unit_vectors = False  # as an index written before unit vectors existed
    old.replace_document(GUIDE, CHUNKS)
    old.close()
    assert _rows(engine) == 0
    index = make_index(engine, tmp_path / "chroma")
    # Lazily: the passages an answer reads get theirs on first use.
    result = index.retrieve("daftar akun", k=1)
    sims = index.unit_similarities(result.hits, result.query_vector)
    assert sims[result.hits[0].chunk_id]
    assert _rows(engine) == 1
    # All at once (``kb reindex``): the rest.
    assert index.fill_unit_vectors() == 1
    assert _rows(engine) == 2
    assert index.fill_unit_vectors() == 0
    index.close()


def test_vectors_of_another_model_are_replaced(engine: Engine, tmp_path: Path) -> None:
    index = make_index(engine, tmp_path / "chroma")
    index.replace_document(GUIDE, CHUNKS)
    with make_session_factory(engine).begin() as s:
        for row in s.scalars(select(KbUnitVectors)):
            row.vectors = encode("another-model", [unit_key("x")], np.ones((1, 64)))
    assert index.fill_unit_vectors() == 2
    result = index.retrieve("daftar akun", k=1)
    assert index.unit_similarities(result.hits, result.query_vector, lazy=False)
    index.close()


def test_a_missing_chunk_is_no_error(index: KnowledgeIndex, engine: Engine) -> None:
    index.replace_document(GUIDE, CHUNKS)
    result = index.retrieve("daftar akun", k=1)
    with make_session_factory(engine).begin() as s:
        s.execute(delete(KbUnitVectors))
    index.remove_document(GUIDE.doc_id)
    # The passage went between the search and the answer: nothing to store, nothing raised.
    assert index.unit_similarities(result.hits, result.query_vector) is not None
    assert _rows(engine) == 0


def test_similarities_by_chunk_and_key() -> None:
    keys = [unit_key("a"), unit_key("b")]
    stored = {"c1": decode(encode("m", keys, np.eye(2, 4)), "m") or {}}
    sims = similarities(stored, np.array([1.0, 0.0, 0.0, 0.0]))
    assert sims["c1"][keys[0]] > 0.99 and abs(sims["c1"][keys[1]]) < 0.01


def test_lazy_unit_vectors_serve_the_answer_while_the_database_is_write_locked(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    """SQLite's database-wide write lock (PostgreSQL locks rows)."""
    import sqlite3

    engine = sqlite_engine

    old = make_index(engine, tmp_path / "chroma")
    old.unit_vectors = False
    old.replace_document(GUIDE, CHUNKS)
    old.close()
    index = make_index(engine, tmp_path / "chroma")
    result = index.retrieve("daftar akun", k=1)
    holder = sqlite3.connect(str(engine.url.database), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a long ingest in another process
    try:
        sims = index.unit_similarities(result.hits, result.query_vector)
        assert sims[result.hits[0].chunk_id]  # computed and used, not stored
    finally:
        holder.execute("COMMIT")
        holder.close()
    assert _rows(engine) == 0
    index.unit_similarities(result.hits, result.query_vector)
    assert _rows(engine) == 1  # stored at the next chance
    index.close()


def _damage(engine: Engine, model_id: str, how: str) -> None:
    """Every stored row of ``model_id`` rewritten as a damaged one of that same model."""
    with make_session_factory(engine).begin() as s:
        for row in s.scalars(select(KbUnitVectors)):
            stored = decode(row.vectors, model_id)
            assert stored is not None
            keys = list(stored)
            if how == "nan":
                blob = bytearray(encode(model_id, keys, np.stack(list(stored.values()))))
                # The header (format, model, counts: 14 bytes), the keys, then one float16
                # scale per unit: the first unit's scale is NaN.
                at = 14 + 8 * len(keys)
                blob[at : at + 2] = np.array([np.nan], dtype=np.float16).tobytes()
                row.vectors = bytes(blob)
            elif how == "cut":  # a row cut short (a restore that stopped midway)
                row.vectors = row.vectors[: len(row.vectors) - 3]
            elif how == "model":  # written by another model
                row.vectors = encode("another-model", keys, np.stack(list(stored.values())))
            else:  # another width than the model's (a row written by a wider model's id)
                row.vectors = encode(model_id, keys, np.ones((len(keys), 768)))


@pytest.mark.parametrize("how", ["nan", "width"])
def test_damaged_stored_unit_vectors_are_embedded_again_not_ranked_on(
    engine: Engine, tmp_path: Path, how: str
) -> None:
    from dataclasses import replace

    from knowledge_base.fusion import GENERIC_FUSION

    index = make_index(engine, tmp_path / "chroma")
    index.fusion = replace(GENERIC_FUSION, sentence_weight=0.5, sentence_floor=0.0)
    try:
        index.replace_document(GUIDE, CHUNKS)
        _damage(engine, index.model_id, how)
        # The ranking reads the first passages' units; the answer reads them again.
        result = index.retrieve("berapa lama verifikasi berkas?", k=2)
        assert result.hits
        sims = index.unit_similarities(result.hits, result.query_vector, read=result.unit_vectors)
        for hit in result.hits:
            values = list(sims[hit.chunk_id].values())
            assert values and all(np.isfinite(values)) and all(-1.01 <= v <= 1.01 for v in values)
        # ...and the rows the answer read are repaired for the next question.
        width = np.asarray(result.query_vector).size
        with make_session_factory(engine)() as s:
            for blob in s.scalars(
                select(KbUnitVectors.vectors).where(
                    KbUnitVectors.chunk_id.in_([h.chunk_id for h in result.hits])
                )
            ):
                repaired = decode(blob, index.model_id)
                assert repaired is not None
                assert all(v.shape == (width,) and np.isfinite(v).all() for v in repaired.values())
    finally:
        index.close()


def test_the_answer_reuses_the_searchs_cosines_unless_it_embedded_the_units_again(
    engine: Engine, tmp_path: Path
) -> None:
    from dataclasses import replace

    from knowledge_base.fusion import GENERIC_FUSION

    index = make_index(engine, tmp_path / "chroma")
    index.fusion = replace(GENERIC_FUSION, sentence_weight=0.5, sentence_floor=0.0)
    try:
        index.replace_document(GUIDE, CHUNKS)
        result = index.retrieve("berapa lama verifikasi berkas?", k=2)
        assert {h.chunk_id for h in result.hits} <= set(result.unit_cosines)
        fresh = index.unit_similarities(result.hits, result.query_vector, read=result.unit_vectors)
        planted = {cid: dict.fromkeys(units, 0.5) for cid, units in result.unit_cosines.items()}
        reused = index.unit_similarities(
            result.hits, result.query_vector, read=result.unit_vectors, cosines=planted
        )
        # Taken as given, not computed again.
        assert reused == {h.chunk_id: planted[h.chunk_id] for h in result.hits}
        assert (
            index.unit_similarities(
                result.hits,
                result.query_vector,
                read=result.unit_vectors,
                cosines=result.unit_cosines,
            )
            == fresh
        )
        # A chunk whose stored row lacks a unit is embedded again: its cosines are the new ones.
        izin = next(h for h in result.hits if h.section == "Izin")
        with make_session_factory(engine).begin() as s:
            row = s.get(KbUnitVectors, izin.chunk_id)
            assert row is not None
            stored = decode(row.vectors, index.model_id)
            assert stored is not None
            keys = list(stored)[1:]
            row.vectors = encode(index.model_id, keys, np.stack([stored[k] for k in keys]))
        result = index.retrieve("berapa lama verifikasi berkas?", k=2)
        assert len(result.unit_cosines[izin.chunk_id]) == len(keys)
        sims = index.unit_similarities(
            result.hits, result.query_vector, read=result.unit_vectors, cosines=result.unit_cosines
        )
        assert sims == fresh
    finally:
        index.close()


@pytest.mark.parametrize("how", ["nan", "width", "cut", "model"])
def test_damaged_unit_vectors_are_reported_by_the_check_and_repaired_by_reindex_or_repair(
    engine: Engine, tmp_path: Path, how: str
) -> None:
    index = make_index(engine, tmp_path / "chroma")
    try:
        index.replace_document(GUIDE, CHUNKS)
        assert index.check().damaged_units == 0
        assert index.damaged_unit_count() == 0
        _damage(engine, index.model_id, how)
        found = index.check()
        assert found.damaged_units == 2 and not found.consistent
        # The status's count, from the parts of each row the database sends, agrees.
        assert index.damaged_unit_count() == 2
        # ``kb reindex`` writes each document again from its original: the rows are repaired.
        index.replace_document(GUIDE, CHUNKS)
        assert index.check().damaged_units == 0
        # ``kb check --repair`` does it without the originals.
        _damage(engine, index.model_id, how)
        repaired = index.check(repair=True)
        assert repaired.damaged_units == 2 and repaired.repaired
        assert index.check().damaged_units == 0 and index.check().consistent
        width = len(index.embeddings.embed_query("x"))
        with make_session_factory(engine)() as s:
            for blob in s.scalars(select(KbUnitVectors.vectors)):
                units = decode(blob, index.model_id)
                assert units is not None and all(v.shape == (width,) for v in units.values())
    finally:
        index.close()


def test_the_status_count_of_damaged_rows_has_the_database_send_parts_of_rows_not_rows(
    engine: Engine, tmp_path: Path
) -> None:
    # ``sinergi status`` counts them: at 100,000 passages the rows are 120 to 160 MB, their
    # headers, lengths and scales a few MB. The row's bytes are only ever an argument of a
    # function the database computes (its length, a part of it), never selected as they are.
    import re

    from sqlalchemy import event

    index = make_index(engine, tmp_path / "chroma")
    try:
        index.replace_document(GUIDE, CHUNKS)
        _damage(engine, index.model_id, "nan")
        statements: list[str] = []

        def keep(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", keep)
        try:
            assert index.damaged_unit_count() == 2
        finally:
            event.remove(engine, "before_cursor_execute", keep)
        read = [q for q in statements if "kb_unit_vectors.vectors" in q]
        assert read
        for statement in read:
            assert not re.search(r"(?<!\()kb_unit_vectors\.vectors\b", statement), statement
    finally:
        index.close()


def test_a_rows_header_length_and_scales_tell_what_the_whole_row_tells() -> None:
    import struct

    from knowledge_base.unit_vectors import model_fingerprint

    keys = [bytes([i]) * 8 for i in range(3)]
    good = encode("m", keys, np.arange(12, dtype=np.float32).reshape(3, 4) + 1)
    nan = bytearray(good)
    at = HEADER_SIZE + 8 * 3 + 2  # the second unit's scale
    nan[at : at + 2] = np.array([np.inf], dtype=np.float16).tobytes()
    rows = [
        good,
        bytes(nan),
        good[:-1],  # cut
        good + b"\0",  # longer than its header says
        good[:10],  # shorter than a header
        b"",
        encode("other", keys, np.ones((3, 4))),
        encode("m", keys, np.ones((3, 6))),  # another width
        struct.pack("<2s8sHH", b"U1", model_fingerprint("m"), 0, 6),  # no units: any width
    ]
    for blob in rows:
        start, length = scales_span(len(blob), 4)
        parts = usable_parts(blob[:HEADER_SIZE], len(blob), blob[start : start + length], "m", 4)
        assert parts == usable(blob, "m", 4), blob
    assert [usable(b, "m", 4) for b in rows] == [True] + [False] * 7 + [True]


@pytest.mark.parametrize(
    "value",
    [
        "12345",
        "1.5",
        "'teks yang sama sekali bukan vektor kalimat'",
        "CAST(x'ff00fe' AS TEXT)",
        "CAST(x'5531' || zeroblob(40) AS TEXT)",
        "x''",
    ],
)
def test_a_unit_vector_row_holding_no_vector_bytes_counts_as_damaged(
    sqlite_engine: Engine, tmp_path: Path, value: str
) -> None:
    # SQLite keeps any value in a BLOB column (a restore by another tool): a number or a
    # long text made every question retrieving the passage, kb check and status fail with
    # a TypeError; a text of bytes that are not UTF-8 could not even be fetched ("Could not
    # decode to UTF-8 column").
    index = make_index(sqlite_engine, tmp_path / "chroma")
    try:
        index.replace_document(GUIDE, CHUNKS)
        with sqlite_engine.begin() as conn:
            conn.execute(text(f"UPDATE kb_unit_vectors SET vectors = {value}"))
        assert index.check().damaged_units == 2
        assert index.damaged_unit_count() == 2  # sinergi status reads parts of the rows
        result = index.retrieve("berapa lama verifikasi berkas?", k=2)
        assert result.hits
        sims = index.unit_similarities(result.hits, result.query_vector, read=result.unit_vectors)
        assert all(sims[h.chunk_id] for h in result.hits)  # embedded again, not ranked on
        index.check(repair=True)
        assert index.check().damaged_units == 0
    finally:
        index.close()
