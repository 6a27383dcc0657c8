"""Numbers that people read: percentages rounded half-up with Decimal, in one place."""

from decimal import ROUND_HALF_UP, Decimal


def percent(numerator: int, denominator: int, decimals: int = 1) -> Decimal | None:
    """``numerator / denominator`` as a percentage rounded half-up: 35/68 → 51.5, 1/16 → 6.3.

    None when the denominator is zero (no population, no rate).
    """
    if not denominator:
        return None
    exact = Decimal(numerator) * 100 / Decimal(denominator)
    return exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def format_percent(value: Decimal | None) -> str:
    return "—" if value is None else f"{value}%"
