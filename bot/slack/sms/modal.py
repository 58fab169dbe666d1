"""Opening the send-SMS modal: the entry point other features call (commands, shortcuts, thread and
Home buttons).

It opens the modal at once (a trigger_id lives 3 seconds) with what needs no provider call; the
`SmsModalJob` then fetches sender codes and templates and fills them in with views.update.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_sdk.web.async_client import AsyncWebClient

from bot.jobs.contract import Envelope
from bot.slack.jobs import fill_in
from bot.slack.payloads import keep
from bot.slack.sms.blocks import ModalState, send_modal
from bot.slack.sms.jobs import SendModalContext, SmsModalJob

if TYPE_CHECKING:
    from bot.container import Container


async def open_send_modal(
    client: AsyncWebClient,
    trigger_id: str,
    *,
    container: Container,
    team_id: str,
    user_id: str,
    channel_id: str | None,
    number: str | None = None,
    thread_id: str | None = None,
    account: str | None = None,
    message: str | None = None,
) -> None:
    """Open the send modal for `user_id`, prefilled with what is known; call it right after `ack()`.

    `number` is E.164 (or anything the user may edit), `thread_id`/`account` make the send a reply in a
    LiveVox thread. The sender codes and templates arrive a moment later (views.update), fetched by a
    follow-up job deferred on `container`.
    """
    # Where the modal came from stays on the server; the modal carries only the token that names it.
    where = SendModalContext(channel_id=channel_id, thread_id=thread_id, account=account)
    token = await keep(container, team_id, user_id, where)
    state = ModalState(token=token, number=number, message=message)
    opened = await client.views_open(trigger_id=trigger_id, view=send_modal(state))
    view_id = str((opened.get("view") or {}).get("id", ""))
    envelope = Envelope(team_id=team_id, user_id=user_id, channel_id=channel_id, origin="modal:send_sms")
    job = SmsModalJob(envelope=envelope, view_id=view_id, token=token, number=number, message=message)
    await fill_in(container, client, view_id, job)
