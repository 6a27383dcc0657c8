"""Chart geometry for server-rendered SVG: no script, nothing from outside, and the charts print on A4."""

from __future__ import annotations

from decimal import Decimal

BAR_HEIGHT = 22
BAR_GAP = 8
LABEL_WIDTH = 140
PLOT_WIDTH = 360
AXIS_LABEL_WIDTH = 24  # the line chart's extra left margin for its y-axis labels
VALUE_LABEL_HALF_WIDTH = 18  # half of "100.0" at the charts' 12px


def bar_chart(rows: list[dict], *, label_key: str = "label") -> dict:
    """Horizontal bars of percentages (0–100) with their numerator/denominator beside each bar."""
    bars = []
    for i, row in enumerate(rows):
        value = row.get("percent")
        width = float(value or 0) / 100 * PLOT_WIDTH
        y = i * (BAR_HEIGHT + BAR_GAP)
        bars.append(
            {
                "label": str(row[label_key]),
                "percent": value,
                "numerator": row.get("numerator"),
                "denominator": row.get("denominator"),
                "y": y,
                "text_y": y + BAR_HEIGHT * 0.7,
                "width": round(width, 1),
                "value_x": LABEL_WIDTH + round(width, 1) + 6,
                "href": row.get("href"),
            }
        )
    return {
        "bars": bars,
        "height": max(1, len(bars)) * (BAR_HEIGHT + BAR_GAP),
        "width": LABEL_WIDTH + PLOT_WIDTH + 120,
        "label_width": LABEL_WIDTH,
        "bar_height": BAR_HEIGHT,
        "plot_width": PLOT_WIDTH,
    }


def line_chart(points: list[dict], *, width: int = 560, height: int = 200, pad: int = 32) -> dict:
    """A trend of percentages over quarters: y from 0 to 100, one point a quarter.

    The y-axis labels (100%, 50%) sit in a margin of their own, right-aligned clear of the first point, whose
    value label is centred on it: with both at the left edge, "50%" overlapped a first value near 50."""
    n = len(points)
    left = pad + AXIS_LABEL_WIDTH
    step = (width - left - pad) / max(1, n - 1)
    out = []
    for i, point in enumerate(points):
        value = point.get("percent")
        v = float(value if value is not None else Decimal(0))
        x = left + i * step if n > 1 else (left + width - pad) / 2
        y = height - pad - v / 100 * (height - 2 * pad)
        out.append({**point, "x": round(x, 1), "y": round(y, 1), "label_y": round(y - 8, 1)})
    return {
        "points": out,
        "polyline": " ".join(f"{p['x']},{p['y']}" for p in out),
        "width": width,
        "height": height,
        "baseline": height - pad,
        "top": pad,
        "axis_label_y": height - pad + 16,
        "mid": round(height - pad - 0.5 * (height - 2 * pad), 1),
        "left": left,
        "axis_label_x": left - VALUE_LABEL_HALF_WIDTH - 4,
        "right": width - pad,
    }
