"""A worker's HTTP face: Telegram's webhook and the health checks.

``POST /<path of SINERGI_WEBHOOK_URL>`` takes one update. The secret token Telegram echoes
(``X-Telegram-Bot-Api-Secret-Token``) must match, else 403. The update is stored in the inbox
before the answer: 200 means stored (or stored before: a repeat), 503 means it could not be
stored (the database is down, or this worker is stopping), so Telegram, or the reverse proxy,
sends it again. Handling happens afterwards, on whichever worker takes the chat.

``GET /healthz/live`` is 200 while the process works (its event loop answers, its dispatcher
loop runs); ``GET /healthz/ready`` is 200 when it should get updates (started, the database
answers, not stopping), else 503. Both answer a small JSON body.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from tornado.httpserver import HTTPServer
from tornado.web import Application, RequestHandler

from core.errors import AppError

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024

Receive = Callable[[dict[str, Any]], Awaitable[bool]]
Probe = Callable[[], Awaitable[dict[str, Any]]]


class _Base(RequestHandler):
    def set_default_headers(self) -> None:
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")

    def reply(self, status: int, body: dict[str, Any]) -> None:
        self.set_status(status)
        self.finish(json.dumps(body))

    def log_exception(self, *args: Any) -> None:
        # Tornado's own traceback for a bad request is noise; real failures are logged below.
        return None


class UpdateHandler(_Base):
    def initialize(self, receive: Receive, secret: str, accepting: Callable[[], bool]) -> None:
        self._receive = receive
        self._secret = secret
        self._accepting = accepting

    async def post(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self._secret.encode()):
            self.reply(403, {"ok": False, "error": "secret token"})
            return
        if not self._accepting():
            self.reply(503, {"ok": False, "error": "stopping"})
            return
        try:
            data = json.loads(self.request.body or b"null")
            if not isinstance(data, dict):
                raise ValueError("not an object")
            stored = await self._receive(data)
        except ValueError as err:
            self.reply(400, {"ok": False, "error": str(err)[:200]})
            return
        except AppError as err:  # not stored: Telegram must send it again
            log.warning("update not stored (%s); answering 503", err.code)
            self.reply(503, {"ok": False, "error": err.code})
            return
        self.reply(200, {"ok": True, "stored": stored})


class ProbeHandler(_Base):
    def initialize(self, probe: Probe) -> None:
        self._probe = probe

    async def get(self) -> None:
        result = await self._probe()
        self.reply(200 if result.get("ok") else 503, result)


class WebhookServer:
    """The worker's HTTP server (tornado, on the bot's event loop)."""

    def __init__(
        self,
        *,
        path: str,
        secret: str,
        receive: Receive,
        accepting: Callable[[], bool],
        live: Probe,
        ready: Probe,
        listen: str,
        port: int,
    ) -> None:
        route = "/" + path.strip("/")
        self._app = Application(
            [
                (
                    route,
                    UpdateHandler,
                    {"receive": receive, "secret": secret, "accepting": accepting},
                ),
                (r"/healthz/live", ProbeHandler, {"probe": live}),
                (r"/healthz/ready", ProbeHandler, {"probe": ready}),
                (r"/healthz", ProbeHandler, {"probe": ready}),
            ],
            default_handler_class=_NotFound,
        )
        self.listen = listen
        self.port = port
        self._server: HTTPServer | None = None
        self.started_at = time.monotonic()

    def start(self) -> None:
        self._server = HTTPServer(self._app, max_body_size=MAX_BODY, xheaders=True)
        self._server.listen(self.port, address=self.listen)
        log.info("listening on %s:%s", self.listen, self.port)

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.stop()
        await self._server.close_all_connections()
        self._server = None


class _NotFound(_Base):
    def prepare(self) -> None:
        self.reply(404, {"ok": False, "error": "not found"})
