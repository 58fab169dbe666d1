"""Answering after ack(): through the interaction's response_url (ephemeral, or in the channel on --share)."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.webhook.async_client import AsyncWebhookClient

log = logging.getLogger(__name__)


async def respond(
    response_url: str, payload: dict[str, Any], *, share: bool = False, replace_original: bool = True
) -> bool:
    """Post to a response_url; returns whether Slack accepted it (it expires after 30 minutes)."""
    body = {
        **payload,
        "response_type": "in_channel" if share else "ephemeral",
        "replace_original": replace_original and not share,
    }
    if share:
        body["delete_original"] = False
    response = await AsyncWebhookClient(response_url).send_dict(body)
    if response.status_code != 200:
        log.warning("response_url answered %s", response.status_code)
        return False
    return True
