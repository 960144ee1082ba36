"""The composition root: builds every service from one ``Settings``.

Each area is built lazily on first use, so a CLI command that only needs the tracker never
loads an embedding model; the bot loads the knowledge base at start (`bot.app.warm_up`).
"""

from __future__ import annotations

import logging
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from core.clock import Clock, SystemClock
from core.config import Settings
from core.db import make_engine, make_session_factory, with_busy_timeout
from services import database

if TYPE_CHECKING:
    from ingestion.ocr import TesseractOcr
    from knowledge_base.index import KnowledgeIndex
    from mou_tracker.regions import RegionDirectory
    from services.access import AccessService
    from services.assistant import AssistantService
    from services.conversations import ConversationService
    from services.curated import CuratedService
    from services.deferred import DeferredWrites
    from services.evidence import EvidenceService
    from services.gaps import GapService
    from services.ingest import IngestService
    from services.intake import IntakeService
    from services.knowledge import KnowledgeService
    from services.privacy import PrivacyService
    from services.reminders import ReminderService
    from services.tracker import TrackerService


_log = logging.getLogger(__name__)

#: How long a stopping process gives its deferred bookkeeping writes: the bot has had up to
#: 25 s of the service manager's 30 to finish its updates (``bot.runner``).
LAST_FLUSH_S = 3.0


class Services:
    """Every use case of Sinergi, wired to one database, one index and one clock.

    Areas add themselves here as ``cached_property`` members; transports reach them as
    ``services.<area>``.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        engine: Engine | None = None,
    ) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self._engine = engine

    @cached_property
    def engine(self) -> Engine:
        if self._engine is not None:
            return self._engine
        self.settings.ensure_dirs()
        engine = make_engine(
            self.settings.effective_database_url,
            busy_timeout_s=self.settings.database_busy_timeout_s,
        )
        database.prepare(engine)
        return engine

    @cached_property
    def session_factory(self) -> sessionmaker[Session]:
        return make_session_factory(self.engine)

    @cached_property
    def bookkeeping_session_factory(self) -> sessionmaker[Session]:
        """Sessions whose writes wait only briefly for SQLite's write lock (``deferred``)."""
        wait = self.settings.database_bookkeeping_wait_s
        return make_session_factory(with_busy_timeout(self.engine, wait))

    @cached_property
    def deferred(self) -> DeferredWrites:
        """Bookkeeping writes that found the database write-locked, to be done later."""
        from services.deferred import DeferredWrites

        return DeferredWrites(clock=self.clock)

    @cached_property
    def access(self) -> AccessService:
        from services.access import AccessService

        # Region codes and names are checked against the directory (loaded on first need).
        return AccessService(
            self.session_factory,
            self.clock,
            regions=lambda: self.regions,
            default_language=self.settings.language,
        )

    @cached_property
    def privacy(self) -> PrivacyService:
        from services.privacy import PrivacyService, Pseudonyms

        return PrivacyService(
            self.session_factory,
            self.clock,
            retention_days=self.settings.question_log_retention_days,
            pseudonyms=lambda: Pseudonyms.from_settings(self.settings),
        )

    @cached_property
    def regions(self) -> RegionDirectory:
        from mou_tracker.regions import RegionDirectory

        return RegionDirectory.load()

    @cached_property
    def tracker(self) -> TrackerService:
        from services.tracker import TrackerService

        return TrackerService(
            self.session_factory, regions=self.regions, settings=self.settings, clock=self.clock
        )

    @cached_property
    def ingest(self) -> IngestService:
        from services.ingest import IngestService

        # The index is reached lazily: checking an upload must not load the embedding model.
        return IngestService(
            self.settings,
            index=lambda: self.index,  # type: ignore[attr-defined]
            ocr=self.ocr,
        )

    @cached_property
    def ocr(self) -> TesseractOcr:
        """Tesseract for scans and photos (checked on first need: it is optional)."""
        from services.ingest import ocr_from_settings

        return ocr_from_settings(self.settings)

    @cached_property
    def evidence(self) -> EvidenceService:
        from services.evidence import EvidenceService

        return EvidenceService(
            self.session_factory,
            settings=self.settings,
            clock=self.clock,
            ocr=self.ocr,
            tracker=self.tracker,
        )

    @cached_property
    def intake(self) -> IntakeService:
        from services.intake import IntakeService

        return IntakeService(
            self.session_factory,
            settings=self.settings,
            clock=self.clock,
            regions=self.regions,
            ocr=self.ocr,
            evidence=self.evidence,
            tracker=self.tracker,
            ingest=self.ingest,
        )

    @cached_property
    def reminders(self) -> ReminderService:
        from services.reminders import ReminderService

        def timezone_of(code: str) -> str:
            return self.regions.get(code).timezone

        def region_name(code: str) -> str:
            return self.regions.get(code).name

        return ReminderService(
            self.session_factory,
            self.settings,
            directory=self.access,
            timezone_of=timezone_of,
            region_name=region_name,
            clock=self.clock,
            bookkeeping=self.bookkeeping_session_factory,
        )

    @cached_property
    def index(self) -> KnowledgeIndex:
        from knowledge_base.index import build_index

        self.settings.ensure_dirs()
        return build_index(self.settings, self.session_factory, clock=self.clock)

    @cached_property
    def knowledge(self) -> KnowledgeService:
        from knowledge_base.llm import LlmAnswerer, build_chat_model
        from services.knowledge import KnowledgeService

        chat_model = build_chat_model(self.settings)
        return KnowledgeService(
            self.session_factory,
            self.index,
            clock=self.clock,
            llm=LlmAnswerer(chat_model) if chat_model is not None else None,
            top_k=self.settings.top_k,
            timezone=self.settings.timezone,
            bookkeeping=self.bookkeeping_session_factory,
            deferred=self.deferred,
        )

    @cached_property
    def gaps(self) -> GapService:
        from services.gaps import GapService

        return GapService(self.session_factory, clock=self.clock, timezone=self.settings.timezone)

    @cached_property
    def curated(self) -> CuratedService:
        from services.curated import CuratedService

        # The index (and its model) is reached only when a curated answer is matched.
        return CuratedService(
            self.session_factory,
            clock=self.clock,
            timezone=self.settings.timezone,
            review_days=self.settings.curated_review_days,
            index=lambda: self.index,
            apps=lambda: self.assistant.apps(),
            gaps=self.gaps,
        )

    @cached_property
    def assistant(self) -> AssistantService:
        from services.assistant import AssistantService

        return AssistantService(
            self.session_factory,
            tracker=self.tracker,
            knowledge=self.knowledge,
            curated=self.curated,
            regions=self.regions,
            access=self.access,
        )

    @cached_property
    def conversations(self) -> ConversationService:
        from conversations.locks import locks_for
        from services.conversations import ConversationService

        return ConversationService(
            self.session_factory,
            self.clock,
            locks=locks_for(self.engine),
            bookkeeping=self.bookkeeping_session_factory,
        )

    def close(self) -> None:
        """Write what was deferred, then release connections (and, once built, the vector
        store's client)."""
        if "deferred" in self.__dict__:
            self.deferred.flush_before_stop(LAST_FLUSH_S)
        if "index" in self.__dict__:
            self.index.close()
        if "conversations" in self.__dict__:
            self.conversations.locks.close()
        if "engine" in self.__dict__:
            self.engine.dispose()


def build_services(settings: Settings, *, clock: Clock | None = None) -> Services:
    """Build the services for ``settings``; the one place that wires implementations together."""
    return Services(settings, clock=clock)
