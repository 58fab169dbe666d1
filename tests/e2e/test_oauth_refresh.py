"""Rotating tokens refreshed by many callers at once. Slack revokes a refresh token once it is used (the
Slack emulator does too: a second use is `invalid_refresh_token`), so two refreshes of one workspace
with the same refresh token leave one caller with nothing. Switchboard refreshes one at a time per
installation (`bot.slack.oauth.SerialRotator`): in one process (a request and a job together), and across
processes on Postgres (two apps on one database, each with its own in-process locks), the second caller
reads the installation again after the first and uses what it stored. The emulator's oauth.v2.access
answers slowly here, so the two refreshes really are in flight together."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy.exc import OperationalError

from bot.console.app import console_factory
from bot.console.driver import SlackDriver
from bot.container import Container
from bot.errors import BusyError
from bot.jobs.contract import Envelope, Failure, Job
from bot.jobs.retry import is_database_outage
from bot.slack import oauth as oauth_module
from bot.slack.jobs import failure_text
from bot.slack.oauth import EncryptedInstallationStore, refresh_lock_id
from tests.databases import fresh_database, postgres_available
from tests.e2e.oauth_harness import CLIENT_ID, HOUR, INSTALLER, NEW_TEAM, OAuthHarness, oauth_harness

SLOW_SLACK = 0.3  # seconds oauth.v2.access takes: longer than a refresh takes to start
_ENVELOPE = Envelope(team_id=NEW_TEAM, user_id=INSTALLER, origin="test")


class _Probe(Job):
    kind = "test_refresh_probe"


def refreshes(oauth: OAuthHarness) -> list[Any]:
    return [
        c for c in oauth.emulator.calls_to("oauth.v2.access") if c.args.get("grant_type") == "refresh_token"
    ]


async def stored_token(container: Container) -> str | None:
    store = EncryptedInstallationStore(CLIENT_ID, container.engine, container.box)
    found = await store.async_find_installation(enterprise_id=None, team_id=NEW_TEAM)
    assert found is not None
    return found.bot_token


async def installed(oauth: OAuthHarness) -> None:
    oauth.emulator.next_install(INSTALLER, NEW_TEAM, team_name="New Team")
    assert (await oauth.install()).status_code == 200
    oauth.emulator.latency["oauth.v2.access"] = SLOW_SLACK


@contextlib.asynccontextmanager
async def another_process(oauth: OAuthHarness) -> AsyncIterator[tuple[Container, SlackDriver]]:
    """A second Switchboard on the same database and the same Slack: its own container, caches, locks."""
    factory = console_factory(oauth.container.settings, migrate=False)
    async with factory(oauth.emulator.api_url) as (app, secret, idle):
        container: Container = app.state.container
        assert container.slack_clients is not None
        container.slack_clients.clock = oauth.now
        async with SlackDriver(app, secret, oauth.emulator, idle=idle, team_id=NEW_TEAM) as driver:
            yield container, driver


async def test_the_emulator_revokes_a_used_refresh_token(oauth: OAuthHarness) -> None:
    await installed(oauth)
    oauth.now.offset += 11 * HOUR
    client = await oauth.container.slack_for(NEW_TEAM)
    (used,) = refreshes(oauth)
    again = oauth.emulator.handle(
        "oauth.v2.access",
        {"client_id": CLIENT_ID, "client_secret": "client-secret", **used.args},
        None,
    )
    assert again == {"ok": False, "error": "invalid_refresh_token"}
    assert oauth.emulator.handle("auth.test", {}, client.token)["ok"] is True


async def test_a_request_and_a_job_due_together_refresh_once(oauth: OAuthHarness) -> None:
    await installed(oauth)
    first = oauth.emulator.tokens_of(NEW_TEAM)[0].token
    oauth.now.offset += 11 * HOUR
    driver = oauth.driver()
    # Someone other than the installer: Bolt's authorize asks its rotator twice for such a request.
    oauth.emulator.add_user(id="U0SOMEONE", name="someone")
    answer, client = await asyncio.gather(
        driver.command("/switchboard", "whoami", user="U0SOMEONE"),
        oauth.container.slack_for(NEW_TEAM),
    )
    await driver.settle()
    assert answer.status == 200
    assert len(refreshes(oauth)) == 1
    (_, new) = oauth.emulator.tokens_of(NEW_TEAM)
    assert client.token == new.token != first
    assert await stored_token(oauth.container) == new.token
    said = driver.last_response("U0SOMEONE")
    assert said is not None and said.text == "Not linked"  # answered, not "not installed"


@pytest.mark.skipif(not postgres_available(), reason="needs SWITCHBOARD_TEST_DATABASE_URL (CI sets it)")
async def test_two_processes_refreshing_one_workspace_at_once_refresh_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fresh_database("postgres", tmp_path) as url:
        async with oauth_harness(url, monkeypatch) as oauth:
            await installed(oauth)
            async with another_process(oauth) as (other, other_driver):
                oauth.now.offset += 11 * HOUR
                # Process one's job and process two's job, both finding the token due.
                mine, theirs = await asyncio.gather(
                    oauth.container.slack_for(NEW_TEAM), other.slack_for(NEW_TEAM)
                )
                assert len(refreshes(oauth)) == 1
                (_, new) = oauth.emulator.tokens_of(NEW_TEAM)
                assert mine.token == theirs.token == new.token
                assert await stored_token(oauth.container) == new.token

                # A request in each process (Bolt's authorize), eleven hours on again.
                oauth.now.offset += 11 * HOUR
                driver = oauth.driver()
                here, there = await asyncio.gather(
                    driver.open_home(INSTALLER), other_driver.open_home(INSTALLER)
                )
                await driver.settle()
                await other_driver.settle()
                assert here.status == there.status == 200
                assert len(refreshes(oauth)) == 2
                (_, _, newest) = oauth.emulator.tokens_of(NEW_TEAM)
                published = [c for c in oauth.emulator.calls_to("views.publish") if c.ok]
                assert [c.token for c in published[-2:]] == [newest.token, newest.token]
                assert await stored_token(other) == newest.token
                # Whatever either process holds is the live refresh token: the next refresh works.
                oauth.now.offset += 11 * HOUR
                assert (await other.slack_for(NEW_TEAM)).token == oauth.emulator.tokens_of(NEW_TEAM)[-1].token
                assert all(c.ok for c in refreshes(oauth))


@pytest.mark.skipif(not postgres_available(), reason="needs SWITCHBOARD_TEST_DATABASE_URL (CI sets it)")
async def test_a_refresh_held_elsewhere_too_long_goes_on_with_a_valid_token_and_says_so_when_none_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process is stuck mid-refresh (it holds the installation's lock; Slack is slow to answer it).
    While the current token is still valid, callers give up waiting and go on with it; once it has
    expired, the person is told in words that the sign-in is being renewed, not that the database is away."""
    with fresh_database("postgres", tmp_path) as url:
        async with oauth_harness(url, monkeypatch) as oauth:
            await installed(oauth)
            monkeypatch.setattr(oauth_module, "REFRESH_LOCK_TIMEOUT", "200ms")
            first = oauth.emulator.tokens_of(NEW_TEAM)[0].token
            conninfo = url.replace("postgresql+psycopg://", "postgresql://")
            async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as elsewhere:
                await elsewhere.execute("SELECT pg_advisory_lock(%s)", [refresh_lock_id(f"-:{NEW_TEAM}")])
                oauth.now.offset += 11 * HOUR  # due for its refresh (2 h before the 12 h are up), still valid
                assert (await oauth.container.slack_for(NEW_TEAM)).token == first
                driver = oauth.driver()
                answer = await driver.command("/switchboard", "whoami", user=INSTALLER)
                await driver.settle()
                assert answer.status == 200 and refreshes(oauth) == []
                said = driver.last_response(INSTALLER)
                assert said is not None and "database" not in said.text and "renewing" not in said.text
                oauth.now.offset += 2 * HOUR  # expired now: there is no token to go on with
                with pytest.raises(BusyError) as busy:
                    await oauth.container.slack_for(NEW_TEAM)
                assert str(busy.value) == oauth_module.RENEWING
                assert failure_text(_Probe(envelope=_ENVELOPE), Failure.ERROR, busy.value).startswith(
                    "Switchboard is renewing its Slack sign-in"
                )
                assert not is_database_outage(busy.value)
                # A request now stops in Bolt's authorize: its ack says so (not a 500, "dispatch_failed").
                answer = await driver.command("/switchboard", "whoami", user=INSTALLER)
                assert answer.status == 200
                assert answer.text.startswith("Switchboard is renewing its Slack sign-in"), answer.body
            # The other process let go: the next caller refreshes.
            assert (await oauth.container.slack_for(NEW_TEAM)).token != first
            assert len(refreshes(oauth)) == 1


async def test_a_database_outage_in_authorize_is_said_in_the_ack(
    oauth: OAuthHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """OAuth mode reads the workspace's installation before anything else (Bolt's authorize): with the
    database away there, a command's ack says so, a modal stays open saying so, and an event is answered
    503 so that Slack delivers it again, as in single-token mode; never a 500."""
    await installed(oauth)
    driver = oauth.driver()
    assert (await driver.command("/switchboard", "whoami", user=INSTALLER)).status == 200

    async def away(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("SELECT", {}, OSError("connection refused"))

    monkeypatch.setattr(oauth.container.installations, "async_find_installation", away)
    monkeypatch.setattr(oauth.container.installations, "async_find_bot", away)
    answer = await driver.command("/lookup", "+14155550100", user=INSTALLER)
    assert answer.status == 200
    assert "can't reach its database" in answer.text, answer.body
    event = await driver.send_json(driver.event_envelope({"type": "app_home_opened", "user": INSTALLER}))
    assert event.status == 503
