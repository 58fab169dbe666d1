"""/inbox and the App Home end to end."""

from __future__ import annotations

import json
from typing import Any

from bot.console.blockkit import validate_view
from bot.services.inbox import NO_LOGIN
from bot.slack import ids
from bot.slack.home.blocks import ACTION_HOME_SEND_BLANK
from bot.slack.text import escape
from tests.e2e.conftest import Harness
from tests.e2e.test_threads import PRIYA, break_livevox, click_card, list_threads, open_thread


def dump(obj: Any) -> str:
    return json.dumps(getattr(obj, "blocks", obj), ensure_ascii=False) + str(getattr(obj, "text", ""))


# ------------------------------------------------------------------------------------------- /inbox
async def test_inbox_shows_the_agents_counts_and_inboxes(slack: Harness) -> None:
    response = await slack.driver.command("/inbox", "", user="U0AGENT")
    assert response.body.strip() == ""  # no placeholder left under the answer
    await slack.driver.settle()
    answer = slack.driver.last_response("U0AGENT")
    assert answer is not None
    text = dump(answer)
    assert "Unread SMS threads" in text and "Personal SMS: 1 unread of" in text
    assert "Group - Customer Care:" in text
    assert "Team inboxes" not in text


async def test_supervisor_also_sees_the_team(slack: Harness) -> None:
    await slack.driver.command("/inbox", "", user="U0SUPER")
    await slack.driver.settle()
    answer = slack.driver.last_response("U0SUPER")
    assert answer is not None
    text = dump(answer)
    assert "Team inboxes" in text
    assert "<@U0AGENT> (agent `700101`)" in text and "<@U0SUPER> (agent `700102`)" in text


async def test_inbox_denials(slack: Harness) -> None:
    response = await slack.driver.command("/inbox", "", user="U0ADMIN")
    assert escape(NO_LOGIN) in response.body  # mrkdwn: `&lt;LiveVox agent id&gt;` stays visible
    slack.emulator.add_user("U0NEW", "newbie", real_name="New Person")
    response = await slack.driver.command("/inbox", "", user="U0NEW")
    assert "not linked" in response.body


async def test_inbox_provider_failure_is_told(slack: Harness) -> None:
    await break_livevox(slack)
    await slack.driver.command("/inbox", "", user="U0AGENT")
    await slack.driver.settle()
    answer = slack.driver.last_response("U0AGENT")
    assert answer is not None and "LiveVox" in answer.text and "try again" in answer.text


# ------------------------------------------------------------------------------------------ App Home
async def test_home_publishes_a_skeleton_then_the_full_view(slack: Harness) -> None:
    message = await list_threads(slack)
    await click_card(slack, message, open_thread(slack, PRIYA, None).thread_id, ids.ACTION_THREAD_TAKE)
    await slack.driver.settle()
    response = await slack.driver.open_home("U0AGENT")
    assert response.status == 200
    await slack.driver.settle()
    publishes = [c for c in slack.emulator.calls if c.method == "views.publish"]
    assert len(publishes) == 2 and all(c.ok for c in publishes)
    assert "Loading your inbox" in json.dumps(publishes[0].args)
    home = slack.driver.home("U0AGENT")
    assert home is not None and validate_view(home.data) == []
    text = dump(home)
    assert "agent" in text and "700101 (JRIVERA)" in text
    assert "Unread SMS threads" in text and "Personal SMS:" in text
    assert "You took thread `" in text  # recent activity from the audit trail, in words
    assert "thread.taken" not in text
    assert "Team inboxes" not in text
    for action_id in (ids.ACTION_HOME_REFRESH, ACTION_HOME_SEND_BLANK, ids.ACTION_HOME_THREADS):
        assert action_id in text


async def test_home_of_a_supervisor_has_team_counts(slack: Harness) -> None:
    await slack.driver.open_home("U0SUPER")
    await slack.driver.settle()
    assert "Team inboxes" in dump(slack.driver.home("U0SUPER"))


async def test_home_of_an_unlinked_user_explains_linking(slack: Harness) -> None:
    slack.emulator.add_user("U0NEW", "newbie", real_name="New Person")
    await slack.driver.open_home("U0NEW")
    await slack.driver.settle()
    home = slack.driver.home("U0NEW")
    assert home is not None
    text = dump(home)
    assert "not linked" in text and "/switchboard link" in text
    assert ACTION_HOME_SEND_BLANK not in text


async def test_home_refresh_and_provider_failure(slack: Harness) -> None:
    await slack.driver.open_home("U0AGENT")
    await slack.driver.settle()
    home = slack.driver.home("U0AGENT")
    assert home is not None
    await break_livevox(slack)
    await slack.driver.click(home, ids.ACTION_HOME_REFRESH)
    await slack.driver.settle()
    text = dump(slack.driver.home("U0AGENT"))
    assert "LiveVox" in text and "try again" in text
    assert "Recent activity" in text  # the database part still shows


async def test_home_my_threads_modal(slack: Harness) -> None:
    await slack.driver.open_home("U0AGENT")
    await slack.driver.settle()
    home = slack.driver.home("U0AGENT")
    assert home is not None
    await slack.driver.click(home, ids.ACTION_HOME_THREADS)
    await slack.driver.settle()
    view = slack.driver.current_view("U0AGENT")
    assert view is not None and view.title == "My threads"
    assert validate_view(view.data) == [] and len(view.blocks) <= 100
    assert "Maria Gonzalez" in dump(view)


async def test_home_send_sms_opens_a_blank_send_modal(slack: Harness) -> None:
    await slack.driver.open_home("U0AGENT")
    await slack.driver.settle()
    home = slack.driver.home("U0AGENT")
    assert home is not None
    await slack.driver.click(home, ACTION_HOME_SEND_BLANK)
    await slack.driver.settle()
    view = slack.driver.current_view("U0AGENT")
    assert view is not None and view.callback_id == ids.VIEW_SEND_SMS
