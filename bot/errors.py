"""Application errors that carry a message safe to show a person (no secrets, no stack traces)."""

from __future__ import annotations


class SwitchboardError(Exception):
    """Base for errors whose `str()` may be shown to a user as is."""


class ConfigError(SwitchboardError):
    """A setting is missing or malformed; the message names the variable, never its value."""


class NotFoundError(SwitchboardError):
    """The thing asked for does not exist in this workspace."""


class InputError(SwitchboardError):
    """The user typed something we cannot use; the message says what was expected."""


class BusyError(SwitchboardError, TimeoutError):
    """Something the work needs is held elsewhere for longer than it waits (a workspace's Slack token
    being renewed by another process): trying again in a few seconds works, and jobs retry it."""
