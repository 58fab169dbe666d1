"""Work that finishes a Slack interaction after ack(), one module per feature, each function registered
with `@followup(name)` (see `bot.jobs.tasks`). Importing this package imports every module."""

from __future__ import annotations

from bot.slack.listeners.discovery import modules

modules(__name__)
