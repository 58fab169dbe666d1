"""Prometheus metrics of one process, on prometheus_client's default registry.

Metrics are defined once, at import, on the default registry (which also carries prometheus_client's
process and Python collectors), so any number of apps built in one process (tests, the console) share
them without "Duplicated timeseries" errors; tests read differences, never absolute values.

This module imports nothing but prometheus_client, so the provider clients (`bot.providers._http`) can
record their calls here without depending on Slack, the job queue or the database. The job-queue gauges,
which need the database at scrape time, are in `bot.jobs.metrics`; `exposition()` joins both.

Labels are bounded: kinds, job kinds, provider and operation names and HTTP statuses come from code or
from a closed set, never from a request's content, so no phone number or id ever becomes a label.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest
from prometheus_client.registry import Collector, CollectorRegistry

__all__ = [
    "ACK_KINDS",
    "CONTENT_TYPE_LATEST",
    "ack_kind",
    "exposition",
    "observe_ack",
    "provider_call",
    "provider_rate_limited",
]

# ------------------------------------------------------------------------------------------------ Slack

ACK_KINDS = ("command", "block_actions", "view_submission", "shortcut", "event", "other")

ACK_SECONDS = Histogram(
    "switchboard_slack_ack_seconds",
    "Time from a signed Slack request reaching /slack/events to its ack (the HTTP answer) being ready.",
    ["kind"],
    # Acks take milliseconds; Slack gives up after 3 s, so the buckets are fine below 100 ms and stop at 5 s.
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 3.0, 5.0),
)
# One child per kind, resolved once: `labels()` takes a lock and builds a key on every call, which the
# ack path need not pay.
_ACK_BY_KIND = {kind: ACK_SECONDS.labels(kind=kind) for kind in ACK_KINDS}

# Interaction payload types Slack sends at the top level, mapped to their kind (a message shortcut is a
# shortcut to Bolt too); anything else found first (a nested block's "type") is skipped.
_INTERACTIONS = {
    "block_actions": "block_actions",
    "view_submission": "view_submission",
    "shortcut": "shortcut",
    "message_action": "shortcut",
    "view_closed": "other",
    "block_suggestion": "other",
    "interactive_message": "other",
    "dialog_submission": "other",
}
# `"type": "…"` as it stands percent-encoded in the form (quotes %22, colon %3A or bare, spaces + or %20),
# matched on the raw bytes: decoding first (unquote_plus) would cost ~25 µs per request, this ~0.3 µs.
_TYPE = re.compile(rb"%22type%22(?:%3A|:)(?:\+|%20)*%22(\w+)%22", re.IGNORECASE)
# Slack puts an interaction's "type" first; searching this much of the payload finds it without parsing
# the whole body a second time (Bolt parses it anyway).
_PAYLOAD_PREFIX = 1024


def ack_kind(body: bytes) -> str:
    """The kind of a Slack request from its raw body: cheap (a prefix, a few byte searches), never raises."""
    if body[:1] == b"{":  # Events API: JSON
        return "event"
    if body.startswith(b"payload="):
        start = 8
    else:
        start = body.find(b"&payload=")
        start = start + 9 if start >= 0 else -1
    if start >= 0:
        for match in _TYPE.finditer(body, start, start + _PAYLOAD_PREFIX):
            kind = _INTERACTIONS.get(match.group(1).decode("ascii"))
            if kind is not None:
                return kind
        return "other"
    # Form values are percent-encoded, so "&command=" can only be the field itself, not text in a value.
    if body.startswith(b"command=") or b"&command=" in body:
        return "command"
    return "other"


def observe_ack(kind: str, seconds: float) -> None:
    _ACK_BY_KIND.get(kind, _ACK_BY_KIND["other"]).observe(seconds)


# -------------------------------------------------------------------------------------------- providers

PROVIDER_CALLS = Counter(
    "switchboard_provider_calls_total",
    "Provider API calls (one per logical call, retries included), by the final HTTP status "
    "('none' when no answer came).",
    ["provider", "operation", "status"],
)
PROVIDER_CALL_SECONDS = Histogram(
    "switchboard_provider_call_seconds",
    "Duration of a provider API call, retries, rate-limit waits and re-authentication included.",
    ["provider", "operation"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)
PROVIDER_RETRIES = Counter(
    "switchboard_provider_retries_total",
    "Requests the provider clients sent again (connection errors, 408, 429, 5xx of reads, unreadable 2xx).",
    ["provider", "operation"],
)
PROVIDER_RATE_LIMITED = Counter(
    "switchboard_provider_rate_limited_total",
    "HTTP 429 answers received from a provider (every attempt counts, retried or not).",
    ["provider", "operation"],
)


def provider_call(provider: str, operation: str, status: int | None, seconds: float, retries: int) -> None:
    """One logical provider call ended (successfully or not)."""
    PROVIDER_CALLS.labels(provider, operation, str(status) if status is not None else "none").inc()
    PROVIDER_CALL_SECONDS.labels(provider, operation).observe(seconds)
    if retries:
        PROVIDER_RETRIES.labels(provider, operation).inc(retries)


def provider_rate_limited(provider: str, operation: str) -> None:
    PROVIDER_RATE_LIMITED.labels(provider, operation).inc()


# --------------------------------------------------------------------------------------------- exposition


def exposition(extra: Iterable[Collector] = ()) -> bytes:
    """The text exposition of the process's metrics, followed by `extra` collectors sampled for this scrape
    (the job queue's gauges), which belong to one container and so never join the global registry."""
    text = generate_latest(REGISTRY)
    collectors = list(extra)
    if not collectors:
        return text
    scrape = CollectorRegistry(auto_describe=False)
    for collector in collectors:
        scrape.register(collector)
    return text + generate_latest(scrape)
