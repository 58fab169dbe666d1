from __future__ import annotations

import pytest

from bot.errors import InputError
from bot.phones import mask, mask_all, to_e164


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+1 415 555 0100", "US", "+14155550100"),
        ("(415) 555-0100", "US", "+14155550100"),
        ("415.555.0100", "US", "+14155550100"),
        ("1-415-555-0100", "US", "+14155550100"),
        ("14155550100", "US", "+14155550100"),  # as providers write it, without "+"
        ("020 7946 0958", "GB", "+442079460958"),
        ("+44 20 7946 0958", "US", "+442079460958"),
        ("  +30 690 000 0000 ", "US", "+306900000000"),
    ],
)
def test_to_e164(raw: str, region: str, expected: str) -> None:
    assert to_e164(raw, region) == expected


@pytest.mark.parametrize("raw", ["", "   ", "hello", "12", "+1 415", "<!channel>"])
def test_bad_numbers_get_a_clear_error(raw: str) -> None:
    with pytest.raises(InputError) as caught:
        to_e164(raw)
    assert "phone number" in str(caught.value)


def test_mask_keeps_only_the_last_four() -> None:
    assert mask("+14155550123") == "+•••••••0123"
    assert mask("14155550123") == "+•••••••0123"
    assert mask("+442079460958") == "+•••••••0958"  # the same width: the length is not told either


def test_mask_all_masks_numbers_in_text_and_urls() -> None:
    text = "GET /v2/phone/sms/sessions?phone_number=14155550123 from +1 (415) 555-0199 id=42"
    masked = mask_all(text)
    assert "14155550123" not in masked and "555-0199" not in masked
    assert "id=42" in masked and "/v2/" in masked
