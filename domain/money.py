"""Money as integer micro-dollars, and the one rounding rule reports apply."""

# The rule: amounts are summed exactly in micro-dollars and rounded once, at
# the end, to whole cents, half up (a half cent goes away from zero). A total
# is the rounded exact sum, never the sum of rounded parts.

from decimal import Decimal, InvalidOperation

MICROS_PER_USD = 1_000_000
MICROS_PER_CENT = 10_000
ROUNDING_RULE = (
    "exact integer micro-dollars, rounded once to whole cents, half up "
    "(away from zero); a total is the rounded exact sum, not a sum of "
    "rounded parts"
)


def round_to_cents(micros: int) -> int:
    """Whole cents for an exact amount: 5,000 micro-dollars ($0.005) is 1 cent."""
    if type(micros) is not int:
        raise TypeError(f"money must be integer micro-dollars, got {micros!r}")
    cents, rest = divmod(abs(micros), MICROS_PER_CENT)
    if 2 * rest >= MICROS_PER_CENT:
        cents += 1

    return cents if micros >= 0 else -cents


def usd_text(micros: int) -> str:
    """The rounded amount as plain dollars, e.g. "3.20", "1,234.05", "-0.01"."""
    cents = round_to_cents(micros)
    sign = "-" if cents < 0 else ""
    dollars, rest = divmod(abs(cents), 100)

    return f"{sign}{dollars:,}.{rest:02d}"


def format_usd(micros: int) -> str:
    """The rounded amount for people: "$3.20"."""
    text = usd_text(micros)

    return "-$" + text[1:] if text.startswith("-") else "$" + text


def parse_usd(text: str) -> int:
    """A decimal dollar string ("5", "12.50") as exact micro-dollars, at least 0."""
    try:
        amount = Decimal(text.strip().removeprefix("$").replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"expected a dollar amount like 12.50, got {text!r}") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"expected a dollar amount of 0 or more, got {text!r}")
    micros = amount * MICROS_PER_USD
    if micros != micros.to_integral_value():
        raise ValueError(f"{text!r} is finer than a micro-dollar")

    return int(micros)


def percent(part: int, whole: int) -> int:
    """`part` of `whole` in whole percent, half up; 0 when `whole` is 0."""
    if whole <= 0:
        return 0

    return (200 * part + whole) // (2 * whole)
