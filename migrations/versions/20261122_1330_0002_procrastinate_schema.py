"""Durable job queue: procrastinate's schema, on Postgres only.

On SQLite (the embedded default) jobs run in-process and nothing is stored, so there is nothing to create.
Procrastinate's tables are owned by procrastinate: `bot.db.base.include_name` keeps them out of
autogenerate. A procrastinate upgrade that changes its schema ships SQL migrations of its own
(`procrastinate schema --migrations-path`); apply them in a new revision here.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 13:30:00+00:00
"""

from collections.abc import Sequence

from alembic import op
from procrastinate.schema import SchemaManager

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    # The driver reads '%' as a placeholder; doubled, it is a literal (procrastinate does the same).
    bind.exec_driver_sql(SchemaManager.get_schema().replace("%", "%%"))


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    bind.exec_driver_sql(
        "DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs, "
        "procrastinate_workers CASCADE"
    )
    bind.exec_driver_sql(
        """
        DO $$
        DECLARE r record;
        BEGIN
          FOR r IN SELECT p.oid::regprocedure AS sig FROM pg_proc p
                   JOIN pg_namespace n ON n.oid = p.pronamespace
                   WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate%%'
          LOOP EXECUTE 'DROP FUNCTION IF EXISTS ' || r.sig || ' CASCADE'; END LOOP;
          FOR r IN SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                   WHERE n.nspname = current_schema() AND t.typname LIKE 'procrastinate%%' AND t.typtype IN ('e', 'c')
          LOOP EXECUTE 'DROP TYPE IF EXISTS ' || quote_ident(r.typname) || ' CASCADE'; END LOOP;
        END $$;
        """
    )
