"""number_contacts (what Switchboard saw of people's threads) and the outbox reads of a timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Provider, SmsStatus
from bot.db.repositories import NumberContactRepository, SmsMessageRepository

MARIA, JAMES = "+14155550100", "+14155550101"


async def test_one_row_per_person_and_number_refreshed_on_each_sight(db_session: AsyncSession) -> None:
    repo = NumberContactRepository(db_session, "T0A")
    await repo.record_many("U1", {MARIA: "t1", JAMES: "t2"})
    await repo.record_many("U1", {MARIA: "t3", JAMES: None})  # a later listing: the newest thread kept
    await repo.record("U2", MARIA, thread_id="t4")
    assert await repo.numbers("U1", [MARIA, JAMES, "+14155550199"]) == {MARIA, JAMES}
    assert await repo.had("U1", JAMES) and not await repo.had("U2", JAMES)
    assert await repo.had_thread("U1", "t3") and await repo.had_thread("U1", "t2")
    assert not await repo.had_thread("U1", "t1")  # replaced by the newer thread of the number
    assert set(await repo.thread_ids(MARIA)) == {"t3", "t4"}
    # Another team sees none of it.
    other = NumberContactRepository(db_session, "T0B")
    assert await other.thread_ids(MARIA) == [] and not await other.had("U1", MARIA)


async def test_the_outbox_of_a_number_leaves_refused_sends_out(db_session: AsyncSession) -> None:
    repo = SmsMessageRepository(db_session, "T0A")
    sent, _ = await repo.create_pending(
        idempotency_key="k1", slack_user_id="U1", to_number=JAMES, provider=Provider.LIVEVOX, thread_id="t9"
    )
    await repo.finish(sent, SmsStatus.ACCEPTED, provider_message_id="561")
    refused, _ = await repo.create_pending(
        idempotency_key="k2", slack_user_id="U2", to_number=JAMES, provider=Provider.ROUTEE
    )
    await repo.finish(refused, SmsStatus.FAILED, error="no")
    now = datetime.now(UTC)
    rows = await repo.to_number(JAMES, since=now - timedelta(days=1), until=now + timedelta(minutes=1))
    assert [r.provider_message_id for r in rows] == ["561"]
    assert await repo.to_number(JAMES, since=now + timedelta(minutes=1), until=now + timedelta(days=1)) == []
    assert await repo.thread_ids(JAMES) == ["t9"]
    assert (
        await SmsMessageRepository(db_session, "T0B").to_number(
            JAMES, since=now - timedelta(days=1), until=now + timedelta(minutes=1)
        )
        == []
    )
