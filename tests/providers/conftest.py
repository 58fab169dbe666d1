from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.providers import default_limiter_registry
from tests.providers.provider_support import FakeTime


@pytest.fixture(autouse=True)
def _fresh_rate_limiters() -> Iterator[None]:
    """Each test starts with empty process-wide token buckets (they are shared per account otherwise)."""
    default_limiter_registry.clear()
    yield
    default_limiter_registry.clear()


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()
