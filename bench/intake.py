"""Reading signed agreements: field-level precision and recall on the dev set, and OCR speed
and character accuracy on its rendered scans.

``python -m bench.intake [--data DIR] [--ocr-only | --fields-only]``. The dev set
(``tests/data/agreements``, written by its ``make_agreements.py``) holds each document and its
expected fields (``expected.json``); a held-out set in the same layout can be passed with
``--data``. Precision and recall are counted per field: a single-valued field counts once when
the reader gives a value (precision) and once when the truth has one (recall); a list field
counts per item. Titles compare without case and punctuation. Groups: text (PDF with a text
layer, DOCX) and scans (image-only PDFs, photos).

OCR: pages per second over every scanned page, character accuracy (1 - edit distance / length,
whitespace collapsed) against the scan's known text (``<id>.txt``), and the wall time of a
10-page scan read through the same path the intake uses.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from rapidfuzz.distance import Levenshtein

from core.config import Settings
from ingestion import scans
from services import build_services
from services.access import Operator
from services.ingest import ocr_from_settings
from services.intake import DRAFT_FIELDS as FIELDS

OPERATOR = Operator("bench")
DEFAULT_DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "agreements"
LISTS = {"numbers", "region_codes", "apps", "parent_numbers"}


def norm(field: str, value: Any) -> str:
    text = str(value)
    if field == "title":
        return " ".join(re.sub(r"[^\w]+", " ", text.casefold()).split())
    if field in ("numbers", "parent_numbers"):
        return "".join(text.split()).casefold()
    if field == "apps":
        return re.sub(r"\W", "", text).casefold()
    return text


def score(expected: dict[str, Any], got: dict[str, Any], tally: dict[str, list[int]]) -> None:
    """Adds [true positives, predicted, expected] per field."""
    for field in FIELDS:
        truth, found = expected.get(field), got.get(field)
        if field in LISTS:
            t = {norm(field, v) for v in truth or []}
            f = {norm(field, v) for v in found or []}
            tally[field][0] += len(t & f)
            tally[field][1] += len(f)
            tally[field][2] += len(t)
        else:
            hit = (
                truth is not None and found is not None and norm(field, truth) == norm(field, found)
            )
            tally[field][0] += int(hit)
            tally[field][1] += int(found is not None)
            tally[field][2] += int(truth is not None)


def fields(data_dir: Path, settings: Settings) -> dict[str, Any]:
    expected = json.loads((data_dir / "expected.json").read_text(encoding="utf-8"))
    services = build_services(settings)
    groups: dict[str, dict[str, list[int]]] = {
        "text": defaultdict(lambda: [0, 0, 0]),
        "scan": defaultdict(lambda: [0, 0, 0]),
    }
    misses: list[str] = []
    for name, truth in expected.items():
        data = (data_dir / name).read_bytes()
        draft = services.intake.read(OPERATOR, name, data)
        got = draft.to_json()
        group = "scan" if truth["format"] in ("scan", "photo") else "text"
        score(truth, got, groups[group])
        for field in FIELDS:
            a, b = truth.get(field), got.get(field)
            same = (
                {norm(field, v) for v in a or []} == {norm(field, v) for v in b or []}
                if field in LISTS
                else (a is None and b is None)
                or (a is not None and b is not None and norm(field, a) == norm(field, b))
            )
            if not same:
                misses.append(f"{name} {field}: expected {a!r}, got {b!r}")
    services.close()
    table: dict[str, Any] = {}
    for group, tally in groups.items():
        table[group] = {
            field: {
                "precision": round(tp / pred, 3) if pred else None,
                "recall": round(tp / exp, 3) if exp else None,
                "tp": tp,
                "predicted": pred,
                "expected": exp,
            }
            for field, (tp, pred, exp) in ((f, tally[f]) for f in FIELDS)
        }
    return {"documents": len(expected), "fields": table, "misses": misses}


def ocr(data_dir: Path, settings: Settings) -> dict[str, Any]:
    engine = ocr_from_settings(settings)
    engine.check()
    pages = 0
    seconds = 0.0
    accuracies: dict[str, float] = {}
    scans_found = sorted(p for p in data_dir.iterdir() if p.suffix == ".txt")
    for truth_path in scans_found:
        source = next(p for p in data_dir.glob(truth_path.stem + ".*") if p.suffix != ".txt")
        data = source.read_bytes()
        scans._CACHE = scans.OcrCache()  # measure reading, not the cache
        started = time.perf_counter()
        read = scans.read_lines(source.name, data, engine)
        seconds += time.perf_counter() - started
        pages += read.ocr_pages
        want = " ".join(truth_path.read_text(encoding="utf-8").replace("\f", " ").split())
        got = " ".join(read.text.split())
        accuracies[source.name] = round(1 - Levenshtein.distance(got, want) / max(len(want), 1), 4)
    ten = _ten_page_scan(data_dir)
    scans._CACHE = scans.OcrCache()
    started = time.perf_counter()
    read = scans.read_lines("sepuluh-halaman.pdf", ten, engine)
    ten_seconds = time.perf_counter() - started
    return {
        "scanned_pages": pages,
        "pages_per_second": round(pages / seconds, 3) if seconds else None,
        "character_accuracy_mean": round(sum(accuracies.values()) / len(accuracies), 4)
        if accuracies
        else None,
        "character_accuracy": accuracies,
        "ten_page_scan_seconds": round(ten_seconds, 1),
        "ten_page_scan_pages_read": read.ocr_pages,
    }


def _ten_page_scan(data_dir: Path) -> bytes:
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for source in sorted(data_dir.glob("*-scan.pdf")):
        for page in PdfReader(io.BytesIO(source.read_bytes())).pages:
            if len(writer.pages) < 10:
                writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.intake", description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--ocr-only", action="store_true")
    parser.add_argument("--fields-only", action="store_true")
    parser.add_argument("--full", action="store_true", help="(same as the default run)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=Path(tmp), embedding_backend="fake")  # type: ignore[call-arg]
        result: dict[str, Any] = {}
        if not args.ocr_only:
            result["fields"] = fields(args.data, settings)
        if not args.fields_only:
            result["ocr"] = ocr(args.data, settings)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
