"""The job queue's faster psycopg dumpers (bot.jobs.queue) write exactly what psycopg's own write."""

from __future__ import annotations

import datetime
import timeit
from typing import Any

import psycopg
import pytest
from procrastinate.types import JobToDefer
from psycopg.adapt import AdaptersMap, PyFormat, Transformer
from psycopg.types.json import Jsonb

from bot.jobs.queue import use_fast_dumpers

AWKWARD = [
    "",
    "plain",
    'a "quoted" word',
    'back\\slash \\" both',
    "{braces}, (parens), commas",
    "  spaces\tand\nnewlines ",
    "NULL",
    "null",
    "é ü 日本 \u2003em space",
    '\\"',
    "\\",
    '"',
]


def _dumped(obj: Any, *, fast: bool) -> bytes:
    adapters = AdaptersMap(psycopg.adapters)
    if fast:
        use_fast_dumpers(adapters)
    transformer = Transformer(adapters)
    dumped = transformer.get_dumper(obj, PyFormat.AUTO).dump(obj)
    assert dumped is not None
    return bytes(dumped)


def _job(args: dict[str, Any], lock: str | None = None) -> tuple[Any, ...]:
    # What procrastinate passes for each job it defers (its connector turns dicts into Jsonb).
    row = JobToDefer("switchboard", "lookup", 0, lock, None, args, datetime.datetime(2026, 12, 2, 7, 0))
    return tuple(Jsonb(value) if isinstance(value, dict) else value for value in row)


@pytest.mark.parametrize("text", AWKWARD)
def test_a_job_array_is_dumped_as_psycopg_dumps_it(text: str) -> None:
    jobs = [_job({"job": {"text": text, "n": 1, "none": None}}, lock=text or None), _job({})]
    assert _dumped(jobs, fast=True) == _dumped(jobs, fast=False)


def test_plain_arrays_and_composites_are_unchanged() -> None:
    nested = [list(AWKWARD), list(AWKWARD)]
    for value in (AWKWARD, nested, [None, "x", None], [], [1, 2, 3], tuple(AWKWARD), ("",)):
        assert _dumped(value, fast=True) == _dumped(value, fast=False), value


def test_the_fast_dumpers_are_faster() -> None:
    args = {"job": {"envelope": {"team_id": "T1", "user_id": "U1", "response_url": "https://x/y"}, "n": "+1"}}
    jobs = [_job(args) for _ in range(20)]
    fast = min(timeit.repeat(lambda: _dumped(jobs, fast=True), number=20, repeat=5))
    slow = min(timeit.repeat(lambda: _dumped(jobs, fast=False), number=20, repeat=5))
    # Measured ~4x on a quiet machine; 1.5x leaves room for a busy one.
    assert fast * 1.5 < slow
