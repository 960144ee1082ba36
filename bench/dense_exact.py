"""What the exact dense search costs against Chroma's HNSW query: ``python -m bench.dense_exact``.

For each ``--sizes`` value, a scratch Chroma collection on disk (the product's
:class:`~knowledge_base.vectorstore.VectorStore`, its HNSW settings) is filled with that many
synthetic 384-dimension vectors clustered like passages of documents (a random centre per
document of 20 passages, each passage its centre plus noise, normalised), then:

* ``read``: reading every stored vector once into the matrix (``knowledge_base.dense.build_matrix``
  through ``VectorStore.vectors``), what a process pays after opening the index;
* ``exact``: one question's 50 nearest passages by the matrix product (``dense.nearest``);
* ``hnsw``: the same question through Chroma's HNSW query (``VectorStore.query``, 50 results),
  after one query that loads the graph;
* ``agree``: the share of the exact top 10 that HNSW returns in its top 10.

Per question, CPU of the process (every thread) and wall clock, the median over ``--questions``
questions (close to a stored vector, as real questions are). On a shared machine read the
ratios between the two searches, not the absolute times.

    python -m bench.dense_exact --sizes 5000 20000 100000 --json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

DIMENSIONS = 384
PER_DOCUMENT = 20


def vectors(count: int, seed: int = 3) -> npt.NDArray[np.float32]:
    """``count`` normalised vectors, clustered by document of ``PER_DOCUMENT`` passages."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(count // PER_DOCUMENT + 1, DIMENSIONS)).astype(np.float32)
    out = centres[np.arange(count) // PER_DOCUMENT] + 0.6 * rng.normal(
        size=(count, DIMENSIONS)
    ).astype(np.float32)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


def _timed(call: Any) -> tuple[Any, float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    result = call()
    return result, (time.process_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000


def measure(size: int, questions: int, workdir: Path) -> dict[str, Any]:
    from knowledge_base.dense import build_matrix, nearest
    from knowledge_base.embeddings import FakeEmbeddings
    from knowledge_base.vectorstore import VectorStore, make_client

    data = vectors(size)
    ids = [f"p{i:07d}" for i in range(size)]
    store = VectorStore(
        make_client(chroma_url=None, chroma_dir=workdir / f"chroma-{size}"),
        "bench_dense",
        FakeEmbeddings(dim=DIMENSIONS),
    )
    try:
        store.upsert(ids, data, [f"d{i // PER_DOCUMENT}" for i in range(size)])
        matrix, read_cpu, read_wall = _timed(lambda: build_matrix(ids, store.vectors, DIMENSIONS))
        rng = np.random.default_rng(11)
        asked = data[rng.choice(size, questions, replace=False)] + 0.3 * rng.normal(
            size=(questions, DIMENSIONS)
        ).astype(np.float32)
        store.query(asked[0], 50)  # the graph is loaded (or rebuilt from the log) once
        rows: dict[str, list[float]] = {k: [] for k in ("exact_cpu", "exact_wall", "hnsw_cpu")}
        rows["hnsw_wall"] = []
        agree = 0
        for q in asked:
            exact, cpu, wall = _timed(lambda q=q: nearest(matrix, q, 50))
            rows["exact_cpu"].append(cpu)
            rows["exact_wall"].append(wall)
            approx, cpu, wall = _timed(lambda q=q: store.query(q, 50))
            rows["hnsw_cpu"].append(cpu)
            rows["hnsw_wall"].append(wall)
            agree += len(set(list(exact)[:10]) & {cid for cid, _ in approx[:10]})
    finally:
        store.close()
    out: dict[str, Any] = {
        "size": size,
        "matrix_mb": round(matrix.matrix.nbytes / 1e6, 1),
        "read_cpu_ms": round(read_cpu, 1),
        "read_wall_ms": round(read_wall, 1),
        "hnsw_top10_agreement": round(agree / (10 * questions), 4),
    }
    out.update({f"{k}_ms_p50": round(statistics.median(v), 3) for k, v in rows.items()})
    out["exact_to_hnsw_cpu"] = round(out["exact_cpu_ms_p50"] / out["hnsw_cpu_ms_p50"], 3)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000, 20000, 100000])
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory(prefix="sinergi-dense-") as tmp:
        for size in args.sizes:
            results.append(measure(size, args.questions, Path(tmp)))
            if not args.json:
                print(results[-1], flush=True)
    if args.json:
        json.dump(results, sys.stdout, indent=2)
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
