"""The Bolt app: verify ▸ resolve who is asking ▸ listener (ack first) ▸ one error handler."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import psycopg
from slack_bolt.async_app import AsyncApp, AsyncBoltContext, AsyncBoltRequest
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.middleware.request_verification.async_request_verification import (
    AsyncRequestVerification,
)
from slack_bolt.response import BoltResponse
from sqlalchemy.exc import SQLAlchemyError

from bot.container import Container
from bot.errors import ConfigError
from bot.jobs.retry import is_database_outage
from bot.logging import BOLT_LOGGER
from bot.slack import features, ids
from bot.slack.guards import tell
from bot.slack.jobs import NO_DATABASE, error_words, unavailable_view
from bot.slack.outcome import failure
from bot.slack.prompt_ack import answer_promptly
from bot.slack.reply import SlackOnlyRespond, respond
from bot.slack.signing import verify_value

log = logging.getLogger(__name__)

NOT_INSTALLED = (
    "Switchboard is not installed in this workspace (or was removed). "
    "An admin of the workspace can install it again from Switchboard's install link."
)
# Single-token mode (SLACK_BOT_TOKEN, HTTP or Socket Mode): Slack refused that token (auth.test), so
# nothing can be done in the workspace until an admin gives Switchboard a working one.
BOT_SIGN_IN_REFUSED = (
    "Switchboard can't sign in to Slack with its bot token (it was revoked, or the app was removed from "
    "this workspace). An admin must reinstall the app and set the new `SLACK_BOT_TOKEN`."
)
# Single-token mode: the request comes from a workspace the one token is not for (an app whose signing
# secret several workspaces share). Acting with another workspace's token would mix the two.
OTHER_WORKSPACE = (
    "This Switchboard serves one workspace only, and this is not it: it has no Slack sign-in here. "
    "An admin can run a Switchboard for this workspace, or one in OAuth mode that serves several."
)
STALE_BUTTON = "That button is out of date (or was changed); please run the command again."

# Set on the context once a request got past Bolt's signature check (or came over Socket Mode): only then
# may anything be sent on its behalf, the error answer included.
VERIFIED = "delivery_verified"
# Set by the web guard on the context of a request whose signature it checked. The context is the server's
# own: nothing in a request can set it.
SIGNATURE_CHECKED = "signature_checked"
# Slack retries an event up to three times within about five minutes of the first attempt.
EVENT_RETRY_WINDOW = timedelta(hours=1)
# A signature is accepted for five minutes either side of its timestamp (bot/slack/web.py).
SIGNATURE_WINDOW = timedelta(minutes=10)
# Events whose own work claims their event_id (see `delivery_key`).
CLAIMED_BY_THEIR_WORK = frozenset({"function_executed", "app_uninstalled", "tokens_revoked"})


class RequestVerificationOnce(AsyncRequestVerification):
    """Bolt's signature check, skipped for a request the web guard (bot/slack/web.py) has already checked:
    the same HMAC over the same body, a second time, was pure cost on every request."""

    async def async_process(
        self, *, req: AsyncBoltRequest, resp: BoltResponse, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse:
        async def verified() -> BoltResponse:
            # From here on the request is Slack's: an error in authorize may be answered, in words.
            req.context[VERIFIED] = True
            return await next()

        if req.context.get(SIGNATURE_CHECKED) is True:
            return await verified()
        return await super().async_process(req=req, resp=resp, next=verified)


Middleware = Callable[
    [AsyncBoltRequest, dict[str, Any], AsyncBoltContext, Callable[[], Awaitable[BoltResponse]]],
    Awaitable[BoltResponse | None],
]


class Direct(AsyncMiddleware):
    """A middleware function Bolt calls with (request, body, context, next) as they are, instead of
    building every argument it could inject (the body's payload of each kind, say, respond, a dozen
    more) to pick four of them."""

    def __init__(self, handle: Middleware) -> None:
        self._handle = handle

    async def async_process(
        self, *, req: AsyncBoltRequest, resp: BoltResponse, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse | None:
        return await self._handle(req, req.body, req.context, next)

    @property
    def name(self) -> str:
        return f"Direct({self._handle.__name__})"


def delivery_key(body: dict[str, Any], req: AsyncBoltRequest) -> tuple[str, timedelta] | None:
    """What identifies one delivery: an event's id (the same on every retry), else the request's signature
    (Slack signs each delivery anew, so only a byte-identical replay carries the same one).

    Events whose work claims them itself go by their signature here (`CLAIMED_BY_THEIR_WORK`): a workflow
    step's job claims the execution when it runs (bot.slack.workflows.events), the app's removal is
    claimed in the transaction that records it (bot.slack.admin.events). So Slack's retry of one whose
    work was never done (the web process stopped first, the database was away) is done, and one whose
    work was done does nothing more."""
    event_id = body.get("event_id")
    if (
        body.get("type") == "event_callback"
        and isinstance(event_id, str)
        and event_id
        and (body.get("event") or {}).get("type") not in CLAIMED_BY_THEIR_WORK
    ):
        return f"event:{event_id}", EVENT_RETRY_WINDOW
    signatures = req.headers.get("x-slack-signature") or []
    if signatures and signatures[0]:
        return "signature:" + hashlib.sha256(signatures[0].encode()).hexdigest(), SIGNATURE_WINDOW
    return None  # Socket Mode: Slack delivers each envelope once over the socket, unsigned


def token_serves(context: AsyncBoltContext) -> bool:
    """Single-token mode: whether the request comes from the workspace (or, for an org-wide install, the
    org) the bot token was issued for, as auth.test told Bolt. Bolt compares nothing, so one signing
    secret shared by several workspaces would have their requests done with this workspace's token."""
    token = context.authorize_result
    if token is None or not (context.team_id or context.enterprise_id):
        return True  # nothing was authorized, or no workspace named: nothing to mix up
    if context.is_enterprise_install or not context.team_id:
        return token.enterprise_id is not None and token.enterprise_id == context.enterprise_id
    return token.team_id == context.team_id


def create_app(
    container: Container, *, signing_secret: str | None = None, socket_mode: bool = False
) -> AsyncApp:
    """`socket_mode`: requests arrive over Slack's own WebSocket, so there is no signature to verify."""
    settings = container.settings
    secret = signing_secret or (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    )
    if not secret and not socket_mode:
        raise ConfigError("SLACK_SIGNING_SECRET is required to serve Slack requests")
    bolt_log = logging.getLogger(BOLT_LOGGER)
    oauth_flow = None
    if settings.oauth_mode:  # many workspaces: each request is authorized from its installation
        from bot.slack.oauth import build_oauth_flow, on_installed

        assert container.installations is not None and container.slack_clients is not None
        oauth_flow = build_oauth_flow(
            settings,
            container.installations,
            container.engine,
            on_installed=on_installed(container.sessions, container.forget_workspace),
            rotator=container.slack_clients.rotator,
        )
    app = AsyncApp(
        client=container.slack,
        signing_secret=secret,
        oauth_flow=oauth_flow,
        # OAuth mode: a workspace without an installation (never installed, or removed the app); one
        # token: that token refused. In Switchboard's words, not Bolt's "Please install this app…".
        user_facing_authorize_error_message=NOT_INSTALLED if oauth_flow is not None else BOT_SIGN_IN_REFUSED,
        # Bolt's signature check, in Bolt's place (before authorize), unless the web guard has done it.
        request_verification_enabled=False,
        before_authorize=None if socket_mode else RequestVerificationOnce(secret or "", base_logger=bolt_log),
        process_before_response=False,  # ack() answers Slack at once; the listener goes on afterwards
        raise_error_for_unhandled_request=False,
        ignoring_self_events_enabled=True,
        # Bolt's loggers take this one's level: WARNING outside DEBUG (see bot.logging.configure).
        logger=bolt_log,
    )
    answer_promptly(app)

    deliveries = container.deliveries
    from bot.slack.slash import replayable  # the commands' declarations, once every feature is importable

    async def front_door(
        req: AsyncBoltRequest,
        body: dict[str, Any],
        context: AsyncBoltContext,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse:
        """Who is asking ▸ once per delivery (not for a command that only answers: `replayable`) ▸
        signed button values, in that order.

        Who is asking comes first because it is what fails while the database blinks, and an event is then
        answered 503 so that Slack delivers it again: claimed before that, the retry would be taken for a
        repeat and the event lost. (Reading who is asking changes nothing, so a repeat may do it.)

        One middleware rather than three, and called directly (`Direct`), not as a function middleware:
        Bolt builds a function middleware's arguments by introspection on every request, which showed up
        as a tenth of a busy web process's CPU.
        """
        # The signature check (the web guard's, or Bolt's) has run before this one.
        context[VERIFIED] = True
        context["container"] = container
        # The `respond` listeners are given, in Bolt's place: it answers to Slack's host only.
        context["respond"] = SlackOnlyRespond(
            response_url=context.response_url, proxy=context.client.proxy, ssl=context.client.ssl
        )
        if oauth_flow is None and not token_serves(context):
            log.warning("refused a request from a workspace the bot token is not for")
            if body.get("type") == "event_callback":
                return BoltResponse(status=200, body="")  # acked, so that Slack does not deliver it again
            return await answer_instead(body, context, OTHER_WORKSPACE)
        team_id = context.team_id or context.enterprise_id
        if team_id and context.user_id:
            try:
                if context.is_enterprise_install and context.team_id and context.enterprise_id:
                    # A workspace of an org-wide install: its own row and first admin on first sight.
                    await container.org_workspace_seen(context.team_id, context.enterprise_id)
                context["identity"] = await container.identities.resolve(team_id, context.user_id)
            except Exception as error:
                if not is_database_outage(error):
                    raise
                log.warning("database unreachable: answering without it (%s)", type(error).__name__)
                return await answer_instead(body, context, NO_DATABASE)
        if not replayable(body) and not await first_delivery(req, body, context):
            return BoltResponse(status=200, body="")
        if body.get("type") == "block_actions" and not verify_buttons(body):
            return await refuse_button(body, context)
        return await next()

    app.middleware(Direct(front_door))

    async def first_delivery(req: AsyncBoltRequest, body: dict[str, Any], context: AsyncBoltContext) -> bool:
        """False for a delivery Slack (or a replayer) made before: it is acked empty and not done again."""
        claim = delivery_key(body, req)
        if claim is None:
            return True
        key, keep_for = claim
        team_id = context.team_id or context.enterprise_id or "-"
        try:
            first = await deliveries.claim(team_id, key, keep_for=keep_for)
        except (SQLAlchemyError, psycopg.Error, OSError, TimeoutError):
            # Without the database nothing else works either; doing a delivery twice is the lesser harm
            # than refusing one, and the listeners give the person words about the outage.
            log.warning("could not record a Slack delivery; handling it without the replay check")
            return True
        if not first:
            log.info("ignored a repeated Slack delivery", extra={"team": team_id, "kind": key.split(":")[0]})
        return first

    def verify_buttons(body: dict[str, Any]) -> bool:
        """Every button Switchboard builds carries a value signed for its action_id (bot.slack.signing),
        an empty one included: listeners only ever see the verified value; one that does not verify was
        edited by the client (or signed under a key since removed) and the click is refused, answered and
        audited. Bolt routes an action by its action_id alone, so what the click says of itself (its
        `type`, a `value` left out) exempts nothing: only a modal's dispatched inputs carry no signature."""
        for action in body.get("actions") or []:
            action_id = str(action.get("action_id", ""))
            if action_id in ids.DISPATCHED_INPUTS:
                continue
            signed = action.get("value")
            value = verify_value(action_id, signed) if isinstance(signed, str) else None
            if value is None:
                return False
            action["value"] = value
        return True

    # Work a request leaves for after its ack (a refused click's audit row and answer), kept here so that
    # the event loop does not drop the task before it ends.
    after_ack: set[asyncio.Task[None]] = set()

    async def refuse_button(body: dict[str, Any], context: AsyncBoltContext) -> BoltResponse:
        team_id = context.team_id or context.enterprise_id
        log.warning("refused a button whose value does not verify", extra={"team": team_id})
        if team_id and context.user_id:
            # After the ack: a Web API call (a Home tab click is answered by DM) must not hold Slack's.
            task = asyncio.create_task(tell_refusal(body, context, team_id, context.user_id))
            after_ack.add(task)
            task.add_done_callback(after_ack.discard)
        return BoltResponse(status=200, body="")

    async def tell_refusal(
        body: dict[str, Any], context: AsyncBoltContext, team_id: str, user_id: str
    ) -> None:
        with contextlib.suppress(Exception):  # the refusal stands even if the audit cannot be written
            clicked = str((body.get("actions") or [{}])[0].get("action_id", ""))
            await container.audit.denied(
                team_id,
                user_id,
                "a button",
                required="signed value",
                attempted=f"button {clicked} with an edited value",
            )
        # Where the person is (a Home tab click has no response_url), as every denial is answered.
        with contextlib.suppress(Exception):
            await tell(context.client, body, user_id, STALE_BUTTON)

    async def answer_instead(body: dict[str, Any], context: AsyncBoltContext, words: str) -> BoltResponse:
        """The ack of a request that cannot go on (the database away, a Slack sign-in being renewed, a
        bug): Slack still gets its answer and the person words, never a 500 (which Slack shows as
        "dispatch_failed", and after which a modal closes as if its submission had worked)."""
        if body.get("command"):
            return BoltResponse(
                status=200,
                body=json.dumps({"response_type": "ephemeral", **failure(words)}),
                headers={"content-type": "application/json;charset=utf-8"},
            )
        if body.get("type") == "view_submission":  # the modal stays open, saying why
            return BoltResponse(
                status=200,
                body=json.dumps({"response_action": "update", "view": unavailable_view(words)}),
                headers={"content-type": "application/json;charset=utf-8"},
            )
        if body.get("type") == "event_callback":
            # Slack retries an event that was not acknowledged: let it, the database may be back by then.
            return BoltResponse(status=503, body="")
        if context.response_url:
            try:
                await respond(context.response_url, failure(words), replace_original=False)
            except Exception:
                log.warning("could not tell the user why their request failed")
        return BoltResponse(status=200, body="")

    @app.error
    async def on_error(
        error: Exception, body: dict[str, Any], context: AsyncBoltContext, response: BoltResponse | None
    ) -> BoltResponse | None:
        """Every error of a middleware (Bolt's authorize, the front door) or a listener. `response` is what
        Slack will be sent, or None once the listener has acked: before the ack the answer itself says what
        failed; after it the response_url does."""
        log.exception("unhandled error in a Slack listener", exc_info=error)
        # An error before the signature was checked (a malformed header, say) means the body, and its
        # response_url, may come from anyone: answer nothing. respond() itself refuses non-Slack hosts.
        if not context.get(VERIFIED):
            return None
        if response is not None:
            return await answer_instead(body, context, error_words(error))
        if not context.response_url:
            return None
        try:
            await respond(context.response_url, failure(error_words(error)), replace_original=False)
        except Exception:  # the response_url may be gone; the log line above has the details
            log.warning("could not tell the user about the error")
        return None

    features.register(app)
    return app
