"""Permission checks for buttons, modals and shortcuts (slash commands declare theirs on the router).

A denial is answered ephemerally and written to the audit trail, the same way everywhere.
"""

from __future__ import annotations

from typing import Any

from bot.db.models import Role
from bot.services.identity import Identity
from bot.slack.commands import NOT_LINKED


def denial_text(identity: Identity, what: str, required: Role) -> str:
    if not identity.linked:
        return NOT_LINKED
    assert identity.role is not None
    return f"{what} is for {required.value}s and above; you are {identity.role.value}."


async def allowed(context: dict[str, Any], required: Role, what: str) -> tuple[bool, str]:
    """(True, "") when the caller may; else (False, the text to show them), with the denial audited."""
    identity: Identity = context["identity"]
    if identity.may(required):
        return True, ""
    await context["container"].audit.denied(identity.team_id, identity.user_id, what, required=required.value)
    return False, denial_text(identity, what, required)
