"""One reminder pass of the real bot, in a process of its own (so a test can SIGKILL it).

Usage: ``python -m tests.e2e.reminder_pass DATA_DIR BASE_URL TOKEN NOW_ISO``

Builds the application exactly as ``sinergi run`` does (``bot.app.build_application``) on the
services of ``DATA_DIR`` with the clock fixed at ``NOW_ISO``, and runs the reminder job once
against the Bot API server at ``BASE_URL``. Prints ``PASS DONE`` when the pass finished.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from core.clock import FixedClock
from core.config import Settings
from services import Services


def reminder_jobs(application: Any) -> list[Any]:
    """The jobs ``bot.jobs.schedule`` scheduled (by name), else every repeating job."""
    queue = application.job_queue
    if queue is None:
        return []
    jobs = list(queue.jobs())
    named = [j for j in jobs if "remind" in (j.name or "").lower()]
    return named or jobs


async def run_once(application: Any) -> int:
    """Run each reminder job once, awaiting it; returns how many ran."""
    jobs = reminder_jobs(application)
    for job in jobs:
        await job.run(application)
    return len(jobs)


async def main(data_dir: Path, base_url: str, token: str, now: datetime) -> int:
    from bot.app import build_application

    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=data_dir,
        embedding_backend="fake",
        telegram_token=token,
        telegram_base_url=base_url,
        telegram_base_file_url=base_url.removesuffix("/bot") + "/file/bot",
    )
    services = Services(settings, clock=FixedClock(now))
    application = build_application(services, settings)
    # The job queue is not started: the job runs exactly once, when told to.
    await application.initialize()
    try:
        ran = await run_once(application)
    finally:
        await application.shutdown()
        services.close()
    if not ran:
        print("NO REMINDER JOB", flush=True)
        return 2
    print("PASS DONE", flush=True)
    return 0


if __name__ == "__main__":
    folder, url, bot_token, instant = sys.argv[1:5]
    sys.exit(asyncio.run(main(Path(folder), url, bot_token, datetime.fromisoformat(instant))))
