"""Workspace lifecycle: the app was uninstalled or its tokens were revoked.

The workspace row is marked uninstalled (a reinstall clears the mark on first use), so scheduled work
skips it (digest ticks, inbox alerts) and, in OAuth mode, every job of the workspace is dropped unrun
(`Container.workspace_active`); in OAuth mode its installation (tokens) is deleted too. For an org-wide
install (Enterprise Grid) that is every workspace of the org: the event names one of them, the
installation served them all (`bot.services.installs.stop`). The audit trail keeps when it happened.
`app_home_opened` belongs to the App Home listeners.

Bolt acknowledges an event before its listener runs, so these are recorded by the listener's middleware,
which runs before that: a process that stops just after answering Slack cannot lose an uninstall, and one
that cannot record it (the database away) answers 503, for Slack to deliver the event again. The event is
claimed (once per `event_id`) in the transaction that records it, not by the front door: a claim that
outlived a failed record would make Slack's retry look like a repeat, and a claim checked before the
installation is deleted keeps a captured event, replayed after a reinstall, from removing the new one.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.response import BoltResponse

from bot.db.repositories import SlackDeliveryRepository
from bot.db.session import transaction
from bot.services.installs import stop
from bot.slack.app import EVENT_RETRY_WINDOW

log = logging.getLogger(__name__)


async def _record(
    body: dict[str, Any], context: AsyncBoltContext, action: str, *, uninstall: bool, details: dict[str, Any]
) -> None:
    """Claim the event, mark and audit every workspace it stops, delete the installation, then commit:
    whatever fails on the way leaves nothing recorded, and Slack's retry does it all."""
    team_id = context.team_id or context.enterprise_id
    if not team_id:
        log.warning("%s without a team id", action)
        return
    container = context["container"]
    org_wide = bool(context.is_enterprise_install and context.enterprise_id)
    event_id = body.get("event_id")
    async with transaction(container.sessions) as session:
        if isinstance(event_id, str) and event_id:
            deliveries = SlackDeliveryRepository(session, team_id)
            if not await deliveries.claim(f"event:{event_id}", keep_for=EVENT_RETRY_WINDOW):
                log.info("ignored a repeated Slack delivery", extra={"team": team_id, "kind": "event"})
                return
        teams = await stop(
            session,
            team_id,
            action,
            enterprise_id=context.enterprise_id,
            org_wide=org_wide,
            uninstalled=uninstall,
            details=details,
        )
        if uninstall and container.installations is not None:
            # Without its bot token the installation is of no use (Switchboard asks for no user scopes).
            # In the same transaction: if anything fails, the retry finds the event unclaimed.
            await container.installations.delete_all_in(
                session,
                enterprise_id=context.enterprise_id,
                team_id=None if context.is_enterprise_install else context.team_id,
            )
    for team in teams:
        container.forget_workspace(team)
    log.info("workspace lifecycle event", extra={"team": team_id, "action": action, "workspaces": len(teams)})


async def app_uninstalled(
    body: dict[str, Any], context: AsyncBoltContext, next: Callable[[], Awaitable[BoltResponse]]
) -> BoltResponse:
    await _record(body, context, "workspace.uninstalled", uninstall=True, details={})
    return await next()


async def tokens_revoked(
    body: dict[str, Any], context: AsyncBoltContext, next: Callable[[], Awaitable[BoltResponse]]
) -> BoltResponse:
    tokens = (body.get("event") or {}).get("tokens") or {}
    bot, oauth = list(tokens.get("bot") or []), list(tokens.get("oauth") or [])
    # Switchboard works through its bot token only: losing it is losing the workspace; revoked user
    # tokens are recorded but change nothing.
    await _record(
        body,
        context,
        "workspace.tokens_revoked",
        uninstall=bool(bot),
        details={"bot_tokens": len(bot), "user_tokens": len(oauth)},
    )
    return await next()


async def recorded() -> None:
    """The listener after the record: Bolt acks the event (its middleware did the work, before that)."""


def register(app: AsyncApp) -> None:
    # What fails in the middleware reaches the error handler before the ack: an event is answered 503.
    app.event("app_uninstalled", middleware=[app_uninstalled])(recorded)
    app.event("tokens_revoked", middleware=[tokens_revoked])(recorded)
