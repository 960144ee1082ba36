"""The bot's conversations, shared by every worker: the update inbox, per-chat locks, the
conversation state (dialogs, user and chat data), the trainers' threads and rate limits.

Nothing here knows Telegram: updates are JSON with a chat and a user key, conversation data
is opaque bytes (the bot decides how to encode it). ``services.conversations`` owns the units
of work; the bot reaches it only through that service.
"""
