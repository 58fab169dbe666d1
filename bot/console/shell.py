"""The console: type slash commands, click numbered buttons, fill modals, in a terminal.

`Console` is independent of how the app is built: it talks to it through a `SlackDriver` and reads
what users would see from a `SlackEmulator`. `run_console` wires both to an app built by an
``app_factory`` (see its docstring for the contract).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import sys
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, TextIO

from starlette.types import ASGIApp

from bot.console.blockkit import Interactive, element_options, input_blocks, text_of
from bot.console.driver import AppResponse, Idle, MissingInput, SlackDriver
from bot.console.emulator import Change, Message, SlackEmulator, View
from bot.console.render import render_message, render_view

AppFactory = Callable[[str], AbstractAsyncContextManager[tuple[ASGIApp, str, Idle | None]]]

HELP = """\
Commands:
  /command args     run a slash command as the current user in the current channel
  N                 click element N of the last message or view shown (N.k or "N k" picks option k)
  as @user | as U…  act as another user
  in #channel       switch channel
  home              open the App Home tab
  submit | cancel   submit or close the open modal
  help              this text
  quit | exit       leave (Ctrl-D too)"""

SELECTS_ONE = ("static_select", "external_select", "radio_buttons")
SELECTS_MANY = ("multi_static_select", "multi_external_select", "checkboxes")


class _Cancelled(Exception):
    pass


class _Click(Exception):
    def __init__(self, line: str) -> None:
        super().__init__(line)
        self.line = line


class Console:
    """A REPL engine over a driver and an emulator; ``out`` receives everything it prints."""

    def __init__(
        self,
        driver: SlackDriver,
        emulator: SlackEmulator,
        *,
        user: str = "U0AGENT",
        channel: str = "C0DEMO",
        out: TextIO | None = None,
        input_stream: TextIO | None = None,
        color: bool | None = None,
    ) -> None:
        self.driver = driver
        self.emulator = emulator
        self.user = user
        self.channel = channel
        self.out = out if out is not None else sys.stdout
        self.input = input_stream
        self.color = color if color is not None else _isatty(self.out)
        self.target: Message | View | None = None
        self.targets: dict[int, Interactive] = {}
        self.done = False
        self._seq = emulator.seq
        self._failed = False

    # ------------------------------------------------------------------------------------ i/o
    def print(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    async def readline(self, prompt: str = "") -> str | None:
        """One line from the input stream without its newline; None at end of input."""
        if prompt:
            self.out.write(prompt)
            self.out.flush()
        if self.input is None:
            return None
        if isinstance(self.input, io.StringIO):
            line = self.input.readline()
        else:
            line = await asyncio.to_thread(self.input.readline)
        if not line:
            if prompt:
                self.out.write("\n")
            return None
        line = line.rstrip("\r\n")
        if prompt and not _isatty(self.input):
            self.out.write(line + "\n")  # a transcript reads like the terminal session would
        return line

    @property
    def prompt(self) -> str:
        name = self.emulator.users.get(self.user, {}).get("name", self.user)
        return f"{name}@#{self.emulator.channel_name(self.channel)}> "

    # ---------------------------------------------------------------------------------- lines
    async def run_line(self, line: str) -> bool:
        """Run one console line; False when it failed (non-2xx answer, view errors left
        unresolved, bad input or an unknown command)."""
        line = line.strip()
        if not line:
            return True
        self._failed = False
        word, _, rest = line.partition(" ")
        rest = rest.strip()
        try:
            if word in ("quit", "exit"):
                self.done = True
                return True
            if word == "help":
                self.print(HELP)
                return True
            if word == "as" and rest:
                return self._switch_user(rest)
            if word == "in" and rest:
                return self._switch_channel(rest)
            if line.startswith("/"):
                response = await self.driver.command(word, rest, user=self.user, channel=self.channel)
                return await self._after(response)
            if word == "home":
                return await self._after(await self.driver.open_home(self.user))
            if word in ("submit", "cancel"):
                return await self._modal_command(word)
            if word[:1].isdigit():
                return await self._click(line)
        except (LookupError, MissingInput) as error:
            self.print(f"! {error}")
            return False
        except TimeoutError:
            self.print("! the app is still busy (gave up waiting)")
            return False
        self.print(f"! unknown command {word!r} (try `help`)")
        return False

    def _switch_user(self, ref: str) -> bool:
        found = self.emulator.find_user(ref)
        if found is None:
            self.print(f"! no user {ref!r}")
            return False
        self.user = found
        name = self.emulator.users.get(found, {}).get("name", found)
        self.print(f"(acting as @{name} {found})")
        return True

    def _switch_channel(self, ref: str) -> bool:
        found = self.emulator.find_channel(ref)
        if found is None:
            self.print(f"! no channel {ref!r}")
            return False
        self.channel = found
        self.print(f"(in #{self.emulator.channel_name(found)})")
        return True

    async def _modal_command(self, word: str) -> bool:
        view = self.emulator.current_view(self.user)
        if view is None:
            self.print("! no modal is open")
            return False
        if word == "cancel":
            return await self._after(await self.driver.close(view, user=self.user))
        await self._fill(view)
        await self._show_and_fill()
        return not self._failed

    async def _click(self, line: str) -> bool:
        response = await self._send_click(line)
        if response is None:
            return False
        return await self._after(response)

    async def _send_click(self, line: str) -> AppResponse | None:
        number, option = _parse_number(line)
        if self.target is None or number not in self.targets:
            self.print(f"! nothing numbered {number} on screen")
            return None
        element = self.targets[number]
        value: str | None = None
        if element.type != "button":
            value = await self._pick(element, option)
            if value is None:
                return None
        target = self._fresh(self.target)
        if target is None:
            self.print("! that message or view is gone")
            return None
        return await self.driver.click(target, index=number, value=value, user=self.user)

    def _fresh(self, target: Message | View) -> Message | View | None:
        if isinstance(target, View):
            return self.emulator.views.get(target.id)
        return None if target.deleted else target

    async def _pick(self, element: Interactive, option: int | None) -> str | None:
        """The value for a select-like element: option k, or asked for on the input stream."""
        options = element.options
        if options:
            if option is None:
                for i, o in enumerate(options, 1):
                    self.print(f"  {i}) {text_of(o.get('text'))}")
                answer = await self.readline("  pick: ")
                if answer is None or answer.strip() in ("", "cancel"):
                    return None
                return _choose(options, answer.strip())
            if 1 <= option <= len(options):
                return str(options[option - 1].get("value"))
            self.print(f"! no option {option}")
            return None
        answer = await self.readline(f"  {element.type.replace('_', ' ')}: ")
        return answer.strip() if answer and answer.strip() else None

    # ------------------------------------------------------------------------- after an action
    async def _after(self, response: AppResponse | None) -> bool:
        if response is not None and not response.ok:
            self.print(
                f"! the app answered HTTP {response.status}{': ' + response.body if response.body else ''}"
            )
            await self.driver.settle()
            self._show_changes()
            return False
        await self.driver.settle()
        await self._show_and_fill()
        return not self._failed

    async def _show_and_fill(self) -> None:
        opened = self._show_changes()
        while opened is not None and not self.done:
            await self._fill(opened)
            opened = self._show_changes()

    def _show_changes(self) -> View | None:
        """Print what the current user would notice since last time; returns a modal that was
        opened or changed for them (to be filled in)."""
        changes = self.emulator.changes_since(self._seq)
        self._seq = self.emulator.seq
        latest: dict[int, Change] = {}
        for change in changes:
            subject: Any = change.message if change.message is not None else change.view
            key = id(subject)
            if key in latest and change.kind.endswith("_changed"):
                change = Change(change.seq, latest[key].kind, change.user, change.message, change.view)
            latest.pop(key, None)
            latest[key] = change
        changed = closed = False
        last_closed: View | None = None
        for change in latest.values():
            if change.message is not None:
                self._show_message(change)
            elif change.view is not None and change.user == self.user:
                if change.kind == "home":
                    self._show(render_view(change.view, color=self.color), change.view)
                elif change.kind == "view_closed":
                    closed, last_closed = True, change.view
                else:
                    changed = True
        current = self.emulator.current_view(self.user)
        if current is None and last_closed is not None:
            self.print(f"(modal closed: {last_closed.title})")
            if isinstance(self.target, View) and self.target.type == "modal":
                self.target, self.targets = None, {}
        if current is not None and (changed or closed):
            return current
        return None

    def _show_message(self, change: Change) -> None:
        message = change.message
        assert message is not None
        if message.is_ephemeral and message.ephemeral_to != self.user:
            return
        where = f"#{self.emulator.channel_name(message.channel)}"
        who = "only you" if message.is_ephemeral else where
        if change.kind == "message_deleted":
            self.print(self._paint(f"-- message deleted ({who}) --", "\x1b[2m"))
            if self.target is message:
                self.target, self.targets = None, {}
            return
        author = self.emulator.users.get(message.user, {}).get("name") or (
            "switchboard" if message.bot_id else message.user
        )
        label = "updated" if change.kind == "message_changed" else author
        head = f"-- {label} · {who}" + (f" · thread {message.thread_ts}" if message.thread_ts else "") + " --"
        self.print(self._paint(head, "\x1b[2m"))
        self._show(render_message(message, color=self.color), message)

    def _show(self, rendered: Any, subject: Message | View) -> None:
        if rendered.text:
            self.print(rendered.text)
        if rendered.targets:
            self.target, self.targets = subject, dict(rendered.targets)

    def _paint(self, text: str, code: str) -> str:
        return f"{code}{text}\x1b[0m" if self.color else text

    # ---------------------------------------------------------------------------------- modals
    async def _fill(self, view: View) -> bool:
        """Show a modal, prompt for each input, submit; re-prompt fields the app rejected."""
        rendered = render_view(view, color=self.color)
        self._show(rendered, view)
        inputs = input_blocks(view.blocks)
        if not inputs:
            self.print("(type a number to click, `submit` or `cancel`)")
            return True
        if rendered.targets:
            self.print("(at a prompt, `!N` clicks element N of the modal)")
        values: dict[str, str | list[str]] = {}
        todo = list(inputs)
        while True:
            try:
                for block in todo:
                    answer = await self._ask(block)
                    block_id = str(block.get("block_id"))
                    if answer is None:
                        values.pop(block_id, None)
                    else:
                        values[block_id] = answer
            except _Click as click:
                response = await self._send_click(click.line)
                if response is not None and not response.ok:
                    self.print(f"! the app answered HTTP {response.status}")
                await self.driver.settle()
                self._show_changes()
                current = self.emulator.current_view(self.user)
                return await self._fill(current) if current is not None else True
            except _Cancelled:
                response = await self.driver.close(view, user=self.user)
                if response is not None and not response.ok:
                    self._failed = True
                await self.driver.settle()
                return False
            response = await self.driver.submit(view, values, user=self.user, check=False)
            if not response.ok:
                self.print(f"! the app answered HTTP {response.status}")
                self._failed = True
                return False
            errors = response.errors
            if not errors:
                self._failed = False
                await self.driver.settle()
                return True
            self._failed = True
            for block_id, message in errors.items():
                label = next(
                    (text_of(b.get("label")) for b in inputs if b.get("block_id") == block_id), block_id
                )
                self.print(f"! {label}: {message}")
            todo = [b for b in inputs if str(b.get("block_id")) in errors] or list(inputs)

    async def _ask(self, block: Mapping[str, Any]) -> str | list[str] | None:
        element = block["element"]
        kind = str(element.get("type", ""))
        label = text_of(block.get("label"))
        optional = bool(block.get("optional"))
        options = element_options(element)
        hint = f" ({text_of(block.get('hint'))})" if block.get("hint") else ""
        suffix = " [optional, Enter skips]" if optional else ""
        if options:
            for i, option in enumerate(options, 1):
                self.print(f"  {i}) {text_of(option.get('text'))}")
        prompt = f"{label}{hint}{suffix}: "
        if kind in SELECTS_MANY:
            prompt = f"{label}{hint} (numbers, comma-separated){suffix}: "
        while True:
            answer = await self.readline(prompt)
            if answer is None or answer.strip().lower() == "cancel":
                raise _Cancelled
            answer = answer.strip()
            if answer.startswith("!") and answer[1:2].isdigit():
                raise _Click(answer[1:])
            if not answer:
                if optional or _has_initial(element):
                    return None
                self.print("  (required)")
                continue
            try:
                if kind in SELECTS_ONE and options:
                    return _choose(options, answer)
                if kind in SELECTS_MANY and options:
                    return [_choose(options, part.strip()) for part in answer.split(",") if part.strip()]
                if kind in ("multi_users_select", "multi_conversations_select", "multi_channels_select"):
                    return [part.strip() for part in answer.split(",") if part.strip()]
            except MissingInput as error:
                self.print(f"  ! {error}")
                continue
            problem = _check_text(element, answer)
            if problem:
                self.print(f"  ! {problem}")
                continue
            return answer

    # ------------------------------------------------------------------------------------ REPL
    async def repl(self, input_stream: TextIO | None = None) -> int:
        """Read lines until ``quit`` or end of input; returns 0."""
        if input_stream is not None:
            self.input = input_stream
        if self.input is not None and _isatty(self.input):
            self.print("Switchboard console: an emulated Slack. Type `help`; Ctrl-D leaves.")
        while not self.done:
            line = await self.readline(self.prompt)
            if line is None:
                break
            await self.run_line(line)
        return 0


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _has_initial(element: Mapping[str, Any]) -> bool:
    return any(key.startswith("initial_") and element.get(key) for key in element)


def _check_text(element: Mapping[str, Any], answer: str) -> str | None:
    if element.get("type") != "plain_text_input":
        return None
    if element.get("max_length") is not None and len(answer) > int(element["max_length"]):
        return f"at most {element['max_length']} characters"
    if element.get("min_length") is not None and len(answer) < int(element["min_length"]):
        return f"at least {element['min_length']} characters"
    return None


def _choose(options: list[Mapping[str, Any]], answer: str) -> str:
    """An option's value from its number, value or text."""
    if answer.isdigit() and 1 <= int(answer) <= len(options):
        return str(options[int(answer) - 1].get("value"))
    lowered = answer.lower()
    for option in options:
        if str(option.get("value")) == answer or text_of(option.get("text")).lower() == lowered:
            return str(option.get("value"))
    raise MissingInput(f"no option {answer!r}")


def _parse_number(line: str) -> tuple[int, int | None]:
    head, _, tail = line.replace(".", " ").partition(" ")
    try:
        number = int(head)
        option = int(tail.strip()) if tail.strip() else None
    except ValueError as error:
        raise LookupError(f"not a number: {line!r}") from error
    return number, option


async def run_console(
    app_factory: AppFactory,
    *,
    commands: Sequence[str] | None,
    stdin: TextIO,
    stdout: TextIO,
    emulator: SlackEmulator | None = None,
    user: str = "U0AGENT",
    channel: str = "C0DEMO",
    color: bool | None = None,
) -> int:
    """Run the console against the app that ``app_factory`` builds; returns the exit status.

    ``app_factory(api_url)`` is an async context manager yielding ``(asgi_app, signing_secret,
    idle)``: the app must call the Slack Web API at ``api_url`` with a token the emulator accepts
    (`emulator.DEFAULT_TOKEN`, or pass an ``emulator`` built with ``tokens=[...]``), and ``idle``
    (or None) is awaited by `SlackDriver.settle` until the app's in-flight work is done.

    With ``commands`` (the ``-c`` lines) they run in order and the status is 1 when any failed;
    modal fields they open are read from ``stdin``. Otherwise lines come from ``stdin`` until
    ``quit`` or end of input, and the status is 0.
    """
    emulator = emulator or SlackEmulator()
    async with emulator.serve() as api_url, app_factory(api_url) as (asgi_app, secret, idle):
        driver = SlackDriver(asgi_app, secret, emulator, idle=idle, user=user, channel=channel)
        async with driver:
            console = Console(
                driver, emulator, user=user, channel=channel, out=stdout, input_stream=stdin, color=color
            )
            if commands:
                status = 0
                for line in commands:
                    if not await console.run_line(line):
                        status = 1
                    if console.done:
                        break
                return status
            with contextlib.suppress(KeyboardInterrupt):
                return await console.repl(stdin)
            return 0
