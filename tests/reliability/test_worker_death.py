"""A worker SIGKILLed mid-job: the read-only job is run again and answered, the send is never repeated and
ends "outcome unknown", and in both cases the person is told (two web processes, real worker processes,
one Postgres database of the test's own)."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from bot.slack import ids
from tests.databases import fresh_postgres, postgres_available
from tests.reliability.cluster import Cluster, cluster, eventually

pytestmark = pytest.mark.skipif(not postgres_available(), reason="needs SWITCHBOARD_TEST_DATABASE_URL")

# Every provider answers slowly, so a job is still running when its worker is killed.
SLOW = "*:latency_ms=1500"


def _jobs(running: Cluster, task: str) -> list[tuple[object, ...]]:
    return running.rows(
        f"SELECT status, attempts FROM procrastinate_jobs WHERE task_name = '{task}' ORDER BY id"  # noqa: S608
    )


async def _kill_when_running(running: Cluster, task: str) -> None:
    """SIGKILL the worker once it has the job (status `doing`), like a crashed or OOM-killed process."""

    async def doing() -> bool:
        return any(status == "doing" for status, _ in _jobs(running, task))

    await eventually(doing, within=30, what=f"the {task} job running")
    await asyncio.sleep(0.3)  # well inside the provider calls
    victim = running.workers[0]
    victim.kill()
    await victim.wait()


async def test_a_lookup_whose_worker_died_is_run_again_and_answered(tmp_path: Path) -> None:
    with fresh_postgres() as url:
        async with cluster(url, tmp_path, faults=SLOW) as running:
            web_a = await running.start_web()
            await running.start_web()  # a second web process: the recovery does not depend on which
            await running.start_worker()
            async with running.driver(web_a) as driver:
                ack = await driver.command("/lookup", "+1 415 555 0100 7d", user="U0SUPER")
                assert ack.status == 200 and ack.body.strip() == ""
                await _kill_when_running(running, "lookup")
                assert not running.answers("Lookup: +1 415-555-0100")

                await running.start_worker()  # the replacement finds the dead worker's job

                async def answered() -> bool:
                    return bool(running.answers("Lookup: +1 415-555-0100"))

                await eventually(answered, within=60, what="the lookup answered after the worker died")
                await asyncio.sleep(1.0)
            assert len(running.answers("Lookup: +1 415-555-0100")) == 1  # answered once, not twice
            assert not running.answers("could not finish")
            # One job: taken back to `todo` by the recovery (attempts counted), then done by the new worker
            # (succeeded jobs are deleted).
            assert _jobs(running, "lookup") == []


async def test_a_send_whose_worker_died_is_never_repeated_and_the_person_is_told(tmp_path: Path) -> None:
    with fresh_postgres() as url:
        async with cluster(url, tmp_path, faults=SLOW) as running:
            web = await running.start_web()
            await running.start_web()
            await running.start_worker()
            async with running.driver(web) as driver:
                await driver.command(
                    "/sms", "send +1 415 555 0100 Your appointment is at 3pm", user="U0AGENT"
                )

                async def card_shown() -> bool:
                    card = driver.last_response("U0AGENT")
                    return card is not None and "Send" in str(card.blocks)

                await eventually(card_shown, within=60, what="the preview card")
                card = driver.last_response("U0AGENT")
                assert card is not None
                send = driver.find_element(card, action_id=ids.ACTION_SEND_CONFIRM)
                click = driver.block_actions_payload(card, send, user="U0AGENT")
                await driver.send_payload(click)
                await _kill_when_running(running, "sms_confirm")

                await running.start_worker()

                async def told() -> bool:
                    return bool(running.answers("may or may not have gone through"))

                await eventually(told, within=60, what="the person told the outcome is unknown")
                await asyncio.sleep(4.0)  # room for a wrong second attempt to show up
            told_texts = running.answers("may or may not have gone through")
            assert len(told_texts) == 1 and "/sms logs +14155550100" in told_texts[0]
            # The send's job ended failed after its one attempt (procrastinate counts it when it is taken).
            assert _jobs(running, "sms_confirm") == [("failed", 1)]
            # At most the one outbox row of the first attempt, and no send recorded twice.
            rows = running.rows("SELECT status FROM sms_messages")
            assert len(rows) <= 1, rows
            sent = running.rows("SELECT count(*) FROM audit_events WHERE action = 'sms.accepted'")
            assert sent[0][0] == 0


async def test_sigterm_lets_running_jobs_finish_before_the_worker_exits(tmp_path: Path) -> None:
    with fresh_postgres() as url:
        async with cluster(url, tmp_path, faults=SLOW) as running:
            web = await running.start_web()
            worker = await running.start_worker()
            async with running.driver(web) as driver:
                await driver.command("/lookup", "+1 415 555 0101 7d", user="U0SUPER")

                async def doing() -> bool:
                    return any(status == "doing" for status, _ in _jobs(running, "lookup"))

                await eventually(doing, within=30, what="the lookup running")
                worker.send_signal(signal.SIGTERM)  # a deploy stops the worker mid-job
                code = await asyncio.wait_for(worker.wait(), timeout=30)
            assert code == 0
            # The running job was let finish: answered, and nothing left behind in the queue.
            assert len(running.answers("Lookup: +1 415-555-0101")) == 1
            assert _jobs(running, "lookup") == []
