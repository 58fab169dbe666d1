"""Closed sets of values stored as short strings (CHECK-constrained, portable across backends)."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Enum


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANKS[self]  # (every command checks a role before its ack: no list built for it)

    def allows(self, required: Role) -> bool:
        """An admin may do what a supervisor may, who may do what an agent may."""
        return self.rank >= required.rank


_RANKS = {role: rank for rank, role in enumerate(Role)}


class Provider(StrEnum):
    LIVEVOX = "livevox"
    ZOOM = "zoom"
    ROUTEE = "routee"


class SmsStatus(StrEnum):
    """Where an outbox row stands. Only the provider's own delivery record moves a row past ACCEPTED."""

    PENDING = "pending"  # written before the provider is called
    ACCEPTED = "accepted"  # the provider took the request; delivery not confirmed yet
    DELIVERED = "delivered"  # the provider's record says the handset got it
    BLOCKED = "blocked"  # the provider refused to deliver it (opt-out, DNC, carrier filter); reason kept
    UNDELIVERED = "undelivered"  # the provider tried and failed (carrier, unreachable, expired)
    FAILED = "failed"  # the provider refused the request itself
    UNKNOWN = "unknown"  # the request may have reached the provider; never re-sent automatically

    @property
    def reached_provider(self) -> bool:
        """True once the provider has the message (whatever became of it after)."""
        return self in {SmsStatus.ACCEPTED, SmsStatus.DELIVERED, SmsStatus.BLOCKED, SmsStatus.UNDELIVERED}

    @property
    def final(self) -> bool:
        """No later delivery record can change it."""
        return self in {SmsStatus.DELIVERED, SmsStatus.BLOCKED, SmsStatus.UNDELIVERED, SmsStatus.FAILED}


class DigestRunStatus(StrEnum):
    PENDING = "pending"  # claimed for its slot; a job will build and post it
    RUNNING = "running"
    POSTED = "posted"
    FAILED = "failed"  # finally failed; a short note was posted instead
    SKIPPED = "skipped"  # missed by more than the late window (everything was down); noted, not posted


def string_enum(enum: type[StrEnum], name: str) -> Enum:
    return Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class ScheduledStatus(StrEnum):
    """Where a send-later stands. One row per intent: it fires once (PENDING → SENDING, claimed)."""

    PENDING = "pending"  # waiting for its time
    SENDING = "sending"  # claimed by the job that fires it; the outbox row says what became of it
    SENT = "sent"  # handed to the send path; the outbox row (`outbox_key`) has the provider's answer
    REFUSED = "refused"  # the send guard refused it when it fired (the reason is kept)
    CANCELLED = "cancelled"
    # Fired, but its job ended without knowing what became of the send (its worker died, or the send
    # failed midway): never fired again; the outbox row (`/sms logs`) says whether it went.
    UNKNOWN = "unknown"
