"""Chart geometry for inline SVG: the dashboard draws its charts server-side, with no script."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: float


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    peak: float
    first: str
    last: str


def column_chart(
    points: list[tuple[str, float]], *, width: int = 720, height: int = 180, gap: float = 2
) -> Chart:
    """Vertical bars, one per point, scaled to the largest value (an empty chart when all are zero)."""
    peak = max((value for _, value in points), default=0)
    step = width / max(len(points), 1)
    bars = [
        Bar(
            x=round(i * step + gap / 2, 2),
            y=round(height - (value / peak * height if peak else 0), 2),
            width=round(max(step - gap, 1), 2),
            height=round(value / peak * height if peak else 0, 2),
            label=label,
            value=value,
        )
        for i, (label, value) in enumerate(points)
    ]
    return Chart(
        width=width,
        height=height,
        bars=bars,
        peak=peak,
        first=points[0][0] if points else "",
        last=points[-1][0] if points else "",
    )


def bar_widths(values: list[float], *, width: int = 100) -> list[float]:
    """Horizontal bar lengths in percent of the largest value."""
    peak = max(values, default=0)
    return [round(v / peak * width, 1) if peak > 0 else 0 for v in values]
