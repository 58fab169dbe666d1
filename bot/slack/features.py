"""The Slack layer's features, one folder each (commands, actions, views, shortcuts, events, jobs,
blocks, payloads). Listed, not discovered, so that adding a feature is one visible line."""

from __future__ import annotations

import importlib

from slack_bolt.async_app import AsyncApp

FEATURES = (
    "admin",
    "sms",
    "threads",
    "inbox",
    "lookup",
    "home",
    "digests",
    "alerts",
    "workflows",
    "compliance",
)
LISTENER_MODULES = ("commands", "actions", "views", "shortcuts", "events")


def register(app: AsyncApp) -> None:
    """Bind every feature's listeners (each listener module's `register(app)`; slash commands are bound
    by `bot.slack.slash`)."""
    from bot.slack import slash

    slash.register(app)
    for feature in FEATURES:
        for name in LISTENER_MODULES:
            try:
                module = importlib.import_module(f"bot.slack.{feature}.{name}")
            except ModuleNotFoundError as error:
                if error.name != f"bot.slack.{feature}.{name}":
                    raise
                continue
            bind = getattr(module, "register", None)
            if callable(bind):
                bind(app)
