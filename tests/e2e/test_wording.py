"""What Switchboard says reads well, end to end (signed requests in, what reached the emulated Slack out):
times as Slack date tokens, no placeholders left behind, provider vocabulary in plain words, people and
channels as mentions, ranges that say what was asked and which word was wrong, placeholders visible."""

from __future__ import annotations

import json
import re

from bot.console.emulator import Message
from bot.sandbox.world import DEMO
from bot.slack import ids
from tests.e2e.conftest import Harness
from tests.e2e.test_threads import click_card, list_threads, open_thread

MARIA = DEMO.phone_numbers[0]
DATE_TOKEN = re.compile(r"<!date\^\d+\^\{date_short_pretty\} \{time\}\|\d{4}-\d\d-\d\d \d\d:\d\d UTC>")


def _text(message: object) -> str:
    return str(getattr(message, "text", "")) + json.dumps(
        getattr(message, "blocks", message), ensure_ascii=False
    )


def _lines(message: Message) -> str:
    """The mrkdwn of the message's sections (what a person reads first), without context lines."""
    out = []
    for block in message.blocks:
        if block.get("type") == "section":
            out.append(str((block.get("text") or {}).get("text", "")))
            out += [str(f.get("text", "")) for f in block.get("fields") or []]
    return "\n".join(out)


def _contexts(message: Message) -> str:
    return "\n".join(
        str(e.get("text", "")) for b in message.blocks if b.get("type") == "context" for e in b["elements"]
    )


async def _answer(slack: Harness, command: str, text: str, user: str = "U0SUPER") -> Message:
    await slack.driver.command(command, text, user=user)
    await slack.driver.settle()
    answer = slack.driver.last_response(user)
    assert answer is not None
    return answer


# ------------------------------------------------------------------------------------------- times
async def test_every_time_is_a_slack_date_token(slack: Harness) -> None:
    """Each reader's Slack shows the time in their own zone; no "today 18:53 UTC" next to "2026-… UTC"."""
    for command, text in (("/lookup", "+1 415 555 0102 30d"), ("/calls", "+1 415 555 0100 30d")):
        answer = await _answer(slack, command, text)
        body = _lines(answer)
        assert DATE_TOKEN.search(body), body[:400]
        assert " UTC`" not in body and "today " not in body
        assert not re.search(r"`<!date", body)  # a token inside code is not formatted by Slack
    history_owner = "U0AGENT"
    message = await list_threads(slack)
    maria = open_thread(slack, MARIA, DEMO.agent_id)
    await click_card(slack, message, maria.thread_id, ids.ACTION_THREAD_HISTORY)
    await slack.driver.settle()
    history = slack.driver.last_response(history_owner)
    assert history is not None and DATE_TOKEN.search(_lines(history))
    assert DATE_TOKEN.search(_text(message))  # the card's "last message …"
    await slack.driver.open_home(history_owner)
    await slack.driver.settle()
    home = slack.driver.home(history_owner)
    assert home is not None and DATE_TOKEN.search(json.dumps(home.blocks))


# ------------------------------------------------------------------------------------ placeholders
async def test_no_placeholder_is_left_under_an_answer(slack: Harness) -> None:
    for command, text, user in (
        ("/lookup", "+1 415 555 0101", "U0SUPER"),
        ("/sms", "logs +1 415 555 0101", "U0SUPER"),
        ("/calls", "+1 415 555 0101", "U0SUPER"),
        ("/sms", "codes", "U0AGENT"),
        ("/inbox", "", "U0AGENT"),
        ("/threads", "", "U0AGENT"),
    ):
        before = len(slack.emulator.ephemerals(user=user))
        await slack.driver.command(command, text, user=user)
        await slack.driver.settle()
        said = [m.text for m in slack.emulator.ephemerals(user=user)[before:]]
        assert len(said) == 1, (command, text, said)
        assert "⏳" not in said[0], (command, said)


async def test_the_emulator_keeps_a_commands_ack_as_slack_does(slack: Harness) -> None:
    """A slash command's response_url posts a new message: `replace_original` and `delete_original` act
    only on a message holding a clicked button (so Switchboard's commands ack without a placeholder)."""
    from slack_sdk.webhook.async_client import AsyncWebhookClient

    url = slack.emulator.new_response_url("C0DEMO", "U0AGENT")
    ack = slack.emulator.immediate_response("C0DEMO", "U0AGENT", {"text": "Working… ⏳"})
    assert ack is not None
    webhook = AsyncWebhookClient(url)
    await webhook.send_dict({"text": "The answer", "replace_original": True})
    await webhook.send_dict({"delete_original": True})
    said = [m.text for m in slack.emulator.ephemerals(user="U0AGENT") if not m.deleted]
    assert said == ["Working… ⏳", "The answer"]


# ------------------------------------------------------------------------------- provider wording
async def test_provider_vocabulary_reads_as_plain_words_with_the_raw_value_kept(slack: Harness) -> None:
    answer = await _answer(slack, "/lookup", "+1 415 555 0102 30d")
    lines, contexts = _lines(answer), _contexts(answer)
    for raw in ("SMS MT", "Operator Transfer", "short calls", "hang up calls", "_calls", " sent, "):
        assert raw not in lines, (raw, lines)
    assert re.search(r"· (Delivered|Not delivered|Blocked: [^·]+|Received, routed to an agent) ·", lines)
    assert "from the customer" in lines  # a Contact Center SMS engagement's counts
    assert "As the providers say it:" in contexts and "`SMS MT " in contexts  # the raw value stays
    calls = await _answer(slack, "/calls", "+1 415 555 0100 90d")
    assert "outbound · missed" not in _lines(calls)


async def test_sender_codes_read_as_phone_numbers_and_kinds_in_words(slack: Harness) -> None:
    answer = await _answer(slack, "/sms", "codes", user="U0AGENT")
    text = _lines(answer)
    assert "*+1 415-555-0150*" in text and "code `14155550150`" in text
    assert "Long_Code" not in text and "long code" in text


async def test_message_lengths_in_words(slack: Harness) -> None:
    answer = await _answer(slack, "/sms", "send +1 415 555 0100 Olá, tudo bem? 😀", user="U0AGENT")
    text = _text(answer)
    assert "UTF-16" not in text
    assert "characters · 1 segment · emoji or special characters: 70 per segment (UCS-2)" in text


# ------------------------------------------------------------------------------- people, activity
async def test_home_activity_is_in_words_with_mentions(slack: Harness) -> None:
    await slack.driver.command(
        "/switchboard", "link <@U0NEW|newbie> agent=700555 login=NEWBIE role=agent", user="U0ADMIN"
    )
    slack.emulator.add_user("U0NEW", "newbie")
    await slack.driver.command("/switchboard", "channel set alerts=off", user="U0ADMIN")
    await slack.driver.settle()
    await slack.driver.open_home("U0ADMIN")
    await slack.driver.settle()
    home = slack.driver.home("U0ADMIN")
    assert home is not None
    activity = next(
        str(b["text"]["text"]) for b in home.blocks if "Recent activity" in str(b.get("text", {}).get("text"))
    )
    assert "You linked <@U0NEW> as agent." in activity, activity
    assert "You set up <#C0DEMO>." in activity, activity
    assert "user.linked" not in activity and "channel.mapped" not in activity


async def test_home_sms_list_says_the_status_in_words(slack: Harness) -> None:
    card = await _answer(slack, "/sms", "send +1 415 555 0100 Hello there", user="U0AGENT")
    await slack.driver.click(card, action_id=ids.ACTION_SEND_CONFIRM, user="U0AGENT")
    await slack.driver.settle()
    await slack.driver.open_home("U0AGENT")
    await slack.driver.settle()
    home = json.dumps(slack.driver.home("U0AGENT").blocks, ensure_ascii=False)  # type: ignore[union-attr]
    assert "You texted a number ending in 0100" in home, home
    assert "to +1 415-555-0100 · " in home
    assert "sms.accepted" not in home and "+•••" not in home


# ------------------------------------------------------------------------------------------ ranges
async def test_ranges_say_what_was_asked_and_which_word_is_wrong(slack: Harness) -> None:
    response = await slack.driver.command("/lookup", "+1 415 555 0100 7d 30d", user="U0SUPER")
    assert "`7d` and `30d` are 2 ranges; give one." in response.body, response.body
    assert "“+1”" not in response.body
    response = await slack.driver.command("/calls", "+1 415 555 0100 7x", user="U0SUPER")
    assert "I don't understand `7x` after the number." in response.body
    day = await _answer(slack, "/sms", "logs +1 415 555 0100 24h")
    assert "last 24 hours" in _contexts(day) and "last 1 days" not in _text(day)
    one = await _answer(slack, "/lookup", "+1 415 555 0100 1d")
    assert "last 1 day ·" in _contexts(one)


# ----------------------------------------------------------------------------------------- wording
async def test_placeholders_in_angle_brackets_stay_visible(slack: Harness) -> None:
    await slack.driver.message_shortcut(ids.SHORTCUT_LOOKUP_NUMBER, "no number here", user="U0SUPER")
    await slack.driver.settle()
    told = slack.driver.last_response("U0SUPER")
    assert told is not None and "`/lookup &lt;number&gt;`" in told.text
    slack.emulator.add_user("U0NEW", "newbie")
    response = await slack.driver.command("/lookup", "+14155550100", user="U0NEW")
    assert "agent=&lt;LiveVox agent id&gt;" in response.body
    assert "<LiveVox agent id>" not in response.body


async def test_errors_end_with_a_period(slack: Harness) -> None:
    await slack.driver.command("/switchboard", "unlink <@U0NOBODY|nobody>", user="U0ADMIN")
    await slack.driver.settle()
    told = slack.driver.last_response("U0ADMIN")
    assert told is not None and "is not linked in this workspace" in told.text
    assert told.text.rstrip().endswith("."), told.text


async def test_transfer_modal_says_agent_states_in_words(slack: Harness) -> None:
    message = await list_threads(slack)
    maria = open_thread(slack, MARIA, DEMO.agent_id)
    await click_card(slack, message, maria.thread_id, ids.ACTION_THREAD_TRANSFER)
    await slack.driver.settle()
    view = slack.driver.current_view("U0AGENT")
    assert view is not None and view.callback_id == ids.VIEW_TRANSFER
    options = json.dumps(view.blocks, ensure_ascii=False)
    assert "· not ready" in options or "· logged off" in options  # LiveVox's NOTREADY / LOGGED_OFF
    assert "notready" not in options.lower() and "logged_off" not in options.lower()
