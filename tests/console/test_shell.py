from __future__ import annotations

import io

from bot.console.shell import Console, run_console
from tests.console.conftest import Env
from tests.console.tiny_app import tiny_factory


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
