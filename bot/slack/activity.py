"""Audit events in words, as a person reads their own activity (App Home's "Recent activity").

"You texted a number ending in 0101", "<@U0ADMIN> linked <@U0AGENT> as agent", not `sms.accepted
+•••••••0101`. Users and channels are Slack mentions, so each reader's Slack shows their names; phone
numbers in the audit trail are masked when stored (`bot.phones.mask`), so they read as "a number ending
in 0101". An action without words here reads as its code, so nothing recorded is ever hidden.
"""

from __future__ import annotations

import re
from typing import Any

from bot.db.models import AuditEvent, SmsStatus
from bot.slack.text import escape

# What each action did, said of whoever did it ("{who} … {what}"); `{what}` is the target in words.
_DONE = {
    "sms.accepted": "texted {what}; the provider accepted it",
    "sms.sent": "texted {what}",
    "sms.pending": "texted {what}; not confirmed yet",
    "sms.delivered": "texted {what}; delivered",
    "sms.blocked": "tried to text {what}; the provider blocked it",
    "sms.undelivered": "texted {what}; not delivered",
    "sms.failed": "tried to text {what}; it was not sent",
    "sms.unknown": "texted {what}; whether it was sent is not known",
    "access.denied": "could not see {what}",
    "thread.taken": "took {what}",
    "thread.released": "released {what}",
    "thread.transferred": "transferred {what}",
    "thread.resolved": "resolved {what}",
    "thread.marked_read": "marked {what} read",
    "thread.marked_unread": "marked {what} unread",
    "thread.history": "opened the history of {what}",
    "user.linked": "linked {what}",
    "user.updated": "updated the link of {what}",
    "user.unlinked": "unlinked {what}",
    "connection.created": "connected {what}",
    "connection.updated": "updated the connection to {what}",
    "connection.keys_rotated": "re-encrypted the provider connections",
    "channel.mapped": "set up {what}",
    "channel.cleared": "cleared the settings of {what}",
    "workspace.installed": "installed Switchboard",
    "workspace.reinstalled": "installed Switchboard again",
    "workspace.uninstalled": "Switchboard was uninstalled",
    "workspace.tokens_revoked": "Switchboard's Slack tokens were revoked",
    "workspace.workflow_user_set": "made {what} the workflow service user",
    "workspace.workflow_user_cleared": "turned the workflow service user off",
}
# An outbox row's status as the person who sent it reads it.
_OUTCOMES = {"ok": "", "denied": "refused", "failed": "failed", "blocked": "blocked"}
_SLACK_ID = re.compile(r"[UWBC][A-Z0-9]{2,}")


def target_words(event: AuditEvent) -> str:
    """The event's target as people say it: a mention, "a number ending in 0101", "thread 5604…"."""
    kind, target = event.target_type or "", event.target_id or ""
    if not target:
        return "something"
    if kind == "phone":
        digits = re.sub(r"\D", "", target)
        return f"a number ending in {digits[-4:]}" if len(digits) >= 4 else "a number"
    if kind == "user" and _SLACK_ID.fullmatch(target):
        role = (event.details or {}).get("role")
        return f"<@{target}>" + (f" as {escape(role)}" if role and event.action == "user.linked" else "")
    if kind == "channel" and _SLACK_ID.fullmatch(target):
        return f"<#{target}>"
    if kind == "thread":
        return f"thread `{escape(target)}`"
    if kind == "connection":
        provider = target.split("/", 1)[0]
        return {"livevox": "LiveVox", "zoom": "Zoom", "routee": "Routee"}.get(provider, escape(provider))
    return f"{escape(kind)} `{escape(target)}`" if kind else f"`{escape(target)}`"


def event_words(event: AuditEvent, *, viewer: str | None = None) -> str:
    """One event as a sentence without its time: "You texted a number ending in 0101; the provider
    accepted it." (`viewer` is "You"), "<@U0ADMIN> linked <@U0AGENT> as agent."."""
    who = "You" if viewer and event.actor == viewer else _actor(event.actor)
    template = _DONE.get(event.action)
    what = target_words(event)
    if template is None:
        sentence = f"{who}: `{escape(event.action)}` {what}"
    elif template.startswith("Switchboard"):
        sentence = template
    else:
        sentence = f"{who} {template.format(what=what)}"
        if event.action == "access.denied":
            sentence += _attempt(event.details)
    outcome = _OUTCOMES.get(event.outcome, escape(event.outcome))
    if outcome and outcome not in sentence and event.action != "access.denied":
        sentence += f" ({outcome})"
    return sentence + "."


def _actor(actor: str) -> str:
    if _SLACK_ID.fullmatch(actor or ""):
        return f"<@{actor}>"
    return "Switchboard" if actor in ("", "system", "slack") else escape(actor)


def _attempt(details: dict[str, Any] | None) -> str:
    what = (details or {}).get("what")
    return f" with {escape(what)}" if isinstance(what, str) and what else ""


def status_words(status: SmsStatus, reason: str | None = None, provider: str | None = None) -> str:
    """An outbox row's status as a person says it (App Home's list of sends): plain text, not escaped."""
    by = f" by {provider}" if provider else ""
    because = f": {reason}" if reason else ""
    words = {
        SmsStatus.PENDING: "sending",
        SmsStatus.ACCEPTED: f"accepted{by}, not confirmed yet",
        SmsStatus.DELIVERED: "delivered",
        SmsStatus.BLOCKED: f"blocked{by}{because}",
        SmsStatus.UNDELIVERED: f"not delivered{because}",
        SmsStatus.FAILED: "failed",
        SmsStatus.UNKNOWN: "outcome unknown",
    }
    return words[status]
