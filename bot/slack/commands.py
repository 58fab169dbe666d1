"""Slash commands that describe themselves.

Each subcommand declares its usage line, a one-line summary and the role it needs; `/switchboard help`
is built from these declarations, showing only what the caller may run, and a denial is handled here
once (an ephemeral answer and an audit event) instead of in every handler.
"""

from __future__ import annotations

import itertools
import logging
import re
import shlex
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.db.models import Role
from bot.errors import InputError
from bot.jobs.contract import Envelope, Job
from bot.services.identity import Identity
from bot.slack.jobs import NO_DATABASE, accept, from_body
from bot.slack.outcome import failure
from bot.slack.text import escape

# mrkdwn: the placeholder's angle brackets are escaped, or Slack reads `<LiveVox agent id>` as a link
# and shows nothing of it (even inside backticks).
NOT_LINKED = (
    "You are not linked to Switchboard yet. Ask an admin to run "
    "`/switchboard link @you agent=&lt;LiveVox agent id&gt; role=agent` (or `switchboard admin link-user`)."
)

# Acks of commands answered by a job carry no text. Slack shows a non-empty ack as an
# ephemeral message, and a slash command's response_url cannot replace or delete it (`replace_original`
# and `delete_original` act only on the message holding a clicked button; slackapi/bolt-js#2287,
# slackapi/bolt-python#1268): a "Looking up… ⏳" ack stayed in the conversation under every answer.
# The answer, posted through response_url moments later, is the only message. The console's emulator
# applies the same rule (bot/console/emulator.py, `post_to_response_url`).
# Such an ack is sent once the job is stored (`Invocation.accept`).

log = logging.getLogger(__name__)


@dataclass
class Invocation:
    """Everything a subcommand handler gets: the parsed words, who asked, and how to answer."""

    command: str
    args: list[str]
    text: str  # the raw text after the subcommand, for free-text arguments such as an SMS body
    identity: Identity
    body: dict[str, Any]
    ack: AsyncAck
    respond: AsyncRespond
    client: AsyncWebClient
    context: dict[str, Any]
    share: bool = False  # `--share`: post the result to the channel instead of only to the caller

    @property
    def channel_id(self) -> str:
        return str(self.body.get("channel_id", ""))

    @property
    def trigger_id(self) -> str:
        return str(self.body.get("trigger_id", ""))

    @property
    def response_url(self) -> str:
        return str(self.body.get("response_url", ""))

    def envelope(self) -> Envelope:
        """Who asked and how to answer them, for the job this command defers."""
        return from_body(self.body, self.identity, origin=self.command)

    async def accept(self, job: Job) -> None:
        """Ack once `job` is stored (`bot.slack.jobs.accept`); a database that is away is said in the ack."""
        unavailable = {"response_type": "ephemeral", **failure(NO_DATABASE)}
        await accept(self.context["container"], job, self.ack, unavailable=unavailable)


Handler = Callable[[Invocation], Awaitable[None]]


@dataclass(frozen=True)
class Subcommand:
    command: str
    name: str | None  # None: the command itself (`/lookup <number>`)
    usage: str
    summary: str
    role: Role | None
    handler: Handler
    # More usage lines, shown after `usage` in help: the forms of a subcommand with its own verbs
    # (`/switchboard digest add …`, `… list`, …).
    also: tuple[str, ...] = ()
    # It changes nothing and its whole answer is its ack, the same for everyone of a role (help): a
    # replay of it is answered again rather than claimed once (`bot.slack.slash.replayable`).
    replayable: bool = False


@dataclass
class CommandRouter:
    """The subcommands of one slash command; `default` runs when the first word is not a subcommand."""

    command: str
    summary: str
    order: int = 50  # its place in /switchboard help
    subcommands: dict[str | None, Subcommand] = field(default_factory=dict)

    def sub(
        self,
        name: str | None,
        usage: str,
        summary: str,
        role: Role | None = Role.AGENT,
        *,
        also: Sequence[str] = (),
        replayable: bool = False,
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.subcommands[name] = Subcommand(
                self.command, name, usage, summary, role, handler, tuple(also), replayable
            )
            return handler

        return register

    def usage_lines(self, identity: Identity | None = None) -> list[str]:
        lines: list[str] = []
        for sub in self.subcommands.values():
            if identity is None or identity.may(sub.role):
                lines.append(f"`{escape(sub.usage)}`: {sub.summary}")
                lines.extend(f"`{escape(more)}`" for more in sub.also)
        return lines

    def match(self, text: str) -> tuple[Subcommand | None, list[str], str]:
        """The subcommand for `text`, its arguments (from the first `TOKENISE_LIMIT` characters, at most
        `MAX_WORDS`) and the raw remainder (all of it: free text such as an SMS body is read from there)."""
        words = words_of(text)
        head = words[0].lower() if words else None
        if head is not None and head in self.subcommands:
            rest = text.strip()[len(words[0]) :].strip()
            return self.subcommands[head], words[1:], rest
        if None in self.subcommands and (head is not None or len(self.subcommands) == 1):
            return self.subcommands[None], words, text.strip()
        return None, words, text.strip()


# This runs before the ack, on text of any size, so it reads only the head of it: enough for every
# subcommand's arguments, in time linear in that head (a signed 1 MB paste costs what 4 kB does).
TOKENISE_LIMIT = 4000
MAX_WORDS = 100
_SHELL_QUOTING = re.compile(r"[\"'\\]")  # what shlex (posix) treats specially: quotes and the escape
_SHELL_SPACE = re.compile(r"[ \t\r\n]+")  # shlex's whitespace


def words_of(text: str) -> list[str]:
    """The shell-style words (quotes group, as in `name="Front desk"`) at the start of `text`."""
    head = text[:TOKENISE_LIMIT]
    if not _SHELL_QUOTING.search(head):
        # Nothing for the lexer to do but split where it splits (its whitespace, not all of str.split's);
        # it is a pure-Python state machine, a character at a time, on every command before its ack.
        return [word for word in _SHELL_SPACE.split(head) if word][:MAX_WORDS]
    lexer = shlex.shlex(head, posix=True)
    lexer.whitespace_split = True
    lexer.commenters = ""  # `#` is a channel name or a digit prefix here, not a comment
    try:
        return list(itertools.islice(lexer, MAX_WORDS))
    except ValueError:  # an unclosed quote: fall back to plain words
        return head.split()[:MAX_WORDS]


def split_share(args: list[str], text: str) -> tuple[list[str], str, bool]:
    """Remove a `--share` flag wherever it appears."""
    if "--share" not in args:
        return args, text, False
    return [a for a in args if a != "--share"], text.replace("--share", "").strip(), True


def need(args: list[str], count: int, usage: str) -> None:
    if len(args) < count:
        raise InputError(f"Usage: `{usage}`")
