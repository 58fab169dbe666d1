"""Slack installations (OAuth mode) at rest: their tokens are Fernet tokens, re-encrypted on key rotation.

Reads and writes go through slack_sdk's store (`bot.slack.oauth.EncryptedInstallationStore`); this is the
one maintenance pass over every row, workspace or org, like `ConnectionRepository.rotate` per team.
"""

from __future__ import annotations

from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.crypto import CredentialBox
from bot.db.models import slack_bots, slack_installations

_TOKEN_COLUMNS: tuple[tuple[Table, tuple[str, ...]], ...] = (
    (slack_installations, ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")),
    (slack_bots, ("bot_token", "bot_refresh_token")),
)


async def rotate_installation_tokens(session: AsyncSession, box: CredentialBox) -> int:
    """Re-encrypt every stored Slack token under the newest key; returns how many rows changed."""
    rows = 0
    for table, names in _TOKEN_COLUMNS:
        columns = [table.c[name] for name in names]
        for row in (await session.execute(select(table.c.id, *columns))).all():
            values = {name: box.rotate(value) for name, value in zip(names, row[1:], strict=True) if value}
            if values:
                await session.execute(update(table).where(table.c.id == row[0]).values(**values))
                rows += 1
    return rows
