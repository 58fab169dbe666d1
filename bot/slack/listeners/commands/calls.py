"""/calls <number> [range]: voice call logs from Zoom Contact Center, a page at a time."""

from __future__ import annotations

from bot.services.time_range import parse_range
from bot.slack.blocks.history import pretty_number
from bot.slack.commands import CommandRouter, Invocation
from bot.slack.listeners.commands.lookup import deferred
from bot.slack.parsing import number_and_range

ORDER = 40
router = CommandRouter("/calls", "voice call logs")


@router.sub(
    None, "/calls <number> [7d|30d|2026-10-01..2026-10-31] [--share]", "a number's voice calls, newest first"
)
async def calls(inv: Invocation) -> None:
    container = inv.context["container"]
    number, range_text = number_and_range(inv.args, container.settings.default_region)
    parse_range(range_text)
    await inv.ack(text=f"Fetching calls of {pretty_number(number)}… ⏳")
    await container.defer("calls", deferred(inv, number=number, range=range_text, offset=0))
