"""/lookup <number> [range]: one timeline for a number across every connected provider."""

from __future__ import annotations

from bot.services.time_range import parse_range
from bot.slack.blocks.history import pretty_number
from bot.slack.commands import CommandRouter, Invocation
from bot.slack.parsing import number_and_range

ORDER = 30
router = CommandRouter("/lookup", "a number's history everywhere")


@router.sub(
    None,
    "/lookup <number> [7d|30d|2026-10-01..2026-10-31] [--share]",
    "SMS, calls, compliance and open threads of a number",
)
async def lookup(inv: Invocation) -> None:
    container = inv.context["container"]
    number, range_text = number_and_range(inv.args, container.settings.default_region)
    parse_range(range_text)  # a bad range is answered now, not after the job
    await inv.ack(text=f"Looking up {pretty_number(number)} across your providers… ⏳")
    await container.defer("lookup", deferred(inv, number=number, range=range_text, calls=True))


def deferred(inv: Invocation, **extra: object) -> dict[str, object]:
    """What a follow-up needs to finish the work and answer the person who asked."""
    return {
        "team_id": inv.identity.team_id,
        "user_id": inv.identity.user_id,
        "channel_id": inv.channel_id,
        "response_url": inv.response_url,
        "share": inv.share,
        **extra,
    }
