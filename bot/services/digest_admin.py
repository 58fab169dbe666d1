"""Managing digests: add, list, remove, pause and resume a workspace's subscriptions.

Every surface (`/switchboard digest …`, the digest modal, App Home) goes through here, so they agree on what
a valid digest is: a schedule and a time zone `bot.services.digest_schedule` reads, sections out of
`SECTIONS`, and a scope that is either the channel's mapping (stored as no `inbox` / `queues` key, read at
run time) or ids checked the way channel mappings check theirs. Every change writes an audit event in the
same transaction. Whether the bot is in the channel is the Slack layer's to ask (conversations.info).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import DigestRun, DigestRunStatus, DigestSubscription
from bot.db.repositories import AuditRepository, DigestRepository, WorkspaceRepository
from bot.errors import InputError
from bot.services.channels import (
    MappingChange,
    check_with_providers,
    linked_logins,
    validate_queue_ids,
    validate_service_id,
)
from bot.services.digest_schedule import Schedule, ScheduleError, parse_schedule, parse_timezone
from bot.services.providers import Providers

__all__ = [
    "PAUSED",
    "SECTIONS",
    "DigestAdmin",
    "DigestInputError",
    "DigestListing",
    "DigestSpec",
    "check_against_providers",
    "parse_words",
    "spec_from_fields",
]

SECTIONS = ("sms", "calls", "threads", "delivery")
# The note on the run row of a slot that passed while the digest was paused (see `DigestAdmin.resume`).
PAUSED = "paused"
NAME_CHARS = 100  # DigestSubscription.name

# Which input of the modal a problem belongs to (the command reports them all the same way).
FIELD_CHANNEL = "channel"
FIELD_SCHEDULE = "schedule"
FIELD_ZONE = "zone"
FIELD_SECTIONS = "sections"
FIELD_INBOX = "inbox"
FIELD_QUEUES = "queues"


class DigestInputError(InputError):
    """Bad input for a digest; `field` says which of the modal's inputs it is about."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class DigestSpec:
    """A digest as asked for, validated: what `add` stores."""

    channel_id: str
    schedule: Schedule
    sections: tuple[str, ...] = SECTIONS
    inbox: str | None = None  # None: the channel mapping's, at run time
    queues: tuple[str, ...] | None = None  # None: the channel mapping's, at run time

    @property
    def scope(self) -> dict[str, Any]:
        scope: dict[str, Any] = {"sections": list(self.sections)}
        if self.inbox is not None:
            scope["inbox"] = self.inbox
        if self.queues is not None:
            scope["queues"] = list(self.queues)
        return scope

    @property
    def name(self) -> str:
        """A name that says what the digest is, the same for identical digests: the table's unique
        (team, channel, name) key then refuses a duplicate even when two people add it at once."""
        parts = [self.schedule.text, self.schedule.zone]
        if self.sections != SECTIONS:
            parts.append("+".join(self.sections))
        if self.inbox is not None:
            parts.append(f"inbox={self.inbox}")
        if self.queues is not None:
            parts.append("queues=" + ",".join(self.queues))
        name = " ".join(parts)
        if len(name) <= NAME_CHARS:
            return name
        tail = hashlib.sha256(name.encode()).hexdigest()[:12]
        return f"{name[: NAME_CHARS - len(tail) - 2]}… {tail}"


def _sections(words: Sequence[str]) -> tuple[str, ...]:
    """Sections in their canonical order (so `calls sms` and `sms calls` are the same digest)."""
    chosen: set[str] = set()
    for word in words:
        section = word.strip().lower()
        if section not in SECTIONS:
            raise DigestInputError(
                f"“{section[:20]}” is not a digest section; choose from {', '.join(SECTIONS)}.",
                FIELD_SECTIONS,
            )
        chosen.add(section)
    return tuple(s for s in SECTIONS if s in chosen) if chosen else SECTIONS


def _inbox(text: str) -> str:
    try:
        return validate_service_id(text)
    except InputError as error:
        raise DigestInputError(str(error), FIELD_INBOX) from None


def _queues(text: str) -> tuple[str, ...]:
    try:
        queues = validate_queue_ids(text.split(","))
    except InputError as error:
        raise DigestInputError(str(error), FIELD_QUEUES) from None
    if not queues:
        raise DigestInputError("queues= takes at least one Zoom queue id.", FIELD_QUEUES)
    return tuple(queues)


def _schedule(words: list[str], zone_text: str) -> Schedule:
    try:
        zone = parse_timezone(zone_text)
    except ScheduleError as error:
        raise DigestInputError(str(error), FIELD_ZONE) from None
    try:
        return parse_schedule(words, zone)
    except ScheduleError as error:
        raise DigestInputError(str(error), FIELD_SCHEDULE) from None


def spec_from_fields(
    channel_id: str,
    schedule_words: list[str],
    zone: str,
    sections: Sequence[str],
    *,
    inbox: str = "",
    queues: str = "",
) -> DigestSpec:
    """A digest from separate values (the modal's inputs); empty inbox / queues: the channel's mapping."""
    if not channel_id:
        raise DigestInputError("Choose the channel the digest posts in.", FIELD_CHANNEL)
    if not zone.strip():
        raise DigestInputError("Say the digest's time zone, e.g. America/New_York.", FIELD_ZONE)
    if not sections:
        raise DigestInputError("Choose at least one section.", FIELD_SECTIONS)
    return DigestSpec(
        channel_id=channel_id,
        schedule=_schedule(schedule_words, zone),
        sections=_sections(sections),
        inbox=_inbox(inbox) if inbox.strip() else None,
        queues=_queues(queues) if queues.strip() else None,
    )


def parse_words(channel_id: str, words: list[str]) -> DigestSpec:
    """`daily 09:00 America/New_York sms calls inbox=100915` (after the channel) → a digest.

    The schedule is as many words as its kind takes (`hourly :15`, `daily 09:00`, `weekly mon 09:00`),
    then the time zone, then sections and `inbox=` / `queues=` in any order."""
    kind = words[0].lower() if words else ""
    length = 3 if kind == "weekly" else 2
    schedule_words, rest = words[:length], words[length:]
    if not rest:
        # Read the schedule first, so a bad one is reported as such rather than as a missing zone.
        _schedule(schedule_words, "UTC")
        raise DigestInputError(
            "Say the digest's time zone after its time, e.g. `daily 09:00 America/New_York`.", FIELD_ZONE
        )
    zone, extras = rest[0], rest[1:]
    sections: list[str] = []
    keywords: dict[str, str] = {}
    for word in extras:
        key, sep, value = word.partition("=")
        if not sep:
            sections.append(word)
        elif key.lower() in (FIELD_INBOX, FIELD_QUEUES):
            keywords[key.lower()] = value
        else:
            raise DigestInputError(
                f"`{word[:40]}` is not inbox=… or queues=…; the sections are {', '.join(SECTIONS)}.",
                FIELD_SECTIONS,
            )
    for key in (FIELD_INBOX, FIELD_QUEUES):
        if key in keywords and not keywords[key].strip():
            raise DigestInputError(f"{key}= needs a value.", key)
    return DigestSpec(
        channel_id=channel_id,
        schedule=_schedule(schedule_words, zone),
        sections=_sections(sections),
        inbox=_inbox(keywords[FIELD_INBOX]) if FIELD_INBOX in keywords else None,
        queues=_queues(keywords[FIELD_QUEUES]) if FIELD_QUEUES in keywords else None,
    )


async def check_against_providers(
    spec: DigestSpec, session: AsyncSession, team_id: str, providers: Providers, login: str | None
) -> DigestSpec:
    """The digest's explicit `inbox=` and `queues=`, checked as a channel mapping's are
    (`check_with_providers`, which `channel set` uses): the inbox must be one of the team's LiveVox group
    inboxes, each queue (a name or an id) one Zoom's SMS and call logs name, and the refusal lists the
    valid ones. Returns the digest with its queues as ids. The channel mapping's own inbox and queues were
    checked when it was set."""
    if spec.inbox is not None:
        logins = await linked_logins(session, team_id, login)
        try:
            await check_with_providers(MappingChange(service_id=spec.inbox), providers, logins)
        except InputError as error:
            raise DigestInputError(_problem(error), FIELD_INBOX) from None
    if spec.queues is not None:
        try:
            checked = await check_with_providers(MappingChange(queue_ids=list(spec.queues)), providers, [])
        except InputError as error:
            raise DigestInputError(_problem(error), FIELD_QUEUES) from None
        spec = dataclasses.replace(spec, queues=tuple(checked.queue_ids or spec.queues))
    return spec


def _problem(error: InputError) -> str:
    """`check_with_providers`'s refusal of one value, without its "Nothing was saved" list around it."""
    return str(error).removeprefix("Nothing was saved:\n• ")


@dataclass(frozen=True)
class DigestListing:
    """One subscription as `digest list` and App Home show it."""

    subscription: DigestSubscription
    schedule: Schedule | None  # None: a stored schedule this version cannot read
    next_run: datetime | None  # None when paused (or unreadable)
    last_run: DigestRun | None

    @property
    def id(self) -> int:
        return self.subscription.id

    @property
    def paused(self) -> bool:
        return not self.subscription.enabled

    @property
    def sections(self) -> list[str]:
        return [s for s in (self.subscription.scope or {}).get("sections") or SECTIONS if s in SECTIONS]

    @property
    def inbox(self) -> str | None:
        value = (self.subscription.scope or {}).get("inbox")
        return str(value) if value is not None else None

    @property
    def queues(self) -> list[str] | None:
        value = (self.subscription.scope or {}).get("queues")
        return [str(q) for q in value] if value is not None else None


def schedule_of(subscription: DigestSubscription) -> Schedule | None:
    try:
        return parse_schedule(subscription.schedule.split(), subscription.timezone)
    except ScheduleError:
        return None


def describe(subscription: DigestSubscription) -> dict[str, Any]:
    """A subscription as plain data, for the audit trail."""
    return {
        "id": subscription.id,
        "channel": subscription.channel_id,
        "schedule": subscription.schedule,
        "timezone": subscription.timezone,
        "scope": dict(subscription.scope or {}),
        "enabled": subscription.enabled,
    }


class DigestAdmin:
    """The digests of one workspace, changed by `actor` (a Slack user id or `cli:<name>`)."""

    def __init__(self, session: AsyncSession, team_id: str, *, actor: str) -> None:
        self.team_id = team_id
        self.actor = actor
        self._session = session
        self._digests = DigestRepository(session, team_id)
        self._audit = AuditRepository(session, team_id)

    async def get(self, subscription_id: int) -> DigestSubscription:
        row = await self._digests.get(subscription_id)
        if row is None:
            raise InputError(
                f"There is no digest {subscription_id} in this workspace; `/switchboard digest list` "
                "shows their ids."
            )
        return row

    async def on_channel(self, channel_id: str) -> list[DigestSubscription]:
        return await self._digests.on_channel(channel_id)

    async def add(self, spec: DigestSpec) -> DigestSubscription:
        """Store a new digest; an identical one on the same channel is refused, naming its id."""
        for row in await self._digests.on_channel(spec.channel_id):
            if _same(row, spec):
                raise _duplicate(row.id)
        await WorkspaceRepository(self._session, self.team_id).ensure()
        try:
            async with self._session.begin_nested():
                row = await self._digests.subscribe(
                    spec.channel_id,
                    spec.schedule.text,
                    name=spec.name,
                    timezone=spec.schedule.zone,
                    scope=spec.scope,
                    enabled=True,
                    created_by=self.actor,
                )
        except IntegrityError:  # the same digest, added a moment ago by someone else
            twin = next((r for r in await self._digests.on_channel(spec.channel_id) if _same(r, spec)), None)
            raise _duplicate(twin.id if twin else None) from None
        await self._audit.record(
            self.actor,
            "digest.added",
            target_type="channel",
            target_id=spec.channel_id,
            details=describe(row),
        )
        return row

    async def listings(self, now: datetime, *, channel_id: str | None = None) -> list[DigestListing]:
        rows = await self._digests.subscriptions(enabled_only=False)
        if channel_id is not None:
            rows = [r for r in rows if r.channel_id == channel_id]
        latest = await self._digests.latest_runs([r.id for r in rows])
        listed = []
        for row in rows:
            schedule = schedule_of(row)
            upcoming = schedule.next_slot(now) if schedule is not None and row.enabled else None
            listed.append(DigestListing(row, schedule, upcoming, latest.get(row.id)))
        return listed

    async def remove(self, subscription_id: int) -> DigestSubscription:
        row = await self.get(subscription_id)
        details = describe(row)
        await self._digests.delete(row)
        await self._audit.record(
            self.actor, "digest.removed", target_type="channel", target_id=row.channel_id, details=details
        )
        return row

    async def pause(self, subscription_id: int) -> tuple[DigestSubscription, bool]:
        """Stop posting it (kept, with its history); returns it and whether it was running before."""
        row = await self.get(subscription_id)
        changed = row.enabled
        if changed:
            row.enabled = False
            await self._session.flush()
            await self._audit.record(
                self.actor,
                "digest.paused",
                target_type="channel",
                target_id=row.channel_id,
                details=describe(row),
            )
        return row, changed

    async def resume(self, subscription_id: int, now: datetime) -> tuple[DigestSubscription, bool]:
        """Post it again from its next slot; returns it and whether it was paused before.

        The scheduler posts every slot since a subscription's last one (late within the late window,
        noted as skipped beyond it): right for an outage, wrong for a pause, which someone asked for. So the
        last slot that passed while paused gets a SKIPPED run noted `paused`, and the schedule goes on from
        there: nothing missed while paused is posted or noted in the channel."""
        row = await self.get(subscription_id)
        if row.enabled:
            return row, False
        row.enabled = True
        schedule = schedule_of(row)
        if schedule is not None:
            passed = schedule.previous_slot(now)
            handled = await self._digests.last_scheduled_slot(row)
            if passed > max(handled or row.created_at, row.created_at):
                run = await self._digests.claim_run(row, passed)
                if run is not None:
                    run.status = DigestRunStatus.SKIPPED
                    run.error = PAUSED
                    run.finished_at = now
        await self._session.flush()
        await self._audit.record(
            self.actor,
            "digest.resumed",
            target_type="channel",
            target_id=row.channel_id,
            details=describe(row),
        )
        return row, True


def _same(row: DigestSubscription, spec: DigestSpec) -> bool:
    scope = row.scope or {}
    queues = scope.get("queues")
    return (
        row.schedule == spec.schedule.text
        and row.timezone == spec.schedule.zone
        and _sections(scope.get("sections") or SECTIONS) == spec.sections
        and scope.get("inbox") == spec.inbox
        and (tuple(queues) if queues is not None else None) == spec.queues
    )


def _duplicate(subscription_id: int | None) -> InputError:
    # Plain words: the Slack layer escapes an error's message, so a channel mention would not render.
    which = f" (id {subscription_id})" if subscription_id is not None else ""
    return InputError(f"That channel already has this digest{which}, so nothing was added.")
