"""/switchboard: help, whoami, link, unlink, audit, connect (opens a modal; see views/connect.py), channel."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from bot.db.models import Provider, Role
from bot.db.repositories import ConnectionRepository
from bot.db.session import transaction
from bot.errors import InputError
from bot.services.admin import AdminService
from bot.services.channels import (
    ALERT_KEYS,
    ChannelService,
    MappingChange,
    check_with_providers,
    linked_logins,
    parse_alert_settings,
    queue_names,
    validate_queue_ids,
    validate_sender,
    validate_service_id,
)
from bot.services.connection_fields import FIELDS, from_environment
from bot.services.identity import Identity
from bot.services.queues import QUEUES_NOTE
from bot.services.term_codes import TermCodeService, validate_name, validate_term_code_id
from bot.settings import ProvidersMode
from bot.slack.admin.audit import AuditQuery, audit_page
from bot.slack.admin.blocks import (
    CHANNEL_SET_USAGE,
    channel_message,
    help_message,
    term_codes_message,
    whoami_message,
)
from bot.slack.admin.connect_blocks import PROVIDER_NAMES, connect_modal
from bot.slack.commands import CommandRouter, Invocation
from bot.slack.outcome import failure
from bot.slack.parsing import mentioned_user, split_number
from bot.slack.posting import not_a_member
from bot.slack.prompt_ack import EncodedAck
from bot.slack.text import escape

router = CommandRouter("/switchboard", "Switchboard itself", order=90)
routers = [router]

LINK_USAGE = (
    "/switchboard link @user agent=<LiveVox agent id> login=<LiveVox login> zoom=<Zoom user id> "
    "role=agent|supervisor|admin"
)


@router.sub("help", "/switchboard help", "what you can do here", role=None, replayable=True)
async def help_(inv: Invocation) -> None:
    encoded_help(inv.identity.role).send(inv.ack)


@functools.cache
def encoded_help(role: Role | None) -> EncodedAck:
    return EncodedAck(**help_for(role))


@functools.cache
def help_for(role: Role | None) -> dict[str, Any]:
    """The help of everyone with `role` (it shows what the role may run, nothing else of the person), built
    once per role: it is answered before the ack, and building its blocks cost more than the rest of it.
    The commands are declared at import, so it cannot go stale. Callers must not change what it returns."""
    from bot.slack.slash import ROUTERS

    someone = Identity(team_id="", user_id="", role=role)
    groups = [(f"{r.command}: {r.summary}", r.usage_lines(someone)) for r in ROUTERS]
    return help_message(groups, someone)


@router.sub(None, "/switchboard", "same as help", role=None, replayable=True)
async def bare(inv: Invocation) -> None:
    if inv.args:
        from bot.slack.slash import _unknown

        await inv.ack(**failure(_unknown(router, inv.args[0], inv.identity)))
        return
    await help_(inv)


@router.sub("whoami", "/switchboard whoami", "who Switchboard thinks you are", role=None)
async def whoami(inv: Invocation) -> None:
    await inv.ack(**whoami_message(inv.identity))


def parse_link(args: list[str]) -> tuple[str, dict[str, str]]:
    if not args:
        raise InputError(f"Usage: `{LINK_USAGE}`")
    user = mentioned_user(args[0])
    values: dict[str, str] = {}
    for word in args[1:]:
        key, sep, value = word.partition("=")
        key = key.lower()
        if not sep or key not in {"agent", "login", "zoom", "role"} or not value:
            raise InputError(
                f"`{word}` is not one of agent=…, login=…, zoom=…, role=….\nUsage: `{LINK_USAGE}`"
            )
        if key in values:
            raise InputError(f"`{key}=` is given twice; give it once.\nUsage: `{LINK_USAGE}`")
        values[key] = value
    if "agent" in values and not values["agent"].isdigit():
        raise InputError(f"agent= takes a LiveVox agent id (digits), not `{values['agent']}`.")
    if "role" in values and values["role"].lower() not in {r.value for r in Role}:
        raise InputError(f"role= is agent, supervisor or admin, not `{values['role']}`.")
    return user, values


@router.sub("link", LINK_USAGE, "link a Slack user to their provider identities", role=Role.ADMIN)
async def link(inv: Invocation) -> None:
    user, values = parse_link(inv.args)
    await inv.ack()
    container = inv.context["container"]
    async with transaction(container.sessions) as session:
        service = AdminService(session, inv.identity.team_id, actor=inv.identity.user_id, box=container.box)
        row, created = await service.link_user(
            user,
            role=Role(values["role"].lower()) if "role" in values else None,
            livevox_agent_id=values.get("agent"),
            livevox_login=values.get("login"),
            zoom_user_id=values.get("zoom"),
        )
    container.identities.forget(inv.identity.team_id, user)
    if not created and not values:  # a bare mention of someone linked already changes nothing
        said = f"<@{user}> is already linked as *{row.role.value}*; nothing changed. Usage: `{LINK_USAGE}`"
    else:
        said = f"{'Linked' if created else 'Updated'} <@{user}> as *{row.role.value}*."
    await inv.respond(text=said, response_type="ephemeral")


@router.sub("unlink", "/switchboard unlink @user", "remove a user's link", role=Role.ADMIN)
async def unlink(inv: Invocation) -> None:
    if len(inv.args) != 1:
        raise InputError("Usage: `/switchboard unlink @user`")
    user = mentioned_user(inv.args[0])
    await inv.ack()
    container = inv.context["container"]
    async with transaction(container.sessions) as session:
        await AdminService(
            session, inv.identity.team_id, actor=inv.identity.user_id, box=container.box
        ).unlink_user(user)
    container.identities.forget(inv.identity.team_id, user)
    await inv.respond(text=f"Unlinked <@{user}>.", response_type="ephemeral")


AUDIT_USAGE = "/switchboard audit [@user] [action=<action>] [<number>]"
ACTION_NAME = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*$")


def parse_audit(args: list[str], region: str) -> AuditQuery:
    """`<@U0AGENT> action=sms +1 415 555 0100` → the filters, in any order (before the ack)."""
    actor = action = number = None
    rest: list[str] = []
    for word in args:
        if word.startswith("<@"):
            if actor is not None:
                raise InputError(f"Give one user at most.\nUsage: `{AUDIT_USAGE}`")
            actor = mentioned_user(word)
        elif word.lower().startswith("action="):
            value = word.partition("=")[2].strip().lower().removesuffix(".*")
            if not ACTION_NAME.match(value) or len(value) > 64:
                raise InputError(f"action= takes an action such as `access.denied` or `sms`, not `{value}`.")
            action = value
        else:
            rest.append(word)
    if rest:
        text = " ".join(rest)
        if not any(ch.isdigit() for ch in text):  # not a number: most likely a user typed without @
            mentioned_user(rest[0])
        number, extra = split_number(text, region)
        if extra:
            raise InputError(f"I don't understand `{extra}`.\nUsage: `{AUDIT_USAGE}`")
    return AuditQuery(actor=actor, action=action, number=number)


@router.sub(
    "audit", AUDIT_USAGE, "the audit trail, a page at a time, by user, action or number", role=Role.ADMIN
)
async def audit(inv: Invocation) -> None:
    query = parse_audit(inv.args, inv.context["container"].settings.default_region)
    await inv.ack()
    await inv.respond(
        **await audit_page(inv.context["container"], inv.identity.team_id, query), response_type="ephemeral"
    )


CONNECT_USAGE = "/switchboard connect zoom|livevox|routee"


def parse_provider(args: list[str]) -> Provider:
    word = args[0].lower() if len(args) == 1 else ""
    try:
        return Provider(word)
    except ValueError:
        raise InputError(f"Usage: `{CONNECT_USAGE}`") from None


def sandbox_text(provider: Provider) -> str:
    return (
        f"Switchboard is running on its sandbox providers (`SWITCHBOARD_PROVIDERS=sandbox`), with demo data, "
        f"so a {PROVIDER_NAMES[provider]} connection would not be used: nothing was changed. "
        "Set `SWITCHBOARD_PROVIDERS=live` to connect the real services."
    )


def in_sandbox(container: Any) -> bool:
    return bool(container.settings.providers is ProvidersMode.SANDBOX)


@router.sub("connect", CONNECT_USAGE, "connect a provider (credentials stored encrypted)", role=Role.ADMIN)
async def connect(inv: Invocation) -> None:
    provider = parse_provider(inv.args)
    container = inv.context["container"]
    if in_sandbox(container):  # the sandbox never reads stored connections: a form would change nothing
        await inv.ack(text=sandbox_text(provider))
        return
    await inv.ack()
    async with container.sessions() as session:
        row = await ConnectionRepository(session, inv.identity.team_id, container.box).get(provider)
    # Prefill readable values only: the environment's non-secret defaults, then the stored settings.
    # Credentials (even non-secret ones such as a client id) stay in the box and are typed again.
    readable = {f.key for f in FIELDS[provider] if not f.credential and not f.secret}
    initial = {k: v for k, v in from_environment(provider, container.settings).items() if k in readable}
    if row is not None:
        initial.update({k: str(v) for k, v in (row.settings or {}).items() if k in readable})
    view = connect_modal(provider, channel_id=inv.channel_id, initial=initial, existing=row is not None)
    await inv.client.views_open(trigger_id=inv.trigger_id, view=view)


CHANNEL_USAGE = "/switchboard channel [show | set key=value… | clear]"
CHANNEL_KEYS = {"inbox", "queues", "sender", "alerts", *ALERT_KEYS}
ALERTS = {"on": True, "true": True, "yes": True, "off": False, "false": False, "no": False}


def parse_channel_set(args: list[str]) -> MappingChange:
    """`inbox=100915 queues=a,b sender=12345 alerts=on` → a validated change (before ack)."""
    values: dict[str, str] = {}
    for word in args:
        key, sep, value = word.partition("=")
        key = key.lower()
        if not sep or key not in CHANNEL_KEYS or not value.strip():
            raise InputError(
                f"`{word}` is not one of inbox=…, queues=…, sender=…, alerts=…, every=…, nudge=…, "
                f"escalate=…, oncall=…, supervisor=…, hours=….\nUsage: `{CHANNEL_SET_USAGE}`"
            )
        values[key] = value.strip()
    if not values:
        raise InputError(f"Usage: `{CHANNEL_SET_USAGE}`")
    alerts = None
    if "alerts" in values:
        if values["alerts"].lower() not in ALERTS:
            raise InputError(f"alerts= is on or off, not `{values['alerts']}`.")
        alerts = ALERTS[values["alerts"].lower()]
    return MappingChange(
        service_id=validate_service_id(values["inbox"]) if "inbox" in values else None,
        queue_ids=validate_queue_ids(values["queues"].split(",")) if "queues" in values else None,
        sender_code=validate_sender(values["sender"]) if "sender" in values else None,
        alerts=alerts,
        alert_settings=parse_alert_settings(values),
    )


@router.sub(
    "channel",
    CHANNEL_USAGE,
    f"show or change what this channel is mapped to (Zoom queues by name or id). {QUEUES_NOTE}",
    role=Role.ADMIN,
)
async def channel(inv: Invocation) -> None:
    action = inv.args[0].lower() if inv.args else "show"
    if action not in {"show", "set", "clear"} or (action != "set" and len(inv.args) > 1):
        raise InputError(f"Usage: `{CHANNEL_USAGE}`\nSet: `{CHANNEL_SET_USAGE}`")
    if not inv.channel_id:
        raise InputError("Run this in the channel you want to map.")
    change = parse_channel_set(inv.args[1:]) if action == "set" else None
    await inv.ack()
    container = inv.context["container"]
    team, channel_id = inv.identity.team_id, inv.channel_id
    if action == "show":
        async with container.sessions() as session:
            row = await ChannelService(session, team, actor=inv.identity.user_id).get(channel_id)
        names: dict[str, str] = {}
        if row is not None and row.zoom_queue_ids:
            names = await queue_names(await container.providers.for_team(team))
        await inv.respond(**channel_message(channel_id, row, queue_names=names), response_type="ephemeral")
        return
    if change is not None:  # checked against the providers first: nothing is saved when anything is wrong
        async with container.sessions() as session:
            logins = await linked_logins(session, team, inv.identity.livevox_login)
        providers = await container.providers.for_team(team)
        change = await check_with_providers(change, providers, logins)
        if change.alerts:  # cards Slack would refuse to post: said now, not lost silently later
            problem = await not_a_member(inv.client, channel_id)
            if problem is not None:
                await inv.respond(
                    **failure(f"Alerts not turned on. {problem.mrkdwn}"), response_type="ephemeral"
                )
                return
    async with transaction(container.sessions) as session:
        service = ChannelService(session, team, actor=inv.identity.user_id)
        if change is not None:
            row, created = await service.map(channel_id, change)
            payload = channel_message(
                channel_id,
                row,
                note="Saved. " if not created else "Mapped. ",
                queue_names=change.queue_names,
            )
        else:
            await service.clear(channel_id)
            payload = {"text": f"Removed the mapping of <#{channel_id}>."}
    await inv.respond(**payload, response_type="ephemeral")


TERMCODES_USAGE = (
    "/switchboard termcodes [list [#channel] | add <id> <name> [#channel] | remove <id> [#channel]]"
)
BARE_CHANNEL = re.compile(r"^#[a-z][a-z0-9_-]*$")
CHANNEL_MENTION = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$")


@dataclass(frozen=True)
class TermCodesRequest:
    action: str  # list | add | remove
    channel_id: str | None = None
    code_id: str = ""
    name: str = ""


def parse_termcodes(args: list[str]) -> TermCodesRequest:
    """`add 1001 Paid in full <#C0123|billing>` → what to do (before the ack); the channel is optional."""
    words = list(args)
    action = words.pop(0).lower() if words else "list"
    channel_id = None
    if words and (found := CHANNEL_MENTION.match(words[-1].strip())):
        channel_id = found.group(1)
        words.pop()
    if words and BARE_CHANNEL.match(words[-1]):  # typed, not picked: Slack sent only the name
        raise InputError(
            "Pick the channel from Slack's list as you type `#`, so that Slack sends which one it is."
        )
    if any(w.startswith("<#") for w in words):
        raise InputError(f"Name the channel last, e.g. `#billing`.\nUsage: `{TERMCODES_USAGE}`")
    if action == "list" and not words:
        return TermCodesRequest("list", channel_id)
    if action == "add" and len(words) >= 2:
        return TermCodesRequest(
            "add", channel_id, validate_term_code_id(words[0]), validate_name(" ".join(words[1:]))
        )
    if action == "remove" and len(words) == 1:
        return TermCodesRequest("remove", channel_id, validate_term_code_id(words[0]))
    raise InputError(f"Usage: `{TERMCODES_USAGE}`")


@router.sub("termcodes", TERMCODES_USAGE, "the term codes offered when resolving a thread", role=Role.ADMIN)
async def termcodes(inv: Invocation) -> None:
    request = parse_termcodes(inv.args)
    await inv.ack()
    container = inv.context["container"]
    team = inv.identity.team_id
    where = f"<#{request.channel_id}>" if request.channel_id else "this workspace"
    async with transaction(container.sessions) as session:
        service = TermCodeService(session, team, actor=inv.identity.user_id, box=container.box)
        if request.action == "add":
            code = await service.add(request.code_id, request.name, channel_id=request.channel_id)
            note = f"Added term code *{escape(code.name)}* (`{code.id}`) for {where}. "
        elif request.action == "remove":
            code = await service.remove(request.code_id, channel_id=request.channel_id)
            note = f"Removed term code *{escape(code.name)}* (`{code.id}`) from {where}. "
        else:
            note = ""
        codes = await service.get(request.channel_id or inv.channel_id or None)
    channel = request.channel_id or inv.channel_id or None
    await inv.respond(**term_codes_message(codes, channel, note=note), response_type="ephemeral")


def connected_text(provider: Provider) -> str:
    return f"Connected {PROVIDER_NAMES[provider]} (credentials encrypted)."


ACCESS_USAGE = "/switchboard access [agents=all|own]"
ACCESS_WORDS = {"all": True, "own": False}


def parse_access(args: list[str]) -> bool | None:
    """`agents=all` → True, `agents=own` → False, nothing → None (show the setting)."""
    if not args:
        return None
    key, sep, value = args[0].partition("=")
    if len(args) != 1 or not sep or key.lower() != "agents" or value.lower() not in ACCESS_WORDS:
        raise InputError(f"`{' '.join(args)}` is not agents=all or agents=own.\nUsage: `{ACCESS_USAGE}`")
    return ACCESS_WORDS[value.lower()]


def access_text(see_all: bool, *, note: str = "") -> str:
    if see_all:
        state = (
            "*Agents see every number* (`agents=all`): /lookup, /sms logs and /calls answer them for any "
            "number. `/switchboard access agents=own` limits them to their own conversations again."
        )
    else:
        state = (
            "*Agents see their own numbers* (`agents=own`): the numbers they have or had a conversation "
            "with. `/switchboard access agents=all` opens every number to them."
        )
    return f"{note}{state} Supervisors and admins see every number."


@router.sub(
    "access", ACCESS_USAGE, "show or set which numbers agents may look up (the team setting)", role=Role.ADMIN
)
async def access(inv: Invocation) -> None:
    value = parse_access(inv.args)
    await inv.ack()
    contacts = inv.context["container"].contacts
    team = inv.identity.team_id
    if value is None:
        await inv.respond(text=access_text(await contacts.agents_see_all(team)), response_type="ephemeral")
        return
    changed = await contacts.set_agents_see_all(team, inv.identity.user_id, value)
    note = "Saved. " if changed else "Already so. "
    await inv.respond(text=access_text(value, note=note), response_type="ephemeral")
