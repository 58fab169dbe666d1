"""Who is asking (bot/services/identity.py), on every backend: a burst of requests from one person whose
cache entry expired reads the database once, and a link or unlink made while it reads is not undone."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Role
from bot.db.repositories import UserMappingRepository
from bot.db.session import transaction
from bot.services.identity import IdentityService

TEAM = "T0IDENT"


def _count_reads(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    bind = sessions.kw["bind"]
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "user_mappings" in statement and statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(bind.sync_engine, "before_cursor_execute", seen)
    return statements


async def _link(sessions: async_sessionmaker[AsyncSession], user: str, role: Role) -> None:
    async with transaction(sessions) as session:
        await UserMappingRepository(session, TEAM).link(user, role=role)


async def test_a_burst_after_expiry_reads_once_and_everyone_gets_the_answer(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _link(sessions, "U0BURST", Role.SUPERVISOR)
    now = [0.0]
    identities = IdentityService(sessions, ttl=30, clock=lambda: now[0])
    reads = _count_reads(sessions)
    first = await asyncio.gather(*(identities.resolve(TEAM, "U0BURST") for _ in range(50)))
    assert {i.role for i in first} == {Role.SUPERVISOR} and len(reads) == 1
    await identities.resolve(TEAM, "U0BURST")
    assert len(reads) == 1  # cached
    now[0] = 31.0  # expired: the whole burst misses at once
    again = await asyncio.gather(*(identities.resolve(TEAM, "U0BURST") for _ in range(50)))
    assert {i.role for i in again} == {Role.SUPERVISOR} and len(reads) == 2
    # Someone else is read on their own.
    assert (await identities.resolve(TEAM, "U0NOBODY")).role is None and len(reads) == 3


async def test_a_change_made_during_a_read_is_not_hidden_by_it(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _link(sessions, "U0RACE", Role.AGENT)
    identities = IdentityService(sessions)
    reading = asyncio.ensure_future(identities.resolve(TEAM, "U0RACE"))
    await asyncio.sleep(0)  # the read has started
    await _link(sessions, "U0RACE", Role.ADMIN)
    identities.forget(TEAM, "U0RACE")  # what the link command does
    assert (await identities.resolve(TEAM, "U0RACE")).role is Role.ADMIN
    await reading  # whatever it read, it is not kept
    assert (await identities.resolve(TEAM, "U0RACE")).role is Role.ADMIN


async def test_a_request_given_up_on_does_not_cancel_the_others_read(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _link(sessions, "U0GONE", Role.AGENT)
    identities = IdentityService(sessions)
    given_up = asyncio.ensure_future(identities.resolve(TEAM, "U0GONE"))
    waiting = asyncio.ensure_future(identities.resolve(TEAM, "U0GONE"))
    await asyncio.sleep(0)
    given_up.cancel()
    assert (await waiting).role is Role.AGENT
