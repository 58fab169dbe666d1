"""/switchboard audit: the trail a page at a time (Older / Newer), filtered by user, action or number.

The paging buttons carry the filters and the page's edge (an event id) as their value, which is signed
for the button's action_id (`bot.slack.signing`): a client cannot edit it, and the click is checked for
the admin role again (`bot.slack.admin.actions`)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from bot.db.repositories.audit import AuditFilter, AuditRepository
from bot.errors import InputError
from bot.phones import mask
from bot.slack.admin.blocks import audit_message
from bot.slack.text import escape

if TYPE_CHECKING:
    from bot.container import Container

PAGE_SIZE = 20


class AuditQuery(BaseModel):
    actor: str | None = None
    action: str | None = None
    number: str | None = None  # E.164; the trail keeps numbers masked, so it matches by the last four
    before: int | None = None  # the page of events older than this id
    after: int | None = None  # the page of events newer than this id

    def where(self) -> AuditFilter:
        return AuditFilter(
            actor=self.actor,
            action=self.action,
            target_type="phone" if self.number else None,
            target_id=mask(self.number) if self.number else None,
        )

    def value(self, **edge: int) -> str:
        data = self.model_dump(exclude_none=True, exclude={"before", "after"}) | edge
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_value(cls, value: str | None) -> AuditQuery:
        try:
            return cls.model_validate(json.loads(value or ""))
        except (ValueError, ValidationError) as error:
            raise InputError("That button is out of date; run `/switchboard audit` again.") from error


async def audit_page(container: Container, team_id: str, query: AuditQuery) -> dict[str, Any]:
    async with container.sessions() as session:
        page = await AuditRepository(session, team_id).page(
            query.where(), limit=PAGE_SIZE, before_id=query.before, after_id=query.after
        )
    older = query.value(before=page.events[-1].id) if page.events and page.older else None
    newer = query.value(after=page.events[0].id) if page.events and page.newer else None
    return audit_message(
        page.events,
        title=title(query),
        older=older,
        newer=newer,
        first=query.before is None and query.after is None,
    )


def title(query: AuditQuery) -> str:
    parts = []
    if query.actor:
        parts.append(f"<@{query.actor}>")
    if query.action:
        parts.append(f"action `{escape(query.action)}`" + ("" if "." in query.action else " (and its kinds)"))
    if query.number:
        # The trail keeps numbers masked: every number with the same last four digits matches.
        parts.append(f"numbers ending {query.number[-4:]}")
    return "Audit trail" + (f" for {', '.join(parts)}" if parts else "")
