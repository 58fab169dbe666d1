"""Merging Switchboard's outbox into a timeline: each message once, with who sent it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.db.models import Provider, SmsMessage, SmsStatus
from bot.services.access import partly_shown
from bot.services.history import LIVEVOX, ROUTEE, SWITCHBOARD, Event, merge_outbox

AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def row(provider: Provider, body: str | None, message_id: str | None, at: datetime = AT) -> SmsMessage:
    return SmsMessage(
        team_id="T",
        slack_user_id="U0AGENT",
        to_number="+14155550101",
        provider=provider,
        body=body,
        provider_message_id=message_id,
        status=SmsStatus.ACCEPTED,
        idempotency_key=f"{provider}:{body}:{message_id}",
        created_at=at,
    )


def sms(provider: str, text: str, provider_id: str | None, at: datetime = AT) -> Event:
    return Event(at, provider, "sms", "outbound", "", text=text, provider_id=provider_id)


def test_a_provider_record_with_the_same_id_gains_who_sent_it() -> None:
    events = [sms(LIVEVOX, "Hello", "561"), sms(LIVEVOX, "Hello", "562", AT + timedelta(minutes=1))]
    merged = merge_outbox(events, [row(Provider.LIVEVOX, "Hello", "562")])
    assert len(merged) == 2
    assert [(e.provider_id, e.sent_by) for e in merged] == [("562", "U0AGENT"), ("561", None)]


def test_without_an_id_the_same_body_close_in_time_is_the_same_message() -> None:
    events = [sms(ROUTEE, "Your  code\nis 1", None, AT + timedelta(minutes=2))]
    merged = merge_outbox(events, [row(Provider.ROUTEE, "Your code is 1", "other-id")])
    assert len(merged) == 1 and merged[0].provider == ROUTEE and merged[0].sent_by == "U0AGENT"


def test_another_provider_or_a_distant_time_is_another_message() -> None:
    events = [sms(ROUTEE, "Hi", None), sms(LIVEVOX, "Hi", None, AT - timedelta(hours=2))]
    merged = merge_outbox(events, [row(Provider.LIVEVOX, "Hi", None)])
    assert len(merged) == 3
    mine = [e for e in merged if e.provider == SWITCHBOARD]
    assert len(mine) == 1 and mine[0].sent_by == "U0AGENT" and mine[0].text == "Hi"
    assert "accepted" in (mine[0].status or "")
    assert [e.at for e in merged] == sorted((e.at for e in merged), reverse=True)


def test_one_provider_record_answers_for_one_outbox_row() -> None:
    merged = merge_outbox(
        [sms(LIVEVOX, "Same", None)],
        [row(Provider.LIVEVOX, "Same", None), row(Provider.LIVEVOX, "Same", None, AT + timedelta(seconds=5))],
    )
    assert sorted(e.provider for e in merged) == [LIVEVOX, SWITCHBOARD]


def test_refusals_show_a_number_partly() -> None:
    assert partly_shown("+14155550199") == "+1 415 ••• 0199"
    assert partly_shown("+442079460958") == "+44 20 ••• 0958"
