"""The job contract: every piece of deferred work is a small typed model on a common envelope.

A feature declares one `Job` subclass per kind of follow-up, with the fields it needs, and registers a
handler for it on the `JobRunner` (`bot.jobs.runner`). The job is deferred as an object and comes back
to its handler as the same object, validated: no hand-built dicts, no dispatch on a verb string.

Each job says what repeating it would do (`effect`):
- `Effect.READ`: reads providers and answers; safe to run again, so transient failures (a provider's
  5xx, timeouts, a 429 with Retry-After, a database blink) are retried with backoff, and a job whose
  worker died is run again;
- `Effect.CHANGE`: sends an SMS or changes a thread; never run again once it may have reached the
  provider (the outbox and the action claims decide what was done), so a dead worker's job ends as
  "outcome unknown" and the person is told. A transient error met before it changed anything is
  retried, when the job says so by raising `bot.jobs.retry.NothingChanged`.
"""

from __future__ import annotations

import enum
import time
import uuid
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from bot.jobs.retry import Backoff


class Effect(enum.Enum):
    READ = "read"
    CHANGE = "change"


class Claim(BaseModel):
    """A key the job must be the first to claim in its workspace, before it runs: one intent (a click, a
    submitted form) done once, however many times Slack or the person repeats it.

    It is claimed when the job runs, not when the click is taken: the job is stored first, so a web process
    that dies a moment later leaves the click to be done (nothing claimed for work that was never stored).
    `token` tells this job, its retries and its follow-ups (which carry its envelope) from a repeat.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    token: str = Field(default_factory=lambda: uuid.uuid4().hex)


class Envelope(BaseModel):
    """Who asked, where, and how to answer them: common to every job."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    team_id: str
    user_id: str
    channel_id: str | None = None
    # Only ever the response_url of a verified Slack payload (never one read back from Slack's client).
    response_url: str | None = None
    origin: str  # what started it: "/lookup", "button:calls_more", "view:send_sms", "event:app_home_opened"
    accepted_at: float = Field(default_factory=time.time)  # epoch seconds: the retry deadline counts from it
    once: Claim | None = None  # run only by the first job to claim it (a repeat is dropped untold)


class Job(BaseModel):
    """Base of every job model. Subclasses set `kind` (unique, stable: it names the queued task)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ClassVar[str]
    effect: ClassVar[Effect] = Effect.READ
    # How long after acceptance the work is still worth doing (Slack's response_url lives 30 minutes).
    deadline_seconds: ClassVar[float] = 20 * 60
    # Automatic retries of a transient failure happen only this soon after acceptance: someone is
    # waiting, and provider clients already retried each call; a slower answer is a worse answer.
    retry_window_seconds: ClassVar[float] = 8.0
    # The backoff of its retries, when not the runner's (work nobody waits on may wait longer between tries).
    backoff: ClassVar[Backoff | None] = None
    # How the work is named when the person must be told it failed ("your lookup of +1 415-555-0100").
    what: ClassVar[str] = "your request"
    # Names for the providers this job talks to, when a failure names one ("Zoom Contact Center").
    provider_names: ClassVar[dict[str, str]] = {}

    # Whether a failure is told to the person in the envelope (the Slack layer's notifier). Work that
    # answers a channel rather than a person (a scheduled digest) installs its own notifier instead.
    tells_person: ClassVar[bool] = True

    envelope: Envelope

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not isinstance(cls.__dict__.get("kind"), str) or not cls.__dict__["kind"]:
            raise TypeError(f"{cls.__name__} must set `kind` to a non-empty string")

    @property
    def expires_at(self) -> float:
        return self.envelope.accepted_at + self.deadline_seconds

    def describe(self) -> str:
        """The work in a few words, for failure notes; jobs override it to name their subject."""
        return self.what

    def when_unknown(self) -> str:
        """What the person can do when the outcome is unknown (CHANGE jobs say how to check)."""
        return "Check before trying again."

    def after_failure(self) -> str:
        """Said after any failure note instead of "try again", when trying again would be wrong: a
        follow-up of work that already happened (an SMS the provider accepted) must not be redone."""
        return ""


class Failure(enum.Enum):
    """How a job ended without doing its work, so the notifier can say it in words."""

    ERROR = "error"  # it failed (after the retries its effect allows)
    OUTCOME_UNKNOWN = "outcome_unknown"  # a state-changing job's worker died mid-way: it may have happened
    EXPIRED = "expired"  # its deadline passed before it could run (again)
    UNREADABLE = "unreadable"  # the queued payload does not fit its model any more (a deploy changed it)
