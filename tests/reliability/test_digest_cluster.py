"""Scheduled digests in a deployment of real processes: three workers and two web processes live through an
hour of fake time (a shared clock at 60x, `SWITCHBOARD_CLOCK`) and each slot of each subscription is posted
exactly once; a worker killed while it builds a digest leaves the slot to be posted once, later."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from bot.services.demo import CHANNEL_ID, TEAM_ID
from tests.databases import fresh_postgres, postgres_available
from tests.reliability.cluster import Cluster, cluster, eventually

pytestmark = pytest.mark.skipif(not postgres_available(), reason="needs SWITCHBOARD_TEST_DATABASE_URL")

# 05:50 UTC on the day New York springs forward (2026-03-08, 02:00 EST -> 03:00 EDT at 07:00 UTC): the
# hour lived through holds the gap, so hourly slots follow real hours and a 02:30 daily slot lands once.
START = datetime(2026, 3, 8, 6, 50, tzinfo=UTC)
SPEED = 60.0  # one fake minute per real second
OTHER_CHANNEL = "C0LEADS"


def _subscribe(running: Cluster, channel: str, schedule: str, zone: str, since: datetime) -> int:
    with psycopg.connect(running.direct_url) as connection:
        row = connection.execute(
            "INSERT INTO digest_subscriptions (team_id, channel_id, name, schedule, timezone, scope, enabled,"
            " created_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s, true, %s, %s) RETURNING id",
            (TEAM_ID, channel, schedule, schedule, zone, '{"sections": ["calls", "delivery"]}', since, since),
        ).fetchone()
        assert row is not None
        return int(row[0])


def _runs(running: Cluster) -> list[tuple[int, datetime, str, str | None]]:
    return [
        (int(sub), at, str(status), ts)  # type: ignore[misc]
        for sub, at, status, ts in running.rows(
            "SELECT subscription_id, scheduled_for, status, message_ts FROM digest_runs ORDER BY 1, 2"
        )
    ]


async def test_each_slot_of_each_subscription_posts_once_across_three_workers_and_two_webs(
    tmp_path: Path,
) -> None:
    with fresh_postgres() as url:
        async with cluster(url, tmp_path) as running:
            running.emulator.add_channel(OTHER_CHANNEL, "cc-leads")
            anchor = time.time() + 20  # the fake hour starts once every process is up
            running.env |= {
                "SWITCHBOARD_CLOCK": f"{START.isoformat()}@{anchor}x{SPEED}",
                "SWITCHBOARD_DIGEST_TICK_SECONDS": "1",
            }
            before = START - timedelta(minutes=1)
            subscriptions = [
                _subscribe(running, CHANNEL_ID, "hourly :00", "America/New_York", before),
                _subscribe(running, CHANNEL_ID, "hourly :20", "America/New_York", before),
                _subscribe(running, OTHER_CHANNEL, "hourly :20", "America/New_York", before),
                _subscribe(running, OTHER_CHANNEL, "hourly :40", "UTC", before),
                _subscribe(running, CHANNEL_ID, "daily 03:30", "America/New_York", before),  # 07:30 UTC
            ]
            await running.start_web()
            await running.start_web()
            for _ in range(3):
                await running.start_worker()
            # The fake hour 06:50 -> 07:50 UTC: slots 07:00 (:00 NY), 07:20 (x2 subscriptions, :20 NY),
            # 06:40 is before the start, 07:40 (:40 UTC), 07:30 (daily 03:30 EDT).
            expected = {
                subscriptions[0]: [datetime(2026, 3, 8, 7, 0, tzinfo=UTC)],
                subscriptions[1]: [datetime(2026, 3, 8, 7, 20, tzinfo=UTC)],
                subscriptions[2]: [datetime(2026, 3, 8, 7, 20, tzinfo=UTC)],
                subscriptions[3]: [datetime(2026, 3, 8, 7, 40, tzinfo=UTC)],
                subscriptions[4]: [datetime(2026, 3, 8, 7, 30, tzinfo=UTC)],
            }
            end = anchor + 60 * 60 / SPEED  # 07:50 fake
            await asyncio.sleep(max(0.0, end - time.time()))

            async def all_posted() -> bool:
                runs = _runs(running)
                return len(runs) >= 5 and all(status == "posted" for _, _, status, _ in runs)

            await eventually(all_posted, within=60, what="every due digest posted")
            await asyncio.sleep(3)  # a straggling duplicate would show by now
            runs = _runs(running)
            found: dict[int, list[datetime]] = {}
            for sub, at, status, ts in runs:
                assert status == "posted" and ts, (sub, at, status)
                found.setdefault(sub, []).append(at.astimezone(UTC))
            assert found == expected
            # One message per run in its channel (the chart goes into the message's thread).
            tops = [
                m
                for channel in (CHANNEL_ID, OTHER_CHANNEL)
                for m in running.emulator.channel_messages(channel, include_replies=False)
                if m.user == running.emulator.bot_user_id
            ]
            assert sorted(m.ts for m in tops) == sorted(ts for _, _, _, ts in runs if ts)


@pytest.mark.timeout(420)  # about 30 s alone; a recovery and a rebuild take minutes on a busy machine
async def test_a_digest_whose_worker_died_is_posted_once_later(tmp_path: Path) -> None:
    with fresh_postgres() as url:
        # Zoom answers slowly, so the run is still being built when its worker is killed.
        async with cluster(url, tmp_path, faults="zoom:latency_ms=1500") as running:
            # The processes' shared clock (real speed) starts 15 s before a round minute, the slot, so
            # the test does not wait for the wall clock's next minute. It runs behind the wall clock:
            # what is deferred for its time is due at once.
            slot = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
            now = slot - timedelta(seconds=15)
            running.env["SWITCHBOARD_CLOCK"] = f"{now.isoformat()}@{time.time()}x1"
            # The subscription exists since just before the slot (made an hour earlier, the previous
            # hour's slot could be due too, posted late: a second run).
            sub = _subscribe(
                running, CHANNEL_ID, f"hourly :{slot.minute:02d}", "UTC", now - timedelta(seconds=30)
            )
            running.env["SWITCHBOARD_DIGEST_TICK_SECONDS"] = "1"
            await running.start_web()
            victim = await running.start_worker()

            async def building() -> bool:
                rows = running.rows("SELECT status FROM procrastinate_jobs WHERE task_name = 'digest.run'")
                return any(status == "doing" for (status,) in rows)

            await eventually(building, within=90, what="the digest being built")
            await asyncio.sleep(0.5)
            victim.kill()
            await victim.wait()
            assert not running.emulator.channel_messages(CHANNEL_ID, include_replies=False)

            await running.start_worker()  # its recovery finds the dead worker's job and runs it again

            async def posted() -> bool:
                return any(status == "posted" for _, _, status, _ in _runs(running))

            # Generous: on a machine another heavy job holds, a recovery and a rebuild take minutes.
            await eventually(posted, within=180, what="the digest posted after its worker died")
            await asyncio.sleep(3)
            runs = _runs(running)
            assert [(s, st) for s, _, st, _ in runs] == [(sub, "posted")]
            tops = [
                m
                for m in running.emulator.channel_messages(CHANNEL_ID, include_replies=False)
                if m.user == running.emulator.bot_user_id
            ]
            assert [m.ts for m in tops] == [runs[0][3]]
