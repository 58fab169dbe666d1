"""/threads end to end: the cards, every button and modal, against the stateful LiveVox sandbox."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import AsyncIterator

import pytest

from bot.console.blockkit import interactive_elements, validate_blocks, validate_view
from bot.console.emulator import Message
from bot.sandbox.faults import ProviderFaults
from bot.sandbox.world import DEMO, Thread, World
from bot.services.demo import TEAM_ID
from bot.services.inbox import NO_LOGIN
from bot.slack import ids
from bot.slack.payloads import recall
from bot.slack.sms.jobs import SendModalContext
from bot.slack.text import escape
from bot.slack.threads.blocks import ACTION_THREADS_NEXT
from tests.e2e.conftest import Harness, MakeHarness

AGENT_ID = DEMO.agent_id  # U0AGENT is JRIVERA
MARIA, JAMES, PRIYA, ROBERT = DEMO.phone_numbers


def world(slack: Harness) -> World:
    app = slack.container.sandbox.app
    assert app is not None, "the sandbox starts with the first provider call"
    found: World = app.state.world
    return found


def open_thread(slack: Harness, phone: str, owner: int | None) -> Thread:
    return next(
        t
        for t in world(slack).threads.values()
        if t.phone == phone and t.owner_agent_id == owner and not t.resolved
    )


def dump(message: Message) -> str:
    return message.text + json.dumps(message.blocks, ensure_ascii=False)


async def list_threads(slack: Harness, text: str = "", user: str = "U0AGENT") -> Message:
    response = await slack.driver.command("/threads", text, user=user)
    assert response.status == 200
    await slack.driver.settle()
    message = slack.driver.last_response(user)
    assert message is not None
    return message


def card_index(message: Message, thread_id: str, action_id: str) -> int:
    for element in interactive_elements(message.blocks):
        if element.block_id == f"card_actions:{thread_id}" and element.action_id == action_id:
            return element.number
    raise LookupError(f"no {action_id} on the card of thread {thread_id}")


async def click_card(
    slack: Harness, message: Message, thread_id: str, action_id: str, *, user: str | None = None
) -> None:
    response = await slack.driver.click(message, index=card_index(message, thread_id, action_id), user=user)
    assert response.status == 200


def card_text(message: Message, thread_id: str) -> str:
    block = next(b for b in message.blocks if b.get("block_id") == f"card:{thread_id}")
    return str(block["text"]["text"])


async def break_livevox(slack: Harness) -> None:
    """Every LiveVox request answers 500 from now on (the sandbox's fault injector, switched at runtime)."""
    await slack.container.providers.for_team(TEAM_ID)
    injector = slack.container.sandbox.app.state.injectors["livevox"]
    injector.config = ProviderFaults(error_rate=1.0)


@pytest.fixture
async def slack_no_livevox(make_harness: MakeHarness) -> AsyncIterator[Harness]:
    """A harness whose LiveVox fails every request from the start (login included)."""
    async with make_harness(sandbox_faults="livevox:error_rate=1") as harness:
        yield harness


# ------------------------------------------------------------------------------------------ listing
async def test_threads_acks_fast_then_lists_cards_without_sensitive_fields(slack: Harness) -> None:
    started = time.perf_counter()
    response = await slack.driver.command("/threads", "", user="U0AGENT")
    assert time.perf_counter() - started < 1.0
    assert response.body.strip() == ""  # no placeholder left under the answer
    await slack.driver.settle()
    message = slack.driver.last_response("U0AGENT")
    assert message is not None and message.is_ephemeral
    assert validate_blocks(message.blocks, "message") == []
    text = dump(message)
    maria = open_thread(slack, MARIA, AGENT_ID)
    priya = open_thread(slack, PRIYA, None)
    robert = open_thread(slack, ROBERT, None)
    assert "Maria Gonzalez" in card_text(message, maria.thread_id)
    assert "Personal SMS" in card_text(message, maria.thread_id)
    assert "Unread" in card_text(message, maria.thread_id)
    assert "Account `880100`" in card_text(message, maria.thread_id)
    assert "Do not contact" in card_text(message, priya.thread_id)
    assert "Opted out of SMS" in card_text(message, robert.thread_id)
    # a personal card can be released, a group card taken
    card_index(message, maria.thread_id, ids.ACTION_THREAD_RELEASE)
    card_index(message, priya.thread_id, ids.ACTION_THREAD_TAKE)
    for contact in world(slack).contacts.values():  # the sandbox sends ssn and dob with every thread
        assert contact.ssn not in text and contact.dob not in text


async def test_personal_filter_and_bad_arguments(slack: Harness) -> None:
    message = await list_threads(slack, "sms personal")
    cards = [b for b in message.blocks if str(b.get("block_id", "")).startswith("card:")]
    assert cards and all("Personal SMS" in str(b["text"]["text"]) for b in cards)
    response = await slack.driver.command("/threads", "fax", user="U0AGENT")
    assert "I don't understand `fax`" in response.body


async def test_contact_names_are_escaped(slack: Harness) -> None:
    await list_threads(slack)  # starts the sandbox
    world(slack).contacts[MARIA].first_name = "<!channel>"
    message = await list_threads(slack)
    text = dump(message)
    assert "<!channel>" not in text
    assert "&lt;!channel&gt; Gonzalez" in text


async def test_long_inbox_pages_within_slack_limits(slack: Harness) -> None:
    await list_threads(slack)
    template = open_thread(slack, JAMES, AGENT_ID)
    for n in range(30):
        copy = Thread(
            **{**template.__dict__, "thread_id": f"9900{n:04d}", "messages": list(template.messages)}
        )
        world(slack).threads[copy.thread_id] = copy
    message = await list_threads(slack)
    assert len(message.blocks) <= 50 and validate_blocks(message.blocks, "message") == []
    assert "Showing 1–10 of" in dump(message)
    await slack.driver.click(message, ACTION_THREADS_NEXT)
    await slack.driver.settle()
    assert "Showing 11–20 of" in dump(message)  # the same message, replaced


async def all_card_ids(slack: Harness, text: str, user: str) -> set[str]:
    """Every thread id on every page of a `/threads` answer (Next ▶ until the last page)."""
    message = await list_threads(slack, text, user=user)
    found: set[str] = set()
    while True:
        found |= {
            str(b["block_id"]).removeprefix("card:")
            for b in message.blocks
            if str(b.get("block_id", "")).startswith("card:")
        }
        if "Next ▶" not in dump(message):
            return found
        await slack.driver.click(message, ACTION_THREADS_NEXT, user=user)
        await slack.driver.settle()


async def test_a_supervisor_sees_every_thread_an_agent_sees(slack: Harness) -> None:
    """ "Supervisors and admins see every number and thread": U0SUPER's own LiveVox agent (SKIM) is in fewer
    services than U0AGENT's (no Collections) and LiveVox lists a personal inbox only to its agent, so a
    supervisor's list spans the team's linked agents' inboxes (each group inbox once)."""
    for scope in ("", "group", "personal"):
        agent = await all_card_ids(slack, scope, "U0AGENT")
        supervisor = await all_card_ids(slack, scope, "U0SUPER")
        assert agent and agent <= supervisor, scope
    camila = next(  # Do-Not-Contact, in the Collections group inbox: only U0AGENT's agent works it
        t
        for t in world(slack).threads.values()
        if t.service_id == 100916
        and t.owner_agent_id is None
        and not t.resolved
        and world(slack).contacts[t.phone].first_name == "Camila"
    )
    group = await list_threads(slack, "group", user="U0SUPER")
    assert group.text.startswith("Your team's SMS threads:")  # says whose they are
    assert (await list_threads(slack, "group", user="U0AGENT")).text.startswith("Your SMS threads:")
    assert "Do not contact" in card_text(group, camila.thread_id)
    assert dump(group).count("Group - Customer Care:") == 1  # read once, not once per agent
    maria = open_thread(slack, MARIA, AGENT_ID)  # in U0AGENT's personal inbox: named as whose
    personal = await list_threads(slack, "personal", user="U0SUPER")
    assert f"Personal SMS ({DEMO.agent_login})" in card_text(personal, maria.thread_id)


async def _last(slack: Harness, action: str) -> tuple[str, dict[str, object]]:
    from bot.db.repositories import AuditRepository

    async with slack.container.sessions() as session:
        events = await AuditRepository(session, TEAM_ID).recent(limit=20)
    event = next(e for e in events if e.action == action)
    return event.outcome, dict(event.details or {})


async def test_a_supervisor_releases_a_colleagues_thread_through_the_colleagues_session(
    slack: Harness,
) -> None:
    """LiveVox acts as the session's agent and refuses a thread in another agent's personal inbox; a
    supervisor's team list shows U0AGENT's, and Release there goes through U0AGENT's session (audited as
    the supervisor, naming the login it acted as)."""
    message = await list_threads(slack, "personal", user="U0SUPER")
    maria = open_thread(slack, MARIA, AGENT_ID)
    await click_card(slack, message, maria.thread_id, ids.ACTION_THREAD_RELEASE, user="U0SUPER")
    await slack.driver.settle()
    assert maria.owner_agent_id is None  # back in the group inbox
    assert ("U0SUPER", "thread.released", "ok") in await slack.audit_actions()
    _, details = await _last(slack, "thread.released")
    assert details.get("as_login") == DEMO.agent_login
    # Their own threads a supervisor changes as themselves.
    own = next(  # the supervisor's own agent (SKIM) has one thread in their personal inbox
        t
        for t in world(slack).threads.values()
        if t.owner_agent_id == DEMO.transfer_agent_id and not t.resolved
    )
    message = await list_threads(slack, "personal", user="U0SUPER")
    await click_card(slack, message, own.thread_id, ids.ACTION_THREAD_RELEASE, user="U0SUPER")
    await slack.driver.settle()
    assert own.owner_agent_id is None


async def test_a_supervisor_acts_on_a_thread_that_moved_in_livevox_since_the_card_was_shown(
    slack: Harness,
) -> None:
    """A card shows a thread where it was; an agent may then take it, or a thread be moved, in LiveVox
    itself. LiveVox refuses the supervisor's change through the session the card named, so Switchboard
    finds whose inbox holds it now and acts through that session, once; a thread no linked agent's
    inbox holds is left as LiveVox said (refused, audited as failed, the supervisor told)."""
    personal = await list_threads(slack, "personal", user="U0SUPER")
    own = open_thread(slack, MARIA, DEMO.transfer_agent_id)  # in the supervisor's own personal inbox
    assert f"card:{own.thread_id}" in dump(personal)
    own.owner_agent_id = AGENT_ID  # transferred to U0AGENT in LiveVox's own agent desktop
    await click_card(slack, personal, own.thread_id, ids.ACTION_THREAD_RELEASE, user="U0SUPER")
    await slack.driver.settle()
    assert own.owner_agent_id is None  # released, through U0AGENT's session
    outcome, details = await _last(slack, "thread.released")
    assert outcome == "ok" and details.get("as_login") == DEMO.agent_login

    personal = await list_threads(slack, "personal", user="U0SUPER")
    maria = open_thread(slack, MARIA, AGENT_ID)
    maria.owner_agent_id = DEMO.transfer_agent_id  # now in the supervisor's own personal inbox
    await click_card(slack, personal, maria.thread_id, ids.ACTION_THREAD_RELEASE, user="U0SUPER")
    await slack.driver.settle()
    assert maria.owner_agent_id is None
    outcome, details = await _last(slack, "thread.released")
    assert outcome == "ok" and "as_login" not in details  # as themselves

    personal = await list_threads(slack, "personal", user="U0SUPER")
    james = open_thread(slack, JAMES, AGENT_ID)
    stranger = next(a for a in world(slack).agents if a not in (AGENT_ID, DEMO.transfer_agent_id))
    james.owner_agent_id = stranger  # an agent nobody linked in Slack: no session reads that inbox
    await click_card(slack, personal, james.thread_id, ids.ACTION_THREAD_RELEASE, user="U0SUPER")
    await slack.driver.settle()
    assert james.owner_agent_id == stranger  # untouched
    outcome, _ = await _last(slack, "thread.released")
    assert outcome == "failed"
    answer = slack.driver.last_response("U0SUPER")
    assert answer is not None and "personal inbox" in dump(answer), dump(answer)


# ------------------------------------------------------------------------------------------ buttons
async def test_take_moves_the_thread_and_updates_the_card_in_place(slack: Harness) -> None:
    message = await list_threads(slack)
    priya = open_thread(slack, PRIYA, None)
    await click_card(slack, message, priya.thread_id, ids.ACTION_THREAD_TAKE)
    await slack.driver.settle()
    assert priya.owner_agent_id == AGENT_ID
    assert message.edits == 1 and slack.driver.last_response("U0AGENT") is message
    assert "You took thread" in dump(message)
    assert "Personal SMS" in card_text(message, priya.thread_id)
    card_index(message, priya.thread_id, ids.ACTION_THREAD_RELEASE)
    assert ("U0AGENT", "thread.taken", "ok") in await slack.audit_actions()


async def test_take_on_a_card_whose_thread_someone_else_took_says_it_moved(slack: Harness) -> None:
    message = await list_threads(slack)
    priya = open_thread(slack, PRIYA, None)
    priya.owner_agent_id = DEMO.transfer_agent_id  # taken in LiveVox by another agent since
    await click_card(slack, message, priya.thread_id, ids.ACTION_THREAD_TAKE)
    await slack.driver.settle()
    assert priya.owner_agent_id == DEMO.transfer_agent_id  # nothing was done
    said = dump(message) + dump(slack.driver.last_response("U0AGENT") or message)
    assert "has left your inboxes since this card was shown" in said
    assert "not in your personal inbox or a group inbox of yours" not in said


async def test_double_click_takes_once_but_the_new_card_works_again(slack: Harness) -> None:
    message = await list_threads(slack)
    priya = open_thread(slack, PRIYA, None)
    index = card_index(message, priya.thread_id, ids.ACTION_THREAD_TAKE)
    await slack.driver.click(message, index=index)
    await slack.driver.click(message, index=index)
    await slack.driver.settle()
    audit = await slack.audit_actions()
    assert audit.count(("U0AGENT", "thread.taken", "ok")) == 1
    assert message.edits == 1
    # the re-rendered card has a fresh nonce: release then take again both happen
    await click_card(slack, message, priya.thread_id, ids.ACTION_THREAD_RELEASE)
    await slack.driver.settle()
    assert priya.owner_agent_id is None
    await click_card(slack, message, priya.thread_id, ids.ACTION_THREAD_TAKE)
    await slack.driver.settle()
    assert priya.owner_agent_id == AGENT_ID
    assert (await slack.audit_actions()).count(("U0AGENT", "thread.taken", "ok")) == 2


async def test_release_sends_the_thread_to_the_group_inbox(slack: Harness) -> None:
    message = await list_threads(slack)
    james = open_thread(slack, JAMES, AGENT_ID)
    await click_card(slack, message, james.thread_id, ids.ACTION_THREAD_RELEASE)
    await slack.driver.settle()
    assert james.owner_agent_id is None
    assert "Group - Customer Care" in card_text(message, james.thread_id)
    assert "released thread" in dump(message)
    assert ("U0AGENT", "thread.released", "ok") in await slack.audit_actions()


async def test_mark_read_and_unread(slack: Harness) -> None:
    message = await list_threads(slack)
    maria = open_thread(slack, MARIA, AGENT_ID)
    assert maria.read is False
    await click_card(slack, message, maria.thread_id, ids.ACTION_THREAD_READ)
    await slack.driver.settle()
    assert maria.read is True
    assert "Read" in card_text(message, maria.thread_id)
    await click_card(slack, message, maria.thread_id, ids.ACTION_THREAD_UNREAD)
    await slack.driver.settle()
    assert maria.read is False
    assert "Unread" in card_text(message, maria.thread_id)
    audit = await slack.audit_actions()
    assert ("U0AGENT", "thread.marked_read", "ok") in audit
    assert ("U0AGENT", "thread.marked_unread", "ok") in audit


async def test_transfer_modal_lists_agents_and_moves_the_thread(slack: Harness) -> None:
    message = await list_threads(slack)
    maria = open_thread(slack, MARIA, AGENT_ID)
    await click_card(slack, message, maria.thread_id, ids.ACTION_THREAD_TRANSFER)
    await slack.driver.settle()  # the modal opens after the ack, while the trigger lasts
    opened = [c for c in slack.emulator.calls if c.method == "views.open"]
    assert opened and opened[0].ok
    view = slack.driver.current_view("U0AGENT")
    assert view is not None and view.callback_id == ids.VIEW_TRANSFER
    assert validate_view(view.data) == []
    assert "Sam Kim (SKIM)" in json.dumps(view.blocks)
    assert [c for c in slack.emulator.calls if c.method == "views.update" and c.ok]
    response = await slack.driver.submit(view, {"agent": str(DEMO.transfer_agent_id)})
    assert response.status == 200 and not response.errors
    await slack.driver.settle()
    assert maria.owner_agent_id == DEMO.transfer_agent_id
    assert slack.driver.current_view("U0AGENT") is None
    text = dump(message)
    assert "transferred thread" in text and "Sam Kim" in text
    assert f"card:{maria.thread_id}" not in text  # no longer in this agent's inboxes
    assert ("U0AGENT", "thread.transferred", "ok") in await slack.audit_actions()


async def test_resolve_modal_prefills_the_account_and_resolves(slack: Harness) -> None:
    message = await list_threads(slack)
    james = open_thread(slack, JAMES, AGENT_ID)
    await click_card(slack, message, james.thread_id, ids.ACTION_THREAD_RESOLVE)
    await slack.driver.settle()
    view = slack.driver.current_view("U0AGENT")
    assert view is not None and view.callback_id == ids.VIEW_RESOLVE
    assert validate_view(view.data) == []
    account = next(b for b in view.blocks if b.get("block_id") == ids.INPUT_ACCOUNT[0])
    assert account["element"]["initial_value"] == "880101"
    bad = await slack.driver.submit(view, {"term_code": "done"})
    assert "term_code" in bad.errors and not james.resolved
    response = await slack.driver.submit(view, {"term_code": "1001"})
    assert not response.errors
    await slack.driver.settle()
    assert james.resolved and james.term_code_id == 1001
    text = dump(message)
    assert "resolved thread" in text and f"card:{james.thread_id}" not in text
    assert ("U0AGENT", "thread.resolved", "ok") in await slack.audit_actions()


async def test_history_is_a_new_ephemeral_with_escaped_bodies(slack: Harness) -> None:
    message = await list_threads(slack)
    maria = open_thread(slack, MARIA, AGENT_ID)
    maria.messages[-1].message = "<!channel> call me <https://evil.example|now>"
    await click_card(slack, message, maria.thread_id, ids.ACTION_THREAD_HISTORY)
    await slack.driver.settle()
    history = slack.driver.last_response("U0AGENT")
    assert history is not None and history is not message and history.is_ephemeral
    text = dump(history)
    assert "Thread history" in text
    assert "&lt;!channel&gt; call me &lt;https://evil.example|now&gt;" in text
    assert "<!channel>" not in text
    assert validate_blocks(history.blocks, "message") == []


async def test_reply_opens_the_sms_modal_with_the_thread(slack: Harness) -> None:
    message = await list_threads(slack)
    maria = open_thread(slack, MARIA, AGENT_ID)
    await click_card(slack, message, maria.thread_id, ids.ACTION_THREAD_REPLY)
    await slack.driver.settle()
    view = slack.driver.current_view("U0AGENT")
    assert view is not None and view.callback_id == ids.VIEW_SEND_SMS
    kept = await recall(slack.container, TEAM_ID, "U0AGENT", view.private_metadata, SendModalContext)
    assert kept is not None and (kept.thread_id, kept.account) == (maria.thread_id, "880100")
    assert maria.thread_id not in view.private_metadata  # only the token travels through Slack
    recipient = next(b for b in view.blocks if b.get("block_id") == ids.INPUT_RECIPIENT[0])
    prefilled = str(recipient["element"].get("initial_value", ""))
    assert "".join(ch for ch in prefilled if ch.isdigit()).endswith(
        "4155550100"
    )  # the recipient is prefilled


# ------------------------------------------------------------------------------------------ denials
async def test_unlinked_user_is_told_how_to_get_linked(slack: Harness) -> None:
    slack.emulator.add_user("U0NEW", "newbie", real_name="New Person")
    response = await slack.driver.command("/threads", "", user="U0NEW")
    assert "not linked" in response.body and "/switchboard link" in response.body


async def test_user_without_livevox_login_gets_a_clear_message(slack: Harness) -> None:
    response = await slack.driver.command("/threads", "", user="U0ADMIN")
    assert escape(NO_LOGIN) in response.body  # mrkdwn: `&lt;LiveVox agent id&gt;` stays visible
    await slack.driver.settle()
    assert not [c for c in slack.emulator.calls if c.method.startswith("views.")]


async def test_unlinked_user_cannot_click_a_card(slack: Harness) -> None:
    slack.emulator.add_user("U0NEW", "newbie", real_name="New Person")
    message = await list_threads(slack)
    priya = open_thread(slack, PRIYA, None)
    await click_card(slack, message, priya.thread_id, ids.ACTION_THREAD_TAKE, user="U0NEW")
    await slack.driver.settle()
    assert priya.owner_agent_id is None
    answer = slack.driver.last_response("U0NEW")
    assert answer is not None and "not linked" in answer.text
    assert ("U0NEW", "access.denied", "denied") in await slack.audit_actions()


# ------------------------------------------------------------------------------------------ failures
async def test_provider_failure_on_a_button_is_told_and_audited(slack: Harness) -> None:
    message = await list_threads(slack)
    priya = open_thread(slack, PRIYA, None)
    await break_livevox(slack)
    await click_card(slack, message, priya.thread_id, ids.ACTION_THREAD_TAKE)
    await slack.driver.settle()
    assert priya.owner_agent_id is None
    answer = slack.driver.last_response("U0AGENT")
    assert answer is not None and answer is not message
    assert "Could not take thread" in answer.text and "LiveVox" in answer.text and "try again" in answer.text
    assert message.edits == 0  # the card stays as it was
    assert ("U0AGENT", "thread.taken", "failed") in await slack.audit_actions()


async def test_provider_failure_on_the_list_is_told(slack_no_livevox: Harness) -> None:
    slack = slack_no_livevox
    await slack.driver.command("/threads", "", user="U0AGENT")
    await slack.driver.settle()
    answer = slack.driver.last_response("U0AGENT")
    assert answer is not None
    assert "LiveVox" in answer.text and "try again" in answer.text


@pytest.mark.parametrize("user", ["U0AGENT", "U0SUPER"])
async def test_a_reply_goes_only_to_the_threads_own_number_for_everyone(slack: Harness, user: str) -> None:
    maria = open_thread(slack, MARIA, AGENT_ID)

    async def reply(to: str, text: str) -> str:
        message = await list_threads(slack, user=user)
        await click_card(slack, message, maria.thread_id, ids.ACTION_THREAD_REPLY, user=user)
        await slack.driver.settle()
        view = slack.driver.current_view(user)
        assert view is not None and view.callback_id == ids.VIEW_SEND_SMS
        await slack.driver.submit(view, {ids.INPUT_RECIPIENT[0]: to, ids.INPUT_MESSAGE[0]: text}, user=user)
        await slack.driver.settle()
        return dump(slack.emulator.ephemerals("C0DEMO", user)[-1])

    other = "+14155550101"  # the To box changed to another number, with Maria's thread behind the form
    told = await reply(other, f"to the wrong person {user}")
    assert "That thread is with another number" in told
    sent = [m for m in world(slack).lv_messages if m.direction == 2]
    assert not [m for m in sent if m.message == f"to the wrong person {user}"]

    told = await reply(MARIA, f"to Maria {user}")  # the thread's own number is sent, in the thread
    assert "Accepted by LiveVox" in told or "Delivered to" in told
    [mine] = [m for m in world(slack).lv_messages if m.message == f"to Maria {user}"]
    assert mine.phone == MARIA.lstrip("+") and mine.thread_id == maria.thread_id


async def test_a_thread_form_that_came_back_changed_is_refused_and_audited(slack: Harness) -> None:
    """Another person's transfer form, or one whose private_metadata was edited, names nothing kept for
    the one submitting it: refused under its field, nothing done, one `access.denied` row each."""
    message = await list_threads(slack)
    maria = open_thread(slack, MARIA, AGENT_ID)
    await click_card(slack, message, maria.thread_id, ids.ACTION_THREAD_TRANSFER)
    await slack.driver.settle()
    transfer = slack.driver.current_view("U0AGENT")
    assert transfer is not None and transfer.callback_id == ids.VIEW_TRANSFER
    theirs = await slack.driver.submit(transfer, {"agent": str(DEMO.transfer_agent_id)}, user="U0SUPER")
    assert "expired" in theirs.errors[ids.INPUT_AGENT[0]]
    edited = copy.deepcopy(transfer)
    edited.data["private_metadata"] = "x" * 20
    forged = await slack.driver.submit(edited, {"agent": str(DEMO.transfer_agent_id)})
    assert "expired" in forged.errors[ids.INPUT_AGENT[0]]
    await slack.driver.settle()
    assert maria.owner_agent_id == AGENT_ID  # not transferred
    james = open_thread(slack, JAMES, AGENT_ID)
    await click_card(slack, message, james.thread_id, ids.ACTION_THREAD_RESOLVE)
    await slack.driver.settle()
    resolve = slack.driver.current_view("U0AGENT")
    assert resolve is not None and resolve.callback_id == ids.VIEW_RESOLVE
    refused = await slack.driver.submit(resolve, {"term_code": "1001"}, user="U0SUPER")
    assert "expired" in refused.errors[ids.INPUT_TERM_CODE[0]]
    await slack.driver.settle()
    assert not james.resolved
    denied = [a for a in await slack.audit_actions() if a[1] == "access.denied"]
    assert (
        sorted(denied)
        == [("U0AGENT", "access.denied", "denied")] + [("U0SUPER", "access.denied", "denied")] * 2
    )
