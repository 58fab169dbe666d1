from __future__ import annotations

import io
import json
from urllib.parse import parse_qs

from bot.console.app import INJECT_USAGE, SandboxCommands
from bot.console.shell import Console, LocalCommand, Shortcut, run_console
from tests.console.conftest import Env
from tests.console.tiny_app import REFUSED_BLOCK, tiny_factory


def console(env: Env, script: str = "") -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(env.driver, env.emulator, out=out, input_stream=io.StringIO(script), color=False), out


async def test_commands_and_numbered_clicks(env: Env) -> None:
    shell, out = console(env)
    assert await shell.run_line("/echo hi there")
    assert "-- switchboard · only you --\n*echo:* hi there\n[1] Shout  [2] Dismiss\n" in out.getvalue()
    assert await shell.run_line("1")
    assert "-- updated · only you --\nECHO: HI THERE\n" in out.getvalue()
    assert await shell.run_line("/announce Hello *team*")
    assert (
        "-- switchboard · #demo --\n== Announcement ==\nHello *team*\n  [1] ⋯: 1.1 Pin  1.2 Hide\n[2] Seen"
        in (out.getvalue())
    )
    assert await shell.run_line("1.2")
    assert "picked hide" in out.getvalue()
    assert await shell.run_line("as @super")
    assert await shell.run_line("2")
    assert "Seen by @super" in out.getvalue()  # ids read as names, as in Slack
    assert env.emulator.channel_messages("C0DEMO")[-1].text == "Seen by <@U0SUPER>"


async def test_select_without_option_prompts_for_it(env: Env) -> None:
    shell, out = console(env, "Pin\n")
    await shell.run_line("/announce x")
    assert await shell.run_line("1")
    assert "  1) Pin\n  2) Hide\n  pick: Pin\n" in out.getvalue()
    assert env.emulator.ephemerals(user="U0AGENT")[-1].text == "picked pin"


async def test_modal_prompting_with_errors_and_reprompt(env: Env) -> None:
    shell, out = console(env, "bad\n3\nBob\n")
    assert await shell.run_line("/form")
    text = out.getvalue()
    assert "=== Favourite colour ===\nName [plain_text_input]\n    Not 'bad'\nColour (optional)" in text
    assert (
        "Name (Not 'bad'): bad\n  1) Red\n  2) Green\n  3) Blue\nColour [optional, Enter skips]: 3\n" in text
    )
    assert "! Name: Name cannot be bad\nName (Not 'bad'): Bob\n" in text
    assert "@agent: Bob likes blue" in text and "(modal closed: Favourite colour)" in text
    assert env.emulator.current_view("U0AGENT") is None


async def test_clicking_inside_a_modal_while_prompted(env: Env) -> None:
    shell, out = console(env, "!1\n\n2\n")
    assert await shell.run_line("/form")
    text = out.getvalue()
    assert "[1] Use example\n<Save> <Cancel>\n(at a prompt, `!N` clicks element N of the modal)" in text
    assert "    = Example\n" in text  # the updated view is shown, then prompted again
    assert env.emulator.channel_messages("C0DEMO")[-1].text == "<@U0AGENT>: Example likes green"
    assert [c.method for c in env.emulator.calls].count("views.update") == 1


async def test_optional_field_skipped_and_required_reasked(env: Env) -> None:
    shell, _ = console(env, "\nAnn\n\n")
    assert await shell.run_line("/form")
    assert env.emulator.channel_messages("C0DEMO")[-1].text == "<@U0AGENT>: Ann likes nothing"


async def test_cancel_and_unresolved_errors(env: Env) -> None:
    shell, out = console(env, "cancel\nbad\n\n")
    assert await shell.run_line("/form")  # cancelling is not a failure
    assert "form cancelled" in out.getvalue() and "(modal closed: Favourite colour)" in out.getvalue()
    # errors, then end of input while re-prompting: the view stays unsubmitted and the line fails
    assert not await shell.run_line("/form")
    assert "! Name: Name cannot be bad" in out.getvalue()


async def test_console_commands(env: Env) -> None:
    shell, out = console(env)
    assert await shell.run_line("")
    assert await shell.run_line("help") and "as @user" in out.getvalue()
    assert await shell.run_line("in #general") and shell.channel == "C0GENERAL"
    assert not await shell.run_line("in #nowhere")
    assert await shell.run_line("as Sam Supervisor") and shell.user == "U0SUPER"
    assert await shell.run_line("as U0ADMIN") and shell.user == "U0ADMIN"
    assert not await shell.run_line("as @nobody")
    assert not await shell.run_line("frobnicate")
    assert not await shell.run_line("7")  # nothing numbered on screen
    assert not await shell.run_line("/nope")  # Bolt answers 404 to an unhandled command
    assert "! the app answered HTTP 404" in out.getvalue()
    assert await shell.run_line("home")
    assert "=== App Home ===\n== Welcome home ==\nHello @admin" in out.getvalue()
    assert not await shell.run_line("submit")  # no modal open
    assert await shell.run_line("quit") and shell.done


async def test_run_console_with_c_lines() -> None:
    out = io.StringIO()
    status = await run_console(
        tiny_factory, commands=["/echo a", "1", "as @super"], stdin=io.StringIO(""), stdout=out, color=False
    )
    assert status == 0
    assert "ECHO: A" in out.getvalue() and "(acting as @super U0SUPER)" in out.getvalue()
    out = io.StringIO()
    status = await run_console(
        tiny_factory, commands=["/nope", "/echo still runs"], stdin=io.StringIO(""), stdout=out, color=False
    )
    assert status == 1 and "still runs" in out.getvalue()


async def test_run_console_modal_fields_come_from_stdin_with_c_lines() -> None:
    out = io.StringIO()
    status = await run_console(tiny_factory, commands=["/form"], stdin=io.StringIO("Zed\n1\n"), stdout=out)
    assert status == 0 and "@agent: Zed likes red" in out.getvalue()


async def test_repl_until_eof_or_quit() -> None:
    out = io.StringIO()
    script = "/quick\nas @super\n/upload\nquit\n/echo never\n"
    status = await run_console(
        tiny_factory, commands=None, stdin=io.StringIO(script), stdout=out, color=False
    )
    text = out.getvalue()
    assert status == 0
    assert "agent@#demo> /quick\n-- switchboard · only you --\ndone quickly\n" in text
    assert "super@#demo> /upload\n-- switchboard · #demo --\nthe report\n[file: report.csv]\n" in text
    assert "never" not in text
    out = io.StringIO()
    assert await run_console(tiny_factory, commands=None, stdin=io.StringIO("/quick"), stdout=out) == 0
    assert await run_console(tiny_factory, commands=None, stdin=io.StringIO(""), stdout=io.StringIO()) == 0


# ------------------------------------------------------------ what is typed arrives whole (commas …)
TYPED = 'Hi Robert, following up on "your" bill, thanks'


async def test_every_kind_of_input_arrives_whole_with_commas_quotes_and_newlines(env: Env) -> None:
    # line, note over two lines (a trailing backslash continues), secret, a select by its text (which
    # holds a comma and quotes), a multi-select by a whole option text then by numbers
    script = "\n".join(
        [TYPED, 'first, "line"\\', "second, line", 's3cr,et"x', 'Hi Robert, "following up"', "1, 2"]
    )
    shell, out = console(env, script + "\n")
    assert await shell.run_line("/fields")
    got = json.loads(env.emulator.ephemerals(user="U0AGENT")[-1].text)
    assert got == {
        "line": TYPED,
        "note": 'first, "line"\nsecond, line',
        "secret": 's3cr,et"x',
        "pick": "a, b",
        "many": ["a, b", "plain"],
    }
    assert "Note (end a line with \\ to add another): " in out.getvalue()


async def test_a_multi_select_option_whose_text_has_a_comma_is_picked_whole(env: Env) -> None:
    shell, _ = console(env, "\n".join(["x", "y", "z", "2", 'Hi Robert, "following up"']) + "\n")
    assert await shell.run_line("/fields")
    assert json.loads(env.emulator.ephemerals(user="U0AGENT")[-1].text)["many"] == ["a, b"]


async def test_the_driver_keeps_a_text_value_whole_and_splits_only_multi_selects(env: Env) -> None:
    await env.driver.command("/fields")
    await env.driver.settle()
    view = env.emulator.current_view("U0AGENT")
    assert view is not None
    values = {"Line": TYPED, "note": "a,\nb", "secret": "x,y", "pick": "a, b", "many": "plain"}
    state = env.driver.view_state(view, values)
    assert state["line"]["line"]["value"] == TYPED
    assert state["note"]["note"]["value"] == "a,\nb"
    assert state["secret"]["secret"]["value"] == "x,y"
    assert state["pick"]["pick"]["selected_option"]["value"] == "a, b"
    both = env.driver.view_state(view, {**values, "many": ["a, b", "plain"]})
    assert [o["value"] for o in both["many"]["many"]["selected_options"]] == ["a, b", "plain"]


# --------------------------------------------------------------------------- cards and who clicks
async def test_a_card_stays_clickable_after_a_click_shows_another_card(env: Env) -> None:
    shell, out = console(env)
    assert await shell.run_line("/card")
    assert "*A card*\n[1] Take  [2] History\n" in out.getvalue()
    assert await shell.run_line("2")
    # History's own button is numbered after the card's, so 1 and 2 still mean the card
    assert "*History*\n[3] Older\n" in out.getvalue()
    assert await shell.run_line("1")
    assert "-- updated · only you --\n*A card* · taken\n[1] Take  [2] History\n" in out.getvalue()
    assert await shell.run_line("3")
    assert "older history" in out.getvalue()
    # a typed command starts the numbers again
    assert await shell.run_line("/echo x")
    assert "*echo:* x\n[1] Shout  [2] Dismiss\n" in out.getvalue()
    assert not await shell.run_line("3")


async def test_one_user_cannot_click_another_users_private_card(env: Env) -> None:
    shell, out = console(env)
    assert await shell.run_line("/echo mine")
    assert await shell.run_line("as @super")
    sent = len(env.driver.requests)
    assert not await shell.run_line("1")
    assert "! that card is private to @agent; only they can click it (`as @agent`)" in out.getvalue()
    assert len(env.driver.requests) == sent  # nothing reached the app
    assert await shell.run_line("as @agent")
    assert await shell.run_line("1")
    assert "ECHO: MINE" in out.getvalue()


async def test_a_channel_card_is_clickable_by_anyone(env: Env) -> None:
    shell, out = console(env)
    assert await shell.run_line("/announce hi")
    assert await shell.run_line("as @super")
    assert await shell.run_line("2")
    assert "Seen by @super" in out.getvalue()


# ------------------------------------------------------------------------------------- shortcuts
SHORTCUTS = [Shortcut("open_form", "Open form", "global"), Shortcut("quote", "Quote this", "message")]


async def test_shortcuts_run_through_the_signed_path(env: Env) -> None:
    out = io.StringIO()
    shell = Console(
        env.driver,
        env.emulator,
        out=out,
        input_stream=io.StringIO("Ann\n2\n"),
        color=False,
        shortcuts=SHORTCUTS,
    )
    assert await shell.run_line("shortcuts")
    assert "open_form        Open form (⚡ global)" in out.getvalue()
    # a global shortcut by its name opens its modal, filled in from the input
    assert await shell.run_line("shortcut Open form")
    assert env.emulator.channel_messages("C0DEMO")[-1].text == "<@U0AGENT>: Ann likes green"
    # a message shortcut on a message typed with it, then on the last message typed
    assert await shell.run_line('shortcut quote Call me, "soon"')
    assert '-- agent · #demo --\nCall me, "soon"\n' in out.getvalue()
    assert 'quoted: Call me, "soon" from #demo' in out.getvalue()
    assert await shell.run_line("in #general")
    assert not await shell.run_line("shortcut quote")  # nothing typed in #general yet
    assert await shell.run_line("say later, maybe")
    assert await shell.run_line("shortcut Quote this")
    assert "quoted: later, maybe from #general" in out.getvalue()
    assert not await shell.run_line("shortcut nope")
    kinds = [
        json.loads(parse_qs(body)["payload"][0])["type"]
        for body, _ in env.driver.requests
        if "payload=" in body
    ]
    assert kinds.count("shortcut") == 1 and kinds.count("message_action") == 2
    assert all(response.ok for _, response in env.driver.requests)


# -------------------------------------------------------------------------------------- mentions
async def test_mentions_are_escaped_for_commands_that_ask_for_it(env: Env) -> None:
    out = io.StringIO()
    shell = Console(env.driver, env.emulator, out=out, color=False, escaped_commands={"/echo"})
    assert await shell.run_line("/echo hi @super and #general, not @nobody or a@b.c")
    sent = parse_qs(env.driver.requests[-1][0])["text"][0]
    assert sent == "hi <@U0SUPER|super> and <#C0GENERAL|general>, not @nobody or a@b.c"
    assert "*echo:* hi @super and #general, not @nobody or a@b.c" in out.getvalue()
    assert await shell.run_line("/quick @super")  # not escaped: sent as typed, as Slack does
    assert parse_qs(env.driver.requests[-1][0])["text"][0] == "@super"


# ------------------------------------------------------------------------- refusals fail a line
async def test_an_answer_marked_as_a_refusal_fails_the_line() -> None:
    out = io.StringIO()
    status = await run_console(
        tiny_factory,
        commands=["/refuse"],
        stdin=io.StringIO(""),
        stdout=out,
        color=False,
        failure_markers={REFUSED_BLOCK},
    )
    assert status == 1 and "You may not do that." in out.getvalue()
    status = await run_console(
        tiny_factory,
        commands=["/echo fine", "/quick"],
        stdin=io.StringIO(""),
        stdout=io.StringIO(),
        failure_markers={REFUSED_BLOCK},
    )
    assert status == 0


async def test_the_banner_comes_first() -> None:
    out = io.StringIO()
    assert (
        await run_console(
            tiny_factory, commands=["/quick"], stdin=io.StringIO(""), stdout=out, banner="Hello."
        )
        == 0
    )
    assert out.getvalue().startswith("Hello.\n-- switchboard · only you --\ndone quickly\n")


async def test_commands_of_the_host_run_show_their_line_and_are_in_help(env: Env) -> None:
    seen: list[str] = []

    async def echo(rest: str) -> tuple[bool, str]:
        seen.append(rest)
        return (rest != "bad"), f"echoed {rest}"

    out = io.StringIO()
    shell = Console(
        env.driver,
        env.emulator,
        out=out,
        color=False,
        local_commands=[LocalCommand("poke", "poke WORD", "echo WORD back", echo)],
    )
    assert await shell.run_line("poke hello there")
    assert not await shell.run_line("poke bad")  # a refusal fails the line, shown as `! …`
    assert out.getvalue() == "echoed hello there\n! echoed bad\n"
    assert seen == ["hello there", "bad"]
    assert await shell.run_line("help")
    assert "  poke WORD\n" + " " * 22 + "echo WORD back\n  help " in out.getvalue()


async def test_sandbox_commands_read_their_options_before_reaching_the_sandbox() -> None:
    commands = SandboxCommands()  # not bound: a console without a container's sandbox
    inject = commands.commands[0].run
    assert await inject('inbound --from +14155550177 --inbox 100915 --text "unclosed') == (
        False,
        f"No closing quotation; usage: {INJECT_USAGE}",
    )
    assert (await inject("inbound --from +14155550177 --colour red"))[1].startswith(
        "unknown option '--colour'"
    )
    assert (await inject("inbound --from"))[1].startswith("--from needs a value")
    assert (await inject("inbound --text hi"))[1].startswith("missing --from, --inbox")
    assert await inject("inbound --from +14155550177 --inbox 100915 --text hi") == (
        False,
        "inject works on the sandbox providers only (SWITCHBOARD_PROVIDERS=sandbox)",
    )
