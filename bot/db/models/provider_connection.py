from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, TeamScoped
from bot.db.models.enums import Provider, string_enum


class ProviderConnection(TeamScoped, Base):
    """One configured provider account of a workspace.

    `settings` holds what is safe to read (client name, default service id, Zoom plan); the credentials
    are one `MultiFernet` token in `credentials_encrypted` and are never stored in plain text.
    """

    __tablename__ = "provider_connections"
    __table_args__ = (UniqueConstraint("team_id", "provider", "name"),)

    provider: Mapped[Provider] = mapped_column(string_enum(Provider, "provider"))
    name: Mapped[str] = mapped_column(String(64), default="default")
    base_url: Mapped[str | None] = mapped_column(String(500))
    environment: Mapped[str | None] = mapped_column(String(32))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    credentials_encrypted: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(32))
