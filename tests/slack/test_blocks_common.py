"""The shared block builders and the history/calls/admin/connect messages: always valid Block Kit within
Slack's limits, whatever the providers or people put in them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.console.blockkit import validate_blocks, validate_view
from bot.db.models import AuditEvent, ChannelMapping, Provider, Role
from bot.services.calls import CallPage, CallRecord
from bot.services.compliance import ComplianceState
from bot.services.history import Event, NumberReport, OpenThread, SourceResult
from bot.services.identity import Identity
from bot.services.time_range import TimeRange
from bot.slack import ids
from bot.slack.admin.blocks import audit_message, channel_message, help_message, whoami_message
from bot.slack.admin.commands import parse_channel_set
from bot.slack.admin.connect_blocks import connect_modal, field_for_error, submitted_values
from bot.slack.blocks import limits
from bot.slack.blocks.common import actions, button, context, fit, header, message, section, to_dicts
from bot.slack.lookup.actions import parse_cursor
from bot.slack.lookup.blocks import calls_message, report_message
from bot.slack.signing import ValueSigner, configure_signing, signed_length
from bot.slack.text import ELLIPSIS

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
NASTY = "<!channel> <@U123> <https://evil|click> & < >"
LONG_NAME = ("Ñame " + NASTY)[:20] * 5  # 100 characters
HUGE_SMS = ("Please pay now " + NASTY + " ") * 200  # > 10,000 characters


def _check(payload: dict[str, Any]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = payload["blocks"]
    assert validate_blocks(blocks) == []
    assert len(blocks) <= limits.MESSAGE_BLOCKS
    for block in blocks:
        if block["type"] == "section":
            assert len(block.get("text", {}).get("text", "")) <= limits.SECTION_TEXT
        for element in [*(block.get("elements") or []), block.get("accessory") or {}]:
            if element.get("type") == "button":
                assert len(element["text"]["text"]) <= limits.BUTTON_TEXT
    assert len(payload["text"]) <= 3000
    return blocks


def _no_control_sequences(blocks: list[dict[str, Any]]) -> None:
    dumped = json.dumps(blocks, ensure_ascii=False)
    for raw in ("<!channel>", "<@U123>", "<https://evil|click>"):
        assert raw not in dumped


# ------------------------------------------------------------------------------------ builders


def test_header_is_clipped_to_150() -> None:
    block = header("H" * 500).to_dict()
    assert len(block["text"]["text"]) == limits.HEADER_TEXT and block["text"]["text"].endswith(ELLIPSIS)
    assert validate_blocks([block]) == []


def test_section_text_and_fields_are_clipped() -> None:
    block = section("s" * 10_000, fields=["f" * 5000] * 15).to_dict()
    assert len(block["text"]["text"]) == limits.SECTION_TEXT
    assert len(block["fields"]) == limits.SECTION_FIELDS
    assert all(len(f["text"]) == limits.FIELD_TEXT for f in block["fields"])
    assert validate_blocks([block]) == []


def test_section_without_text_has_only_fields() -> None:
    block = section("", fields=["a"]).to_dict()
    assert "text" not in block and block["fields"][0]["text"] == "a"


def test_button_label_and_value_fit() -> None:
    element = button("B" * 300, "act", "v" * 5000).to_dict()
    assert len(element["text"]["text"]) == limits.BUTTON_TEXT
    assert len(element["value"]) <= limits.BUTTON_VALUE
    signer = ValueSigner([b"k" * 32])
    configure_signing(signer)
    try:
        signed = button("B", "act", "v" * 5000).to_dict()["value"]
    finally:
        configure_signing(None)
    assert len(signed) == limits.BUTTON_VALUE  # signature included, within Slack's limit
    assert signer.verify("act", signed) == "v" * signed_length(limits.BUTTON_VALUE)
    assert "value" not in button("ok", "act").to_dict()
    block = actions(*[button(f"b{i}", f"a{i}") for i in range(40)]).to_dict()
    assert len(block["elements"]) == limits.ACTIONS_ELEMENTS
    assert validate_blocks([block]) == []


def test_context_keeps_at_most_ten_elements() -> None:
    block = context(*["c" * 4000] * 12).to_dict()
    assert len(block["elements"]) == limits.CONTEXT_ELEMENTS
    assert validate_blocks([block]) == []


@pytest.mark.parametrize("count", [0, 1, 49, 50])
def test_fit_leaves_messages_within_the_limit_alone(count: int) -> None:
    blocks: list[Any] = [section(str(i)) for i in range(count)]
    assert fit(blocks) == blocks


def test_fit_cuts_with_a_note() -> None:
    blocks: list[Any] = [section(str(i)) for i in range(120)]
    kept = to_dicts(fit(blocks))
    assert len(kept) == limits.MESSAGE_BLOCKS
    assert kept[-1]["type"] == "context" and "71 more not shown" in kept[-1]["elements"][0]["text"]
    custom = to_dicts(fit(blocks, 10, note="narrow the range"))
    assert len(custom) == 10 and custom[-1]["elements"][0]["text"] == "narrow the range"
    assert validate_blocks(kept) == []


def test_message_clips_the_fallback_text() -> None:
    payload = message([section("x")], "t" * 5000)
    assert len(payload["text"]) == 3000 and payload["blocks"][0]["type"] == "section"


# ----------------------------------------------------------------------------- history / calls


def _report(events: int, *, body: str = HUGE_SMS) -> NumberReport:
    span = TimeRange(NOW - timedelta(days=30), NOW)
    return NumberReport(
        number="+14155550100",
        range=span,
        events=[
            Event(
                NOW - timedelta(minutes=i),
                LONG_NAME,
                "sms" if i % 3 else "call",
                "inbound" if i % 2 else "outbound",
                f"{LONG_NAME} · queue {LONG_NAME}",
                text=body if i % 3 else None,
                status=LONG_NAME,
            )
            for i in range(events)
        ],
        sources=[
            SourceResult(LONG_NAME, "ok", 500),
            SourceResult("Zoom Phone", "failed", message=NASTY * 30),
            SourceResult("Routee", "not_connected"),
            SourceResult("LiveVox", "skipped", message=NASTY),
        ],
        compliance=ComplianceState(known=True, do_not_contact=True, sms_opted_in=False),
        threads=[OpenThread(f"{i}{NASTY}", LONG_NAME, LONG_NAME, False) for i in range(40)],
    )


@pytest.mark.parametrize("events", [0, 1, 30, 500])
@pytest.mark.parametrize("shared_by", [None, "U0SUPER"])
def test_report_message_is_always_valid(events: int, shared_by: str | None) -> None:
    blocks = _check(report_message(_report(events), title="Lookup", shared_by=shared_by))
    _no_control_sequences(blocks)
    dumped = json.dumps(blocks, ensure_ascii=False)
    assert ("Shared by <@U0SUPER>" in dumped) == bool(shared_by)
    assert (ids.ACTION_SHARE in dumped) != bool(shared_by)


def test_report_message_with_huge_unbroken_text() -> None:
    blocks = _check(report_message(_report(500, body="&" * 10_000), title="SMS logs"))
    for block in blocks:
        if block["type"] == "section":
            body = block["text"]["text"]
            assert "&am…" not in body and "&a…" not in body


def _calls(count: int, offset: int = 0, total: int | None = None) -> CallPage:
    return CallPage(
        calls=[
            CallRecord(
                at=NOW - timedelta(hours=i),
                direction="inbound" if i % 2 else NASTY,
                queue=LONG_NAME,
                agent=LONG_NAME,
                result="long_abandoned",
                duration_s=i * 61,
                recorded=bool(i % 2),
                engagement_id=f"e{i}",
            )
            for i in range(count)
        ],
        offset=offset,
        total=total if total is not None else offset + count,
        truncated=count >= 500,
    )


@pytest.mark.parametrize(
    ("count", "offset", "total"), [(0, 0, 0), (10, 0, 500), (500, 0, 500), (5, 495, 500)]
)
def test_calls_message_is_always_valid(count: int, offset: int, total: int) -> None:
    payload = calls_message(
        _calls(count, offset, total),
        "+14155550100",
        "2026-10-01..2026-10-31",
        range_label="2026-10-01 to 2026-10-31",
        page_id="pg1",
    )
    blocks = _check(payload)
    assert "2026-10-01 to 2026-10-31" in json.dumps(blocks[:2])  # the page says its range
    _no_control_sequences(blocks)
    more = [
        e
        for b in blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == ids.ACTION_CALLS_MORE
    ]
    if offset + count < total and len(blocks) < limits.MESSAGE_BLOCKS:
        assert json.loads(more[0]["value"]) == {
            "n": "+14155550100",
            "r": "2026-10-01..2026-10-31",
            "o": offset + count,
            "p": "pg1",
        }
    previous = [
        e
        for b in blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == ids.ACTION_CALLS_PREVIOUS
    ]
    if offset and len(blocks) < limits.MESSAGE_BLOCKS:  # a way back from every page after the first
        assert json.loads(previous[0]["value"])["o"] == max(offset - 10, 0)
    else:
        assert not previous
    shared = _check(
        calls_message(
            _calls(count, offset, total), "+14155550100", "7d", range_label="last 7 days", shared_by="U1"
        )
    )
    assert "actions" not in [b["type"] for b in shared]


# ---------------------------------------------------------------------------------------- admin


def _identity(role: Role | None = Role.AGENT, value: str = LONG_NAME) -> Identity:
    return Identity("T1", "U1", role, livevox_agent_id=value, livevox_login=value, zoom_user_id=value)


def test_help_message_is_valid_for_many_commands() -> None:
    groups = [(f"/cmd{i}: {LONG_NAME}", [f"`/cmd{i} {'x' * 200}`: {'y' * 200}"] * 20) for i in range(80)]
    blocks = _check(help_message(groups, _identity(Role.ADMIN)))
    assert "You are *admin*" in json.dumps(blocks) or "more not shown" in json.dumps(blocks)
    _check(help_message([("/a: b", [])], _identity(None)))


@pytest.mark.parametrize("role", [None, Role.AGENT, Role.ADMIN])
def test_whoami_message_escapes_provider_values(role: Role | None) -> None:
    blocks = _check(whoami_message(_identity(role, NASTY * 50)))
    _no_control_sequences(blocks)


def _audit(i: int) -> AuditEvent:
    return AuditEvent(
        team_id="T1",
        actor="U0ADMIN" if i % 2 else "cli:" + NASTY,
        action="connection.updated" + NASTY,
        target_type="connection" + NASTY,
        target_id=f"zoom/{NASTY}{i}",
        outcome="ok" if i % 3 else "denied" + NASTY,
        details={},
        created_at=NOW - timedelta(minutes=i),
    )


@pytest.mark.parametrize("count", [0, 1, 40, 500])
def test_audit_message_is_always_valid(count: int) -> None:
    events = [_audit(i) for i in range(count)]
    for event in events[::2]:  # refusals show what was attempted: outside text, escaped
        event.action = "access.denied"
        event.details = {"what": NASTY, "attempted": NASTY * 10, "reason": NASTY}
    blocks = _check(audit_message(events, title="Audit trail", older="{}", newer="{}" if count else None))
    _no_control_sequences(blocks)


def test_channel_message_shows_a_mapping_or_its_absence() -> None:
    mapping = ChannelMapping(
        team_id="T1",
        channel_id="C1",
        livevox_service_id="100915",
        livevox_inbox=NASTY * 40,
        zoom_queue_ids=[f"q{i}{NASTY}" for i in range(60)],
        sms_sender_code=NASTY,
        alerts_enabled=False,
    )
    blocks = _check(channel_message("C1", mapping, note="Saved. "))
    _no_control_sequences(blocks)
    dumped = json.dumps(blocks)
    assert "Saved. *Channel <#C1>*" in dumped and "*Alerts*\\noff" in dumped
    empty = _check(channel_message("C1", None))
    assert "is not mapped" in json.dumps(empty)


def test_parse_channel_set() -> None:
    change = parse_channel_set(["inbox=100915", "queues=a,b,a", "sender=Acme", "ALERTS=Off"])
    assert (change.service_id, change.queue_ids, change.sender_code, change.alerts) == (
        "100915",
        ["a", "b"],
        "Acme",
        False,
    )


# -------------------------------------------------------------------------------------- connect


@pytest.mark.parametrize("provider", list(Provider))
@pytest.mark.parametrize("existing", [False, True])
def test_connect_modal_is_a_valid_view_and_never_prefills_secrets(provider: Provider, existing: bool) -> None:
    secretish = {"client_secret": "S1", "access_token": "S2", "password": "S3", "app_secret": "S4"}
    view = connect_modal(
        provider,
        channel_id="C1",
        initial={"plan": "business", "environment": "NA4", "api_url": "u" * 3000, **secretish},
        existing=existing,
    )
    assert validate_view(view) == []
    assert view["callback_id"] == ids.VIEW_CONNECT
    assert json.loads(view["private_metadata"]) == {"provider": provider.value, "channel": "C1"}
    dumped = json.dumps(view)
    for secret in secretish.values():
        assert f'"{secret}"' not in dumped
    hints = [b["hint"]["text"] for b in view["blocks"] if b.get("hint")]
    assert hints and all("never shown again" in h for h in hints)


def test_connect_values_and_errors_map_to_blocks() -> None:
    state = {
        "account_id": {"account_id": {"type": "plain_text_input", "value": "a"}},
        "client_id": {"client_id": {"type": "plain_text_input", "value": None}},
        "plan": {"plan": {"type": "static_select", "selected_option": {"value": "pro"}}},
        "elsewhere": {"x": {"type": "plain_text_input", "value": "ignored"}},
    }
    assert submitted_values(Provider.ZOOM, state) == {"account_id": "a", "plan": "pro"}
    assert field_for_error(Provider.ZOOM, "zoom: Client ID (client_id) is required") == "client_id"
    assert field_for_error(Provider.ZOOM, "zoom: plan must be one of pro, business, not 'x'") == "plan"
    assert field_for_error(Provider.ROUTEE, "routee: app_secret is not valid") == "app_secret"
    assert field_for_error(Provider.LIVEVOX, "livevox: Environment (environment) is required") == (
        "environment"
    )
    assert field_for_error(Provider.ZOOM, "something else") is None


# ---------------------------------------------------------------------------------------- share


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('{"k": "lookup", "n": "+1415", "r": "7d"}', {"k": "lookup", "n": "+1415", "r": "7d", "o": 0}),
        ('{"k": "calls", "n": "+1415", "r": "", "o": 10}', {"k": "calls", "n": "+1415", "r": None, "o": 10}),
        ("share", None),
        ('{"k": "drop table", "n": "+1"}', None),
        ('{"k": "sms", "n": "1415"}', None),
        ('{"k": "calls", "n": "+1", "o": -1}', None),
        ("[1]", None),
        (None, None),
    ],
)
def test_parse_cursor(value: str | None, expected: dict[str, Any] | None) -> None:
    assert parse_cursor(value) == expected


@pytest.mark.parametrize(("events", "said"), [(31, "…and 1 older event;"), (32, "…and 2 older events;")])
def test_a_report_counts_the_events_it_leaves_out_in_words(events: int, said: str) -> None:
    text = json.dumps(
        report_message(_report(events, body="hi"), title="Lookup")["blocks"], ensure_ascii=False
    )
    assert said in text
