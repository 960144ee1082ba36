"""Scanned pages read once: kept by file content under the data folder."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.config import Settings
from ingestion import scans
from ingestion.ocr import OcrLine, OcrPage, TesseractOcr
from services.ingest import IngestService
from tests.fakes.memory_index import MemoryIndex
from tests.fakes.scans import image_bytes, render_page


class CountingOcr(TesseractOcr):
    """Tesseract faked at its seam: each page "reads" as its number, and reads are counted."""

    def __init__(self, cache_dir: Path | None, languages: str = "ind") -> None:
        super().__init__(languages=languages, cache_dir=cache_dir)
        self.reads = 0

    def check(self, filename: str = "") -> None:
        return None

    def available(self) -> bool:
        return True

    def read_pages(
        self, filename: str, pages: Iterator[tuple[int, Any]], total: int, **_: Any
    ) -> list[OcrPage]:
        out = []
        for number, _image in pages:
            self.reads += 1
            lines = (
                OcrLine("PERJANJIAN KERJA SAMA", 0.91, True),
                OcrLine(f"Halaman {number}: para pihak sepakat.", 0.875, True),
            )
            out.append(OcrPage(number, lines, rotated=90, skew=1.5))
        return out


@pytest.fixture
def scan() -> bytes:
    return image_bytes(render_page(["PERJANJIAN KERJA SAMA"], size=(300, 200)))


@pytest.fixture(autouse=True)
def fresh_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scans, "_CACHE", scans.OcrCache())


def restart(monkeypatch: pytest.MonkeyPatch) -> None:
    """A new process: the memory cache is empty, the folder is not."""
    monkeypatch.setattr(scans, "_CACHE", scans.OcrCache())


def test_a_scan_read_again_after_a_restart_is_not_ocrd_again(
    tmp_path: Path, scan: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = CountingOcr(tmp_path / "ocr-cache")
    before = scans.read_lines("pks.png", scan, first)
    assert first.reads == 1
    restart(monkeypatch)
    again = CountingOcr(tmp_path / "ocr-cache")
    after = scans.read_lines("pks-lagi.png", scan, again)
    assert again.reads == 0
    assert after == before
    assert after.pages[0].lines[1] == "Halaman 1: para pihak sepakat."


def test_without_a_folder_only_memory_remembers(
    tmp_path: Path, scan: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    scans.read_lines("pks.png", scan, CountingOcr(None))
    restart(monkeypatch)
    ocr = CountingOcr(None)
    scans.read_lines("pks.png", scan, ocr)
    assert ocr.reads == 1
    assert not any(tmp_path.iterdir())


def test_other_languages_read_the_page_again(
    tmp_path: Path, scan: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    scans.read_lines("pks.png", scan, CountingOcr(tmp_path))
    restart(monkeypatch)
    other = CountingOcr(tmp_path, languages="ind+eng")
    scans.read_lines("pks.png", scan, other)
    assert other.reads == 1


def test_a_damaged_or_unwritable_cache_only_costs_a_new_read(
    tmp_path: Path, scan: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "ocr-cache"
    scans.read_lines("pks.png", scan, CountingOcr(folder))
    for kept in folder.rglob("*.json"):
        kept.write_text('{"format": 1, "lines": [', encoding="utf-8")
    restart(monkeypatch)
    ocr = CountingOcr(folder)
    assert scans.read_lines("pks.png", scan, ocr).pages[0].lines[0] == "PERJANJIAN KERJA SAMA"
    assert ocr.reads == 1
    restart(monkeypatch)
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    ocr = CountingOcr(blocked)
    assert scans.read_lines("pks.png", scan, ocr).pages[0].lines  # read, just not kept
    assert ocr.reads == 1


def test_pruning_a_removed_documents_original_deletes_its_ocr_pages(
    settings: Settings, tmp_path: Path, scan: bytes
) -> None:
    index = MemoryIndex()
    service = IngestService(settings, index=lambda: index, ocr=CountingOcr(settings.ocr_cache_dir))
    path = tmp_path / "pks-scan.png"
    path.write_bytes(scan)
    assert not service.ingest_paths([path]).failed
    kept = list(settings.ocr_cache_dir.rglob("*.json"))
    assert kept
    later = time.time() + 3601
    assert service.prune_originals(now=later).ocr_deleted == 0  # its original is still used
    index.remove_document(next(iter(index.docs)))
    for page in kept:
        os.utime(page, (later - 7200, later - 7200))
    pruned = service.prune_originals(now=later)
    assert pruned.deleted == 1 and pruned.ocr_deleted == 1
    assert not list(settings.ocr_cache_dir.rglob("*.json"))


def test_pruning_never_follows_a_link_planted_in_the_cache(
    settings: Settings, tmp_path: Path
) -> None:
    """A link in the cache folder (to a folder of someone's files) is not a kept scan: pruning
    deletes nothing through it."""
    outside = tmp_path / "outside"
    (outside / "notes").mkdir(parents=True)
    (outside / "notes" / "rapat.txt").write_text("jangan dihapus", encoding="utf-8")
    (outside / "keep.txt").write_text("jangan dihapus", encoding="utf-8")
    old = time.time() - 7 * 86400
    for victim in (outside / "notes" / "rapat.txt", outside / "keep.txt"):
        os.utime(victim, (old, old))
    cache = settings.ocr_cache_dir
    (cache / "ab").mkdir(parents=True)
    (cache / "cd").symlink_to(outside, target_is_directory=True)  # a shard that is a link
    (cache / "ab" / ("ab" + "0" * 62)).symlink_to(outside, target_is_directory=True)
    service = IngestService(settings, index=MemoryIndex, ocr=CountingOcr(cache))
    service.prune_originals(now=time.time() + 3601)
    assert (outside / "notes" / "rapat.txt").read_text(encoding="utf-8") == "jangan dihapus"
    assert (outside / "keep.txt").read_text(encoding="utf-8") == "jangan dihapus"


def test_a_link_planted_for_a_scans_folder_is_not_written_through(
    tmp_path: Path, scan: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages are written inside the cache folder only: a link standing in for a scan's folder
    costs nothing but the page not being kept, and nothing is written where it points."""
    cache = tmp_path / "ocr-cache"
    scans.read_lines("pks.png", scan, CountingOcr(cache))
    (page,) = cache.rglob("*.json")
    folder = page.parent
    page.unlink()
    folder.rmdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    folder.symlink_to(elsewhere, target_is_directory=True)
    restart(monkeypatch)
    ocr = CountingOcr(cache)
    assert scans.read_lines("pks.png", scan, ocr).pages[0].lines[0] == "PERJANJIAN KERJA SAMA"
    assert ocr.reads == 1
    assert not list(elsewhere.iterdir())
    # A shard planted as a link: no folder is made where it points.
    shard = folder.parent
    folder.unlink()
    shard.rmdir()
    shard.symlink_to(elsewhere, target_is_directory=True)
    restart(monkeypatch)
    scans.read_lines("pks.png", scan, CountingOcr(cache))
    assert not list(elsewhere.iterdir())
