"""Tables of the reminder outbox."""

from __future__ import annotations

from core.db import Base

__all__ = ["Base"]
