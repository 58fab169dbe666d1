"""The console: type slash commands, click numbered buttons, fill modals, in a terminal.

`Console` is independent of how the app is built: it talks to it through a `SlackDriver` and reads
what users would see from a `SlackEmulator`. `run_console` wires both to an app built by an
``app_factory`` (see its docstring for the contract).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import io
import re
import secrets
import shlex
import sys
import threading
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any, TextIO

from starlette.types import ASGIApp

from bot.console.blockkit import Interactive, element_options, input_blocks, text_of
from bot.console.driver import AppResponse, Idle, MissingInput, SlackDriver
from bot.console.emulator import Change, Message, SlackEmulator, View
from bot.console.render import Reader, Rendered, render_message, render_view

AppFactory = Callable[[str], AbstractAsyncContextManager[tuple[ASGIApp, str, Idle | None]]]

HELP = """\
Commands:
  /command args       run a slash command as the current user in the current channel
                      (@user and #channel become Slack mentions for commands that escape them)
  N                   click element N (N.k or "N k" picks option k of a select); numbers start again
                      at 1 with each command you type, and what a click brings up is numbered after
                      what is on screen, so earlier cards stay clickable
  say text            post a message as the current user in the current channel
  reply N text        post it in the thread of the message that has element N (an alert card's thread)
  shortcuts           list the app's shortcuts
  shortcut NAME [text]  run a shortcut (by callback id or name): a global one, or a message shortcut on
                      `text` (posted first as your message) or on the last message typed in this channel
  step [NAME name=value …]  run a Workflow Builder step of the app as the current user (its "Run as"),
                      and show its outputs; `step` alone lists the steps and their inputs
  as @user | as U…    act as another user
  in #channel         switch channel
  home                open the App Home tab
  submit | cancel     submit or close the open modal
  help                this text
  quit | exit         leave (Ctrl-D too)
In a modal: a multi-line field continues while a line ends with \\; `!N` clicks element N of the modal;
`cancel` closes it."""

SELECTS_ONE = ("static_select", "external_select", "radio_buttons")
SELECTS_MANY = ("multi_static_select", "multi_external_select", "checkboxes")
_MENTION = re.compile(r"(?<![<\w])([@#])([A-Za-z0-9][\w.-]*)")


@dataclass(frozen=True)
class Shortcut:
    """A shortcut as the app's manifest declares it: ``kind`` is "global" or "message"."""

    callback_id: str
    name: str
    kind: str


@dataclass(frozen=True)
class LocalCommand:
    """A console command that the console's host provides rather than Slack (e.g. `inject` on the
    in-process sandbox). ``run`` gets the rest of the line and returns (ok, one line to show): a refusal
    is shown as ``! line`` and fails the line."""

    name: str
    usage: str  # shown by `help`, e.g. `inject inbound --from +1… --inbox ID --text "…"`
    summary: str
    run: Callable[[str], Awaitable[tuple[bool, str]]]


@dataclass
class _Card:
    """A message or view on screen whose elements the console numbered ``base + 1`` … ``base + size``."""

    subject: Message | View
    base: int
    elements: dict[int, Interactive]  # by the number shown

    @property
    def end(self) -> int:
        return max(self.elements, default=self.base)

    @property
    def owner(self) -> str | None:
        """Who may click it: the one user an ephemeral message or a view is for; None for everyone."""
        if isinstance(self.subject, View):
            return self.subject.user
        return self.subject.ephemeral_to


class _Cancelled(Exception):
    pass


class _Click(Exception):
    def __init__(self, line: str) -> None:
        super().__init__(line)
        self.line = line


class Console:
    """A REPL engine over a driver and an emulator; ``out`` receives everything it prints.

    ``failure_markers``: block_ids by which the app marks an answer as a refusal or an error; a line
    whose answer carries one counts as failed (`run_line` returns False, ``shell -c`` exits non-zero).
    ``escaped_commands``: the slash commands whose ``@user`` / ``#channel`` words Slack sends as
    mentions (``should_escape`` in the manifest). ``line_editing``: read lines with readline (arrow
    keys, history); only for a terminal.
    """

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
        shortcuts: Sequence[Shortcut] = (),
        escaped_commands: Collection[str] = (),
        failure_markers: Collection[str] = (),
        line_editing: bool = False,
        tz: tzinfo | None = None,
        local_commands: Sequence[LocalCommand] = (),
        functions: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.driver = driver
        self.emulator = emulator
        self.user = user
        self.channel = channel
        self.out = out if out is not None else sys.stdout
        self.input = input_stream
        self.color = color if color is not None else _isatty(self.out)
        self.shortcuts = list(shortcuts)
        self.escaped_commands = set(escaped_commands)
        self.failure_markers = frozenset(failure_markers)
        self.editor = LineEditor() if line_editing else None
        self.tz = tz
        self.local_commands = {command.name: command for command in local_commands}
        # The app's custom functions (Workflow Builder steps) as its manifest declares them.
        self.functions = dict(functions if functions is not None else emulator.functions)
        self.cards: list[_Card] = []
        self.modal: _Card | None = None  # the open modal's elements (numbered from 1, `!N` at a prompt)
        self.done = False
        self._seq = emulator.seq
        self._renumber = True  # the next card shown starts again at 1 (a typed command, not a click)
        self._unresolved = False  # a modal's field errors were left unresolved, or its submission failed
        self._marked = False  # the app marked an answer to this line as a refusal or an error

    # ------------------------------------------------------------------------------------ i/o
    def print(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    async def readline(self, prompt: str = "", *, history: bool = False) -> str | None:
        """One line from the input stream without its newline; None at end of input. Only console lines
        (``history=True``) are kept in the line editor's history: modal answers (secrets) never are."""
        if self.editor is not None and self.input is sys.stdin:
            return await self.editor.read(prompt, history=history)
        if prompt:
            self.out.write(prompt)
            self.out.flush()
        if self.input is None:
            return None
        if isinstance(self.input, io.StringIO):
            line = self.input.readline()
        else:
            line = await _in_thread(self.input.readline)
        if not line:
            if prompt:
                self.out.write("\n")
            return None
        line = line.rstrip("\r\n")
        if prompt and not _isatty(self.input):
            self.out.write(line + "\n")  # a transcript reads like the terminal session would
        return line

    @property
    def help(self) -> str:
        """`help`'s text: the console's own commands, then the ones its host adds."""
        if not self.local_commands:
            return HELP
        extra = [f"  {c.usage}\n{'':22}{c.summary}" for c in self.local_commands.values()]
        head, _, tail = HELP.partition("  help ")
        return head + "\n".join(extra) + "\n  help " + tail

    @property
    def prompt(self) -> str:
        name = self.emulator.users.get(self.user, {}).get("name", self.user)
        return f"{name}@#{self.emulator.channel_name(self.channel)}> "

    @property
    def reader(self) -> Reader:
        """How the current user reads messages: names for ids, the local time zone."""
        names = {uid: str(info.get("name", uid)) for uid, info in self.emulator.users.items()}
        names.update({cid: str(info.get("name", cid)) for cid, info in self.emulator.channels.items()})
        return Reader(names=names, tz=self.tz)

    # ---------------------------------------------------------------------------------- lines
    async def run_line(self, line: str) -> bool:
        """Run one console line; False when it failed: a non-2xx answer, an answer the app marked as a
        refusal or an error, view errors left unresolved, bad input or an unknown command."""
        line = line.strip()
        if not line:
            return True
        self._unresolved = self._marked = False
        ok = await self._run(line)
        return ok and not self._unresolved and not self._marked

    async def _run(self, line: str) -> bool:
        word, _, rest = line.partition(" ")
        rest = rest.strip()
        try:
            if word in ("quit", "exit"):
                self.done = True
                return True
            if word == "help":
                self.print(self.help)
                return True
            if word in self.local_commands:
                ok, text = await self.local_commands[word].run(rest)
                self.print(text if ok else f"! {text}")
                return ok
            if word == "as" and rest:
                return self._switch_user(rest)
            if word == "in" and rest:
                return self._switch_channel(rest)
            if line.startswith("/"):
                self._renumber = True
                text = self._escape_mentions(rest) if word in self.escaped_commands else rest
                response = await self.driver.command(word, text, user=self.user, channel=self.channel)
                return await self._after(response)
            if word == "home":
                self._renumber = True
                return await self._after(await self.driver.open_home(self.user))
            if word == "say" and rest:
                self._renumber = True
                self.emulator.post_user_message(self.channel, self.user, rest)
                self._show_changes()
                return True
            if word == "reply" and rest:
                self._renumber = True
                return self._reply(rest)
            if word == "shortcuts":
                return self._list_shortcuts()
            if word == "step":
                return await self._step(rest) if rest else self._list_steps()
            if word == "shortcut" and rest:
                self._renumber = True
                return await self._shortcut(rest)
            if word in ("submit", "cancel"):
                return await self._modal_command(word)
            if word[:1].isdigit():
                self._renumber = False
                return await self._click(line)
        except (LookupError, MissingInput) as error:
            self.print(f"! {error}")
            return False
        except TimeoutError:
            self.print("! the app is still busy (gave up waiting)")
            return False
        self.print(f"! unknown command {word!r} (try `help`)")
        return False

    def _escape_mentions(self, text: str) -> str:
        """What Slack sends for a command with ``should_escape``: ``@super`` as ``<@U0SUPER|super>``,
        ``#general`` as ``<#C0GENERAL|general>`` (only names that exist; the rest stays as typed)."""

        def mention(match: re.Match[str]) -> str:
            sigil, name = match[1], match[2]
            if sigil == "@":
                found = self.emulator.find_user(name)
                if found is not None and found in self.emulator.users:
                    return f"<@{found}|{self.emulator.users[found].get('name', name)}>"
            else:
                found = self.emulator.find_channel(name)
                if found is not None:
                    return f"<#{found}|{self.emulator.channel_name(found)}>"
            return match[0]

        return _MENTION.sub(mention, text)

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

    # ------------------------------------------------------------------------------ shortcuts
    def _list_shortcuts(self) -> bool:
        if not self.shortcuts:
            self.print("(this app declares no shortcuts)")
            return True
        for shortcut in self.shortcuts:
            where = "⚡ global" if shortcut.kind == "global" else "on a message"
            self.print(f"  {shortcut.callback_id:<16} {shortcut.name} ({where})")
        return True

    def _list_steps(self) -> bool:
        if not self.functions:
            self.print("(this app declares no workflow steps)")
            return True
        for name, definition in self.functions.items():
            inputs = []
            for key, param in (definition.get("input_parameters") or {}).items():
                inputs.append(key if param.get("is_required") else f"[{key}]")
            self.print(f"  {name:<16} {definition.get('title', name)}: {' '.join(inputs)}")
        return True

    def _step_inputs(self, name: str, text: str) -> dict[str, Any]:
        """`to=+1 415 555 0100 text="Hi there"` as the step's inputs, typed as its manifest declares them:
        a word without `name=` goes on with the value before it; a user_context input ("Run as") is the
        current user unless given (`run_as=@super`, or `run_as=none` for nobody)."""
        params: Mapping[str, Any] = self.functions[name].get("input_parameters") or {}
        try:
            words = shlex.split(text)
        except ValueError as error:
            raise LookupError(f"{error} in the step's inputs") from None
        given: dict[str, str] = {}
        last: str | None = None
        for word in words:
            key, sep, value = word.partition("=")
            if sep and key in params:
                given[key], last = value, key
            elif sep and key.isidentifier():
                raise LookupError(f"{name} has no input {key!r}; its inputs: {', '.join(params)}")
            elif last is not None:
                given[last] += " " + word
            else:
                raise LookupError(f"give the inputs as name=value ({', '.join(params)})")
        inputs: dict[str, Any] = {}
        for key, param in params.items():
            kind = str(param.get("type", ""))
            raw = given.get(key)
            if kind == "slack#/types/user_context":
                if raw is not None and raw.lower() in ("", "none"):
                    continue
                user = self.emulator.find_user(raw) if raw else self.user
                if user is None:
                    raise LookupError(f"no user {raw!r} for {key}")
                inputs[key] = {"id": user, "secret": secrets.token_hex(16)}
            elif raw is not None:
                inputs[key] = self._typed(key, kind, raw)
        missing = [key for key, param in params.items() if param.get("is_required") and key not in inputs]
        if missing:
            raise LookupError(f"{name} needs {', '.join(missing)}")
        return inputs

    def _typed(self, key: str, kind: str, raw: str) -> Any:
        try:
            if kind == "integer":
                return int(raw)
            if kind == "number":
                return float(raw)
            if kind == "boolean":
                return raw.strip().lower() in ("true", "yes", "1", "on")
            if kind == "slack#/types/timestamp":
                if raw.strip().isdigit():
                    return int(raw)
                moment = datetime.fromisoformat(raw.strip())
                return int((moment if moment.tzinfo else moment.astimezone()).timestamp())
        except ValueError:
            raise LookupError(f"{key}: {raw!r} is not a {kind}") from None
        if kind == "slack#/types/user_id":
            user = self.emulator.find_user(raw)
            if user is None:
                raise LookupError(f"no user {raw!r} for {key}")
            return user
        if kind == "slack#/types/channel_id":
            channel = self.emulator.find_channel(raw)
            if channel is None:
                raise LookupError(f"no channel {raw!r} for {key}")
            return channel
        return raw

    async def _step(self, rest: str) -> bool:
        """Run one step as a workflow would: a signed `function_executed`, then what the app completed
        it with (its outputs, or its error, which fails the line)."""
        name, _, text = rest.partition(" ")
        if name not in self.functions:
            known = ", ".join(self.functions) or "none"
            raise LookupError(f"no step {name!r} (the app's steps: {known})")
        inputs = self._step_inputs(name, text)
        self._renumber = True
        execution, response = await self.driver.run_function(name, inputs)
        if not response.ok:
            self.print(f"! the app answered HTTP {response.status}")
            return False
        await self.driver.settle()
        self._show_changes()
        if execution.state == "completed":
            self.print(f"step {name} completed:")
            declared = self.functions[name].get("output_parameters") or {}
            outputs = execution.outputs or {}
            for key in [*declared, *(k for k in outputs if k not in declared)]:
                if key in outputs:
                    self.print(f"  {key}: {_output_text(declared.get(key) or {}, outputs[key], self.tz)}")
            return True
        if execution.state == "failed":
            self.print(f"! step {name} failed: {execution.error}")
            return False
        self.print(f"! step {name} is still running: the app did not complete it")
        return False

    def _find_shortcut(self, rest: str) -> tuple[Shortcut, str]:
        """The shortcut `rest` starts with (its callback id, or its name in any case) and the text after."""
        lowered = rest.lower()
        keys = [
            (key.lower(), shortcut)
            for shortcut in self.shortcuts
            for key in (shortcut.callback_id, shortcut.name)
        ]
        for key, shortcut in sorted(keys, key=lambda pair: -len(pair[0])):  # the longest match wins
            if lowered == key or lowered.startswith(key + " "):
                return shortcut, rest[len(key) :].strip()
        word, _, text = rest.partition(" ")
        if self.shortcuts:
            known = ", ".join(s.callback_id for s in self.shortcuts)
            raise LookupError(f"no shortcut {word!r} (the app has {known}; `shortcuts` lists them)")
        return Shortcut(word, word, "message" if text.strip() else "global"), text.strip()

    def _reply(self, rest: str) -> bool:
        """`reply N text`: a message typed in the thread of the message element N is on."""
        number, _, text = rest.partition(" ")
        found = self._card_for(int(number)) if number.isdigit() else None
        if found is None or not isinstance(found[0].subject, Message) or not text.strip():
            raise LookupError(
                "reply N text: N is an element of the message to reply under (e.g. a card's button)"
            )
        target = found[0].subject
        self.emulator.post_user_message(
            target.channel, self.user, text.strip(), thread_ts=target.thread_ts or target.ts
        )
        self._show_changes()
        return True

    async def _shortcut(self, rest: str) -> bool:
        shortcut, text = self._find_shortcut(rest)
        if shortcut.kind == "global":
            if text:
                raise LookupError(f"{shortcut.name!r} is a global shortcut: it takes no message")
            return await self._after(await self.driver.shortcut(shortcut.callback_id, user=self.user))
        if text:
            message = self.emulator.post_user_message(self.channel, self.user, text)
        else:
            typed = [m for m in self.emulator.channel_messages(self.channel) if m.source == "user"]
            if not typed:
                raise LookupError(
                    f"no message in #{self.emulator.channel_name(self.channel)} to run it on: "
                    f"`say …` one first, or `shortcut {shortcut.callback_id} <message>`"
                )
            message = typed[-1]
        self._show_changes()
        response = await self.driver.message_shortcut(shortcut.callback_id, message=message, user=self.user)
        return await self._after(response)

    # --------------------------------------------------------------------------------- clicks
    async def _modal_command(self, word: str) -> bool:
        view = self.emulator.current_view(self.user)
        if view is None:
            self.print("! no modal is open")
            return False
        if word == "cancel":
            return await self._after(await self.driver.close(view, user=self.user))
        await self._fill(view)
        await self._show_and_fill()
        return True

    async def _click(self, line: str) -> bool:
        response = await self._send_click(line)
        if response is None:
            return False
        return await self._after(response)

    def _card_for(self, number: int) -> tuple[_Card, Interactive] | None:
        view = self.emulator.current_view(self.user)
        if self.modal is not None and view is not None and view is self.modal.subject:
            element = self.modal.elements.get(number)
            return (self.modal, element) if element is not None else None
        for card in reversed(self.cards):
            if number in card.elements:
                return card, card.elements[number]
        return None

    async def _send_click(self, line: str) -> AppResponse | None:
        number, option = _parse_number(line)
        found = self._card_for(number)
        if found is None:
            self.print(f"! nothing numbered {number} on screen")
            return None
        card, element = found
        if card.owner is not None and card.owner != self.user:
            owner = self.emulator.users.get(card.owner, {}).get("name", card.owner)
            what = "App Home" if isinstance(card.subject, View) else "card"
            self.print(f"! that {what} is private to @{owner}; only they can click it (`as @{owner}`)")
            return None
        value: str | None = None
        if element.type != "button":
            value = await self._pick(element, option)
            if value is None:
                return None
        target = self._fresh(card.subject)
        if target is None:
            self.print("! that message or view is gone")
            return None
        return await self.driver.click(target, index=element.number, value=value, user=self.user)

    def _fresh(self, target: Message | View) -> Message | View | None:
        if isinstance(target, View):
            if target.type == "home":
                return self.emulator.home(target.user)
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
        return True

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
                    self._note_markers(change.view.blocks)
                    home = change.view
                    self._show_card(home, functools.partial(self._render_view, home))
                elif change.kind == "view_closed":
                    closed, last_closed = True, change.view
                else:
                    self._note_markers(change.view.blocks)
                    changed = True
        current = self.emulator.current_view(self.user)
        if current is None and last_closed is not None:
            self.print(f"(modal closed: {last_closed.title})")
            self.modal = None
        if current is not None and (changed or closed):
            return current
        return None

    def _render_view(self, view: View, start: int) -> Rendered:
        return render_view(view, color=self.color, start=start, reader=self.reader)

    def _note_markers(self, blocks: Sequence[Mapping[str, Any]]) -> None:
        if any(str(block.get("block_id", "")) in self.failure_markers for block in blocks):
            self._marked = True

    def _show_message(self, change: Change) -> None:
        message = change.message
        assert message is not None
        if message.is_ephemeral and message.ephemeral_to != self.user:
            return
        where = f"#{self.emulator.channel_name(message.channel)}"
        who = "only you" if message.is_ephemeral else where
        if change.kind == "message_deleted":
            self.print(self._paint(f"-- message deleted ({who}) --", "\x1b[2m"))
            self.cards = [card for card in self.cards if card.subject is not message]
            return
        direct = self.emulator.channels.get(message.channel, {}).get("user") == self.user  # a DM
        if message.bot_id and (message.is_ephemeral or message.source == "response_url" or direct):
            self._note_markers(message.blocks)  # an answer to this user
        author = self.emulator.users.get(message.user, {}).get("name") or (
            "switchboard" if message.bot_id else message.user
        )
        label = "updated" if change.kind == "message_changed" else author
        head = f"-- {label} · {who}" + (f" · thread {message.thread_ts}" if message.thread_ts else "") + " --"
        self.print(self._paint(head, "\x1b[2m"))
        self._show_card(
            message, lambda start: render_message(message, color=self.color, start=start, reader=self.reader)
        )

    def _show_card(self, subject: Message | View, render: Callable[[int], Rendered]) -> None:
        """Print `subject` and keep its numbers. A card shown again (updated) keeps its numbers while they
        fit; a new one is numbered after the cards on screen, or from 1 after a typed command."""
        existing = next((c for c in self.cards if c.subject is subject), None)
        if existing is not None:
            rendered = render(existing.base + 1)
            later = [c for c in self.cards if c is not existing and c.base > existing.base]
            if not rendered.targets or all(max(rendered.targets) <= c.base for c in later):
                self._print_rendered(rendered)
                existing.subject, existing.elements = subject, dict(rendered.targets)
                return
            self.cards.remove(existing)
        if self._renumber:
            rendered = render(1)
            if rendered.targets:
                self.cards, self._renumber = [], False
        else:
            rendered = render(max((c.end for c in self.cards), default=0) + 1)
        self._print_rendered(rendered)
        if rendered.targets:
            self.cards.append(_Card(subject, min(rendered.targets) - 1, dict(rendered.targets)))

    def _print_rendered(self, rendered: Rendered) -> None:
        if rendered.text:
            self.print(rendered.text)

    def _paint(self, text: str, code: str) -> str:
        return f"{code}{text}\x1b[0m" if self.color else text

    # ---------------------------------------------------------------------------------- modals
    async def _fill(self, view: View) -> bool:
        """Show a modal, prompt for each input, submit; re-prompt fields the app rejected."""
        rendered = render_view(view, color=self.color, reader=self.reader)
        self._print_rendered(rendered)
        self.modal = _Card(view, 0, dict(rendered.targets))
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
                    self._unresolved = True
                await self.driver.settle()
                return False
            response = await self.driver.submit(view, values, user=self.user, check=False)
            if not response.ok:
                self.print(f"! the app answered HTTP {response.status}")
                self._unresolved = True
                return False
            errors = response.errors
            if not errors:
                self._unresolved = False
                await self.driver.settle()
                return True
            self._unresolved = True
            for block_id, message in errors.items():
                label = next(
                    (text_of(b.get("label")) for b in inputs if b.get("block_id") == block_id), block_id
                )
                self.print(f"! {label}: {message}")
            todo = [b for b in inputs if str(b.get("block_id")) in errors] or list(inputs)

    async def _ask(self, block: Mapping[str, Any]) -> str | list[str] | None:
        """One field's answer, as typed: commas, quotes and the like are part of it (only a multi-select
        reads a comma-separated list of options). A multi-line field continues while a line ends with a
        backslash."""
        element = block["element"]
        kind = str(element.get("type", ""))
        label = text_of(block.get("label"))
        optional = bool(block.get("optional"))
        options = element_options(element)
        multiline = kind == "plain_text_input" and bool(element.get("multiline"))
        hint = f" ({text_of(block.get('hint'))})" if block.get("hint") else ""
        suffix = " [optional, Enter skips]" if optional else ""
        if options:
            for i, option in enumerate(options, 1):
                self.print(f"  {i}) {text_of(option.get('text'))}")
        prompt = f"{label}{hint}{suffix}: "
        if kind in SELECTS_MANY:
            prompt = f"{label}{hint} (numbers, comma-separated){suffix}: "
        elif kind == "datetimepicker":
            prompt = f"{label}{hint} (YYYY-MM-DD HH:MM, this machine's time){suffix}: "
        elif multiline:
            prompt = f"{label}{hint} (end a line with \\ to add another){suffix}: "
        while True:
            answer = await self.readline(prompt)
            if answer is None or answer.strip().lower() == "cancel":
                raise _Cancelled
            if multiline:
                lines = [answer]
                while lines[-1].endswith("\\"):
                    lines[-1] = lines[-1][:-1]
                    more = await self.readline("... ")
                    if more is None:
                        break
                    lines.append(more)
                answer = "\n".join(lines)
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
                    return _choose_many(options, answer)
                if kind in ("multi_users_select", "multi_conversations_select", "multi_channels_select"):
                    return [part.strip() for part in answer.split(",") if part.strip()]
                if kind == "datetimepicker":
                    return _epoch(answer)
            except MissingInput as error:
                self.print(f"  ! {error}")
                continue
            problem = _check_text(element, answer)
            if problem:
                self.print(f"  ! {problem}")
                continue
            return answer

    # ------------------------------------------------------------------------------------ REPL
    async def _watch(self) -> None:
        """While the console waits for a line, show what arrives by itself (a new conversation's card,
        a customer's message in its thread, a reminder, a digest), as Slack would."""
        while True:
            await asyncio.sleep(WATCH_SECONDS)
            if self.emulator.seq == self._seq or self.modal is not None:
                continue
            self.out.write("\r")
            self._show_changes()
            self.out.write(self.prompt)
            self.out.flush()

    async def repl(self, input_stream: TextIO | None = None) -> int:
        """Read lines until ``quit`` or end of input; returns 0."""
        if input_stream is not None:
            self.input = input_stream
        try:
            while not self.done:
                watcher = asyncio.create_task(self._watch())
                try:
                    line = await self.readline(self.prompt, history=True)
                finally:
                    watcher.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await watcher
                if line is None:
                    break
                await self.run_line(line)
        finally:
            if self.editor is not None:
                self.editor.save()
        return 0


WATCH_SECONDS = 0.5  # how soon what arrives unasked is shown at the prompt


class LineEditor:
    """Line editing and history for a terminal, with the standard library's readline: arrow keys move
    and recall earlier lines, which are kept in ``~/.switchboard_history`` (console lines only, never
    what was typed into a modal).

    The line is read in a daemon thread so that the event loop keeps running, and Ctrl-C or leaving
    never waits for a half-typed line."""

    def __init__(self, history_file: Path | None = None) -> None:
        self.history_file = history_file or Path.home() / ".switchboard_history"
        self._terminal: list[Any] | None = None
        try:
            import readline  # only a terminal session needs it (and some builds lack it)
        except ImportError:  # pragma: no cover - Python without readline: plain input() still works
            self.readline: Any = None
            return
        self.readline = readline
        with contextlib.suppress(ImportError, OSError, ValueError):
            import termios

            # readline changes the terminal's modes while it reads; if we leave mid-line (Ctrl-C), put
            # them back as they were, or the shell after us would not echo.
            self._terminal = termios.tcgetattr(sys.stdin.fileno())
        readline.set_history_length(1000)
        with contextlib.suppress(OSError):
            readline.read_history_file(self.history_file)

    async def read(self, prompt: str, *, history: bool) -> str | None:
        before = self.readline.get_current_history_length() if self.readline else 0
        try:
            line = await _in_thread(lambda: input(prompt))
        except EOFError:
            sys.stdout.write("\n")
            return None
        if self.readline is not None:
            added = self.readline.get_current_history_length() > before
            if added and (not history or not line.strip()):
                self.readline.remove_history_item(self.readline.get_current_history_length() - 1)
        return line

    def save(self) -> None:
        """Keep the history and restore the terminal's modes (at the end of the session)."""
        if self.readline is not None:
            with contextlib.suppress(OSError):
                self.readline.write_history_file(self.history_file)
        if self._terminal is not None:
            with contextlib.suppress(ImportError, OSError, ValueError):
                import termios

                termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, self._terminal)


async def _in_thread(read: Callable[[], str]) -> str:
    """`read()` in a daemon thread: unlike `asyncio.to_thread`, leaving the program never waits for it."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str] = loop.create_future()

    def settle(result: str | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result or "")

    def work() -> None:
        try:
            result = read()
        except BaseException as error:  # handed to the awaiting coroutine, whatever it is
            loop.call_soon_threadsafe(settle, None, error)
        else:
            loop.call_soon_threadsafe(settle, result, None)

    threading.Thread(target=work, name="console-input", daemon=True).start()
    return await future


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _output_text(param: Mapping[str, Any], value: Any, tz: tzinfo | None) -> str:
    """An output as a workflow's next step would show it: a timestamp as a local time."""
    if param.get("type") == "slack#/types/timestamp" and isinstance(value, int | float):
        return f"{datetime.fromtimestamp(value, tz).astimezone(tz):%Y-%m-%d %H:%M} ({int(value)})"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _epoch(answer: str) -> str:
    """A date and time typed at the console (its machine's local time, as Slack's picker uses the
    person's own zone) as the picker's value: epoch seconds."""
    try:
        moment = datetime.fromisoformat(answer.strip().replace(" ", "T", 1))
    except ValueError:
        raise MissingInput("a date and time, e.g. 2026-12-03 09:00") from None
    return str(int((moment if moment.tzinfo else moment.astimezone()).timestamp()))


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


def _choose_many(options: list[Mapping[str, Any]], answer: str) -> list[str]:
    """Options' values from numbers, values or texts separated by commas (an option whose text holds a
    comma is found by its whole text first)."""
    try:
        return [_choose(options, answer)]
    except MissingInput:
        return [_choose(options, part.strip()) for part in answer.split(",") if part.strip()]


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
    banner: str | None = None,
    shortcuts: Sequence[Shortcut] = (),
    escaped_commands: Collection[str] = (),
    failure_markers: Collection[str] = (),
    line_editing: bool | None = None,
    local_commands: Sequence[LocalCommand] = (),
    functions: Mapping[str, Mapping[str, Any]] | None = None,
) -> int:
    """Run the console against the app that ``app_factory`` builds; returns the exit status.

    ``app_factory(api_url)`` is an async context manager yielding ``(asgi_app, signing_secret,
    idle)``: the app must call the Slack Web API at ``api_url`` with a token the emulator accepts
    (`emulator.DEFAULT_TOKEN`, or pass an ``emulator`` built with ``tokens=[...]``), and ``idle``
    (or None) is awaited by `SlackDriver.settle` until the app's in-flight work is done.

    ``banner`` is printed on ``stdout`` before anything else (before the app starts). With
    ``commands`` (the ``-c`` lines) they run in order and the status is 1 when any failed (see
    `Console.run_line`); modal fields they open are read from ``stdin``. Otherwise lines come from
    ``stdin`` until ``quit`` or end of input, and the status is 0. ``line_editing`` (default: when
    stdin and stdout are the terminal) reads lines with readline. ``local_commands``: commands the
    host adds (`LocalCommand`), listed by `help`. ``functions``: the app's Workflow Builder steps as
    its manifest declares them (default: the emulator's), which `step` runs.
    """
    if banner:
        stdout.write(banner.rstrip("\n") + "\n")
        stdout.flush()
    if line_editing is None:
        line_editing = not commands and stdin is sys.stdin and _isatty(stdin) and _isatty(stdout)
    emulator = emulator or SlackEmulator()
    async with emulator.serve() as api_url, app_factory(api_url) as (asgi_app, secret, idle):
        driver = SlackDriver(asgi_app, secret, emulator, idle=idle, user=user, channel=channel)
        async with driver:
            console = Console(
                driver,
                emulator,
                user=user,
                channel=channel,
                out=stdout,
                input_stream=stdin,
                color=color,
                shortcuts=shortcuts,
                escaped_commands=escaped_commands,
                failure_markers=failure_markers,
                line_editing=line_editing,
                local_commands=local_commands,
                functions=functions,
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
