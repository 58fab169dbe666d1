"""Who may act on what, from outside: signed requests with forged button values and modal metadata, and
denied users on every surface. Asserted on what reached the emulated Slack, on the requests the sandbox
providers received and on the audit trail (one `access.denied` row per refusal)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from bot.console.blockkit import interactive_elements
from bot.console.emulator import Message
from bot.db.models import AuditEvent
from bot.db.repositories import AuditRepository, SmsMessageRepository
from bot.sandbox.world import DEMO, Thread, World
from bot.services.demo import TEAM_ID
from bot.slack import ids
from bot.slack.guards import STALE_FORM
from bot.slack.signing import sign_value, verify_value
from tests.e2e.conftest import Harness

AGENT, SUPER = "U0AGENT", "U0SUPER"
MARIA = DEMO.phone_numbers[0]
# What changes a thread or sends in LiveVox (`bot.providers.livevox.client`); reads are GETs of lists.
CHANGES = ("switchGroup", "thread/transfer", "thread/resolve", "markAsRead", "markAsUnread", "message/send")


@dataclass
class Requests:
    """Every request the sandbox providers received since `recording` started: (method, path, query)."""

    seen: list[tuple[str, str, str]] = field(default_factory=list)

    async def hook(self, request: httpx.Request) -> None:
        self.seen.append((request.method, request.url.path, request.url.query.decode()))

    def about(self, thread_id: str) -> list[tuple[str, str, str]]:
        return [r for r in self.seen if thread_id in r[2]]

    def changes(self) -> list[tuple[str, str, str]]:
        return [r for r in self.seen if any(word in r[1] for word in CHANGES)]

    def to(self, provider: str) -> list[tuple[str, str, str]]:
        return [r for r in self.seen if f"/{provider}/" in r[1]]


@pytest.fixture
async def requests(slack: Harness) -> Iterator[Requests]:
    """Records the providers' HTTP requests (the sandbox's clients share one httpx client)."""
    providers = await slack.container.providers.for_team(TEAM_ID)
    assert providers.livevox is not None
    http: httpx.AsyncClient = providers.livevox._http
    recorded = Requests()
    http.event_hooks["request"].append(recorded.hook)
    yield recorded
    http.event_hooks["request"].remove(recorded.hook)


def world(slack: Harness) -> World:
    found: World = slack.container.sandbox.app.state.world
    return found


def supervisors_thread(slack: Harness) -> Thread:
    """Sam Kim's (U0SUPER's LiveVox agent) personal thread with Maria: not in U0AGENT's inboxes."""
    return next(
        t
        for t in world(slack).threads.values()
        if t.phone == MARIA and t.owner_agent_id == DEMO.transfer_agent_id and not t.resolved
    )


async def denials(slack: Harness) -> list[AuditEvent]:
    async with slack.container.sessions() as session:
        events = await AuditRepository(session, TEAM_ID).recent(limit=200)
    return [e for e in events if e.action == "access.denied"]


async def threads_card(slack: Harness) -> Message:
    await slack.driver.command("/threads", "", user=AGENT)
    await slack.driver.settle()
    message = slack.driver.last_response(AGENT)
    assert message is not None and "card_actions:" in json.dumps(message.blocks)
    return message


def card_button(message: Message, thread: Thread, action_id: str) -> int:
    for element in interactive_elements(message.blocks):
        if element.block_id == f"card_actions:{thread.thread_id}" and element.action_id == action_id:
            return element.number
    raise LookupError(f"no {action_id} on the card of thread {thread.thread_id}")


def forged_click(slack: Harness, message: Message, action_id: str, thread: Thread) -> dict[str, Any]:
    """A click on one of the agent's own cards whose value names another thread (the value is JSON the
    client can edit: a claim, never the truth)."""
    element = slack.driver.find_element(message, action_id=action_id)
    payload = slack.driver.block_actions_payload(message, element, user=AGENT)
    # Values are signed (bot.slack.signing), so an edited one is refused before any listener sees it
    # (tests/security/test_signed_values.py); this claim is signed as the server would sign it, to show
    # that access is checked again on LiveVox's own data even for a value that verifies.
    verified = verify_value(action_id, payload["actions"][0]["value"])
    assert verified is not None
    claim = json.loads(verified)
    claim.update(t=thread.thread_id, c=str(DEMO.transfer_agent_id), p=1, a=thread.account, n=thread.phone)
    payload["actions"][0]["value"] = sign_value(action_id, json.dumps(claim))
    return payload


def first_card_element(message: Message, action_id: str) -> None:
    """Keep one card's buttons (find_element needs a single match)."""
    seen = False
    kept = []
    for block in message.blocks:
        if str(block.get("block_id", "")).startswith("card_actions:"):
            if seen:
                continue
            block["elements"] = [e for e in block["elements"] if e.get("action_id") == action_id]
            if not block["elements"]:
                continue
            seen = True
        elif block.get("type") == "actions":
            continue
        kept.append(block)
    message.blocks[:] = kept


# --------------------------------------------------------------------- someone else's thread


@pytest.mark.parametrize(
    "action_id",
    [
        ids.ACTION_THREAD_HISTORY,
        ids.ACTION_THREAD_UNREAD,
        ids.ACTION_THREAD_READ,
        ids.ACTION_THREAD_TAKE,
        ids.ACTION_THREAD_RELEASE,
    ],
)
async def test_an_agent_cannot_act_on_a_supervisors_thread(
    slack: Harness, requests: Requests, action_id: str
) -> None:
    theirs = supervisors_thread(slack)
    theirs.read = action_id != ids.ACTION_THREAD_READ
    message = await threads_card(slack)
    first_card_element(message, action_id)
    await slack.driver.send_payload(forged_click(slack, message, action_id, theirs))
    await slack.driver.settle()

    told = slack.driver.last_response(AGENT)
    assert told is not None and "not in your personal inbox or a group inbox of yours" in told.text
    assert theirs.owner_agent_id == DEMO.transfer_agent_id and not theirs.resolved
    assert theirs.read is (action_id != ids.ACTION_THREAD_READ)  # neither marked read nor unread
    assert requests.about(theirs.thread_id) == []  # LiveVox was not even asked about it (history included)
    assert requests.changes() == []
    assert [(e.actor, e.target_type, e.target_id, e.outcome) for e in await denials(slack)] == [
        (AGENT, "thread", theirs.thread_id, "denied")
    ]


async def test_the_agents_own_thread_still_works(slack: Harness, requests: Requests) -> None:
    """The check lets through what is the agent's: the test above fails for the right reason."""
    message = await threads_card(slack)
    mine = next(
        t
        for t in world(slack).threads.values()
        if t.phone == MARIA and t.owner_agent_id == DEMO.agent_id and not t.resolved
    )
    mine.read = False
    await slack.driver.click(message, index=card_button(message, mine, ids.ACTION_THREAD_READ), user=AGENT)
    await slack.driver.settle()
    assert mine.read is True
    assert [r for r in requests.changes() if "markAsRead" in r[1]]
    assert await denials(slack) == []


async def test_a_reply_into_a_supervisors_thread_is_refused(slack: Harness, requests: Requests) -> None:
    theirs = supervisors_thread(slack)
    sent_before = len(world(slack).lv_messages)
    message = await threads_card(slack)
    first_card_element(message, ids.ACTION_THREAD_REPLY)
    await slack.driver.send_payload(forged_click(slack, message, ids.ACTION_THREAD_REPLY, theirs))
    await slack.driver.settle()
    view = slack.driver.current_view(AGENT)
    assert view is not None and view.callback_id == ids.VIEW_SEND_SMS
    response = await slack.driver.submit(view, {ids.INPUT_MESSAGE[0]: "Hello from the wrong agent"})
    assert response.status == 200 and not response.errors
    await slack.driver.settle()

    told = slack.emulator.ephemerals(user=AGENT)[-1]
    assert "not in your personal inbox or a group inbox of yours" in told.text
    assert [r for r in requests.changes() if "message/send" in r[1]] == []
    assert len(world(slack).lv_messages) == sent_before
    async with slack.container.sessions() as session:
        assert await SmsMessageRepository(session, TEAM_ID).recent() == []  # nothing was even queued
    assert [(e.target_type, e.target_id) for e in await denials(slack)] == [("thread", theirs.thread_id)]


async def test_forged_send_modal_metadata_cannot_redirect_a_reply(slack: Harness, requests: Requests) -> None:
    theirs = supervisors_thread(slack)
    message = await threads_card(slack)
    mine = next(
        t
        for t in world(slack).threads.values()
        if t.phone == MARIA and t.owner_agent_id == DEMO.agent_id and not t.resolved
    )
    await slack.driver.click(message, index=card_button(message, mine, ids.ACTION_THREAD_REPLY), user=AGENT)
    await slack.driver.settle()
    view = slack.driver.current_view(AGENT)
    assert view is not None
    token = view.private_metadata
    sent_before = len(world(slack).lv_messages)
    # The old shape of the metadata (channel, thread, account in JSON), pointed at the supervisor's thread.
    forged = copy.deepcopy(view)
    forged.data["private_metadata"] = json.dumps({"c": "C0DEMO", "t": theirs.thread_id, "a": theirs.account})
    response = await slack.driver.submit(forged, {ids.INPUT_MESSAGE[0]: "Redirected?"})
    assert "expired" in " ".join(response.errors.values())
    await slack.driver.settle()
    assert requests.changes() == [] and len(world(slack).lv_messages) == sent_before
    assert theirs.thread_id not in token and "C0DEMO" not in token  # only a reference travels


async def test_a_form_refused_for_what_came_back_with_it_is_audited(
    slack: Harness, requests: Requests
) -> None:
    await slack.driver.shortcut(ids.SHORTCUT_SEND_SMS, user=AGENT)
    await slack.driver.settle()
    view = slack.driver.current_view(AGENT)
    assert view is not None and view.callback_id == ids.VIEW_SEND_SMS
    values = {ids.INPUT_RECIPIENT[0]: MARIA, ids.INPUT_MESSAGE[0]: "Whose form?"}
    theirs = await slack.driver.submit(view, values, user="U0SUPER")  # another person's form
    edited = copy.deepcopy(view)
    edited.data["private_metadata"] = "x" * 20
    forged = await slack.driver.submit(edited, values, user=AGENT)  # an edited private_metadata
    for response in (theirs, forged):
        assert "expired" in " ".join(response.errors.values())
    await slack.driver.settle()
    assert requests.changes() == []
    refused = [(e.actor, e.details["what"], e.details.get("reason", "")) for e in await denials(slack)]
    assert sorted(refused) == sorted(
        [
            ("U0SUPER", "Sending SMS", STALE_FORM),
            (AGENT, "Sending SMS", STALE_FORM),
        ]
    )


# ----------------------------------------------------------------------------- one read rule


def stranger_with_calls(slack: Harness) -> str:
    """A number with Zoom calls that no LiveVox thread and no Switchboard SMS connects to the agent."""
    with_threads = {t.phone for t in world(slack).threads.values()}
    return next(c.consumer_number for c in world(slack).voice_calls if c.consumer_number not in with_threads)


async def agents_page(slack: Harness, number: str) -> Message:
    await slack.driver.command("/calls", number, user=AGENT)
    await slack.driver.settle()
    page = next(m for m in reversed(slack.emulator.ephemerals(user=AGENT)) if not m.text.endswith("⏳"))
    assert "Calls" in page.text + json.dumps(page.blocks)
    return page


async def test_calls_more_and_share_refuse_an_agent_a_stranger(slack: Harness, requests: Requests) -> None:
    number = stranger_with_calls(slack)
    digits = number.lstrip("+")
    await slack.driver.command("/calls", number, user=SUPER)  # a supervisor sees any number's calls
    await slack.driver.settle()
    asked = len([r for r in requests.to("zoom") if digits in r[2]])
    assert asked > 0

    await slack.driver.command("/calls", number, user=AGENT)
    await slack.driver.settle()
    assert (
        "You can see numbers you have or had a conversation with;"
        in slack.emulator.ephemerals(user=AGENT)[-1].text
    )
    # More and Share on the agent's own page of a number they may see, their values forged to the stranger.
    for action_id, value in (
        (ids.ACTION_CALLS_MORE, {"n": number, "r": "30d", "o": 10}),
        (ids.ACTION_SHARE, {"k": "calls", "n": number, "r": "", "o": 0}),
    ):
        page = await agents_page(slack, MARIA)
        click = slack.driver.block_actions_payload(
            page, slack.driver.find_element(page, action_id=ids.ACTION_SHARE), user=AGENT
        )
        # Signed as the server would sign it: an edited unsigned value is refused earlier still
        # (test_signed_values.py); this shows the access rule holds even for a value that verifies.
        click["actions"][0].update(action_id=action_id, value=sign_value(action_id, json.dumps(value)))
        await slack.driver.send_payload(click)
        await slack.driver.settle()
        assert page.text.startswith("You can see numbers you have or had a conversation with;"), (
            action_id
        )  # the page is replaced
        assert "Calls" not in json.dumps(page.blocks)

    assert len([r for r in requests.to("zoom") if digits in r[2]]) == asked  # never asked for the agent
    assert not [m for m in slack.emulator.channel_messages("C0DEMO") if "Shared by" in json.dumps(m.blocks)]
    denied = await denials(slack)
    assert [(e.actor, json.loads(json.dumps(e.details))["what"]) for e in denied] == [(AGENT, "/calls")] * 3


async def test_an_agent_may_read_a_number_they_texted_through_switchboard(slack: Harness) -> None:
    number = stranger_with_calls(slack)
    await slack.driver.command("/lookup", number, user=AGENT)
    await slack.driver.settle()
    assert (
        "You can see numbers you have or had a conversation with;"
        in slack.emulator.ephemerals(user=AGENT)[-1].text
    )

    await slack.driver.command("/sms", f"send {number} Hello there", user=AGENT)
    await slack.driver.settle()
    card = slack.driver.last_response(AGENT)
    assert card is not None
    await slack.driver.click(card, action_id=ids.ACTION_SEND_CONFIRM)
    await slack.driver.settle()
    await slack.driver.command("/calls", number, user=AGENT)
    await slack.driver.settle()
    answer = slack.emulator.ephemerals(user=AGENT)[-1]
    assert "You can see numbers" not in answer.text and "Calls" in answer.text + json.dumps(answer.blocks)


async def test_help_states_the_rule(slack: Harness) -> None:
    response = await slack.driver.command("/switchboard", "help", user=AGENT)
    assert "Agents see the numbers they have or had a conversation with" in response.body


# ------------------------------------------------------------------------------ one denial path


async def test_a_denied_modal_submission_gets_errors_and_one_audit_row(
    slack: Harness, requests: Requests
) -> None:
    await slack.driver.shortcut(ids.SHORTCUT_SEND_SMS, user=AGENT)
    await slack.driver.settle()
    view = slack.driver.current_view(AGENT)
    assert view is not None and view.callback_id == ids.VIEW_SEND_SMS
    await slack.driver.command("/switchboard", "unlink <@U0AGENT|agent>", user="U0ADMIN")
    await slack.driver.settle()

    response = await slack.driver.submit(
        view, {ids.INPUT_RECIPIENT[0]: MARIA, ids.INPUT_MESSAGE[0]: "Still here?"}
    )
    first_input = next(b["block_id"] for b in view.blocks if b.get("type") == "input")
    assert list(response.errors) == [first_input]
    assert "not linked" in response.errors[first_input]
    await slack.driver.settle()
    assert requests.changes() == []
    assert [(e.actor, json.loads(json.dumps(e.details))["what"]) for e in await denials(slack)] == [
        (AGENT, "Sending SMS")
    ]


@pytest.mark.parametrize("surface", ["global shortcut", "home button", "message shortcut"])
async def test_a_denied_click_or_shortcut_is_answered_where_the_person_is(
    slack: Harness, surface: str
) -> None:
    slack.emulator.add_user("U0NEW", "newbie")
    if surface == "global shortcut":  # no response_url, no channel: a DM
        await slack.driver.shortcut(ids.SHORTCUT_SEND_SMS, user="U0NEW")
    elif surface == "home button":
        payload = slack.driver.shortcut_payload(ids.SHORTCUT_SEND_SMS, user="U0NEW")
        payload.update(
            type="block_actions",
            container={"type": "view", "view_id": "VHOME"},
            actions=[
                {
                    "type": "button",
                    "action_id": ids.ACTION_HOME_THREADS,
                    "block_id": "home",
                    "value": sign_value(ids.ACTION_HOME_THREADS, ""),  # as the server signs it
                }
            ],
        )
        await slack.driver.send_payload(payload)
    else:  # a response_url of Slack's: ephemeral through it
        await slack.driver.message_shortcut(ids.SHORTCUT_LOOKUP_NUMBER, MARIA, user="U0NEW")
    await slack.driver.settle()
    if surface == "message shortcut":
        told = slack.driver.last_response("U0NEW")
        assert told is not None and "not linked" in told.text
    else:
        dms = [
            c
            for c in slack.emulator.calls
            if c.method == "chat.postMessage" and c.args.get("channel") == "U0NEW"
        ]
        assert len(dms) == 1 and "not linked" in str(dms[0].args.get("text"))
    assert slack.driver.current_view("U0NEW") is None
    assert [e.actor for e in await denials(slack)] == ["U0NEW"]
