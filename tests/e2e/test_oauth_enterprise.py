"""Enterprise Grid org-wide installs end to end (OAuth mode, the Slack emulator shaping payloads as Slack
does for an org-level app: `is_enterprise_install: true`, `enterprise` set and `team` null in
oauth.v2.access; events carrying `enterprise_id`, the workspace's `team_id` and `context_team_id`).
Removing the org-wide install stops every workspace of the org, not only the one the event names; a
workspace installed on its own elsewhere keeps running; reinstalling resumes them all."""

from __future__ import annotations

import pytest

from bot.db.models import Role, slack_installations
from bot.jobs.metrics import JOBS
from bot.slack.home.jobs import HomeJob
from bot.slack.jobs import for_user
from bot.slack.oauth import NotInstalled
from tests.e2e.oauth_harness import INSTALLER, NEW_TEAM, OAuthHarness

ORG = "E0ORG"
ORG_ADMIN = "W0ORGADMIN"
ONE, TWO = "T0ORGONE", "T0ORGTWO"


async def install_org(oauth: OAuthHarness) -> str:
    oauth.emulator.next_install(ORG_ADMIN, None, enterprise_id=ORG, enterprise_name="Org")
    assert (await oauth.install()).status_code == 200
    exchange = oauth.emulator.calls_to("oauth.v2.access")[-1].response
    assert exchange["is_enterprise_install"] is True and exchange["team"] is None
    assert exchange["enterprise"] == {"id": ORG, "name": "Org"}
    return oauth.emulator.tokens_of(None, enterprise_id=ORG)[-1].token


async def use(oauth: OAuthHarness, team: str) -> None:
    driver = oauth.driver(team, enterprise_id=ORG, is_enterprise_install=True)
    assert (await driver.command("/switchboard", "whoami", user=ORG_ADMIN)).ok
    await driver.settle()


async def home_job(oauth: OAuthHarness, team: str) -> HomeJob:
    identity = await oauth.container.identities.resolve(team, ORG_ADMIN)
    return HomeJob(envelope=for_user(identity, "test"))


@pytest.mark.parametrize("removal", ["app_uninstalled", "tokens_revoked"])
async def test_removing_an_org_wide_install_stops_every_workspace_of_the_org(
    oauth: OAuthHarness, removal: str
) -> None:
    emulator, container = oauth.emulator, oauth.container
    emulator.add_user(id=ORG_ADMIN, name="orgadmin")
    # A workspace outside the org, installed on its own: it must keep running throughout.
    emulator.next_install(INSTALLER, NEW_TEAM, team_name="New Team")
    assert (await oauth.install()).status_code == 200
    org_token = await install_org(oauth)
    for team in (ONE, TWO):
        await use(oauth, team)
        assert (await container.slack_for(team)).token == org_token
        mapping = await oauth.mapping(team, ORG_ADMIN)
        assert mapping is not None and mapping.role is Role.ADMIN

    # The org removes the app; Slack's event names one workspace of the org.
    emulator.uninstall(None, enterprise_id=ORG)
    removed = oauth.driver(ONE, enterprise_id=ORG, is_enterprise_install=True)
    assert (await removed.event(removal)).status == 200
    await removed.settle()

    for team in (ONE, TWO, ORG):
        workspace = await oauth.workspace(team)
        assert workspace is not None and workspace.uninstalled_at is not None, team
        assert not await container.workspace_active(team)
        action = "workspace.uninstalled" if removal == "app_uninstalled" else "workspace.tokens_revoked"
        assert action in await oauth.actions(team), team
    for team in (ONE, TWO):
        with pytest.raises(NotInstalled):
            await container.slack_for(team)
    assert [row["team_id"] for row in await oauth.rows(slack_installations)] == [NEW_TEAM]
    # Nothing runs for the workspace the event did not name either.
    calls = len(emulator.calls)
    dropped = JOBS.labels(kind="home", outcome="dropped")._value.get()
    await container.defer(await home_job(oauth, TWO))
    await removed.settle()
    assert JOBS.labels(kind="home", outcome="dropped")._value.get() == dropped + 1
    assert len(emulator.calls) == calls
    # The workspace outside the org is untouched.
    outside = await oauth.workspace(NEW_TEAM)
    assert outside is not None and outside.uninstalled_at is None
    assert (await container.slack_for(NEW_TEAM)).token == emulator.tokens_of(NEW_TEAM)[-1].token

    # Reinstalled org-wide: every workspace of the org resumes, its links as they were.
    new_token = await install_org(oauth)
    assert new_token != org_token
    for team in (ONE, TWO):
        workspace = await oauth.workspace(team)
        assert workspace is not None and workspace.uninstalled_at is None, team
        assert (await oauth.actions(team))[-1] == "workspace.reinstalled"
        assert (await container.slack_for(team)).token == new_token
        mapping = await oauth.mapping(team, ORG_ADMIN)
        assert mapping is not None and mapping.role is Role.ADMIN
    await container.defer(await home_job(oauth, TWO))
    await removed.settle()
    assert [c.token for c in emulator.calls_to("views.publish")][-1:] == [new_token]


async def test_a_workspace_level_install_inside_an_org_stops_alone(oauth: OAuthHarness) -> None:
    """Not org-wide (a workspace of a Grid org installed the app for itself): its removal is its own."""
    emulator = oauth.emulator
    emulator.add_user(id=ORG_ADMIN, name="orgadmin")
    for team in (ONE, TWO):
        emulator.next_install(ORG_ADMIN, team, enterprise_id=ORG, team_name=team)
        assert (await oauth.install()).status_code == 200
    emulator.uninstall(ONE)
    driver = oauth.driver(ONE, enterprise_id=ORG)
    assert (await driver.event("app_uninstalled")).status == 200
    await driver.settle()
    one, two = await oauth.workspace(ONE), await oauth.workspace(TWO)
    assert one is not None and one.uninstalled_at is not None
    assert two is not None and two.uninstalled_at is None
    assert [row["team_id"] for row in await oauth.rows(slack_installations)] == [TWO]
