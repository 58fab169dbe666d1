"""Base of every provider response model: unknown fields are kept, nothing is lost."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict

__all__ = ["ProviderModel", "parse_datetime"]


class ProviderModel(BaseModel):
    """A provider payload.

    * Unknown fields are accepted and kept (``model_extra``), so a provider adding a field breaks nothing and
      ``model_dump(by_alias=True, exclude_unset=True)`` gives back what the provider sent.
    * Fields are snake_case attributes with the provider's own names as aliases; both are accepted as input.
    * Timestamps stay as the provider wrote them; properties parse them into aware datetimes.
    """

    model_config = ConfigDict(extra="allow", validate_by_name=True, validate_by_alias=True)


def parse_datetime(value: str | None) -> datetime | None:
    """An ISO-8601 timestamp (``Z`` or an offset; naive means UTC) as an aware datetime, else ``None``."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def epoch_ms_to_datetime(value: int | float | str | None) -> datetime | None:
    """Epoch milliseconds (as a number or a string of digits) as an aware UTC datetime, else ``None``."""
    if value is None or isinstance(value, bool):
        return None
    try:
        millis = float(value)
    except ValueError:
        return None
    try:
        return datetime.fromtimestamp(millis / 1000.0, UTC)
    except (OverflowError, OSError, ValueError):
        return None
