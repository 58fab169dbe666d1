"""Blocks for /threads (thread cards and their buttons), the transfer and resolve modals, a thread's
history and /inbox.

A card's buttons carry everything their handler needs (`ThreadRef`, compact JSON in the button value):
ephemeral messages are not sent back with a click, so the list is re-rendered from LiveVox after each
action and `ListState` says which page to show again. Every render gets a fresh `nonce`, so a double click
on one rendering is recognised as such while the same button on the re-rendered card works again.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    StaticSelectElement,
)

from bot.errors import InputError
from bot.providers.livevox import words as livevox_words
from bot.services.inbox import (
    HistoryEntry,
    InboxOverview,
    InboxSummary,
    ThreadCard,
    ThreadList,
    TransferCandidate,
)
from bot.services.term_codes import TermCode
from bot.slack import ids
from bot.slack.blocks import limits
from bot.slack.blocks.common import actions, button, context, divider, fit, header, message, section, to_dicts
from bot.slack.blocks.compliance import flags_text
from bot.slack.text import clip, escape, plural, pretty_number, when

ACTION_THREADS_PREV = "threads_page_prev"
ACTION_THREADS_NEXT = "threads_page_next"
ACTION_THREADS_REFRESH = "threads_refresh"
PAGE_ACTIONS = (ACTION_THREADS_PREV, ACTION_THREADS_NEXT, ACTION_THREADS_REFRESH)

PAGE_SIZE = 10  # 3 blocks a card: 30 of a message's 50, with room for the header, notes and navigation
MODAL_THREADS = 30  # 2 blocks a line in the App Home's "My threads" modal (100 blocks)
HISTORY_CHARS = 300
ACCOUNT_CHARS = 64  # keeps a button value far below Slack's 2,000 characters


# ------------------------------------------------------------------------------------ button values
@dataclass(frozen=True)
class ListState:
    """Which list a message shows: channel type, personal/group/both, first card shown."""

    kind: str = "SMS"
    scope: str = "both"
    offset: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"k": self.kind, "s": self.scope, "o": self.offset}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ListState:
        scope = str(data.get("s", "both"))
        return cls(
            kind=str(data.get("k", "SMS")),
            scope=scope if scope in ("both", "personal", "group") else "both",
            offset=max(0, int(data.get("o", 0))),
        )

    def to_value(self) -> str:
        return json.dumps(self.as_dict(), separators=(",", ":"))

    @classmethod
    def from_value(cls, value: str | None) -> ListState:
        try:
            data = json.loads(value or "{}")
            return cls.from_dict(data if isinstance(data, dict) else {})
        except (ValueError, TypeError) as error:
            raise InputError("That button is out of date; run `/threads` again.") from error


@dataclass(frozen=True)
class ThreadRef:
    """One card's thread, as its buttons carry it."""

    thread_id: str
    channel_id: str
    personal: bool
    account: str | None = None
    number: str | None = None
    kind: str = "SMS"
    state: ListState = field(default_factory=ListState)
    nonce: str = ""
    # The alert card it is on (its `inbox_threads` row, `bot.slack.alerts`), 0 on a /threads card: a
    # change then redraws that card in every channel instead of the person's list.
    alert: int = 0

    @classmethod
    def of(cls, card: ThreadCard, state: ListState, nonce: str) -> ThreadRef:
        return cls(
            thread_id=card.thread_id,
            channel_id=card.channel_id,
            personal=card.personal,
            account=(card.account or "")[:ACCOUNT_CHARS] or None,
            number=card.number,
            kind=card.channel_type,
            state=state,
            nonce=nonce,
        )

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"t": self.thread_id, "c": self.channel_id, "p": int(self.personal)}
        if self.account:
            data["a"] = self.account
        if self.number:
            data["n"] = self.number
        data.update(kind=self.kind, l=self.state.as_dict(), r=self.nonce)
        if self.alert:
            data["w"] = self.alert
        return data

    def to_value(self) -> str:
        return json.dumps(self.as_dict(), separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ThreadRef:
        return cls(
            thread_id=str(data["t"]),
            channel_id=str(data.get("c", "")),
            personal=bool(data.get("p")),
            account=data.get("a") or None,
            number=data.get("n") or None,
            kind=str(data.get("kind", "SMS")),
            state=ListState.from_dict(data.get("l") or {}),
            nonce=str(data.get("r", "")),
            alert=int(data.get("w") or 0),
        )

    @classmethod
    def from_value(cls, value: str | None) -> ThreadRef:
        try:
            data = json.loads(value or "")
            if not isinstance(data, dict) or not data.get("t"):
                raise ValueError("no thread id")
            return cls.from_dict(data)
        except (ValueError, TypeError, KeyError) as error:
            raise InputError("That button is out of date; run `/threads` again.") from error


@dataclass(frozen=True)
class ModalContext:
    """What a transfer/resolve modal must remember to update the card it was opened from."""

    ref: ThreadRef
    response_url: str
    message_ts: str = ""
    channel_id: str = ""
    token: str = ""  # the reference the modal carries (the context itself stays on the server)

    def to_metadata(self) -> str:
        return json.dumps(
            {
                "ref": self.ref.as_dict(),
                "u": self.response_url,
                "ts": self.message_ts,
                "ch": self.channel_id,
                "tk": self.token,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_metadata(cls, raw: str) -> ModalContext:
        try:
            data = json.loads(raw)
            return cls(
                ThreadRef.from_dict(data["ref"]),
                str(data["u"]),
                str(data.get("ts", "")),
                str(data.get("ch", "")),
                str(data.get("tk", "")),
            )
        except (ValueError, TypeError, KeyError) as error:
            raise InputError("This form is out of date; run `/threads` again.") from error


def new_nonce() -> str:
    return secrets.token_hex(4)


# ------------------------------------------------------------------------------------------- cards
def contact_line(card: ThreadCard) -> str:
    name = escape(card.contact_name) if card.contact_name else "_Unknown contact_"
    number = escape(pretty_number(card.number)) if card.number else "no number"
    return f"*{name}* · {number}"


def flags_line(card: ThreadCard) -> str:
    return flags_text(card.compliance) or ""


def card_text(card: ThreadCard) -> str:
    state = {True: "✓ Read", False: "🔵 *Unread*"}.get(card.read, "–") if card.read is not None else "–"
    account = f"Account `{escape(card.account)}`" if card.account else "No account"
    lines = [
        contact_line(card),
        f"{account} · {escape(card.inbox)} · last message {when(card.last_at)} · {state}",
    ]
    flags = flags_line(card)
    if flags:
        lines.append(flags)
    return "\n".join(lines)


def card_blocks(card: ThreadCard, state: ListState, nonce: str) -> list[Block]:
    value = ThreadRef.of(card, state, nonce).to_value()
    move = (
        button("Release", ids.ACTION_THREAD_RELEASE, value)
        if card.personal
        else button("Take", ids.ACTION_THREAD_TAKE, value, style="primary")
    )
    mark = (
        button("Mark unread", ids.ACTION_THREAD_UNREAD, value)
        if card.read
        else button("Mark read", ids.ACTION_THREAD_READ, value)
    )
    return [
        section(card_text(card), block_id=f"card:{card.thread_id}"[:255]),
        actions(
            move,
            button("Transfer…", ids.ACTION_THREAD_TRANSFER, value),
            button("Resolve…", ids.ACTION_THREAD_RESOLVE, value),
            mark,
            button("Reply…", ids.ACTION_THREAD_REPLY, value),
            button("History", ids.ACTION_THREAD_HISTORY, value),
            block_id=f"card_actions:{card.thread_id}"[:255],
        ),
    ]


def _where(state: ListState) -> str:
    return {"personal": "personal inbox", "group": "group inboxes"}.get(
        state.scope, "personal and group inboxes"
    )


def _inbox_line(inbox: InboxSummary) -> str:
    unread = inbox.unread if inbox.unread is not None else "?"
    total = inbox.total if inbox.total is not None else "?"
    return f"{escape(inbox.name)}: {unread} unread of {total}"


def threads_message(
    result: ThreadList, state: ListState, *, notice: str | None = None, nonce: str | None = None
) -> dict[str, Any]:
    """One page of cards. `notice` (mrkdwn, outside text already escaped) says what just happened."""
    nonce = nonce or new_nonce()
    total = len(result.cards)
    start = min(state.offset, max(0, total - 1)) if total else 0
    start -= start % PAGE_SIZE
    page = result.cards[start : start + PAGE_SIZE]
    here = ListState(state.kind, state.scope, start)
    whose = "Your team's" if result.team else "Your"
    blocks: list[Block] = [header(f"{whose} {state.kind} threads")]
    if notice:
        blocks.append(section(notice))
    summary = " · ".join(_inbox_line(i) for i in result.inboxes) or "no inboxes of this type"
    shown = f"Showing {start + 1}–{start + len(page)} of {total}, newest first" if total else "Nothing open"
    blocks.append(context(f"{shown} · {summary}"))
    if not page:
        blocks.append(section(f"_No open {escape(state.kind)} threads in {whose.lower()} {_where(state)}._"))
    for index, card in enumerate(page):
        if index:
            blocks.append(divider())
        blocks.extend(card_blocks(card, here, nonce))
    if result.truncated:
        blocks.append(
            context(
                f"Only the first {total} threads LiveVox returned are listed; resolve some to see the rest."
            )
        )
    nav = []
    if start > 0:
        nav.append(
            button(
                "◀ Previous",
                ACTION_THREADS_PREV,
                ListState(state.kind, state.scope, start - PAGE_SIZE).to_value(),
            )
        )
    if start + PAGE_SIZE < total:
        nav.append(
            button(
                "Next ▶",
                ACTION_THREADS_NEXT,
                ListState(state.kind, state.scope, start + PAGE_SIZE).to_value(),
            )
        )
    nav.append(button("Refresh", ACTION_THREADS_REFRESH, here.to_value()))
    blocks.append(actions(*nav, block_id="threads_nav"))
    if start + PAGE_SIZE < total:
        blocks.append(context(f"…{plural(total - start - len(page), 'more thread')} on the next pages."))
    return message(fit(blocks), f"{whose} {state.kind} threads: {total} open")


# ------------------------------------------------------------------------------------------ modals
def _modal(
    title: str, blocks: Sequence[Block], meta: ModalContext, callback_id: str, **extra: Any
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": {"type": "plain_text", "text": clip(title, limits.MODAL_TITLE)},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": to_dicts(blocks[: limits.VIEW_BLOCKS]),
        "private_metadata": meta.token,
    }
    view.update(extra)
    return view


def _thread_line(ref: ThreadRef) -> str:
    number = escape(pretty_number(ref.number)) if ref.number else "no number"
    account = f" · account `{escape(ref.account)}`" if ref.account else ""
    return f"Thread `{escape(ref.thread_id)}` · {number}{account}"


def transfer_loading(meta: ModalContext) -> dict[str, Any]:
    return _modal(
        "Transfer thread",
        [section(_thread_line(meta.ref)), context("Finding the agents who can take it… ⏳")],
        meta,
        ids.VIEW_TRANSFER,
    )


def transfer_problem(meta: ModalContext, text: str) -> dict[str, Any]:
    return _modal(
        "Transfer thread", [section(_thread_line(meta.ref)), section(text)], meta, ids.VIEW_TRANSFER
    )


def _agent_label(agent: TransferCandidate) -> str:
    login = f" ({agent.login})" if agent.login and agent.login != agent.name else ""
    state = livevox_words.agent_state(agent.status)
    status = f" · {state}" if state else ""
    return clip(f"{agent.name}{login}{status}", limits.OPTION_TEXT)


def transfer_modal(meta: ModalContext, agents: Sequence[TransferCandidate]) -> dict[str, Any]:
    if not agents:
        return transfer_problem(
            meta, "No agent can take this thread right now (everyone else is logged off)."
        )
    block_id, action_id = ids.INPUT_AGENT
    options = [
        Option(text=PlainTextObject(text=_agent_label(a)), value=a.agent_id) for a in agents[: limits.OPTIONS]
    ]
    select = InputBlock(
        block_id=block_id,
        label=PlainTextObject(text="Transfer to"),
        element=StaticSelectElement(
            action_id=action_id, placeholder=PlainTextObject(text="Choose an agent"), options=options
        ),
    )
    blocks: list[Block] = [section(_thread_line(meta.ref)), select]
    if len(agents) > limits.OPTIONS:
        blocks.append(context(f"The first {limits.OPTIONS} of {len(agents)} agents are listed."))
    return _modal(
        "Transfer thread", blocks, meta, ids.VIEW_TRANSFER, submit={"type": "plain_text", "text": "Transfer"}
    )


def term_code_input(codes: Sequence[TermCode]) -> InputBlock:
    """The term code, optional as in LiveVox: a select of the configured codes, else free entry (digits)."""
    code_block, code_action = ids.INPUT_TERM_CODE
    element: StaticSelectElement | PlainTextInputElement
    if codes:
        element = StaticSelectElement(
            action_id=code_action,
            placeholder=PlainTextObject(text="Choose how it ended"),
            options=[
                Option(text=PlainTextObject(text=clip(c.label, limits.OPTION_TEXT)), value=c.id)
                for c in codes[: limits.OPTIONS]
            ],
        )
        hint = "Optional: how the conversation ended."
    else:
        element = PlainTextInputElement(
            action_id=code_action, placeholder=PlainTextObject(text="e.g. 1001"), max_length=10
        )
        hint = "Optional: the LiveVox term code id (digits) that describes how the conversation ended."
    return InputBlock(
        block_id=code_block,
        label=PlainTextObject(text="Term code"),
        hint=PlainTextObject(text=hint),
        element=element,
        optional=True,
    )


def resolve_modal(meta: ModalContext, codes: Sequence[TermCode] = ()) -> dict[str, Any]:
    account_block, account_action = ids.INPUT_ACCOUNT
    blocks: list[Block] = [
        section(_thread_line(meta.ref)),
        term_code_input(codes),
        InputBlock(
            block_id=account_block,
            label=PlainTextObject(text="Account"),
            element=PlainTextInputElement(
                action_id=account_action, initial_value=meta.ref.account or None, max_length=100
            ),
        ),
    ]
    return _modal(
        "Resolve thread", blocks, meta, ids.VIEW_RESOLVE, submit={"type": "plain_text", "text": "Resolve"}
    )


# ----------------------------------------------------------------------------------------- history
def history_message(ref: ThreadRef, entries: Sequence[HistoryEntry], more: bool) -> dict[str, Any]:
    blocks: list[Block] = [header("Thread history"), context(f"{_thread_line(ref)} · newest first")]
    lines = []
    for entry in entries:
        arrow = {True: "⬅️ in", False: "➡️ out"}.get(entry.inbound, "") if entry.inbound is not None else ""
        # Plain words first, LiveVox's own status after them (History is where the raw value stays).
        words = livevox_words.message_status(entry.status)
        raw = f" _({escape(entry.status)})_" if entry.status and words != entry.status else ""
        status = f" · {escape(words)}{raw}" if words else ""
        body = escape(clip(entry.text.replace("\n", " "), HISTORY_CHARS)) if entry.text else "_(no text)_"
        lines.append(f"{when(entry.at)} · {arrow}{status}\n>{body}")
    if not lines:
        blocks.append(section("_No messages in this thread._"))
    chunk: list[str] = []
    for line in lines:  # whole messages per section, never cut in the middle
        if chunk and sum(len(x) + 1 for x in chunk) + len(line) > limits.SECTION_TEXT - 100:
            blocks.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append(section("\n".join(chunk)))
    if more:
        blocks.append(context(f"Only the newest {len(entries)} messages are shown."))
    return message(fit(blocks), f"History of thread {ref.thread_id}")


# ------------------------------------------------------------------------------------------- /inbox
def count_fields(overview: InboxOverview) -> list[str]:
    c = overview.counts
    return [
        f"*Unread SMS threads*\n{c.unread_sms}",
        f"*Read SMS threads*\n{c.read_sms}",
        f"*Active SMS threads*\n{c.active_sms}",
        f"*SMS sent*\n{c.sms_sent}",
    ]


def channel_lines(inboxes: Sequence[InboxSummary]) -> str:
    if not inboxes:
        return "_No inboxes._"
    return "\n".join(
        f"• {_inbox_line(i)} ({escape(i.channel)}{', personal' if i.personal else ''})" for i in inboxes
    )


def team_sections(overview: InboxOverview) -> list[Block]:
    if overview.team is None:
        return []
    lines = []
    for member in overview.team:
        who = f"<@{member.user_id}> (agent `{escape(member.agent_id)}`)"
        if member.counts is None:
            lines.append(f"• {who}: ⚠️ {escape(member.error or 'unavailable')}")
        else:
            c = member.counts
            lines.append(f"• {who}: {c.unread_sms} unread · {c.active_sms} active · {c.sms_sent} sent")
    if not lines:
        return [section("*Team inboxes*\n_No linked users have a LiveVox agent id._")]
    blocks: list[Block] = []
    chunk = ["*Team inboxes*"]
    for line in lines:
        if sum(len(x) + 1 for x in chunk) + len(line) > limits.SECTION_TEXT - 100:
            blocks.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
    blocks.append(section("\n".join(chunk)))
    return blocks


def inbox_message(overview: InboxOverview, waiting: Sequence[Block] = ()) -> dict[str, Any]:
    """`waiting`: the "Waiting for an answer" section (`bot.slack.alerts.blocks.waiting_blocks`)."""
    blocks: list[Block] = [
        header("Your inbox"),
        section("*Personal SMS inbox*", fields=count_fields(overview)),
        section("*Your inboxes*\n" + channel_lines(overview.channels)),
        *waiting,
        *team_sections(overview),
        context("Work your threads with `/threads`."),
    ]
    c = overview.counts
    return message(fit(blocks), f"Your inbox: {c.unread_sms} unread, {c.active_sms} active SMS threads")
