"""Logging set-up: text or JSON lines, phone numbers masked, secrets never printed.

Provider clients pass structured fields with `extra=`; the JSON formatter keeps them as keys.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

from bot.phones import mask_all

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
BOLT_LOGGER = "switchboard.bolt"
_SECRET_HINTS = (
    "token",
    "secret",
    "password",
    "session_id",
    "authorization",
    "api_key",
    "credential",
    "response_url",  # a response_url is a bearer token for posting into the conversation
)
REDACTED = "[redacted]"
# Bolt puts the raw request body (a connect form may hold credentials) into some of its messages:
# "Invalid request signature detected (signature: …, body: …)", "Responding with status: 200 body: …".
_BOLT_LOGGERS = ("slack_bolt", BOLT_LOGGER)
_BOLT_BODY = re.compile(r"\b(signature|body): .*", re.DOTALL)
# Secrets that show up inside free text: response_urls (in job payload dumps such as procrastinate's
# `call_string`), Slack tokens, and `key: value` / `key=value` pairs whose key says what they are.
_HOOK_URL = re.compile(r"https://hooks\.slack\.com/[^\s'\"<>]+")
_SLACK_TOKEN = re.compile(r"\bxox[a-z]-[A-Za-z0-9-]+")
_SECRET_PAIR = re.compile(
    # matched from the hint on (`access_token=` at `token=`): starting only where a hint does stays linear
    r"((?:" + "|".join(_SECRET_HINTS) + r")[\w-]{0,40}['\"]?\s*[:=]\s*(?:Bearer\s+|Basic\s+)?)"
    r"(['\"]?)[^\s'\",}&]+\2",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """Free text as it may reach a log: phone numbers masked, response_urls, tokens and secrets removed."""
    text = _HOOK_URL.sub("https://hooks.slack.com/" + REDACTED, text)
    text = _SLACK_TOKEN.sub(REDACTED, text)
    text = _SECRET_PAIR.sub(lambda m: f"{m[1]}{m[2]}{REDACTED}{m[2]}", text)
    return mask_all(text)


def _clean_value(key: str, value: Any) -> Any:
    """An `extra=` value made safe, however deep: procrastinate logs whole jobs (their arguments included)."""
    if any(hint in key.lower() for hint in _SECRET_HINTS):
        return REDACTED
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _clean_value(str(k), v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean_value(key, v) for v in value]
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    return redact(str(value))


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {
        key: _clean_value(key, value)
        for key, value in record.__dict__.items()
        if key not in _STANDARD and not key.startswith("_")
    }


class MaskingFilter(logging.Filter):
    """Redacts the rendered message of every record that passes through (see `redact`), at every level,
    and drops the request bodies and signatures Bolt writes into its own messages."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.name.startswith(_BOLT_LOGGERS):
            message = _BOLT_BODY.sub(r"\1: [omitted]", message)
        masked = redact(message)
        if masked != record.msg or record.args:
            record.msg, record.args = masked, None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": redact(record.getMessage()),
            **_extras(record),
        }
        if record.exc_info:
            payload["exc"] = redact(self.formatException(record.exc_info))  # tracebacks quote values too
        if record.stack_info:
            payload["stack"] = redact(self.formatStack(record.stack_info))
        return json.dumps(payload, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = redact(super().format(record))  # the traceback included
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
