"""Shortcuts listeners: one module per feature, each with a `register(app)`; discovered here."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.slack.listeners.discovery import register_package


def register(app: AsyncApp) -> None:
    register_package(app, __name__)
