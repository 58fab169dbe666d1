"""Routee models: SMS tracking pages, tracking filters, SMS send."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field
from pydantic.alias_generators import to_camel

from bot.providers._models import ProviderModel, parse_datetime

__all__ = [
    "FilterField",
    "FilterOperator",
    "RouteeToken",
    "SmsCallback",
    "SmsSendResult",
    "SmsStatus",
    "SmsStatusReason",
    "TrackedSms",
    "TrackingFilter",
    "TrackingPage",
]

FilterField = Literal["smsId", "to", "status.status", "direction", "label", "campaign"]
FilterOperator = Literal["is", "is_not", "contains", "starts_with", "ends_with"]


class RouteeModel(ProviderModel):
    model_config = ConfigDict(alias_generator=to_camel)


class RouteeToken(ProviderModel):
    """`POST https://auth.routee.net/oauth/token`. The token never appears in a repr."""

    access_token: str = Field(repr=False)
    token_type: str | None = None
    expires_in: int | None = None
    """Seconds; missing when the application's tokens never expire."""
    scope: str | None = None
    permissions: list[str] | None = None


class TrackingFilter(RouteeModel):
    """One filter of a tracking search: ``TrackingFilter(field_name="to", search_term="+306900000000")``."""

    field_name: FilterField
    search_term: str
    operator: FilterOperator | None = "is"


class SmsStatusReason(RouteeModel):
    detailed_status: str | None = None
    """Sent, Delivered, Undelivered, Failed, Undelivered on Handset, Unknown Number, Roaming, ..."""
    description: str | None = None


class SmsStatus(RouteeModel):
    date: str | None = None
    status: str | None = None
    """Queued, Sent, Delivered, Undelivered, Failed (Unsent for bulk)."""
    reason: SmsStatusReason | None = None

    @property
    def reported_at(self) -> datetime | None:
        return parse_datetime(self.date)


class TrackedSms(RouteeModel):
    """One SMS part as Routee tracks it."""

    sms_id: str | None = None
    message_id: str | None = None
    application_name: str | None = None
    campaign_name: str | None = None
    campaign_tracking_id: str | None = None
    country: str | None = None
    groups: list[str] | None = None
    body: str | None = None
    operator: str | None = None
    originating_service: str | None = None
    to: str | None = None
    from_: str | None = Field(default=None, alias="from")
    latency: int | float | None = None
    parts: int | None = None
    part: int | None = None
    price: float | int | str | None = None
    label: str | None = None
    status: SmsStatus | None = None
    direction: str | None = None
    """``Inbound`` or ``Outbound``."""
    received_date: str | None = None

    @property
    def received_at(self) -> datetime | None:
        return parse_datetime(self.received_date)


class TrackingPage(RouteeModel):
    """One page of `POST /sms/tracking` (0-based `number`)."""

    total_pages: int | None = None
    last: bool | None = None
    total_elements: int | None = None
    first: bool | None = None
    number_of_elements: int | None = None
    number: int | None = None
    size: int | None = None
    content: list[TrackedSms] = Field(default_factory=list)


class SmsCallback(RouteeModel):
    """Where Routee posts status updates of a sent SMS."""

    url: str
    strategy: Literal["OnChange", "OnCompletion"] = "OnChange"


class SmsSendResult(RouteeModel):
    """`POST /sms`: the SMS was accepted (`status` "Queued"); track it by `tracking_id`."""

    tracking_id: str
    status: str | None = None
    created_at: str | None = None
    from_: str | None = Field(default=None, alias="from")
    to: str | None = None
    body: str | None = None
    label: str | None = None
    callback: SmsCallback | None = None
