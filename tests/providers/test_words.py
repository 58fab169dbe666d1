"""Each provider's vocabulary in plain words: known values read as people say them, unknown ones are kept."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.providers.livevox import words as livevox
from bot.providers.routee import words as routee
from bot.providers.zoom import words as zoom


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("SMS MT Delivered", "Delivered"),
        ("SMS MT Undelivered", "Not delivered"),
        ("SMS MT Blocked (DNC)", "Blocked: the number is on the do-not-contact list"),
        ("SMS MT Blocked (Opt-Out)", "Blocked: the customer opted out of SMS"),
        ("Operator Transfer", "Received, routed to an agent"),
        ("sms  mt delivered", "Delivered"),
        ("SMS MT Expired", "Expired"),  # unknown: the provider's word without its prefix
        ("Queued by carrier", "Queued by carrier"),
        (None, None),
        ("  ", None),
    ],
)
def test_livevox_message_statuses(raw: str | None, words: str | None) -> None:
    assert livevox.message_status(raw) == words


def test_livevox_code_kinds_and_agent_states() -> None:
    assert livevox.code_kind("Long_Code") == "long code (a 10-digit number)"
    assert livevox.code_kind("Short_Code") == "short code"
    assert livevox.code_kind("Main_Line") == "Main Line"
    assert livevox.code_kind(None) is None
    assert [livevox.agent_state(s) for s in ("READY", "NOTREADY", "LOGGED_OFF", "ON_BREAK", None)] == [
        "ready",
        "not ready",
        "logged off",
        "on break",
        None,
    ]


@pytest.mark.parametrize(
    ("raw", "direction", "words"),
    [
        ("completed", "inbound", "answered"),
        ("short_calls", "inbound", "short call"),
        ("hang_up_calls", "inbound", "hung up right after it was answered"),
        ("missed", "inbound", "missed"),
        ("missed", "outbound", "not answered"),
        ("declined", "outbound", "declined by the customer"),
        ("overflowed_to_inbox", None, "sent to the voicemail inbox"),
        ("brand_new_result", "inbound", "brand new result"),
        (None, "inbound", None),
    ],
)
def test_zoom_call_results(raw: str | None, direction: str | None, words: str | None) -> None:
    assert zoom.call_result(raw, direction) == words


def test_zoom_phone_and_engagements() -> None:
    assert zoom.phone_delivery("failed_to_deliver") == "Not delivered"
    assert zoom.phone_delivery("sent") == "Sent, delivery not confirmed"
    assert zoom.phone_delivery(None) is None
    assert zoom.message_type("GROUP_SMS") == "group SMS" and zoom.message_type(None) == "SMS"
    assert zoom.engagement_counts("inbound", 8, 1) == "1 message from the customer · 8 replies"
    assert (
        zoom.engagement_counts("outbound", 1, 0) == "1 message to the customer · 0 replies from the customer"
    )
    assert zoom.engagement_counts("inbound", None, 2) == "2 messages from the customer · 0 replies"


def test_routee_statuses() -> None:
    assert routee.tracking_status("Delivered") == "Delivered"
    assert routee.tracking_status("Sent") == "Sent, delivery not confirmed"
    assert routee.tracking_status("Rejected") == "Rejected"
    assert routee.tracking_status("") is None


@given(st.text(max_size=40))
def test_nothing_a_provider_says_is_lost(raw: str) -> None:
    for words in (livevox.message_status(raw), zoom.call_result(raw), zoom.phone_delivery(raw)):
        assert (words is None) == (not raw.strip())
    assert routee.tracking_status(raw) is None or routee.tracking_status(raw)
