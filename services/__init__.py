"""Use cases shared by the bot, the CLI and the jobs; ``build_services`` is the composition root."""

from services.container import Services, build_services

__all__ = ["Services", "build_services"]
