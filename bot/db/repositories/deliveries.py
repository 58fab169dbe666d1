from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg
from sqlalchemy import Insert, TextClause, bindparam, delete, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db.base import utcnow
from bot.db.models import SlackDelivery
from bot.db.repositories.base import TeamRepository

KEY_LENGTH = 200  # SlackDelivery.key


@dataclass(frozen=True)
class DeliveryClaim:
    team_id: str
    key: str
    keep_for: timedelta


def _claims_statement(dialect: str, claims: Sequence[DeliveryClaim], now: datetime) -> Insert:
    """One statement for many claims: a key is inserted, or taken over when its claim has expired; a live
    claim is left alone, and only the claims won come back. (team_id, key) must be distinct within it."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(SlackDelivery).values(
        [{"team_id": c.team_id, "key": c.key[:KEY_LENGTH], "expires_at": now + c.keep_for} for c in claims]
    )
    table = SlackDelivery.__table__.c
    return statement.on_conflict_do_update(
        index_elements=[table.team_id, table.key],
        set_={"expires_at": statement.excluded.expires_at, "updated_at": now},
        where=table.expires_at < now,
    ).returning(table.team_id, table.key)


# Postgres: one statement text for any batch size (arrays, unnest), so nothing is compiled per request;
# a multi-row VALUES is a new statement for each batch size, compiled again (~13% of a busy web
# process's request CPU in the ack benchmark's profile).
_CLAIMS_POSTGRES: TextClause = text(
    """
    INSERT INTO slack_deliveries AS d (team_id, key, expires_at)
    SELECT * FROM unnest(:team_ids, :keys, :expires_at)
    ON CONFLICT (team_id, key) DO UPDATE SET expires_at = EXCLUDED.expires_at, updated_at = :now
    WHERE d.expires_at < :now
    RETURNING d.team_id, d.key
    """
).bindparams(
    bindparam("team_ids", type_=postgresql.ARRAY(SlackDelivery.__table__.c.team_id.type)),
    bindparam("keys", type_=postgresql.ARRAY(SlackDelivery.__table__.c.key.type)),
    bindparam("expires_at", type_=postgresql.ARRAY(postgresql.TIMESTAMP(timezone=True))),
    bindparam("now", type_=postgresql.TIMESTAMP(timezone=True)),
)


def _distinct(claims: Sequence[DeliveryClaim]) -> list[DeliveryClaim]:
    first: dict[tuple[str, str], DeliveryClaim] = {}
    for claim in claims:
        first.setdefault((claim.team_id, claim.key[:KEY_LENGTH]), claim)
    return list(first.values())


def _won(claims: Sequence[DeliveryClaim], won: set[tuple[str, str]]) -> list[bool]:
    results: list[bool] = []
    for claim in claims:
        identity = (claim.team_id, claim.key[:KEY_LENGTH])
        results.append(identity in won)
        won.discard(identity)  # a second copy in the same batch is a replay of the first
    return results


async def claim_deliveries(
    connection: AsyncConnection, claims: Sequence[DeliveryClaim], *, now: datetime | None = None
) -> list[bool]:
    """Whether each claim is the first of its (team, key) while claims last, in one round trip.

    Each row carries its own team_id, so every team's claims stay its own. A (team, key) given twice wins
    at most once (the first time)."""
    now = now or utcnow()
    unique = _distinct(claims)
    if connection.dialect.name == "postgresql":
        rows = await connection.execute(
            _CLAIMS_POSTGRES,
            {
                "team_ids": [c.team_id for c in unique],
                "keys": [c.key[:KEY_LENGTH] for c in unique],
                "expires_at": [now + c.keep_for for c in unique],
                "now": now,
            },
        )
    else:
        rows = await connection.execute(_claims_statement(connection.dialect.name, unique, now))
    return _won(claims, {(row.team_id, row.key) for row in rows})


# The same statements in psycopg's own words, for the web process's claims, sent on a connection of their
# own without SQLAlchemy in between (bot/services/deliveries.py): its checkout and execution were most of
# a claim batch's CPU. psycopg prepares a statement it has seen a few times, so it is parsed once. The
# batch goes as one JSON document: psycopg writes arrays in Python, element by element, and three of them
# per batch cost more than the rest of the claim; `json` writes the document in C.
_CLAIMS_PSYCOPG = """
    INSERT INTO slack_deliveries AS d (team_id, key, expires_at)
    SELECT c.team_id, c.key, %(now)s + make_interval(secs => c.keep_for)
    FROM jsonb_to_recordset(%(claims)s::jsonb) AS c(team_id varchar, key varchar, keep_for float8)
    ON CONFLICT (team_id, key) DO UPDATE SET expires_at = EXCLUDED.expires_at, updated_at = %(now)s
    WHERE d.expires_at < %(now)s
    RETURNING d.team_id, d.key
"""
_DELETE_EXPIRED_PSYCOPG = (
    "DELETE FROM slack_deliveries WHERE team_id = ANY(%(team_ids)s::varchar[]) AND expires_at < %(now)s"
)


async def claim_deliveries_psycopg(
    connection: psycopg.AsyncConnection[Any], claims: Sequence[DeliveryClaim], *, now: datetime
) -> list[bool]:
    """`claim_deliveries` on a psycopg connection in autocommit (Postgres only)."""
    unique = _distinct(claims)
    document = json.dumps(
        [
            {"team_id": c.team_id, "key": c.key[:KEY_LENGTH], "keep_for": c.keep_for.total_seconds()}
            for c in unique
        ]
    )
    cursor = await connection.execute(_CLAIMS_PSYCOPG, {"claims": document, "now": now})
    return _won(claims, {(team_id, key) for team_id, key in await cursor.fetchall()})


async def delete_expired_deliveries_psycopg(
    connection: psycopg.AsyncConnection[Any], team_ids: Sequence[str], *, now: datetime
) -> None:
    await connection.execute(_DELETE_EXPIRED_PSYCOPG, {"team_ids": list(team_ids), "now": now})


async def delete_expired_deliveries(
    connection: AsyncConnection, team_ids: Sequence[str], *, now: datetime | None = None
) -> None:
    """Drop these teams' expired claims (they no longer block anything; this only keeps the table small)."""
    await connection.execute(
        delete(SlackDelivery).where(
            SlackDelivery.team_id.in_(team_ids), SlackDelivery.expires_at < (now or utcnow())
        )
    )


class SlackDeliveryRepository(TeamRepository[SlackDelivery]):
    """Claims on deliveries from Slack: the first claim of a key wins until it expires (see SlackDelivery)."""

    model = SlackDelivery

    async def claim(self, key: str, *, keep_for: timedelta) -> bool:
        """True for the first delivery with this key; False for a retry or replay while the claim lasts."""
        connection = await self.session.connection()
        now = utcnow()
        await delete_expired_deliveries(connection, [self.team_id], now=now)
        [first] = await claim_deliveries(connection, [DeliveryClaim(self.team_id, key, keep_for)], now=now)
        return first
