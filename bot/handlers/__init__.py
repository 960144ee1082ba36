"""Telegram handlers: parse the update, call one service, format, reply."""
