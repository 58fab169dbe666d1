"""Zoom simulator: Server-to-Server OAuth, Contact Center logs (SMS, voice calls) and Phone SMS sessions.

Mounted under `/zoom` by `create_app`: token endpoint `POST /zoom/oauth/token`, API under `/zoom/v2`.

Behaviour taken from tests/contracts (seeds 000, 002, 004, the OpenAPI subsets and providers.md):

- `POST /oauth/token` with `Authorization: Basic base64(client_id:client_secret)` and
  `grant_type=account_credentials&account_id=...` (form body or query string) returns
  `{access_token, token_type: "bearer", expires_in: 3600, scope, api_url}`. Bad client: 401
  `{"reason": "Invalid client_id or client_secret", "error": "invalid_client"}`; bad grant or account: 400.
- API calls without a token, with an unknown one, or with an expired one: 401 `{"code": 124, "message":
  "Invalid access token."}`.
- `GET /v2/contact_center/sms`, `GET /v2/contact_center/voice_calls` (HEAVY), `GET /v2/phone/sms/sessions`,
  `GET /v2/phone/sms/sessions/{sessionId}` and `GET /v2/phone/users/{userId}/sms/sessions` (MEDIUM), with all
  their filters. List filters are repeated params and/or comma-separated.
- `page_size` defaults 10 (Contact Center) / 30 (Phone), maximum 100 (above: 400 code 300 with `errors`).
  `next_page_token` is "" on the last page, expires 15 minutes after it was issued (400, code 400,
  "The next page token is invalid or expired."), and carries the query it was issued for (the window is
  resolved once, so "the last 24 hours" does not slide while paging) and the records its first page
  selected (later pages slice them: a month of calls is scanned once, not once per page).
- `from`/`to`: `yyyy-mm-dd` (a date-only `to` covers that whole day) or ISO 8601. `to` is required with
  `from`. More than one month between them (more than 31 days between the two dates) is 400
  `{"code": 300, "message": "The requested report exceeds the 1-month limit."}`. No `from`: the last
  24 hours (Contact Center) or 30 days (Phone).
- Rate limits per account and plan (pro by default, `plan=business` in the fault spec): HEAVY 5/s and
  15,000/day (Pro), 10/s and 30,000/day (Business); MEDIUM 10/s (Pro), 20/s (Business). Daily limits
  reset at 00:00 UTC. A 429 says which limit was hit, with `X-RateLimit-Category`, `X-RateLimit-Type`
  (`QPS` or `Daily-limit`), `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `Retry-After` (seconds for the
  per-second limit, an ISO 8601 date — the next 00:00 UTC — for the daily one). Requests that get a 429 do
  not count.
- Unknown session: 404 code 7013. Unknown user filter: 404 code 1001; unknown queue: 404 code 1201;
  unknown engagement: 404 code 2901.
"""

from __future__ import annotations

import base64
import random
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.sandbox import credentials
from bot.sandbox._common import (
    ParsedTime,
    RateWindow,
    SandboxStarlette,
    digits,
    end_of,
    iso_z,
    json_response,
    next_midnight,
    parse_time,
    query_list,
    read_params,
)
from bot.sandbox.clock import Clock, ClockLike, as_clock
from bot.sandbox.faults import FaultInjector, FaultMiddleware, ProviderFaults
from bot.sandbox.world import (
    Agent,
    CcSmsLog,
    PhoneParty,
    PhoneSmsMessage,
    PhoneSmsSession,
    Queue,
    VoiceCall,
    World,
)

TOKEN_LIFETIME = timedelta(seconds=3600)
PAGE_TOKEN_LIFETIME = timedelta(minutes=15)
SCOPES = (
    "contact_center_sms:read:admin contact_center_voice_call:read:admin "
    "phone:read:admin phone_sms:read:admin phone_sms:read"
)

# (per second, per day) by plan and label.
PLAN_LIMITS: dict[str, dict[str, tuple[int, int | None]]] = {
    "pro": {"LIGHT": (20, None), "MEDIUM": (10, None), "HEAVY": (5, 15_000)},
    "business": {"LIGHT": (40, None), "MEDIUM": (20, None), "HEAVY": (10, 30_000)},
}
_LABEL_TITLE = {"LIGHT": "Light", "MEDIUM": "Medium", "HEAVY": "Heavy"}


def zoom_error(status: int, code: int, message: str, errors: list[dict[str, str]] | None = None) -> Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if errors:
        body["errors"] = errors
    return json_response(body, status)


def _validation(field_name: str, message: str) -> Response:
    return zoom_error(400, 300, "Validation Failed.", [{"field": field_name, "message": message}])


PER_SECOND_MESSAGE = "You have reached the maximum per-second rate limit for this API. Try again later."
DAILY_MESSAGE = (
    "You have reached the maximum daily rate limit for this API. "
    "Refer to the response header for details on when you can make another request."
)


def zoom_fault_response(status: int) -> Response:
    """Zoom's answers for injected faults: a 429 burst or a 5xx."""
    if status == 429:
        headers = {"Retry-After": "1", "X-RateLimit-Type": "QPS"}
        return json_response({"code": 429, "message": PER_SECOND_MESSAGE}, 429, headers)
    messages = {500: "Internal Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}
    return zoom_error(status, status, messages.get(status, "Internal Error"))


@dataclass
class _PageToken:
    operation: str
    query: dict[str, Any]
    offset: int
    issued: datetime
    # The records the query selected on its first page: later pages slice them instead of scanning the
    # world again (a month of 300,000 calls would otherwise cost a full scan per page of 100).
    records: list[Any] = field(default_factory=list)


@dataclass
class ZoomState:
    world: World
    clock: Clock
    injector: FaultInjector
    plan: str = "pro"
    per_second_override: int | None = None
    daily_override: int | None = None
    tokens: dict[str, datetime] = field(default_factory=dict)
    page_tokens: dict[str, _PageToken] = field(default_factory=dict)
    windows: dict[str, RateWindow] = field(default_factory=dict)
    rng: random.Random = field(default_factory=random.Random)

    def limits(self, label: str) -> tuple[int | None, int | None]:
        per_second, per_day = PLAN_LIMITS[self.plan][label]
        second: int | None = per_second
        day: int | None = per_day
        if self.per_second_override is not None:
            second = self.per_second_override or None
        if self.daily_override is not None and label == "HEAVY":
            day = self.daily_override or None
        return second, day

    def new_page_token(self) -> str:
        alphabet = string.ascii_letters + string.digits
        return "".join(self.rng.choice(alphabet) for _ in range(35))


# --------------------------------------------------------------------------------------------------


def create_zoom_app(
    world: World,
    faults: ProviderFaults | FaultInjector | None = None,
    clock: ClockLike | None = None,
    *,
    plan: str | None = None,
) -> SandboxStarlette:
    """The Zoom simulator as an ASGI app (token endpoint at `/oauth/token`, API under `/v2`)."""
    injector = faults if isinstance(faults, FaultInjector) else FaultInjector("zoom", faults, world.seed)
    config = injector.config
    chosen_plan = (plan or config.plan or "pro").lower()
    if chosen_plan not in PLAN_LIMITS:
        raise ValueError(f"unknown Zoom plan {chosen_plan!r} (pro or business)")
    state = ZoomState(
        world=world,
        clock=as_clock(clock),
        injector=injector,
        plan=chosen_plan,
        per_second_override=config.rate_limit,
        daily_override=config.daily_limit,
        rng=random.Random(world.seed * 7919 + 11),
    )
    api = _ZoomApi(state)
    routes = [
        Route("/oauth/token", api.token, methods=["POST"]),
        Route("/v2/contact_center/sms", api.cc_sms, methods=["GET"]),
        Route("/v2/contact_center/voice_calls", api.voice_calls, methods=["GET"]),
        Route("/v2/phone/sms/sessions", api.phone_sessions, methods=["GET"]),
        Route("/v2/phone/sms/sessions/{sessionId}", api.phone_session_details, methods=["GET"]),
        Route("/v2/phone/users/{userId}/sms/sessions", api.user_phone_sessions, methods=["GET"]),
    ]
    app = SandboxStarlette(
        routes=routes,
        middleware=[Middleware(FaultMiddleware, injector=injector, responder=zoom_fault_response)],
        exception_handlers={404: _not_found, 405: _not_allowed},
    )
    app.state.zoom = state
    return app


async def _not_found(request: Request, exc: Exception) -> Response:
    return zoom_error(404, 404, "The requested resource was not found.")


async def _not_allowed(request: Request, exc: Exception) -> Response:
    return zoom_error(405, 405, "Method not allowed.")


# --------------------------------------------------------------------------------------------------


@dataclass
class _Query:
    """A resolved list query: the window and filters, stored in page tokens."""

    start: datetime
    end: datetime
    filters: dict[str, Any]


class _ZoomApi:
    def __init__(self, state: ZoomState) -> None:
        self.state = state

    # ---- auth ------------------------------------------------------------------------------------

    async def token(self, request: Request) -> Response:
        params = await read_params(request)
        client = _basic_credentials(request)
        if client != (credentials.ZOOM_CLIENT_ID, credentials.ZOOM_CLIENT_SECRET):
            return json_response(
                {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}, 401
            )
        if params.get("grant_type") != "account_credentials":
            return json_response({"reason": "Unsupported grant type", "error": "unsupported_grant_type"}, 400)
        if params.get("account_id") != credentials.ZOOM_ACCOUNT_ID:
            return json_response({"reason": "Invalid account_id", "error": "invalid_request"}, 400)
        now = self.state.clock.now()
        # Drop expired tokens so the table does not grow for ever.
        self.state.tokens = {t: exp for t, exp in self.state.tokens.items() if exp > now}
        token = "sbx." + secrets.token_urlsafe(32)
        self.state.tokens[token] = now + TOKEN_LIFETIME
        # Where this app is mounted (e.g. http://127.0.0.1:8900/zoom); clients append /v2.
        api_url = f"{request.url.scheme}://{request.url.netloc}{request.scope.get('root_path', '')}"
        return json_response(
            {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": int(TOKEN_LIFETIME.total_seconds()),
                "scope": SCOPES,
                "api_url": api_url,
            }
        )

    def _authorize(self, request: Request, continuation: bool) -> Response | None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        expires = self.state.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if expires is None or expires <= self.state.clock.now():
            return zoom_error(401, 124, "Invalid access token.")
        if continuation and self.state.injector.roll_token_expiry():
            self.state.tokens.pop(token.strip(), None)
            return zoom_error(401, 124, "Invalid access token.")
        return None

    def _rate_limit(self, label: str) -> tuple[Response | None, dict[str, str]]:
        now = self.state.clock.now()
        per_second, per_day = self.state.limits(label)
        window = self.state.windows.setdefault(label, RateWindow())
        verdict = window.check(now, per_second, per_day)
        category = _LABEL_TITLE[label]
        if verdict == "day":
            assert per_day is not None
            headers = {
                "X-RateLimit-Category": category,
                "X-RateLimit-Type": "Daily-limit",
                "X-RateLimit-Limit": str(per_day),
                "X-RateLimit-Remaining": "0",
                "Retry-After": iso_z(next_midnight(now)),
            }
            return json_response({"code": 429, "message": DAILY_MESSAGE}, 429, headers), headers
        if verdict == "second":
            assert per_second is not None
            headers = {
                "X-RateLimit-Category": category,
                "X-RateLimit-Type": "QPS",
                "X-RateLimit-Limit": str(per_second),
                "X-RateLimit-Remaining": "0",
                "Retry-After": "1",
            }
            return json_response({"code": 429, "message": PER_SECOND_MESSAGE}, 429, headers), headers
        headers = {"X-RateLimit-Category": category}
        if per_day:
            headers.update(
                {
                    "X-RateLimit-Type": "Daily-limit",
                    "X-RateLimit-Limit": str(per_day),
                    "X-RateLimit-Remaining": str(max(per_day - window.day_count(now), 0)),
                }
            )
        elif per_second:
            headers.update({"X-RateLimit-Type": "QPS", "X-RateLimit-Limit": str(per_second)})
        return None, headers

    # ---- shared list machinery ---------------------------------------------------------------------

    async def _list(
        self,
        request: Request,
        *,
        operation: str,
        label: str,
        default_size: int,
        default_window: timedelta,
        phone_style: bool,
        resolve_filters: Callable[[Request], dict[str, Any] | Response],
        select: Callable[[_Query], list[Any]],
        render: Callable[[list[Any], _Query, int, str, int], dict[str, Any]],
    ) -> Response:
        token_param = request.query_params.get("next_page_token", "")
        denied = self._authorize(request, continuation=bool(token_param))
        if denied is not None:
            return denied
        limited, rate_headers = self._rate_limit(label)
        if limited is not None:
            return limited

        raw_size = request.query_params.get("page_size")
        page_size = default_size
        if raw_size not in (None, ""):
            try:
                page_size = int(str(raw_size))
            except ValueError:
                return _validation("page_size", "Invalid field.")
            if page_size < 1:
                return _validation("page_size", "must be greater than or equal to 1")
            if page_size > 100:
                return _validation("page_size", "must be less than or equal to 100")

        now = self.state.clock.now()
        if token_param:
            stored = self.state.page_tokens.get(token_param)
            if stored is None or stored.operation != operation or now - stored.issued > PAGE_TOKEN_LIFETIME:
                return zoom_error(400, 400, "The next page token is invalid or expired.")
            query = _Query(stored.query["start"], stored.query["end"], stored.query["filters"])
            offset = stored.offset
            records = stored.records
        else:
            window = _resolve_window(request, now, default_window, phone_style)
            if isinstance(window, Response):
                return window
            filters = resolve_filters(request)
            if isinstance(filters, Response):
                return filters
            query = _Query(window[0], window[1], filters)
            offset = 0
            records = select(query)
        page = records[offset : offset + page_size]
        next_token = ""
        if offset + page_size < len(records):
            next_token = self.state.new_page_token()
            self.state.page_tokens[next_token] = _PageToken(
                operation,
                {"start": query.start, "end": query.end, "filters": query.filters},
                offset + page_size,
                now,
                records,
            )
            # Forget expired tokens.
            self.state.page_tokens = {
                t: p for t, p in self.state.page_tokens.items() if now - p.issued <= PAGE_TOKEN_LIFETIME
            }
        body = render(page, query, page_size, next_token, len(records))
        return json_response(body, 200, rate_headers)

    # ---- Contact Center ------------------------------------------------------------------------------

    async def cc_sms(self, request: Request) -> Response:
        def resolve(req: Request) -> dict[str, Any] | Response:
            filters: dict[str, Any] = {
                "country_iso_codes": [c.upper() for c in query_list(req, "country_iso_codes")]
            }
            direction = req.query_params.get("direction", "")
            if direction and direction not in ("inbound", "outbound"):
                return _validation("direction", "Invalid field.")
            filters["direction"] = direction
            user_id = req.query_params.get("user_id", "")
            if user_id and self.state.world.agent_by_zoom_id(user_id) is None:
                return zoom_error(404, 1001, f"User does not exist: {user_id}.")
            filters["user_id"] = user_id
            engagement = req.query_params.get("engagement_id", "")
            if engagement and not any(s.engagement_id == engagement for s in self.state.world.cc_sms_logs):
                return zoom_error(404, 2901, f"Engagement does not exist: {engagement}.")
            filters["engagement_id"] = engagement
            filters["consumer_number"] = digits(req.query_params.get("consumer_number", ""))
            return filters

        def select(query: _Query) -> list[CcSmsLog]:
            f = query.filters
            out = []
            for log in self.state.world.cc_sms_logs:
                if not query.start <= log.start_time <= query.end:
                    continue
                if f["country_iso_codes"] and log.country_iso not in f["country_iso_codes"]:
                    continue
                if f["direction"] and log.direction != f["direction"]:
                    continue
                if f["user_id"] and not any(f["user_id"] in (a.zoom_user_id, a.email) for a in log.agents):
                    continue
                if f["engagement_id"] and log.engagement_id != f["engagement_id"]:
                    continue
                if f["consumer_number"] and not _same_number(log.consumer_number, f["consumer_number"]):
                    continue
                out.append(log)
            return out

        def render(page: list[CcSmsLog], query: _Query, size: int, token: str, total: int) -> dict[str, Any]:
            return {
                "next_page_token": token,
                "page_size": size,
                "total_records": total,
                "from": iso_z(query.start),
                "to": iso_z(query.end),
                "sms": [_cc_sms_json(log) for log in page],
            }

        return await self._list(
            request,
            operation="cc_sms",
            label="HEAVY",
            default_size=10,
            default_window=timedelta(hours=24),
            phone_style=False,
            resolve_filters=resolve,
            select=select,
            render=render,
        )

    async def voice_calls(self, request: Request) -> Response:
        world = self.state.world
        enums = {
            "types": {
                "external_call",
                "external_conference_call",
                "external_callback_call",
                "internal_call",
                "internal_conference_call",
                "internal_callback_call",
            },
            "number_types": {"toll_free_number", "virtual_service_number", "byoc_number"},
        }

        def resolve(req: Request) -> dict[str, Any] | Response:
            filters: dict[str, Any] = {}
            for name, allowed in enums.items():
                values = query_list(req, name)
                bad = [v for v in values if v not in allowed]
                if bad:
                    return _validation(name, f"Invalid value: {bad[0]}")
                filters[name] = values
            for name in ("distribution", "direction"):
                value = req.query_params.get(name, "")
                allowed_values = ("acd", "non_acd") if name == "distribution" else ("inbound", "outbound")
                if value and value not in allowed_values:
                    return _validation(name, "Invalid field.")
                filters[name] = value
            for name in (
                "user_ids",
                "queue_ids",
                "cc_queue_ids",
                "region_ids",
                "region_names",
                "team_ids",
                "team_names",
            ):
                values = query_list(req, name)
                if len(values) > 20:
                    return _validation(name, "up to 20 values")
                filters[name] = values
            for user_id in filters["user_ids"]:
                if world.agent_by_zoom_id(user_id) is None:
                    return zoom_error(404, 1001, f"User does not exist: {user_id}.")
            for queue_id in [*filters["queue_ids"], *filters["cc_queue_ids"]]:
                if queue_id != "none" and queue_id not in world.queues:
                    return zoom_error(404, 1201, f"Queue does not exist: {queue_id}.")
            engagement = req.query_params.get("engagement_id", "")
            if engagement and not any(c.engagement_id == engagement for c in world.voice_calls):
                return zoom_error(404, 2901, f"Engagement does not exist: {engagement}.")
            filters["engagement_id"] = engagement
            filters["consumer_number"] = digits(req.query_params.get("consumer_number", ""))
            filters["country_iso_codes"] = [c.upper() for c in query_list(req, "country_iso_codes")]
            return filters

        def select(query: _Query) -> list[VoiceCall]:
            f = query.filters
            queue_filter = [*f["queue_ids"], *f["cc_queue_ids"]]
            out = []
            for call in world.voice_calls:
                if not query.start <= call.start_time <= query.end:
                    continue
                if f["types"] and not set(call.types) & set(f["types"]):
                    continue
                if f["number_types"] and call.number_type not in f["number_types"]:
                    continue
                if f["distribution"] and f["distribution"] not in call.distributions:
                    continue
                if f["direction"] and call.direction != f["direction"]:
                    continue
                if f["user_ids"] and not any(
                    a.zoom_user_id in f["user_ids"] or a.email in f["user_ids"] for a in call.agents
                ):
                    continue
                if queue_filter:
                    ids = {q.queue_id for q in call.queues} or {"none"}
                    if not ids & set(queue_filter):
                        continue
                if f["region_ids"] and not any(a.region_id in f["region_ids"] for a in call.agents):
                    continue
                if f["region_names"] and not any(a.region_name in f["region_names"] for a in call.agents):
                    continue
                if f["team_ids"] and not any(a.team_id in f["team_ids"] for a in call.agents):
                    continue
                if f["team_names"] and not any(a.team_name in f["team_names"] for a in call.agents):
                    continue
                if f["engagement_id"] and call.engagement_id != f["engagement_id"]:
                    continue
                if f["consumer_number"] and not _same_number(call.consumer_number, f["consumer_number"]):
                    continue
                if f["country_iso_codes"] and call.country_iso not in f["country_iso_codes"]:
                    continue
                out.append(call)
            return out

        def render(page: list[VoiceCall], query: _Query, size: int, token: str, total: int) -> dict[str, Any]:
            return {
                "next_page_token": token,
                "page_size": size,
                "total_records": total,
                "from": iso_z(query.start),
                "to": iso_z(query.end),
                "voice_calls": [_voice_call_json(call) for call in page],
            }

        return await self._list(
            request,
            operation="voice_calls",
            label="HEAVY",
            default_size=10,
            default_window=timedelta(hours=24),
            phone_style=False,
            resolve_filters=resolve,
            select=select,
            render=render,
        )

    # ---- Phone ----------------------------------------------------------------------------------------

    async def phone_sessions(self, request: Request) -> Response:
        return await self._sessions(request, owner_id=None)

    async def user_phone_sessions(self, request: Request) -> Response:
        user_id = request.path_params["userId"]
        agent = self.state.world.agent_by_zoom_id(user_id)
        if agent is None:
            denied = self._authorize(request, continuation=False)
            if denied is not None:
                return denied
            return zoom_error(404, 1001, f"User does not exist: {user_id}")
        return await self._sessions(request, owner_id=agent.zoom_user_id)

    async def _sessions(self, request: Request, owner_id: str | None) -> Response:
        world = self.state.world
        session_types = {"user", "call_queue", "auto_receptionist", "service_endpoint", "all"}
        filter_types = {
            "sent_message_time",
            "received_message_time",
            "last_message_time",
            "sent_received_message_time",
        }

        def resolve(req: Request) -> dict[str, Any] | Response:
            session_type = req.query_params.get("session_type", "") or "user"
            if session_type not in session_types:
                return zoom_error(400, 400, "SMS session type is invalid.")
            filter_type = req.query_params.get("filter_type", "") or "last_message_time"
            if filter_type not in filter_types:
                return _validation("filter_type", "Invalid field.")
            return {
                "session_type": session_type,
                "filter_type": filter_type,
                "phone_number": digits(req.query_params.get("phone_number", "")),
                "owner_id": owner_id,
            }

        def select(query: _Query) -> list[PhoneSmsSession]:
            f = query.filters
            out = []
            for session in world.phone_sessions.values():
                if f["session_type"] != "all" and session.session_type != f["session_type"]:
                    continue
                if f["owner_id"] and session.owner.owner_id != f["owner_id"]:
                    continue
                if f["phone_number"] and not any(
                    _same_number(p.phone_number, f["phone_number"]) for p in [session.owner, *session.others]
                ):
                    continue
                if not _session_in_window(session, f["filter_type"], query.start, query.end):
                    continue
                out.append(session)
            out.sort(key=lambda s: (s.last_access_time, s.session_id), reverse=True)
            return out

        def render(
            page: list[PhoneSmsSession], query: _Query, size: int, token: str, total: int
        ) -> dict[str, Any]:
            return {
                "next_page_token": token,
                "page_size": size,
                "sms_sessions": [_session_json(s) for s in page],
            }

        return await self._list(
            request,
            operation=f"phone_sessions:{owner_id or '*'}",
            label="MEDIUM",
            default_size=30,
            default_window=timedelta(days=30),
            phone_style=True,
            resolve_filters=resolve,
            select=select,
            render=render,
        )

    async def phone_session_details(self, request: Request) -> Response:
        world = self.state.world
        session_id = request.path_params["sessionId"]
        statuses = {"all", "received", "delivered", "failed_to_send", "sent", "failed_to_deliver", "unknown"}

        def resolve(req: Request) -> dict[str, Any] | Response:
            if session_id not in world.phone_sessions:
                return zoom_error(404, 7013, "Error retrieving SMS history.")
            status = req.query_params.get("delivery_status", "") or "all"
            if status not in statuses:
                return _validation("delivery_status", "Invalid field.")
            raw_sort = req.query_params.get("sort", "") or "1"
            if raw_sort not in ("1", "2"):
                return _validation("sort", "Invalid field.")
            return {"session_id": session_id, "delivery_status": status, "sort": int(raw_sort)}

        def select(query: _Query) -> list[PhoneSmsMessage]:
            f = query.filters
            session = world.phone_sessions[f["session_id"]]
            out = [
                m
                for m in session.messages
                if query.start <= m.date_time <= query.end
                and (f["delivery_status"] == "all" or m.delivery_status == f["delivery_status"])
            ]
            out.sort(key=lambda m: (m.date_time, m.message_id), reverse=f["sort"] == 2)
            return out

        def render(
            page: list[PhoneSmsMessage], query: _Query, size: int, token: str, total: int
        ) -> dict[str, Any]:
            return {
                "next_page_token": token,
                "page_size": size,
                "sms_histories": [_message_json(m) for m in page],
            }

        return await self._list(
            request,
            operation=f"session:{session_id}",
            label="MEDIUM",
            default_size=30,
            default_window=timedelta(days=30),
            phone_style=True,
            resolve_filters=resolve,
            select=select,
            render=render,
        )


# --------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


def _resolve_window(
    request: Request, now: datetime, default: timedelta, phone_style: bool
) -> tuple[datetime, datetime] | Response:
    raw_from = request.query_params.get("from", "")
    raw_to = request.query_params.get("to", "")
    parsed_from: ParsedTime | None = None
    parsed_to: ParsedTime | None = None
    if raw_from:
        parsed_from = parse_time(raw_from)
        if parsed_from is None:
            return _validation("from", "Invalid date format: use yyyy-mm-dd or yyyy-MM-dd'T'HH:mm:ss'Z'.")
    if raw_to:
        parsed_to = parse_time(raw_to)
        if parsed_to is None:
            return _validation("to", "Invalid date format: use yyyy-mm-dd or yyyy-MM-dd'T'HH:mm:ss'Z'.")
    if parsed_from is not None and parsed_to is None:
        if phone_style:
            return zoom_error(400, 400, "Requires from and to")
        return _validation("to", "The to parameter is required when from is specified.")
    if parsed_from is None and parsed_to is None:
        return now - default, now
    assert parsed_to is not None
    end = end_of(parsed_to)
    start = parsed_from.value if parsed_from is not None else end - default
    if start > end:
        return zoom_error(400, 300, "The from date must be earlier than the to date.")
    if (end.date() - start.date()).days > 31:
        return zoom_error(400, 300, "The requested report exceeds the 1-month limit.")
    return start, end


def _same_number(stored: str, wanted_digits: str) -> bool:
    have = digits(stored)
    if have == wanted_digits:
        return True
    # A US number written without its country code.
    return len(wanted_digits) == 10 and have == "1" + wanted_digits


def _session_in_window(session: PhoneSmsSession, filter_type: str, start: datetime, end: datetime) -> bool:
    if filter_type == "last_message_time":
        return start <= session.last_access_time <= end
    wanted = {
        "sent_message_time": {"Out"},
        "received_message_time": {"In"},
        "sent_received_message_time": {"In", "Out"},
    }[filter_type]
    return any(m.direction in wanted and start <= m.date_time <= end for m in session.messages)


def _queue_json(queue: Queue) -> dict[str, str]:
    return {"queue_id": queue.queue_id, "cc_queue_id": queue.queue_id, "queue_name": queue.name}


def _cc_sms_json(log: CcSmsLog) -> dict[str, Any]:
    return {
        "direction": log.direction,
        "engagement_id": log.engagement_id,
        "contact_center_number": log.contact_center_number,
        "start_time": iso_z(log.start_time),
        "end_time": iso_z(log.end_time),
        "consumer_number": log.consumer_number,
        "consumer_display_name": log.consumer_display_name,
        "queues": [_queue_json(q) for q in log.queues],
        "agents": [{"user_id": a.zoom_user_id, "display_name": a.display_name} for a in log.agents],
        "country_name": log.country_name,
        "sms_types": list(log.sms_types),
        "total_sent_messages": log.total_sent_messages,
        "total_received_messages": log.total_received_messages,
        "total_sent_files": log.total_sent_files,
        "total_received_files": log.total_received_files,
    }


def _voice_agent_json(agent: Agent) -> dict[str, Any]:
    return {
        "user_id": agent.zoom_user_id,
        "display_name": agent.display_name,
        "user_email": agent.email,
        "user_region": agent.region_name,
        "team_ids": [agent.team_id],
        "team_names": [agent.team_name],
    }


def _voice_call_json(call: VoiceCall) -> dict[str, Any]:
    body: dict[str, Any] = {
        "engagement_id": call.engagement_id,
        "direction": call.direction,
        "call_legs": list(call.call_legs),
        "distributions": list(call.distributions),
        "types": list(call.types),
        "caller_number": call.caller_number,
        "callee_number": call.callee_number,
        "start_time": iso_z(call.start_time),
        "end_time": iso_z(call.end_time),
        "total_duration": call.total_duration,
        "consumer_number": call.consumer_number,
        "consumer_display_name": call.consumer_display_name,
        "queues": [_queue_json(q) for q in call.queues],
        "agents": [_voice_agent_json(a) for a in call.agents],
        "flows": [{"flow_id": f.flow_id, "flow_name": f.name} for f in call.flows],
        "country_name": call.country_name,
        "recorded": call.recorded,
        "monitored": call.monitored,
        "inbox": call.inbox,
        "result": call.result,
        "caller_id": call.caller_id,
        "calling_party": call.calling_party,
        "charge": call.charge,
        "rates": list(call.rates),
        "charge_type": "per_minute",
    }
    if call.caller_number_type:
        body["caller_number_type"] = call.caller_number_type
    if call.callee_number_type:
        body["callee_number_type"] = call.callee_number_type
    return body


def _party_json(party: PhoneParty, *, session_owner: bool | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"phone_number": party.phone_number}
    if party.display_name:
        body["display_name"] = party.display_name
    if party.owner_id and party.owner_type:
        body["owner"] = {"id": party.owner_id, "type": party.owner_type}
    if session_owner is not None:
        body["is_session_owner"] = session_owner
    return body


def _session_json(session: PhoneSmsSession) -> dict[str, Any]:
    return {
        "session_id": session.session_id,
        "session_type": session.session_type,
        "last_access_time": iso_z(session.last_access_time),
        "participants": [
            _party_json(session.owner, session_owner=True),
            *(_party_json(p, session_owner=False) for p in session.others),
        ],
    }


def _message_json(message: PhoneSmsMessage) -> dict[str, Any]:
    body: dict[str, Any] = {
        "date_time": iso_z(message.date_time),
        "direction": message.direction,
        "message": message.message,
        "message_id": message.message_id,
        "message_type": message.message_type,
        "delivery_status": message.delivery_status,
        "sender": _party_json(message.sender),
        "to_members": [_party_json(p) for p in message.to_members],
    }
    if message.attachments:
        body["attachments"] = [dict(a) for a in message.attachments]
    return body
