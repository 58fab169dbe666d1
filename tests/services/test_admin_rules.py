"""Admin rules on both databases: the last admin stays, links that change nothing are not events, the
audit trail pages by id with its filters, term codes on the connection and on channels."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import AsyncSession

from bot.crypto import CredentialBox
from bot.db.models import Provider, Role
from bot.db.repositories import AuditRepository
from bot.db.repositories.audit import AuditFilter
from bot.errors import InputError
from bot.services.admin import LAST_ADMIN, AdminService
from bot.services.term_codes import TermCodeService

TEAM = "T0RULES"
BOX = CredentialBox([Fernet.generate_key().decode()])


def admin(session: AsyncSession) -> AdminService:
    return AdminService(session, TEAM, actor="cli:test", box=BOX)


async def test_the_last_admin_stays_an_admin(db_session: AsyncSession) -> None:
    service = admin(db_session)
    await service.link_user("U1", role=Role.ADMIN)
    with pytest.raises(InputError, match=LAST_ADMIN):
        await service.link_user("U1", role=Role.SUPERVISOR)
    with pytest.raises(InputError, match=LAST_ADMIN):
        await service.unlink_user("U1")
    await service.link_user("U2", role=Role.ADMIN)
    row, _ = await service.link_user("U1", role=Role.AGENT)
    assert row.role is Role.AGENT
    with pytest.raises(InputError, match=LAST_ADMIN):
        await service.unlink_user("U2")
    await service.link_user("U1", zoom_user_id="z-1")  # not a role change: allowed


async def test_links_that_change_nothing_are_not_audited(db_session: AsyncSession) -> None:
    service = admin(db_session)
    await service.link_user("U1", role=Role.AGENT, livevox_login="JR")
    await service.link_user("U1", role=Role.AGENT, livevox_login="JR")
    await service.link_user("U1", livevox_login="JR")
    await service.link_user("U1", role=Role.SUPERVISOR)
    actions = [e.action for e in reversed(await AuditRepository(db_session, TEAM).recent())]
    assert actions == ["user.linked", "user.updated"]


async def test_audit_pages_by_id_with_filters(db_session: AsyncSession) -> None:
    repo = AuditRepository(db_session, TEAM)
    for i in range(7):
        await repo.record(
            "U1" if i % 2 else "U2", "sms.accepted" if i < 4 else "user.linked", target_id=str(i)
        )
    await repo.record("U1", "smsx.other")  # not of the kind "sms"
    first = await repo.page(AuditFilter(), limit=3)
    assert [e.target_id for e in first.events] == [None, "6", "5"] and first.older and not first.newer
    older = await repo.page(AuditFilter(), limit=3, before_id=first.events[-1].id)
    assert [e.target_id for e in older.events] == ["4", "3", "2"] and older.older and older.newer
    newer = await repo.page(AuditFilter(), limit=3, after_id=older.events[0].id)
    assert [e.id for e in newer.events] == [e.id for e in first.events] and not newer.newer
    sms = await repo.page(AuditFilter(action="sms"), limit=10)
    assert [e.target_id for e in sms.events] == ["3", "2", "1", "0"]
    mine = await repo.page(AuditFilter(actor="U1", action="sms.accepted"), limit=10)
    assert [e.target_id for e in mine.events] == ["3", "1"]
    assert (await repo.page(AuditFilter(action="sms_"), limit=10)).events == []  # LIKE wildcards escaped


async def test_term_codes_on_the_connection_and_on_a_channel(db_session: AsyncSession) -> None:
    codes = TermCodeService(db_session, TEAM, actor="U1", box=BOX)
    with pytest.raises(InputError, match="kept on its LiveVox connection"):
        await codes.add("1001", "Paid")
    await admin(db_session).connect(
        Provider.LIVEVOX,
        {
            "client_name": "ACME",
            "username": "api",
            "password": "pw",
            "access_token": "tok",
            "agent": "false",
            "environment": "NA4",
        },
    )
    await codes.add("1001", "Paid  in   full")
    await codes.add("1002", "Call back")
    await codes.add("1001", "Paid in full")  # the same id again replaces it
    await codes.add("2001", "Collections only", channel_id="C1")
    got = await codes.get("C1")
    assert [(c.id, c.name) for c in got.team or []] == [("1001", "Paid in full"), ("1002", "Call back")]
    assert [c.id for c in got.effective] == ["2001"]
    assert [c.id for c in (await codes.get("C2")).effective] == ["1001", "1002"]
    await codes.remove("2001", channel_id="C1")
    assert [c.id for c in (await codes.get("C1")).effective] == ["1001", "1002"]
    with pytest.raises(InputError, match="digits only"):
        await codes.add("10a", "x")
