"""/switchboard workflow-user: the workspace's workflow service user (admins only; shown to anyone who asks
/switchboard help with the admin's commands). The setting itself is `bot.services.workflow_user`'s."""

from __future__ import annotations

from bot.db.models import Role
from bot.errors import InputError
from bot.services.workflow_user import ServiceUser, WorkflowUsers
from bot.slack.commands import CommandRouter, Invocation
from bot.slack.parsing import mentioned_user

router = CommandRouter("/switchboard", "Switchboard itself", order=90)
routers = [router]

WORKFLOW_USER_USAGE = "/switchboard workflow-user [@user|off]"
STANDS_IN = "Workflow steps whose workflow gives no “Run as” person act as"


def parse_workflow_user(args: list[str]) -> tuple[bool, str | None]:
    """(change?, user): nothing → show; `off` → (True, None); `@user` → (True, their id)."""
    if not args:
        return False, None
    if len(args) != 1:
        raise InputError(f"Usage: `{WORKFLOW_USER_USAGE}`")
    if args[0].lower() == "off":
        return True, None
    try:
        return True, mentioned_user(args[0])
    except InputError as error:
        raise InputError(f"{error}\nUsage: `{WORKFLOW_USER_USAGE}`") from None


def workflow_user_text(current: ServiceUser, *, note: str = "") -> str:
    if current.source == "workspace":
        state = f"{STANDS_IN} <@{current.user_id}>, with their role and links."
    elif current.source == "default":
        state = (
            f"{STANDS_IN} <@{current.user_id}>, with their role and links (SWITCHBOARD_WORKFLOW_USER, "
            "this deployment's default)."
        )
    else:
        why = "turned off" if current.source == "off" else "none named"
        state = (
            f"*No workflow service user* ({why}): a step whose workflow gives no “Run as” person is refused."
        )
    return f"{note}{state} `{WORKFLOW_USER_USAGE}` changes it."


@router.sub(
    "workflow-user",
    WORKFLOW_USER_USAGE,
    "show or set whom Workflow Builder steps act as when no one runs them (the team setting)",
    role=Role.ADMIN,
)
async def workflow_user(inv: Invocation) -> None:
    change, user = parse_workflow_user(inv.args)
    await inv.ack()
    container = inv.context["container"]
    users = WorkflowUsers.of(container.sessions, container.settings)
    team = inv.identity.team_id
    if not change:
        await inv.respond(text=workflow_user_text(await users.current(team)), response_type="ephemeral")
        return
    before, after = await users.set(team, inv.identity.user_id, user)
    note = "Saved. " if after != before else "Already so. "
    await inv.respond(text=workflow_user_text(after, note=note), response_type="ephemeral")
