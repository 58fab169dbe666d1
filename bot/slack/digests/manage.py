"""Opening the digest modal (from `/switchboard digest add` and App Home) and asking Slack whether the bot
is in a channel: shared by the digest command, the modal's submission and the Home button."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel
from slack_sdk.web.async_client import AsyncWebClient

from bot.services.digest_admin import DigestSpec, check_against_providers
from bot.services.identity import Identity
from bot.slack.digests.manage_blocks import digest_modal
from bot.slack.payloads import keep
from bot.slack.people import user_zone

if TYPE_CHECKING:
    from bot.container import Container

log = logging.getLogger(__name__)


class DigestModalContext(BaseModel):
    """Where the modal was opened from, kept on the server (the modal carries only its token)."""

    channel_id: str | None = None  # where to tell the outcome; None: a DM
    origin: Literal["command", "home"] = "command"


async def open_digest_modal(
    client: AsyncWebClient,
    trigger_id: str,
    *,
    container: Container,
    identity: Identity,
    channel_id: str | None,
    origin: Literal["command", "home"],
) -> None:
    """Open the digest modal; call it right after `ack()` (a trigger_id lives 3 seconds)."""
    zone = await user_zone(client, identity.user_id)
    where = DigestModalContext(channel_id=channel_id, origin=origin)
    token = await keep(container, identity.team_id, identity.user_id, where)
    await client.views_open(
        trigger_id=trigger_id, view=digest_modal(token=token, channel_id=channel_id, zone=zone)
    )


async def check_scope(container: Container, identity: Identity, spec: DigestSpec) -> DigestSpec:
    """The digest's explicit inbox and queues, checked with LiveVox and Zoom as `channel set` checks them
    (DigestInputError, listing the valid ones, when one is not the team's); its queues as ids."""
    if spec.inbox is None and spec.queues is None:
        return spec
    providers = await container.providers.for_team(identity.team_id)
    async with container.sessions() as session:
        return await check_against_providers(
            spec, session, identity.team_id, providers, identity.livevox_login
        )
