"""The migrations and the models agree, on every backend we support."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
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
        assert "0022 (head)" in done.stdout


def test_upgrade_is_idempotent_from_python(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    upgrade(url)
    upgrade(url)
    assert (tmp_path / "x.db").exists()


@pytest.mark.parametrize("backend", backends())
async def test_0022_fills_in_who_turned_alerts_on_from_the_audit_trail(backend: str, tmp_path: Path) -> None:
    """Alerts turned on before 0021 recorded nobody to tell: 0022 reads who from the latest audit event
    that changed the channel's alerts, when it turned them on."""
    with fresh_database(backend, tmp_path, migrate=False) as url:
        upgrade(url, "0021")
        engine = create_engine(url)
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO channel_mappings (team_id, channel_id, zoom_queue_ids, alerts_enabled,"
                    " alerts_interval_seconds) VALUES"
                    " ('T1', 'C1', '[]', true, 30), ('T1', 'C2', '[]', true, 30),"
                    " ('T1', 'C3', '[]', false, 30), ('T2', 'C1', '[]', true, 30),"
                    " ('T1', 'C4', '[]', true, 30)"
                )
            )
            events = [  # oldest first: (team, actor, channel, changed, alerts on)
                ("T1", "U0FIRST", "C1", ["alerts_enabled"], True),
                ("T1", "U0LATER", "C1", ["alerts_enabled", "livevox_inbox"], True),
                ("T1", "U0OTHER", "C1", ["livevox_inbox"], True),  # not a change of the alerts
                ("T1", "U0ON", "C3", ["alerts_enabled"], True),  # alerts off since: not filled in
                ("T2", "U0T2", "C1", ["alerts_enabled"], True),  # another workspace's C1
                ("T1", "U0ON", "C4", ["alerts_enabled"], True),
                ("T1", "U0OFF", "C4", ["alerts_enabled"], False),  # contradicts the mapping: left empty
            ]
            for team_id, actor, channel_id, changed, enabled in events:
                details = json.dumps({"created": False, "changed": changed, "alerts_enabled": enabled})
                await connection.execute(
                    text(
                        "INSERT INTO audit_events (team_id, actor, action, target_type, target_id, outcome,"
                        " details) VALUES (:team, :actor, 'channel.mapped', 'channel', :channel, 'ok',"
                        " :details)"
                    ),
                    {"team": team_id, "actor": actor, "channel": channel_id, "details": details},
                )
        await engine.dispose()
        upgrade(url)
        engine = create_engine(url)
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT team_id, channel_id, alerts_by FROM channel_mappings")
            )
            found = {(team, channel): by for team, channel, by in rows}
        await engine.dispose()
    assert found == {
        ("T1", "C1"): "U0LATER",
        ("T1", "C2"): None,  # no audit event: nobody to tell, as before
        ("T1", "C3"): None,
        ("T2", "C1"): "U0T2",
        ("T1", "C4"): None,
    }
