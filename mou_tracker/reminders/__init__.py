"""Reminder rules (pure), the outbox that makes delivery exactly-once, and its repository."""
