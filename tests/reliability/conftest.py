"""The end-to-end harness's fixtures, for the reliability tests that run in one process."""

from tests.e2e.conftest import make_harness, slack

__all__ = ["make_harness", "slack"]
