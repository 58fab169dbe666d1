"""Postgres unreachable for 20 s during traffic: the web process stays up and acks every request with words
(never a 500), /livez stays 200 while /readyz says 503, and everything recovers by itself: a lookup asked
after the database returns is answered by the same worker process, without a restart.

The outage is a TCP proxy in front of a database of the test's own, cut and restored by the test: the
machine's Postgres server is never touched."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from tests.databases import fresh_postgres, postgres_available
from tests.reliability.cluster import cluster, eventually

pytestmark = pytest.mark.skipif(not postgres_available(), reason="needs SWITCHBOARD_TEST_DATABASE_URL")

NO_DATABASE = "can't reach its database"
OUTAGE_SECONDS = 20.0


async def test_an_outage_is_answered_in_words_and_recovered_from(tmp_path: Path) -> None:
    with fresh_postgres() as url:
        async with cluster(url, tmp_path, proxied=True) as running:
            assert running.proxy is not None
            web = await running.start_web()
            worker = await running.start_worker()
            async with running.driver(web) as driver, httpx.AsyncClient(base_url=web) as http:
                # Before: a lookup is answered (and the supervisor's identity is cached by the web process).
                await driver.command("/lookup", "+1 415 555 0100 7d", user="U0SUPER")

                async def answered(number: str) -> bool:
                    return len(running.answers(f"Lookup: {number}")) >= 1

                await eventually(lambda: answered("+1 415-555-0100"), within=30, what="the first lookup")

                await running.proxy.cut()
                cut_at = time.monotonic()
                statuses: list[int] = []
                acks: list[str] = []
                known_acks: list[str] = []
                while time.monotonic() - cut_at < OUTAGE_SECONDS:
                    # Someone the web process has not seen yet: who they are cannot be read.
                    fresh = await driver.command("/switchboard", "help", user="U0ADMIN")
                    # Someone it knows: told the work could not be queued, in the ack when its job's store
                    # fails within the second the ack waits for it, else by response_url after the ack.
                    known = await driver.command("/lookup", "+1 415 555 0101 7d", user="U0SUPER")
                    statuses += [fresh.status, known.status]
                    acks.append(fresh.body)
                    known_acks.append(known.body)
                    assert (await http.get("/livez")).status_code == 200
                    assert (await http.get("/readyz")).status_code == 503
                    await asyncio.sleep(2.0)
                assert set(statuses) == {200}, statuses  # never a 500
                assert all(NO_DATABASE in body for body in acks), acks[:2]
                untold = [body for body in known_acks if NO_DATABASE not in body]
                assert all(body.strip() == "" for body in untold), untold[:2]  # an empty ack, or the words
                told_later = running.answers(NO_DATABASE)
                assert len(told_later) >= len(untold), "the lookups accepted during the outage were not told"
                assert not await answered("+1 415-555-0101")

                await running.proxy.restore()

                async def ready() -> bool:
                    return (await http.get("/readyz")).status_code == 200

                # Ready again once both pools reconnected (procrastinate's on a backoff of up to ~10 s).
                await eventually(ready, within=30, what="/readyz after the database returned")
                # Work accepted after the outage is picked up by the same worker process (it restarted its
                # procrastinate worker by itself).
                after = await driver.command("/lookup", "+1 415 555 0102 7d", user="U0SUPER")
                assert after.status == 200 and after.body.strip() == "", after.body
                await eventually(
                    lambda: answered("+1 415-555-0102"), within=60, what="a lookup after the outage"
                )
                help_after = await driver.command("/switchboard", "help", user="U0ADMIN")
                assert help_after.status == 200 and NO_DATABASE not in help_after.body
            assert worker.returncode is None  # the worker process itself never died
