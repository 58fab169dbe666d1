"""LiveVox SMS API simulator (seed 001), mounted under `/livevox` by `create_app`.

Auth: `POST /session/login` with header `LV-Access: sandbox-lv-access` and JSON
`{"clientName": "SANDBOX", "userName": <login>, "password": "sandbox", "agent": <bool>}` returns
`{sessionId, userId, clientId, daysUntilPasswordExpires}`. Agent logins (e.g. `JRIVERA`) must log in with
`agent: true` and act as that agent (sent from the first service they belong to); user logins (`SUPERVISOR`,
`ADMIN`) with `agent: false`. Every other call sends `LV-Session`; a session expires after 2 hours without
use (rolling) → 401. Errors are `{"code": <int>, "message": "..."}` where `code` is the HTTP status.

A version segment after the category is accepted anywhere (`/session/v5.0/login`, `/sms/v5.0/templates`).

Methods (every documented variant):

- `GET /sms/templates`, `GET /sms/codes`, `POST /sms/` (also `/sms`): agents and users. Send: agents must
  give `account` and must not give `serviceId`; users must give `serviceId`. `body` needs exactly one of
  `message` / `templateId`. Returns `{"transactionId": <int>}`.
- Agent-only (a user session gets 403): `GET /sms/agent/interaction/counts/{agentId}`,
  `GET /sms/agent/channel`, `GET /sms/agent/thread/details` and `GET /agent/thread/details`,
  `PUT /sms/agent/thread/switchGroup/public` (personal → group inbox),
  `PUT /sms/agent/thread/switchGroup/private` (group → personal inbox), `GET /sms/agent/thread/transfer`,
  `GET|POST /sms/agent/search`, `POST /sms/agent/thread/resolve`, `POST /sms/agent/message/send`,
  `PUT /sms/agent/message/markAsRead`, `PUT|GET /sms/agent/message/markAsUnread`,
  `GET /sms/agent/messages` and `/sms/agent/messages/`.
- `pagination` is a 1-based page number (missing = 1, < 1 → 400); past the end the list is empty.
- Unknown thread → 404; a thread already resolved → 409; a thread in another agent's personal inbox → 409.
- Sends (transactional and agent) are appended to the transaction history and to the number's open thread
  in that service (a new thread is opened when there is none: the agent's personal inbox for agents, the
  service's group inbox for users). A send shows `SMS MT Sent` in the history at first and its delivery
  record `delivery_delay` later (default 2 s): `SMS MT Delivered`, or, for a number flagged Do-Not-Contact
  or opted out (accepted all the same), `SMS MT Blocked (DNC)` / `SMS MT Blocked (Opt-Out)`.
- Rate limit: unknown in reality; `rate_limit` in the fault spec (default 100 requests/second, 0 = none).

A customer texting in is simulated with `LiveVoxState.inject_inbound` (the sandbox's control endpoint
`POST /_sandbox/inject/inbound` and the console's `inject inbound` both call it): the message joins the
number's open thread in that service, whoever holds it, or opens a new unread thread in the service's group
inbox, and the thread reads as unread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.errors import InputError
from bot.phones import to_e164
from bot.sandbox import credentials
from bot.sandbox._common import RateWindow, SandboxStarlette, digits, epoch_ms, json_response, read_json
from bot.sandbox.clock import Clock, ClockLike, as_clock
from bot.sandbox.faults import FaultInjector, FaultMiddleware, ProviderFaults
from bot.sandbox.world import LV_INBOUND, Agent, Contact, LvMessage, Thread, World

SESSION_IDLE_LIMIT = timedelta(hours=2)
DELIVERY_DELAY = timedelta(seconds=2)
"""How long after a send its delivery record appears in the transaction history."""
DEFAULT_RATE_LIMIT = 100
PAGE_SIZE = 25
INBOUND_LIMIT = 1600
"""The longest customer message the simulator takes in. LiveVox documents no limit (UNKNOWN, so it is a
setting of the state, `inbound_limit`); 1600 characters is the usual carrier limit of a concatenated SMS."""


def lv_error(status: int, message: str) -> Response:
    return json_response({"code": status, "message": message}, status)


def livevox_fault_response(status: int) -> Response:
    if status == 429:
        return json_response(
            {"code": 429, "message": "Too many requests. Slow down and retry later."},
            429,
            {"Retry-After": "1"},
        )
    return lv_error(status, "Internal server error. Please try again later.")


def _no_content() -> Response:
    return Response(status_code=204)


@dataclass
class LvSession:
    session_id: str
    agent: bool
    user_id: int
    login: str
    service_id: int | None
    last_used: datetime


@dataclass
class LiveVoxState:
    world: World
    clock: Clock
    injector: FaultInjector
    rate_limit: int = DEFAULT_RATE_LIMIT
    page_size: int = PAGE_SIZE
    delivery_delay: timedelta = DELIVERY_DELAY
    inbound_limit: int = INBOUND_LIMIT
    sessions: dict[str, LvSession] = field(default_factory=dict)
    window: RateWindow = field(default_factory=RateWindow)

    def inject_inbound(self, *, inbox: str, number: str, text: str) -> Injected:
        """A customer at `number` texts the inbox `inbox` (a group inbox's channel id: the service id), now.

        The one way the sandbox simulates an inbound SMS (its HTTP control endpoint and the console's
        `inject inbound` both come here), so that LiveVox's API shows it as it shows seeded messages: a
        direction-1 message in the transaction history, on the number's open thread in that service
        (wherever it is, a personal inbox included) or on a new thread in the service's group inbox, and
        the thread unread. Raises `InjectError` (one line saying why) for an unknown inbox, something that
        is not a phone number, an empty text or one over `inbound_limit` characters.
        """
        world = self.world
        service_id = _int(inbox)
        if service_id is None or service_id not in world.services:
            known = ", ".join(f"{sid} ({service.name})" for sid, service in world.services.items())
            raise InjectError(f"unknown inbox {inbox!r}: the sandbox's LiveVox SMS inboxes are {known}")
        try:
            phone = to_e164(number)
        except InputError as error:
            raise InjectError(str(error)) from None
        if not text.strip():
            raise InjectError("the text is empty")
        if len(text) > self.inbound_limit:
            raise InjectError(
                f"the text has {len(text)} characters; LiveVox takes at most {self.inbound_limit}"
            )
        now = self.clock.now()
        thread = _open_thread(world, phone, service_id, None)
        created = thread is None
        if thread is None:
            contact = world.contacts.get(phone)
            # A number LiveVox has no contact for has no account (the resolve form asks for one).
            thread = _new_thread(
                world,
                phone=phone,
                service_id=service_id,
                sms_code=world.services[service_id].sms_codes[0],
                account=contact.account if contact else "",
                owner_agent_id=None,
                replied=False,
                at=now,
            )
        message = LvMessage(
            id=world.next_lv_id(),
            thread_id=thread.thread_id,
            account=thread.account,
            phone=phone.lstrip("+"),
            sms_code=thread.sms_code,
            message=text,
            date=now,
            status=LV_INBOUND,
            direction=1,
            service_id=thread.service_id,
        )
        thread.messages.append(message)
        thread.read = False  # a customer's new message makes the thread unread again, wherever it is
        world.lv_messages.append(message)
        return Injected(
            thread_id=thread.thread_id,
            message_id=message.id,
            inbox=str(service_id),
            number=phone,
            created=created,
            at=now,
        )


class InjectError(ValueError):
    """An inbound message the sandbox refuses; the text is one line saying why."""


@dataclass(frozen=True)
class Injected:
    """Where an injected inbound message landed."""

    thread_id: str
    message_id: str
    inbox: str  # the service id
    number: str  # E.164
    created: bool  # a new thread (in the group inbox); False: appended to the number's open thread
    at: datetime

    def line(self) -> str:
        """What `switchboard sandbox inject inbound` and the console print (a fixed interface)."""
        return f"thread {self.thread_id} ({'new' if self.created else 'appended'}, unread)"


class _VersionSegment:
    """Strip an optional version segment after the category: `/sms/v5.0/templates` → `/sms/templates`."""

    _pattern = re.compile(r"^/([A-Za-z]+)/v\d+(?:\.\d+)*(?=/|$)")

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            root = scope.get("root_path", "")
            path: str = scope["path"]
            route = path[len(root) :] if root and path.startswith(root) else path
            stripped = self._pattern.sub(r"/\1", route)
            if stripped != route:
                scope = dict(scope, path=(root if path.startswith(root) else "") + stripped)
        await self.app(scope, receive, send)


def create_livevox_app(
    world: World,
    faults: ProviderFaults | FaultInjector | None = None,
    clock: ClockLike | None = None,
    *,
    page_size: int = PAGE_SIZE,
    delivery_delay: timedelta | None = None,
) -> SandboxStarlette:
    """The LiveVox simulator as an ASGI app (paths as documented, e.g. `/session/login`, `/sms/templates`).

    `delivery_delay`: how long a send stays `SMS MT Sent` before its delivery record (default 2 s)."""
    injector = faults if isinstance(faults, FaultInjector) else FaultInjector("livevox", faults, world.seed)
    rate = injector.config.rate_limit
    state = LiveVoxState(
        world=world,
        clock=as_clock(clock),
        injector=injector,
        rate_limit=DEFAULT_RATE_LIMIT if rate is None else rate,
        page_size=page_size,
        delivery_delay=DELIVERY_DELAY if delivery_delay is None else delivery_delay,
    )
    api = _LiveVoxApi(state)
    routes = [
        Route("/session/login", api.login, methods=["POST"]),
        Route("/sms/templates", api.templates, methods=["GET"]),
        Route("/sms/codes", api.codes, methods=["GET"]),
        Route("/sms/", api.send, methods=["POST"]),
        Route("/sms", api.send, methods=["POST"]),
        Route("/sms/agent/interaction/counts/{agentId}", api.counts, methods=["GET"]),
        Route("/sms/agent/channel", api.channels, methods=["GET"]),
        Route("/sms/agent/thread/details", api.threads, methods=["GET"]),
        Route("/agent/thread/details", api.threads, methods=["GET"]),
        Route("/sms/agent/thread/switchGroup/public", api.to_group, methods=["PUT"]),
        Route("/sms/agent/thread/switchGroup/private", api.to_personal, methods=["PUT"]),
        Route("/sms/agent/thread/transfer", api.transfer, methods=["GET"]),
        Route("/sms/agent/search", api.transfer_agents, methods=["GET", "POST"]),
        Route("/sms/agent/thread/resolve", api.resolve, methods=["POST"]),
        Route("/sms/agent/message/send", api.agent_send, methods=["POST"]),
        Route("/sms/agent/message/markAsRead", api.mark_read, methods=["PUT"]),
        Route("/sms/agent/message/markAsUnread", api.mark_unread, methods=["PUT", "GET"]),
        Route("/sms/agent/messages", api.history, methods=["GET"]),
        Route("/sms/agent/messages/", api.history, methods=["GET"]),
    ]
    app = SandboxStarlette(
        routes=routes,
        middleware=[
            Middleware(FaultMiddleware, injector=injector, responder=livevox_fault_response),
            Middleware(_VersionSegment),
        ],
        exception_handlers={404: _not_found, 405: _not_allowed},
    )
    app.router.redirect_slashes = False
    app.state.livevox = state
    return app


async def _not_found(request: Request, exc: Exception) -> Response:
    return lv_error(404, f"Resource not found: {request.url.path}")


async def _not_allowed(request: Request, exc: Exception) -> Response:
    return lv_error(405, f"Method {request.method} is not allowed on {request.url.path}")


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _bool_param(raw: str | None) -> bool | None:
    if raw is None or raw == "":
        return None
    lowered = raw.lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    return None


class _LiveVoxApi:
    def __init__(self, state: LiveVoxState) -> None:
        self.state = state
        self.world = state.world

    # ---- session ---------------------------------------------------------------------------------------

    async def login(self, request: Request) -> Response:
        if request.headers.get("lv-access") != credentials.LIVEVOX_ACCESS_TOKEN:
            return lv_error(401, "Invalid or missing LV-Access token.")
        ok, body = await read_json(request)
        if not ok or not isinstance(body, dict):
            return lv_error(
                400, "Request body must be a JSON object with clientName, userName, password, agent."
            )
        missing = [k for k in ("clientName", "userName", "password") if not isinstance(body.get(k), str)]
        if missing:
            return lv_error(400, f"Missing or invalid field(s): {', '.join(missing)}.")
        as_agent = body.get("agent", False)
        if not isinstance(as_agent, bool):
            return lv_error(400, "agent must be true or false.")
        bad = "Login failed: invalid clientName, userName or password."
        if str(body["clientName"]).upper() != credentials.LIVEVOX_CLIENT_NAME:
            return lv_error(401, bad)
        if body["password"] != credentials.LIVEVOX_PASSWORD:
            return lv_error(401, bad)
        login = str(body["userName"])
        agent = self.world.agent_by_login(login)
        user = self.world.user_by_login(login)
        if agent is None and user is None:
            return lv_error(401, bad)
        if as_agent and agent is None:
            return lv_error(401, f"{login} is not an agent login; log in with agent=false.")
        if not as_agent and user is None:
            return lv_error(401, f"{login} is an agent login; log in with agent=true.")
        now = self.state.clock.now()
        self.state.sessions = {
            sid: s for sid, s in self.state.sessions.items() if now - s.last_used <= SESSION_IDLE_LIMIT
        }
        session_id = self.world.new_uuid()
        if agent is not None and as_agent:
            session = LvSession(session_id, True, agent.agent_id, agent.login_id, agent.service_ids[0], now)
        else:
            assert user is not None
            session = LvSession(session_id, False, user.user_id, user.login_id, None, now)
        self.state.sessions[session_id] = session
        return json_response(
            {
                "sessionId": session_id,
                "userId": session.user_id,
                "clientId": self.world.demo.client_id,
                "daysUntilPasswordExpires": 87,
            }
        )

    def _session(self, request: Request, *, continuation: bool = False) -> LvSession | Response:
        session_id = request.headers.get("lv-session", "")
        if not session_id:
            return lv_error(401, "Missing LV-Session header. Log in first.")
        now = self.state.clock.now()
        session = self.state.sessions.get(session_id)
        if session is None or now - session.last_used > SESSION_IDLE_LIMIT:
            self.state.sessions.pop(session_id, None)
            return lv_error(401, "Session is invalid or has expired. Log in again.")
        if continuation and self.state.injector.roll_token_expiry():
            self.state.sessions.pop(session_id, None)
            return lv_error(401, "Session is invalid or has expired. Log in again.")
        session.last_used = now
        if self.state.window.check(now, self.state.rate_limit or None, None) is not None:
            return livevox_fault_response(429)
        return session

    def _agent(self, request: Request, *, continuation: bool = False) -> tuple[LvSession, Agent] | Response:
        session = self._session(request, continuation=continuation)
        if isinstance(session, Response):
            return session
        if not session.agent:
            return lv_error(403, "This method is available to agent sessions only (log in with agent=true).")
        return session, self.world.agents[session.user_id]

    def _pagination(self, request: Request) -> int | Response:
        raw = request.query_params.get("pagination", "")
        if raw == "":
            return 1
        page = _int(raw)
        if page is None or page < 1:
            return lv_error(400, "pagination must be a page number >= 1.")
        return page

    def _thread(self, request: Request, thread_id: Any) -> Thread | Response:
        if thread_id in (None, ""):
            return lv_error(400, "threadId is required.")
        thread = self.world.threads.get(str(thread_id))
        if thread is None:
            return lv_error(404, f"Thread not found: {thread_id}")
        if thread.resolved:
            return lv_error(409, f"Thread {thread_id} is resolved.")
        return thread

    # ---- configuration ---------------------------------------------------------------------------------

    async def templates(self, request: Request) -> Response:
        session = self._session(request)
        if isinstance(session, Response):
            return session
        items = []
        for template in self.world.templates:
            item: dict[str, Any] = {"id": template.id}
            if template.description:
                item["description"] = template.description
            item.update({"message": template.message, "smsCode": template.sms_code, "optInFlag": False})
            items.append(item)
        return json_response({"templates": items})

    async def codes(self, request: Request) -> Response:
        session = self._session(request)
        if isinstance(session, Response):
            return session
        if session.agent:
            agent = self.world.agents[session.user_id]
            codes = [c for sid in agent.service_ids for c in self.world.codes_for_service(sid)]
        else:
            codes = list(self.world.sms_codes)
        return json_response(
            {"listSmsCodes": [{"code": c.code, "description": c.description} for c in codes]}
        )

    # ---- sending -------------------------------------------------------------------------------------------

    async def send(self, request: Request) -> Response:
        session = self._session(request)
        if isinstance(session, Response):
            return session
        ok, body = await read_json(request)
        if not ok or not isinstance(body, dict):
            return lv_error(400, "Request body must be a JSON object.")
        sender = body.get("from")
        to = body.get("to")
        content = body.get("body")
        if not isinstance(sender, str) or not sender.strip():
            return lv_error(400, "from is required (the short/long code to send from).")
        if not isinstance(to, str | int) or not str(to).strip():
            return lv_error(400, "to is required.")
        if not isinstance(content, dict):
            return lv_error(400, "body is required and must be an object with message or templateId.")
        has_message = content.get("message") not in (None, "")
        has_template = content.get("templateId") not in (None, "")
        if has_message == has_template:
            return lv_error(400, "Exactly one of body.message and body.templateId must be present.")
        account = body.get("account")
        if session.agent:
            if body.get("serviceId") not in (None, ""):
                return lv_error(
                    400,
                    "Agents cannot include serviceId: the SMS is sent from the service they are logged into.",
                )
            if not isinstance(account, str | int) or str(account).strip() == "":
                return lv_error(400, "account is required for agent sessions.")
            service_id = session.service_id
            assert service_id is not None
        else:
            service_id_value = _int(body.get("serviceId"))
            if service_id_value is None:
                return lv_error(400, "serviceId is required for user sessions.")
            if service_id_value not in self.world.services:
                return lv_error(404, f"Service not found: {service_id_value}")
            service_id = service_id_value
        allowed_codes = {c.code for c in self.world.codes_for_service(service_id)}
        if sender.strip() not in allowed_codes:
            return lv_error(400, f"SMS code {sender} is not configured for service {service_id}.")
        phone = _lv_number(str(to))
        if phone is None:
            return lv_error(400, f"Invalid phone number: {to}")
        template_id: int | None = None
        if has_template:
            template_id = _int(content.get("templateId"))
            template = next((t for t in self.world.templates if t.id == template_id), None)
            if template is None:
                return lv_error(404, f"Template not found: {content.get('templateId')}")
            text = template.message
        else:
            text = str(content["message"])
        message = self._record(
            phone=phone,
            sms_code=sender.strip(),
            text=text,
            service_id=service_id,
            account=str(account) if account not in (None, "") else None,
            agent_id=session.user_id if session.agent else None,
            template_id=template_id,
            thread_id=None,
        )
        return json_response({"transactionId": int(message.id)})

    async def agent_send(self, request: Request) -> Response:
        checked = self._agent(request)
        if isinstance(checked, Response):
            return checked
        _, agent = checked
        ok, body = await read_json(request)
        if not ok or not isinstance(body, dict):
            return lv_error(400, "Request body must be a JSON object.")
        sender = body.get("fromNumber")
        to = body.get("toNumber")
        text = body.get("message")
        if not isinstance(sender, str | int) or not str(sender).strip():
            return lv_error(400, "fromNumber is required.")
        if not isinstance(to, str | int) or not str(to).strip():
            return lv_error(400, "toNumber is required.")
        if not isinstance(text, str) or not text.strip():
            return lv_error(400, "message is required.")
        codes = {c.code: c for sid in agent.service_ids for c in self.world.codes_for_service(sid)}
        code = codes.get(digits(str(sender))) or codes.get("1" + digits(str(sender)))
        if code is None:
            return lv_error(400, f"fromNumber {sender} is not an SMS number of your services.")
        phone = _lv_number(str(to))
        if phone is None:
            return lv_error(400, f"Invalid phone number: {to}")
        template_id = None
        if body.get("templateId") not in (None, ""):
            template_id = _int(body.get("templateId"))
            if template_id is None or not any(t.id == template_id for t in self.world.templates):
                return lv_error(404, f"Template not found: {body.get('templateId')}")
        thread_id = None
        if body.get("threadId") not in (None, ""):
            thread_id = str(body["threadId"])
            if thread_id not in self.world.threads:
                return lv_error(404, f"Thread not found: {thread_id}")
        account = body.get("account")
        message = self._record(
            phone=phone,
            sms_code=code.code,
            text=text,
            service_id=code.service_id,
            account=str(account) if account not in (None, "") else None,
            agent_id=agent.agent_id,
            template_id=template_id,
            thread_id=thread_id,
        )
        return json_response({"id": message.id})

    def _record(
        self,
        *,
        phone: str,
        sms_code: str,
        text: str,
        service_id: int,
        account: str | None,
        agent_id: int | None,
        template_id: int | None,
        thread_id: str | None,
    ) -> LvMessage:
        """Append an outbound SMS to the history and to the number's open thread (opening one if needed)."""
        world = self.world
        now = self.state.clock.now()
        contact = world.contact_by_digits(phone)
        thread = world.threads.get(thread_id) if thread_id else None
        if thread is not None and thread.resolved:
            thread = None
        if thread is None:
            thread = _open_thread(world, "+" + phone, service_id, agent_id)
        if thread is None:
            thread = _new_thread(
                world,
                phone="+" + phone,
                service_id=service_id,
                sms_code=sms_code,
                account=account or (contact.account if contact else ""),
                owner_agent_id=agent_id,
                replied=True,
                at=now,
            )
        message = LvMessage(
            id=world.next_lv_id(),
            thread_id=thread.thread_id,
            account=account or thread.account or (contact.account if contact else ""),
            phone=phone,
            sms_code=sms_code,
            message=text,
            date=now,
            status=_delivery_status(contact),
            direction=2,
            service_id=service_id,
            agent_id=agent_id,
            template_id=template_id,
            settles_at=now + self.state.delivery_delay,
        )
        thread.messages.append(message)
        thread.replied = True
        thread.read = True
        world.lv_messages.append(message)
        return message

    # ---- agent: inbox ----------------------------------------------------------------------------------

    async def counts(self, request: Request) -> Response:
        checked = self._agent(request)
        if isinstance(checked, Response):
            return checked
        agent_id = _int(request.path_params["agentId"])
        if agent_id is None or agent_id not in self.world.agents:
            return lv_error(404, f"Agent not found: {request.path_params['agentId']}")
        personal = [t for t in self.world.threads.values() if t.owner_agent_id == agent_id and not t.resolved]
        unread = sum(1 for t in personal if not t.read)
        sent = sum(1 for m in self.world.lv_messages if m.agent_id == agent_id and m.direction == 2)
        return json_response(
            {
                "countOfEmailInteractionsSent": 0,
                "countOfSMSInteractionsSent": sent,
                "countOfMessageInteractionsSent": 0,
                "countOfUnreadEmailThreadsInPersonalInbox": 0,
                "countOfReadEmailThreadsInPersonalInbox": 0,
                "countOfUnreadSMSThreadsInPersonalInbox": unread,
                "countOfUnreadMessageInteractionsinPersonalInbox": 0,
                "countOfReadSMSThreadsInPersonalInbox": len(personal) - unread,
                "countOfReadMessageInteractionsinPersonalInbox": 0,
                "countOfChatInteractionsAbandoned": 0,
                "countOfOBWebChatInteractionsSent": 0,
                "countOfIBWebChatInteractionReceived": 0,
                "countOfActiveEmailThreadsInPersonalInbox": 0,
                "countOfActiveSMSThreadsInPersonalInbox": len(personal),
                "countOfActiveMessageThreadsinPersonalInbox": 0,
                "countOfActiveWebChatThreadsInPersonalInbox": 0,
            }
        )

    async def channels(self, request: Request) -> Response:
        checked = self._agent(request)
        if isinstance(checked, Response):
            return checked
        _, agent = checked
        open_threads = [t for t in self.world.threads.values() if not t.resolved]
        personal = [t for t in open_threads if t.owner_agent_id == agent.agent_id]
        items: list[dict[str, Any]] = [
            {
                "channel": "SMS",
                "channelId": str(agent.agent_id),
                "channelName": "Personal SMS",
                "unreadCount": sum(1 for t in personal if not t.read),
                "totalCount": len(personal),
                "personal": True,
            }
        ]
        for service_id in agent.service_ids:
            group = [t for t in open_threads if t.owner_agent_id is None and t.service_id == service_id]
            items.append(
                {
                    "channel": "SMS",
                    "channelId": str(service_id),
                    "channelName": f"Group - {self.world.services[service_id].name}",
                    "unreadCount": sum(1 for t in group if not t.read),
                    "totalCount": len(group),
                    "personal": False,
                }
            )
        items.append(
            {
                "channel": "Email",
                "channelId": str(agent.agent_id),
                "channelName": "Personal Email",
                "unreadCount": 0,
                "totalCount": 0,
                "personal": True,
            }
        )
        for service_id in agent.service_ids:
            items.append(
                {
                    "channel": "Voicemail",
                    "channelId": str(9_900_000_000 + service_id),
                    "channelName": f"Service {service_id} VM",
                    "unreadCount": 0,
                    "totalCount": 0,
                    "personal": False,
                }
            )
        return json_response(items)

    async def threads(self, request: Request) -> Response:
        page = self._pagination(request)
        checked = self._agent(request, continuation=isinstance(page, int) and page > 1)
        if isinstance(checked, Response):
            return checked
        if isinstance(page, Response):
            return page
        _, agent = checked
        channel_id = request.query_params.get("channelId", "")
        channel = request.query_params.get("channel", "")
        if not channel_id:
            return lv_error(400, "channelId is required.")
        if not channel:
            return lv_error(400, "channel is required (SMS, Email, Chat, Voicemail or Messaging).")
        if channel.lower() not in ("sms", "email", "chat", "voicemail", "messaging"):
            return lv_error(400, f"Unknown channel: {channel}")
        personal = _bool_param(request.query_params.get("personal"))
        if personal is None and request.query_params.get("personal") not in (None, ""):
            return lv_error(400, "personal must be true or false.")
        if personal is None:
            personal = channel_id == str(agent.agent_id)
        numeric = _int(channel_id)
        if personal:
            if numeric != agent.agent_id:
                return lv_error(403, "A personal inbox can only be listed by its agent.")
            selected = [t for t in self.world.threads.values() if t.owner_agent_id == agent.agent_id]
        else:
            if numeric is None or numeric not in self.world.services:
                return lv_error(404, f"Channel not found: {channel_id}")
            if numeric not in agent.service_ids:
                return lv_error(403, f"Agent {agent.agent_id} is not assigned to service {numeric}.")
            selected = [
                t for t in self.world.threads.values() if t.owner_agent_id is None and t.service_id == numeric
            ]
        if channel.lower() != "sms":
            selected = []
        selected = [t for t in selected if not t.resolved]
        selected.sort(key=lambda t: (t.last_date, t.thread_id), reverse=True)
        size = self.state.page_size
        chunk = selected[(page - 1) * size : page * size]
        return json_response([self._thread_json(t) for t in chunk])

    def _thread_json(self, thread: Thread) -> dict[str, Any]:
        last = thread.last_message
        contact = self.world.contacts.get(thread.phone)
        personal = thread.owner_agent_id is not None
        service = self.world.services[thread.service_id]
        inbound = last is not None and last.direction == 1
        date_ms = epoch_ms(thread.last_date)
        body: dict[str, Any] = {
            "threadId": thread.thread_id,
            "channel": "SMS",
            "channelType": "SMS",
            "channelId": str(thread.owner_agent_id if personal else thread.service_id),
            "channelName": "Personal SMS" if personal else f"Group - {service.name}",
            "serviceId": thread.service_id,
            "account": thread.account,
            "from": thread.phone.lstrip("+") if inbound else thread.sms_code,
            "to": thread.sms_code if inbound else thread.phone.lstrip("+"),
            "cc": [],
            "objectId": thread.object_id,
            "details": "",
            "direction": last.direction if last else 0,
            "subject": "",
            "attachmentIds": [],
            "date": date_ms,
            "status": "READ" if thread.read else "UNREAD",
            "read": thread.read,
            "replied": thread.replied,
            "fileSize": 0,
            "smsInbound": inbound,
            "emailInbound": False,
            "campaignId": thread.campaign_id,
            "startTime": epoch_ms(thread.started_at),
            "interactionTimestamp": date_ms,
            "txnId": last.id if last else None,
            "interactionUuid": thread.interaction_uuid,
            "interactionAccount": thread.account,
        }
        if contact is not None:
            body["contactInfo"] = _contact_json(contact)
        return body

    async def to_group(self, request: Request) -> Response:
        checked = self._agent(request)
        if isinstance(checked, Response):
            return checked
        _, agent = checked
        thread = self._thread(request, request.query_params.get("threadId"))
        if isinstance(thread, Response):
            return thread
        if thread.owner_agent_id not in (None, agent.agent_id):
            return lv_error(409, f"Thread {thread.thread_id} is in another agent's personal inbox.")
        thread.owner_agent_id = None
        return _no_content()

    async def to_personal(self, request: Request) -> Response:
        checked = self._agent(request)
        if isinstance(checked, Response):
            return checked
        _, agent = checked
        channel_id = request.query_params.get("channelId", "")
        if not channel_id:
            return lv_error(400, "channelId (the agent ID) is required.")
        if _int(channel_id) != agent.agent_id:
            return lv_error(403, "A thread can only be moved to your own personal inbox.")
        thread = self._thread(request, request.query_params.get("threadId"))
        if isinstance(thread, Response):
            return thread
        if thread.service_id not in agent.service_ids:
            return lv_error(403, f"Agent {agent.agent_id} is not assigned to service {thread.service_id}.")
        if thread.owner_agent_id not in (None, agent.agent_id):
            return lv_error(409, f"Thread {thread.thread_id} is in another agent's personal inbox.")
        thread.owner_agent_id = agent.agent_id
        return _no_content()

    async def transfer(self, request: Request) -> Response:
        checked = self._agent(request)
        if isinstance(checked, Response):
            return checked
        _, agent = checked
        kind = request.query_params.get("type", "")
        raw_target = request.query_params.get("agentId", "")
        if not kind:
            return lv_error(400, "type is required (SMS, Email, Chat, Voicemail, Voice or Messaging).")
        if kind.upper() != "SMS":
            return lv_error(400, f"Thread type {kind} does not match the thread (SMS).")
        target_id = _int(raw_target)
        if target_id is None:
            return lv_error(400, "agentId is required and must be a number.")
        thread = self._thread(request, request.query_params.get("threadId"))
        if isinstance(thread, Response):
            return thread
        target = self.world.agents.get(target_id)
        if target is None:
            return lv_error(404, f"Agent not found: {raw_target}")
        if thread.owner_agent_id not in (None, agent.agent_id):
            return lv_error(409, f"Thread {thread.thread_id} is in another agent's personal inbox.")
        if target_id == agent.agent_id:
            return lv_error(400, "Cannot transfer a thread to yourself.")
        if thread.service_id not in target.service_ids:
            return lv_error(
                400, f"Agent {target_id} cannot accept transfers for service {thread.service_id}."
            )
        thread.owner_agent_id = target_id
        thread.read = False
        return json_response({"id": thread.thread_id})

    async def transfer_agents(self, request: Request) -> Response:
        checked = self._agent(request)
        if isinstance(checked, Response):
            return checked
        _, agent = checked
        thread = self._thread(request, request.query_params.get("threadId"))
        if isinstance(thread, Response):
            return thread
        candidates = [
            a
            for a in self.world.agents.values()
            if thread.service_id in a.service_ids
            and a.agent_id != agent.agent_id
            and a.status != "LOGGED_OFF"
        ]
        return json_response(
            [
                {"agentId": a.agent_id, "loginId": a.login_id, "name": a.name, "status": a.status}
                for a in candidates
            ]
        )

    async def resolve(self, request: Request) -> Response:
        checked = self._agent(request)
        if isinstance(checked, Response):
            return checked
        _, agent = checked
        ok, body = await read_json(request)
        if not ok or not isinstance(body, dict):
            return lv_error(400, "Request body must be a JSON object.")
        for key in ("threadId", "account", "agentEnteredAccount"):
            if body.get(key) in (None, ""):
                return lv_error(400, f"{key} is required.")
        term_code = body.get("termCodeId")
        if term_code is not None and _int(term_code) is None:
            return lv_error(400, "termCodeId must be a number.")
        thread = self._thread(request, body.get("threadId"))
        if isinstance(thread, Response):
            return thread
        if thread.owner_agent_id not in (None, agent.agent_id):
            return lv_error(409, f"Thread {thread.thread_id} is in another agent's personal inbox.")
        thread.resolved = True
        thread.term_code_id = _int(term_code) if term_code is not None else None
        return _no_content()

    async def mark_read(self, request: Request) -> Response:
        return await self._mark(request, read=True)

    async def mark_unread(self, request: Request) -> Response:
        return await self._mark(request, read=False)

    async def _mark(self, request: Request, *, read: bool) -> Response:
        checked = self._agent(request)
        if isinstance(checked, Response):
            return checked
        if not request.query_params.get("channelId"):
            return lv_error(400, "channelId is required.")
        thread = self._thread(request, request.query_params.get("threadId"))
        if isinstance(thread, Response):
            return thread
        thread.read = read
        return _no_content()

    async def history(self, request: Request) -> Response:
        page = self._pagination(request)
        checked = self._agent(request, continuation=isinstance(page, int) and page > 1)
        if isinstance(checked, Response):
            return checked
        if isinstance(page, Response):
            return page
        account = request.query_params.get("account", "")
        thread_id = request.query_params.get("threadId", "")
        if not account and not thread_id:
            return lv_error(400, "account is required when threadId is not present.")
        if thread_id and thread_id not in self.world.threads:
            return lv_error(404, f"Thread not found: {thread_id}")
        messages = [
            m
            for m in self.world.lv_messages
            if (not thread_id or m.thread_id == thread_id) and (not account or m.account == account)
        ]
        messages.sort(key=lambda m: (m.date, m.id), reverse=True)
        size = self.state.page_size
        chunk = messages[(page - 1) * size : page * size]
        now = self.state.clock.now()
        return json_response([_message_json(m, now) for m in chunk])


def _open_thread(world: World, phone: str, service_id: int, agent_id: int | None) -> Thread | None:
    candidates = [
        t
        for t in world.threads.values()
        if t.phone == phone and t.service_id == service_id and not t.resolved
    ]
    if not candidates:
        return None
    mine = [t for t in candidates if t.owner_agent_id == agent_id]
    return max(mine or candidates, key=lambda t: t.last_date)


def _new_thread(
    world: World,
    *,
    phone: str,
    service_id: int,
    sms_code: str,
    account: str,
    owner_agent_id: int | None,
    replied: bool,
    at: datetime,
) -> Thread:
    """A new open thread of `phone` (E.164) in the service, added to the world; the caller adds its
    first message (and so decides whether it reads as read)."""
    thread = Thread(
        thread_id=world.next_lv_id(),
        service_id=service_id,
        account=account,
        phone=phone,
        sms_code=sms_code,
        owner_agent_id=owner_agent_id,
        read=True,
        replied=replied,
        resolved=False,
        object_id=world.new_uuid(),
        interaction_uuid=world.new_uuid(),
        campaign_id=None,
        started_at=at,
    )
    world.threads[thread.thread_id] = thread
    return thread


def _lv_number(raw: str) -> str | None:
    """LiveVox numbers: digits with country code, no "+". A 10-digit number is taken as US."""
    only = digits(raw)
    if len(only) == 10:
        only = "1" + only
    if not 11 <= len(only) <= 15:
        return None
    return only


def _delivery_status(contact: Contact | None) -> str:
    if contact is not None and (contact.dnc or contact.do_not_dial):
        return "SMS MT Blocked (DNC)"
    if contact is not None and not contact.sms_opt_in_status:
        return "SMS MT Blocked (Opt-Out)"
    return "SMS MT Delivered"


def _message_json(message: LvMessage, now: datetime) -> dict[str, Any]:
    return {
        "id": message.id,
        "message": message.message,
        "smsCode": message.sms_code,
        "phone": message.phone,
        "date": epoch_ms(message.date),
        "status": message.status_at(now),
        "direction": str(message.direction),
        "threadId": message.thread_id,
        "attachmentIds": [],
    }


def _contact_json(contact: Contact) -> dict[str, Any]:
    return {
        "account": contact.account,
        "originalAccountNumber": contact.original_account_number,
        "firstName": contact.first_name,
        "lastName": contact.last_name,
        "guarantorFirstName": None,
        "guarantorLastName": None,
        "dob": contact.dob,
        "isActive": True,
        "emailAddress": contact.email,
        "ssn": contact.ssn,
        "phoneDetails": [
            {"number": contact.lv_phone, "wireless": contact.wireless, "dnc": contact.dnc, "position": 1}
        ],
        "address1": contact.address1,
        "address2": contact.address2,
        "city": contact.city,
        "state": contact.state,
        "zipCode": contact.zip_code,
        "country": contact.country_iso,
        "paymentBalance": contact.payment_balance,
        "amountToSpeak": f"{contact.payment_balance:.2f}",
        "accountDueDate": contact.account_due_date,
        "group": False,
        "doNotDial": contact.do_not_dial,
        "doNotDialDaily": contact.do_not_dial_daily,
        "smsOptInStatus": contact.sms_opt_in_status,
    }
