"""Money: exact micro-dollars, rounded once to cents, half up."""

import pytest

from domain.money import format_usd, parse_usd, percent, round_to_cents, usd_text


@pytest.mark.parametrize(
    ("micros", "cents"),
    [
        (0, 0),
        (4_999, 0),
        (5_000, 1),  # $0.005, a Place Details Essentials call: half a cent, up
        (14_999, 1),
        (15_000, 2),
        (32_000, 3),  # $0.032
        (35_000, 4),  # $0.035
        (3_200_000, 320),
        (-5_000, -1),  # half goes away from zero
        (-4_999, 0),
        (2**53 + 1, (2**53 + 1 + 5_000) // 10_000),  # no float on the way
    ],
)
def test_rounding_is_half_up_to_whole_cents(micros, cents):
    assert round_to_cents(micros) == cents


def test_a_float_is_refused_as_money():
    with pytest.raises(TypeError):
        round_to_cents(0.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("micros", "text"),
    [
        (0, "$0.00"),
        (5_000, "$0.01"),
        (3_200_000, "$3.20"),
        (1_234_565_000, "$1,234.57"),
        (-10_000, "-$0.01"),
    ],
)
def test_dollars_are_formatted_for_people(micros, text):
    assert format_usd(micros) == text
    assert usd_text(micros) == text.replace("$", "")


@pytest.mark.parametrize(
    ("text", "micros"),
    [("5", 5_000_000), ("12.50", 12_500_000), ("$0.005", 5_000), ("1,000", 10**9)],
)
def test_budget_amounts_parse_to_exact_micros(text, micros):
    assert parse_usd(text) == micros


@pytest.mark.parametrize("text", ["", "abc", "-1", "0.0000001", "nan", "inf"])
def test_bad_budget_amounts_are_refused(text):
    with pytest.raises(ValueError):
        parse_usd(text)


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [(203, 303, 67), (2, 3, 67), (1, 3, 33), (1, 2, 50), (1, 200, 1), (0, 0, 0)],
)
def test_percentages_round_half_up(part, whole, expected):
    assert percent(part, whole) == expected
