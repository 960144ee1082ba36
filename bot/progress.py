"""Progress of a long upload (OCR pages, then embedding), edited into the bot's status message."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging

from telegram import Message
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.i18n import t_html
from services.ingest import IngestProgress

log = logging.getLogger(__name__)


class ProgressEditor:
    """Edits the progress message from the ingest's worker thread, at most every 25 %."""

    def __init__(self, message: Message, lang: str, loop: asyncio.AbstractEventLoop) -> None:
        self.message = message
        self.lang = lang
        self.loop = loop
        self.last_step = -1
        self.last_ocr_step = -1
        self.pending: list[concurrent.futures.Future[None]] = []

    def __call__(self, progress: IngestProgress) -> None:
        """Scanned pages read (stage ``ocr``: at most ten edits), then chunks embedded (every
        25 %)."""
        if progress.stage == "ocr":
            self.pages(progress.pages_done, progress.pages_total)
            return
        total, done = progress.chunks_total, progress.chunks_done
        if total <= 0:
            return
        step = min(4, done * 4 // total)
        if step <= self.last_step:
            return
        self.last_step = step
        text = t_html("upload.progress", self.lang, done=done, total=total, percent=step * 25)
        self.pending.append(asyncio.run_coroutine_threadsafe(self._edit(text), self.loop))

    def pages(self, done: int, total: int) -> None:
        """Scanned pages read so far (OCR): at most ten edits."""
        if total <= 0:
            return
        step = min(10, done * 10 // total)
        if step <= self.last_ocr_step:
            return
        self.last_ocr_step = step
        text = t_html("upload.ocr_progress", self.lang, done=done, total=total)
        self.pending.append(asyncio.run_coroutine_threadsafe(self._edit(text), self.loop))

    async def flush(self) -> None:
        """Wait for the progress edits in flight, so none lands after the final report."""
        for future in self.pending:
            await asyncio.wrap_future(future)

    async def _edit(self, text: str) -> None:
        try:
            await self.message.edit_text(text, parse_mode=ParseMode.HTML)
        except TelegramError as err:  # progress is best effort
            log.debug("progress edit failed: %s", err)
