"""/switchboard digest end to end (signed requests, the Slack emulator over HTTP): every subcommand, each
role, bad input, the list's next and last runs, the modal (opened with the person's Slack time zone,
submitted, refused field by field) and App Home's Digests section for admins."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.db.models import AuditEvent, DigestRun, DigestRunStatus, DigestSubscription
from bot.services.demo import TEAM_ID
from bot.slack.digests.manage_blocks import ACTION_DIGEST_ADD, VIEW_DIGEST
from tests.e2e.conftest import Harness

DEMO = "<#C0DEMO|demo>"
ADD = f"digest add {DEMO} daily 09:00 America/New_York"


def _dump(message: object) -> str:
    return str(getattr(message, "text", "")) + json.dumps(
        getattr(message, "blocks", None), ensure_ascii=False
    )


async def _run(slack: Harness, text: str, user: str = "U0ADMIN") -> str:
    """The command's whole answer: the ack's body, then what followed through response_url."""
    before = len(slack.emulator.changes)
    response = await slack.driver.command("/switchboard", text, user=user)
    await slack.driver.settle()
    answer = response.body
    if len(slack.emulator.changes) > before:
        message = slack.driver.last_response(user)
        answer += _dump(message) if message is not None else ""
    return answer


async def _subscriptions(slack: Harness) -> list[DigestSubscription]:
    async with slack.container.sessions() as session:
        rows = await session.execute(select(DigestSubscription).order_by(DigestSubscription.id))
        return list(rows.scalars())


def _queue_id(slack: Harness, name: str) -> str:
    world = slack.container.sandbox.app.state.world
    return next(str(q.queue_id) for q in world.queues.values() if q.name == name)


async def _events(slack: Harness, action: str) -> list[AuditEvent]:
    async with slack.container.sessions() as session:
        rows = await session.execute(select(AuditEvent).where(AuditEvent.action == action))
        return list(rows.scalars())


async def test_a_supervisor_adds_lists_pauses_resumes_and_removes(slack: Harness) -> None:
    answer = await _run(slack, f"{ADD} sms calls", user="U0SUPER")
    assert "Added digest *1*: daily at 09:00 (America/New_York) in <#C0DEMO>" in answer
    assert "SMS, Calls" in answer and "scope: the channel's mapping" in answer and "<!date^" in answer
    [row] = await _subscriptions(slack)
    assert (row.channel_id, row.schedule, row.timezone, row.enabled) == (
        "C0DEMO",
        "daily 09:00",
        "America/New_York",
        True,
    )
    assert row.scope == {"sections": ["sms", "calls"]} and row.created_by == "U0SUPER"
    [added] = await _events(slack, "digest.added")
    assert added.actor == "U0SUPER" and added.target_id == "C0DEMO"

    listed = await _run(slack, "digest list", user="U0SUPER")
    assert "*Digest 1*" in listed and "next <!date^" in listed and "last: not run yet" in listed

    assert "Paused digest 1" in await _run(slack, "digest pause 1")
    assert not (await _subscriptions(slack))[0].enabled
    assert "paused already" in await _run(slack, "digest pause 1")
    assert "⏸ *paused*" in await _run(slack, "digest list")
    assert "Resumed digest 1" in await _run(slack, "digest resume 1")
    assert (await _subscriptions(slack))[0].enabled
    assert "Removed digest 1" in await _run(slack, "digest remove 1")
    assert await _subscriptions(slack) == []
    actions = [a for _, a, _ in await slack.audit_actions()]
    for action in ("digest.added", "digest.paused", "digest.resumed", "digest.removed"):
        assert actions.count(action) == 1, action


async def test_an_agent_is_refused_and_audited(slack: Harness) -> None:
    answer = await _run(slack, f"{ADD}", user="U0AGENT")
    assert "is for supervisors and above; you are agent" in answer
    assert await _subscriptions(slack) == []
    [denied] = await _events(slack, "access.denied")
    assert denied.actor == "U0AGENT" and denied.details["what"] == "/switchboard digest"
    assert denied.target_id == "C0DEMO"
    help_agent = await _run(slack, "help", user="U0AGENT")
    assert "/switchboard digest" not in help_agent
    help_super = await _run(slack, "help", user="U0SUPER")
    assert "/switchboard digest add #channel daily 09:00" in help_super
    assert "hourly :15" in help_super and "run-now &lt;id | #channel&gt;" in help_super


async def test_bad_input_is_refused_with_one_sentence(slack: Harness) -> None:
    slack.emulator.add_channel("C0NOBOT", "quiet", is_member=False)
    cases = [
        (f"digest add {DEMO} daily 25:00 UTC", "is not a time of day"),
        (f"digest add {DEMO} sometimes 09:00 UTC", "is not a schedule"),
        (f"digest add {DEMO} weekly 09:00 UTC", "A weekly digest needs its day"),
        (
            f"digest add {DEMO} weekly funday 09:00 UTC",
            "“funday” is not a day of the week; use one of mon, tue, wed, thu, fri, sat, sun.",
        ),
        (f"digest add {DEMO} daily 09:00 Mars/Olympus", "is not a time zone I know"),
        (f"digest add {DEMO} daily 09:00", "Say the digest's time zone"),
        (f"digest add {DEMO} daily 09:00 UTC weather", "is not a digest section"),
        (f"digest add {DEMO} daily 09:00 UTC inbox=abc", "inbox= takes a LiveVox service id"),
        (f"digest add {DEMO} daily 09:00 UTC queues=a;b", "queues= takes Zoom queue names or ids"),
        # Checked with LiveVox, as a channel mapping's inbox is: the demo team's group inbox is 100915.
        (
            f"digest add {DEMO} daily 09:00 UTC inbox=999999",
            "inbox=999999 is not a LiveVox inbox of your team",
        ),
        ("digest add #demo daily 09:00 UTC", "Pick the channel from Slack's list"),
        (
            "digest add <#C0NOBOT|quiet> daily 09:00 UTC",
            "Invite me first: type `/invite @Switchboard` in <#C0NOBOT>.",
        ),
        ("digest remove 99", "There is no digest 99 in this workspace"),
        ("digest pause x", "Usage: `/switchboard digest pause &lt;id&gt;`"),
        ("digest frobnicate", "Usage:"),
        ("digest run-now 42", "There is no digest 42"),
        ("digest run-now <#C0GENERAL|general>", "<#C0GENERAL> has no digest"),
        ("digest run-now soon", "Usage: `/switchboard digest run-now"),
    ]
    for text, expected in cases:
        assert expected in await _run(slack, text), text
    assert await _subscriptions(slack) == []


async def test_a_duplicate_is_refused_naming_its_id_and_run_now_asks_which(slack: Harness) -> None:
    await _run(slack, f"{ADD} calls sms")
    answer = await _run(slack, f"{ADD} sms calls")
    assert "That channel already has this digest (id 1), so nothing was added." in answer
    billing = _queue_id(slack, "Billing")
    await _run(
        slack, f"digest add {DEMO} hourly :15 UTC queues=zAuCShvzvUJLY3ChLcTGBA,{billing} inbox=100915"
    )
    rows = await _subscriptions(slack)
    assert len(rows) == 2 and rows[1].scope == {
        "sections": ["sms", "calls", "threads", "delivery"],
        "inbox": "100915",
        "queues": ["zAuCShvzvUJLY3ChLcTGBA", billing],
    }
    answer = await _run(slack, f"digest run-now {DEMO}")
    assert "<#C0DEMO> has 2 digests (ids 1, 2); say which one" in answer


async def test_list_shows_the_last_run_and_its_outcome(slack: Harness) -> None:
    await _run(slack, ADD)
    await _run(slack, f"digest add {DEMO} weekly mon 08:30 Europe/London")
    await _run(slack, f"digest add {DEMO} hourly :05 UTC")
    slot = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
    async with slack.container.sessions() as session, session.begin():
        session.add_all(
            [
                DigestRun(
                    team_id=TEAM_ID,
                    subscription_id=1,
                    scheduled_for=slot - timedelta(days=1),
                    status=DigestRunStatus.POSTED,
                    finished_at=slot - timedelta(days=1),
                ),
                DigestRun(
                    team_id=TEAM_ID,
                    subscription_id=1,
                    scheduled_for=slot,
                    status=DigestRunStatus.FAILED,
                    error="Zoom was unavailable",
                    finished_at=slot,
                ),
                DigestRun(
                    team_id=TEAM_ID,
                    subscription_id=2,
                    scheduled_for=slot,
                    late=True,
                    status=DigestRunStatus.POSTED,
                    finished_at=slot + timedelta(hours=2),
                ),
                DigestRun(
                    team_id=TEAM_ID,
                    subscription_id=3,
                    scheduled_for=slot,
                    manual=True,
                    status=DigestRunStatus.POSTED,
                    finished_at=slot,
                ),
            ]
        )
    listed = await _run(slack, "digest list")
    blocks = listed.split("*Digest ")
    assert "failed <!date^" in blocks[1] and "Zoom was unavailable" in blocks[1]
    assert f"<!date^{int(slot.timestamp())}^" in blocks[1]
    assert "posted late <!date^" in blocks[2] and "every Monday at 08:30 (Europe/London)" in blocks[2]
    assert "posted (run now)" in blocks[3]
    # Resuming after a slot passed while paused: that slot is noted skipped (paused), never posted late.
    await _run(slack, "digest pause 3")
    async with slack.container.sessions() as session, session.begin():
        row = await session.get(DigestSubscription, 3)
        assert row is not None
        row.created_at = datetime.now(UTC) - timedelta(hours=3)
    await _run(slack, "digest resume 3")
    listed = await _run(slack, "digest list")
    assert "(paused)" in listed.split("*Digest ")[3]


async def test_the_modal_opens_with_the_users_zone_and_submits(slack: Harness) -> None:
    response = await slack.driver.command("/switchboard", "digest add", user="U0SUPER")
    assert response.ok and not response.body.strip()
    await slack.driver.settle()
    view = slack.driver.current_view("U0SUPER")
    assert view is not None and view.callback_id == VIEW_DIGEST
    opened = slack.emulator.calls_to("views.open")[-1]
    assert "America/Chicago" in json.dumps(opened.args)  # U0SUPER's Slack time zone
    channel = next(b for b in view.blocks if b["block_id"] == "digest_channel")
    assert channel["element"]["initial_conversation"] == "C0DEMO"
    assert slack.emulator.calls_to("users.info")[-1].args["user"] == "U0SUPER"

    bad = await slack.driver.submit(view, {"digest_zone": "Nowhere/Land"})
    assert "is not a time zone I know" in bad.errors["digest_zone"]
    bad = await slack.driver.submit(view, {"digest_inbox": "abc"})
    assert "inbox= takes a LiveVox service id" in bad.errors["digest_inbox"]
    bad = await slack.driver.submit(view, {"digest_inbox": "999999"})
    assert "is not a LiveVox inbox of your team" in bad.errors["digest_inbox"]
    slack.emulator.add_channel("C0NOBOT", "quiet", is_member=False)
    bad = await slack.driver.submit(view, {"digest_channel": "C0NOBOT"})
    assert bad.errors["digest_channel"] == "Invite me first: type /invite @Switchboard in #quiet."
    assert await _subscriptions(slack) == []

    ok = await slack.driver.submit(
        view,
        {"digest_every": "Weekly", "digest_day": "Friday", "digest_time": "17:30", "digest_sections": "SMS"},
    )
    assert not ok.errors
    await slack.driver.settle()
    [row] = await _subscriptions(slack)
    assert (row.schedule, row.timezone, row.scope) == (
        "weekly fri 17:30",
        "America/Chicago",
        {"sections": ["sms"]},
    )
    told = slack.driver.last_response("U0SUPER")
    assert told is not None and "Added digest *1*: every Friday at 17:30" in _dump(told)


async def test_the_modal_refuses_an_expired_form_and_an_agent(slack: Harness) -> None:
    await slack.driver.command("/switchboard", "digest add", user="U0ADMIN")
    await slack.driver.settle()
    view = slack.driver.current_view("U0ADMIN")
    assert view is not None
    payload = slack.driver.view_submission_payload(view, {}, user="U0ADMIN")
    payload["view"]["private_metadata"] = "forged"
    forged = await slack.driver.send_payload(payload)
    assert "This form has expired" in forged.errors["digest_channel"]
    # The role is checked again at submission (an agent submitting a form they could not have opened).
    payload = slack.driver.view_submission_payload(view, {}, user="U0AGENT")
    refused = await slack.driver.send_payload(payload)
    assert "is for supervisors and above" in refused.errors["digest_channel"]
    await slack.driver.settle()  # the denial is audited after the ack
    assert await _subscriptions(slack) == []
    # Both audited: the form that came back edited (as every view does) and the agent's.
    assert [e.actor for e in await _events(slack, "access.denied")] == ["U0ADMIN", "U0AGENT"]


async def test_app_home_shows_digests_to_admins_only(slack: Harness) -> None:
    await _run(slack, ADD)
    await slack.driver.open_home("U0ADMIN")
    await slack.driver.settle()
    home = slack.driver.home("U0ADMIN")
    assert home is not None
    text = json.dumps(home.blocks)
    assert '"Digests"' in text and "*Digest 1*" in text and ACTION_DIGEST_ADD in text
    for user in ("U0SUPER", "U0AGENT"):
        await slack.driver.open_home(user)
        await slack.driver.settle()
        other = slack.driver.home(user)
        assert other is not None and ACTION_DIGEST_ADD not in json.dumps(other.blocks), user
    await slack.driver.click(home, ACTION_DIGEST_ADD, user="U0ADMIN")
    await slack.driver.settle()
    view = slack.driver.current_view("U0ADMIN")
    assert view is not None and view.callback_id == VIEW_DIGEST
    assert "Europe/London" in json.dumps(view.blocks)
    ok = await slack.driver.submit(
        view, {"digest_channel": "C0GENERAL", "digest_every": "Hourly", "digest_time": "10:15"}
    )
    assert not ok.errors
    await slack.driver.settle()
    rows = await _subscriptions(slack)
    assert (rows[-1].channel_id, rows[-1].schedule) == ("C0GENERAL", "hourly :15")
    refreshed = slack.driver.home("U0ADMIN")
    assert refreshed is not None and "*Digest 2*" in json.dumps(refreshed.blocks)


async def test_run_now_posts_the_digest_in_its_channel_marked_outside_the_schedule(slack: Harness) -> None:
    await _run(slack, f"{ADD} calls delivery", user="U0SUPER")
    answer = await _run(slack, f"digest run-now {DEMO}", user="U0SUPER")
    assert "Building digest 1 for <#C0DEMO> now" in answer  # accepted, not claimed as posted
    await slack.container.wait_idle(60)
    posts = [
        m
        for m in slack.emulator.channel_messages("C0DEMO", include_replies=False)
        if m.user == slack.emulator.bot_user_id
    ]
    assert len(posts) == 1 and "Run now, outside the schedule." in _dump(posts[0])
    async with slack.container.sessions() as session:
        (run,) = (await session.execute(select(DigestRun))).scalars()
    assert run.manual and run.status is DigestRunStatus.POSTED and run.message_ts == posts[0].ts
    listed = await _run(slack, "digest list", user="U0SUPER")
    assert "posted (run now)" in listed


async def test_a_digests_queues_are_checked_with_zoom_as_a_channels_are(slack: Harness) -> None:
    """`queues=` of a digest takes what `channel set queues=` takes: Zoom queues by name or id, an unknown
    one refused listing the real ones (not saved to show 0 calls), a name stored as its queue's id."""
    mapped = await _run(slack, "channel set queues=nope")
    refusal = "queues=nope: no Zoom queue of that name or id had SMS or calls in the last 30 days"
    billing = _queue_id(slack, "Billing")
    assert refusal in mapped and f"Billing ({billing})" in mapped
    answer = await _run(slack, f"digest add {DEMO} daily 09:00 UTC queues=nope")
    assert refusal in answer and f"Billing ({billing})" in answer
    assert "Added digest" not in answer and await _subscriptions(slack) == []

    answer = await _run(slack, f'digest add {DEMO} daily 09:00 UTC queues="Billing"')
    assert "Added digest *1*" in answer and f"queues {billing}" in answer
    [row] = await _subscriptions(slack)
    assert row.scope["queues"] == [billing]

    await slack.driver.command("/switchboard", "digest add", user="U0SUPER")
    await slack.driver.settle()
    view = slack.driver.current_view("U0SUPER")
    assert view is not None
    bad = await slack.driver.submit(view, {"digest_queues": "nope"})
    assert refusal in bad.errors["digest_queues"]
    assert len(await _subscriptions(slack)) == 1


async def test_adding_a_digest_without_the_channel_scopes_says_the_app_needs_reinstalling(
    slack: Harness,
) -> None:
    """An install from before channels:read / groups:read: Slack answers conversations.info with
    missing_scope, and the person is told the app must be reinstalled, not to try again."""
    granted = slack.emulator.scopes
    assert granted is not None and {"channels:read", "groups:read"} <= granted  # the manifest's
    slack.emulator.scopes = granted - {"channels:read", "groups:read"}
    answer = await _run(slack, ADD, user="U0SUPER")
    assert slack.emulator.calls_to("conversations.info")[-1].response["error"] == "missing_scope"
    assert "Switchboard lacks a Slack permission (`channels:read`)" in answer and "reinstall" in answer
    assert "please try again" not in answer and "Added digest" not in answer

    await slack.driver.command("/switchboard", "digest add", user="U0SUPER")
    await slack.driver.settle()
    view = slack.driver.current_view("U0SUPER")
    assert view is not None
    bad = await slack.driver.submit(view, {})
    assert "Switchboard lacks a Slack permission (channels:read)" in bad.errors["digest_channel"]
    assert "reinstall" in bad.errors["digest_channel"]
    assert await _subscriptions(slack) == []

    slack.emulator.scopes = granted  # reinstalled with the manifest's scopes
    assert "Added digest *1*" in await _run(slack, ADD, user="U0SUPER")
    assert slack.emulator.calls_to("conversations.info")[-1].ok


async def test_run_now_in_a_channel_the_bot_was_removed_from_says_how_to_fix_it(slack: Harness) -> None:
    await _run(slack, f"{ADD} calls", user="U0SUPER")
    slack.emulator.remove_bot("C0DEMO")
    await _run(slack, f"digest run-now {DEMO}", user="U0SUPER")
    await slack.container.wait_idle(60)
    told = slack.driver.last_response("U0SUPER")
    assert told is not None
    said = _dump(told)
    assert "Digest 1 could not be posted in <#C0DEMO>: Switchboard is not in that channel any more" in said
    assert "`/invite @Switchboard`" in said and "went wrong" not in said
    posts = [c for c in slack.emulator.calls_to("chat.postMessage") if c.args.get("channel") == "C0DEMO"]
    assert len(posts) == 1 and posts[0].response["error"] == "not_in_channel"  # tried once, not retried
    async with slack.container.sessions() as session:
        (run,) = (await session.execute(select(DigestRun))).scalars()
    assert run.status is DigestRunStatus.FAILED and run.message_ts is None
    assert run.error and "/invite @Switchboard" in run.error
    listed = await _run(slack, "digest list", user="U0SUPER")
    assert "Switchboard is not in that channel any more" in listed and "`/invite @Switchboard`" in listed
    assert "went wrong" not in listed


async def test_the_list_counts_its_digests_in_words(slack: Harness) -> None:
    await _run(slack, ADD)
    await _run(slack, "digest list")
    listed = slack.driver.last_response("U0ADMIN")
    assert listed is not None and listed.text == "1 digest"
    await _run(slack, f"digest add {DEMO} hourly :05 UTC")
    await _run(slack, "digest list")
    listed = slack.driver.last_response("U0ADMIN")
    assert listed is not None and listed.text == "2 digests"
