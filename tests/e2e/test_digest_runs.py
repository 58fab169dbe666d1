"""Digests posted by the schedule, end to end: the tick claims a due slot, the job builds the digest from the
sandbox and posts it to the Slack emulator over HTTP (chart into its thread), once; a run whose providers
all fail posts a short note instead; a slot missed by more than six hours is noted as skipped; run-now
posts outside the schedule, marked as such."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.db.models import DigestRun, DigestSubscription
from bot.db.repositories import AuditRepository
from bot.db.session import transaction
from bot.services.demo import CHANNEL_ID, TEAM_ID
from bot.services.digests import DigestScheduler
from bot.slack.digests.jobs import for_scheduler, jobs_for, request_run_now, run_digests, tick
from tests.e2e.conftest import Harness, MakeHarness


def last_hour() -> datetime:
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


async def subscribe(
    harness: Harness,
    schedule: str,
    *,
    created: datetime,
    sections: list[str] | None = None,
    channel_id: str = CHANNEL_ID,
) -> DigestSubscription:
    async with transaction(harness.container.sessions) as session:
        row = DigestSubscription(
            team_id=TEAM_ID,
            channel_id=channel_id,
            name=schedule,
            schedule=schedule,
            timezone="UTC",
            scope={"sections": sections} if sections else {},
            created_by="U0SUPER",
            created_at=created,
        )
        session.add(row)
        await session.flush()
        return row


async def runs(harness: Harness) -> list[DigestRun]:
    async with harness.container.sessions() as session:
        return list((await session.execute(select(DigestRun).order_by(DigestRun.id))).scalars())


def bot_posts(harness: Harness) -> list[object]:
    return [
        m
        for m in harness.emulator.channel_messages(CHANNEL_ID, include_replies=False)
        if m.user == harness.emulator.bot_user_id
    ]


async def settle(harness: Harness) -> None:
    await harness.container.wait_idle(60)


async def test_a_due_slot_is_posted_once_with_its_chart_in_the_thread(slack: Harness) -> None:
    slot = last_hour()
    await subscribe(slack, "hourly :00", created=slot - timedelta(minutes=5))
    slack.container.clock = FakeClock(slot + timedelta(seconds=20))
    assert len(await tick(slack.container)) == 1
    await settle(slack)
    assert await tick(slack.container) == []  # claimed: a second tick (any process) finds nothing due
    await settle(slack)

    (run,) = await runs(slack)
    assert run.status.value == "posted" and run.message_ts and not run.late and not run.manual
    (post,) = bot_posts(slack)
    assert post.ts == run.message_ts  # type: ignore[attr-defined]
    text = " ".join(str(b) for b in post.blocks)  # type: ignore[attr-defined]
    assert "Hourly digest" in text and "data_visualization" in text
    replies = [m for m in slack.emulator.thread(CHANNEL_ID, run.message_ts) if m.ts != run.message_ts]
    files = [f for m in replies for f in m.files]
    assert (files and files[0].get("alt_txt")) or any(u.alt_txt for u in slack.emulator.files.values())


async def test_a_digest_whose_every_source_fails_posts_a_short_note(make_harness: MakeHarness) -> None:
    async with make_harness(sandbox_faults="*:error_rate=1") as harness:
        slot = last_hour()
        await subscribe(harness, "hourly :00", created=slot - timedelta(minutes=5), sections=["calls"])
        harness.container.clock = FakeClock(slot + timedelta(seconds=20))
        due = await DigestScheduler(harness.container.sessions).tick(harness.container.clock.now())
        (job,) = jobs_for(due)
        # Accepted long ago: past its retry window, so it is not tried again but told.
        late = job.model_copy(update={"envelope": job.envelope.model_copy(update={"accepted_at": 1.0})})
        await run_digests(late, harness.container)
        await settle(harness)
        (run,) = await runs(harness)
        (post,) = bot_posts(harness)
        assert "could not be built" in post.text  # type: ignore[attr-defined]
        assert run.status.value in {"failed"} and run.message_ts == post.ts  # type: ignore[attr-defined]


async def test_a_slot_missed_by_more_than_six_hours_is_noted_once_as_skipped(slack: Harness) -> None:
    slot = last_hour() - timedelta(hours=10)
    await subscribe(slack, "daily " + slot.strftime("%H:%M"), created=slot - timedelta(minutes=5))
    slack.container.clock = FakeClock(slot + timedelta(hours=7))
    await tick(slack.container)
    await settle(slack)
    await tick(slack.container)
    await settle(slack)
    (run,) = await runs(slack)
    assert run.status.value == "skipped"
    (post,) = bot_posts(slack)
    assert "was skipped" in post.text  # type: ignore[attr-defined]


async def test_run_now_posts_outside_the_schedule_marked_as_such(slack: Harness) -> None:
    # No slot of its own falls due while the test runs (the in-process worker's periodic tick would post
    # or note one beside the run asked for): its time is half a day away, and it was made a minute ago.
    now = datetime.now(UTC)
    at = (now + timedelta(hours=12)).strftime("%H:%M")
    subscription = await subscribe(slack, f"daily {at}", created=now - timedelta(minutes=1))
    await request_run_now(slack.container, for_scheduler(TEAM_ID, CHANNEL_ID, "test"), subscription)
    await settle(slack)
    (run,) = await runs(slack)
    assert run.manual and run.status.value == "posted"
    (post,) = bot_posts(slack)
    assert "outside the schedule" in " ".join(str(b) for b in post.blocks)  # type: ignore[attr-defined]


async def test_a_slot_missed_within_six_hours_is_posted_late_with_a_note(slack: Harness) -> None:
    slot = last_hour() - timedelta(hours=3)
    await subscribe(slack, "daily " + slot.strftime("%H:%M"), created=slot - timedelta(minutes=5))
    slack.container.clock = FakeClock(slot + timedelta(hours=3, minutes=1))
    await tick(slack.container)
    await settle(slack)
    (run,) = await runs(slack)
    assert run.late and run.status.value == "posted"
    (post,) = bot_posts(slack)
    assert "Posted late" in " ".join(str(b) for b in post.blocks)  # type: ignore[attr-defined]


async def test_a_run_whose_post_failed_is_given_back_and_posted_by_the_retry(
    slack: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slack drops the connection on the first post: the run goes back to pending (not left running with
    a fresh heartbeat for the retry to skip) and the next attempt posts it, once."""
    import bot.slack.digests.jobs as jobs_module

    real = jobs_module.post_digest
    calls = 0

    async def flaky(*args: Any, **kwargs: Any) -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionResetError("Slack dropped the connection")
        return await real(*args, **kwargs)

    monkeypatch.setattr(jobs_module, "post_digest", flaky)
    slot = last_hour()
    await subscribe(slack, "hourly :00", created=slot - timedelta(minutes=5))
    slack.container.clock = FakeClock(slot + timedelta(seconds=20))
    due = await DigestScheduler(slack.container.sessions).tick(slack.container.clock.now())
    (job,) = jobs_for(due)
    with pytest.raises(ConnectionResetError):
        await run_digests(job, slack.container)
    (run,) = await runs(slack)
    assert run.status.value == "pending" and run.message_ts is None
    await run_digests(job, slack.container)  # the runner's retry
    (run,) = await runs(slack)
    assert run.status.value == "posted"
    assert [p.ts for p in bot_posts(slack)] == [run.message_ts]  # type: ignore[attr-defined]


async def test_a_run_held_by_a_dead_jobs_fresh_heartbeat_is_retried_not_dropped(slack: Harness) -> None:
    """A stalled-job recovery can run the job again before the dead worker's heartbeat on the run is
    stale: the job must not skip the run and end (nothing would ever post it) but come back when the
    heartbeat would be stale, and then post it, once."""
    from bot.db.repositories.digests import start_run
    from bot.jobs.retry import HeldElsewhere, retry_after

    slot = last_hour()
    await subscribe(slack, "hourly :00", created=slot - timedelta(minutes=5))
    clock = FakeClock(slot + timedelta(seconds=20))
    slack.container.clock = clock
    due = await DigestScheduler(slack.container.sessions).tick(clock.now())
    (job,) = jobs_for(due)
    stale = timedelta(seconds=slack.container.settings.worker_stalled_after_seconds)
    async with transaction(slack.container.sessions) as session:  # the dead worker had started it
        assert await start_run(session, job.run_ids[0], now=clock.now(), stale_after=stale)
    clock.advance(stale / 2)
    with pytest.raises(HeldElsewhere) as held:
        await run_digests(job, slack.container)
    assert retry_after(held.value, 0, job.backoff) == stale.total_seconds()  # type: ignore[arg-type]
    (run,) = await runs(slack)
    assert run.status.value == "running" and not bot_posts(slack)
    clock.advance(stale)
    await run_digests(job, slack.container)  # the runner's retry, once the heartbeat is stale
    (run,) = await runs(slack)
    assert run.status.value == "posted"
    assert [p.ts for p in bot_posts(slack)] == [run.message_ts]  # type: ignore[attr-defined]


NOT_IN_CHANNEL = (
    "Switchboard is not in that channel any more; to have the digest posted there again, invite it back "
    "by typing `/invite @Switchboard` in the channel"
)
REMOVE = "`/switchboard digest remove 1`"


@pytest.mark.parametrize(
    ("refusal", "says"),
    [
        ("not_in_channel", NOT_IN_CHANNEL),
        ("channel_not_found", NOT_IN_CHANNEL),
        ("is_archived", f"that channel is archived; unarchive it, or remove the digest with {REMOVE}"),
    ],
)
async def test_a_digest_its_channel_refuses_fails_at_once_saying_how_to_fix_it(
    slack: Harness, refusal: str, says: str
) -> None:
    """Slack refuses the post for good (the bot was removed, the channel deleted or archived): the run ends
    FAILED with why and what to do, once: no retry, no note the channel would refuse too."""
    slot = last_hour()
    await subscribe(slack, "hourly :00", created=slot - timedelta(minutes=5))
    slack.container.clock = FakeClock(slot + timedelta(seconds=20))
    slack.emulator.fail_next("chat.postMessage", refusal)
    assert len(await tick(slack.container)) == 1
    await settle(slack)
    (run,) = await runs(slack)
    assert (run.status.value, run.error, run.message_ts) == ("failed", says, None)
    posts = [c for c in slack.emulator.calls_to("chat.postMessage") if c.args.get("channel") == CHANNEL_ID]
    assert [c.response["error"] for c in posts] == [refusal]  # tried once: not retried, no failure note
    assert bot_posts(slack) == []
    # Every next slot would be refused too: the digest is paused, and whoever added it is told how to fix it.
    async with slack.container.sessions() as session:
        (subscription,) = (await session.execute(select(DigestSubscription))).scalars()
        (paused,) = await AuditRepository(session, TEAM_ID).recent(actor="switchboard")
    assert not subscription.enabled and paused.action == "digest.paused"
    (told,) = slack.emulator.channel_messages("D" + "U0SUPER"[1:])
    assert f"Digest {subscription.id} in <#{CHANNEL_ID}> is paused: {says}" in told.text
    assert f"`/switchboard digest resume {subscription.id}`" in told.text
    slack.container.clock = FakeClock(slot + timedelta(hours=1, seconds=20))
    assert await tick(slack.container) == []  # paused: the next slot is not run


async def test_a_channel_the_bot_left_does_not_stop_the_other_channels_digest(slack: Harness) -> None:
    slot = last_hour()
    await subscribe(slack, "hourly :00", created=slot - timedelta(minutes=5))
    await subscribe(slack, "hourly :00", created=slot - timedelta(minutes=5), channel_id="C0GENERAL")
    slack.emulator.remove_bot(CHANNEL_ID)
    slack.container.clock = FakeClock(slot + timedelta(seconds=20))
    assert len(await tick(slack.container)) == 1  # one job for both channels' runs
    await settle(slack)
    demo, general = await runs(slack)
    assert (demo.status.value, demo.error) == ("failed", NOT_IN_CHANNEL)
    assert general.status.value == "posted" and general.message_ts
    assert slack.emulator.message("C0GENERAL", general.message_ts) is not None
