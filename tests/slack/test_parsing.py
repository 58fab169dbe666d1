from __future__ import annotations

import pytest

from bot.errors import InputError
from bot.slack.parsing import number_and_range, split_number


@pytest.mark.parametrize(
    ("text", "number", "rest"),
    [
        ("+1 415 555 0100 hello there", "+14155550100", "hello there"),
        ("(415) 555-0100 Your order shipped", "+14155550100", "Your order shipped"),
        ("415.555.0100", "+14155550100", ""),
        ("14155550100 hi", "+14155550100", "hi"),
        ("+44 20 7946 0958 cheers", "+442079460958", "cheers"),
    ],
)
def test_split_number_takes_the_leading_number(text: str, number: str, rest: str) -> None:
    assert split_number(text, "US") == (number, rest)


@pytest.mark.parametrize("text", ["", "hello +1 415 555 0100", "555", "<!channel>"])
def test_split_number_needs_a_leading_number(text: str) -> None:
    with pytest.raises(InputError):
        split_number(text, "US")


def test_number_and_range() -> None:
    assert number_and_range(["+1", "415", "555", "0100", "7d"], "US") == ("+14155550100", "7d")
    assert number_and_range(["4155550100"], "US") == ("+14155550100", None)
    with pytest.raises(InputError, match="after the number"):
        number_and_range(["4155550100", "yesterday", "please"], "US")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("+1 415 555 0100 7d 30d", "`7d` and `30d` are 2 ranges; give one"),
        ("+1 415 555 0100 7x", "I don't understand `7x` after the number"),
        ("415 555 01 7d", "“415 555 01” does not look like a complete phone number"),
    ],
)
def test_a_wrong_word_after_the_number_is_named(text: str, says: str) -> None:
    with pytest.raises(InputError) as error:
        number_and_range(text.split(), "US")
    assert says in str(error.value)
    assert "“+1”" not in str(error.value)


def test_a_single_date_is_a_range() -> None:
    day = number_and_range(["+1", "415", "555", "0100", "2026-11-30"], "US")
    assert day == ("+14155550100", "2026-11-30")
    assert number_and_range(["(415) 555-0100", "24h"], "US") == ("+14155550100", "24h")
