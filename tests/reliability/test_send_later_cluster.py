"""Send later in a deployment of real processes on Postgres: two web processes and a worker. A send is
scheduled through one web process, the worker is killed before its time, and a new worker sends it, once,
when its time comes; another, cancelled from `/sms scheduled` on the other web process, is never sent."""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.console.blockkit import interactive_elements
from bot.console.driver import SlackDriver
from bot.slack import ids
from tests.databases import fresh_postgres, postgres_available
from tests.reliability.cluster import Cluster, cluster, eventually

pytestmark = pytest.mark.skipif(not postgres_available(), reason="needs SWITCHBOARD_TEST_DATABASE_URL")


async def _schedule(running: Cluster, driver: SlackDriver, text: str, seconds: int) -> None:
    at = (datetime.now(UTC) + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")
    await driver.command("/sms", f"send +1 415 555 0100 {text} --at {at}", user="U0AGENT")

    async def card() -> bool:
        shown = driver.last_response("U0AGENT")
        return shown is not None and "Schedule this SMS?" in str(shown.blocks) and text in str(shown.blocks)

    await eventually(card, within=60, what="the schedule card")
    shown = driver.last_response("U0AGENT")
    assert shown is not None
    await driver.click(shown, action_id=ids.ACTION_SEND_LATER, user="U0AGENT")

    async def made() -> bool:
        return (text,) in running.rows("SELECT text FROM scheduled_sends")

    await eventually(made, within=30, what="the scheduled row")


async def test_a_scheduled_send_outlives_its_worker_and_a_cancelled_one_never_goes(tmp_path: Path) -> None:
    with fresh_postgres() as url:
        async with cluster(url, tmp_path) as running:
            web_a = await running.start_web()
            web_b = await running.start_web()
            worker = await running.start_worker()
            async with running.driver(web_a) as a, running.driver(web_b) as b:
                await _schedule(running, a, "Durable", 25)
                await _schedule(running, a, "Cancelled", 30)
                # Cancelled from the other web process's list.
                await b.command("/sms", "scheduled", user="U0AGENT")

                async def listed() -> bool:
                    shown = b.last_response("U0AGENT")
                    return shown is not None and "Your scheduled SMS (2)" in str(shown.blocks)

                await eventually(listed, within=30, what="the list of scheduled SMS")
                listing = b.last_response("U0AGENT")
                assert listing is not None
                [block] = [x for x in listing.blocks if "Cancelled" in str(x) and x.get("accessory")]
                cancel = next(
                    e for e in interactive_elements(listing.blocks) if e.block_id == block.get("block_id")
                )
                await b.send_payload(b.block_actions_payload(listing, cancel, user="U0AGENT"))

                async def cancelled() -> bool:
                    rows = running.rows("SELECT status FROM scheduled_sends WHERE text = 'Cancelled'")
                    return rows == [("cancelled",)]

                await eventually(cancelled, within=30, what="the cancelled row")
                # The worker dies before either is due; a new one takes over from Postgres.
                worker.send_signal(signal.SIGKILL)
                await worker.wait()
                await running.start_worker()

                async def sent() -> bool:
                    rows = running.rows("SELECT status FROM scheduled_sends WHERE text = 'Durable'")
                    return rows == [("sent",)]

                await eventually(sent, within=90, what="the scheduled send going out")
                await asyncio.sleep(12)  # past the cancelled one's time, and room for a second send
            outbox = running.rows("SELECT idempotency_key, status FROM sms_messages")
            assert len(outbox) == 1 and str(outbox[0][0]).startswith("scheduled:card:")
            assert outbox[0][1] in ("accepted", "delivered")
            assert running.rows("SELECT status FROM scheduled_sends ORDER BY id") == [
                ("sent",),
                ("cancelled",),
            ]
            accepted = running.rows("SELECT count(*) FROM audit_events WHERE action = 'sms.accepted'")
            assert accepted == [(1,)]
