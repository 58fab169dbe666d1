"""DigestAdmin on every backend: validation, team scope, duplicates (also when added at once), listings with
next and last runs, pause / resume (a slot passed while paused is never posted) and removal, each audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import AuditEvent, DigestRun, DigestRunStatus, DigestSubscription
from bot.errors import InputError
from bot.services.digest_admin import PAUSED, DigestAdmin, DigestInputError, parse_words, spec_from_fields

NOW = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)  # 10:00 in New York


def test_words_and_fields_read_the_same_digest() -> None:
    typed = parse_words("C1", ["daily", "09:00", "america/new_york", "calls", "SMS", "queues=q2,q1"])
    picked = spec_from_fields("C1", ["daily", "09:00"], "America/New_York", ["sms", "calls"], queues="q2, q1")
    assert typed == picked and typed.sections == ("sms", "calls") and typed.queues == ("q2", "q1")
    assert typed.scope == {"sections": ["sms", "calls"], "queues": ["q2", "q1"]}
    assert parse_words("C1", ["hourly", ":15", "UTC"]).scope == {
        "sections": ["sms", "calls", "threads", "delivery"]
    }
    for words, field in [
        (["daily", "9am", "UTC"], "schedule"),
        (["daily", "09:00", "Moon/Base"], "zone"),
        (["daily", "09:00", "UTC", "weather"], "sections"),
        (["daily", "09:00", "UTC", "inbox="], "inbox"),
        (["daily", "09:00", "UTC", "colour=red"], "sections"),
    ]:
        with pytest.raises(DigestInputError) as caught:
            parse_words("C1", words)
        assert caught.value.field == field, words
    with pytest.raises(DigestInputError, match="at least one section"):
        spec_from_fields("C1", ["daily", "09:00"], "UTC", [])


async def test_add_list_and_duplicates_are_team_scoped(sessions: async_sessionmaker[AsyncSession]) -> None:
    spec = parse_words("C1", ["daily", "09:00", "America/New_York", "sms"])
    async with sessions() as session, session.begin():
        row = await DigestAdmin(session, "T1", actor="U1").add(spec)
    async with sessions() as session, session.begin():
        with pytest.raises(InputError, match=rf"already has this digest \(id {row.id}\)"):
            await DigestAdmin(session, "T1", actor="U1").add(
                parse_words("C1", ["daily", "09:00", "America/New_York", "SMS"])
            )
        # The same digest in another workspace is another digest; theirs are not ours to see or change.
        other = await DigestAdmin(session, "T2", actor="U9").add(spec)
        with pytest.raises(InputError, match="no digest"):
            await DigestAdmin(session, "T2", actor="U9").remove(row.id)
        await DigestAdmin(session, "T1", actor="U1").add(
            parse_words("C1", ["daily", "09:00", "America/New_York"])
        )
    async with sessions() as session:
        listed = await DigestAdmin(session, "T1", actor="U1").listings(NOW)
        audited = (await session.execute(select(AuditEvent.team_id, AuditEvent.action))).all()
    assert [item.id for item in listed] == [row.id, row.id + 2] and other.id == row.id + 1
    assert listed[0].next_run == datetime(2026, 12, 1, 14, 0, tzinfo=UTC)  # 09:00 EST tomorrow
    assert listed[0].last_run is None
    assert sorted(audited) == [("T1", "digest.added"), ("T1", "digest.added"), ("T2", "digest.added")]


async def test_last_run_pause_resume_and_remove(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        service = DigestAdmin(session, "T1", actor="U1")
        row = await service.add(parse_words("C1", ["daily", "09:00", "America/New_York"]))
        row.created_at = NOW - timedelta(days=3)
        session.add(
            DigestRun(
                team_id="T1",
                subscription_id=row.id,
                scheduled_for=NOW - timedelta(days=2, hours=1),
                status=DigestRunStatus.POSTED,
            )
        )
        session.add(
            DigestRun(
                team_id="T1",
                subscription_id=row.id,
                scheduled_for=NOW - timedelta(hours=1, minutes=30),
                status=DigestRunStatus.POSTED,
                manual=True,
            )
        )
    async with sessions() as session, session.begin():
        service = DigestAdmin(session, "T1", actor="U1")
        [listed] = await service.listings(NOW)
        assert listed.last_run is not None and listed.last_run.manual  # the latest, run-now included
        assert (await service.pause(row.id))[1] and not (await service.pause(row.id))[1]
        [paused] = await service.listings(NOW)
        assert paused.paused and paused.next_run is None
        # Two slots passed while paused (yesterday's and today's 09:00): the latest is noted as skipped,
        # so the scheduler goes on from there instead of posting today's late.
        assert (await service.resume(row.id, NOW))[1]
    async with sessions() as session:
        runs = list((await session.execute(select(DigestRun).order_by(DigestRun.scheduled_for))).scalars())
    skipped = runs[-1]
    assert skipped.scheduled_for == datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
    assert (skipped.status, skipped.error, skipped.manual) == (DigestRunStatus.SKIPPED, PAUSED, False)
    async with sessions() as session, session.begin():
        await DigestAdmin(session, "T1", actor="U1").remove(row.id)
    async with sessions() as session:
        assert (await session.execute(select(DigestRun))).first() is None
        actions = [
            a for (a,) in (await session.execute(select(AuditEvent.action).order_by(AuditEvent.id))).all()
        ]
    assert actions == ["digest.added", "digest.paused", "digest.resumed", "digest.removed"]


async def test_the_unique_key_refuses_a_duplicate_the_check_did_not_see(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Two people adding the same digest at once both pass the check; the name (the same for identical
    digests) meets the table's unique key, and the second is refused in words, its transaction intact."""
    spec = parse_words("C1", ["daily", "09:00", "UTC"])
    async with sessions() as session, session.begin():
        # What the other request stored a moment ago, as the check in `add` could not yet see it.
        session.add(DigestSubscription(team_id="T1", channel_id="C1", name=spec.name, schedule="daily 10:00"))
    async with sessions() as session, session.begin():
        service = DigestAdmin(session, "T1", actor="U1")
        with pytest.raises(InputError, match="already has this digest, so nothing was added"):
            await service.add(spec)
        assert len(await service.on_channel("C1")) == 1  # the session is still usable
