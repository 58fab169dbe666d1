"""/sms: send (confirm-then-send, or the modal), templates, codes, logs."""

from __future__ import annotations

from bot.db.models import Role
from bot.errors import InputError
from bot.services.send_time import parse_send_time
from bot.services.sms import check_text
from bot.services.time_range import parse_range
from bot.slack.commands import CommandRouter, Invocation, need
from bot.slack.lookup.jobs import LookupJob
from bot.slack.parsing import number_and_range, split_at, split_number
from bot.slack.sms.jobs import SmsCodesJob, SmsPreviewJob, SmsTemplatesJob
from bot.slack.sms.later import ScheduledListJob
from bot.slack.sms.modal import open_send_modal

router = CommandRouter("/sms", "send SMS and see a number's SMS history", order=10)

SEND_USAGE = '/sms send <number> [message] [--at "tomorrow 9am"]'


@router.sub(
    "send",
    SEND_USAGE,
    "send an SMS (without a message: open the send form); `--at` schedules it, in your time zone",
)
async def send(inv: Invocation) -> None:
    container = inv.context["container"]
    need(inv.args, 1, SEND_USAGE)
    # The raw text keeps the message exactly as typed (quotes, spacing); `--share` means nothing here.
    number, text = split_number(inv.text, container.settings.default_region)
    text, at = split_at(text)
    if at is not None:
        if not text:
            raise InputError(
                f"Write the message before `--at` (`{SEND_USAGE}`), or open the form with "
                "`/sms send <number>` and pick a time there."
            )
        # Whether it can be read is answered now; the time itself is read in your zone by the preview.
        parse_send_time(at, container.clock.now(), "UTC")
    if not text:
        await inv.ack()
        await open_send_modal(
            inv.client,
            inv.trigger_id,
            team_id=inv.identity.team_id,
            user_id=inv.identity.user_id,
            channel_id=inv.channel_id or None,
            number=number,
            container=container,
        )
        return
    check_text(text, None)  # empty or too long: answered now, in words
    await inv.accept(SmsPreviewJob(envelope=inv.envelope(), number=number, text=text, at=at))


@router.sub(
    "scheduled",
    "/sms scheduled [mine|team]",
    "the SMS scheduled to send later, to cancel: yours; a supervisor's list is the team's (`mine`: theirs)",
)
async def scheduled(inv: Invocation) -> None:
    words = [w.lower() for w in inv.args]
    if words not in ([], ["mine"], ["team"]):
        raise InputError(
            "Use `/sms scheduled` (yours; the team's for supervisors), `/sms scheduled mine` or "
            "`/sms scheduled team`."
        )
    team = words == ["team"] or (not words and inv.identity.may(Role.SUPERVISOR))
    if team and not inv.identity.may(Role.SUPERVISOR):
        raise InputError(
            "Only supervisors and admins see the team's scheduled SMS; `/sms scheduled` shows yours."
        )
    await inv.accept(ScheduledListJob(envelope=inv.envelope(), team=team))


@router.sub("templates", "/sms templates", "the LiveVox SMS templates")
async def templates(inv: Invocation) -> None:
    await inv.accept(SmsTemplatesJob(envelope=inv.envelope()))


@router.sub("codes", "/sms codes", "the SMS sender codes you can send from")
async def codes(inv: Invocation) -> None:
    await inv.accept(SmsCodesJob(envelope=inv.envelope()))


@router.sub(
    "logs", "/sms logs <number> [7d|30d|2026-10-01..2026-10-31] [--share]", "a number's SMS everywhere"
)
async def logs(inv: Invocation) -> None:
    container = inv.context["container"]
    number, range_text = number_and_range(inv.args, container.settings.default_region)
    parse_range(range_text)  # a bad range is answered now, not after the job
    await inv.accept(
        LookupJob(envelope=inv.envelope(), number=number, range=range_text, calls=False, share=inv.share)
    )


routers = [router]
