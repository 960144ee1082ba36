"""A local Bot API server and a validator built on the Bot API specification."""

from tests.fakes.botapi.html import ParsedText, parse_html
from tests.fakes.botapi.server import (
    TOKEN,
    BotApiServer,
    BotMessage,
    Call,
    FakeChat,
    FakeUser,
)
from tests.fakes.botapi.spec import BotApiSpec, CheckedCall, UploadedFile

__all__ = [
    "TOKEN",
    "BotApiServer",
    "BotApiSpec",
    "BotMessage",
    "Call",
    "CheckedCall",
    "FakeChat",
    "FakeUser",
    "ParsedText",
    "UploadedFile",
    "parse_html",
]
