"""The send guard on the database (SQLite, and Postgres when configured): the customer's word in history,
the team's list it keeps, START lifting it, LiveVox's flags, overrides, a provider that fails."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import FakeClock
from bot.db.models import Role
from bot.db.repositories import AuditRepository, OptOutRepository
from bot.services.audit import AuditService
from bot.services.compliance import ComplianceState
from bot.services.history import Event, SourceResult
from bot.services.identity import Identity
from bot.services.send_guard import Override, Reason, SendGuard
from bot.services.send_rules import SendRules

TEAM = "T0GUARD"
AGENT = Identity(TEAM, "U0AGENT", Role.AGENT, livevox_login="JRIVERA")
NUMBER = "+14155550100"
MIDDAY = datetime(2026, 12, 2, 20, 0, tzinfo=UTC)  # 12:00 in San Francisco
DAY = timedelta(days=1)


def _in(text: str, at: datetime, provider: str = "Zoom Phone") -> Event:
    return Event(at, provider, "sms", "inbound", "", text=text)


class FakeHistory:
    """What `HistoryService.replies` would have read."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.sources: list[SourceResult] = [SourceResult("Zoom Phone", "ok")]

    async def replies(self, *_: Any, **__: Any) -> tuple[list[Event], list[SourceResult]]:
        return list(self.events), list(self.sources)


def _guard(sessions: async_sessionmaker[AsyncSession], history: FakeHistory) -> SendGuard:
    return SendGuard(sessions, AuditService(sessions), history, FakeClock(MIDDAY))  # type: ignore[arg-type]


async def _actions(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[str, str]]:
    async with sessions() as session:
        events = await AuditRepository(session, TEAM).recent(limit=50)
    return [(e.actor, e.action) for e in reversed(events)]


async def test_an_opt_out_in_history_is_kept_and_a_later_start_lifts_it(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    history = FakeHistory()
    guard = _guard(sessions, history)
    history.events = [_in("Thanks", MIDDAY - 3 * DAY), _in("Stop texting me please", MIDDAY - 2 * DAY)]
    verdict = await guard.check(None, AGENT, NUMBER)  # type: ignore[arg-type]
    assert [r.reason for r in verdict.refusals] == [Reason.CUSTOMER_OPT_OUT]
    assert "“Stop texting me please” (Zoom Phone, 2026-11-30)" in verdict.sentence()
    assert verdict.overridable == frozenset()
    async with sessions() as session:
        row = await OptOutRepository(session, TEAM).get(NUMBER)
    assert row is not None and row.source == "history" and row.evidence_text == "Stop texting me please"

    # The provider forgets the message (Routee keeps 7 days): the list still refuses it.
    history.events = []
    verdict = await guard.check(None, AGENT, NUMBER)  # type: ignore[arg-type]
    assert [r.reason for r in verdict.refusals] == [Reason.CUSTOMER_OPT_OUT]
    assert "on the team's opt-out list" in verdict.sentence()

    # A START after it restores consent and lifts the entry Switchboard made.
    history.events = [_in("START", MIDDAY - DAY, "LiveVox")]
    verdict = await guard.check(None, AGENT, NUMBER)  # type: ignore[arg-type]
    assert verdict.allowed and verdict.notes == [
        "Consent restored: the customer texted “START” (LiveVox, 2026-12-01) after opting out."
    ]
    async with sessions() as session:
        assert await OptOutRepository(session, TEAM).get(NUMBER) is None
    assert await _actions(sessions) == [("switchboard", "optout.added"), ("switchboard", "optout.restored")]


async def test_a_start_does_not_lift_an_admins_entry(sessions: async_sessionmaker[AsyncSession]) -> None:
    history = FakeHistory()
    guard = _guard(sessions, history)
    await SendRules(sessions).add(TEAM, "U0ADMIN", NUMBER, "asked us on the phone")
    history.events = [_in("YES", MIDDAY + DAY)]  # after the entry was made
    verdict = await guard.check(None, AGENT, NUMBER)  # type: ignore[arg-type]
    assert [r.reason for r in verdict.refusals] == [Reason.TEAM_LIST]
    assert "asked us on the phone" in verdict.sentence()
    assert "an admin may remove it" in verdict.notes[0]


async def test_livevox_flags_quiet_hours_and_overrides(sessions: async_sessionmaker[AsyncSession]) -> None:
    history = FakeHistory()
    guard = _guard(sessions, history)
    dnc = ComplianceState(known=True, do_not_contact=True, sms_opted_in=True)
    verdict = await guard.check(None, AGENT, NUMBER, flags=dnc)  # type: ignore[arg-type]
    assert verdict.overridable == {Reason.DO_NOT_CONTACT}
    assert verdict.blocking(Override("customer asked", frozenset({Reason.DO_NOT_CONTACT}))) == []
    assert verdict.blocking(Override("wrong one", frozenset({Reason.QUIET_HOURS})))  # not what was confirmed

    guard.clock = FakeClock(MIDDAY + timedelta(hours=10))  # 22:00 in San Francisco
    verdict = await guard.check(None, AGENT, NUMBER, flags=dnc)  # type: ignore[arg-type]
    assert {r.reason for r in verdict.refusals} == {Reason.DO_NOT_CONTACT, Reason.QUIET_HOURS}
    both = Override("ok", frozenset({Reason.DO_NOT_CONTACT, Reason.QUIET_HOURS}))
    assert verdict.blocking(both) == []

    # Never an opt-out: LiveVox's "not opted in", or the customer's own.
    opted_out = ComplianceState(known=True, do_not_contact=True, sms_opted_in=False)
    verdict = await guard.check(None, AGENT, NUMBER, flags=opted_out)  # type: ignore[arg-type]
    assert verdict.overridable == frozenset() and [r.reason for r in verdict.shown] == [Reason.NOT_OPTED_IN]
    assert verdict.blocking(both) == [r for r in verdict.refusals if r.reason is Reason.NOT_OPTED_IN]


async def test_a_provider_that_fails_is_named_and_two_checks_at_once_keep_one_entry(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    history = FakeHistory()
    history.sources = [SourceResult("Zoom Phone", "failed"), SourceResult("LiveVox", "ok")]
    history.events = [_in("UNSUBSCRIBE", MIDDAY - DAY, "LiveVox")]
    guard = _guard(sessions, history)
    first, second = await asyncio.gather(
        guard.check(None, AGENT, NUMBER),  # type: ignore[arg-type]
        guard.check(None, AGENT, NUMBER),  # type: ignore[arg-type]
    )
    assert not first.allowed and not second.allowed
    assert "Zoom Phone could not be read for opt-out replies just now" in first.notes[0]
    async with sessions() as session:
        assert len(await OptOutRepository(session, TEAM).list()) == 1
    assert (await _actions(sessions)).count(("switchboard", "optout.added")) == 1
