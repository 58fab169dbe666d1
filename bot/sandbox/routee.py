"""Routee simulator (seed 003 and providers.md), mounted under `/routee` by `create_app`.

- `POST /auth/oauth/token` (Basic `appId:appSecret`, form `grant_type=client_credentials`) returns
  `{access_token, token_type: "bearer", expires_in: 3600, scope, permissions}`. Bad client: 401
  `{"error": "invalid_client", ...}`; other grant types: 400 `{"error": "unsupported_grant_type", ...}`.
- API calls need `Authorization: Bearer <token>`; missing, unknown or expired → 401
  `{"code": "401000000", "developerMessage": "...", "properties": {}}`.
- `POST /connect/sms/tracking?dateStart=&dateEnd=&page=&size=&sort=&campaign=&onlyCampaign=` with a JSON
  array of filters `[{"fieldName", "searchTerm", "operator"?}]` (fields smsId, to, status.status, direction,
  label, campaign; operators is (default), is_not, contains, starts_with, ends_with; case-insensitive).
  `dateStart`/`dateEnd` are ISO 8601 and required; a start earlier than the latest 7 days (1 minute of
  grace for clock skew) → 400 code `400005001`; other bad parameters → 400 code `400005000` naming the
  parameter in `properties`. `page` is 0-based, `size` defaults to 20 (1..2000), `sort` is `field` or
  `field,asc|desc` (default: newest first). An unknown `campaign` → HTTP 400, code `404009001`,
  "Campaign not found." (the seed's table). The answer is a page object
  `{totalPages, last, totalElements, first, numberOfElements, number, size, content[]}`; each content item is
  one SMS part.
- `POST /connect/sms` `{"body", "to" (E.164 with +), "from" (<= 11 letters/digits with a letter, or <= 16
  digits), "label"?, "callback"?: {"url", "strategy": "OnChange"|"OnCompletion"}, "flash"?}` returns
  `{trackingId, createdAt, from, to, body, status: "Queued", bodyAnalysis, flash, direction, ...}`. The
  message appears in tracking at once and moves Queued → Sent → Delivered / Undelivered / Failed as the
  clock advances (Sent after 2 s, final after 5 to 20 s; with `delivery_delay`, Sent after half of it and
  final after it), callbacks are not called.
- Rate limit: unknown in reality; `rate_limit` in the fault spec (default 100 requests/second, 0 = none)
  → 429 code `429000000` with `Retry-After: 1`.
"""

from __future__ import annotations

import base64
import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import phonenumbers
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.sandbox import credentials
from bot.sandbox._common import (
    RateWindow,
    SandboxStarlette,
    digits,
    iso_ms,
    json_response,
    parse_time,
    read_json,
    read_params,
)
from bot.sandbox.clock import Clock, ClockLike, as_clock
from bot.sandbox.faults import FaultInjector, FaultMiddleware, ProviderFaults
from bot.sandbox.world import ROUTEE_REASONS, UNDELIVERED_REASONS, RouteeMessage, World

TOKEN_LIFETIME = timedelta(seconds=3600)
TRACKING_WINDOW = timedelta(days=7)
WINDOW_GRACE = timedelta(minutes=1)
DEFAULT_RATE_LIMIT = 100
SCOPE = "account sms contact report number"
PERMISSIONS = ["MT_ROLE_ACCOUNT_FINANCE", "MT_ROLE_REPORTS", "MT_ROLE_SMS", "MT_ROLE_NUMBER_VALIDATOR"]
FILTER_FIELDS = ("smsId", "to", "status.status", "direction", "label", "campaign")
OPERATORS = ("is", "is_not", "contains", "starts_with", "ends_with")
SORT_FIELDS = (
    "date",
    "createdAt",
    "status.date",
    "status.status",
    "to",
    "from",
    "smsId",
    "messageId",
    "label",
    "country",
    "price",
)


def routee_error(status: int, code: str, message: str, properties: dict[str, Any] | None = None) -> Response:
    return json_response({"code": code, "developerMessage": message, "properties": properties or {}}, status)


def _invalid(name: str, message: str) -> Response:
    return routee_error(400, "400005000", message, {name: message})


def routee_fault_response(status: int) -> Response:
    if status == 429:
        response = routee_error(429, "429000000", "Too many requests. Retry later.")
        response.headers["Retry-After"] = "1"
        return response
    return routee_error(status, f"{status}000000", "Internal server error.")


@dataclass
class RouteeState:
    world: World
    clock: Clock
    injector: FaultInjector
    rate_limit: int = DEFAULT_RATE_LIMIT
    delivery_delay: timedelta | None = None  # None: Sent after 2 s, final after 5 to 20 s
    tokens: dict[str, datetime] = field(default_factory=dict)
    window: RateWindow = field(default_factory=RateWindow)


def create_routee_app(
    world: World,
    faults: ProviderFaults | FaultInjector | None = None,
    clock: ClockLike | None = None,
    *,
    delivery_delay: timedelta | None = None,
) -> SandboxStarlette:
    """The Routee simulator as an ASGI app (`/auth/oauth/token`, `/connect/sms`, `/connect/sms/tracking`)."""
    injector = faults if isinstance(faults, FaultInjector) else FaultInjector("routee", faults, world.seed)
    rate = injector.config.rate_limit
    state = RouteeState(
        world=world,
        clock=as_clock(clock),
        injector=injector,
        rate_limit=DEFAULT_RATE_LIMIT if rate is None else rate,
        delivery_delay=delivery_delay,
    )
    api = _RouteeApi(state)
    app = SandboxStarlette(
        routes=[
            Route("/auth/oauth/token", api.token, methods=["POST"]),
            Route("/connect/sms/tracking", api.tracking, methods=["POST"]),
            Route("/connect/sms", api.send, methods=["POST"]),
        ],
        middleware=[Middleware(FaultMiddleware, injector=injector, responder=routee_fault_response)],
        exception_handlers={404: _not_found, 405: _not_allowed},
    )
    app.state.routee = state
    return app


async def _not_found(request: Request, exc: Exception) -> Response:
    return routee_error(404, "404000000", f"Resource not found: {request.url.path}")


async def _not_allowed(request: Request, exc: Exception) -> Response:
    return routee_error(405, "405000000", f"Method {request.method} not allowed.")


class _RouteeApi:
    def __init__(self, state: RouteeState) -> None:
        self.state = state
        self.world = state.world

    async def token(self, request: Request) -> Response:
        params = await read_params(request)
        if _basic(request) != (credentials.ROUTEE_APP_ID, credentials.ROUTEE_APP_SECRET):
            return json_response(
                {"error": "invalid_client", "error_description": "Bad client credentials"}, 401
            )
        if params.get("grant_type") != "client_credentials":
            return json_response(
                {"error": "unsupported_grant_type", "error_description": "Use grant_type=client_credentials"},
                400,
            )
        now = self.state.clock.now()
        self.state.tokens = {t: exp for t, exp in self.state.tokens.items() if exp > now}
        token = self.world.new_uuid()
        self.state.tokens[token] = now + TOKEN_LIFETIME
        return json_response(
            {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": int(TOKEN_LIFETIME.total_seconds()),
                "scope": SCOPE,
                "permissions": PERMISSIONS,
            }
        )

    def _authorize(self, request: Request, *, continuation: bool = False) -> Response | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        token = token.strip()
        expires = self.state.tokens.get(token) if scheme.lower() == "bearer" else None
        now = self.state.clock.now()
        if expires is None or expires <= now:
            return routee_error(401, "401000000", "Invalid or expired access token.")
        if continuation and self.state.injector.roll_token_expiry():
            self.state.tokens.pop(token, None)
            return routee_error(401, "401000000", "Invalid or expired access token.")
        if self.state.window.check(now, self.state.rate_limit or None, None) is not None:
            return routee_fault_response(429)
        return None

    # ---- tracking ------------------------------------------------------------------------------------

    async def tracking(self, request: Request) -> Response:
        q = request.query_params
        raw_page = q.get("page", "") or "0"
        page = int(raw_page) if re.fullmatch(r"-?\d+", raw_page) else None
        denied = self._authorize(request, continuation=page is not None and page > 0)
        if denied is not None:
            return denied
        if page is None or page < 0:
            return _invalid("page", "page must be a whole number >= 0.")
        raw_size = q.get("size", "") or "20"
        if not raw_size.isdigit() or not 1 <= int(raw_size) <= 2000:
            return _invalid("size", "size must be between 1 and 2000.")
        size = int(raw_size)
        now = self.state.clock.now()
        bounds: list[datetime] = []
        for name in ("dateStart", "dateEnd"):
            raw = q.get(name, "")
            if not raw:
                return _invalid(name, f"{name} is required (ISO-8601 date-time).")
            parsed = parse_time(raw)
            if parsed is None:
                return _invalid(name, f"{name} is not an ISO-8601 date-time: {raw}")
            bounds.append(parsed.value)
        start, end = bounds
        if start > end:
            return _invalid("dateEnd", "dateEnd must not be before dateStart.")
        if start < now - TRACKING_WINDOW - WINDOW_GRACE:
            return routee_error(
                400,
                "400005001",
                "Tracking accepts a date range only within the latest 7 days.",
                {"dateStart": q.get("dateStart", ""), "earliest": iso_ms(now - TRACKING_WINDOW)},
            )
        sort_key, descending = "date", True
        raw_sort = q.get("sort", "")
        if raw_sort:
            name, _, order = raw_sort.partition(",")
            if name not in SORT_FIELDS or order.lower() not in ("", "asc", "desc"):
                return _invalid("sort", f"Cannot sort by {raw_sort}.")
            sort_key, descending = name, order.lower() == "desc"
        campaign = q.get("campaign", "")
        if campaign and campaign not in self.world.routee_campaigns:
            return routee_error(400, "404009001", "Campaign not found.", {"campaign": campaign})
        raw_only = q.get("onlyCampaign", "").lower()
        if raw_only not in ("", "true", "false"):
            return _invalid("onlyCampaign", "onlyCampaign must be true or false.")
        only_campaign = raw_only == "true"
        ok, body = await read_json(request)
        if not ok:
            return routee_error(400, "400000000", "The request body is not valid JSON.")
        filters = _filters(body)
        if isinstance(filters, Response):
            return filters

        rows: list[dict[str, Any]] = []
        for message in self.world.routee_messages:
            if not start <= message.created_at <= end:
                continue
            if message.created_at > now:
                continue
            if campaign and message.campaign_tracking_id != campaign:
                continue
            if only_campaign and not message.campaign_tracking_id:
                continue
            rows.extend(_parts_json(message, now))
        rows = [row for row in rows if all(_matches(row, f) for f in filters)]
        rows.sort(key=lambda r: (_sort_value(r, sort_key), r["smsId"]), reverse=descending)
        total = len(rows)
        content = rows[page * size : (page + 1) * size]
        total_pages = (total + size - 1) // size
        for row in content:
            row.pop("_createdAt", None)
        return json_response(
            {
                "totalPages": total_pages,
                "last": page >= total_pages - 1,
                "totalElements": total,
                "first": page == 0,
                "numberOfElements": len(content),
                "number": page,
                "size": size,
                "content": content,
            }
        )

    # ---- send -------------------------------------------------------------------------------------------

    async def send(self, request: Request) -> Response:
        denied = self._authorize(request)
        if denied is not None:
            return denied
        ok, body = await read_json(request)
        if not ok:
            return routee_error(400, "400000000", "The request body is not valid JSON.")
        if not isinstance(body, dict):
            return _invalid("body", "The request body must be a JSON object.")
        text = body.get("body")
        to = body.get("to")
        sender = body.get("from")
        if not isinstance(text, str) or not text:
            return _invalid("body", "body is required.")
        if not isinstance(to, str) or not _valid_e164(to):
            return _invalid(
                "to", "to must be a phone number in E.164 format with a leading + (e.g. +14155550100)."
            )
        if not isinstance(sender, str) or not _valid_sender(sender):
            return _invalid(
                "from", "from must be up to 11 letters/digits (with a letter) or up to 16 digits."
            )
        label = body.get("label")
        if label is not None and not isinstance(label, str):
            return _invalid("label", "label must be a string.")
        callback = body.get("callback")
        if callback is not None:
            if (
                not isinstance(callback, dict)
                or not isinstance(callback.get("url"), str)
                or not str(callback.get("url", "")).startswith(("http://", "https://"))
            ):
                return _invalid("callback", "callback.url must be an http(s) URL.")
            if callback.get("strategy", "OnChange") not in ("OnChange", "OnCompletion"):
                return _invalid("callback.strategy", "callback.strategy must be OnChange or OnCompletion.")
        flash = body.get("flash", False)
        if not isinstance(flash, bool):
            return _invalid("flash", "flash must be true or false.")

        now = self.state.clock.now()
        tracking_id = self.world.new_uuid()
        rng = random.Random(f"{self.world.seed}:{tracking_id}")
        contact = self.world.contact_by_digits(to)
        roll = rng.random()
        if contact is not None and not contact.wireless:
            final, detailed = "Undelivered", "Unknown Number"
        elif (contact is not None and self.world.demo.customer(contact.phone) is not None) or roll < 0.92:
            final, detailed = "Delivered", "Delivered"
        elif roll < 0.98:
            final, detailed = "Undelivered", rng.choice(UNDELIVERED_REASONS)
        else:
            final, detailed = "Failed", "Failed"
        parts = _part_count(text)
        delay = self.state.delivery_delay
        region = phonenumbers.region_code_for_number(phonenumbers.parse(to))
        message = RouteeMessage(
            message_id=tracking_id,
            sms_ids=[self.world.new_uuid() for _ in range(parts)],
            created_at=now,
            sender=sender,
            to=to,
            body=text,
            label=label,
            campaign_name=None,
            campaign_tracking_id=None,
            country=region or "ZZ",
            operator=contact.operator if contact else "Unknown",
            direction="Outbound",
            price_per_part=0.0075 if region in ("US", "CA") else 0.035,
            application_name="Switchboard Sandbox",
            final_status=final,
            detailed_status=detailed,
            sent_after=timedelta(seconds=2) if delay is None else delay / 2,
            final_after=timedelta(seconds=rng.randint(5, 20)) if delay is None else delay,
            callback=callback,
        )
        self.world.routee_messages.append(message)
        answer: dict[str, Any] = {
            "trackingId": tracking_id,
            "createdAt": iso_ms(now),
            "from": sender,
            "to": to,
            "body": text,
            "status": "Queued",
            "bodyAnalysis": {
                "characters": len(text),
                "parts": parts,
                "transcodedCharacters": {},
                "unsupportedGSMCharacters": [],
            },
            "flash": flash,
            "direction": "Outbound",
            "originatingService": "Sms",
        }
        if label is not None:
            answer["label"] = label
        if callback is not None:
            answer["callback"] = {"url": callback["url"], "strategy": callback.get("strategy", "OnChange")}
        return json_response(answer)


# --------------------------------------------------------------------------------------------------


def _basic(request: Request) -> tuple[str, str] | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, sep, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return (user, password) if sep else None


@dataclass(frozen=True)
class _Filter:
    field: str
    term: str
    operator: str


def _filters(body: Any) -> list[_Filter] | Response:
    if body is None:
        return []
    if not isinstance(body, list):
        return _invalid("filters", "The body must be a JSON array of filters.")
    filters = []
    for index, item in enumerate(body):
        if not isinstance(item, dict):
            return _invalid(f"filters[{index}]", "Each filter must be an object.")
        name = item.get("fieldName")
        term = item.get("searchTerm")
        operator = item.get("operator") or "is"
        if name not in FILTER_FIELDS:
            return _invalid(
                f"filters[{index}].fieldName", f"fieldName must be one of {', '.join(FILTER_FIELDS)}."
            )
        if not isinstance(term, str | int | float) or isinstance(term, bool):
            return _invalid(f"filters[{index}].searchTerm", "searchTerm is required.")
        if operator not in OPERATORS:
            return _invalid(f"filters[{index}].operator", f"operator must be one of {', '.join(OPERATORS)}.")
        filters.append(_Filter(str(name), str(term), str(operator)))
    return filters


def _field_values(row: dict[str, Any], name: str) -> list[str]:
    if name == "status.status":
        return [str(row["status"]["status"])]
    if name == "campaign":
        return [str(v) for v in (row.get("campaignName"), row.get("campaignTrackingId")) if v]
    value = row.get(name)
    return [str(value)] if value is not None else []


def _matches(row: dict[str, Any], f: _Filter) -> bool:
    values = [v.lower() for v in _field_values(row, f.field)]
    term = f.term.lower()
    if f.field == "to" and f.operator in ("is", "is_not"):
        values = [digits(v) for v in values]
        term = digits(term)
    if f.operator == "is":
        return term in values
    if f.operator == "is_not":
        return term not in values
    if f.operator == "contains":
        return any(term in v for v in values)
    if f.operator == "starts_with":
        return any(v.startswith(term) for v in values)
    return any(v.endswith(term) for v in values)


def _sort_value(row: dict[str, Any], key: str) -> Any:
    if key in ("date", "createdAt"):
        return row["_createdAt"]
    if key == "status.date":
        return row["status"]["date"]
    if key == "status.status":
        return row["status"]["status"]
    if key == "price":
        return row["price"]
    return str(row.get(key) or "")


def _parts_json(message: RouteeMessage, now: datetime) -> list[dict[str, Any]]:
    status, when, detailed = message.status_at(now)
    status_json: dict[str, Any] = {"date": iso_ms(when), "status": status}
    if detailed is not None:
        status_json["reason"] = {"detailedStatus": detailed, "description": ROUTEE_REASONS[detailed]}
    rows = []
    for index, sms_id in enumerate(message.sms_ids, start=1):
        row: dict[str, Any] = {
            "applicationName": message.application_name,
            "country": message.country,
            "smsId": sms_id,
            "messageId": message.message_id,
            "groups": list(message.groups),
            "body": message.body,
            "operator": message.operator,
            "originatingService": "Sms",
            "to": message.to,
            "from": message.sender,
            "parts": message.parts,
            "part": index,
            "price": message.price_per_part,
            "status": dict(status_json),
            "direction": message.direction,
            "_createdAt": message.created_at,
        }
        if status in ("Delivered", "Undelivered", "Failed"):
            row["latency"] = int((when - message.created_at).total_seconds() * 1000)
        if message.label:
            row["label"] = message.label
        if message.campaign_tracking_id:
            row["campaignName"] = message.campaign_name
            row["campaignTrackingId"] = message.campaign_tracking_id
        if message.direction == "Inbound":
            row["receivedDate"] = iso_ms(message.created_at)
        rows.append(row)
    return rows


def _valid_e164(value: str) -> bool:
    if not re.fullmatch(r"\+[1-9]\d{6,14}", value):
        return False
    try:
        return bool(phonenumbers.is_possible_number(phonenumbers.parse(value)))
    except phonenumbers.NumberParseException:
        return False


def _valid_sender(value: str) -> bool:
    if re.fullmatch(r"\+?\d{1,16}", value):
        return True
    return bool(re.fullmatch(r"[A-Za-z0-9 ._-]{1,11}", value)) and any(ch.isalpha() for ch in value)


_GSM = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€"
)


def _part_count(text: str) -> int:
    if all(ch in _GSM for ch in text):
        single, multi = 160, 153
    else:
        single, multi = 70, 67
    return 1 if len(text) <= single else (len(text) + multi - 1) // multi
