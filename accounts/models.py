"""Tables of accounts."""

from __future__ import annotations

from core.db import Base

__all__ = ["Base"]
