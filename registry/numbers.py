"""Numbers that people read: rounded half-up with Decimal, in one place."""

from decimal import ROUND_HALF_UP, Decimal


def rounded(numerator: int, denominator: int, decimals: int = 1) -> Decimal | None:
    """``numerator / denominator`` rounded half-up to ``decimals``; None when the denominator is zero."""
    if not denominator:
        return None
    exact = Decimal(numerator) / Decimal(denominator)
    return exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def percent(numerator: int, denominator: int, decimals: int = 1) -> Decimal | None:
    """A percentage rounded half-up: 35/68 → 51.5, 1/16 → 6.3 (not 6.2). None when there is no population."""
    return rounded(numerator * 100, denominator, decimals)


def format_percent(value: Decimal | None) -> str:
    return "—" if value is None else f"{value}%"
