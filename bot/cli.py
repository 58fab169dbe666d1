"""The `switchboard` command (also `python -m bot`)."""

from __future__ import annotations

import asyncio
import getpass
import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

from bot import __version__
from bot.crypto import credential_box, generate_key
from bot.db.models import Provider, Role
from bot.db.repositories import WorkspaceRepository, all_team_ids
from bot.db.session import create_engine, create_sessionmaker, transaction
from bot.errors import ConfigError, SwitchboardError
from bot.logging import configure as configure_logging
from bot.services.admin import AdminService
from bot.services.connection_fields import FIELDS, from_environment
from bot.settings import Settings, load_settings

T = TypeVar("T")

NOT_YET = 2  # exit code of a subcommand that a later release fills in


def _fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"switchboard: error: {message}", err=True)
    sys.exit(code)


def _not_yet(what: str, issue: str) -> NoReturn:
    click.echo(f"switchboard: `{what}` is not available yet: it arrives with {issue}.", err=True)
    sys.exit(NOT_YET)


def _safe_url(url: str) -> str:
    """The database URL without its password, for error messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


class SwitchboardGroup(click.Group):
    """Turns every expected failure into one clear line and a non-zero exit, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (SwitchboardError, ConfigError) as error:
            _fail(str(error))
        except (OperationalError, ProgrammingError, DBAPIError) as error:
            url = ctx.obj.database_url if isinstance(ctx.obj, Settings) else "the database"
            text = str(error.orig) if error.orig is not None else str(error)
            if "no such table" in text or ("does not exist" in text and "relation" in text):
                _fail(f"the database at {_safe_url(url)} has no schema yet: run `switchboard db upgrade`")
            _fail(f"database error at {_safe_url(url)}: {text.splitlines()[0]}")
        except KeyboardInterrupt:
            _fail("interrupted", 130)


def _interactive() -> bool:
    return sys.stdin.isatty()


def _settings(ctx: click.Context) -> Settings:
    settings = ctx.find_object(Settings)
    if settings is None:  # pragma: no cover - the root group always sets it
        raise ConfigError("settings were not loaded")
    return settings


def _run(coro_factory: Callable[[], Awaitable[T]]) -> T:
    async def runner() -> T:
        return await coro_factory()

    return asyncio.run(runner())


@click.group(cls=SwitchboardGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="switchboard")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Switchboard: SMS, call history and inboxes from LiveVox, Zoom and Routee, in Slack.

    Settings come from the environment and `.env` (see `.env.example`).
    """
    try:
        settings = load_settings()
    except ConfigError as error:
        _fail(str(error))
    configure_logging(settings.log_level, settings.log_format)
    ctx.obj = settings


# ---------------------------------------------------------------------------------------------- db
@cli.group(cls=SwitchboardGroup)
def db() -> None:
    """Database schema management (Alembic)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@click.pass_context
def db_upgrade(ctx: click.Context, revision: str) -> None:
    """Create or migrate the schema of SWITCHBOARD_DATABASE_URL."""
    from bot.db.migrate import upgrade

    settings = _settings(ctx)
    upgrade(settings.database_url, revision)
    click.echo(f"Database {_safe_url(settings.database_url)} is at revision {revision}.")


# ------------------------------------------------------------------------------------ long-running
@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=3000, show_default=True, type=click.IntRange(1, 65535), envvar="PORT")
@click.option(
    "--worker/--no-worker",
    "with_worker",
    default=None,
    help="Run the job worker in this process (default: yes on SQLite, no on Postgres).",
)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, with_worker: bool | None) -> None:
    """Serve the Slack app over HTTP: POST /slack/events, GET /healthz."""
    from bot.slack.runtime import serve as serve_http

    serve_http(_settings(ctx), host=host, port=port, worker=with_worker)


@cli.command()
@click.pass_context
def socket(ctx: click.Context) -> None:
    """Run the Slack app over Socket Mode (development, single-token mode; needs SLACK_APP_TOKEN)."""
    from bot.slack.runtime import socket_mode

    socket_mode(_settings(ctx))


@cli.command()
@click.pass_context
def worker(ctx: click.Context) -> None:
    """Run the durable job worker (Postgres): deferred Slack work, digests, inbox polling."""
    from bot.slack.runtime import work

    work(_settings(ctx))


@cli.command()
@click.option(
    "-c",
    "commands",
    multiple=True,
    help="Run this line and exit (repeatable); exit status 1 if a line failed or was answered with an "
    "error or a refusal.",
)
@click.option(
    "--log-file",
    type=click.Path(dir_okay=False, writable=True),
    default="switchboard-console.log",
    show_default=True,
    help="Where the app's log lines go (they never interleave with the conversation).",
)
@click.pass_context
def shell(ctx: click.Context, commands: tuple[str, ...], log_file: str) -> None:
    """The local console: the real app with an emulated Slack and the demo workspace.

    Type slash commands as in Slack (`/lookup +1 415 555 0100`), a number to click a button,
    `as @super` to switch user, `help` for more. Ctrl-D exits.
    """
    from bot.console.app import (
        ESCAPED_COMMANDS,
        FAILURE_MARKERS,
        FUNCTIONS,
        SHORTCUTS,
        SandboxCommands,
        console_factory,
    )
    from bot.console.emulator import SlackEmulator
    from bot.console.shell import run_console
    from bot.services.demo import TEAM_ID
    from bot.slack.oauth import BOT_SCOPES

    settings = _settings(ctx)
    _log_to_file(log_file)
    where = (
        "sandbox providers with demo data"
        if settings.providers.value == "sandbox"
        else f"{settings.providers.value} providers"
    )
    banner = (
        f"Switchboard console · {where} · workspace {TEAM_ID} · you are @agent (U0AGENT) in #demo\n"
        f"`help` lists what you can type; Ctrl-D leaves. Logs: {log_file}"
    )
    sandbox_commands = SandboxCommands()
    status = asyncio.run(
        run_console(
            console_factory(settings, started=sandbox_commands.bind),
            commands=list(commands) or None,
            stdin=sys.stdin,
            stdout=sys.stdout,
            # Files the app uploads (a digest's chart) are saved next to the log, so the console can show
            # a path to open; the folder appears with the first upload.
            # The console's token holds the app's scopes, so a call needing another one fails as in Slack.
            emulator=SlackEmulator(
                team_id=TEAM_ID,
                files_dir=console_files_dir(log_file),
                functions=FUNCTIONS,
                scopes=BOT_SCOPES,
            ),
            banner=banner,
            shortcuts=SHORTCUTS,
            functions=FUNCTIONS,
            escaped_commands=ESCAPED_COMMANDS,
            failure_markers=FAILURE_MARKERS,
            local_commands=sandbox_commands.commands,
        )
    )
    sys.exit(status)


def console_files_dir(log_file: str) -> Path:
    """Where `switchboard shell` saves uploaded files: `switchboard-console-files/` beside its log file."""
    return Path(log_file).resolve().parent / "switchboard-console-files"


def _log_to_file(path: str) -> None:
    """Send every log line (and Python warnings) to `path` instead of the terminal the conversation is
    in, with the same masking and format; the level stays SWITCHBOARD_LOG_LEVEL."""
    stream = open(path, "a", encoding="utf-8")  # noqa: SIM115 - open for the life of the process
    root = logging.getLogger()
    for handler in root.handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(stream)
    logging.captureWarnings(True)


# A group that still runs on its own: `switchboard sandbox --port N` serves, `switchboard sandbox inject …`
# acts on a sandbox that is already running.
@cli.group(cls=SwitchboardGroup, invoke_without_command=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8900, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--seed", type=int, default=7, show_default=True, help="Same seed, same world.")
@click.option("--volume", type=click.IntRange(1, 1000), default=1, show_default=True, help="Scales the data.")
@click.option("--latency-ms", type=click.IntRange(0, 60_000), default=0, show_default=True)
@click.option(
    "--faults", default=None, help="Fault injection SPEC, e.g. 'zoom:error_rate=0.1;livevox:latency_ms=200'."
)
@click.option(
    "--month-sms",
    type=click.IntRange(0, 10_000_000),
    default=0,
    help="Extra Zoom Contact Center SMS engagements over the last 30 days (a busy month for digests).",
)
@click.option(
    "--month-calls",
    type=click.IntRange(0, 10_000_000),
    default=0,
    help="Extra Zoom Contact Center voice calls over the last 30 days.",
)
@click.option("--print-config", is_flag=True, help="Print a .env fragment pointing the bot here, then exit.")
@click.pass_context
def sandbox(
    ctx: click.Context,
    port: int,
    host: str,
    seed: int,
    volume: int,
    latency_ms: int,
    faults: str | None,
    month_sms: int,
    month_calls: int,
    print_config: bool,
) -> None:
    """Serve simulators of Zoom (/zoom), LiveVox (/livevox) and Routee (/routee) on one port.

    `switchboard sandbox inject …` acts on a sandbox that is already running.
    """
    if ctx.invoked_subcommand is not None:
        return
    try:
        from bot.sandbox import server
    except ImportError:
        _not_yet("sandbox", 'the "Provider SDKs and sandbox simulators" issue')
    if print_config:
        click.echo(server.print_config(host=host, port=port, seed=seed, volume=volume), nl=False)
        return
    try:
        server.serve(
            host=host,
            port=port,
            seed=seed,
            volume=volume,
            latency_ms=latency_ms,
            faults=faults,
            month_sms=month_sms,
            month_calls=month_calls,
        )
    except ValueError as error:  # a malformed --faults SPEC
        _fail(str(error))


@sandbox.group("inject", cls=SwitchboardGroup)
def sandbox_inject() -> None:
    """Simulate what happens outside Switchboard in a running sandbox."""


@sandbox_inject.command("inbound")
@click.option(
    "--sandbox-url",
    default="http://127.0.0.1:8900",
    show_default=True,
    help="Where `switchboard sandbox` runs.",
)
@click.option("--from", "number", required=True, help="The customer's number, e.g. +14155550100.")
@click.option("--inbox", required=True, help="The LiveVox inbox's channel id (a service id, e.g. 100915).")
@click.option("--text", required=True, help="What the customer writes.")
def sandbox_inject_inbound(sandbox_url: str, number: str, inbox: str, text: str) -> None:
    """A customer texts a LiveVox inbox of a running sandbox.

    The message joins the number's open thread in that inbox, or opens a new unread thread there; prints
    `thread <id> (new, unread)` or `thread <id> (appended, unread)`.
    """
    from bot.sandbox.control import SandboxUnreachable, inject_inbound_over_http
    from bot.sandbox.livevox import InjectError

    try:
        injected = inject_inbound_over_http(sandbox_url, number=number, inbox=inbox, text=text)
    except (InjectError, SandboxUnreachable) as error:
        _fail(str(error))
    click.echo(injected.line())


# ------------------------------------------------------------------------------------------- admin
@cli.group(cls=SwitchboardGroup)
def admin() -> None:
    """Manage connections and users (the same things admins manage from Slack)."""


_team_option = click.option(
    "--team",
    "team_id",
    envvar="SWITCHBOARD_TEAM_ID",
    help="Slack team id (T…). Optional when the database serves exactly one workspace.",
)


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


async def _resolve_team(settings: Settings, team_id: str | None, *, create: bool) -> str:
    if team_id:
        if not team_id.startswith(("T", "E")) or not team_id.isalnum():
            raise ConfigError(f"--team must be a Slack team id like T0123ABCD, not {team_id!r}")
        return team_id
    engine = create_engine(settings.database_url)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            teams = await all_team_ids(session)
    finally:
        await engine.dispose()
    if len(teams) == 1:
        return teams[0]
    if not teams:
        hint = " (it is created on first use)" if create else ""
        raise ConfigError(f"no workspace yet: pass --team T… (your Slack team id){hint}")
    raise ConfigError(f"this database serves {len(teams)} workspaces ({', '.join(teams)}): pass --team")


async def _with_admin(
    settings: Settings,
    team_id: str | None,
    work: Callable[[AdminService], Awaitable[T]],
    *,
    create: bool = False,
) -> T:
    team = await _resolve_team(settings, team_id, create=create)
    engine = create_engine(settings.database_url)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            service = AdminService(session, team, actor=_actor(), box=credential_box(settings))
            return await work(service)
    finally:
        await engine.dispose()


@admin.command("connect")
@click.argument("provider", type=click.Choice([p.value for p in Provider]))
@_team_option
@click.option(
    "--name", default="default", show_default=True, help="Connection name (several accounts per provider)."
)
@click.option(
    "--set",
    "pairs",
    multiple=True,
    metavar="KEY=VALUE",
    help="A field value (repeatable). Secrets are better left to the prompt or the environment.",
)
@click.option("--no-input", is_flag=True, help="Never prompt; fail when a required field is missing.")
@click.pass_context
def admin_connect(
    ctx: click.Context, provider: str, team_id: str | None, name: str, pairs: tuple[str, ...], no_input: bool
) -> None:
    """Store a provider connection; credentials are encrypted at rest.

    Field values come from --set, then the environment (SWITCHBOARD_ZOOM_*, SWITCHBOARD_LIVEVOX_*,
    SWITCHBOARD_ROUTEE_*), then a prompt (secrets without echo).
    """
    settings = _settings(ctx)
    which = Provider(provider)
    values = from_environment(which, settings)
    known = {field.key for field in FIELDS[which]}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key not in known:
            raise ConfigError(
                f"--set takes KEY=VALUE with KEY one of {', '.join(sorted(known))}; got {key!r}"
            )
        values[key] = value
    for field in FIELDS[which]:
        if values.get(field.key) or not field.required:
            continue
        if no_input or not _interactive():
            raise ConfigError(
                f"{which.value}: {field.key} is missing: pass --set {field.key}=… or set {field.env}"
            )
        values[field.key] = click.prompt(field.label, hide_input=field.secret, type=str).strip()

    async def work(service: AdminService) -> None:
        row, created = await service.connect(which, values, name=name)
        verb = "Connected" if created else "Updated"
        click.echo(f"{verb} {which.value}/{row.name} for {service.team_id} (credentials encrypted).")

    _run(lambda: _with_admin(settings, team_id, work, create=True))


@admin.command("link-user")
@click.argument("slack_user_id")
@_team_option
@click.option(
    "--role", type=click.Choice([r.value for r in Role]), default=None, help="Default for a new link: agent."
)
@click.option("--agent-id", default=None, help="LiveVox agent id.")
@click.option("--agent-login", default=None, help="LiveVox login id.")
@click.option("--zoom-user-id", default=None, help="Zoom user id.")
@click.pass_context
def admin_link_user(
    ctx: click.Context,
    slack_user_id: str,
    team_id: str | None,
    role: str | None,
    agent_id: str | None,
    agent_login: str | None,
    zoom_user_id: str | None,
) -> None:
    """Link a Slack user (U…) to a role and provider identities."""
    if not (slack_user_id[:1] in {"U", "W"} and slack_user_id.isalnum()):
        raise ConfigError(f"SLACK_USER_ID must look like U0123ABCD, not {slack_user_id!r}")
    if agent_id is not None and not agent_id.isdigit():
        raise ConfigError(f"--agent-id is a LiveVox agent id (digits), not {agent_id!r}")

    async def work(service: AdminService) -> None:
        row, created = await service.link_user(
            slack_user_id,
            role=Role(role) if role else None,
            livevox_agent_id=agent_id,
            livevox_login=agent_login,
            zoom_user_id=zoom_user_id,
        )
        click.echo(f"{'Linked' if created else 'Updated'} {row.slack_user_id} as {row.role.value}.")

    _run(lambda: _with_admin(_settings(ctx), team_id, work, create=True))


@admin.command("unlink-user")
@click.argument("slack_user_id")
@_team_option
@click.pass_context
def admin_unlink_user(ctx: click.Context, slack_user_id: str, team_id: str | None) -> None:
    """Remove a Slack user's link."""

    async def work(service: AdminService) -> None:
        await service.unlink_user(slack_user_id)
        click.echo(f"Unlinked {slack_user_id}.")

    _run(lambda: _with_admin(_settings(ctx), team_id, work))


@admin.command("list")
@_team_option
@click.pass_context
def admin_list(ctx: click.Context, team_id: str | None) -> None:
    """Show a workspace's connections (secrets masked) and linked users."""

    async def work(service: AdminService) -> None:
        overview = await service.overview()
        click.echo(f"Workspace {service.team_id}")
        click.echo("Connections:")
        if not overview.connections:
            click.echo("  (none: `switchboard admin connect zoom|livevox|routee`)")
        for row in overview.connections:
            credential_names = [f.key for f in FIELDS[row.provider] if f.credential]
            shown = ", ".join(f"{key}={value}" for key, value in sorted(row.settings.items()))
            click.echo(
                f"  {row.provider.value}/{row.name}  {shown}  credentials: "
                f"{', '.join(credential_names)} (encrypted)"
            )
        click.echo("Users:")
        if not overview.users:
            click.echo("  (none: `switchboard admin link-user U…`)")
        for user in overview.users:
            ids = [
                f"livevox={user.livevox_agent_id}" if user.livevox_agent_id else "",
                f"login={user.livevox_login}" if user.livevox_login else "",
                f"zoom={user.zoom_user_id}" if user.zoom_user_id else "",
            ]
            click.echo(f"  {user.slack_user_id}  {user.role.value}  {' '.join(i for i in ids if i)}".rstrip())

    _run(lambda: _with_admin(_settings(ctx), team_id, work))


@admin.command("rotate-keys")
@click.pass_context
def admin_rotate_keys(ctx: click.Context) -> None:
    """Re-encrypt every stored credential under the newest SWITCHBOARD_SECRET_KEYS key: provider
    connections and, in OAuth mode, the Slack installations' tokens.

    Put the new key first in SWITCHBOARD_SECRET_KEYS, keep the old ones after it, run this, then drop
    the old keys.
    """
    settings = _settings(ctx)

    async def rotate_all() -> tuple[int, int]:
        from bot.db.repositories.installations import rotate_installation_tokens

        engine = create_engine(settings.database_url)
        box = credential_box(settings)
        total = 0
        try:
            async with transaction(create_sessionmaker(engine)) as session:
                teams = await all_team_ids(session)
            for team in teams:  # each team in its own transaction: a failure names the team
                async with transaction(create_sessionmaker(engine)) as session:
                    total += await AdminService(session, team, actor=_actor(), box=box).rotate_keys()
            async with transaction(create_sessionmaker(engine)) as session:
                installs = await rotate_installation_tokens(session, box)
        finally:
            await engine.dispose()
        return total, installs

    count, installs = _run(rotate_all)
    tail = f" and {installs} Slack installation(s)" if installs else ""
    click.echo(f"Re-encrypted {count} connection(s){tail} under the newest key.")


@admin.command("demo-seed")
@click.pass_context
def admin_demo_seed(ctx: click.Context) -> None:
    """Create the demo workspace T0DEMO (users U0AGENT, U0SUPER, U0ADMIN; channel C0DEMO)."""
    from bot.sandbox.world import DEMO
    from bot.services.demo import seed_demo

    settings = _settings(ctx)

    async def work() -> bool:
        engine = create_engine(settings.database_url)
        try:
            async with transaction(create_sessionmaker(engine)) as session:
                return await seed_demo(session, credential_box(settings), DEMO)
        finally:
            await engine.dispose()

    changed = _run(work)
    click.echo("Demo workspace T0DEMO is ready." if changed else "Demo workspace T0DEMO was already there.")


@admin.command("generate-key")
def admin_generate_key() -> None:
    """Print a new Fernet key for SWITCHBOARD_SECRET_KEYS."""
    click.echo(generate_key())


@admin.command("add-workspace")
@click.argument("team_id")
@click.option("--name", default="", help="Display name.")
@click.pass_context
def admin_add_workspace(ctx: click.Context, team_id: str, name: str) -> None:
    """Register a Slack workspace (done automatically on first use)."""
    settings = _settings(ctx)

    async def work() -> None:
        team = await _resolve_team(settings, team_id, create=True)
        engine = create_engine(settings.database_url)
        try:
            async with transaction(create_sessionmaker(engine)) as session:
                await WorkspaceRepository(session, team).ensure(name)
        finally:
            await engine.dispose()

    _run(work)
    click.echo(f"Workspace {team_id} is registered.")


def main() -> None:
    cli(prog_name="switchboard")
