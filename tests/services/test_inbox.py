"""InboxService against the in-process LiveVox sandbox (stateful: moves, reads, resolves are real)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field, fields
from typing import Any

import httpx
import pytest

from bot.db.models import Provider, Role
from bot.providers.errors import ProviderError
from bot.sandbox.app import create_app
from bot.sandbox.source import BASE_URL, connection_values
from bot.sandbox.world import DEMO, Thread, World
from bot.services.access import AccessDenied
from bot.services.identity import Identity
from bot.services.inbox import InboxService, InboxUnavailable, ThreadCard, channel_type
from bot.services.providers import Providers, build_livevox

AGENT = Identity("T0DEMO", "U0AGENT", Role.AGENT, str(DEMO.agent_id), DEMO.agent_login)
SUPER = Identity("T0DEMO", "U0SUPER", Role.SUPERVISOR, str(DEMO.transfer_agent_id), DEMO.transfer_agent_login)
ADMIN = Identity("T0DEMO", "U0ADMIN", Role.ADMIN)
MARIA, JAMES, PRIYA, ROBERT = DEMO.phone_numbers


@dataclass
class FakeAudit:
    records: list[tuple[str, str, str | None, str]] = field(default_factory=list)

    async def record(self, team_id: str, actor: str, action: str, **kw: Any) -> None:
        self.records.append((actor, action, kw.get("target_id"), kw.get("outcome", "ok")))


@dataclass
class Sandbox:
    world: World
    providers: Providers
    audit: FakeAudit
    service: InboxService

    def thread(self, phone: str, owner: int | None) -> Thread:
        return next(
            t
            for t in self.world.threads.values()
            if t.phone == phone and t.owner_agent_id == owner and not t.resolved
        )


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    app = create_app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as http:
        values = connection_values()[Provider.LIVEVOX]
        providers = Providers(
            "T0DEMO", livevox=build_livevox(values, http), livevox_values=values, _http=http
        )
        audit = FakeAudit()
        yield Sandbox(app.state.world, providers, audit, InboxService(audit))  # type: ignore[arg-type]
        await providers.aclose()


async def test_threads_of_both_inboxes_newest_first(sandbox: Sandbox) -> None:
    result = await sandbox.service.threads(sandbox.providers, AGENT)
    ids = {c.thread_id for c in result.cards}
    assert sandbox.thread(MARIA, DEMO.agent_id).thread_id in ids
    assert sandbox.thread(PRIYA, None).thread_id in ids
    dates = [c.last_at for c in result.cards]
    assert dates == sorted(dates, reverse=True)  # type: ignore[type-var]
    maria = next(c for c in result.cards if c.number == MARIA)
    assert maria.personal and maria.channel_id == str(DEMO.agent_id) and maria.read is False
    assert maria.contact_name == "Maria Gonzalez" and maria.account == "880100"
    priya = next(c for c in result.cards if c.number == PRIYA)
    assert not priya.personal and priya.channel_id == str(DEMO.service_id) and priya.compliance.do_not_contact
    robert = next(c for c in result.cards if c.number == ROBERT)
    assert robert.compliance.opted_out and not robert.compliance.do_not_contact
    assert {i.name for i in result.inboxes} >= {"Personal SMS", "Group - Customer Care"}


async def test_cards_never_carry_ssn_or_dob(sandbox: Sandbox) -> None:
    result = await sandbox.service.threads(sandbox.providers, AGENT)
    assert not {"ssn", "dob"} & {f.name for f in fields(ThreadCard)}
    text = repr(result)
    for contact in sandbox.world.contacts.values():
        assert contact.ssn not in text and contact.dob not in text


async def test_scope_filters(sandbox: Sandbox) -> None:
    personal = await sandbox.service.threads(sandbox.providers, AGENT, scope="personal")
    group = await sandbox.service.threads(sandbox.providers, AGENT, scope="group")
    assert personal.cards and all(c.personal for c in personal.cards)
    assert group.cards and not any(c.personal for c in group.cards)
    email = await sandbox.service.threads(sandbox.providers, AGENT, channel_type("email"))
    assert email.cards == []


async def test_take_release_mark_resolve_change_the_world_and_are_audited(sandbox: Sandbox) -> None:
    s, p = sandbox.service, sandbox.providers
    priya = sandbox.thread(PRIYA, None)
    await s.take(p, AGENT, priya.thread_id)
    assert priya.owner_agent_id == DEMO.agent_id
    await s.release(p, AGENT, priya.thread_id)
    assert priya.owner_agent_id is None
    await s.mark(p, AGENT, priya.thread_id, str(DEMO.service_id), read=False)
    assert priya.read is False
    await s.mark(p, AGENT, priya.thread_id, str(DEMO.service_id), read=True)
    assert priya.read is True
    await s.resolve(p, AGENT, priya.thread_id, "880102", 1001)
    assert priya.resolved and priya.term_code_id == 1001
    assert [(a, t, o) for _, a, t, o in sandbox.audit.records] == [
        ("thread.taken", priya.thread_id, "ok"),
        ("thread.released", priya.thread_id, "ok"),
        ("thread.marked_unread", priya.thread_id, "ok"),
        ("thread.marked_read", priya.thread_id, "ok"),
        ("thread.resolved", priya.thread_id, "ok"),
    ]


async def test_transfer_to_a_candidate(sandbox: Sandbox) -> None:
    maria = sandbox.thread(MARIA, DEMO.agent_id)
    candidates = await sandbox.service.transfer_candidates(sandbox.providers, AGENT, maria.thread_id)
    assert str(DEMO.transfer_agent_id) in {c.agent_id for c in candidates}
    assert str(DEMO.agent_id) not in {c.agent_id for c in candidates}
    await sandbox.service.transfer(sandbox.providers, AGENT, maria.thread_id, str(DEMO.transfer_agent_id))
    assert maria.owner_agent_id == DEMO.transfer_agent_id
    assert sandbox.audit.records[-1][1:] == ("thread.transferred", maria.thread_id, "ok")


async def test_another_agents_thread_is_refused_by_switchboard_and_audited(sandbox: Sandbox) -> None:
    """LiveVox lets any agent read and mark any thread: Switchboard checks the agent's own inboxes first."""
    theirs = sandbox.thread(MARIA, DEMO.transfer_agent_id)
    theirs.read = True
    s, p = sandbox.service, sandbox.providers
    attempts = [
        s.release(p, AGENT, theirs.thread_id),
        s.take(p, AGENT, theirs.thread_id),
        s.mark(p, AGENT, theirs.thread_id, str(DEMO.agent_id), read=False),
        s.resolve(p, AGENT, theirs.thread_id, "880100", None),
        s.transfer(p, AGENT, theirs.thread_id, str(DEMO.agent_id)),
        s.transfer_candidates(p, AGENT, theirs.thread_id),
        s.history(p, AGENT, theirs.thread_id),
    ]
    for attempt in attempts:
        with pytest.raises(AccessDenied, match="not in your personal inbox or a group inbox"):
            await attempt
    assert theirs.owner_agent_id == DEMO.transfer_agent_id and theirs.read and not theirs.resolved
    assert sandbox.audit.records == [("U0AGENT", "access.denied", theirs.thread_id, "denied")] * 7


async def test_a_supervisor_may_act_on_any_thread(sandbox: Sandbox) -> None:
    agents = sandbox.thread(MARIA, DEMO.agent_id)
    agents.read = True
    await sandbox.service.mark(sandbox.providers, SUPER, agents.thread_id, str(DEMO.agent_id), read=False)
    assert agents.read is False
    entries, _ = await sandbox.service.history(sandbox.providers, SUPER, agents.thread_id)
    assert entries


async def test_a_refused_provider_change_is_audited_as_failed(sandbox: Sandbox) -> None:
    agents = sandbox.thread(MARIA, DEMO.agent_id)
    with pytest.raises(ProviderError):  # a supervisor passes Switchboard's check; LiveVox still decides
        await sandbox.service.release(sandbox.providers, SUPER, agents.thread_id)
    assert agents.owner_agent_id == DEMO.agent_id
    assert sandbox.audit.records == [("U0SUPER", "thread.released", agents.thread_id, "failed")]


async def test_history_newest_first(sandbox: Sandbox) -> None:
    maria = sandbox.thread(MARIA, DEMO.agent_id)
    entries, more = await sandbox.service.history(sandbox.providers, AGENT, maria.thread_id, limit=3)
    assert len(entries) == 3 and more
    assert entries[0].at is not None and entries[0].at >= entries[-1].at  # type: ignore[operator]
    assert entries[0].text == maria.last_message.message  # type: ignore[union-attr]


async def test_overview_with_team_counts(sandbox: Sandbox) -> None:
    overview = await sandbox.service.overview(sandbox.providers, SUPER, team=[AGENT, SUPER, ADMIN])
    assert overview.counts.active_sms >= 1
    assert overview.team is not None
    assert {m.user_id for m in overview.team} == {"U0AGENT", "U0SUPER"}  # ADMIN has no agent id
    agent = next(m for m in overview.team if m.user_id == "U0AGENT")
    assert agent.counts is not None and agent.counts.unread_sms == 1 and agent.error is None


async def test_no_login_is_a_clear_error(sandbox: Sandbox) -> None:
    with pytest.raises(InboxUnavailable, match="no LiveVox agent login"):
        await sandbox.service.threads(sandbox.providers, ADMIN)
    with pytest.raises(InboxUnavailable, match="not connected"):
        await sandbox.service.threads(Providers("T0DEMO"), AGENT)


@dataclass
class FakeTeam:
    """The team's linked agents (what `ContactBook.linked_agents` reads) and what was remembered."""

    members: list[Identity]
    remembered: list[tuple[str, set[str | None]]] = field(default_factory=list)

    async def linked_agents(self, team_id: str) -> list[Identity]:
        return self.members

    async def remember_many(self, seen: Any) -> None:
        self.remembered.extend((who.user_id, {thread for _, thread in pairs}) for who, pairs in seen)


async def test_a_supervisors_threads_span_the_team_and_leave_out_a_colleague_livevox_refuses(
    sandbox: Sandbox,
) -> None:
    # A linked agent whose LiveVox login does not exist: their session cannot sign in.
    ghost = Identity("T0DEMO", "U0GHOST", Role.AGENT, "999999", "NO_SUCH_LOGIN")
    team = FakeTeam([AGENT, SUPER, ghost])
    service = InboxService(sandbox.audit, contacts=team)  # type: ignore[arg-type]
    spanned = await service.threads(sandbox.providers, SUPER)
    agents = await InboxService(sandbox.audit).threads(sandbox.providers, AGENT)
    own = await InboxService(sandbox.audit).threads(sandbox.providers, SUPER)
    ids = {c.thread_id for c in spanned.cards}
    assert {c.thread_id for c in agents.cards} <= ids and {c.thread_id for c in own.cards} <= ids
    assert len(ids) == len(spanned.cards)  # a group inbox both can read is listed once
    names = [i.name for i in spanned.inboxes]
    assert len(names) == len(set(names)) and f"Personal SMS ({DEMO.agent_login})" in names
    maria = next(c for c in spanned.cards if c.thread_id == sandbox.thread(MARIA, DEMO.agent_id).thread_id)
    assert maria.inbox == f"Personal SMS ({DEMO.agent_login})"
    # Each thread is remembered for the agent whose inbox showed it; the ghost showed nothing.
    remembered: dict[str, set[str | None]] = {}
    for user, threads in team.remembered:  # one entry per inbox read
        remembered.setdefault(user, set()).update(threads)
    assert maria.thread_id in remembered["U0AGENT"] and "U0GHOST" not in remembered


async def test_an_agents_threads_are_their_own_only(sandbox: Sandbox) -> None:
    team = FakeTeam([AGENT, SUPER])
    mine = await InboxService(sandbox.audit, contacts=team).threads(sandbox.providers, AGENT)  # type: ignore[arg-type]
    alone = await InboxService(sandbox.audit).threads(sandbox.providers, AGENT)
    assert {c.thread_id for c in mine.cards} == {c.thread_id for c in alone.cards}
