"""What round-trips through Slack is a reference to state kept on the server, or signed by it.

A button value or a modal's `private_metadata` comes back from the client, which can edit it: a Send
button that carried its draft could be made to send anything to anyone. So:

- state that matters (drafts, modal context) is kept in the database (`slack_payloads`, with an expiry
  and the one person who may use it) and Slack carries only an unguessable token (`keep` / `recall`);
- every button value is signed with a server key when the button is built and verified, for its own
  action_id, before any listener sees it (`bot.slack.signing`).

What a verified value names (a number, a thread) is still only a claim: access is checked again on the
server's own data when acting (`bot.services.access`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, TypeVar

from pydantic import BaseModel, ValidationError

from bot.db.repositories import SlackPayloadRepository
from bot.db.session import transaction

if TYPE_CHECKING:
    from bot.container import Container

M = TypeVar("M", bound=BaseModel)

# Slack's response_url (and so a card's usefulness) lasts 30 minutes.
CARD_LIFETIME = timedelta(minutes=30)


async def keep(
    container: Container, team_id: str, user_id: str, value: BaseModel, *, ttl: timedelta = CARD_LIFETIME
) -> str:
    """Store `value` for `user_id`; the returned token is what goes into the button or the metadata."""
    async with transaction(container.sessions) as session:
        return await SlackPayloadRepository(session, team_id).put(
            type(value).__name__, user_id, value.model_dump(mode="json", by_alias=True), ttl
        )


async def recall(container: Container, team_id: str, user_id: str, token: str, model: type[M]) -> M | None:
    """The value behind `token`, if it is a `model` kept for `user_id` and not expired; else None."""
    if not token or len(token) > 64:
        return None
    async with transaction(container.sessions) as session:
        data = await SlackPayloadRepository(session, team_id).get(token, model.__name__, user_id)
    if data is None:
        return None
    try:
        return model.model_validate(data)
    except ValidationError:  # kept by an older release with another shape
        return None
