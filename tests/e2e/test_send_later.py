"""Send later end to end: `/sms send … --at` in the sender's Slack time zone, the send form's date and
time picker, `/sms scheduled` (mine, the team's) and App Home with Cancel, quiet hours moving a time,
the guard checked again when it fires, exactly once however it is clicked or fired, the sweeper
that fires a row whose job was lost, a database blink before the claim retried quietly, and a send whose
worker died ending "outcome unknown" off the lists. On a fake clock: Switchboard's time moves, the
queue's delays are real seconds."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from procrastinate.testing import InMemoryConnector
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot.clock import FakeClock
from bot.console.blockkit import Interactive, interactive_elements
from bot.console.emulator import Message
from bot.db.models import ScheduledSend, ScheduledStatus
from bot.db.repositories.scheduled_sends import ScheduledSendRepository
from bot.jobs.contract import Job
from bot.services.demo import TEAM_ID
from bot.services.identity import Identity
from bot.services.scheduled_sends import Scheduled, ScheduledSends, ScheduleRequest
from bot.slack import ids
from bot.slack.sms import later
from tests.e2e.conftest import Harness, MakeHarness, answered, set_send_window, until
from tests.e2e.test_safe_send import CLEAN, _actions, _audit, _inject, _lv_sent, _rows, _text

# 11:59:58 in New York (the agent's Slack zone), 08:59:58 in San Francisco (the number's): both awake.
NOW = datetime(2026, 12, 2, 16, 59, 58, tzinfo=UTC)


@dataclass
class _Direct:
    """Scheduled sends made straight through the service on a fake clock (no card, no job deferred)."""

    clock: FakeClock
    identity: Identity
    service: ScheduledSends

    async def schedule(self, key: str, *, after: timedelta, text: str | None = None) -> Scheduled:
        return await self.service.schedule(
            self.identity,
            ScheduleRequest(
                key=key, number=CLEAN, at=NOW + after, origin="test", text=text, channel_id="C0DEMO"
            ),
        )


async def _direct(slack: Harness) -> _Direct:
    clock = FakeClock(NOW)
    slack.container.clock = clock
    identity = await slack.container.identities.resolve(TEAM_ID, "U0AGENT")
    return _Direct(clock, identity, ScheduledSends(slack.container.sessions, clock))


async def _scheduled(slack: Harness) -> list[ScheduledSend]:
    async with slack.container.sessions() as session:
        query = select(ScheduledSend).where(ScheduledSend.team_id == TEAM_ID).order_by(ScheduledSend.id)
        return list((await session.execute(query)).scalars())


async def _command(slack: Harness, text: str, user: str = "U0AGENT") -> tuple[str, Message | None]:
    before = slack.driver.last_response(user)
    response = await slack.driver.command("/sms", text, user=user)
    assert response.status == 200
    await slack.driver.settle()
    answer = slack.driver.last_response(user)
    return response.body, (answer if answer is not before else None)


async def _rows_made(slack: Harness, count: int) -> list[ScheduledSend]:
    async def made() -> bool:
        return len(await _scheduled(slack)) >= count

    await until(made, f"{count} scheduled rows")
    return await _scheduled(slack)


async def _ask(slack: Harness, text: str, words: str, user: str = "U0AGENT") -> Message | None:
    """A command answered while a send is due within seconds: its job keeps the queue busy (it waits
    for the fake clock), so this waits for the answer instead of for an idle queue."""
    await slack.driver.command("/sms", text, user=user)
    await answered(slack, words, user)
    return slack.driver.last_response(user)


async def _card(slack: Harness, text: str, user: str = "U0AGENT") -> Message:
    _, card = await _command(slack, text, user)
    assert card is not None
    return card


def _sent(slack: Harness, body: str) -> list[Any]:
    return [m for m in _lv_sent(slack, CLEAN) if m.message == body]


async def test_at_a_time_is_previewed_scheduled_once_listed_and_fired_once(make_harness: MakeHarness) -> None:
    async with make_harness(send_window=None, settle_timeout=30) as slack:
        clock = FakeClock(NOW)
        slack.container.clock = clock
        card = await _card(slack, f'send {CLEAN} Lunch is ready --at "noon"')
        text = _text(card)
        assert "Schedule this SMS?" in text
        assert "Goes out at 09:00 their time (America/Los_Angeles), Wed Dec 2" in text
        assert _actions(card) == {ids.ACTION_SEND_LATER, ids.ACTION_SEND_CANCEL}  # no Send
        clicks = [
            slack.driver.block_actions_payload(
                card, slack.driver.find_element(card, action_id=ids.ACTION_SEND_LATER), user="U0AGENT"
            )
            for _ in range(2)
        ]
        await asyncio.gather(*(slack.driver.send_payload(p) for p in clicks))
        await answered(slack, "Scheduled: your SMS to +1 415-555-0100 goes out at 09:00 their time")
        [row] = await _scheduled(slack)
        assert row.status is ScheduledStatus.PENDING and row.user_id == "U0AGENT"
        assert row.send_at == datetime(2026, 12, 2, 17, 0, tzinfo=UTC) and row.asked_for is None
        assert row.text == "Lunch is ready" and row.origin == "/sms send --at"

        listing = await _ask(slack, "scheduled", "Your scheduled SMS")
        assert listing is not None and "Your scheduled SMS (1)" in _text(listing)
        assert "Lunch is ready" in _text(listing)
        assert slack.driver.find_element(listing, action_id=ids.ACTION_SCHEDULED_CANCEL) is not None
        assert _sent(slack, "Lunch is ready") == []

        clock.advance(seconds=5)  # noon in New York
        await slack.driver.settle()
        assert len(_sent(slack, "Lunch is ready")) == 1
        [outbox] = await _rows(slack)
        assert outbox.idempotency_key == f"scheduled:{row.key}"
        [row] = await _scheduled(slack)
        assert row.status is ScheduledStatus.SENT
        assert len(await _audit(slack, "sms.scheduled")) == 1
        _, listing = await _command(slack, "scheduled")
        assert listing is not None and "You have no SMS scheduled" in _text(listing)


async def test_a_time_in_their_quiet_hours_is_moved_and_the_sender_told_then_cancelled(
    make_harness: MakeHarness,
) -> None:
    async with make_harness(send_window=None, settle_timeout=30) as slack:
        slack.container.clock = FakeClock(NOW)
        # 09:00 for the agent in New York is 06:00 in San Francisco: before the 08:00 opening there.
        card = await _card(slack, f"send {CLEAN} Early bird --at tomorrow 9am")
        text = _text(card)
        assert "Goes out at 08:00 their time (America/Los_Angeles), Thu Dec 3" in text
        assert "inside the recipient's quiet hours (08:00–21:00" in text
        await slack.driver.click(card, action_id=ids.ACTION_SEND_LATER, user="U0AGENT")
        await answered(slack, "which is inside the recipient's quiet hours")
        scheduled_card = slack.driver.last_response("U0AGENT")
        assert scheduled_card is not None
        assert "which is inside the recipient's quiet hours" in _text(scheduled_card)
        [row] = await _scheduled(slack)
        assert row.asked_for == datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
        assert (
            datetime(2026, 12, 3, 16, 0, tzinfo=UTC)
            <= row.send_at
            <= datetime(2026, 12, 3, 16, 0, 5, tzinfo=UTC)
        )
        [event] = await _audit(slack, "sms.scheduled")
        assert event.details["asked_for"] == "2026-12-03T14:00:00+00:00"

        # Cancel on the card: nothing goes out, and a second click says it was cancelled already.
        cancel, stale = (
            slack.driver.block_actions_payload(
                scheduled_card,
                slack.driver.find_element(scheduled_card, action_id=ids.ACTION_SCHEDULED_CANCEL),
                user="U0AGENT",
            )
            for _ in range(2)
        )
        await slack.driver.send_payload(cancel)
        await answered(slack, "Cancelled: nothing was sent to +1 415-555-0100")
        [row] = await _scheduled(slack)
        assert row.status is ScheduledStatus.CANCELLED and row.cancelled_by == "U0AGENT"
        assert len(await _audit(slack, "sms.schedule_cancelled")) == 1
        await slack.driver.send_payload(stale)  # a second click, from a client that still shows it
        await answered(slack, "It was cancelled already")

        # Its time comes: the job finds the row cancelled and sends nothing.
        await later.fire(
            later.SmsScheduledJob(envelope=_envelope("U0AGENT"), scheduled_id=row.id, number=row.number),
            slack.container,
        )
        assert _sent(slack, "Early bird") == []


def _cancel_of(listing: Message, words: str) -> Interactive:
    """The Cancel button of the listed send whose line holds `words`."""
    [block] = [b for b in listing.blocks if b.get("type") == "section" and words in str(b)]
    return next(e for e in interactive_elements(listing.blocks) if e.block_id == block.get("block_id"))


def _envelope(user: str) -> Any:
    from bot.jobs.contract import Envelope

    return Envelope(team_id=TEAM_ID, user_id=user, channel_id="C0DEMO", origin="test")


async def test_times_that_cannot_be_scheduled_are_refused_in_one_sentence(make_harness: MakeHarness) -> None:
    async with make_harness(send_window=None, settle_timeout=30) as slack:
        slack.container.clock = FakeClock(NOW)
        body, _ = await _command(slack, f"send {CLEAN} Hi --at someday")
        assert "I could not read the time `someday`" in body  # at once, before any work
        body, _ = await _command(slack, f"send {CLEAN} --at noon")
        assert "Write the message before `--at`" in body
        body, _ = await _command(slack, f'send {CLEAN} Hi --at "tomorrow')
        assert "no closing quote" in body
        _, answer = await _command(slack, f'send {CLEAN} Hi --at "2026-12-01 09:00"')
        assert answer is not None and "That time has already passed" in _text(answer)
        _, answer = await _command(slack, f'send {CLEAN} Hi --at "in 40 days"')
        assert answer is not None and "up to 30 days ahead" in _text(answer)
        assert await _scheduled(slack) == []


async def test_the_team_list_is_for_supervisors_and_only_the_author_or_a_supervisor_cancels(
    make_harness: MakeHarness,
) -> None:
    async with make_harness(send_window=None, settle_timeout=30) as slack:
        slack.container.clock = FakeClock(NOW)
        for user, body in (("U0AGENT", "From the agent"), ("U0SUPER", "From the supervisor")):
            card = await _card(slack, f"send {CLEAN} {body} --at in 2h", user=user)
            await slack.driver.click(card, action_id=ids.ACTION_SEND_LATER, user=user)
        agent_row, super_row = await _rows_made(slack, 2)
        assert (agent_row.user_id, super_row.user_id) == ("U0AGENT", "U0SUPER")

        _, mine = await _command(slack, "scheduled")
        assert (
            mine is not None and "From the agent" in _text(mine) and "From the supervisor" not in _text(mine)
        )
        body, _ = await _command(slack, "scheduled team")
        assert "Only supervisors and admins see the team's scheduled SMS" in body
        body, _ = await _command(slack, "scheduled everything")
        assert "Use `/sms scheduled` (yours" in body

        _, own = await _command(slack, "scheduled mine", user="U0SUPER")
        assert own is not None and "Your scheduled SMS (1)" in _text(own)
        _, team = await _command(slack, "scheduled", user="U0SUPER")  # a supervisor's list: the team's
        assert team is not None and "The team's scheduled SMS (2)" in _text(team)
        assert "by <@U0AGENT>" in _text(team)
        # The agent replays the supervisor's (signed) Cancel button: the row says whose it is.
        theirs = _cancel_of(team, "From the supervisor")
        await slack.driver.send_payload(slack.driver.block_actions_payload(team, theirs, user="U0AGENT"))
        await answered(slack, "Only the person who scheduled it, or a supervisor")
        denied = [e for e in await _audit(slack, "access.denied") if e.target_id == str(super_row.id)]
        assert denied and denied[0].actor == "U0AGENT"
        assert (await _scheduled(slack))[1].status is ScheduledStatus.PENDING

        # The supervisor cancels the agent's from the team list: the list is drawn again without it.
        agents = _cancel_of(team, "From the agent")
        await slack.driver.send_payload(slack.driver.block_actions_payload(team, agents, user="U0SUPER"))
        await answered(slack, "Cancelled: nothing was sent", user="U0SUPER")
        rows = await _scheduled(slack)
        assert rows[0].status is ScheduledStatus.CANCELLED and rows[0].cancelled_by == "U0SUPER"
        redrawn = [
            m
            for m in slack.emulator.ephemerals("C0DEMO", "U0SUPER")
            if "team's scheduled SMS (1)" in _text(m)
        ]
        assert redrawn or "team's scheduled SMS (1)" in _text(slack.driver.last_response("U0SUPER"))


async def test_the_send_form_schedules_with_its_date_and_time_picker(make_harness: MakeHarness) -> None:
    async with make_harness(send_window=None, settle_timeout=30) as slack:
        slack.container.clock = FakeClock(NOW)
        response = await slack.driver.command("/sms", f"send {CLEAN}", user="U0AGENT")
        assert response.status == 200
        await slack.driver.settle()
        view = slack.driver.current_view("U0AGENT")
        assert view is not None
        assert any(b.get("block_id") == ids.INPUT_SEND_AT[0] for b in view.blocks)
        past = int((NOW - timedelta(hours=1)).timestamp())
        refused = await slack.driver.submit(
            view, {ids.INPUT_MESSAGE[0]: "From the form", ids.INPUT_SEND_AT[0]: str(past)}
        )
        assert "already passed" in refused.errors[ids.INPUT_SEND_AT[0]]
        at = int((NOW + timedelta(hours=1, seconds=2)).timestamp())
        ok = await slack.driver.submit(
            view, {ids.INPUT_MESSAGE[0]: "From the form", ids.INPUT_SEND_AT[0]: str(at)}
        )
        assert ok.ok and not ok.errors
        await slack.driver.settle()
        told = slack.emulator.ephemerals("C0DEMO", "U0AGENT")[-1]
        assert "Scheduled: your SMS to +1 415-555-0100 goes out at 10:00 their time" in _text(told)
        [row] = await _scheduled(slack)
        assert row.origin == "view:send_sms" and row.text == "From the form"
        assert row.send_at == datetime.fromtimestamp(at, UTC)
        assert _sent(slack, "From the form") == []


async def test_the_send_form_refuses_to_schedule_what_sending_would_refuse(make_harness: MakeHarness) -> None:
    from tests.e2e.test_safe_send import DNC, OPTED_OUT, PHONE_STOP

    async with make_harness(send_window=None, settle_timeout=30) as slack:
        slack.container.clock = FakeClock(NOW)
        at = int((NOW + timedelta(hours=1, seconds=2)).timestamp())
        for number, words in (
            (DNC, "Do-Not-Contact"),
            (OPTED_OUT, "not opted in to SMS"),
            (PHONE_STOP, "the customer opted out"),
        ):
            await slack.driver.command("/sms", f"send {number}", user="U0AGENT")
            await slack.driver.settle()
            view = slack.driver.current_view("U0AGENT")
            assert view is not None
            ok = await slack.driver.submit(
                view, {ids.INPUT_MESSAGE[0]: "Scheduled anyway?", ids.INPUT_SEND_AT[0]: str(at)}
            )
            assert ok.ok
            await slack.driver.settle()
            told = _text(slack.emulator.ephemerals("C0DEMO", "U0AGENT")[-1])
            assert "Not scheduled for" in told and words in told and "Scheduled:" not in told, told
        assert await _scheduled(slack) == []  # nothing was scheduled, so nothing fires later
        refusals = await _audit(slack, "sms.refused")
        assert (
            sorted(e.details["stage"] for e in refusals if e.details["stage"] == "schedule")
            == ["schedule"] * 3
        )
        assert not await _audit(slack, "sms.scheduled")


async def test_app_home_lists_them_and_cancels(make_harness: MakeHarness) -> None:
    async with make_harness(send_window=None, settle_timeout=30) as slack:
        slack.container.clock = FakeClock(NOW)
        card = await _card(slack, f"send {CLEAN} Home test --at in 3h")
        await slack.driver.click(card, action_id=ids.ACTION_SEND_LATER, user="U0AGENT")
        await _rows_made(slack, 1)
        await slack.driver.open_home("U0AGENT")
        await slack.driver.settle()
        home = slack.driver.home("U0AGENT")
        assert (
            home is not None and "Scheduled SMS" in _text(home.blocks) and "Home test" in _text(home.blocks)
        )
        await slack.driver.click(home, action_id=ids.ACTION_SCHEDULED_CANCEL, user="U0AGENT")
        await slack.driver.settle()
        [row] = await _scheduled(slack)
        assert row.status is ScheduledStatus.CANCELLED
        home = slack.driver.home("U0AGENT")
        assert home is not None and "Home test" not in _text(home.blocks)


async def test_checked_again_when_it_fires_moved_again_when_the_team_hours_changed(
    make_harness: MakeHarness,
) -> None:
    async with make_harness(send_window=None, settle_timeout=30) as slack:
        clock = FakeClock(NOW)
        slack.container.clock = clock
        card = await _card(slack, f'send {CLEAN} Changed hours --at "noon"')
        await slack.driver.click(card, action_id=ids.ACTION_SEND_LATER, user="U0AGENT")
        await _rows_made(slack, 1)
        # An admin narrows the team's hours to 10:00-18:00 before it goes (09:00 in San Francisco).
        await set_send_window(slack.container, 10 * 60, 18 * 60)
        clock.advance(seconds=5)
        told = await answered(
            slack, "Moved: the team's sending hours do not allow texting +1 415-555-0100 now"
        )
        assert "10:00 their time (America/Los_Angeles), Wed Dec 2" in told
        [row] = await _scheduled(slack)
        assert row.status is ScheduledStatus.PENDING and row.asked_for == datetime(
            2026, 12, 2, 17, 0, tzinfo=UTC
        )
        assert _sent(slack, "Changed hours") == []
        assert await _audit(slack, "sms.schedule_moved")


async def test_an_opt_out_before_it_fires_refuses_it_and_says_so(make_harness: MakeHarness) -> None:
    async with make_harness(send_window=None, settle_timeout=30) as slack:
        clock = FakeClock(NOW)
        slack.container.clock = clock
        card = await _card(slack, f'send {CLEAN} Before stop --at "noon"')
        await slack.driver.click(card, action_id=ids.ACTION_SEND_LATER, user="U0AGENT")
        await _rows_made(slack, 1)
        await _inject(slack, CLEAN, "Stop texting me")
        clock.advance(seconds=5)
        await slack.driver.settle()
        assert "Not sent to +1 415-555-0100: the customer opted out" in _text(
            slack.driver.last_response("U0AGENT")
        )
        [row] = await _scheduled(slack)
        assert row.status is ScheduledStatus.REFUSED and "opted out" in (row.outcome or "")
        assert _sent(slack, "Before stop") == [] and await _rows(slack) == []
        [event] = [e for e in await _audit(slack, "sms.refused") if e.details["stage"] == "send"]
        assert event.details["reasons"] == ["customer_opt_out"]


async def test_a_row_whose_job_was_lost_is_fired_by_the_sweeper_once_and_a_stale_one_is_not_sent(
    make_harness: MakeHarness,
) -> None:
    async with make_harness(send_window=None, settle_timeout=30) as slack:
        direct = await _direct(slack)
        clock = direct.clock
        # Made straight in the database, as if its job had been lost (no job is deferred here).
        lost = await direct.schedule("lost", after=timedelta(minutes=1), text="Lost job")
        stale = await direct.schedule("stale", after=timedelta(minutes=2), text="Stale")
        clock.advance(seconds=60 + 90)  # the first is 90 s late: the sweeper fires it
        assert await later.sweep(slack.container) == 1
        await slack.driver.settle()
        assert len(_sent(slack, "Lost job")) == 1
        assert await later.sweep(slack.container) == 0  # sent: nothing more to fire
        # Two jobs firing one row at once (a retry and the sweeper): one send.
        clock.advance(hours=2)  # the second is now two hours late: not sent, and the person told
        assert await later.sweep(slack.container) == 1
        await slack.driver.settle()
        assert _sent(slack, "Stale") == []
        told = _text(slack.emulator.ephemerals("C0DEMO", "U0AGENT")[-1])
        assert "Not sent to +1 415-555-0100: it was due" in told and "Schedule it again" in told
        rows = {r.key: r for r in await _scheduled(slack)}
        assert rows["lost"].status is ScheduledStatus.SENT and rows["stale"].status is ScheduledStatus.REFUSED
        assert lost.created and stale.created


async def test_two_jobs_firing_one_row_at_once_send_it_once(make_harness: MakeHarness) -> None:
    async with make_harness(send_window=None, settle_timeout=30) as slack:
        direct = await _direct(slack)
        made = await direct.schedule("twice", after=timedelta(seconds=30), text="Once only")
        again = await direct.schedule("twice", after=timedelta(seconds=30), text="Once only")
        assert made.created and not again.created and again.row.id == made.row.id
        direct.clock.advance(seconds=31)
        job = later.SmsScheduledJob(envelope=_envelope("U0AGENT"), scheduled_id=made.row.id, number=CLEAN)
        await asyncio.gather(*(later.fire(job, slack.container) for _ in range(3)))
        await slack.driver.settle()
        assert len(_sent(slack, "Once only")) == 1
        assert len(await _rows(slack)) == 1


def _told_since(slack: Harness, seq: int, user: str = "U0AGENT") -> list[str]:
    """What the person saw since change `seq`: one entry per message (its latest text: a card updated
    with its delivery record is one message)."""
    seen: dict[tuple[str, str], str] = {}
    for change in slack.emulator.changes_since(seq):
        message = change.message
        if change.kind not in ("message", "message_changed") or message is None:
            continue
        if message.ephemeral_to == user or message.source == "response_url" or message.channel == user:
            seen[(message.channel, message.ts)] = _text(message)
    return list(seen.values())


async def test_a_database_blink_before_the_claim_is_retried_and_the_sender_told_once(
    make_harness: MakeHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with make_harness(send_window=None, settle_timeout=30) as slack:
        clock = FakeClock(NOW)
        slack.container.clock = clock
        card = await _card(slack, f'send {CLEAN} After a blink --at "noon"')
        await slack.driver.click(card, action_id=ids.ACTION_SEND_LATER, user="U0AGENT")
        await answered(slack, "Scheduled: your SMS to +1 415-555-0100 goes out at 09:00 their time")
        [row] = await _scheduled(slack)
        seq = slack.emulator.seq
        claims: list[str] = []
        claim = ScheduledSendRepository.claim

        async def blink_once(repo: ScheduledSendRepository, row_id: int, now: datetime) -> Any:
            claims.append("blink" if not claims else "claim")
            if claims == ["blink"]:  # the database goes away under the first claim, before anything is sent
                raise OperationalError("UPDATE scheduled_sends", {}, ConnectionError("server closed"))
            return await claim(repo, row_id, now)

        monkeypatch.setattr(ScheduledSendRepository, "claim", blink_once)
        clock.advance(seconds=5)  # noon in New York

        async def settled() -> bool:
            return (await _scheduled(slack))[0].status is not ScheduledStatus.PENDING

        await until(settled, "the scheduled send fired after the blink")
        await slack.driver.settle()
        assert claims[0] == "blink" and "claim" in claims  # the fire job was run again, not ended
        assert len(_sent(slack, "After a blink")) == 1
        [fired] = await _scheduled(slack)
        assert fired.id == row.id and fired.status is ScheduledStatus.SENT
        [told] = _told_since(slack, seq)  # the outcome, and nothing before it
        assert "After a blink" in told and "database" not in told and "went wrong" not in told
        assert await later.sweep(slack.container) == 0


async def _stalled(slack: Harness, job: Job) -> None:
    """`job`, queued and `doing` on a worker whose heartbeat stopped: as a SIGKILLed worker leaves it."""
    connector = slack.container.queue.connector
    assert isinstance(connector, InMemoryConnector)
    queued = await slack.container.jobs.defer(job, delay=3600)  # never picked up by the live worker
    connector.jobs[queued].update(status="doing", worker_id=999)


async def _claimed_and_sent(slack: Harness, key: str, text: str) -> tuple[ScheduledSends, ScheduledSend]:
    """A row scheduled for 30 s ahead, its time come (on a fake clock), claimed and sent, not settled:
    as a fire job leaves it the moment the provider has answered."""
    direct = await _direct(slack)
    made = await direct.schedule(key, after=timedelta(seconds=30), text=text)
    direct.clock.advance(seconds=31)
    row = await direct.service.claim(TEAM_ID, made.row.id)
    assert row is not None
    await later._send(slack.container, direct.identity, row)
    return direct.service, row


async def test_a_send_whose_worker_died_mid_send_ends_unknown_told_and_off_the_lists(
    make_harness: MakeHarness,
) -> None:
    async with make_harness(send_window=None, settle_timeout=30) as slack:
        # The worker firing it claimed the row and reached the provider, then died before settling it.
        service, row = await _claimed_and_sent(slack, "died", "Mid send")
        assert row.status is ScheduledStatus.SENDING
        assert len(_sent(slack, "Mid send")) == 1
        assert await later.sweep(slack.container) == 0  # a row going out is never the sweeper's
        job = later.SmsScheduledJob(envelope=_envelope("U0AGENT"), scheduled_id=row.id, number=CLEAN)
        await _stalled(slack, job)
        seq = slack.emulator.seq

        recovered = await slack.container.jobs.recover_stalled(
            slack.container, stalled_after=slack.container.settings.worker_stalled_after_seconds
        )
        assert recovered["unknown"] == 1
        [ended] = await _scheduled(slack)
        assert ended.status is ScheduledStatus.UNKNOWN and ended.outcome == "outcome unknown: see /sms logs"
        [told] = _told_since(slack, seq)
        assert "may or may not have gone through" in told and "/sms logs" in told

        _, listing = await _command(slack, "scheduled")
        assert listing is not None and "You have no SMS scheduled" in _text(listing)
        assert "going out now" not in _text(listing)
        await slack.driver.open_home("U0AGENT")
        await slack.driver.settle()
        home = slack.driver.home("U0AGENT")
        assert home is not None and "Mid send" in _text(home.blocks)  # among the sends, as after Send
        headers = [b["text"]["text"] for b in home.blocks if b.get("type") == "header"]
        assert "Scheduled SMS" not in headers and "going out now" not in _text(home.blocks)
        # Never sent again: not by the sweeper, not by a second job, and it cannot be cancelled now.
        assert await later.sweep(slack.container) == 0
        await later.fire(job, slack.container)
        assert await service.unknown(TEAM_ID, row.id) is False
        assert len(_sent(slack, "Mid send")) == 1 and len(await _rows(slack)) == 1
        assert [r.status for r in await _scheduled(slack)] == [ScheduledStatus.UNKNOWN]


async def test_a_row_left_sending_with_no_job_to_end_it_is_ended_unknown_by_the_sweeper(
    make_harness: MakeHarness,
) -> None:
    """An in-memory queue dies with its process, and nothing recovers its jobs: the sweeper ends the row."""
    async with make_harness(send_window=None, settle_timeout=30) as slack:
        direct = await _direct(slack)
        clock, service = direct.clock, direct.service
        made = await direct.schedule("orphan", after=timedelta(seconds=30))
        clock.advance(seconds=31)
        assert await service.claim(TEAM_ID, made.row.id) is not None  # then the process died
        clock.advance(minutes=59)  # a slow send is still its job's
        assert await later.sweep(slack.container) == 0
        assert [r.status for r in await _scheduled(slack)] == [ScheduledStatus.SENDING]
        seq = slack.emulator.seq
        clock.advance(minutes=2)
        assert await later.sweep(slack.container) == 0  # ended, not fired
        assert await later.sweep(slack.container) == 0
        [ended] = await _scheduled(slack)
        assert ended.status is ScheduledStatus.UNKNOWN and ended.outcome == "outcome unknown: see /sms logs"
        [told] = _told_since(slack, seq)  # once, however many sweeps
        assert "may or may not have gone through" in told and "/sms logs" in told
        assert await _rows(slack) == []


async def test_a_failure_after_the_send_was_recorded_never_says_try_again(make_harness: MakeHarness) -> None:
    """The send went and its row says so; what failed was telling about it (Slack, the delivery check).
    The person hears that it was handed to the provider and where to look, not "try again" (which would
    send it twice)."""
    from bot.jobs.contract import Failure

    async with make_harness(send_window=None, settle_timeout=30) as slack:
        service, row = await _claimed_and_sent(slack, "told", "Sent, then Slack failed")
        await service.settle(row, ScheduledStatus.SENT)
        job = later.SmsScheduledJob(envelope=_envelope("U0AGENT"), scheduled_id=row.id, number=CLEAN)
        seq = slack.emulator.seq
        await later.fire_failed(job, Failure.ERROR, ConnectionResetError("Slack went away"), slack.container)
        [told] = _told_since(slack, seq)
        assert "was handed to the provider" in told and f"/sms logs {CLEAN}" in told
        assert "try again" not in told
        assert [r.status for r in await _scheduled(slack)] == [ScheduledStatus.SENT]
        assert len(_sent(slack, "Sent, then Slack failed")) == 1


async def test_a_row_whose_firing_keeps_failing_is_given_up_after_the_hour_and_the_sender_told_once(
    make_harness: MakeHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not a blink but a fault that another try does not fix: each fire job fails before anything is sent.
    While the row is less than an hour late the sweeper fires it again each minute, silently (it may
    still go); past the hour it ends refused, the sender told once, and the sweeper stops firing it."""
    async with make_harness(send_window=None, settle_timeout=30) as slack:
        direct = await _direct(slack)
        made = await direct.schedule("broken", after=timedelta(minutes=1), text="Never claimed")
        claims: list[int] = []

        async def broken(repo: ScheduledSendRepository, row_id: int, now: datetime) -> Any:
            claims.append(row_id)
            raise RuntimeError("a bug in the claim")

        monkeypatch.setattr(ScheduledSendRepository, "claim", broken)
        seq = slack.emulator.seq
        direct.clock.advance(minutes=3)  # its job was lost: the sweeper fires it, and firing fails
        assert await later.sweep(slack.container) == 1
        await slack.driver.settle()
        assert claims and _told_since(slack, seq) == []
        assert [r.status for r in await _scheduled(slack)] == [ScheduledStatus.PENDING]
        direct.clock.advance(hours=1)  # still failing, now more than an hour late
        assert await later.sweep(slack.container) == 1
        await slack.driver.settle()
        [told] = _told_since(slack, seq)
        assert "Not sent to +1 415-555-0100: it was due" in told and "Schedule it again" in told
        [row] = await _scheduled(slack)
        assert row.id == made.row.id and row.status is ScheduledStatus.REFUSED and row.outcome
        tries = len(claims)
        direct.clock.advance(minutes=5)
        assert await later.sweep(slack.container) == 0  # given up: not fired again
        await slack.driver.settle()
        assert len(claims) == tries and len(_told_since(slack, seq)) == 1
        assert _sent(slack, "Never claimed") == []


async def test_a_time_far_beyond_the_limit_is_told_the_limit(slack: Harness) -> None:
    for far in ("in 99999999999 days", "in 31 days", "in 99999999999999999999 weeks"):
        text, card = await _command(slack, f'send {CLEAN} Far away --at "{far}"')
        told = text + (_text(card) if card is not None else "")
        assert "up to 30 days ahead" in told and "went wrong" not in told, (far, told)
    assert await _scheduled(slack) == []
