"""The workspace's workflow service user (`/switchboard workflow-user @user|off`): admins only, audited,
listed in the admins' help; a step whose workflow gives no "Run as" person acts as them. In single-token
mode SWITCHBOARD_WORKFLOW_USER is the default until an admin chooses; in OAuth mode each workspace has its
own (the variable is not used: it could not name a user of every workspace)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.db.repositories import AuditRepository, WorkspaceRepository
from bot.services.demo import TEAM_ID
from tests.databases import fresh_database
from tests.e2e.conftest import Harness, MakeHarness
from tests.e2e.oauth_harness import INSTALLER, NEW_TEAM, oauth_harness
from tests.e2e.test_workflows import CLEAN, failed, lv_sent, row, run, succeeded

ADMIN, AGENT, SUPER = "U0ADMIN", "U0AGENT", "U0SUPER"


async def say(slack: Harness, text: str, user: str = ADMIN) -> str:
    """What /switchboard answers `user` (its ack, or its later ephemeral answer)."""
    response = await slack.driver.command("/switchboard", text, user=user)
    await slack.driver.settle()
    said = slack.driver.last_response(user)
    return (response.body or "") + (said.text or "" if said is not None else "")


async def service_user_id(slack: Harness, team: str = TEAM_ID) -> str | None:
    async with slack.container.sessions() as session:
        workspace = await WorkspaceRepository(session, team).get()
    assert workspace is not None
    return workspace.workflow_user_id


async def test_an_admin_names_the_service_user_and_steps_act_as_them(slack: Harness) -> None:
    assert "No workflow service user" in await say(slack, "workflow-user")
    refused = await run(slack, "send_sms", {"to": CLEAN, "text": "nobody yet"})
    assert "/switchboard workflow-user" in failed(slack, refused)

    answer = await say(slack, f"workflow-user <@{AGENT}|agent>")
    assert "Saved." in answer and f"<@{AGENT}>" in answer
    assert await service_user_id(slack) == AGENT
    assert (ADMIN, "workspace.workflow_user_set", "ok") in await slack.audit_actions()

    execution = await run(slack, "send_sms", {"to": CLEAN, "text": "From the service user"})
    assert succeeded(slack, execution)["status"] == "accepted"
    stored = await row(slack, execution)
    assert stored is not None and stored.slack_user_id == AGENT
    async with slack.container.sessions() as session:
        events = await AuditRepository(session, TEAM_ID).recent(limit=50)
    [step] = [e for e in events if e.action == "workflow.send_sms" and e.target_id == execution.id]
    assert step.actor == AGENT and step.details["acting_as"] == "service"

    # Setting it again changes nothing, and says so; the audit trail has one entry.
    assert "Already so." in await say(slack, f"workflow-user <@{AGENT}>")
    actions = [a for a in await slack.audit_actions() if a[1] == "workspace.workflow_user_set"]
    assert len(actions) == 1

    # Off: such a step is refused again, and nothing is sent.
    assert "turned off" in await say(slack, "workflow-user off")
    assert await service_user_id(slack) == ""
    assert (ADMIN, "workspace.workflow_user_cleared", "ok") in await slack.audit_actions()
    again = await run(slack, "send_sms", {"to": CLEAN, "text": "after off"})
    assert "/switchboard workflow-user" in failed(slack, again)
    assert not lv_sent(slack, CLEAN, "after off")


async def test_only_admins_change_it(slack: Harness) -> None:
    for user in (AGENT, SUPER):
        answer = await say(slack, f"workflow-user <@{AGENT}>", user=user)
        assert "admin" in answer.lower()
        assert (user, "access.denied", "denied") in await slack.audit_actions()
    assert await service_user_id(slack) is None


async def test_an_unlinked_person_cannot_stand_in(slack: Harness) -> None:
    slack.emulator.add_user("U0NOBODY", "nobody")
    answer = await say(slack, "workflow-user <@U0NOBODY>")
    assert "not linked to Switchboard" in answer and "/switchboard link" in answer
    assert await service_user_id(slack) is None
    assert "is not a Slack user" in await say(slack, "workflow-user alex")
    assert "Usage" in await say(slack, "workflow-user <@U0AGENT> extra")


async def test_the_admins_help_lists_it_and_an_agents_does_not(slack: Harness) -> None:
    admin = await slack.driver.command("/switchboard", "help", user=ADMIN)
    agent = await slack.driver.command("/switchboard", "help", user=AGENT)
    assert "/switchboard workflow-user [@user|off]" in json.dumps(admin.json())
    assert "workflow-user" not in json.dumps(agent.json())


async def test_the_variable_is_the_single_token_default_until_an_admin_chooses(
    make_harness: MakeHarness,
) -> None:
    async with make_harness(workflow_user=AGENT) as slack:
        shown = await say(slack, "workflow-user")
        assert f"<@{AGENT}>" in shown and "SWITCHBOARD_WORKFLOW_USER" in shown
        execution = await run(slack, "send_sms", {"to": CLEAN, "text": "default user"})
        assert succeeded(slack, execution)["status"] == "accepted"
        # An admin's choice wins over the deployment's default, "off" included.
        await say(slack, f"workflow-user <@{SUPER}>")
        stored = await row(slack, await run(slack, "send_sms", {"to": CLEAN, "text": "by super"}))
        assert stored is not None and stored.slack_user_id == SUPER
        await say(slack, "workflow-user off")
        refused = await run(slack, "send_sms", {"to": CLEAN, "text": "off wins"})
        assert "/switchboard workflow-user" in failed(slack, refused)


async def test_in_oauth_mode_each_workspace_has_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The variable names a user of one workspace at most: OAuth mode does not use it."""
    with fresh_database("sqlite", tmp_path) as url:
        async with oauth_harness(url, monkeypatch, workflow_user=INSTALLER) as oauth:
            oauth.emulator.next_install(INSTALLER, NEW_TEAM, team_name="New Team")
            assert (await oauth.install()).status_code == 200
            driver = oauth.driver(NEW_TEAM)
            execution, _ = await driver.run_function("lookup_number", {"number": CLEAN})
            await driver.settle()
            assert execution.state == "failed" and "/switchboard workflow-user" in (execution.error or "")

            await driver.command("/switchboard", f"workflow-user <@{INSTALLER}>", user=INSTALLER)
            await driver.settle()
            said = driver.last_response(INSTALLER)
            assert said is not None and "Saved." in (said.text or "")
            later, _ = await driver.run_function("lookup_number", {"number": CLEAN})
            await driver.settle()
            assert later.state == "completed", later.error
            assert "workspace.workflow_user_set" in await oauth.actions(NEW_TEAM)
            # Another workspace's setting is its own: the demo workspace still has none.
            async with oauth.container.sessions() as session:
                demo = await WorkspaceRepository(session, TEAM_ID).get()
            assert demo is not None and demo.workflow_user_id is None
