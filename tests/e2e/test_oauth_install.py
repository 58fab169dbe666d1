"""OAuth mode end to end, on SQLite and Postgres: a fresh workspace installs through /slack/install against
the Slack emulator (Bolt's own flow: state cookie, signed single-use state, code exchange), its installer
becomes its first admin, its token is stored encrypted and refreshed before it expires (a fake clock moves
Bolt's rotator, our per-team clients and the emulator together), its requests and jobs speak with its own
token, and it can be uninstalled (nothing runs for it: a due digest does not post) and reinstalled
(it resumes). An org-wide Enterprise Grid install serves its workspaces with links kept per workspace."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, update

from bot.clock import FakeClock
from bot.crypto import CredentialBox
from bot.db.models import (
    DigestRun,
    DigestSubscription,
    Role,
    UserMapping,
    slack_bots,
    slack_installations,
    slack_oauth_states,
)
from bot.db.repositories.installations import rotate_installation_tokens
from bot.db.session import transaction
from bot.jobs.metrics import JOBS
from bot.services.demo import CHANNEL_ID
from bot.slack.app import NOT_INSTALLED
from bot.slack.digests.jobs import tick
from bot.slack.home.jobs import HomeJob
from bot.slack.jobs import for_user
from bot.slack.oauth import BOT_SCOPES, EncryptedInstallationStore, NotInstalled
from tests.e2e.oauth_harness import (
    CLIENT_ID,
    HOUR,
    INSTALLER,
    NEW_TEAM,
    REDIRECT_URI,
    OAuthHarness,
    tokens_used,
)


async def subscribe_hourly(harness: OAuthHarness, slot: datetime) -> None:
    async with transaction(harness.container.sessions) as session:
        session.add(
            DigestSubscription(
                team_id=NEW_TEAM,
                channel_id=CHANNEL_ID,
                name="hourly",
                schedule="hourly :00",
                timezone="UTC",
                scope={"sections": ["sms"]},
                created_by=INSTALLER,
                created_at=slot - timedelta(minutes=5),
            )
        )


async def digest_posts(harness: OAuthHarness) -> list[Any]:
    async with harness.container.sessions() as session:
        query = select(DigestRun).where(DigestRun.team_id == NEW_TEAM).order_by(DigestRun.id)
        return list((await session.execute(query)).scalars())


# ---------------------------------------------------------------------------------------------- tests


async def test_a_workspace_installs_refreshes_uninstalls_and_reinstalls(oauth: OAuthHarness) -> None:
    emulator, container = oauth.emulator, oauth.container
    emulator.next_install(INSTALLER, NEW_TEAM, team_name="New Team")

    # Add to Slack: straight to Slack's authorize page, with our scopes and a signed state.
    async with oauth.web() as web:
        start = await web.get("/slack/install")
    authorize = urlsplit(start.headers["location"])
    query = parse_qs(authorize.query)
    assert authorize.path == "/oauth/v2/authorize" and query["client_id"] == [CLIENT_ID]
    assert query["scope"] == [",".join(BOT_SCOPES)] and query["redirect_uri"] == [REDIRECT_URI]
    assert "." in query["state"][0]

    done = await oauth.install()
    assert done.status_code == 200, done.text
    (first,) = emulator.tokens_of(NEW_TEAM)

    # Stored encrypted, under the Fernet keys; nothing of the token in plain text.
    (row,) = await oauth.rows(slack_installations)
    assert row["team_id"] == NEW_TEAM and row["user_id"] == INSTALLER and row["bot_refresh_token"]
    for column in ("bot_token", "bot_refresh_token"):
        assert row[column].startswith("gAAAAA") and first.token not in row[column]
    (bot,) = await oauth.rows(slack_bots)
    assert bot["bot_token"].startswith("gAAAAA")
    assert CredentialBox([oauth.old_key]).open(row["bot_token"]) == {"token": first.token}

    # The workspace exists, active, its installer its first admin; audited.
    workspace = await oauth.workspace()
    assert workspace is not None and workspace.name == "New Team" and workspace.uninstalled_at is None
    admin = await oauth.mapping(NEW_TEAM, INSTALLER)
    assert admin is not None and admin.role is Role.ADMIN
    assert "workspace.installed" in await oauth.actions()

    # Its requests are authorized from its installation and answered with its own token.
    new = oauth.driver()
    answer = await new.command("/switchboard", "whoami", user=INSTALLER)
    assert answer.ok
    await new.settle()
    assert "admin" in (new.last_response(INSTALLER).text or "").lower()  # type: ignore[union-attr]
    await new.open_home(INSTALLER)
    await new.settle()
    assert tokens_used(oauth, "views.publish")[-1] == first.token
    # A job of that workspace speaks with that token too.
    identity = await container.identities.resolve(NEW_TEAM, INSTALLER)
    await container.defer(HomeJob(envelope=for_user(identity, "test")))
    await new.settle()
    assert set(tokens_used(oauth, "views.publish")) == {first.token}

    # Eleven hours later the 12-hour token is within two hours of expiry: Bolt refreshes it first.
    oauth.now.offset += 11 * HOUR
    await new.open_home(INSTALLER)
    await new.settle()
    grants = [c.args.get("grant_type") for c in emulator.calls_to("oauth.v2.access")]
    assert grants.count("refresh_token") == 1
    (_, second) = emulator.tokens_of(NEW_TEAM)
    assert tokens_used(oauth, "views.publish")[-1] == second.token
    # The refreshed tokens replace the old ones in place (one row each), still sealed.
    (row,) = await oauth.rows(slack_installations)
    (bot,) = await oauth.rows(slack_bots)
    box = CredentialBox([oauth.old_key])
    assert box.open(row["bot_token"]) == box.open(bot["bot_token"]) == {"token": second.token}
    # Past the first token's expiry it is refused (token_expired); nothing still uses it.
    oauth.now.offset += 2 * HOUR
    assert emulator.handle("auth.test", {}, first.token) == {"ok": False, "error": "token_expired"}
    before = len(emulator.calls)
    await container.defer(HomeJob(envelope=for_user(identity, "test")))
    await new.settle()
    assert (
        all(c.ok for c in emulator.calls[before:]) and tokens_used(oauth, "views.publish")[-1] == second.token
    )
    # A job refreshes on its own when no request came first.
    oauth.now.offset += 9 * HOUR
    client = await container.slack_for(NEW_TEAM)
    (_, _, third) = emulator.tokens_of(NEW_TEAM)
    assert client.token == third.token

    # Back to the present (the sandbox's providers answer only for the past): a due digest posts with
    # the workspace's token.
    oauth.now.offset = 0
    slot = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)
    await subscribe_hourly(oauth, slot)
    container.clock = FakeClock(slot + timedelta(seconds=20))
    assert len(await tick(container)) == 1
    await container.wait_idle(60)
    assert [(r.status.value, r.error) for r in await digest_posts(oauth)] == [("posted", None)]
    assert tokens_used(oauth, "chat.postMessage")[-1] == third.token

    # Uninstalled: the installation is gone, and nothing runs for the workspace.
    emulator.uninstall(NEW_TEAM)
    assert (await new.event("app_uninstalled")).status == 200
    await new.settle()
    assert await oauth.rows(slack_installations) == [] and await oauth.rows(slack_bots) == []
    assert (await oauth.workspace()).uninstalled_at is not None  # type: ignore[union-attr]
    with pytest.raises(NotInstalled):
        await container.slack_for(NEW_TEAM)
    calls = len(emulator.calls)
    dropped = JOBS.labels(kind="home", outcome="dropped")._value.get()
    await container.defer(HomeJob(envelope=for_user(identity, "test")))  # queued before, say
    container.clock = FakeClock(slot + timedelta(hours=1, seconds=20))
    assert await tick(container) == []  # the next slot is due, and does not run
    await container.wait_idle(60)
    assert len(emulator.calls) == calls
    assert JOBS.labels(kind="home", outcome="dropped")._value.get() == dropped + 1  # not run at all
    assert [r.status.value for r in await digest_posts(oauth)] == ["posted"]

    # Reinstalled: it resumes, its admins as they were.
    emulator.next_install(INSTALLER, NEW_TEAM, team_name="New Team")
    assert (await oauth.install()).status_code == 200
    (fourth,) = emulator.tokens_of(NEW_TEAM)
    assert (await oauth.workspace()).uninstalled_at is None  # type: ignore[union-attr]
    assert (await oauth.actions())[-1] == "workspace.reinstalled"
    container.clock = FakeClock(slot + timedelta(hours=2, seconds=20))
    assert len(await tick(container)) >= 1
    await container.wait_idle(60)
    assert "posted" in [r.status.value for r in await digest_posts(oauth)][1:]
    assert tokens_used(oauth, "chat.postMessage")[-1] == fourth.token
    async with container.sessions() as session:
        admins = (await session.execute(select(UserMapping).where(UserMapping.team_id == NEW_TEAM))).scalars()
        assert [(m.slack_user_id, m.role) for m in admins] == [(INSTALLER, Role.ADMIN)]


async def test_a_bad_or_expired_state_is_refused(oauth: OAuthHarness) -> None:
    oauth.emulator.next_install(INSTALLER, NEW_TEAM)
    async with oauth.web() as web, httpx.AsyncClient() as browser:
        # A state we did not sign (cookie and parameter agreeing, as a forger would make them).
        forged = "0123456789abcdef0123456789abcdef.00000000000000000000000000000000"
        refused = await web.get(
            f"/slack/oauth_redirect?code=x&state={forged}",
            headers={"cookie": f"slack-app-oauth-state={forged}"},
        )
        assert refused.status_code == 401
        # A real state without the installer's cookie (another browser).
        start = await web.get("/slack/install")
        approved = await browser.get(start.headers["location"])
        back = urlsplit(approved.headers["location"])
        assert (await web.get(f"{back.path}?{back.query}")).status_code == 400
        # A real state, past its expiry.
        start = await web.get("/slack/install")
        cookie = start.headers["set-cookie"].split(";")[0]
        async with transaction(oauth.container.sessions) as session:
            await session.execute(update(slack_oauth_states).values(expire_at=datetime(2000, 1, 1)))
        approved = await browser.get(start.headers["location"])
        back = urlsplit(approved.headers["location"])
        assert (await web.get(f"{back.path}?{back.query}", headers={"cookie": cookie})).status_code == 401
    assert await oauth.rows(slack_installations) == []
    assert oauth.emulator.calls_to("oauth.v2.access") == []  # no code was exchanged
    assert await oauth.workspace() is None


async def test_a_state_is_single_use(oauth: OAuthHarness) -> None:
    oauth.emulator.next_install(INSTALLER, NEW_TEAM)
    async with oauth.web() as web, httpx.AsyncClient() as browser:
        start = await web.get("/slack/install")
        cookie = start.headers["set-cookie"].split(";")[0]
        approved = await browser.get(start.headers["location"])
        back = urlsplit(approved.headers["location"])
        assert (await web.get(f"{back.path}?{back.query}", headers={"cookie": cookie})).status_code == 200
        again = await web.get(f"{back.path}?{back.query}", headers={"cookie": cookie})
        assert again.status_code == 401


async def test_an_org_wide_install_serves_its_workspaces_with_links_per_workspace(
    oauth: OAuthHarness,
) -> None:
    oauth.emulator.add_user(id="W0ORGADMIN", name="orgadmin")
    oauth.emulator.next_install("W0ORGADMIN", None, enterprise_id="E0ORG", enterprise_name="Org")
    assert (await oauth.install()).status_code == 200
    (row,) = await oauth.rows(slack_installations)
    assert row["is_enterprise_install"] and row["team_id"] is None and row["enterprise_id"] == "E0ORG"
    (org_token,) = oauth.emulator.tokens_of(None, enterprise_id="E0ORG")

    for team in ("T0ORGONE", "T0ORGTWO"):
        driver = oauth.driver(team, enterprise_id="E0ORG", is_enterprise_install=True)
        await driver.command("/switchboard", "whoami", user="W0ORGADMIN")
        await driver.open_home("W0ORGADMIN")
        await driver.settle()
        workspace = await oauth.workspace(team)
        assert workspace is not None and workspace.enterprise_id == "E0ORG"
        admin = await oauth.mapping(team, "W0ORGADMIN")
        assert admin is not None and admin.role is Role.ADMIN  # a link of that workspace, not of the org
        client = await oauth.container.slack_for(team)
        assert client.token == org_token.token
    assert set(tokens_used(oauth, "views.publish")) == {org_token.token}


async def test_rotate_keys_reencrypts_the_installations(oauth: OAuthHarness) -> None:
    oauth.emulator.next_install(INSTALLER, NEW_TEAM)
    assert (await oauth.install()).status_code == 200
    (token,) = oauth.emulator.tokens_of(NEW_TEAM)
    new_key = Fernet.generate_key().decode()
    async with transaction(oauth.container.sessions) as session:
        assert await rotate_installation_tokens(session, CredentialBox([new_key, oauth.old_key])) == 2
    # Readable with the new key alone: the old one can go.
    store = EncryptedInstallationStore(CLIENT_ID, oauth.container.engine, CredentialBox([new_key]))
    found = await store.async_find_installation(enterprise_id=None, team_id=NEW_TEAM)
    assert found is not None and found.bot_token == token.token
    bot = await store.async_find_bot(enterprise_id=None, team_id=NEW_TEAM)
    assert bot is not None and bot.bot_token == token.token


async def test_tokens_revoked_deletes_the_installation_only_for_the_bot_token(oauth: OAuthHarness) -> None:
    oauth.emulator.next_install(INSTALLER, NEW_TEAM)
    assert (await oauth.install()).status_code == 200
    new = oauth.driver()
    await new.event("tokens_revoked", tokens={"oauth": ["U0SOMEONE"], "bot": []})
    await new.settle()
    assert len(await oauth.rows(slack_installations)) == 1  # a user token: nothing Switchboard uses
    assert (await oauth.workspace()).uninstalled_at is None  # type: ignore[union-attr]
    await new.event("tokens_revoked")  # the bot token
    await new.settle()
    assert await oauth.rows(slack_installations) == [] and await oauth.rows(slack_bots) == []
    assert (await oauth.workspace()).uninstalled_at is not None  # type: ignore[union-attr]
    assert not await oauth.container.workspace_active(NEW_TEAM)


async def test_a_team_without_an_installation_is_not_served(oauth: OAuthHarness) -> None:
    stranger = oauth.driver("T0STRANGER")
    answer = await stranger.command("/switchboard", "whoami", user="U0AGENT")
    await stranger.settle()
    assert answer.status == 200 and answer.body == ""
    said = stranger.last_response("U0AGENT")
    assert said is not None and said.text == NOT_INSTALLED  # through the response_url
    assert await oauth.workspace("T0STRANGER") is None
    with pytest.raises(NotInstalled):
        await oauth.container.slack_for("T0STRANGER")
    assert oauth.emulator.calls == []
