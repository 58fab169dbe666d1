"""Deferred work: typed jobs (`contract`), the runner that retries and recovers them (`runner`), and the
queue and worker (`queue`): procrastinate on Postgres (durable, `switchboard worker`), in-process on
SQLite. Knows nothing of Slack: `bot.slack` installs its jobs and its failure notifier here."""
