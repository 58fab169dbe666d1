"""Audit events in words (App Home's "Recent activity")."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.db.models import AuditEvent
from bot.slack.activity import event_words


def _event(action: str, target_type: str | None, target_id: str | None, **extra: Any) -> AuditEvent:
    return AuditEvent(
        team_id="T1",
        actor=extra.pop("actor", "U0AGENT"),
        action=action,
        target_type=target_type,
        target_id=target_id,
        outcome=extra.pop("outcome", "ok"),
        details=extra.pop("details", {}),
        created_at=datetime(2026, 11, 30, tzinfo=UTC),
    )


def test_events_read_as_sentences_with_mentions() -> None:
    texted = _event("sms.accepted", "phone", "+•••••••0101")
    assert (
        event_words(texted, viewer="U0AGENT")
        == "You texted a number ending in 0101; the provider accepted it."
    )
    linked = _event("user.linked", "user", "U0NEW", actor="U0ADMIN", details={"role": "agent"})
    assert event_words(linked, viewer="U0AGENT") == "<@U0ADMIN> linked <@U0NEW> as agent."
    mapped = _event("channel.mapped", "channel", "C0DEMO", actor="U0ADMIN")
    assert event_words(mapped, viewer="U0ADMIN") == "You set up <#C0DEMO>."
    denied = _event("access.denied", "phone", "+•••••••0199", outcome="denied", details={"what": "/lookup"})
    assert event_words(denied, viewer="U0AGENT") == "You could not see a number ending in 0199 with /lookup."
    failed = _event("thread.taken", "thread", "5604", outcome="failed")
    assert event_words(failed, viewer="U0AGENT") == "You took thread `5604` (failed)."


def test_unknown_actions_and_outside_text_stay_visible_and_escaped() -> None:
    odd = _event("digest.sent", "channel", "<!channel>", actor="cli:ops")
    words = event_words(odd)
    assert "`digest.sent`" in words and "&lt;!channel&gt;" in words and "<!channel>" not in words
    assert words.startswith("cli:ops")
    assert event_words(_event("workspace.uninstalled", "workspace", "T1", actor="slack")) == (
        "Switchboard was uninstalled."
    )
