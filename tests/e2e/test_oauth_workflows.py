"""Workflow Builder steps in OAuth mode: a workspace installed through /slack/install (the Slack emulator)
runs a step, and the step ends with that workspace's own bot token, never another installed workspace's
(the emulator refuses a completion with another workspace's token, as Slack does)."""

from __future__ import annotations

from bot.console.emulator import FunctionExecution
from bot.sandbox.world import DEMO
from tests.e2e.oauth_harness import HOUR, INSTALLER, NEW_TEAM, OAuthHarness

OTHER_TEAM = "T0OTHERTEAM"
OTHER_ADMIN = "U0OTHERADMIN"
CLEAN = DEMO.phone_numbers[0]


def run_as(user: str) -> dict[str, str]:
    return {"id": user, "secret": "c2VjcmV0LW9mLXNsYWNr"}


async def two_workspaces(oauth: OAuthHarness) -> tuple[str, str]:
    """NEW_TEAM installed first, OTHER_TEAM after it (the newest installation is not the one to use)."""
    oauth.emulator.next_install(INSTALLER, NEW_TEAM, team_name="New Team")
    assert (await oauth.install()).status_code == 200
    oauth.emulator.add_user(id=OTHER_ADMIN, name="otheradmin")
    oauth.emulator.next_install(OTHER_ADMIN, OTHER_TEAM, team_name="Other Team")
    assert (await oauth.install()).status_code == 200
    (mine,) = oauth.emulator.tokens_of(NEW_TEAM)
    (theirs,) = oauth.emulator.tokens_of(OTHER_TEAM)
    return mine.token, theirs.token


def completions_of(oauth: OAuthHarness, execution: FunctionExecution) -> list[tuple[str, str | None, bool]]:
    return [
        (c.method, c.token, c.ok)
        for c in oauth.emulator.completions()
        if c.args.get("function_execution_id") == execution.id
    ]


async def test_a_step_completes_with_its_own_workspaces_token(oauth: OAuthHarness) -> None:
    mine, theirs = await two_workspaces(oauth)
    since = len(oauth.emulator.calls)  # each install checked its own token (auth.test)
    driver = oauth.driver(NEW_TEAM)
    execution, response = await driver.run_function(
        "lookup_number", {"number": CLEAN, "range": "30d", "run_as": run_as(INSTALLER)}
    )
    assert response.status == 200 and response.body == ""
    await driver.settle()
    assert execution.team_id == NEW_TEAM
    assert completions_of(oauth, execution) == [("functions.completeSuccess", mine, True)], (
        oauth.emulator.completions()[-1].response if oauth.emulator.completions() else None
    )
    assert execution.state == "completed" and execution.outputs is not None
    assert {"sms_inbound", "sms_outbound", "calls", "open_threads"} <= set(execution.outputs)
    assert theirs not in [c.token for c in oauth.emulator.calls[since:]]

    # Eleven hours on, the token is due: the step's request refreshes it, and the step ends with the new one.
    oauth.now.offset += 11 * HOUR
    later, _ = await driver.run_function("lookup_number", {"number": CLEAN, "run_as": run_as(INSTALLER)})
    await driver.settle()
    # Refreshed once: Bolt asks its rotator twice for a request that is not the installer's (a workflow's
    # event names no user: the workspace's installation, then "the person's own"); the second finds it
    # refreshed already.
    grants = [c.args.get("grant_type") for c in oauth.emulator.calls_to("oauth.v2.access")]
    assert grants.count("refresh_token") == 1
    (_, refreshed) = oauth.emulator.tokens_of(NEW_TEAM)
    assert completions_of(oauth, later) == [("functions.completeSuccess", refreshed.token, True)]
    assert len(oauth.emulator.tokens_of(OTHER_TEAM)) == 1  # nothing of the other workspace was touched
    assert theirs not in [c.token for c in oauth.emulator.calls[since:]]
    actions = await oauth.actions(NEW_TEAM)
    assert "workflow.lookup_number" in actions
    assert "workflow.lookup_number" not in await oauth.actions(OTHER_TEAM)


async def test_another_workspaces_token_cannot_end_the_step(oauth: OAuthHarness) -> None:
    """The emulator behaves as Slack: a run of one workspace is not another's to complete."""
    mine, theirs = await two_workspaces(oauth)
    execution = oauth.emulator.start_function("lookup_number", {"number": CLEAN}, team_id=NEW_TEAM)
    refused = oauth.emulator.handle(
        "functions.completeError", {"function_execution_id": execution.id, "error": "x"}, theirs
    )
    assert refused == {"ok": False, "error": "function_execution_not_found"} and execution.running
    ended = oauth.emulator.handle(
        "functions.completeError", {"function_execution_id": execution.id, "error": "x"}, mine
    )
    assert ended == {"ok": True} and execution.state == "failed"


async def test_a_step_refused_at_once_ends_with_the_runs_own_token(oauth: OAuthHarness) -> None:
    mine, theirs = await two_workspaces(oauth)
    since = len(oauth.emulator.calls)  # each install checked its own token (auth.test)
    driver = oauth.driver(NEW_TEAM)
    execution, _ = await driver.run_function(
        "lookup_number", {"number": CLEAN, "range": "forever", "run_as": run_as(INSTALLER)}
    )
    await driver.settle()
    [(method, token, ok)] = completions_of(oauth, execution)
    assert method == "functions.completeError" and ok and token in (execution.token, mine)
    assert "not a range I understand" in (execution.error or "")
    assert theirs not in [c.token for c in oauth.emulator.calls[since:]]
