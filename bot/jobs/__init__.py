"""Deferred work: procrastinate on Postgres (durable, `switchboard worker`), in-process on SQLite."""
