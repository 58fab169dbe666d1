"""On Postgres, work deferred after ack() is a row in procrastinate's tables: it survives the web process."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.console.app import console_factory
from bot.console.driver import SlackDriver, bolt_idle
from bot.console.emulator import SlackEmulator
from bot.jobs.queue import pending_jobs
from bot.services.demo import TEAM_ID
from bot.settings import load_settings
from tests.databases import fresh_database, postgres_available

pytestmark = pytest.mark.skipif(
    not postgres_available(), reason="needs SWITCHBOARD_TEST_DATABASE_URL (CI sets it)"
)


async def test_deferred_lookup_survives_a_restart_of_the_web_process(tmp_path: Path) -> None:
    with fresh_database("postgres", tmp_path) as url:
        settings = load_settings(database_url=url)
        emulator = SlackEmulator(team_id=TEAM_ID)
        async with emulator.serve() as api_url:
            # 1. A web process without a worker acks and queues the work, then goes away.
            async with console_factory(settings, migrate=False, worker=False)(api_url) as (app, secret, _):
                async with SlackDriver(app, secret, emulator, idle=None) as driver:
                    response = await driver.command("/lookup", "+1 415 555 0100 7d", user="U0SUPER")
                    assert response.status == 200 and response.body.strip() == ""  # a quiet ack
                    await bolt_idle()  # the job is deferred right after the ack
                container = app.state.container
                assert await pending_jobs(container.queue) == 1
            assert not [p for p in emulator.response_posts if "Lookup:" in str(p)]

            # 2. A fresh process with a worker picks the job up from Postgres and answers.
            async with (
                console_factory(settings, migrate=False, worker=True)(api_url) as (app, secret, idle),
                SlackDriver(app, secret, emulator, idle=idle) as driver,
            ):
                await driver.settle()
                assert await pending_jobs(app.state.container.queue) == 0
            answers = [p for p in emulator.response_posts if "Lookup: +1 415-555-0100" in str(p)]
            assert len(answers) == 1
