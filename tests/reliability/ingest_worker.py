"""Ingest one file in its own process; with ``--block-after N`` the embedder stops mid-way.

Run by the kill -9 tests: ``python -m tests.reliability.ingest_worker FILE [--block-after N
--marker PATH]``. Settings come from the environment (``SINERGI_DATA_DIR``,
``SINERGI_EMBEDDING_BACKEND=fake``). When blocking, the embedder writes ``PATH`` after ``N``
successful ``embed_documents`` calls and then waits for ever, so the parent can SIGKILL the
process at a known point: some vectors of the new version written, no database switch yet.
"""

from __future__ import annotations

import argparse
import json
import threading
from pathlib import Path

from core.config import Settings
from knowledge_base.embeddings import FakeEmbeddings
from services.container import Services


def _block_after(calls: int, marker: Path) -> None:
    original = FakeEmbeddings.embed_documents
    done = 0

    def embed_documents(self: FakeEmbeddings, texts: list[str]) -> list[list[float]]:
        nonlocal done
        if done >= calls:
            marker.write_text("embedding", encoding="utf-8")
            threading.Event().wait()  # until SIGKILL
        done += 1
        return original(self, texts)

    FakeEmbeddings.embed_documents = embed_documents  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("file", type=Path)
    parser.add_argument("--block-after", type=int, default=None)
    parser.add_argument("--marker", type=Path, default=None)
    args = parser.parse_args()
    if args.block_after is not None:
        if args.marker is None:
            parser.error("--block-after needs --marker")
        _block_after(args.block_after, args.marker)
    services = Services(Settings())
    try:
        report = services.ingest.ingest_paths([args.file])
    finally:
        services.close()
    print(
        json.dumps(
            {
                "added": report.added,
                "updated": report.updated,
                "failed": [f.code for f in report.failed],
            }
        )
    )


if __name__ == "__main__":
    main()
