"""Sending SMS end to end: /sms send (card and modal), the modal's live previews and validation, the
lists, /sms logs, both shortcuts, the lookup card's button, permissions and provider failures."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from bot.console.emulator import Message, View
from bot.db.models import SmsMessage, SmsStatus
from bot.db.repositories import SmsMessageRepository
from bot.services.demo import TEAM_ID
from bot.slack import ids
from bot.slack.payloads import recall
from bot.slack.sms.blocks import BLOCK_SEGMENTS, BLOCK_TEMPLATE_PREVIEW
from bot.slack.sms.jobs import SendModalContext
from tests.e2e.conftest import Harness

CLEAN = "+14155550100"
CLEAN_2 = "+14155550101"
DNC = "+14155550102"


def _text(message: object) -> str:
    return str(getattr(message, "text", "")) + json.dumps(
        getattr(message, "blocks", message), ensure_ascii=False
    )


def _lv_sent(slack: Harness, number: str, text: str | None = None) -> list[Any]:
    """Outbound LiveVox messages to `number` in the sandbox's world (optionally with exactly `text`)."""
    world = slack.container.sandbox.app.state.world
    digits = number.lstrip("+")
    return [
        m
        for m in world.lv_messages
        if m.phone == digits and m.direction == 2 and (text is None or m.message == text)
    ]


def _card_texts(slack: Harness) -> list[str]:
    """Everything posted to response_urls, in order (each replaced the card the one before it showed)."""
    return [json.dumps(post.body, ensure_ascii=False) for post in slack.emulator.response_posts]


async def _rows(slack: Harness) -> list[SmsMessage]:
    async with slack.container.sessions() as session:
        return list(reversed(await SmsMessageRepository(session, TEAM_ID).recent(limit=50)))


def _view(slack: Harness, user: str = "U0AGENT") -> View:
    view = slack.driver.current_view(user)
    assert view is not None
    return view


def _block(view: View, block_id: str) -> dict[str, Any]:
    return next(b for b in view.blocks if b.get("block_id") == block_id)


async def _card(slack: Harness, text: str, user: str = "U0AGENT") -> Message:
    response = await slack.driver.command("/sms", text, user=user)
    assert response.status == 200
    await slack.driver.settle()
    card = slack.driver.last_response(user)
    assert card is not None
    return card


async def _modal(slack: Harness, text: str = f"send {CLEAN_2}", user: str = "U0AGENT") -> View:
    response = await slack.driver.command("/sms", text, user=user)
    assert response.status == 200 and response.body.strip() == ""
    await slack.driver.settle()  # the follow-up fills in codes and templates
    view = slack.driver.current_view(user)
    assert view is not None and view.callback_id == ids.VIEW_SEND_SMS
    return view


# ------------------------------------------------------------------------------- /sms send <text>


async def test_send_with_text_previews_then_sends_once_even_on_a_double_click(slack: Harness) -> None:
    body = "Hi <!channel> <@U123> <https://x|y> & < >"
    card = await _card(slack, f"send (415) 555-0100 {body}")
    text = _text(card)
    assert "Send this SMS?" in text and "+1 415-555-0100" in text
    assert "&lt;!channel&gt; &lt;@U123&gt; &lt;https://x|y&gt; &amp; &lt; &gt;" in text  # shows literally
    assert "+1 415-555-0150" in text  # the channel's default sender, as a number reads
    assert "GSM-7" in text and "1 segment" in text
    assert not _lv_sent(slack, CLEAN, body)  # nothing is sent before Send

    send = slack.driver.find_element(card, action_id=ids.ACTION_SEND_CONFIRM)
    clicks = [slack.driver.block_actions_payload(card, send, user="U0AGENT") for _ in range(2)]
    await asyncio.gather(*(slack.driver.send_payload(p) for p in clicks))
    await slack.driver.settle()

    assert len(_lv_sent(slack, CLEAN, body)) == 1
    outcome = slack.driver.last_response("U0AGENT")
    assert outcome is not None and outcome.ts == card.ts  # updated in place
    # Accepted first (never "sent" or "delivered" on the provider's word alone), then the delivery record.
    accepted, final = _card_texts(slack)[-2:]
    assert "Accepted by LiveVox, not confirmed yet" in accepted and "Delivered" not in accepted
    assert "Delivered to +1 415-555-0100" in final and "LiveVox id" in final
    assert "Delivered to +1 415-555-0100" in _text(outcome)
    assert not [b for b in outcome.blocks if b.get("type") == "actions"]
    [row] = await _rows(slack)
    assert row.status is SmsStatus.DELIVERED and row.to_number == CLEAN and row.body == body
    assert row.provider_message_id == _lv_sent(slack, CLEAN, body)[0].id
    assert ("U0AGENT", "sms.accepted", "ok") in await slack.audit_actions()


async def test_cancel_sends_nothing(slack: Harness) -> None:
    card = await _card(slack, f"send {CLEAN} never mind")
    await slack.driver.click(card, action_id=ids.ACTION_SEND_CANCEL)
    await slack.driver.settle()
    answer = slack.driver.last_response("U0AGENT")
    assert answer is not None and "Cancelled" in _text(answer)
    assert not _lv_sent(slack, CLEAN, "never mind")
    assert await _rows(slack) == []


async def test_preview_warns_about_a_do_not_contact_number(slack: Harness) -> None:
    card = await _card(slack, f"send {DNC} hello")
    assert "Do not contact" in _text(card)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("send call-me-maybe hello", "not a phone number"),
        ("send", "Usage: `/sms send &lt;number&gt; [message] [--at"),
        (f"send {CLEAN} " + "a" * 1601, "limit is 1600"),
        (f"send {CLEAN} " + "😀" * 400, "SMS segments"),
    ],
)
async def test_send_input_errors_are_ephemeral_and_immediate(
    slack: Harness, text: str, expected: str
) -> None:
    response = await slack.driver.command("/sms", text, user="U0AGENT")
    assert response.status == 200 and expected in response.body
    await slack.driver.settle()
    assert await _rows(slack) == []


# ---------------------------------------------------------------------------------- the modal


async def test_send_without_text_opens_the_modal_and_a_template_is_sent(slack: Harness) -> None:
    view = await _modal(slack)
    recipient = _block(view, ids.INPUT_RECIPIENT[0])
    assert recipient["element"]["initial_value"] == "+1 415-555-0101"
    sender = _block(view, ids.INPUT_SENDER[0])["element"]
    assert sender["initial_option"]["value"] == "14155550150"
    # The metadata names the modal's context kept on the server, for this person only.
    kept = await recall(slack.container, TEAM_ID, "U0AGENT", view.private_metadata, SendModalContext)
    assert kept is not None and kept.channel_id == "C0DEMO"
    assert "C0DEMO" not in view.private_metadata

    await slack.driver.click(view, action_id=ids.INPUT_TEMPLATE[1], value="payment_received")
    await slack.driver.settle()
    view = _view(slack)
    preview = _text(_block(view, BLOCK_TEMPLATE_PREVIEW))
    assert "We received your payment. Thank you!" in preview and "1 segment" in preview

    response = await slack.driver.submit(view, {ids.INPUT_TEMPLATE[0]: "payment_received"})
    assert response.status == 200 and not response.errors
    await slack.driver.settle()
    assert len(_lv_sent(slack, CLEAN_2, "We received your payment. Thank you!")) == 1
    [row] = await _rows(slack)
    assert row.status is SmsStatus.DELIVERED and row.template_id == "75961"
    # An ephemeral cannot be edited: the outcome comes as "accepted", then the delivery record after it.
    accepted, told = slack.emulator.ephemerals("C0DEMO", "U0AGENT")[-2:]
    assert "Accepted by LiveVox, not confirmed yet: checking" in _text(accepted)
    assert "Delivered to +1 415-555-0101" in _text(told)


async def test_typing_in_the_modal_updates_the_segment_count(slack: Harness) -> None:
    view = await _modal(slack)
    await slack.driver.click(view, action_id=ids.INPUT_MESSAGE[1], value="x" * 161)
    await slack.driver.settle()
    view = _view(slack)
    assert "2 segments" in _text(_block(view, BLOCK_SEGMENTS))
    await slack.driver.click(view, action_id=ids.INPUT_MESSAGE[1], value="€uro 😀")
    await slack.driver.settle()
    view = _view(slack)
    assert "UCS-2" in _text(_block(view, BLOCK_SEGMENTS))


@pytest.mark.parametrize(
    ("values", "block", "expected"),
    [
        ({ids.INPUT_RECIPIENT[0]: "call-me-maybe", ids.INPUT_MESSAGE[0]: "hi"}, "recipient", "phone"),
        ({ids.INPUT_TEMPLATE[0]: "callback", ids.INPUT_MESSAGE[0]: "hi"}, "message", "not both"),
        ({}, "message", "Write a message"),
        ({ids.INPUT_MESSAGE[0]: "😀" * 400}, "message", "segments"),
    ],
)
async def test_modal_validation_marks_the_right_block(
    slack: Harness, values: dict[str, str], block: str, expected: str
) -> None:
    view = await _modal(slack)
    response = await slack.driver.submit(view, values, check=False)
    assert block in response.errors and expected in response.errors[block]
    await slack.driver.settle()
    assert await _rows(slack) == []


# --------------------------------------------------------------------------------- the lists


async def test_templates_codes_and_logs(slack: Harness) -> None:
    await slack.driver.command("/sms", "templates", user="U0AGENT")
    await slack.driver.settle()
    answer = slack.driver.last_response("U0AGENT")
    assert answer is not None and "payment_received" in _text(answer)

    await slack.driver.command("/sms", "codes", user="U0AGENT")
    await slack.driver.settle()
    answer = slack.driver.last_response("U0AGENT")
    assert (
        answer is not None and "14155550150" in _text(answer) and "default in this channel" in _text(answer)
    )

    await slack.driver.command("/sms", f"logs {DNC} 30d", user="U0SUPER")
    await slack.driver.settle()
    answer = slack.driver.last_response("U0SUPER")
    assert answer is not None
    assert "SMS logs: +1 415-555-0102" in _text(answer) and "calls" not in _text(answer).split("✓")[0]


# ------------------------------------------------------------------------------ shortcuts, buttons


async def test_global_shortcut_opens_the_modal_and_the_outcome_comes_as_a_dm(slack: Harness) -> None:
    await slack.driver.shortcut(ids.SHORTCUT_SEND_SMS, user="U0AGENT")
    await slack.driver.settle()
    view = slack.driver.current_view("U0AGENT")
    assert view is not None and view.callback_id == ids.VIEW_SEND_SMS
    await slack.driver.submit(
        view, {ids.INPUT_RECIPIENT[0]: "415 555 0100", ids.INPUT_MESSAGE[0]: "From the menu"}
    )
    await slack.driver.settle()
    assert len(_lv_sent(slack, CLEAN, "From the menu")) == 1
    posts = [c for c in slack.emulator.calls_to("chat.postMessage") if c.ok]
    assert posts and posts[-1].args["channel"] == "U0AGENT"
    assert "Accepted by LiveVox, not confirmed yet" in json.dumps(posts[-1].args, ensure_ascii=False)
    # The DM is the one message that says what became of it: updated with the delivery record.
    [update] = [c for c in slack.emulator.calls_to("chat.update") if c.ok]
    assert update.args["ts"] == posts[-1].response["ts"]
    assert "Delivered to +1 415-555-0100" in json.dumps(update.args, ensure_ascii=False)


async def test_message_shortcut_takes_the_first_number(slack: Harness) -> None:
    await slack.driver.message_shortcut(
        ids.SHORTCUT_TEXT_NUMBER, "Customer asked for a call back at (415) 555-0101 or 415-555-0100"
    )
    await slack.driver.settle()
    view = _view(slack)
    assert _block(view, ids.INPUT_RECIPIENT[0])["element"]["initial_value"] == "+1 415-555-0101"


async def test_message_shortcut_without_a_number_says_so(slack: Harness) -> None:
    await slack.driver.message_shortcut(ids.SHORTCUT_TEXT_NUMBER, "no digits to see here")
    await slack.driver.settle()
    answer = slack.driver.last_response("U0AGENT")
    assert answer is not None and "found no phone number" in _text(answer)
    assert slack.driver.current_view("U0AGENT") is None


async def test_lookup_cards_text_this_number_opens_the_modal(slack: Harness) -> None:
    await slack.driver.command("/lookup", DNC, user="U0SUPER")
    await slack.driver.settle()
    card = slack.driver.last_response("U0SUPER")
    assert card is not None
    await slack.driver.click(card, action_id=ids.ACTION_HOME_SEND)
    await slack.driver.settle()
    view = slack.driver.current_view("U0SUPER")
    assert view is not None and view.callback_id == ids.VIEW_SEND_SMS
    assert _block(view, ids.INPUT_RECIPIENT[0])["element"]["initial_value"] == "+1 415-555-0102"


# ------------------------------------------------------------------------------------ permissions


async def test_unlinked_user_is_denied_everywhere(slack: Harness) -> None:
    slack.emulator.add_user("U0NEW", "newbie", real_name="New Person")
    response = await slack.driver.command("/sms", f"send {CLEAN} hello", user="U0NEW")
    assert "not linked" in response.body
    await slack.driver.shortcut(ids.SHORTCUT_SEND_SMS, user="U0NEW")
    await slack.driver.message_shortcut(ids.SHORTCUT_TEXT_NUMBER, f"call {CLEAN}", user="U0NEW")
    await slack.driver.settle()
    assert slack.driver.current_view("U0NEW") is None
    denials = [a for a in await slack.audit_actions() if a == ("U0NEW", "access.denied", "denied")]
    assert len(denials) == 3
    assert await _rows(slack) == []


async def test_admin_without_agent_login_sends_transactionally(slack: Harness) -> None:
    card = await _card(slack, f"send {CLEAN} From the service", user="U0ADMIN")
    # Checked through the team's agents' inboxes (LiveVox reads threads for agents only).
    assert "could not be checked" not in _text(card) and "Opted in to SMS" in _text(card)
    await slack.driver.click(card, action_id=ids.ACTION_SEND_CONFIRM)
    await slack.driver.settle()
    [sent] = _lv_sent(slack, CLEAN, "From the service")
    assert sent.agent_id is None  # LiveVox's transactional send, not an agent's
    # LiveVox keeps delivery records only in agents' history: nothing can confirm it, and all say so.
    outcome = _text(slack.driver.last_response("U0ADMIN"))
    assert "Accepted by LiveVox, not confirmed yet" in outcome and "agents' transaction history" in outcome
    assert f"/sms logs {CLEAN}" in outcome and "checking" not in outcome
    [row] = await _rows(slack)
    assert row.status is SmsStatus.ACCEPTED and row.status_reason and "agents" in row.status_reason
    assert ("U0ADMIN", "sms.unconfirmed", "unconfirmed") in await slack.audit_actions()


# ---------------------------------------------------------------------------------- provider faults


async def _faults(slack: Harness, spec: str) -> None:
    """Switch the in-process LiveVox simulator's faults on from now (see `bot.sandbox.faults`)."""
    from bot.sandbox.faults import coerce_spec

    await slack.container.providers.for_team(TEAM_ID)  # the registry builds the sandbox lazily
    sandbox = slack.container.sandbox.app
    sandbox.state.injectors["livevox"].config = coerce_spec(spec).for_provider("livevox")


async def test_provider_error_fails_clearly(slack: Harness) -> None:
    await _faults(slack, "livevox:error_rate=1")
    card = await _card(slack, f"send {CLEAN} hello")
    assert "could not be asked" in _text(card)  # the compliance check failed; sending is still offered
    await slack.driver.click(card, action_id=ids.ACTION_SEND_CONFIRM)
    await slack.driver.settle()
    outcome = slack.driver.last_response("U0AGENT")
    assert outcome is not None and "Failed: LiveVox" in _text(outcome)
    [row] = await _rows(slack)
    assert row.status is SmsStatus.FAILED and row.error and row.error.startswith("LiveVox")
    assert ("U0AGENT", "sms.failed", "failed") in await slack.audit_actions()


async def test_dropped_send_is_unknown_and_never_resent(slack: Harness) -> None:
    card = await _card(slack, f"send {CLEAN} hello")  # the agent's LiveVox session is logged in here
    await _faults(slack, "livevox:drop_rate=1")  # ...and the send itself gets no answer
    send = slack.driver.find_element(card, action_id=ids.ACTION_SEND_CONFIRM)
    click = slack.driver.block_actions_payload(card, send, user="U0AGENT")
    await slack.driver.send_payload(click)
    await slack.driver.settle()
    outcome = slack.driver.last_response("U0AGENT")
    assert outcome is not None and "Outcome unknown" in _text(outcome) and "/sms logs" in _text(outcome)
    [row] = await _rows(slack)
    assert row.status is SmsStatus.UNKNOWN
    injector = slack.container.sandbox.app.state.injectors["livevox"]
    requests = injector.requests

    # The same click delivered again, and the follow-up run again: no request, one row, still unknown.
    await slack.driver.send_payload(click)
    from bot.jobs.contract import Envelope
    from bot.slack.payloads import recall
    from bot.slack.signing import verify_value
    from bot.slack.sms.jobs import Draft, SmsConfirmJob, confirm

    token = verify_value(ids.ACTION_SEND_CONFIRM, send.element["value"])
    assert token is not None
    draft = await recall(slack.container, TEAM_ID, "U0AGENT", token, Draft)
    assert draft is not None
    envelope = Envelope(team_id=TEAM_ID, user_id="U0AGENT", response_url=click["response_url"], origin="test")
    await confirm(SmsConfirmJob(envelope=envelope, draft=draft), slack.container)
    await slack.driver.settle()
    assert injector.requests == requests
    [row] = await _rows(slack)
    assert row.status is SmsStatus.UNKNOWN
    assert [a for a in await slack.audit_actions() if a[1].startswith("sms.")] == [
        ("U0AGENT", "sms.unknown", "unknown")
    ]


# ------------------------------------------------------------------------------ delivery records

OPTED_OUT = "+14155550103"


async def _audit(slack: Harness, action: str) -> list[Any]:
    from bot.db.repositories import AuditRepository

    async with slack.container.sessions() as session:
        events = await AuditRepository(session, TEAM_ID).recent(limit=200)
    return [e for e in events if e.action == action]


def _home(slack: Harness) -> str:
    home = slack.driver.home("U0AGENT")
    assert home is not None
    return json.dumps(home.blocks, ensure_ascii=False)


async def _send_card(slack: Harness, number: str, body: str) -> Message:
    card = await _card(slack, f"send {number} {body}")
    await slack.driver.click(card, action_id=ids.ACTION_SEND_CONFIRM)
    await slack.driver.settle()  # the send, then the delivery check(s)
    outcome = slack.driver.last_response("U0AGENT")
    assert outcome is not None and outcome.ts == card.ts
    return outcome


async def _promote(slack: Harness, user: str = "U0AGENT") -> None:
    """Make a linked agent (with their LiveVox login) an admin, who may override Do-Not-Contact."""
    from bot.db.models import Role
    from bot.db.repositories import UserMappingRepository
    from bot.db.session import transaction

    async with transaction(slack.container.sessions) as session:
        row = await UserMappingRepository(session, TEAM_ID).get(user)
        assert row is not None
        row.role = Role.ADMIN
    slack.container.identities.forget(TEAM_ID, user)


async def test_a_blocked_send_ends_blocked_on_the_card_the_outbox_and_the_audit(slack: Harness) -> None:
    # Switchboard refuses a Do-Not-Contact number itself; an admin's override sends it, and LiveVox's own
    # block is then what the card, the outbox and the audit tell.
    number, reason, raw = DNC, "the number is on the Do-Not-Contact list", "SMS MT Blocked (DNC)"
    await _promote(slack)
    card = await _card(slack, f"send {number} Hello")
    assert "Will not be sent" in _text(card) and "Do-Not-Contact" in _text(card)
    await slack.driver.click(card, action_id=ids.ACTION_SEND_OVERRIDE)
    await slack.driver.settle()
    await slack.driver.submit(
        _view(slack),
        {
            ids.INPUT_OVERRIDE_REASON[0]: "Customer called and asked for the link",
            ids.INPUT_OVERRIDE_CONFIRM[0]: "confirm",
        },
    )
    await slack.driver.settle()
    outcome = slack.driver.last_response("U0AGENT")
    assert outcome is not None and outcome.ts == card.ts
    assert len(_lv_sent(slack, number, "Hello")) == 1
    # The answer right after LiveVox accepted it says only that; the delivery record then replaces it.
    accepted = next(t for t in _card_texts(slack) if "Accepted" in t)
    assert "Accepted by LiveVox, not confirmed yet" in accepted
    assert "Sent" not in accepted and "Delivered" not in accepted
    final = _text(outcome)
    assert f"Blocked by LiveVox: {reason}" in final and "did not reach" in final and raw in final
    assert "Sent ✓" not in final and "Delivered" not in final
    [row] = await _rows(slack)
    assert row.status is SmsStatus.BLOCKED and row.status_reason == reason and row.status_checked_at
    [event] = await _audit(slack, "sms.blocked")
    assert event.actor == "U0AGENT" and event.outcome == "blocked"
    assert event.details["reason"] == reason and event.details["provider_status"] == raw
    assert not await _audit(slack, "sms.delivered")
    assert len(await _audit(slack, "sms.accepted")) == 1
    [override] = await _audit(slack, "sms.override")
    assert override.details["reason"] == "Customer called and asked for the link"

    # App Home's list of sends tells the same.
    await slack.driver.open_home("U0AGENT")
    await slack.driver.settle()
    home = _home(slack)
    assert f"blocked: {reason}" in home and "accepted" not in home.split("SMS you sent")[1]


async def test_a_clean_number_ends_delivered(slack: Harness) -> None:
    outcome = await _send_card(slack, CLEAN_2, "Your order shipped")
    assert "Delivered to +1 415-555-0101" in _text(outcome) and "SMS MT Delivered" in _text(outcome)
    [row] = await _rows(slack)
    assert row.status is SmsStatus.DELIVERED and row.status_reason is None
    [event] = await _audit(slack, "sms.delivered")
    assert event.outcome == "ok" and event.details["provider_message_id"] == row.provider_message_id


async def test_a_provider_that_never_reports_ends_not_confirmed_with_how_to_check(
    make_harness: Any,
) -> None:
    # LiveVox keeps the message "SMS MT Sent" for an hour; Switchboard looks three times, then says so.
    async with make_harness(
        sandbox_delivery_seconds=3600, sms_delivery_first_check_seconds=0.05, sms_delivery_checks=3
    ) as slack:
        outcome = await _send_card(slack, CLEAN, "Anyone there?")
        final = _text(outcome)
        assert "Accepted by LiveVox, not confirmed yet" in final and "checking" not in final
        assert "LiveVox had not reported its delivery after" in final
        assert f"/sms logs {CLEAN}" in final and "SMS MT Sent" in final
        [row] = await _rows(slack)
        assert row.status is SmsStatus.ACCEPTED and row.status_reason
        assert "not reported" in row.status_reason
        [event] = await _audit(slack, "sms.unconfirmed")
        assert event.outcome == "unconfirmed"
        assert not await _audit(slack, "sms.delivered") and not await _audit(slack, "sms.blocked")
        await slack.driver.open_home("U0AGENT")
        await slack.driver.settle()
        home = _home(slack)
        assert "accepted, not confirmed yet" in home


async def test_a_modal_send_to_an_opted_out_number_is_refused_and_told(slack: Harness) -> None:
    view = await _modal(slack, f"send {OPTED_OUT}")
    await slack.driver.submit(view, {ids.INPUT_MESSAGE[0]: "Hi Robert, following up"})
    await slack.driver.settle()
    told = slack.emulator.ephemerals("C0DEMO", "U0AGENT")[-1]
    assert "Not sent to +1 415-555-0103" in _text(told) and "not opted in to SMS" in _text(told)
    assert not _lv_sent(slack, OPTED_OUT, "Hi Robert, following up")
    assert await _rows(slack) == []
    [event] = [e for e in await _audit(slack, "sms.refused") if e.details["stage"] == "send"]
    assert event.actor == "U0AGENT" and event.outcome == "refused"
    assert "not_opted_in" in event.details["reasons"]


# ----------------------------------------------------------------------------- the form's warnings


async def test_the_send_form_shows_the_preview_cards_warnings(slack: Harness) -> None:
    card = await _card(slack, f"send {DNC} hello")
    view = await _modal(slack, f"send {DNC}")
    from bot.slack.sms.blocks import BLOCK_COMPLIANCE

    warning = _block(view, BLOCK_COMPLIANCE)
    assert "Will not be sent: LiveVox has this number on the Do-Not-Contact list" in _text(warning)
    assert "LiveVox has this number on the Do-Not-Contact list" in _text(card)

    # A number typed into the form is checked when Enter is pressed.
    await slack.driver.click(view, action_id=ids.INPUT_RECIPIENT[1], value="415 555 0103")
    await slack.driver.settle()
    warning = _block(_view(slack), BLOCK_COMPLIANCE)
    assert "not opted in to SMS" in _text(warning) and "Do-Not-Contact" not in _text(warning)
    await slack.driver.click(_view(slack), action_id=ids.INPUT_RECIPIENT[1], value="415 555 0100")
    await slack.driver.settle()
    assert "No Do-Not-Contact or opt-out flag" in _text(_block(_view(slack), BLOCK_COMPLIANCE))


async def test_a_clean_number_in_the_form_says_so(slack: Harness) -> None:
    from bot.slack.sms.blocks import BLOCK_COMPLIANCE

    view = await _modal(slack, f"send {CLEAN}")
    assert "No Do-Not-Contact or opt-out flag on +1 415-555-0100" in _text(_block(view, BLOCK_COMPLIANCE))


# ------------------------------------------------------------------ a template from another sender


async def test_a_template_from_a_sender_code_the_agent_lacks_says_so_and_is_refused(slack: Harness) -> None:
    # "appointment" sends from 14155550153 (the Appointments service); Jordan Rivera is not in it.
    view = await _modal(slack)
    await slack.driver.click(view, action_id=ids.INPUT_TEMPLATE[1], value="appointment")
    await slack.driver.settle()
    view = _view(slack)
    preview = _text(_block(view, BLOCK_TEMPLATE_PREVIEW))
    assert "sends from sender code 14155550153, which you do not have" in preview

    # Sent anyway (the form cannot stop a submission without asking LiveVox first): refused on the server.
    await slack.driver.submit(view, {ids.INPUT_TEMPLATE[0]: "appointment"})
    await slack.driver.settle()
    told = slack.emulator.ephemerals("C0DEMO", "U0AGENT")[-1]
    assert "which you do not have" in _text(told)
    assert not [m for m in _lv_sent(slack, CLEAN_2) if m.template_id == 75962]
    assert await _rows(slack) == []

    # A template of one of the agent's own codes shows no such sentence.
    await slack.driver.click(await _modal(slack), action_id=ids.INPUT_TEMPLATE[1], value="callback")
    await slack.driver.settle()
    assert "do not have" not in _text(_block(_view(slack), BLOCK_TEMPLATE_PREVIEW))


async def test_a_link_removed_by_another_process_applies_at_the_moment_of_sending(slack: Harness) -> None:
    """The ack's role check may use a role cached for 30 seconds; the send itself reads the database: an
    agent unlinked a moment ago by another process (no cache of this one was told) sends nothing."""
    from sqlalchemy import delete

    from bot.db.models import UserMapping
    from bot.db.session import transaction

    response = await slack.driver.command("/sms", "send +1 415 555 0101 Hello", user="U0AGENT")
    assert response.status == 200
    await slack.driver.settle()
    card = slack.driver.last_response("U0AGENT")
    assert card is not None
    async with transaction(slack.container.sessions) as session:  # as `switchboard admin` elsewhere would
        await session.execute(
            delete(UserMapping).where(UserMapping.team_id == TEAM_ID, UserMapping.slack_user_id == "U0AGENT")
        )
    await slack.driver.click(card, action_id=ids.ACTION_SEND_CONFIRM, user="U0AGENT")
    await slack.driver.settle()
    answer = slack.driver.last_response("U0AGENT")
    assert answer is not None and "not linked to Switchboard" in json.dumps(answer.blocks) + answer.text
    async with slack.container.sessions() as session:
        assert list(await SmsMessageRepository(session, TEAM_ID).recent(limit=5)) == []


# --------------------------------------------------------------- after the provider answered


def _told(slack: Harness, user: str = "U0AGENT") -> list[str]:
    """Every card and ephemeral the person was shown, in order."""
    ephemerals = [_text(m) for m in slack.emulator.ephemerals("C0DEMO", user)]
    return _card_texts(slack) + ephemerals


def _never_try_again(told: list[str]) -> None:
    for text in told:
        assert "try again" not in text and "can't reach its database" not in text, text


@pytest.mark.parametrize("kind", ["blink", "bug"])
async def test_a_send_whose_outbox_row_cannot_be_ended_is_told_as_accepted_and_settled_later(
    slack: Harness, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    from datetime import timedelta

    from sqlalchemy import update
    from sqlalchemy.exc import OperationalError

    from bot.db.base import utcnow
    from bot.db.session import transaction
    from bot.services import sms as sms_service
    from bot.slack.jobs import housekeeping

    monkeypatch.setattr(sms_service, "PERSIST_WAIT_SECONDS", 0.01)
    calls: list[str] = []

    async def broken(*args: Any, **kwargs: Any) -> Any:
        calls.append(kind)
        if kind == "blink":  # the database went away right after LiveVox accepted the SMS, and stays away
            raise OperationalError("UPDATE sms_messages", {}, ConnectionError("server closed"))
        raise RuntimeError("a bug in the bookkeeping")

    monkeypatch.setattr(SmsMessageRepository, "finish", broken)
    card = await _card(slack, f"send {CLEAN} card {kind}")
    await slack.driver.click(card, action_id=ids.ACTION_SEND_CONFIRM, user="U0AGENT")
    await slack.driver.settle()
    card_now = slack.driver.last_response("U0AGENT")  # the card replaced, not left at "Sending…"
    assert card_now is not None and card_now.ts == card.ts
    assert "Accepted by LiveVox" in _text(card_now) and "do not send it again" in _text(card_now)
    assert "Sending" not in _text(card_now)
    view = await _modal(slack, f"send {CLEAN}")
    await slack.driver.submit(view, {ids.INPUT_MESSAGE[0]: f"form {kind}"})
    await slack.driver.settle()

    assert (
        len(_lv_sent(slack, CLEAN, f"card {kind}")) == 1 and len(_lv_sent(slack, CLEAN, f"form {kind}")) == 1
    )
    assert len(calls) == (8 if kind == "blink" else 2)  # a blink is retried (4 times a send), a bug is not
    told = _told(slack)
    _never_try_again(told)
    form_told = [t for t in told if f"form {kind}" in t]
    assert form_told and "Accepted by LiveVox" in form_told[-1] and "do not send it again" in form_told[-1]
    assert sum(a[1] == "sms.accepted" for a in await slack.audit_actions()) == 2  # the audit was written

    rows = await _rows(slack)
    assert [r.status for r in rows] == [SmsStatus.PENDING, SmsStatus.PENDING]
    await housekeeping(slack.container, 0)  # too fresh: a send may still be on its way
    assert [r.status for r in await _rows(slack)] == [SmsStatus.PENDING, SmsStatus.PENDING]
    async with transaction(slack.container.sessions) as session:  # a quarter of an hour later
        await session.execute(update(SmsMessage).values(created_at=utcnow() - timedelta(minutes=16)))
    await housekeeping(slack.container, 0)
    rows = await _rows(slack)
    assert [r.status for r in rows] == [SmsStatus.UNKNOWN, SmsStatus.UNKNOWN]
    assert all("never sent again" in (r.error or "") for r in rows)
    assert sum(a == ("switchboard", "sms.unknown", "unknown") for a in await slack.audit_actions()) == 2


async def test_a_database_blink_ending_the_outbox_row_is_retried(
    slack: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    from bot.services import sms as sms_service

    monkeypatch.setattr(sms_service, "PERSIST_WAIT_SECONDS", 0.01)
    finish = SmsMessageRepository.finish
    blinks: list[int] = []

    async def blink_twice(repo: SmsMessageRepository, *args: Any, **kwargs: Any) -> Any:
        if len(blinks) < 2:
            blinks.append(1)
            raise OperationalError("UPDATE sms_messages", {}, ConnectionError("server closed"))
        return await finish(repo, *args, **kwargs)

    monkeypatch.setattr(SmsMessageRepository, "finish", blink_twice)
    card = await _card(slack, f"send {CLEAN} after a blink")
    await slack.driver.click(card, action_id=ids.ACTION_SEND_CONFIRM, user="U0AGENT")
    await slack.driver.settle()
    assert len(_lv_sent(slack, CLEAN, "after a blink")) == 1
    _never_try_again(_told(slack))
    [row] = await _rows(slack)
    assert row.status is SmsStatus.DELIVERED  # ended, then followed to its delivery record
    assert "Delivered to +1 415-555-0100" in _text(slack.driver.last_response("U0AGENT"))


@pytest.mark.parametrize("surface", ["card", "form"])
async def test_an_error_telling_a_sent_sms_is_never_please_try_again(
    slack: Harness, monkeypatch: pytest.MonkeyPatch, surface: str
) -> None:
    from bot.slack.sms import jobs as sms_jobs

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the delivery check could not be queued")

    monkeypatch.setattr(sms_jobs, "_follow", broken)
    if surface == "card":
        card = await _card(slack, f"send {CLEAN} told once")
        await slack.driver.click(card, action_id=ids.ACTION_SEND_CONFIRM, user="U0AGENT")
    else:
        view = await _modal(slack, f"send {CLEAN}")
        await slack.driver.submit(view, {ids.INPUT_MESSAGE[0]: "told once"})
    await slack.driver.settle()
    assert len(_lv_sent(slack, CLEAN, "told once")) == 1
    told = [t for t in _told(slack) if "told once" in t or "went wrong" in t]
    _never_try_again(told)
    assert all("went wrong" not in t for t in told)
    assert "Accepted by LiveVox" in told[-1] and "could not finish telling you" in told[-1]


async def test_a_form_sends_once_whatever_view_id_or_hash_the_client_sends_back(slack: Harness) -> None:
    view = await _modal(slack, f"send {CLEAN}")
    twice = [
        slack.driver.view_submission_payload(view, {ids.INPUT_MESSAGE[0]: "only once"}, user="U0AGENT")
        for _ in range(2)
    ]
    await asyncio.gather(*(slack.driver.send_payload(p) for p in twice))
    await slack.driver.settle()
    edited_hash = slack.driver.view_submission_payload(
        view, {ids.INPUT_MESSAGE[0]: "only once"}, user="U0AGENT"
    )
    edited_hash["view"]["hash"] = "edited"
    edited_id = slack.driver.view_submission_payload(
        view, {ids.INPUT_MESSAGE[0]: "only once"}, user="U0AGENT"
    )
    edited_id["view"]["id"] = "VOTHER"
    for payload in (edited_hash, edited_id):
        await slack.driver.send_payload(payload)
        await slack.driver.settle()
    assert len(_lv_sent(slack, CLEAN, "only once")) == 1
    assert len([r for r in await _rows(slack) if r.body == "only once"]) == 1


@pytest.mark.parametrize(
    "block",
    [ids.INPUT_TEMPLATE[0], ids.INPUT_MESSAGE[0], ids.INPUT_SEND_AT[0], ids.INPUT_RECIPIENT[0]],
)
async def test_a_form_input_in_a_shape_slack_never_sends_is_marked_not_a_crash(
    slack: Harness, block: str
) -> None:
    view = await _modal(slack, f"send {CLEAN}")
    payload = slack.driver.view_submission_payload(view, {ids.INPUT_MESSAGE[0]: "odd shape"}, user="U0AGENT")
    payload["view"]["state"]["values"][block] = "not an object"
    response = await slack.driver.send_payload(payload)
    assert response.status == 200
    errors = json.loads(response.body)["errors"]
    assert list(errors) == [block] and "cannot read" in errors[block]
    await slack.driver.settle()
    assert _lv_sent(slack, CLEAN, "odd shape") == []
