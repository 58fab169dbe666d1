"""/switchboard: help, whoami, link, unlink, audit (connect and channel live in their own modules)."""

from __future__ import annotations

import re

from bot.db.models import Role
from bot.db.repositories import AuditRepository
from bot.db.session import transaction
from bot.errors import InputError
from bot.services.admin import AdminService
from bot.slack.blocks.admin import audit_message, help_message, whoami_message
from bot.slack.commands import CommandRouter, Invocation

ORDER = 90
router = CommandRouter("/switchboard", "Switchboard itself")

MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
LINK_USAGE = (
    "/switchboard link @user agent=<LiveVox agent id> login=<LiveVox login> zoom=<Zoom user id> "
    "role=agent|supervisor|admin"
)


def mentioned_user(word: str) -> str:
    match = MENTION.match(word.strip())
    if match is None:
        raise InputError(f"`{word}` is not a Slack user: mention them, e.g. `@alex`.")
    return match.group(1)


@router.sub("help", "/switchboard help", "what you can do here", role=None)
async def help_(inv: Invocation) -> None:
    from bot.slack.listeners.commands import ROUTERS

    groups = [(f"{r.command}: {r.summary}", r.usage_lines(inv.identity)) for r in ROUTERS]
    await inv.ack(**help_message(groups, inv.identity))


@router.sub(None, "/switchboard", "same as help", role=None)
async def bare(inv: Invocation) -> None:
    if inv.args:
        from bot.slack.listeners.commands import _unknown

        await inv.ack(text=_unknown(router, inv.args[0], inv.identity))
        return
    await help_(inv)


@router.sub("whoami", "/switchboard whoami", "who Switchboard thinks you are", role=None)
async def whoami(inv: Invocation) -> None:
    await inv.ack(**whoami_message(inv.identity))


def parse_link(args: list[str]) -> tuple[str, dict[str, str]]:
    if not args:
        raise InputError(f"Usage: `{LINK_USAGE}`")
    user = mentioned_user(args[0])
    values: dict[str, str] = {}
    for word in args[1:]:
        key, sep, value = word.partition("=")
        key = key.lower()
        if not sep or key not in {"agent", "login", "zoom", "role"} or not value:
            raise InputError(
                f"`{word}` is not one of agent=…, login=…, zoom=…, role=…\nUsage: `{LINK_USAGE}`"
            )
        values[key] = value
    if "agent" in values and not values["agent"].isdigit():
        raise InputError(f"agent= takes a LiveVox agent id (digits), not `{values['agent']}`.")
    if "role" in values and values["role"].lower() not in {r.value for r in Role}:
        raise InputError(f"role= is agent, supervisor or admin, not `{values['role']}`.")
    return user, values


@router.sub("link", LINK_USAGE, "link a Slack user to their provider identities", role=Role.ADMIN)
async def link(inv: Invocation) -> None:
    user, values = parse_link(inv.args)
    await inv.ack()
    container = inv.context["container"]
    async with transaction(container.sessions) as session:
        service = AdminService(session, inv.identity.team_id, actor=inv.identity.user_id, box=container.box)
        row, created = await service.link_user(
            user,
            role=Role(values["role"].lower()) if "role" in values else None,
            livevox_agent_id=values.get("agent"),
            livevox_login=values.get("login"),
            zoom_user_id=values.get("zoom"),
        )
    container.identities.forget(inv.identity.team_id, user)
    verb = "Linked" if created else "Updated"
    await inv.respond(text=f"{verb} <@{user}> as *{row.role.value}*.", response_type="ephemeral")


@router.sub("unlink", "/switchboard unlink @user", "remove a user's link", role=Role.ADMIN)
async def unlink(inv: Invocation) -> None:
    if len(inv.args) != 1:
        raise InputError("Usage: `/switchboard unlink @user`")
    user = mentioned_user(inv.args[0])
    await inv.ack()
    container = inv.context["container"]
    async with transaction(container.sessions) as session:
        await AdminService(
            session, inv.identity.team_id, actor=inv.identity.user_id, box=container.box
        ).unlink_user(user)
    container.identities.forget(inv.identity.team_id, user)
    await inv.respond(text=f"Unlinked <@{user}>.", response_type="ephemeral")


@router.sub("audit", "/switchboard audit [@user]", "recent audit events", role=Role.ADMIN)
async def audit(inv: Invocation) -> None:
    who = mentioned_user(inv.args[0]) if inv.args else None
    await inv.ack()
    container = inv.context["container"]
    async with container.sessions() as session:
        events = await AuditRepository(session, inv.identity.team_id).recent(limit=40, actor=who)
    await inv.respond(**audit_message(events, who=who), response_type="ephemeral")
