"""The migrations and the models agree, on every backend we support."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from bot.db.base import Base, include_name
from bot.db.migrate import upgrade
from bot.db.session import create_engine
from tests.databases import backends, fresh_database

ROOT = Path(__file__).resolve().parents[2]
TABLES = {
    "workspaces",
    "provider_connections",
    "user_mappings",
    "channel_mappings",
    "digest_subscriptions",
    "digest_runs",
    "sms_messages",
    "audit_events",
    "action_claims",
    "slack_deliveries",
    "slack_payloads",
    "number_contacts",
}


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(
        connection,
        opts={"compare_type": True, "target_metadata": Base.metadata, "include_name": include_name},
    )
    return list(compare_metadata(context, Base.metadata))


def _tables_and_columns(connection: Connection) -> dict[str, set[str]]:
    inspector = inspect(connection)
    return {name: {c["name"] for c in inspector.get_columns(name)} for name in inspector.get_table_names()}


@pytest.mark.parametrize("backend", backends())
async def test_autogenerate_finds_no_difference(backend: str, tmp_path: Path) -> None:
    with fresh_database(backend, tmp_path) as url:
        engine = create_engine(url)
        async with engine.connect() as connection:
            diff = await connection.run_sync(_diff)
            tables = await connection.run_sync(_tables_and_columns)
        await engine.dispose()
    assert diff == []
    assert set(tables) >= TABLES
    for name in TABLES:  # every table is scoped by team and timestamped
        assert {"team_id", "created_at", "updated_at"} <= tables[name], name


@pytest.mark.parametrize("backend", backends())
async def test_autogenerate_detects_a_missing_migration(backend: str, tmp_path: Path) -> None:
    """The comparison above can fail: a schema without the migrations differs from the models."""
    with fresh_database(backend, tmp_path, migrate=False) as url:
        engine = create_engine(url)
        async with engine.connect() as connection:
            diff = await connection.run_sync(_diff)
        await engine.dispose()
    assert any(op[0] == "add_table" for op in diff if isinstance(op, tuple))


@pytest.mark.parametrize("backend", backends())
def test_alembic_command_line_upgrade_and_downgrade(backend: str, tmp_path: Path) -> None:
    """`alembic upgrade head` (the tool itself, reading SWITCHBOARD_DATABASE_URL) works and is idempotent."""
    with fresh_database(backend, tmp_path, migrate=False) as url:
        env = {**os.environ, "SWITCHBOARD_DATABASE_URL": url}
        alembic = [sys.executable, "-m", "alembic", "-c", str(ROOT / "alembic.ini")]
        for args in (["upgrade", "head"], ["upgrade", "head"], ["downgrade", "base"], ["upgrade", "head"]):
            done = subprocess.run([*alembic, *args], env=env, cwd=tmp_path, capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
        done = subprocess.run([*alembic, "current"], env=env, cwd=tmp_path, capture_output=True, text=True)
        assert "0021 (head)" in done.stdout


def test_upgrade_is_idempotent_from_python(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    upgrade(url)
    upgrade(url)
    assert (tmp_path / "x.db").exists()
