"""Who is asking: a Slack user's role and provider identities, read from the database with a short cache.

The cache keeps the lookup that happens before `ack()` to a dictionary read on busy paths; links and
unlinks made in this process invalidate it at once, other processes see them within `ttl` seconds. Jobs,
which act, read the person afresh (`current`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Role, UserMapping
from bot.db.repositories import UserMappingRepository


@dataclass(frozen=True)
class Identity:
    team_id: str
    user_id: str
    role: Role | None = None  # None: not linked
    livevox_agent_id: str | None = None
    livevox_login: str | None = None
    zoom_user_id: str | None = None

    @property
    def linked(self) -> bool:
        return self.role is not None

    def may(self, required: Role | None) -> bool:
        """Whether this person may run something that needs `required` (None: anyone, linked or not)."""
        if required is None:
            return True
        return self.role is not None and self.role.allows(required)

    @classmethod
    def from_mapping(cls, team_id: str, user_id: str, mapping: UserMapping | None) -> Identity:
        if mapping is None:
            return cls(team_id=team_id, user_id=user_id)
        return cls(
            team_id=team_id,
            user_id=user_id,
            role=mapping.role,
            livevox_agent_id=mapping.livevox_agent_id,
            livevox_login=mapping.livevox_login,
            zoom_user_id=mapping.zoom_user_id,
        )


class IdentityService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        ttl: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions = sessions
        self._ttl = ttl
        self._clock = clock
        self._cache: dict[tuple[str, str], tuple[float, Identity]] = {}
        # One read per person at a time: when someone's entry expires under load, every request of theirs
        # in flight missed it at once, and each read it again (a session and a pool checkout each, beyond
        # the pool's size a new connection each: seconds of acks behind them at 200 requests in flight).
        self._reading: dict[tuple[str, str], asyncio.Task[Identity]] = {}

    async def resolve(self, team_id: str, user_id: str) -> Identity:
        """Who is asking, for the checks before `ack()`: cached up to `ttl` seconds."""
        key = (team_id, user_id)
        hit = self._cache.get(key)
        if hit is not None and self._clock() - hit[0] < self._ttl:
            return hit[1]
        reading = self._reading.get(key)
        if reading is None:
            reading = asyncio.create_task(self._read(team_id, user_id))
            self._reading[key] = reading
            reading.add_done_callback(lambda done: self._read_done(key, done))
        # Shielded: a request given up on does not cancel the read the others wait for.
        return await asyncio.shield(reading)

    async def current(self, team_id: str, user_id: str) -> Identity:
        """Who is acting, read from the database now: what jobs use at the moment of acting, so a role
        or link changed in another process a second ago applies (not kept: `resolve` caches its own)."""
        return await self._read(team_id, user_id)

    async def _read(self, team_id: str, user_id: str) -> Identity:
        async with self._sessions() as session:
            mapping = await UserMappingRepository(session, team_id).get(user_id)
        return Identity.from_mapping(team_id, user_id, mapping)

    def _read_done(self, key: tuple[str, str], reading: asyncio.Task[Identity]) -> None:
        if self._reading.get(key) is not reading:
            return  # forgotten while it read: what it read may be stale, so it is not kept
        del self._reading[key]
        if not reading.cancelled() and reading.exception() is None:
            self._cache[key] = (self._clock(), reading.result())

    def forget(self, team_id: str, user_id: str | None = None) -> None:
        if user_id is None:
            self._cache = {k: v for k, v in self._cache.items() if k[0] != team_id}
            self._reading = {k: v for k, v in self._reading.items() if k[0] != team_id}
        else:
            self._cache.pop((team_id, user_id), None)
            self._reading.pop((team_id, user_id), None)
