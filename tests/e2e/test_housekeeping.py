"""The hourly housekeeping tick: expired button and modal state (`slack_payloads`) and claims of intents
done days ago (`action_claims`) are deleted, in every workspace; what is still in use stays."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import utcnow
from bot.db.models import ActionClaim
from bot.db.models.slack_payload import SlackPayload
from bot.db.repositories import ActionClaimRepository
from bot.db.repositories.claims import delete_old_claims
from bot.db.repositories.payloads import SlackPayloadRepository, delete_expired_payloads
from bot.db.session import transaction
from bot.services.demo import TEAM_ID
from bot.slack.jobs import CLAIMS_KEPT, HOUSEKEEPING_TASK, housekeeping
from tests.e2e.conftest import Harness

HOUR = 3600


async def _keys(session: AsyncSession) -> tuple[set[str], set[str]]:
    claims = set((await session.execute(select(ActionClaim.key))).scalars())
    payloads = set((await session.execute(select(SlackPayload.kind))).scalars())
    return claims, payloads


async def _seed(session: AsyncSession) -> None:
    """A fresh and an old claim, a live and an expired payload, in two workspaces."""
    for team in (TEAM_ID, "T0OTHER"):
        claims = ActionClaimRepository(session, team)
        assert await claims.claim(f"fresh:{team}") and await claims.claim(f"old:{team}")
        payloads = SlackPayloadRepository(session, team)
        await payloads.put(f"live:{team}", "U0AGENT", {"n": 1}, ttl=timedelta(minutes=30))
        await payloads.put(f"expired:{team}", "U0AGENT", {"n": 2}, ttl=-timedelta(seconds=1))
    await session.flush()
    for row in (await session.execute(select(ActionClaim))).scalars():
        if row.key.startswith("old:"):
            row.created_at = utcnow() - CLAIMS_KEPT - timedelta(minutes=1)
    await session.flush()


def _kept(claims: set[str], payloads: set[str]) -> None:
    assert claims == {f"fresh:{TEAM_ID}", "fresh:T0OTHER"}
    assert payloads == {f"live:{TEAM_ID}", "live:T0OTHER"}


async def test_old_claims_and_expired_payloads_are_deleted_in_every_workspace(
    db_session: AsyncSession,
) -> None:
    await _seed(db_session)
    await delete_old_claims(db_session, older_than=CLAIMS_KEPT)
    await delete_expired_payloads(db_session)
    _kept(*await _keys(db_session))


async def test_the_hourly_tick_prunes_once_an_hour_and_is_registered(slack: Harness) -> None:
    container = slack.container
    assert HOUSEKEEPING_TASK in container.jobs.app.tasks  # installed with the Slack layer's jobs
    async with transaction(container.sessions) as session:
        await _seed(session)
    await housekeeping(container, 500 * HOUR + 120)  # a tick within the hour: nothing to do
    async with container.sessions() as session:
        claims, payloads = await _keys(session)
    assert f"old:{TEAM_ID}" in claims and f"expired:{TEAM_ID}" in payloads
    await housekeeping(container, 500 * HOUR)  # the tick at the top of the hour
    async with container.sessions() as session:
        _kept(*await _keys(session))
