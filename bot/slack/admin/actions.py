"""The audit trail's Older / Newer buttons: the next page replaces the one clicked (admins only)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot.db.models import Role
from bot.errors import InputError
from bot.slack import ids
from bot.slack.admin.audit import AuditQuery, audit_page
from bot.slack.guards import requires
from bot.slack.reply import respond
from bot.slack.text import error_text


async def page(ack: AsyncAck, body: dict[str, Any], context: dict[str, Any]) -> None:
    await ack()
    url = str(body.get("response_url") or "")
    action: dict[str, Any] = (body.get("actions") or [{}])[0]
    try:
        # Verified for its action_id before any listener runs (bot.slack.signing): the filters and the
        # page edge are ours, not the client's.
        query = AuditQuery.from_value(action.get("value"))
    except InputError as error:
        await respond(url, {"text": error_text(error)}, replace_original=False)
        return
    if (action.get("action_id") == ids.ACTION_AUDIT_OLDER) != (query.before is not None):
        await respond(
            url,
            {"text": "That button is out of date; run `/switchboard audit` again."},
            replace_original=False,
        )
        return
    payload = await audit_page(context["container"], context["identity"].team_id, query)
    await respond(url, payload, replace_original=True)


def register(app: AsyncApp) -> None:
    admins = requires(Role.ADMIN, "The audit trail")
    app.action(ids.ACTION_AUDIT_OLDER)(admins(page))
    app.action(ids.ACTION_AUDIT_NEWER)(admins(page))
