"""No secret in any output: the bot token, the webhook secret, the database password, the LLM key.

Every scenario below fails on purpose (a token Telegram rejects, Telegram or the database out
of reach, a bug with the traceback switched on, a handler crashing in the bot) with all four
secrets configured, and every captured output is searched for each of them: stdout, stderr,
log records, messages the bot sent to its admins, texts stored in the database.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from telegram.error import InvalidToken

from bot.connection import webhook_secret
from bot.jobs import translate_error
from cli.errors import ExitStatus
from cli.main import main
from core.clock import FixedClock
from core.config import Settings
from core.redaction import MASK, Redactor, install_log_redaction
from tests.bot.conftest import ADMIN, OFFICIAL
from tests.conftest import closed_port
from tests.fakes.botapi import BotApiServer
from tests.reliability.conftest import running_bot

BOT_TOKEN = "123456:TEST-token"  # the token of `running_bot`

# Not shaped like real tokens on purpose: only knowing the configured values can mask them.
TOKEN = "424242:rahasia-token-UJI"
WEBHOOK_SECRET = "rahasia-webhook-77"
DB_PASSWORD = "Sandi-DB-rahasia-9"
LLM_KEY = "sk-rahasia-llm-kunci-5"
SECRETS = (TOKEN, WEBHOOK_SECRET, DB_PASSWORD, LLM_KEY)


def assert_clean(*outputs: str) -> None:
    for output in outputs:
        for secret in SECRETS:
            assert secret not in output, f"secret leaked: {secret!r} in\n{output[-3000:]}"
        assert "Traceback" not in output or "***" in output  # a shown trace is a redacted one


@pytest.fixture
def secret_env(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Every secret configured (the database password in an unused LLM URL, so SQLite works)."""
    values = {
        "SINERGI_TELEGRAM_TOKEN": TOKEN,
        "SINERGI_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "SINERGI_LLM_PROVIDER": "openai",
        "SINERGI_LLM_BASE_URL": f"http://llm:{DB_PASSWORD}@127.0.0.1:{closed_port()}/v1",
        "SINERGI_LLM_MODEL": "uji",
        "SINERGI_LLM_API_KEY": LLM_KEY,
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


@pytest.fixture
def rejecting_botapi() -> Iterator[BotApiServer]:
    """A Bot API server that knows another token: every call of ours gets a 401."""
    with BotApiServer(token="111111:another-token-entirely") as server:
        yield server


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.DEBUG)
    yield caplog


def log_text(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(caplog.handler.format(record) for record in caplog.records)


def test_reminders_send_once_with_a_rejected_token_exits_7_without_the_token(
    secret_env: dict[str, str],
    rejecting_botapi: BotApiServer,
    capsys: pytest.CaptureFixture[str],
    logs: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SINERGI_TELEGRAM_BASE_URL", rejecting_botapi.base_url)
    status = main(["reminders", "send", "--once"])
    out, err = capsys.readouterr()
    assert status == ExitStatus.CONFIGURATION
    assert "SINERGI_TELEGRAM_TOKEN" in err
    assert_clean(out, err, log_text(logs))


def test_reminders_send_once_with_telegram_unreachable_exits_6(
    secret_env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    logs: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SINERGI_TELEGRAM_BASE_URL", f"http://127.0.0.1:{closed_port()}/bot")
    status = main(["reminders", "send", "--once"])
    out, err = capsys.readouterr()
    assert status == ExitStatus.UNAVAILABLE
    assert "Telegram tidak dapat dihubungi" in err
    assert_clean(out, err, log_text(logs))


@pytest.mark.slow
def test_sinergi_run_with_a_rejected_token_exits_7_and_logs_no_secret(
    secret_env: dict[str, str], data_dir: Path, rejecting_botapi: BotApiServer
) -> None:
    """The real process, with its real logging set-up (what journald would keep)."""
    env = {
        **os.environ,
        "SINERGI_TELEGRAM_BASE_URL": rejecting_botapi.base_url,
        "SINERGI_WEBHOOK_URL": "",
    }
    sinergi = Path(sys.executable).with_name("sinergi")
    done = subprocess.run(
        [str(sinergi), "run"], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == ExitStatus.CONFIGURATION, done.stderr[-2000:]
    assert "SINERGI_TELEGRAM_TOKEN" in done.stderr
    assert_clean(done.stdout, done.stderr)


def test_unreachable_postgresql_never_shows_its_password(
    data_dir: Path,
    capsys: pytest.CaptureFixture[str],
    logs: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = f"postgresql+psycopg://sinergi:{DB_PASSWORD}@127.0.0.1:{closed_port()}/sinergi"
    monkeypatch.setenv("SINERGI_DATABASE_URL", url)
    monkeypatch.setenv("SINERGI_DEBUG", "1")
    for command in (["mou", "list"], ["status"], ["db", "upgrade"], ["users", "list"]):
        status = main(command)
        out, err = capsys.readouterr()
        assert status == ExitStatus.UNAVAILABLE, (command, err)
        assert_clean(out, err, log_text(logs))


def test_a_bug_shows_a_redacted_trace_only_when_asked(
    secret_env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    logs: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from services.tracker import TrackerService

    def broken(*_args: object, **_kwargs: object) -> None:
        logging.getLogger("sinergi.test").error("about to fail with %s", TOKEN)
        raise RuntimeError(f"boom {TOKEN} {WEBHOOK_SECRET} {LLM_KEY} :{DB_PASSWORD}@")

    monkeypatch.setattr(TrackerService, "list_agreements", broken)
    assert main(["mou", "list"]) == ExitStatus.FAILED
    out, err = capsys.readouterr()
    assert "RuntimeError" in err and "boom" not in err  # no details by default
    assert_clean(out, err, log_text(logs))

    monkeypatch.setenv("SINERGI_DEBUG", "1")
    assert main(["mou", "list"]) == ExitStatus.FAILED
    out, err = capsys.readouterr()
    assert "Traceback" in err and "boom" in err and MASK in err
    assert_clean(out, err, log_text(logs))


async def test_bot_reports_a_crash_to_admins_without_secrets(
    tmp_path: Path,
    clock: FixedClock,
    logs: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secrets = (BOT_TOKEN, WEBHOOK_SECRET, LLM_KEY)
    # What `sinergi run` does before it builds the bot (PTB logs its URLs, token included).
    install_log_redaction(Redactor(secrets))
    async with running_bot(
        tmp_path, clock, webhook_secret=WEBHOOK_SECRET, llm_api_key=LLM_KEY
    ) as bot:
        token = bot.services.settings.telegram_token
        assert token is not None and token.get_secret_value() == BOT_TOKEN

        def broken(*_args: object, **_kwargs: object) -> None:
            raise RuntimeError("boom " + " ".join(secrets))

        monkeypatch.setattr(bot.services.knowledge, "ask", broken)
        await bot.updates.send(OFFICIAL, "Bagaimana cara mengajukan izin?")
        reports = [c.text for c in bot.api.sent(ADMIN)]
        assert reports and "RuntimeError" in reports[-1]
        for output in (*reports, *(c.text for c in bot.api.sent(OFFICIAL)), log_text(logs)):
            for secret in secrets:
                assert secret not in output


def test_a_rejected_token_during_a_pass_is_stored_without_it() -> None:
    stored = translate_error(InvalidToken(f"The token `{TOKEN}` was rejected by the server."))
    assert TOKEN not in str(stored)


def test_redactor_masks_every_form_a_secret_takes() -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        telegram_token=TOKEN,
        webhook_secret=WEBHOOK_SECRET,
        llm_api_key=LLM_KEY,
        database_url=f"postgresql+psycopg://u:{DB_PASSWORD}%21@db.example/sinergi",
    )
    redactor = settings.redactor()
    text = (
        f"POST https://api.telegram.org/bot{TOKEN}/getMe secret={WEBHOOK_SECRET} "
        f"Authorization: Bearer {LLM_KEY} postgresql://u:{DB_PASSWORD}%21@db/x "
        f"decoded {DB_PASSWORD}! "
        "unknown token 1234567890:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0 "
        "and https://someone:hunter2@example.org/"
    )
    masked = redactor.redact(text)
    for secret in (*SECRETS, "hunter2", "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"):
        assert secret not in masked
    assert "https://api.telegram.org/bot***/getMe" in masked
    assert Redactor(["ab"]).redact("ab cd") == "ab cd"  # too short to mask meaningfully


def test_the_derived_webhook_secret_is_masked_in_debug_logs(
    logs: pytest.LogCaptureFixture,
) -> None:
    # Without SINERGI_WEBHOOK_SECRET the secret token is derived from the bot token, and
    # python-telegram-bot logs setWebhook's parameters at debug level: the worker's webhook
    # would take forged updates from whoever reads that log.
    settings = Settings(_env_file=None, telegram_token=TOKEN)  # type: ignore[call-arg]
    derived = webhook_secret(settings)
    assert derived == settings.webhook_secret_token() and derived not in TOKEN
    install_log_redaction(settings.redactor())
    logging.getLogger("telegram.Bot").debug(
        "Calling Bot API endpoint `%s` with parameters `%s`",
        "setWebhook",
        {"url": "https://bot.example.go.id/telegram", "secret_token": derived},
    )
    text = log_text(logs)
    assert "setWebhook" in text and derived not in text and MASK in text


def test_send_errors_stored_by_older_versions_are_shown_masked(
    secret_env: dict[str, str], data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import UTC, date, datetime

    from sqlalchemy import insert

    from core.db import make_engine
    from mou_tracker.reminders.models import OutboxEntry

    engine = make_engine(f"sqlite:///{data_dir / 'sinergi.db'}")
    now = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            insert(OutboxEntry).values(
                dedup_key="lama",
                kind="upcoming",
                threshold=7,
                recipient="tg:1",
                status="failed",
                trigger_on=date(2026, 3, 2),
                created_at=now,
                updated_at=now,
                payload={},
                last_error=f"The token `{TOKEN}` was rejected by the server.",
            )
        )
    engine.dispose()
    for args in (["reminders", "log"], ["reminders", "log", "--json"]):
        assert main(args) == 0
        out, err = capsys.readouterr()
        assert "rejected" in out
        assert_clean(out, err)
