"""/lookup <number> [range]: one timeline for a number across every connected provider.

/calls <number> [range]: voice call logs from Zoom Contact Center, a page at a time.
"""

from __future__ import annotations

from bot.services.time_range import parse_range
from bot.slack.commands import CommandRouter, Invocation
from bot.slack.lookup.jobs import CallsJob, LookupJob
from bot.slack.parsing import number_and_range

router = CommandRouter("/lookup", "a number's history everywhere", order=30)


@router.sub(
    None,
    "/lookup <number> [7d|30d|2026-10-01..2026-10-31] [--share]",
    "SMS, calls, compliance and open threads of a number",
)
async def lookup(inv: Invocation) -> None:
    container = inv.context["container"]
    number, range_text = number_and_range(inv.args, container.settings.default_region)
    if range_text is not None:  # a bad range is answered now, not after the job (the default is good)
        parse_range(range_text)
    await inv.accept(
        LookupJob(envelope=inv.envelope(), number=number, range=range_text, calls=True, share=inv.share)
    )


calls_router = CommandRouter("/calls", "voice call logs", order=40)


@calls_router.sub(
    None, "/calls <number> [7d|30d|2026-10-01..2026-10-31] [--share]", "a number's voice calls, newest first"
)
async def calls(inv: Invocation) -> None:
    container = inv.context["container"]
    number, range_text = number_and_range(inv.args, container.settings.default_region)
    if range_text is not None:
        parse_range(range_text)
    await inv.accept(CallsJob(envelope=inv.envelope(), number=number, range=range_text, share=inv.share))


routers = [router, calls_router]
