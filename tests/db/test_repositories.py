"""Repositories on the real schema (Postgres in CI, SQLite otherwise), each test rolled back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.crypto import CredentialBox
from bot.db.models import AuditEvent, Provider, Role, SmsStatus, UserMapping
from bot.db.repositories import (
    ActionClaimRepository,
    AuditRepository,
    ChannelMappingRepository,
    ConnectionRepository,
    DigestRepository,
    SmsMessageRepository,
    UserMappingRepository,
    WorkspaceRepository,
    all_team_ids,
)
from bot.db.repositories.alerts import stop_alerts


async def test_users_are_scoped_by_team(db_session: AsyncSession) -> None:
    team_a = UserMappingRepository(db_session, "T0A")
    team_b = UserMappingRepository(db_session, "T0B")
    await team_a.link("U1", role=Role.ADMIN, livevox_agent_id="645836")
    await team_b.link("U1", role=Role.AGENT)

    a = await team_a.get("U1")
    b = await team_b.get("U1")
    assert a is not None and b is not None
    assert (a.role, a.livevox_agent_id) == (Role.ADMIN, "645836")
    assert (b.role, b.livevox_agent_id) == (Role.AGENT, None)
    assert [u.team_id for u in await team_a.list()] == ["T0A"]
    assert await team_b.unlink("U1") is True
    assert await team_a.get("U1") is not None  # the other team's row is untouched


async def test_link_updates_only_given_fields(db_session: AsyncSession) -> None:
    users = UserMappingRepository(db_session, "T0A")
    _, created = await users.link("U1", role=Role.SUPERVISOR, zoom_user_id="z1")
    row, created_again = await users.link("U1", livevox_agent_id="1")
    assert created and not created_again
    assert (row.role, row.zoom_user_id, row.livevox_agent_id) == (Role.SUPERVISOR, "z1", "1")


async def test_user_mapping_is_unique_per_team_and_user(db_session: AsyncSession) -> None:
    db_session.add_all(
        [UserMapping(team_id="T0A", slack_user_id="U1"), UserMapping(team_id="T0A", slack_user_id="U1")]
    )
    with pytest.raises(IntegrityError):
        await db_session.flush()


async def test_role_check_constraint_rejects_unknown_roles(db_session: AsyncSession) -> None:
    with pytest.raises((IntegrityError, StatementError)):
        await db_session.execute(
            text(
                "INSERT INTO user_mappings (team_id, slack_user_id, role, created_at, updated_at) "
                "VALUES ('T0A', 'U9', 'overlord', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )


async def test_connection_credentials_are_encrypted_at_rest(
    db_session: AsyncSession, fernet_key: str
) -> None:
    box = CredentialBox([fernet_key])
    repo = ConnectionRepository(db_session, "T0A", box)
    row, created = await repo.upsert(
        Provider.ZOOM,
        credentials={"client_secret": "s3cr3t-value", "client_id": "cid"},
        settings={"plan": "pro"},
        base_url="https://api.zoom.us/v2",
    )
    assert created
    raw = (await db_session.execute(text("SELECT * FROM provider_connections"))).all()
    assert "s3cr3t-value" not in repr(raw)
    assert repo.credentials(row) == {"client_secret": "s3cr3t-value", "client_id": "cid"}
    # Another team cannot see it, nor open it through its own repository.
    other = ConnectionRepository(db_session, "T0B", box)
    assert await other.get(Provider.ZOOM) is None
    with pytest.raises(PermissionError):
        other.credentials(row)


async def test_rotation_moves_credentials_to_the_newest_key(db_session: AsyncSession) -> None:
    from cryptography.fernet import Fernet

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    repo = ConnectionRepository(db_session, "T0A", CredentialBox([old]))
    await repo.upsert(Provider.ROUTEE, credentials={"app_secret": "x"}, settings={})
    rotated = ConnectionRepository(db_session, "T0A", CredentialBox([new, old]))
    assert await rotated.rotate() == 1
    only_new = ConnectionRepository(db_session, "T0A", CredentialBox([new]))
    row = await only_new.get(Provider.ROUTEE)
    assert row is not None and only_new.credentials(row) == {"app_secret": "x"}


async def test_sms_outbox_is_idempotent_per_team(db_session: AsyncSession) -> None:
    repo = SmsMessageRepository(db_session, "T0A")
    kwargs = {"slack_user_id": "U1", "to_number": "+14155550100", "provider": Provider.LIVEVOX, "body": "hi"}
    first, created = await repo.create_pending(idempotency_key="click-1", **kwargs)
    again, created_again = await repo.create_pending(idempotency_key="click-1", **kwargs)
    assert created and not created_again and first.id == again.id
    # The same key in another workspace is a different message.
    _, other_created = await SmsMessageRepository(db_session, "T0B").create_pending(
        idempotency_key="click-1", **kwargs
    )
    assert other_created
    await repo.finish(first, SmsStatus.UNKNOWN, error="timeout after sending")
    assert (await repo.by_key("click-1")).status is SmsStatus.UNKNOWN  # type: ignore[union-attr]


async def test_an_accepted_sms_settles_once_and_only_from_accepted(db_session: AsyncSession) -> None:
    repo = SmsMessageRepository(db_session, "T0A")
    kwargs = {"slack_user_id": "U1", "to_number": "+14155550103", "provider": Provider.LIVEVOX, "body": "hi"}
    row, _ = await repo.create_pending(idempotency_key="click-2", **kwargs)
    assert not await repo.settle(row.id, SmsStatus.BLOCKED, reason="opted out")  # still pending
    await repo.finish(row, SmsStatus.ACCEPTED, provider_message_id="561")
    # Another workspace cannot move it.
    assert not await SmsMessageRepository(db_session, "T0B").settle(row.id, SmsStatus.DELIVERED, reason=None)
    # "not confirmed yet" is noted once and leaves it accepted; a later record still settles it.
    assert await repo.settle(row.id, SmsStatus.ACCEPTED, reason="no record", only_unexplained=True)
    assert not await repo.settle(row.id, SmsStatus.ACCEPTED, reason="no record", only_unexplained=True)
    assert await repo.settle(row.id, SmsStatus.BLOCKED, reason="opted out")
    assert not await repo.settle(row.id, SmsStatus.DELIVERED, reason=None)  # once
    await db_session.refresh(row)
    assert row.status is SmsStatus.BLOCKED and row.status_reason == "opted out"
    assert row.status_checked_at is not None and row.status_checked_at.tzinfo is not None


async def test_digest_slot_is_claimed_once(db_session: AsyncSession) -> None:
    digests = DigestRepository(db_session, "T0A")
    subscription = await digests.subscribe("C1", "0 9 * * 1-5", name="morning")
    slot = datetime(2026, 11, 23, 9, tzinfo=UTC)
    assert await digests.claim_run(subscription, slot) is not None
    assert await digests.claim_run(subscription, slot) is None
    assert await digests.claim_run(subscription, slot + timedelta(days=1)) is not None


async def test_timestamps_are_timezone_aware(db_session: AsyncSession) -> None:
    audit = AuditRepository(db_session, "T0A")
    event = await audit.record("U1", "thread.transferred", target_type="thread", target_id="56047165976")
    await db_session.refresh(event)
    assert event.created_at.tzinfo is not None
    assert abs(event.created_at - datetime.now(UTC)) < timedelta(minutes=5)
    with pytest.raises(StatementError):
        db_session.add(AuditEvent(team_id="T0A", actor="U1", action="x", created_at=datetime(2026, 1, 1)))
        await db_session.flush()


async def test_audit_recent_filters_by_actor_and_team(db_session: AsyncSession) -> None:
    audit = AuditRepository(db_session, "T0A")
    for action in ("a", "b", "c"):
        await audit.record("U1", action)
    await audit.record("U2", "d")
    await AuditRepository(db_session, "T0B").record("U1", "elsewhere")
    assert [e.action for e in await audit.recent(actor="U1")] == ["c", "b", "a"]
    assert len(await audit.recent()) == 4


async def test_channel_mappings_and_workspaces(db_session: AsyncSession) -> None:
    channels = ChannelMappingRepository(db_session, "T0A")
    row, created = await channels.upsert(
        "C1", livevox_service_id="94874", zoom_queue_ids=["q1"], sms_sender_code="53063"
    )
    assert created and row.zoom_queue_ids == ["q1"] and row.alerts_enabled is False
    with pytest.raises(ValueError, match="unknown channel mapping field"):
        await channels.upsert("C1", team_id="T0B")
    await WorkspaceRepository(db_session, "T0A").ensure("Acme")
    await WorkspaceRepository(db_session, "T0B").ensure()
    await WorkspaceRepository(db_session, "T0A").mark_uninstalled()
    workspace = await WorkspaceRepository(db_session, "T0A").get()
    assert workspace is not None and workspace.uninstalled_at is not None
    assert (await WorkspaceRepository(db_session, "T0A").ensure()).uninstalled_at is None
    assert await all_team_ids(db_session) == ["T0A", "T0B"]


def test_repository_refuses_an_empty_team() -> None:
    with pytest.raises(ValueError):
        UserMappingRepository(None, "")  # type: ignore[arg-type]


async def test_delivery_claims_in_one_batch(db_session: AsyncSession) -> None:
    """One statement for a whole batch, on every backend: first claims win, a key twice in the batch wins
    once, teams do not share keys, a live claim blocks and an expired one is taken over."""
    from bot.db.repositories.deliveries import DeliveryClaim, claim_deliveries

    connection = await db_session.connection()
    now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    minute = timedelta(minutes=1)
    first = [
        DeliveryClaim("T1", "event:a", minute),
        DeliveryClaim("T1", "event:b", timedelta(seconds=1)),
        DeliveryClaim("T1", "event:a", minute),
        DeliveryClaim("T2", "event:a", minute),
    ]
    assert await claim_deliveries(connection, first, now=now) == [True, True, False, True]
    later = now + timedelta(seconds=5)  # b's claim has expired, a's has not
    again = [DeliveryClaim("T1", "event:a", minute), DeliveryClaim("T1", "event:b", minute)]
    assert await claim_deliveries(connection, again, now=later) == [False, True]
    assert await claim_deliveries(connection, [DeliveryClaim("T1", "x" * 500, minute)], now=later) == [True]


async def test_a_claim_is_the_first_callers_and_again_its_owners_only(db_session: AsyncSession) -> None:
    claims = ActionClaimRepository(db_session, "T0A")
    assert await claims.claim("sms-card:1", owner="job-a") is True
    assert await claims.claim("sms-card:1", owner="job-a") is True  # the job's retry, or its follow-up
    assert await claims.claim("sms-card:1", owner="job-b") is False  # a second click's job
    assert await claims.claim("sms-card:1") is False  # a listener's own claim (Cancel)
    assert await claims.claim("sms-card:2") is True
    assert await claims.claim("sms-card:2", owner="job-a") is False  # claimed without an owner: nobody's
    assert await ActionClaimRepository(db_session, "T0B").claim("sms-card:1", owner="job-b") is True


async def test_alerts_are_stopped_once_saying_why(db_session: AsyncSession) -> None:
    """Two workers meeting the same refusal: one stops the alerts (and tells), the other finds them off."""
    channels = ChannelMappingRepository(db_session, "T0A")
    await channels.upsert("C1", livevox_service_id="100915", alerts_enabled=True, alerts_by="U1")
    await channels.upsert("C2", livevox_service_id="100915", alerts_enabled=True)
    now = datetime.now(UTC).replace(microsecond=0)
    row = await stop_alerts(db_session, "T0A", "C1", reason="gone", now=now)
    assert row is not None and (row.alerts_by, row.alerts_stopped, row.alerts_stopped_at) == (
        "U1",
        "gone",
        now,
    )
    assert await stop_alerts(db_session, "T0A", "C1", reason="gone", now=now) is None
    assert await stop_alerts(db_session, "T0B", "C2", reason="gone", now=now) is None  # another team's
    db_session.expire_all()
    assert [(m.channel_id, m.alerts_enabled) for m in await channels.list()] == [("C1", False), ("C2", True)]
