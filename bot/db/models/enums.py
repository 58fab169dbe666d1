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
        return list(Role).index(self)

    def allows(self, required: Role) -> bool:
        """An admin may do what a supervisor may, who may do what an agent may."""
        return self.rank >= required.rank


class Provider(StrEnum):
    LIVEVOX = "livevox"
    ZOOM = "zoom"
    ROUTEE = "routee"


class SmsStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    UNKNOWN = "unknown"  # the request may have reached the provider; never re-sent automatically


class DigestRunStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    POSTED = "posted"
    FAILED = "failed"


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
