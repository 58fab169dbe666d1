"""The fault SPEC grammar."""

from __future__ import annotations

import pytest

from bot.errors import ConfigError
from bot.sandbox.faults import FaultInjector, FaultSpec, FaultSpecError, ProviderFaults


def test_the_documented_example_parses() -> None:
    spec = FaultSpec.parse(
        "zoom:latency_ms=200,error_rate=0.1;livevox:drop_rate=0.05;routee:burst_429=5;*:malformed_rate=0.01"
    )
    assert spec.zoom == ProviderFaults(latency_ms=200, error_rate=0.1, malformed_rate=0.01)
    assert spec.livevox == ProviderFaults(drop_rate=0.05, malformed_rate=0.01)
    assert spec.routee == ProviderFaults(burst_429=5, malformed_rate=0.01)


def test_later_rules_override_earlier_ones_and_whitespace_is_ignored() -> None:
    spec = FaultSpec.parse(" *: error_rate = 0.5 ; zoom:error_rate=0 ;")
    assert spec.zoom.error_rate == 0
    assert spec.livevox.error_rate == spec.routee.error_rate == 0.5


@pytest.mark.parametrize("text", [None, "", "  ", ";"])
def test_empty_spec_means_no_faults(text: str | None) -> None:
    spec = FaultSpec.parse(text)
    assert spec == FaultSpec()
    assert not spec.zoom.active


def test_zoom_only_keys() -> None:
    spec = FaultSpec.parse("*:daily_limit=10;zoom:plan=business")
    assert spec.zoom.daily_limit == 10 and spec.zoom.plan == "business"
    assert spec.livevox.daily_limit is None
    with pytest.raises(FaultSpecError, match="zoom only"):
        FaultSpec.parse("routee:plan=pro")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("zoom", "expected TARGET:key=value"),
        ("twilio:error_rate=0.1", "unknown target 'twilio'"),
        ("zoom:", "no settings"),
        ("zoom:latency=5", "unknown key 'latency'"),
        ("zoom:error_rate", "is not key=value"),
        ("zoom:error_rate=lots", "must be a number between 0 and 1"),
        ("zoom:error_rate=1.5", "between 0 and 1"),
        ("zoom:latency_ms=-1", ">= 0"),
        ("zoom:latency_ms=1.5", "whole number"),
        ("zoom:error_status=404", "500, 502, 503 or 504"),
        ("zoom:plan=enterprise", "pro or business"),
        ("livevox:drop_rate=0.1;routee:burst_429=x", "rule 2"),
    ],
)
def test_bad_specs_fail_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(FaultSpecError, match=message) as info:
        FaultSpec.parse(text)
    assert isinstance(info.value, ValueError) and isinstance(info.value, ConfigError)


def test_str_round_trips() -> None:
    spec = FaultSpec.parse("zoom:latency_ms=200,error_rate=0.1;routee:burst_429=5,burst_every=10")
    assert FaultSpec.parse(str(spec)) == spec


def test_with_latency_adds_to_every_provider() -> None:
    spec = FaultSpec.parse("zoom:latency_ms=10").with_latency(5)
    assert (spec.zoom.latency_ms, spec.livevox.latency_ms, spec.routee.latency_ms) == (15, 5, 5)


def test_burst_schedule() -> None:
    once = FaultInjector("zoom", ProviderFaults(burst_429=2, burst_after=3))
    assert [once.in_burst(i) for i in range(7)] == [False, False, False, True, True, False, False]
    repeating = FaultInjector("zoom", ProviderFaults(burst_429=1, burst_every=3))
    assert [repeating.in_burst(i) for i in range(7)] == [True, False, False, True, False, False, True]


def test_fault_rng_is_seeded() -> None:
    a = FaultInjector("zoom", ProviderFaults(error_rate=0.5), world_seed=7)
    b = FaultInjector("zoom", ProviderFaults(error_rate=0.5), world_seed=7)
    assert [a.rng.random() for _ in range(5)] == [b.rng.random() for _ in range(5)]
    c = FaultInjector("zoom", ProviderFaults(error_rate=0.5, seed=99), world_seed=7)
    assert c.rng.random() != FaultInjector("zoom", ProviderFaults(), world_seed=7).rng.random()
