"""Workspace lifecycle: the app was uninstalled or its tokens were revoked.

The workspace row is marked uninstalled (a reinstall clears the mark on first use), so scheduled work
skips it (digest ticks, inbox alerts) and, in OAuth mode, every job of the workspace is dropped unrun
(`Container.workspace_active`); in OAuth mode its installation (tokens) is deleted too. For an org-wide
install (Enterprise Grid) that is every workspace of the org: the event names one of them, the
installation served them all (`bot.services.installs.stop`). The audit trail keeps when it happened.
`app_home_opened` belongs to the App Home listeners.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.db.session import transaction
from bot.services.installs import stop

log = logging.getLogger(__name__)


async def _record(
    context: AsyncBoltContext, action: str, *, uninstall: bool, details: dict[str, Any]
) -> None:
    team_id = context.team_id or context.enterprise_id
    if not team_id:
        log.warning("%s without a team id", action)
        return
    container = context["container"]
    org_wide = bool(context.is_enterprise_install and context.enterprise_id)
    async with transaction(container.sessions) as session:
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
        await container.installations.async_delete_all(
            enterprise_id=context.enterprise_id,
            team_id=None if context.is_enterprise_install else context.team_id,
        )
    for team in teams:
        container.forget_workspace(team)
    log.info("workspace lifecycle event", extra={"team": team_id, "action": action, "workspaces": len(teams)})


async def app_uninstalled(context: AsyncBoltContext) -> None:
    await _record(context, "workspace.uninstalled", uninstall=True, details={})


async def tokens_revoked(event: dict[str, Any], context: AsyncBoltContext) -> None:
    tokens = event.get("tokens") or {}
    bot, oauth = list(tokens.get("bot") or []), list(tokens.get("oauth") or [])
    # Switchboard works through its bot token only: losing it is losing the workspace; revoked user
    # tokens are recorded but change nothing.
    await _record(
        context,
        "workspace.tokens_revoked",
        uninstall=bool(bot),
        details={"bot_tokens": len(bot), "user_tokens": len(oauth)},
    )


def register(app: AsyncApp) -> None:
    # Bolt acknowledges Events API requests itself; these listeners only record.
    app.event("app_uninstalled")(app_uninstalled)
    app.event("tokens_revoked")(tokens_revoked)
