"""Inbox alerts end to end: a customer texts the sandbox's LiveVox inbox, the card is posted once, worked
from its buttons (take, reply, resolve), the conversation follows in the card's Slack thread, changes made in
LiveVox itself redraw the card, and nudges come on time (a fake clock drives the app and the sandbox)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FakeClock
from bot.console.blockkit import interactive_elements, validate_blocks
from bot.console.emulator import Message
from bot.db.models import InboxThread
from bot.db.repositories import AuditRepository, ChannelMappingRepository
from bot.sandbox.faults import ProviderFaults
from bot.sandbox.world import DEMO
from bot.services.demo import CHANNEL_ID, TEAM_ID
from bot.slack import ids
from bot.slack.alerts.jobs import tick
from tests.e2e.conftest import Harness, MakeHarness

INBOX = str(DEMO.service_id)
CUSTOMER = "+14155550177"
SECOND = "C0SECOND"


@pytest.fixture
async def alerts(make_harness: MakeHarness) -> AsyncIterator[Harness]:
    async with make_harness() as harness:
        harness.container.clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
        yield harness


def clock(slack: Harness) -> FakeClock:
    assert isinstance(slack.container.clock, FakeClock)
    return slack.container.clock


async def admin(slack: Harness, text: str, channel: str = CHANNEL_ID) -> str:
    response = await slack.driver.command("/switchboard", text, user="U0ADMIN", channel=channel)
    assert response.status == 200
    await slack.driver.settle()
    answer = slack.driver.last_response("U0ADMIN")
    assert answer is not None
    return answer.text + json.dumps(answer.blocks, ensure_ascii=False)


async def turn_on(slack: Harness, *extra: str, channel: str = CHANNEL_ID) -> None:
    said = await admin(slack, " ".join(("channel set", f"inbox={INBOX}", "alerts=on", *extra)), channel)
    assert "Saved" in said or "Mapped" in said, said


async def round_(slack: Harness, seconds: float = 31) -> None:
    """Let one poll interval pass and run the tick (as the periodic task does)."""
    clock(slack).advance(seconds=seconds)
    await tick(slack.container)
    await slack.driver.settle()


def inject(slack: Harness, text: str, number: str = CUSTOMER) -> str:
    return slack.container.sandbox.livevox.inject_inbound(inbox=INBOX, number=number, text=text).thread_id


def cards(slack: Harness, channel: str = CHANNEL_ID) -> list[Message]:
    return [
        m
        for m in slack.emulator.channel_messages(channel, include_replies=False)
        if any(str(b.get("block_id", "")).startswith("alert:") for b in m.blocks)
    ]


async def card_of(slack: Harness, thread_id: str, channel: str = CHANNEL_ID) -> Message:
    row = await thread_row(slack, thread_id)
    found = [
        m for m in cards(slack, channel) if any(b.get("block_id") == f"alert:{row.id}" for b in m.blocks)
    ]
    assert len(found) == 1, f"{len(found)} cards for thread {thread_id} in {channel}"
    return found[0]


def text(message: Message) -> str:
    return message.text + json.dumps(message.blocks, ensure_ascii=False)


def replies(slack: Harness, card: Message) -> list[Message]:
    return [m for m in slack.emulator.thread(card.channel, card.ts) if m.ts != card.ts]


async def thread_row(slack: Harness, thread_id: str) -> InboxThread:
    from sqlalchemy import select

    async with slack.container.sessions() as session:
        row = await session.scalar(select(InboxThread).where(InboxThread.thread_id == thread_id))
    assert row is not None
    return row


async def test_alerts_are_off_until_asked_for(alerts: Harness) -> None:
    inject(alerts, "Hello?")
    await round_(alerts)
    assert cards(alerts) == []


async def test_a_new_conversation_is_posted_once_and_worked_from_its_card(alerts: Harness) -> None:
    slack = alerts
    await turn_on(slack)
    await round_(slack)
    waiting = len(cards(slack))  # the demo inbox's waiting threads: a card each (fewer than the summary)
    thread_id = inject(slack, "Hi, my card <@U0ADMIN> was charged twice & I need help")
    await round_(slack)
    await round_(slack)  # a second round posts nothing again
    assert len(cards(slack)) == waiting + 1
    card = await card_of(slack, thread_id)
    shown = text(card)
    assert "+1 415-555-0177" in shown and "charged twice &amp; I need help" in shown
    assert "&lt;@U0ADMIN&gt;" in shown  # the customer's text shows literally, never as a mention
    assert "<@U0ADMIN>" not in shown  # nor in the notification text
    assert "Waiting" in shown and validate_blocks(card.blocks) == []

    # Take from the card: LiveVox moves it, the card says who.
    await slack.driver.click(card, action_id=ids.ACTION_THREAD_TAKE, user="U0AGENT")
    await slack.driver.settle()
    lv = slack.container.sandbox.livevox.world.threads[thread_id]
    assert lv.owner_agent_id == DEMO.agent_id
    assert "Taken by <@U0AGENT>" in text(card) and card.edits >= 1
    assert ids.ACTION_THREAD_TAKE not in json.dumps(card.blocks)
    await round_(slack)  # the next round does not announce the take again
    assert "Taken by <@U0AGENT>." in text(card) and "in LiveVox" not in text(card)

    # The customer writes again: into the card's thread (a mention in it stays text, notification too).
    assert inject(slack, "Are you there? <!channel>") == thread_id
    await round_(slack)
    [reply] = replies(slack, card)
    assert "Customer" in text(reply) and "Are you there? &lt;!channel&gt;" in text(reply)
    assert "<!channel>" not in text(reply)

    # Reply… from the card: the send modal, sent once, shown in the thread as sent by the agent.
    await slack.driver.click(card, action_id=ids.ACTION_THREAD_REPLY, user="U0AGENT")
    await slack.driver.settle()
    view = slack.driver.current_view("U0AGENT")
    assert view is not None and view.callback_id == ids.VIEW_SEND_SMS
    await slack.driver.submit(view, {ids.INPUT_MESSAGE[0]: "Yes, refunding it now"})
    await slack.driver.submit(view, {ids.INPUT_MESSAGE[0]: "Yes, refunding it now"})  # a double click
    await slack.driver.settle()
    sent = [m for m in lv.messages if m.message == "Yes, refunding it now"]
    assert len(sent) == 1
    await round_(slack)
    texts = [text(m) for m in replies(slack, card)]
    assert len(texts) == 2 and "<@U0AGENT> via Switchboard" in texts[1] and "refunding" in texts[1]
    await round_(slack)
    assert len(replies(slack, card)) == 2  # nothing posted twice

    # Resolve… asks for the term code, then the card is marked resolved and keeps its thread.
    await slack.driver.click(card, action_id=ids.ACTION_THREAD_RESOLVE, user="U0AGENT")
    await slack.driver.settle()
    view = slack.driver.current_view("U0AGENT")
    assert view is not None and view.callback_id == ids.VIEW_RESOLVE
    response = await slack.driver.submit(view, {ids.INPUT_TERM_CODE[0]: "1001", ids.INPUT_ACCOUNT[0]: "5501"})
    assert not response.errors
    await slack.driver.settle()
    assert lv.resolved
    shown = text(card)
    assert "Resolved by <@U0AGENT> with term code" in shown and "1001" in shown
    assert not [e for e in interactive_elements(card.blocks)]  # nothing left to click
    assert len(replies(slack, card)) == 2


async def test_a_thread_taken_in_livevox_updates_the_card_within_one_round(alerts: Harness) -> None:
    slack = alerts
    await turn_on(slack)
    await round_(slack)
    thread_id = inject(slack, "Need to change my address")
    await round_(slack)
    card = await card_of(slack, thread_id)
    world = slack.container.sandbox.livevox.world
    world.threads[thread_id].owner_agent_id = DEMO.transfer_agent_id  # Sam Kim takes it in LiveVox
    await round_(slack)
    assert "Taken by <@U0SUPER> in LiveVox" in text(card)  # Sam Kim is the demo supervisor's agent
    row = await thread_row(slack, thread_id)
    assert (row.state, row.holder_user) == ("taken", "U0SUPER")
    world.threads[thread_id].owner_agent_id = DEMO.agent_id  # who transfers it to the agent
    await round_(slack)
    assert "Transferred to <@U0AGENT> in LiveVox" in text(card)
    world.threads[thread_id].owner_agent_id = None  # and gives it back
    await round_(slack)
    assert "Back in the group inbox" in text(card)
    assert ids.ACTION_THREAD_TAKE in json.dumps(card.blocks)


async def test_two_channels_get_their_own_card_and_a_busy_inbox_is_summed_up(alerts: Harness) -> None:
    slack = alerts
    for n in range(14):
        slack.container.sandbox.livevox.inject_inbound(inbox=INBOX, number=f"+1415555{n:04d}", text=f"hi {n}")
    slack.emulator.add_channel(SECOND, "support-east")
    await turn_on(slack)
    await turn_on(slack, channel=SECOND)
    await round_(slack)
    for channel in (CHANNEL_ID, SECOND):
        messages = slack.emulator.channel_messages(channel, include_replies=False)
        summaries = [m for m in messages if "threads were already waiting" in m.text]
        assert len(summaries) == 1 and cards(slack, channel) == []
    thread_id = inject(slack, "one more")
    await round_(slack)
    assert await card_of(slack, thread_id, CHANNEL_ID) and await card_of(slack, thread_id, SECOND)
    assert len(cards(slack, CHANNEL_ID)) == len(cards(slack, SECOND)) == 1


async def test_nudge_then_escalation_once_each_and_only_in_working_hours(alerts: Harness) -> None:
    slack = alerts
    now = clock(slack).now()
    # Working hours around "now" (whatever the weekday), in UTC.
    start = (now - timedelta(hours=1)).strftime("%H:%M")
    end = (now + timedelta(hours=2)).strftime("%H:%M")
    await turn_on(
        slack,
        "nudge=10m",
        "escalate=30m",
        "oncall=<!subteam^S0ONDUTY|@care>",
        "supervisor=<@U0SUPER|super>",
        f"hours={start}-{end},UTC",
    )
    await round_(slack)
    thread_id = inject(slack, "Hello, anyone?")
    await round_(slack)
    card = await card_of(slack, thread_id)
    await round_(slack, 9 * 60)
    assert replies(slack, card) == []  # 9 minutes: too early
    await round_(slack, 2 * 60)
    [nudge] = replies(slack, card)
    assert "<!subteam^S0ONDUTY>" in text(nudge)  # nobody holds it: the on-duty group
    await round_(slack, 60)
    assert len(replies(slack, card)) == 1  # once per waiting message
    await round_(slack, 20 * 60)
    nudge, escalation = replies(slack, card)
    assert "<@U0SUPER>" in text(escalation) and "🚨" in text(escalation)
    await round_(slack, 60 * 60)  # outside the working hours now: nothing more, and never twice
    assert len(replies(slack, card)) == 2


async def test_a_nudge_slack_refused_is_given_in_the_next_round(alerts: Harness) -> None:
    slack = alerts
    await turn_on(slack, "nudge=10m", "oncall=<!subteam^S0ONDUTY|@care>")
    await round_(slack)
    thread_id = inject(slack, "Hello, anyone?")
    await round_(slack)
    card = await card_of(slack, thread_id)
    # Slack refuses posts for a while: the harness's own periodic tick may run a round meanwhile too
    # (on a busy machine it did), and it must be refused alike.
    slack.emulator.fail_next("chat.postMessage", "fatal_error", times=1000)
    await round_(slack, 11 * 60)
    assert replies(slack, card) == []  # Slack refused the nudge: nobody was reminded
    assert any(not c.ok for c in slack.emulator.calls_to("chat.postMessage"))  # it was tried
    slack.emulator.stop_failing("chat.postMessage")
    await round_(slack, 30)
    [nudge] = replies(slack, card)  # claimed again, and given once
    assert "<!subteam^S0ONDUTY>" in text(nudge)
    await round_(slack, 60)
    assert len(replies(slack, card)) == 1


async def test_a_failing_livevox_loses_nothing_and_posts_nothing_twice(alerts: Harness) -> None:
    slack = alerts
    await turn_on(slack)
    await round_(slack)
    before = len(cards(slack))
    await slack.container.providers.for_team(TEAM_ID)
    injector = slack.container.sandbox.app.state.injectors["livevox"]
    injector.config = ProviderFaults(error_rate=1.0)
    first = inject(slack, "while it was down")
    for _ in range(20):  # ten minutes of rounds while LiveVox answers 500
        await round_(slack, 30)
    assert len(cards(slack)) == before
    second = inject(slack, "still down", number="+14155550178")
    injector.config = ProviderFaults()
    for _ in range(12):  # the backoff ends within its ten-minute cap
        await round_(slack, 60)
    assert len(cards(slack)) == before + 2
    assert await card_of(slack, first) and await card_of(slack, second)


async def test_inbox_and_app_home_list_who_waits_oldest_first(alerts: Harness) -> None:
    slack = alerts
    await turn_on(slack)
    await round_(slack)
    older = inject(slack, "first", number="+14155550181")
    await asyncio.sleep(1.1)  # the sandbox keeps real time (LiveVox dates to the second)
    clock(slack).advance(minutes=5)
    inject(slack, "second", number="+14155550182")
    await round_(slack)
    await slack.driver.click(await card_of(slack, older), action_id=ids.ACTION_THREAD_TAKE, user="U0SUPER")
    await slack.driver.settle()
    await slack.driver.command("/inbox", "", user="U0AGENT")
    await slack.driver.settle()
    answer = slack.driver.last_response("U0AGENT")
    assert answer is not None
    shown = text(answer)
    assert "Waiting for an answer" in shown and "+1 415-555-0182" in shown
    assert "+1 415-555-0181" not in shown  # the supervisor holds it: not the agent's to answer
    await slack.driver.open_home("U0SUPER")
    await slack.driver.settle()
    home = slack.driver.home("U0SUPER")
    assert home is not None
    shown = json.dumps(home.blocks, ensure_ascii=False)
    first, second = shown.index("+1 415-555-0181"), shown.index("+1 415-555-0182")
    assert first < second and "<@U0SUPER>" in shown  # oldest first, with who holds it


async def test_send_as_sms_from_the_cards_thread_and_typing_alone_sends_nothing(alerts: Harness) -> None:
    slack = alerts
    await turn_on(slack)
    await round_(slack)
    thread_id = inject(slack, "Can you call me back?")
    await round_(slack)
    card = await card_of(slack, thread_id)
    lv = slack.container.sandbox.livevox.world.threads[thread_id]
    typed = slack.emulator.post_user_message(
        CHANNEL_ID, "U0AGENT", "Sure &amp; thanks, calling at 3pm", thread_ts=card.ts
    )
    await round_(slack)
    assert [m.message for m in lv.messages if m.direction == 2] == []  # typing in Slack sends nothing
    await slack.driver.message_shortcut(ids.SHORTCUT_SEND_AS_SMS, message=typed, user="U0AGENT")
    await slack.driver.settle()
    view = slack.driver.current_view("U0AGENT")
    assert view is not None and view.callback_id == ids.VIEW_SEND_SMS
    body = next(b for b in view.blocks if b.get("block_id") == ids.INPUT_MESSAGE[0])
    assert body["element"].get("initial_value") == "Sure & thanks, calling at 3pm"
    await slack.driver.submit(view, {ids.INPUT_MESSAGE[0]: "Sure & thanks, calling at 3pm"})
    await slack.driver.settle()
    assert [m.message for m in lv.messages if m.direction == 2] == ["Sure & thanks, calling at 3pm"]
    # Elsewhere, the shortcut says where it works and opens nothing.
    await slack.driver.message_shortcut(ids.SHORTCUT_SEND_AS_SMS, "hello", user="U0AGENT")
    await slack.driver.settle()
    told = slack.driver.last_response("U0AGENT")
    assert told is not None and "thread of an alert card" in text(told)
    # Nobody unlinked may use it.
    slack.emulator.add_user("U0NEW", "newbie", real_name="New Person")
    await slack.driver.message_shortcut(ids.SHORTCUT_SEND_AS_SMS, message=typed, user="U0NEW")
    await slack.driver.settle()
    assert ("U0NEW", "access.denied", "denied") in await slack.audit_actions()


async def test_follow_up_messages_land_in_the_cards_thread_in_order(alerts: Harness) -> None:
    slack = alerts
    await turn_on(slack)
    await round_(slack)
    thread_id = inject(slack, "first")
    await round_(slack)
    card = await card_of(slack, thread_id)
    for word in ("second", "third", "fourth"):
        clock(slack).advance(seconds=2)
        assert inject(slack, word) == thread_id
    await round_(slack)
    bodies = [m.blocks[0]["text"]["text"].split("\n>", 1)[1] for m in replies(slack, card)]
    assert bodies == ["second", "third", "fourth"]
    await round_(slack)
    assert len(replies(slack, card)) == 3
    assert ">fourth" in text(card)  # the card shows the newest message


async def test_transfer_from_the_card_names_both_people(alerts: Harness) -> None:
    slack = alerts
    await turn_on(slack)
    await round_(slack)
    thread_id = inject(slack, "Can a manager help?")
    await round_(slack)
    card = await card_of(slack, thread_id)
    await slack.driver.click(card, action_id=ids.ACTION_THREAD_TAKE, user="U0AGENT")
    await slack.driver.settle()
    await slack.driver.click(card, action_id=ids.ACTION_THREAD_TRANSFER, user="U0AGENT")
    await slack.driver.settle()
    view = slack.driver.current_view("U0AGENT")
    assert view is not None and view.callback_id == ids.VIEW_TRANSFER
    response = await slack.driver.submit(view, {"agent": str(DEMO.transfer_agent_id)})
    assert not response.errors
    await slack.driver.settle()
    assert slack.container.sandbox.livevox.world.threads[thread_id].owner_agent_id == DEMO.transfer_agent_id
    assert "Transferred to <@U0SUPER> by <@U0AGENT>" in text(card)
    await round_(slack)  # the supervisor's inbox holds it now: nothing is announced again
    assert "in LiveVox" not in text(card)
    row = await thread_row(slack, thread_id)
    assert (row.state, row.holder_user) == ("taken", "U0SUPER")


async def test_two_people_take_one_card_the_second_is_told(alerts: Harness) -> None:
    slack = alerts
    await turn_on(slack)
    await round_(slack)
    thread_id = inject(slack, "Hello")
    await round_(slack)
    card = await card_of(slack, thread_id)
    index = slack.driver.find_element(card, action_id=ids.ACTION_THREAD_TAKE).number
    await slack.driver.click(card, index=index, user="U0AGENT")
    await slack.driver.click(card, index=index, user="U0SUPER")  # the same drawing of the card
    await slack.driver.settle()
    owner = slack.container.sandbox.livevox.world.threads[thread_id].owner_agent_id
    people = {DEMO.agent_id: "U0AGENT", DEMO.transfer_agent_id: "U0SUPER"}
    winner = people[owner]  # the jobs run concurrently: either may be first
    loser = ({"U0AGENT", "U0SUPER"} - {winner}).pop()
    told = slack.emulator.ephemerals(CHANNEL_ID, loser)
    assert told and "Could not take" in text(told[-1])
    assert f"Taken by <@{winner}>" in text(card)


async def test_alerts_are_not_turned_on_in_a_channel_the_app_is_not_in(slack: Harness) -> None:
    """Slack would refuse every card there: the admin is told how to invite the app, nothing is saved."""
    slack.emulator.remove_bot(CHANNEL_ID)
    said = await admin(slack, f"channel set inbox={INBOX} alerts=on")
    assert "Alerts not turned on" in said and "/invite @Switchboard" in said, said
    async with slack.container.sessions() as session:
        row = await ChannelMappingRepository(session, TEAM_ID).get(CHANNEL_ID)
    assert row is None or not row.alerts_enabled
    slack.emulator.channels[CHANNEL_ID]["is_member"] = True  # invited
    await turn_on(slack)


async def alert_calls(slack: Harness, channel: str) -> int:
    return sum(1 for c in slack.emulator.calls_to("chat.postMessage") if c.args.get("channel") == channel)


async def test_a_channel_the_app_was_removed_from_has_its_alerts_stopped_and_the_admin_told(
    alerts: Harness,
) -> None:
    """Slack refuses every card there until someone acts: the alerts are turned off once, saying why and
    how to fix it (to whoever turned them on, in `/switchboard channel`, in the audit trail), the other
    channel goes on as before, and turning them on again after the invite brings the cards back."""
    slack = alerts
    slack.emulator.add_channel(SECOND, "support-east")
    await turn_on(slack)
    await turn_on(slack, channel=SECOND)
    await round_(slack)
    before = len(cards(slack, CHANNEL_ID))
    slack.emulator.remove_bot(CHANNEL_ID)  # `/remove @Switchboard`
    first = inject(slack, "Hello?")
    await round_(slack)
    assert await card_of(slack, first, SECOND) and len(cards(slack, CHANNEL_ID)) == before
    async with slack.container.sessions() as session:
        row = await ChannelMappingRepository(session, TEAM_ID).get(CHANNEL_ID)
    assert row is not None and not row.alerts_enabled
    assert row.alerts_stopped == "Switchboard is not in that channel any more"
    (told,) = slack.emulator.channel_messages("D" + "U0ADMIN"[1:])
    assert f"Alerts in <#{CHANNEL_ID}> are off" in text(told) and "/invite @Switchboard" in text(told)
    status = await admin(slack, "channel")
    assert "Switchboard stopped them" in status and "`/switchboard channel set alerts=on`" in status, status
    async with slack.container.sessions() as session:
        events = await AuditRepository(session, TEAM_ID).recent(actor="switchboard")
    assert [(e.action, e.target_id, e.details["error"]) for e in events] == [
        ("alerts.stopped", CHANNEL_ID, "not_in_channel")
    ]

    refused = await alert_calls(slack, CHANNEL_ID)
    second = inject(slack, "Anyone?", number="+14155550178")
    await round_(slack)
    assert await card_of(slack, second, SECOND)
    assert await alert_calls(slack, CHANNEL_ID) == refused  # no more tries where it is refused
    assert len(slack.emulator.channel_messages("D" + "U0ADMIN"[1:])) == 1  # told once

    slack.emulator.channels[CHANNEL_ID]["is_member"] = True  # invited back
    await turn_on(slack)
    assert "Switchboard stopped them" not in await admin(slack, "channel")
    third = inject(slack, "Third time", number="+14155550179")
    await round_(slack)
    assert await card_of(slack, third, CHANNEL_ID) and await card_of(slack, third, SECOND)


async def test_an_archived_channel_has_its_alerts_stopped_saying_so(alerts: Harness) -> None:
    slack = alerts
    await turn_on(slack)
    await round_(slack)
    slack.emulator.channels[CHANNEL_ID]["is_archived"] = True
    inject(slack, "Hello?")
    await round_(slack)
    async with slack.container.sessions() as session:
        row = await ChannelMappingRepository(session, TEAM_ID).get(CHANNEL_ID)
    assert row is not None and not row.alerts_enabled and row.alerts_stopped == "that channel is archived"
    (told,) = slack.emulator.channel_messages("D" + "U0ADMIN"[1:])
    assert "that channel is archived" in text(told) and "Unarchive it" in text(told)
    assert "Switchboard stopped them" in await admin(slack, "channel")
    await admin(slack, "channel set alerts=off")  # a person's choice now: no longer "stopped by Switchboard"
    status = await admin(slack, "channel")
    assert "Switchboard stopped them" not in status and "*Alerts*\\noff" in status, status
