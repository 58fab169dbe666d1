"""What a timeline shows, whoever asks: the outbox merged with the providers' records, the history of
transferred and resolved threads, one compliance renderer, one access rule (issue 9)."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import pytest

from bot.console.emulator import Message
from bot.db.repositories import NumberContactRepository, WorkspaceRepository
from bot.sandbox.world import DEMO, Agent, Thread, World
from bot.services.demo import TEAM_ID
from bot.services.identity import Identity
from bot.slack import ids
from bot.slack.blocks.compliance import DNC, OPTED_IN, OPTED_OUT
from tests.e2e.conftest import Harness
from tests.e2e.test_threads import card_index, click_card, list_threads, open_thread

AGENT, SUPER, ADMIN = "U0AGENT", "U0SUPER", "U0ADMIN"
MARIA, JAMES, PRIYA, ROBERT = DEMO.phone_numbers


def world(slack: Harness) -> World:
    app = slack.container.sandbox.app
    assert app is not None, "the sandbox starts with the first provider call"
    found: World = app.state.world
    return found


def dump(message: Message | None) -> str:
    assert message is not None
    return message.text + json.dumps(message.blocks, ensure_ascii=False)


async def answer(slack: Harness, command: str, text: str, user: str) -> str:
    response = await slack.driver.command(command, text, user=user)
    assert response.status == 200, response.body
    await slack.driver.settle()
    return dump(slack.driver.last_response(user))


def livevox_count(text: str) -> int:
    found = re.search(r"✓ LiveVox \((\d+)\)", text)
    assert found is not None, text[-400:]
    return int(found.group(1))


async def send_sms(slack: Harness, number: str, body: str, user: str = AGENT) -> None:
    await slack.driver.command("/sms", f"send {number} {body}", user=user)
    await slack.driver.settle()
    card = slack.driver.last_response(user)
    assert card is not None and "Send this SMS?" in dump(card)
    await slack.driver.click(card, action_id=ids.ACTION_SEND_CONFIRM, user=user)
    await slack.driver.settle()
    # Ranges end at the whole second they were asked in: a lookup within the second of the send would
    # leave the send out (of every source alike).
    await asyncio.sleep(1.1)


def colleague(slack: Harness) -> Agent:
    """A LiveVox agent of the demo service who is neither the demo agent nor the supervisor."""
    return next(
        a
        for a in world(slack).agents.values()
        if DEMO.service_id in a.service_ids
        and a.agent_id not in (DEMO.agent_id, DEMO.transfer_agent_id)
        and a.status != "LOGGED_OFF"
    )


async def transfer(slack: Harness, thread: Thread, to: Agent) -> None:
    message = await list_threads(slack)
    await click_card(slack, message, thread.thread_id, ids.ACTION_THREAD_TRANSFER)
    await slack.driver.settle()
    view = slack.driver.current_view(AGENT)
    assert view is not None and view.callback_id == ids.VIEW_TRANSFER
    response = await slack.driver.submit(view, {"agent": str(to.agent_id)})
    assert not response.errors
    await slack.driver.settle()
    assert thread.owner_agent_id == to.agent_id


async def take(slack: Harness, thread: Thread) -> None:
    message = await list_threads(slack)
    await click_card(slack, message, thread.thread_id, ids.ACTION_THREAD_TAKE)
    await slack.driver.settle()
    assert thread.owner_agent_id == DEMO.agent_id


async def resolve(slack: Harness, thread: Thread) -> None:
    message = await list_threads(slack)
    await click_card(slack, message, thread.thread_id, ids.ACTION_THREAD_RESOLVE)
    await slack.driver.settle()
    view = slack.driver.current_view(AGENT)
    assert view is not None and view.callback_id == ids.VIEW_RESOLVE
    response = await slack.driver.submit(view, {"term_code": "1001"})
    assert not response.errors
    await slack.driver.settle()
    assert thread.resolved


def texts_of(thread: Thread) -> list[str]:
    return [m.message for m in thread.messages]


# ------------------------------------------------------------------------------- the outbox, merged
async def test_an_agents_sms_shows_once_in_the_supervisors_timeline_with_who_sent_it(slack: Harness) -> None:
    body = "Timeline check: your card arrives Tuesday"
    await send_sms(slack, JAMES, body)
    for command, text in (("/lookup", f"{JAMES} 7d"), ("/sms", f"logs {JAMES} 7d")):
        shown = await answer(slack, command, text, SUPER)
        assert shown.count(body) == 1, (
            command,
            shown.count(body),
        )  # the provider's record and the outbox: once
        assert f"sent by <@{AGENT}>" in shown, command
        assert livevox_count(shown) > 0


async def test_an_sms_no_provider_reports_is_shown_from_the_outbox(slack: Harness) -> None:
    body = "Outbox only: LiveVox has not reported this one"
    await send_sms(slack, JAMES, body)
    # LiveVox loses its record of the send (as a provider that has not reported it yet would show).
    world(slack).lv_messages[:] = [m for m in world(slack).lv_messages if m.message != body]
    for thread in world(slack).threads.values():
        thread.messages[:] = [m for m in thread.messages if m.message != body]
    shown = await answer(slack, "/lookup", f"{JAMES} 7d", SUPER)
    assert shown.count(body) == 1 and "*Switchboard* SMS" in shown and f"sent by <@{AGENT}>" in shown


# ------------------------------------------------------------------------------- transfer and resolve
async def test_after_a_transfer_the_supervisor_still_sees_the_history_and_the_flags(slack: Harness) -> None:
    await list_threads(slack)  # starts the sandbox
    robert = open_thread(slack, ROBERT, None)  # group inbox, opted out of SMS
    await take(slack, robert)
    other = colleague(slack)
    # The colleague is a linked agent of the team: a supervisor's view spans their inboxes too.
    slack.emulator.add_user("U0THIRD", "third", real_name=other.name)
    response = await slack.driver.command(
        "/switchboard",
        f"link <@U0THIRD> agent={other.agent_id} login={other.login_id} role=agent",
        user=ADMIN,
    )
    assert response.status == 200
    await slack.driver.settle()
    await transfer(slack, robert, other)

    shown = await answer(slack, "/lookup", f"{ROBERT} 30d", SUPER)
    assert livevox_count(shown) > 0
    assert OPTED_OUT in shown
    assert robert.thread_id in shown  # still listed among the number's open threads
    for text in texts_of(robert)[-2:]:
        assert text.split()[0] in shown


async def test_a_thread_transferred_outside_the_team_keeps_its_history(slack: Harness) -> None:
    await list_threads(slack)
    robert = open_thread(slack, ROBERT, None)
    await take(slack, robert)
    await transfer(slack, robert, colleague(slack))  # an agent Switchboard has no link for
    shown = await answer(slack, "/sms", f"logs {ROBERT} 30d", SUPER)
    assert livevox_count(shown) >= len(robert.messages)
    assert f"thread {robert.thread_id}" in shown


async def test_flags_stay_shown_with_their_date_after_the_thread_leaves_every_inbox_we_read(
    slack: Harness,
) -> None:
    """LiveVox shows a contact's flags only in the inboxes holding its threads: once Robert's only thread
    is with an agent Switchboard has no link for, the flags LiveVox last showed are shown, dated."""
    await list_threads(slack)
    robert = open_thread(slack, ROBERT, None)  # opted out of SMS
    before = await answer(slack, "/lookup", f"{ROBERT} 30d", SUPER)
    assert OPTED_OUT in before and "as LiveVox last showed them" not in before
    await take(slack, robert)
    await transfer(slack, robert, colleague(slack))  # no link: no inbox of ours holds it now
    for command, text in (("/lookup", f"{ROBERT} 30d"), ("/sms", f"logs {ROBERT} 30d")):
        shown = await answer(slack, command, text, SUPER)
        assert OPTED_OUT in shown, command
        assert "as LiveVox last showed them, <!date^" in shown, command


async def test_a_resolved_threads_history_stays_visible(slack: Harness) -> None:
    await list_threads(slack)
    james = open_thread(slack, JAMES, DEMO.agent_id)
    before = await answer(slack, "/sms", f"logs {JAMES} 30d", AGENT)
    assert f"thread {james.thread_id}" in before
    await resolve(slack, james)
    for user in (AGENT, SUPER):
        for command, text in (("/sms", f"logs {JAMES} 30d"), ("/lookup", f"{JAMES} 30d")):
            shown = await answer(slack, command, text, user)
            assert f"thread {james.thread_id}" in shown, (user, command)
            assert livevox_count(shown) >= len(james.messages)


async def test_a_supervisor_sees_a_thread_resolved_by_an_agent_though_none_is_open(slack: Harness) -> None:
    """No open thread of the number anywhere: what Switchboard saw is read back by thread id."""
    await list_threads(slack)
    james = open_thread(slack, JAMES, DEMO.agent_id)
    await resolve(slack, james)
    for thread in world(slack).threads.values():  # LiveVox keeps no other thread of the number open
        if thread.phone == JAMES:
            thread.resolved = True
    shown = await answer(slack, "/sms", f"logs {JAMES} 30d", SUPER)
    assert f"thread {james.thread_id}" in shown
    assert livevox_count(shown) >= len(james.messages)


# ------------------------------------------------------------------------------- one compliance renderer
async def test_the_flags_read_the_same_in_sms_logs_lookup_cards_and_the_preview(slack: Harness) -> None:
    message = await list_threads(slack)
    priya = open_thread(slack, PRIYA, None)
    card = next(b for b in message.blocks if b.get("block_id") == f"card:{priya.thread_id}")
    expected = f"{DNC}   {OPTED_IN}"  # the demo's Priya: on the DNC list, opted in to SMS
    assert expected in card["text"]["text"]
    for command, text in (("/sms", f"logs {PRIYA} 30d"), ("/lookup", f"{PRIYA} 30d")):
        assert expected in await answer(slack, command, text, AGENT), command
    await slack.driver.command("/sms", f"send {PRIYA} hello", user=AGENT)
    await slack.driver.settle()
    preview = dump(slack.driver.last_response(AGENT))
    assert "This SMS will not be sent" in preview and expected in preview
    assert "opted out" not in preview.lower()


# ------------------------------------------------------------------------------- one access rule
async def test_an_agent_keeps_access_after_transferring_and_resolving(slack: Harness) -> None:
    await list_threads(slack)
    robert = open_thread(slack, ROBERT, None)
    await take(slack, robert)
    await transfer(slack, robert, colleague(slack))
    for command, text in (("/lookup", ROBERT), ("/sms", f"logs {ROBERT}"), ("/calls", ROBERT)):
        shown = await answer(slack, command, text, AGENT)
        assert "You can see numbers" not in shown, command
    james = open_thread(slack, JAMES, DEMO.agent_id)
    await resolve(slack, james)
    for thread in world(slack).threads.values():
        if thread.phone == JAMES:
            thread.resolved = True
    shown = await answer(slack, "/lookup", f"{JAMES} 30d", AGENT)
    assert "You can see numbers" not in shown and f"thread {james.thread_id}" in shown
    async with slack.container.sessions() as session:
        remembered = await NumberContactRepository(session, TEAM_ID).numbers(AGENT, [ROBERT, JAMES])
    assert remembered == {ROBERT, JAMES}


async def test_the_history_button_of_a_transferred_thread_still_answers(slack: Harness) -> None:
    await list_threads(slack)
    robert = open_thread(slack, ROBERT, None)
    await take(slack, robert)
    old = await list_threads(slack)
    index = card_index(old, robert.thread_id, ids.ACTION_THREAD_HISTORY)
    await transfer(slack, robert, colleague(slack))
    await slack.driver.click(old, index=index)
    await slack.driver.settle()
    shown = dump(slack.driver.last_response(AGENT))
    assert "Thread history" in shown and "not in your personal inbox" not in shown


STRANGER = "+1 415 555 0199"


async def test_an_agent_is_refused_an_unrelated_number_alike_everywhere(slack: Harness) -> None:
    for command, text in (("/calls", STRANGER), ("/lookup", STRANGER), ("/sms", f"logs {STRANGER}")):
        shown = await answer(slack, command, text, AGENT)
        assert (
            "You can see numbers you have or had a conversation with; +1 415 ••• 0199 is not one of them. "
            "An admin can open every number to agents with `/switchboard access agents=all`."
        ) in shown, command
    denied = [a for a in await slack.audit_actions() if a[1] == "access.denied"]
    assert denied == [(AGENT, "access.denied", "denied")] * 3


async def test_the_team_setting_opens_every_number_to_agents(slack: Harness) -> None:
    refused = await answer(slack, "/lookup", STRANGER, AGENT)
    assert "is not one of them" in refused
    response = await slack.driver.command("/switchboard", "access agents=all", user=AGENT)
    assert "admin" in response.body.lower()  # agents cannot change it
    response = await slack.driver.command("/switchboard", "access agents=all", user=ADMIN)
    await slack.driver.settle()
    assert "Agents see every number" in dump(slack.driver.last_response(ADMIN)) or "every number" in (
        response.body
    )
    async with slack.container.sessions() as session:
        workspace = await WorkspaceRepository(session, TEAM_ID).get()
    assert workspace is not None and workspace.agents_see_all_numbers
    assert (ADMIN, "workspace.access_changed", "ok") in await slack.audit_actions()
    for command, text in (("/calls", STRANGER), ("/lookup", STRANGER), ("/sms", f"logs {STRANGER}")):
        assert "is not one of them" not in await answer(slack, command, text, AGENT), command

    await slack.driver.command("/switchboard", "access agents=own", user=ADMIN)
    await slack.driver.settle()
    assert "is not one of them" in await answer(slack, "/lookup", STRANGER, AGENT)
    shown = await slack.driver.command("/switchboard", "access", user=ADMIN)
    await slack.driver.settle()
    assert "Agents see their own numbers" in dump(slack.driver.last_response(ADMIN)) + shown.body


async def test_help_states_the_rule_and_the_setting(slack: Harness) -> None:
    agent_help = (await slack.driver.command("/switchboard", "help", user=AGENT)).body
    assert "Agents see the numbers they have or had a conversation with" in agent_help
    assert "transferred or resolved" in agent_help and "/switchboard access agents=all" in agent_help
    admin_help = (await slack.driver.command("/switchboard", "help", user=ADMIN)).body
    assert "/switchboard access [agents=all|own]" in admin_help


async def test_an_admin_without_a_livevox_login_sees_the_history_and_flags_too(slack: Harness) -> None:
    """LiveVox's history methods are agent-only: an admin's timeline reads through a linked agent's."""
    shown = await answer(slack, "/lookup", f"{ROBERT} 30d", ADMIN)
    assert livevox_count(shown) > 0 and OPTED_OUT in shown
    assert "link your LiveVox login" not in shown
    await slack.driver.command("/sms", f"send {PRIYA} hello", user=ADMIN)
    await slack.driver.settle()
    preview = dump(slack.driver.last_response(ADMIN))
    assert f"{DNC}   {OPTED_IN}" in preview and "could not be checked" not in preview


async def test_a_supervisors_lookup_reads_the_team_once_and_writes_what_it_saw_once(
    slack: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The linked agents are read once per lookup (not once for the session and again for the inboxes),
    and who had which thread is written in one transaction, however many inboxes showed it."""
    contacts = slack.container.history.contacts
    assert contacts is not None
    team_reads: list[str] = []
    writes: list[tuple[int, str]] = []
    linked_agents = contacts.linked_agents
    record_many = NumberContactRepository.record_many

    async def counted_team(team_id: str) -> list[Identity]:
        team_reads.append(team_id)
        return await linked_agents(team_id)

    async def counted_record(self: NumberContactRepository, user_id: str, *args: Any, **kw: Any) -> None:
        writes.append((id(self.session), user_id))
        await record_many(self, user_id, *args, **kw)

    monkeypatch.setattr(contacts, "linked_agents", counted_team)
    monkeypatch.setattr(NumberContactRepository, "record_many", counted_record)
    for user in (SUPER, ADMIN):  # a supervisor with a LiveVox login, an admin without one
        team_reads.clear()
        writes.clear()
        shown = await answer(slack, "/lookup", f"{MARIA} 30d", user)
        assert livevox_count(shown) > 0
        assert team_reads == [TEAM_ID], user
        assert len({session for session, _ in writes}) == 1, (user, writes)
    assert len({who for _, who in writes}) >= 2  # several inboxes showed it: still one write


async def test_a_supervisors_lookup_reads_each_group_inbox_once(
    slack: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A group inbox lists the same threads through every agent's session: it is read once however many
    linked agents work it (only personal inboxes are read per agent), and still counts for each of them."""
    from bot.providers._pagination import AsyncPager
    from bot.providers.livevox.client import Threads
    from bot.providers.livevox.models import Thread as LiveVoxThread

    reads: list[tuple[str, bool | None]] = []
    list_all = Threads.list_all

    def counted(
        self: Threads, channel_id: int | str, channel: str, personal: bool | None = None, **kw: Any
    ) -> AsyncPager[list[LiveVoxThread], LiveVoxThread]:
        reads.append((str(channel_id), personal))
        return list_all(self, channel_id, channel, personal, **kw)

    shown_before = await answer(slack, "/lookup", f"{MARIA} 30d", SUPER)  # sessions and inbox lists warm
    monkeypatch.setattr(Threads, "list_all", counted)
    shown = await answer(slack, "/lookup", f"{MARIA} 30d", SUPER)
    groups = [channel for channel, personal in reads if not personal]
    assert groups and len(groups) == len(set(groups)), reads
    assert livevox_count(shown) == livevox_count(shown_before)
    async with slack.container.sessions() as session:
        repo = NumberContactRepository(session, TEAM_ID)
        assert await repo.had(AGENT, MARIA) and await repo.had(SUPER, MARIA)
