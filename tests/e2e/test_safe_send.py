"""Safe sending end to end: the send guard refuses from every entry point (the command's card, its Send
button at the moment of sending, the send form, a thread reply), each refusal audited; an opt-out read in
any provider's history puts the number on the team's list and a later START lifts it; the opt-out list
command and its roles; quiet hours on a fake clock, and an admin's override with its reason."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

from bot.clock import FakeClock
from bot.console.emulator import Message, View
from bot.db.models import Role, SmsMessage
from bot.db.repositories import AuditRepository, OptOutRepository, SmsMessageRepository, UserMappingRepository
from bot.db.session import transaction
from bot.sandbox.world import DEMO
from bot.services.demo import TEAM_ID
from bot.slack import ids
from tests.e2e.conftest import Harness, MakeHarness, answered
from tests.e2e.test_threads import click_card, list_threads, open_thread

CLEAN, CLEAN_2, DNC, OPTED_OUT = DEMO.phone_numbers
PHONE_STOP = DEMO.phone_stop_number
CARE = str(DEMO.service_id)


def _text(message: object) -> str:
    return str(getattr(message, "text", "")) + json.dumps(
        getattr(message, "blocks", message), ensure_ascii=False
    )


def _actions(message: Message) -> set[str]:
    return {
        str(e.get("action_id"))
        for b in message.blocks
        if b.get("type") == "actions"
        for e in b.get("elements", [])
    }


async def _card(slack: Harness, text: str, user: str = "U0AGENT") -> Message:
    response = await slack.driver.command("/sms", text, user=user)
    assert response.status == 200
    await slack.driver.settle()
    card = slack.driver.last_response(user)
    assert card is not None
    return card


async def _command(slack: Harness, text: str, user: str) -> str:
    response = await slack.driver.command("/switchboard", text, user=user)
    assert response.status == 200
    await slack.driver.settle()
    answer = slack.driver.last_response(user)
    return response.body + (_text(answer) if answer is not None else "")


async def _audit(slack: Harness, action: str) -> list[Any]:
    async with slack.container.sessions() as session:
        events = await AuditRepository(session, TEAM_ID).recent(limit=200)
    return [e for e in events if e.action == action]


async def _rows(slack: Harness) -> list[SmsMessage]:
    async with slack.container.sessions() as session:
        return list(await SmsMessageRepository(session, TEAM_ID).recent(limit=50))


def _lv_sent(slack: Harness, number: str) -> list[Any]:
    world = slack.container.sandbox.app.state.world
    return [m for m in world.lv_messages if m.phone == number.lstrip("+") and m.direction == 2]


async def _inject(slack: Harness, number: str, text: str) -> None:
    """The customer texts the demo inbox (LiveVox), now."""
    await slack.container.providers.for_team(TEAM_ID)  # the sandbox starts with the first provider call
    slack.container.sandbox.app.state.livevox.inject_inbound(inbox=CARE, number=number, text=text)
    await asyncio.sleep(0.01)  # the next message is later, to the millisecond


async def _listed(slack: Harness, number: str) -> Any:
    async with slack.container.sessions() as session:
        return await OptOutRepository(session, TEAM_ID).get(number)


async def _promote(slack: Harness, user: str = "U0AGENT") -> None:
    async with transaction(slack.container.sessions) as session:
        row = await UserMappingRepository(session, TEAM_ID).get(user)
        assert row is not None
        row.role = Role.ADMIN
    slack.container.identities.forget(TEAM_ID, user)


def _view(slack: Harness, user: str = "U0AGENT") -> View:
    view = slack.driver.current_view(user)
    assert view is not None
    return view


# ------------------------------------------------------------------------------ the demo numbers


async def test_the_demo_numbers_are_refused_with_one_sentence_each_and_audited(slack: Harness) -> None:
    cases = [
        (DNC, "LiveVox has this number on the Do-Not-Contact list", "do_not_contact"),
        (OPTED_OUT, "LiveVox records that this contact is not opted in to SMS", "not_opted_in"),
        (PHONE_STOP, "The customer opted out: they texted “STOP” (Zoom Phone, ", "customer_opt_out"),
    ]
    for number, sentence, reason in cases:
        card = await _card(slack, f"send {number} Hello there")
        text = _text(card)
        assert "Will not be sent" in text and sentence in text, text
        # No Send for anyone, and no override for an agent.
        assert _actions(card) == {ids.ACTION_SEND_CANCEL}
        assert not [m for m in _lv_sent(slack, number) if m.message == "Hello there"]
        [event] = [e for e in await _audit(slack, "sms.refused") if e.target_id.endswith(number[-4:])]
        assert event.actor == "U0AGENT" and event.outcome == "refused"
        assert event.details["stage"] == "preview" and reason in event.details["reasons"]
    assert await _rows(slack) == []

    # The Zoom-Phone-only STOP put the number on the team's list, with the message as evidence.
    listed = await _listed(slack, PHONE_STOP)
    assert listed is not None and listed.source == "history" and listed.evidence_text == "STOP"
    assert listed.evidence_provider == "Zoom Phone"
    [added] = await _audit(slack, "optout.added")
    assert added.actor == "switchboard" and added.details["provider"] == "Zoom Phone"
    answer = await _command(slack, "optout list", "U0ADMIN")
    assert "+1 415-555-0190" in answer and "by Switchboard: the customer texted “STOP” (Zoom Phone" in answer


async def test_an_admin_may_override_do_not_contact_but_never_an_opt_out(slack: Harness) -> None:
    card = await _card(slack, f"send {DNC} Hello", user="U0ADMIN")
    assert ids.ACTION_SEND_OVERRIDE in _actions(card)
    card = await _card(slack, f"send {OPTED_OUT} Hello", user="U0ADMIN")
    assert _actions(card) == {ids.ACTION_SEND_CANCEL}
    card = await _card(slack, f"send {PHONE_STOP} Hello", user="U0ADMIN")
    assert _actions(card) == {ids.ACTION_SEND_CANCEL}


# -------------------------------------------------------------------- checked again when it is sent


async def test_an_opt_out_arriving_after_the_preview_refuses_the_send_and_says_so(slack: Harness) -> None:
    card = await _card(slack, f"send {CLEAN_2} Your order shipped")
    assert ids.ACTION_SEND_CONFIRM in _actions(card)
    await _inject(slack, CLEAN_2, "Please stop texting me!")
    await slack.driver.click(card, action_id=ids.ACTION_SEND_CONFIRM)
    await slack.driver.settle()
    told = _text(slack.driver.last_response("U0AGENT"))
    assert (
        "Not sent to +1 415-555-0101: the customer opted out: they texted “Please stop texting me!”" in told
    )
    assert not [m for m in _lv_sent(slack, CLEAN_2) if m.message == "Your order shipped"]
    assert await _rows(slack) == []
    [event] = await _audit(slack, "sms.refused")
    assert event.details["stage"] == "send" and event.details["reasons"] == ["customer_opt_out"]
    assert (await _listed(slack, CLEAN_2)).evidence_provider == "LiveVox"


async def test_a_later_start_restores_consent_and_the_card_says_so(slack: Harness) -> None:
    await _inject(slack, CLEAN_2, "STOP")
    card = await _card(slack, f"send {CLEAN_2} Hello")
    assert "“STOP” (LiveVox" in _text(card) and ids.ACTION_SEND_CONFIRM not in _actions(card)
    assert await _listed(slack, CLEAN_2) is not None

    await _inject(slack, CLEAN_2, "START")
    card = await _card(slack, f"send {CLEAN_2} Welcome back")
    assert "Consent restored: the customer texted “START” (LiveVox" in _text(card)
    assert ids.ACTION_SEND_CONFIRM in _actions(card)
    assert await _listed(slack, CLEAN_2) is None
    [restored] = await _audit(slack, "optout.restored")
    assert restored.actor == "switchboard"
    await slack.driver.click(card, action_id=ids.ACTION_SEND_CONFIRM)
    await slack.driver.settle()
    assert [m for m in _lv_sent(slack, CLEAN_2) if m.message == "Welcome back"]


# ------------------------------------------------------------------------ the form and a thread reply


async def test_the_send_form_refuses_and_tells(slack: Harness) -> None:
    response = await slack.driver.command("/sms", f"send {PHONE_STOP}", user="U0AGENT")
    assert response.status == 200
    await slack.driver.settle()
    view = _view(slack)
    assert "Will not be sent: the customer opted out" in _text(view.blocks)
    await slack.driver.submit(view, {ids.INPUT_MESSAGE[0]: "Hello anyway"})
    await slack.driver.settle()
    told = slack.emulator.ephemerals("C0DEMO", "U0AGENT")[-1]
    assert "Not sent to +1 415-555-0190: the customer opted out" in _text(told)
    assert await _rows(slack) == []
    assert [e for e in await _audit(slack, "sms.refused") if e.details["stage"] == "send"]


async def test_a_thread_reply_to_a_number_on_the_teams_list_is_refused(slack: Harness) -> None:
    answer = await _command(slack, f"optout add {CLEAN} asked us by phone", "U0ADMIN")
    assert "Added +1 415-555-0100 to the team's opt-out list" in answer
    message = await list_threads(slack)
    maria = open_thread(slack, CLEAN, DEMO.agent_id)
    await click_card(slack, message, maria.thread_id, ids.ACTION_THREAD_REPLY)
    await slack.driver.settle()
    await slack.driver.submit(_view(slack), {ids.INPUT_MESSAGE[0]: "Following up"})
    await slack.driver.settle()
    told = _text(slack.emulator.ephemerals("C0DEMO", "U0AGENT")[-1])
    assert "Not sent to +1 415-555-0100: the number is on the team's opt-out list" in told
    assert "asked us by phone" in told
    assert not [m for m in _lv_sent(slack, CLEAN) if m.message == "Following up"]
    [event] = [e for e in await _audit(slack, "sms.refused") if e.details["stage"] == "send"]
    assert event.details["reasons"] == ["team_list"]


# ------------------------------------------------------------------------------ the opt-out list


async def test_the_opt_out_list_command_and_its_roles(slack: Harness) -> None:
    answer = await _command(slack, f"optout add {CLEAN_2}", "U0AGENT")
    assert "is for supervisors and above; you are agent" in answer
    assert await _listed(slack, CLEAN_2) is None

    answer = await _command(slack, f"optout add {CLEAN_2} wrote to us", "U0SUPER")
    assert "Added +1 415-555-0101" in answer
    for verb in ("list", f"remove {CLEAN_2}"):
        answer = await _command(slack, f"optout {verb}", "U0SUPER")
        assert "is for admins; you are supervisor" in answer
    denials = [e for e in await _audit(slack, "access.denied") if "optout" in e.details["what"]]
    assert len(denials) == 3 and {e.actor for e in denials} == {"U0AGENT", "U0SUPER"}

    answer = await _command(slack, "optout list", "U0ADMIN")
    assert "+1 415-555-0101" in answer and "by <@U0SUPER>: wrote to us" in answer
    answer = await _command(slack, "optout add call-me-maybe", "U0ADMIN")
    assert "not a phone number" in answer
    answer = await _command(slack, f"optout add {CLEAN_2} again", "U0ADMIN")
    assert "is on the team's opt-out list already" in answer
    answer = await _command(slack, f"optout remove {CLEAN_2}", "U0ADMIN")
    assert "Removed +1 415-555-0101" in answer and await _listed(slack, CLEAN_2) is None
    answer = await _command(slack, f"optout remove {CLEAN_2}", "U0ADMIN")
    assert "is not on the team's opt-out list" in answer
    assert [e.actor for e in await _audit(slack, "optout.added")] == ["U0SUPER"]
    [removed] = await _audit(slack, "optout.removed")
    assert removed.actor == "U0ADMIN" and removed.details["reason"] == "wrote to us"


# --------------------------------------------------------------------------------- quiet hours


async def test_quiet_hours_refuse_until_their_morning_and_an_admin_overrides_once(
    make_harness: MakeHarness,
) -> None:
    async with make_harness(send_window=None) as slack:
        # 11:00 UTC is 03:00 in San Francisco (415), 06:00 in New York.
        slack.container.clock = FakeClock(datetime(2026, 12, 2, 11, 0, tzinfo=UTC))
        card = await _card(slack, f"send {CLEAN} Good morning")
        text = _text(card)
        assert "outside the team's sending hours (08:00–21:00 every day)" in text
        assert "the next allowed time is 08:00 their time (America/Los_Angeles), Wed Dec 2" in text
        assert _actions(card) == {ids.ACTION_SEND_LATER, ids.ACTION_SEND_CANCEL}  # no Send

        answer = await _command(slack, "quiet-hours 05:00-21:00 mon-fri", "U0ADMIN")
        assert "Saved: texts go out 05:00–21:00 Monday to Friday" in answer
        assert "was 08:00–21:00 every day" in answer
        await _command(slack, "quiet-hours 08:00-21:00", "U0ADMIN")

        await _promote(slack)
        card = await _card(slack, f"send {CLEAN} Good morning")
        assert _actions(card) == {ids.ACTION_SEND_LATER, ids.ACTION_SEND_OVERRIDE, ids.ACTION_SEND_CANCEL}
        await slack.driver.click(card, action_id=ids.ACTION_SEND_OVERRIDE)
        await slack.driver.settle()
        view = _view(slack)
        assert view.callback_id == ids.VIEW_SEND_OVERRIDE
        # Without a reason or the confirmation, nothing is sent.
        response = await slack.driver.submit(view, {ids.INPUT_OVERRIDE_REASON[0]: "ok"}, check=False)
        assert response.ok and "errors" in response.body
        assert not [m for m in _lv_sent(slack, CLEAN) if m.message == "Good morning"]
        values = {
            ids.INPUT_OVERRIDE_REASON[0]: "The customer asked for the code now",
            ids.INPUT_OVERRIDE_CONFIRM[0]: "confirm",
        }
        await slack.driver.submit(_view(slack), values)
        await slack.driver.settle()
        assert len([m for m in _lv_sent(slack, CLEAN) if m.message == "Good morning"]) == 1
        outcome = _text(slack.driver.last_response("U0AGENT"))
        assert "Accepted by LiveVox" in outcome or "Delivered" in outcome
        [override] = await _audit(slack, "sms.override")
        assert override.details == {
            "reasons": ["quiet_hours"],
            "reason": "The customer asked for the code now",
        }
        # The card's Send and the override are one intent: clicking the card again sends nothing more.
        assert len(await _rows(slack)) == 1

        # 17:00 UTC is 09:00 in San Francisco: Send is offered.
        slack.container.clock = FakeClock(datetime(2026, 12, 2, 17, 0, tzinfo=UTC))
        card = await _card(slack, f"send {CLEAN} Later")
        assert ids.ACTION_SEND_CONFIRM in _actions(card)


# ------------------------------------------------------------------------- send when the window opens


async def _send_later_card(slack: Harness, clock: FakeClock, body: str) -> Message:
    card = await _card(slack, f"send {CLEAN} {body}")
    assert "the next allowed time is 08:00 their time (America/Los_Angeles), Wed Dec 2" in _text(card)
    assert _actions(card) == {ids.ACTION_SEND_LATER, ids.ACTION_SEND_CANCEL}
    assert "Send at 08:00 PST" in _text(card)
    return card


async def test_send_at_their_morning_fires_once_when_the_window_opens(make_harness: MakeHarness) -> None:
    async with make_harness(send_window=None, settle_timeout=30) as slack:
        clock = FakeClock(datetime(2026, 12, 2, 15, 59, 58, tzinfo=UTC))  # 07:59:58 in San Francisco
        slack.container.clock = clock
        card = await _send_later_card(slack, clock, "Good morning")
        clicks = [
            slack.driver.block_actions_payload(
                card, slack.driver.find_element(card, action_id=ids.ACTION_SEND_LATER), user="U0AGENT"
            )
            for _ in range(2)
        ]
        await asyncio.gather(*(slack.driver.send_payload(p) for p in clicks))
        await answered(slack, "Scheduled: your SMS to +1 415-555-0100 goes out at 08:00 their time")
        assert not [m for m in _lv_sent(slack, CLEAN) if m.message == "Good morning"]
        clock.advance(seconds=5)  # the window is open when the job fires
        await slack.driver.settle()
        assert len([m for m in _lv_sent(slack, CLEAN) if m.message == "Good morning"]) == 1
        assert len(await _rows(slack)) == 1
        assert len(await _audit(slack, "sms.scheduled")) == 1


async def test_a_scheduled_send_is_checked_again_when_it_fires(make_harness: MakeHarness) -> None:
    async with make_harness(send_window=None, settle_timeout=30) as slack:
        clock = FakeClock(datetime(2026, 12, 2, 15, 59, 58, tzinfo=UTC))
        slack.container.clock = clock
        card = await _send_later_card(slack, clock, "Good morning")
        await slack.driver.click(card, action_id=ids.ACTION_SEND_LATER)
        await answered(slack, "Scheduled: your SMS")
        await _inject(slack, CLEAN, "STOP")  # the customer opts out before it goes
        clock.advance(seconds=5)
        await slack.driver.settle()
        told = _text(slack.driver.last_response("U0AGENT"))
        assert "Not sent to +1 415-555-0100: the customer opted out: they texted “STOP” (LiveVox" in told
        assert not [m for m in _lv_sent(slack, CLEAN) if m.message == "Good morning"]
        assert await _rows(slack) == []
        [event] = [e for e in await _audit(slack, "sms.refused") if e.details["stage"] == "send"]
        assert event.details["reasons"] == ["customer_opt_out"]


async def test_a_customers_reply_quoted_in_a_refusal_cannot_mention_anyone(slack: Harness) -> None:
    """The refusal quotes the opt-out the customer sent; a `<!here>` in it stays text, in the card's blocks
    and in its notification text."""
    await _inject(slack, CLEAN, "STOP. <!here> <@U0ADMIN>")
    card = await _card(slack, f"send {CLEAN} Hello")
    shown = _text(card)
    assert "&lt;!here&gt;" in shown and "&lt;@U0ADMIN&gt;" in shown
    assert "<!here>" not in shown and "<@U0ADMIN>" not in shown
    assert "&lt;!here&gt;" in card.text
