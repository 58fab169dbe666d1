"""Channel mappings: which LiveVox service (inbox), Zoom queues and SMS sender a Slack channel works with.

Values are validated here, so every surface (slash command, future modals, the CLI) agrees on what a
valid mapping is; every change writes an audit event in the same transaction.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import ChannelMapping
from bot.db.repositories import (
    AuditRepository,
    ChannelMappingRepository,
    UserMappingRepository,
    WorkspaceRepository,
)
from bot.errors import InputError
from bot.services.failures import describe as describe_failure
from bot.services.providers import Providers
from bot.services.queues import QUEUE_DAYS, queue_directory

log = logging.getLogger(__name__)
LIVEVOX = "LiveVox"
ZOOM = "Zoom"
# How many valid choices a refusal lists ("briefly"): enough to spot the right one, not a wall of ids.
CHOICES_SHOWN = 8
MAX_SESSIONS = 10

# Zoom ids are url-safe base64-ish strings; a queue's name is words (as people name queues), never markup.
QUEUE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
QUEUE_NAME = re.compile(r"^\w[\w &'()./-]{0,63}$")
# A numeric sender (short code or long number, optionally with +) or an alphanumeric sender id:
# carriers allow at most 11 characters and at least one letter for the latter.
NUMERIC_SENDER = re.compile(r"^\+?[0-9]{3,15}$")
ALPHA_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9]{1,11}$")
MAX_QUEUES = 50


@dataclass(frozen=True)
class MappingChange:
    """What to change; None leaves a value as it is."""

    service_id: str | None = None
    queue_ids: list[str] | None = None
    sender_code: str | None = None
    alerts: bool | None = None
    # The alerts' poll interval and reminders, as columns to set (`every=30s nudge=10m escalate=30m
    # oncall=… supervisor=… hours=…`, parsed by `parse_alert_settings`); a None value turns one off.
    alert_settings: dict[str, object] = dataclasses.field(default_factory=dict)
    # The inbox's name as LiveVox gives it, set by `check_with_providers` (so the mapping never shows the
    # name of the inbox it was mapped to before).
    inbox_name: str | None = None
    # The queues' names (id → name) from Zoom's logs, set by `check_with_providers` for the answer.
    queue_names: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return (
            all(
                v is None
                for v in (
                    self.service_id,
                    self.queue_ids,
                    self.sender_code,
                    self.alerts,
                )
            )
            and not self.alert_settings
        )


MIN_POLL_SECONDS = 10
MAX_POLL_SECONDS = 3600
WAIT = re.compile(r"^(\d{1,4})\s*(s|sec|m|min|h|hr)?$", re.IGNORECASE)
MENTION = re.compile(r"^<(@[UW][A-Z0-9]{2,20}|!subteam\^S[A-Z0-9]{2,20})(\|[^>]*)?>$")
BARE_ID = re.compile(r"^([UWS])[A-Z0-9]{2,20}$")
HOURS = re.compile(r"^(?:(\w{3})(?:-(\w{3}))?,)?(\d{1,2}:\d{2})-(\d{1,2}:\d{2})(?:,(.+))?$")
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_wait(key: str, value: str) -> int | None:
    """`10m`, `90s`, `1h`, `10` (minutes) → seconds; `off` → None."""
    if value.lower() in ("off", "none", "no"):
        return None
    found = WAIT.match(value.strip())
    if not found:
        raise InputError(f"{key}= takes a wait like `10m`, `90s` or `1h` (or `off`), not `{value}`.")
    amount, unit = int(found.group(1)), (found.group(2) or "m").lower()[0]
    seconds = amount * {"s": 1, "m": 60, "h": 3600}[unit]
    if not 60 <= seconds <= 24 * 3600:
        raise InputError(f"{key}= is between 1 minute and 24 hours, not `{value}`.")
    return seconds


def parse_every(value: str) -> int:
    found = WAIT.match(value.strip())
    if not found:
        raise InputError(f"every= takes an interval like `30s` or `2m`, not `{value}`.")
    amount, unit = int(found.group(1)), (found.group(2) or "s").lower()[0]
    seconds = amount * {"s": 1, "m": 60, "h": 3600}[unit]
    if not MIN_POLL_SECONDS <= seconds <= MAX_POLL_SECONDS:
        raise InputError(f"every= is between {MIN_POLL_SECONDS} seconds and 1 hour, not `{value}`.")
    return seconds


def parse_mention(key: str, value: str) -> str | None:
    """A user or user group to mention, as Slack sends it (`<@U…|name>`, `<!subteam^S…|@group>`) or its id;
    stored as the mention itself (`<@U…>`, `<!subteam^S…>`). `off` → None."""
    value = value.strip()
    if value.lower() in ("off", "none", "no"):
        return None
    found = MENTION.match(value)
    if found:
        return f"<{found.group(1)}>"
    bare = BARE_ID.match(value)
    if bare:
        return f"<!subteam^{value}>" if bare.group(1) == "S" else f"<@{value}>"
    raise InputError(
        f"{key}= takes a @user or @user-group (pick it from Slack's list as you type), not `{value}`."
    )


def parse_hours(value: str) -> dict[str, Any] | None:
    """`mon-fri,08:00-18:00,America/New_York` (days and zone optional; the zone defaults to UTC) →
    the stored window; `always` → None."""
    if value.lower() in ("always", "off", "none", "any"):
        return None
    found = HOURS.match(value.strip())
    usage = "hours= is like `mon-fri,08:00-18:00,America/New_York` (or `always`)"
    if not found:
        raise InputError(f"{usage}, not `{value}`.")
    first, last, start, end, zone = found.groups()
    days: list[int] | None = None
    if first:
        names = [d.lower() for d in (first, last or first)]
        if any(n not in DAY_NAMES for n in names):
            raise InputError(f"{usage}: days are mon, tue, wed, thu, fri, sat, sun.")
        a, b = DAY_NAMES.index(names[0]), DAY_NAMES.index(names[1])
        days = list(range(a, b + 1)) if a <= b else [*range(a, 7), *range(0, b + 1)]
    clock: list[str] = []
    for raw in (start, end):
        hour, minute = (int(x) for x in raw.split(":"))
        if hour > 23 or minute > 59:
            raise InputError(f"{usage}: `{raw}` is not a time of day.")
        clock.append(f"{hour:02d}:{minute:02d}")
    if clock[0] == clock[1]:
        raise InputError(f"{usage}: the window must not be empty.")
    tz = (zone or "UTC").strip()
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"`{tz}` is not a time zone; use one like America/New_York.") from None
    return {"days": days, "start": clock[0], "end": clock[1], "tz": tz}


ALERT_KEYS = ("every", "nudge", "escalate", "oncall", "supervisor", "hours")


def parse_alert_settings(values: dict[str, str]) -> dict[str, object]:
    """The alert keys of `channel set` → the columns they set (each checked; a clear sentence if not)."""
    fields: dict[str, object] = {}
    if "every" in values:
        fields["alerts_interval_seconds"] = parse_every(values["every"])
    if "nudge" in values:
        fields["nudge_seconds"] = parse_wait("nudge", values["nudge"])
    if "escalate" in values:
        fields["escalate_seconds"] = parse_wait("escalate", values["escalate"])
    if "oncall" in values:
        fields["on_duty"] = parse_mention("oncall", values["oncall"])
    if "supervisor" in values:
        fields["supervisor"] = parse_mention("supervisor", values["supervisor"])
    if "hours" in values:
        fields["working_hours"] = parse_hours(values["hours"])
    nudge, escalate = fields.get("nudge_seconds"), fields.get("escalate_seconds")
    if isinstance(nudge, int) and isinstance(escalate, int) and escalate <= nudge:
        raise InputError("escalate= must be longer than nudge= (e.g. `nudge=10m escalate=30m`).")
    return fields


def validate_service_id(value: str) -> str:
    value = value.strip()
    if not value.isdigit() or len(value) > 32:
        raise InputError(f"inbox= takes a LiveVox service id (digits), not `{value}`.")
    return value


def validate_queue_ids(values: list[str]) -> list[str]:
    queues: list[str] = []
    for raw in values:
        queue = raw.strip()
        if not queue:
            continue
        if not (QUEUE_ID.match(queue) or QUEUE_NAME.match(queue)):
            raise InputError(
                f"queues= takes Zoom queue names or ids, separated by commas "
                f'(quote names with spaces: queues="Customer Care,Billing"), not `{queue}`.'
            )
        if queue not in queues:
            queues.append(queue)
    if len(queues) > MAX_QUEUES:
        raise InputError(f"queues= takes at most {MAX_QUEUES} queues.")
    return queues


def validate_sender(value: str) -> str:
    value = value.strip()
    if NUMERIC_SENDER.match(value) or ALPHA_SENDER.match(value):
        return value
    raise InputError(
        f"sender= takes a numeric sender (digits) or an alphanumeric sender id of at most 11 letters "
        f"and digits, not `{value}`."
    )


def _choices(values: Sequence[str]) -> str:
    shown = ", ".join(f"`{v}`" for v in values[:CHOICES_SHOWN])
    more = f" and {len(values) - CHOICES_SHOWN} more" if len(values) > CHOICES_SHOWN else ""
    return shown + more


def _digits(code: str) -> str:
    return code.removeprefix("+")


async def check_with_providers(
    change: MappingChange, providers: Providers, agent_logins: Sequence[str]
) -> MappingChange:
    """The change, checked against what the providers offer: the inbox must be one of the LiveVox group
    inboxes the team's linked agents work (their sessions list them: `GET /sms/agent/channel` is for agent
    sessions only), the sender one of the LiveVox SMS codes (`GET /sms/codes`), each queue (a name or an id)
    one Zoom's SMS and call logs name (`bot.services.queues`: Zoom lists no queues). Every problem is named
    in one InputError, with the valid choices, and nothing is saved.

    Returns the change with the inbox's name filled in and the queues as ids (with their names)."""
    problems: list[str] = []
    inbox_name: str | None = None
    if (change.service_id is not None or change.sender_code is not None) and providers.livevox is None:
        keys = " and ".join(
            k for k, v in (("inbox=", change.service_id), ("sender=", change.sender_code)) if v
        )
        raise InputError(
            f"LiveVox is not connected, so {keys} cannot be checked; connect it first with "
            "`/switchboard connect livevox`. Nothing was saved."
        )
    if change.service_id is not None:
        inboxes, problem = await _group_inboxes(providers, agent_logins)
        if problem is not None:
            problems.append(problem)
        elif change.service_id in inboxes:
            inbox_name = inboxes[change.service_id]
        else:
            listed = [f"{sid} ({name})" if name else sid for sid, name in sorted(inboxes.items())]
            problems.append(
                f"inbox={change.service_id} is not a LiveVox inbox of your team"
                + (f"; the inboxes are {_choices(listed)}." if listed else "; LiveVox lists no group inbox.")
            )
    if change.sender_code is not None:
        assert providers.livevox is not None
        try:
            codes = [c.code for c in await providers.livevox.sms.codes()]
        except Exception as error:
            log.warning("sms codes not listed", extra={"error": type(error).__name__})
            problems.append(
                f"The SMS codes could not be read to check sender=: {describe_failure(LIVEVOX, error)}"
            )
        else:
            if _digits(change.sender_code) not in {_digits(c) for c in codes}:
                problems.append(
                    f"sender={change.sender_code} is not one of the LiveVox SMS codes"
                    + (f"; they are {_choices(codes)}." if codes else "; LiveVox lists none.")
                )
    queue_ids, queue_names = change.queue_ids, dict(change.queue_names)
    if change.queue_ids:
        queue_ids, queue_names = await _resolve_queues(change.queue_ids, providers, problems)
    if problems:
        raise InputError("\n".join(["Nothing was saved:", *(f"• {p}" for p in problems)]))
    return dataclasses.replace(change, inbox_name=inbox_name, queue_ids=queue_ids, queue_names=queue_names)


async def _resolve_queues(
    values: list[str], providers: Providers, problems: list[str]
) -> tuple[list[str], dict[str, str]]:
    """Each queue name or id as a queue id (and the known names), the unknown ones added to `problems`."""
    if providers.zoom is None:
        # Nothing to look names up in: ids are taken on their form, as before Zoom is connected.
        names = [v for v in values if not QUEUE_ID.match(v)]
        if names:
            problems.append(
                f"Zoom is not connected, so queue names ({_choices(names)}) cannot be looked up; give queue "
                "ids or connect it first with `/switchboard connect zoom`."
            )
        return values, {}
    try:
        directory = await queue_directory(providers.zoom, datetime.now(UTC))
    except Exception as error:
        log.warning("zoom queues not listed", extra={"error": type(error).__name__})
        problems.append(f"The queues could not be read to check queues=: {describe_failure(ZOOM, error)}")
        return values, {}
    ids: list[str] = []
    unknown: list[str] = []
    for value in values:
        queue_id = directory.resolve(value)
        if queue_id is None:
            unknown.append(value)
        elif queue_id not in ids:
            ids.append(queue_id)
    if unknown:
        listed = directory.listed()
        problems.append(
            f"queues={','.join(unknown)}: no Zoom queue of that name or id had SMS or calls in the last "
            f"{QUEUE_DAYS} days"
            + (f"; the queues are {_choices(listed)}." if listed else "; Zoom's logs name no queue.")
        )
    return ids, {qid: name for qid in ids if (name := directory.name(qid))}


async def queue_names(providers: Providers) -> dict[str, str]:
    """Every known queue's name (id → name) for showing a mapping; empty when Zoom cannot say (the ids
    are shown then)."""
    if providers.zoom is None:
        return {}
    try:
        return (await queue_directory(providers.zoom, datetime.now(UTC))).names
    except Exception as error:
        log.warning("zoom queues not listed", extra={"error": type(error).__name__})
        return {}


async def _group_inboxes(providers: Providers, logins: Sequence[str]) -> tuple[dict[str, str], str | None]:
    """The SMS group inboxes (service id → name) of the linked agents, or why they cannot be listed."""
    # A few sessions are enough: a team's agents share their services (and each is a LiveVox login).
    clients = [
        c for c in (providers.livevox_agent(login) for login in logins[:MAX_SESSIONS]) if c is not None
    ]
    if not clients:
        return {}, (
            "No one linked here has a LiveVox login, so the inboxes cannot be listed to check inbox=; "
            "link an agent first (`/switchboard link @user login=…`)."
        )
    results = await asyncio.gather(*(c.agent.channels() for c in clients), return_exceptions=True)
    inboxes: dict[str, str] = {}
    failure: BaseException | None = None
    for result in results:
        if isinstance(result, BaseException):
            failure = result
            continue
        for channel in result:
            if (
                channel.personal
                or (channel.channel or "").upper() != "SMS"
                or channel.channel_id in (None, "")
            ):
                continue
            inboxes[str(channel.channel_id)] = channel.channel_name or ""
    if not inboxes and failure is not None:
        log.warning("inboxes not listed", extra={"error": type(failure).__name__})
        return {}, f"The inboxes could not be listed to check inbox=: {describe_failure(LIVEVOX, failure)}"
    return inboxes, None


async def linked_logins(session: AsyncSession, team_id: str, first: str | None = None) -> list[str]:
    """The LiveVox logins linked in the workspace (`first`, the caller's, leads)."""
    logins = [
        u.livevox_login for u in await UserMappingRepository(session, team_id).list() if u.livevox_login
    ]
    if first and first in logins:
        logins.remove(first)
        logins.insert(0, first)
    return logins


# Fields a change writes beside what was asked (who turned alerts on, a stop cleared): not "changed".
BOOKKEEPING = frozenset({"alerts_by", "alerts_stopped", "alerts_stopped_at"})


class ChannelService:
    """Channel mappings of one workspace, changed by `actor` (a Slack user id or `cli:<name>`)."""

    def __init__(self, session: AsyncSession, team_id: str, *, actor: str) -> None:
        self.team_id = team_id
        self.actor = actor
        self._session = session
        self._channels = ChannelMappingRepository(session, team_id)
        self._audit = AuditRepository(session, team_id)

    async def get(self, channel_id: str) -> ChannelMapping | None:
        return await self._channels.get(channel_id)

    async def map(self, channel_id: str, change: MappingChange) -> tuple[ChannelMapping, bool]:
        """Create or update the mapping of `channel_id`; returns it and whether it was new."""
        if change.empty:
            raise InputError("Nothing to set: give inbox=…, queues=…, sender=…, alerts=on|off or a reminder.")
        fields: dict[str, object] = {}
        if change.service_id is not None:
            fields["livevox_service_id"] = validate_service_id(change.service_id)
            fields["livevox_inbox"] = change.inbox_name
        if change.queue_ids is not None:
            fields["zoom_queue_ids"] = validate_queue_ids(change.queue_ids)
        if change.sender_code is not None:
            fields["sms_sender_code"] = validate_sender(change.sender_code)
        if change.alerts is not None:
            # Set by a person, on or off: no longer "stopped by Switchboard"; and when on, by whom.
            fields.update(alerts_enabled=change.alerts, alerts_stopped=None, alerts_stopped_at=None)
            if change.alerts:
                fields["alerts_by"] = self.actor
        fields.update(change.alert_settings)
        await WorkspaceRepository(self._session, self.team_id).ensure()
        row, created = await self._channels.upsert(channel_id, **fields)
        await self._audit.record(
            self.actor,
            "channel.mapped",
            target_type="channel",
            target_id=channel_id,
            details={"created": created, "changed": sorted(fields.keys() - BOOKKEEPING), **describe(row)},
        )
        return row, created

    async def clear(self, channel_id: str) -> None:
        if not await self._channels.delete(channel_id):
            raise InputError("This channel has no mapping to clear.")
        await self._audit.record(self.actor, "channel.cleared", target_type="channel", target_id=channel_id)


def describe(row: ChannelMapping) -> dict[str, object]:
    """A mapping's values as plain data (for the audit trail and for rendering)."""
    return {
        "livevox_service_id": row.livevox_service_id,
        "livevox_inbox": row.livevox_inbox,
        "zoom_queue_ids": list(row.zoom_queue_ids or []),
        "sms_sender_code": row.sms_sender_code,
        "alerts_enabled": bool(row.alerts_enabled),
        "alerts_interval_seconds": row.alerts_interval_seconds,
        "alerts_stopped": row.alerts_stopped,
        "nudge_seconds": row.nudge_seconds,
        "escalate_seconds": row.escalate_seconds,
        "on_duty": row.on_duty,
        "supervisor": row.supervisor,
        "working_hours": row.working_hours,
    }
