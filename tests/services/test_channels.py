"""Channel mappings: validation, upsert semantics and the audit trail."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.repositories import AuditRepository
from bot.errors import InputError
from bot.services.channels import (
    ChannelService,
    MappingChange,
    describe,
    validate_queue_ids,
    validate_sender,
    validate_service_id,
)

TEAM = "T0CHAN"


@pytest.mark.parametrize("value", ["100915", " 7 "])
def test_service_ids_are_digits(value: str) -> None:
    assert validate_service_id(value) == value.strip()


@pytest.mark.parametrize("value", ["abc", "12a", "-1", "", "1" * 33, "<!channel>"])
def test_bad_service_ids_are_refused(value: str) -> None:
    with pytest.raises(InputError, match="inbox= takes a LiveVox service id"):
        validate_service_id(value)


@pytest.mark.parametrize("value", ["14155550150", "+14155550150", "22395", "Switchboard", "ACME2", "A"])
def test_senders_are_numbers_or_short_alphanumeric_ids(value: str) -> None:
    assert validate_sender(value) == value


@pytest.mark.parametrize(
    "value", ["SwitchboardXY", "12", "123456789012345678", "Acme Co", "<@U1>", "", "a_b"]
)
def test_bad_senders_are_refused(value: str) -> None:
    with pytest.raises(InputError, match="sender= takes"):
        validate_sender(value)


def test_queue_ids_are_cleaned_and_deduplicated() -> None:
    assert validate_queue_ids([" qA1", "qB-2", "", "qA1", "q_3"]) == ["qA1", "qB-2", "q_3"]
    # names too (they are looked up in Zoom's logs by `check_with_providers`), never markup
    assert validate_queue_ids(["Customer Care", "Billing & Fees"]) == ["Customer Care", "Billing & Fees"]
    for bad in ("bad;id", "<!channel>", "x" * 65):
        with pytest.raises(InputError, match="queues= takes Zoom queue names or ids"):
            validate_queue_ids(["good", bad])
    with pytest.raises(InputError, match="at most 50"):
        validate_queue_ids([f"q{i}" for i in range(51)])


async def test_map_creates_then_updates_only_what_is_given(db_session: AsyncSession) -> None:
    service = ChannelService(db_session, TEAM, actor="U0ADMIN")
    row, created = await service.map("C1", MappingChange(service_id="100915", queue_ids=["q1"]))
    assert created and describe(row) == {
        "livevox_service_id": "100915",
        "livevox_inbox": None,
        "zoom_queue_ids": ["q1"],
        "sms_sender_code": None,
        "alerts_enabled": False,
        "alerts_interval_seconds": 30,
        "alerts_stopped": None,
        "nudge_seconds": None,
        "escalate_seconds": None,
        "on_duty": None,
        "supervisor": None,
        "working_hours": None,
    }
    row, created = await service.map("C1", MappingChange(sender_code="22395", alerts=False))
    assert not created
    assert (row.livevox_service_id, row.zoom_queue_ids, row.sms_sender_code, row.alerts_enabled) == (
        "100915",
        ["q1"],
        "22395",
        False,
    )
    assert (await service.get("C1")) is row
    events = await AuditRepository(db_session, TEAM).recent()
    assert [e.action for e in events] == ["channel.mapped", "channel.mapped"]
    assert events[0].actor == "U0ADMIN" and events[0].target_id == "C1"
    assert events[0].details["changed"] == ["alerts_enabled", "sms_sender_code"]
    assert events[1].details["created"] is True


async def test_map_validates_before_writing(db_session: AsyncSession) -> None:
    service = ChannelService(db_session, TEAM, actor="U0ADMIN")
    with pytest.raises(InputError, match="Nothing to set"):
        await service.map("C1", MappingChange())
    with pytest.raises(InputError, match="sender="):
        await service.map("C1", MappingChange(service_id="1", sender_code="way too long a name"))
    assert await service.get("C1") is None
    assert await AuditRepository(db_session, TEAM).recent() == []


async def test_clear_removes_and_audits(db_session: AsyncSession) -> None:
    service = ChannelService(db_session, TEAM, actor="U0ADMIN")
    await service.map("C1", MappingChange(alerts=True))
    await service.clear("C1")
    assert await service.get("C1") is None
    with pytest.raises(InputError, match="no mapping to clear"):
        await service.clear("C1")
    actions = [e.action for e in await AuditRepository(db_session, TEAM).recent()]
    assert actions == ["channel.cleared", "channel.mapped"]


async def test_mappings_are_per_workspace(db_session: AsyncSession) -> None:
    await ChannelService(db_session, TEAM, actor="U1").map("C1", MappingChange(service_id="1"))
    assert await ChannelService(db_session, "T0OTHER", actor="U1").get("C1") is None
