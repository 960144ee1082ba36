"""The bot pseudonymises old askers in the question log once a day."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.jobs import RETENTION_JOB_NAME
from knowledge_base.models import KbQuestion
from knowledge_base.repository import KnowledgeRepository
from tests.bot.conftest import BotHarness


async def test_the_daily_job_pseudonymises_askers_past_the_retention(
    harness: BotHarness,
) -> None:
    services = harness.services
    now = services.clock.now()
    with services.session_factory.begin() as s:
        for days, text in ((200, "lama"), (10, "baru")):
            KnowledgeRepository(s).add_question(
                asked_at=now - timedelta(days=days),
                asked_by="tg:555",
                question=text,
                normalized=text,
                language="id",
                found=False,
                top_score=None,
                answer="",
                filters={},
                citations=[],
            )
    queue = harness.app.job_queue  # type: ignore[attr-defined]
    [job] = queue.get_jobs_by_name(RETENTION_JOB_NAME)
    assert job.trigger.interval == timedelta(days=1)

    await job.run(harness.app)

    with services.session_factory() as s:
        askers = {q: a for q, a in s.execute(select(KbQuestion.question, KbQuestion.asked_by))}
    assert askers["baru"] == "tg:555"
    assert askers["lama"] == services.privacy.pseudonym("tg:555")
