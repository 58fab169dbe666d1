"""What Slack knows about a person that Switchboard does not keep: their time zone."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.services.digest_schedule import ScheduleError, parse_timezone

log = logging.getLogger(__name__)


async def user_zone(client: AsyncWebClient, user_id: str) -> str:
    """The person's Slack time zone (users.info `tz`) as the zone list spells it; UTC when Slack has none
    or names one this machine does not know."""
    try:
        answer = await client.users_info(user=user_id)
    except SlackApiError as error:
        log.info("users.info failed", extra={"error": error.response.get("error")})
        return "UTC"
    tz = str(((answer.get("user") or {}).get("tz")) or "")
    try:
        return parse_timezone(tz) if tz else "UTC"
    except ScheduleError:
        return "UTC"
