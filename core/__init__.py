"""Settings, base errors, database helpers and the clock. Imports nothing of ours."""
