"""Logging set-up: text or JSON lines, phone numbers masked, secrets never printed.

Provider clients pass structured fields with `extra=`; the JSON formatter keeps them as keys.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from bot.phones import mask_all

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
BOLT_LOGGER = "switchboard.bolt"
_SECRET_HINTS = ("token", "secret", "password", "session_id", "authorization", "api_key", "credential")


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key, value in record.__dict__.items():
        if key in _STANDARD or key.startswith("_"):
            continue
        if any(hint in key.lower() for hint in _SECRET_HINTS):
            value = "[redacted]"
        elif isinstance(value, str):
            value = mask_all(value)
        fields[key] = value
    return fields


class MaskingFilter(logging.Filter):
    """Masks phone numbers in the rendered message of every record that passes through."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_all(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            **_extras(record),
        }
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = _extras(record)
        if extras:
            line += " " + " ".join(f"{key}={value}" for key, value in extras.items())
        return line


def configure(level: str = "INFO", fmt: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(MaskingFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs full URLs at INFO, query strings (phone numbers) included; our clients log their own line.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    # procrastinate narrates every poll at INFO; Bolt logs the raw body of a request whose signature
    # fails at INFO, and that body may be a connect form with credentials in it. Bolt gives each of its
    # loggers the level of the base logger it is handed (BOLT_LOGGER, see bot.slack.app).
    quiet = logging.WARNING if level != "DEBUG" else logging.NOTSET
    logging.getLogger("procrastinate").setLevel(quiet)
    logging.getLogger(BOLT_LOGGER).setLevel(quiet if level != "DEBUG" else logging.DEBUG)
