"""/switchboard digest: add (typed, or the modal), list, remove, pause, resume and run-now.

One subcommand of `/switchboard` (merged into admin's router by `bot.slack.slash`), for supervisors and
admins: the dispatch refuses agents and audits the refusal. Its verbs are read here; what a valid digest
is, and every change, is `bot.services.digest_admin`'s.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.db.models import Role
from bot.db.session import transaction
from bot.errors import InputError
from bot.services.digest_admin import DigestAdmin, DigestListing, parse_words
from bot.slack.commands import CommandRouter, Invocation
from bot.slack.digests.jobs import request_run_now
from bot.slack.digests.manage import check_scope, open_digest_modal
from bot.slack.digests.manage_blocks import added_text, list_message
from bot.slack.outcome import failure
from bot.slack.parsing import mentioned_channel
from bot.slack.posting import not_a_member
from bot.slack.text import escape

router = CommandRouter("/switchboard", "Switchboard itself", order=90)
routers = [router]

ADD_USAGE = "/switchboard digest add #channel daily 09:00 America/New_York [sms] [calls] [threads] [delivery]"
USAGES = (
    "/switchboard digest add #channel weekly mon 09:00 America/New_York [inbox=<id>] [queues=<id,id>]",
    "/switchboard digest add #channel hourly :15 America/New_York",
    "/switchboard digest add (a form)",
    "/switchboard digest list",
    "/switchboard digest pause|resume|remove <id>",
    "/switchboard digest run-now <id | #channel>",
)


def _usage() -> InputError:
    lines = "\n".join(f"• `{u}`" for u in (ADD_USAGE, *USAGES))
    return InputError(f"Usage:\n{lines}")


def _id(args: list[str], verb: str) -> int:
    word = args[0] if len(args) == 1 else ""
    if not word.isdigit() or len(word) > 12:
        raise InputError(
            f"Usage: `/switchboard digest {verb} <id>` (`/switchboard digest list` has the ids)."
        )
    return int(word)


@router.sub(
    "digest",
    ADD_USAGE,
    "post a digest of SMS, calls, threads and delivery to a channel on a schedule",
    role=Role.SUPERVISOR,
    also=USAGES,
)
async def digest(inv: Invocation) -> None:
    verb = inv.args[0].lower() if inv.args else ""
    rest = inv.args[1:]
    if verb == "add":
        await _add(inv, rest)
    elif verb == "list" and not rest:
        await _list(inv)
    elif verb in ("remove", "pause", "resume"):
        await _change(inv, verb, _id(rest, verb))
    elif verb == "run-now":
        await _run_now(inv, rest)
    else:
        raise _usage()


async def _add(inv: Invocation, args: list[str]) -> None:
    container = inv.context["container"]
    if not args:
        await inv.ack()
        await open_digest_modal(
            inv.client,
            inv.trigger_id,
            container=container,
            identity=inv.identity,
            channel_id=inv.channel_id or None,
            origin="command",
        )
        return
    channel_id = mentioned_channel(args[0])
    if channel_id is None:
        raise InputError(f"Name the channel first, e.g. `{ADD_USAGE}`.")
    spec = parse_words(channel_id, args[1:])  # bad input is answered in the ack
    await inv.ack()
    spec = await check_scope(container, inv.identity, spec)
    problem = await not_a_member(inv.client, channel_id)
    if problem is not None:
        await inv.respond(**failure(problem.mrkdwn), response_type="ephemeral")
        return
    now = datetime.now(UTC)
    async with transaction(container.sessions) as session:
        service = DigestAdmin(session, inv.identity.team_id, actor=inv.identity.user_id)
        row = await service.add(spec)
        listing = DigestListing(row, spec.schedule, spec.schedule.next_slot(now), None)
    await inv.respond(text=added_text(listing), response_type="ephemeral")


async def _list(inv: Invocation) -> None:
    await inv.ack()
    container = inv.context["container"]
    async with container.sessions() as session:
        listings = await DigestAdmin(session, inv.identity.team_id, actor=inv.identity.user_id).listings(
            datetime.now(UTC)
        )
    await inv.respond(**list_message(listings), response_type="ephemeral")


async def _change(inv: Invocation, verb: str, subscription_id: int) -> None:
    await inv.ack()
    container = inv.context["container"]
    async with transaction(container.sessions) as session:
        service = DigestAdmin(session, inv.identity.team_id, actor=inv.identity.user_id)
        if verb == "remove":
            row = await service.remove(subscription_id)
            what = f"{escape(row.schedule)}, {escape(row.timezone)}"
            text = f"Removed digest {row.id} ({what}) from <#{row.channel_id}>."
        elif verb == "pause":
            row, changed = await service.pause(subscription_id)
            text = (
                f"Paused digest {row.id} in <#{row.channel_id}>; `/switchboard digest resume {row.id}` "
                "starts it again."
                if changed
                else f"Digest {row.id} was paused already."
            )
        else:
            row, changed = await service.resume(subscription_id, datetime.now(UTC))
            text = (
                f"Resumed digest {row.id} in <#{row.channel_id}>; it posts again from its next slot."
                if changed
                else f"Digest {row.id} is not paused."
            )
    await inv.respond(text=text, response_type="ephemeral")


async def _run_now(inv: Invocation, args: list[str]) -> None:
    """Validate which digest is meant (this team's, by id or by its only digest on a channel), then hand
    over to the run-now flow, which answers."""
    if len(args) != 1:
        raise InputError("Usage: `/switchboard digest run-now <id | #channel>`.")
    container = inv.context["container"]
    channel_id = mentioned_channel(args[0])
    if channel_id is None and not (args[0].isdigit() and len(args[0]) <= 12):
        raise InputError("Usage: `/switchboard digest run-now <id | #channel>`.")
    async with container.sessions() as session:
        service = DigestAdmin(session, inv.identity.team_id, actor=inv.identity.user_id)
        if channel_id is None:
            subscription = await service.get(int(args[0]))
        else:
            rows = await service.on_channel(channel_id)
            if not rows:
                await inv.ack(
                    **failure(f"<#{channel_id}> has no digest; add one with `/switchboard digest add`.")
                )
                return
            if len(rows) > 1:
                ids = ", ".join(str(r.id) for r in rows)
                await inv.ack(
                    **failure(
                        f"<#{channel_id}> has {len(rows)} digests (ids {ids}); say which one: "
                        f"`/switchboard digest run-now {rows[0].id}`."
                    )
                )
                return
            subscription = rows[0]
    # Accepted, not posted: the digest itself (or a note saying why it could not be built) follows.
    await inv.ack(
        text=f"Building digest {subscription.id} for <#{subscription.channel_id}> now; it will be posted "
        "there, marked as run outside the schedule."
    )
    await request_run_now(container, inv.envelope(), subscription)
