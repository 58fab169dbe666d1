"""/switchboard optout (the team's opt-out list) and /switchboard quiet-hours (its sending hours).

Subcommands of `/switchboard` (merged into admin's router by `bot.slack.slash`). `optout` is for supervisors
and admins (the dispatch refuses agents and audits it); within it, supervisors may only add: listing and
removing are an admin's, refused and audited here the same way. What the rules mean for a send is
`bot.services.send_guard`'s; every change is `bot.services.send_rules`'.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.db.models import OptOut, Role
from bot.errors import InputError
from bot.services.quiet_hours import parse_window
from bot.services.send_guard import SWITCHBOARD_ACTOR
from bot.services.send_rules import SendRules
from bot.slack.commands import CommandRouter, Invocation
from bot.slack.guards import denial_text
from bot.slack.outcome import refusal
from bot.slack.parsing import split_number
from bot.slack.text import clip, escape, pretty_number

router = CommandRouter("/switchboard", "Switchboard itself", order=90)
routers = [router]

OPTOUT_USAGE = "/switchboard optout list|add <number> [reason]|remove <number>"
OPTOUT_USAGES = (
    "/switchboard optout list",
    "/switchboard optout add <number> [reason]",
    "/switchboard optout remove <number>",
)
QUIET_USAGE = "/switchboard quiet-hours [08:00-21:00 [mon-fri|mon-sat|every-day|mon,wed,fri]]"
SHOWN = 50


def _usage() -> InputError:
    lines = "\n".join(f"• `{u}`" for u in OPTOUT_USAGES)
    return InputError(f"Usage:\n{lines}")


@router.sub(
    "optout",
    OPTOUT_USAGE,
    "the team's opt-out list: numbers no one of the team may text (supervisors may add)",
    role=Role.SUPERVISOR,
    also=OPTOUT_USAGES[1:],
)
async def optout(inv: Invocation) -> None:
    verb = inv.args[0].lower() if inv.args else ""
    rest = inv.text.strip()[len(inv.args[0]) :].strip() if inv.args else ""
    if verb == "add" and rest:
        await _add(inv, rest)
    elif verb == "remove" and rest:
        if await _admin(inv, "remove"):
            await _remove(inv, rest)
    elif verb == "list" and not rest:
        if await _admin(inv, "list"):
            await _list(inv)
    else:
        raise _usage()


async def _admin(inv: Invocation, verb: str) -> bool:
    """Admins only (the subcommand lets supervisors in to add): a refusal is answered and audited."""
    identity = inv.identity
    if identity.may(Role.ADMIN):
        return True
    what = f"/switchboard optout {verb}"
    await inv.ack(**refusal(denial_text(identity, f"`{what}`", Role.ADMIN)))
    await inv.context["container"].audit.denied(
        identity.team_id, identity.user_id, what, required=Role.ADMIN.value, attempted=what
    )
    return False


def _number(inv: Invocation, text: str) -> tuple[str, str]:
    return split_number(text, inv.context["container"].settings.default_region)


async def _add(inv: Invocation, text: str) -> None:
    number, reason = _number(inv, text)
    await inv.ack()
    rules = SendRules(inv.context["container"].sessions)
    row, created = await rules.add(inv.identity.team_id, inv.identity.user_id, number, reason)
    pretty = escape(pretty_number(number))
    answer = (
        f"Added {pretty} to the team's opt-out list: no one of the team can text it now."
        if created
        else f"{pretty} is on the team's opt-out list already ({_entry(row)})."
    )
    await inv.respond(text=answer, response_type="ephemeral")


async def _remove(inv: Invocation, text: str) -> None:
    number, rest = _number(inv, text)
    if rest:
        raise InputError("Usage: `/switchboard optout remove <number>` (one number, nothing after it).")
    await inv.ack()
    rules = SendRules(inv.context["container"].sessions)
    row = await rules.remove(inv.identity.team_id, inv.identity.user_id, number)
    pretty = escape(pretty_number(number))
    if row is None:
        answer = f"{pretty} is not on the team's opt-out list: nothing changed."
    else:
        answer = (
            f"Removed {pretty} from the team's opt-out list. Switchboard still refuses it while the "
            "customer's latest reply in a provider's history is an opt-out, or LiveVox flags it."
        )
    await inv.respond(text=answer, response_type="ephemeral")


def _entry(row: OptOut) -> str:
    """Who added it and why, in mrkdwn (outside text escaped)."""
    when = f"{row.created_at:%Y-%m-%d}"
    if row.source == "history" or row.added_by == SWITCHBOARD_ACTOR:
        said = escape(clip(" ".join((row.evidence_text or "").split()), 80))
        where = escape(row.evidence_provider or "a provider")
        at = f", {row.evidence_at:%Y-%m-%d}" if row.evidence_at else ""
        return f"added {when} by Switchboard: the customer texted “{said}” ({where}{at})"
    why = f": {escape(clip(row.reason, 120))}" if row.reason else ""
    return f"added {when} by <@{row.added_by}>{why}"


def list_text(rows: Sequence[OptOut]) -> str:
    if not rows:
        return (
            "The team's opt-out list is empty. Numbers are added with `/switchboard optout add <number>`, "
            "and by Switchboard when a customer's reply is an opt-out."
        )
    lines = [f"• {escape(pretty_number(r.number))}: {_entry(r)}" for r in rows[:SHOWN]]
    more = f"\n…and {len(rows) - SHOWN} more." if len(rows) > SHOWN else ""
    return f"*The team's opt-out list* ({len(rows)}):\n" + "\n".join(lines) + more


async def _list(inv: Invocation) -> None:
    await inv.ack()
    rows = await SendRules(inv.context["container"].sessions).opt_outs(inv.identity.team_id)
    await inv.respond(text=list_text(rows), response_type="ephemeral")


@router.sub(
    "quiet-hours",
    QUIET_USAGE,
    "show or set when texts may go out, in the recipient's local time (the team setting)",
    role=Role.ADMIN,
)
async def quiet_hours(inv: Invocation) -> None:
    if len(inv.args) > 2:
        raise InputError(f"Usage: `{QUIET_USAGE}`")
    window = parse_window(inv.args[0], inv.args[1] if len(inv.args) > 1 else None) if inv.args else None
    await inv.ack()
    rules = SendRules(inv.context["container"].sessions)
    team = inv.identity.team_id
    if window is None:
        current = await rules.window(team)
        answer = f"Texts go out {current.describe()} in the recipient's local time (from their number)."
    else:
        before = await rules.set_window(team, inv.identity.user_id, window)
        answer = (
            f"Saved: texts go out {window.describe()} in the recipient's local time "
            f"(was {before.describe()})."
        )
    await inv.respond(text=answer, response_type="ephemeral")


__all__ = ["list_text", "optout", "quiet_hours"]
