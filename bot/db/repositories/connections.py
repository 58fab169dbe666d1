from __future__ import annotations

from typing import Any

from bot.crypto import CredentialBox
from bot.db.models import Provider, ProviderConnection
from bot.db.repositories.base import TeamRepository


class ConnectionRepository(TeamRepository[ProviderConnection]):
    """Provider connections; credentials go in and out only through the `CredentialBox`."""

    model = ProviderConnection

    def __init__(self, session: Any, team_id: str, box: CredentialBox) -> None:
        super().__init__(session, team_id)
        self._box = box

    async def get(self, provider: Provider, name: str = "default") -> ProviderConnection | None:
        query = self._select().where(ProviderConnection.provider == provider, ProviderConnection.name == name)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def list(self) -> list[ProviderConnection]:
        query = self._select().order_by(ProviderConnection.provider, ProviderConnection.name)
        return list((await self.session.execute(query)).scalars())

    async def upsert(
        self,
        provider: Provider,
        *,
        credentials: dict[str, str],
        settings: dict[str, Any],
        name: str = "default",
        base_url: str | None = None,
        environment: str | None = None,
        created_by: str | None = None,
    ) -> tuple[ProviderConnection, bool]:
        """Store (or replace) a connection. Returns the row and whether it was new."""
        sealed = self._box.seal(credentials)
        row = await self.get(provider, name)
        created = row is None
        if row is None:
            row = ProviderConnection(
                team_id=self.team_id, provider=provider, name=name, created_by=created_by
            )
            self.session.add(row)
        row.credentials_encrypted = sealed
        row.settings = dict(settings)
        row.base_url = base_url
        row.environment = environment
        await self.session.flush()
        return row, created

    async def delete(self, provider: Provider, name: str = "default") -> bool:
        row = await self.get(provider, name)
        if row is None:
            return False
        await self.session.delete(row)
        await self.session.flush()
        return True

    def credentials(self, row: ProviderConnection) -> dict[str, str]:
        if row.team_id != self.team_id:
            raise PermissionError("connection belongs to another workspace")
        return self._box.open(row.credentials_encrypted)

    async def rotate(self) -> int:
        """Re-encrypt every connection of this team under the newest key; returns how many."""
        rows = await self.list()
        for row in rows:
            row.credentials_encrypted = self._box.rotate(row.credentials_encrypted)
        await self.session.flush()
        return len(rows)
