"""A small line chart of an indicator's series, as coordinates for an inline SVG
(templates/agreements/_indicators.html draws it). The numbers are also in a table beside it; the chart
only shows the trend against the target."""

from dataclasses import dataclass
from decimal import Decimal

WIDTH, HEIGHT = 360, 150
# The right margin holds the target's label beside its line, clear of the values' labels.
LEFT, RIGHT, TOP, BOTTOM = 16, 78, 22, 28
MAX_VALUE_LABELS = 8  # more points than this: the table carries the numbers alone


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    label: str  # the value as people read it
    axis: str  # the follow-up under the axis: its year, or its date when a year has several
    meets: bool | None


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    dots: list
    line: str  # the polyline's points, "x,y x,y"
    target_y: float | None
    target_label: str
    baseline_y: float
    value_labels: bool

    @property
    def plot_left(self):
        return LEFT

    @property
    def plot_right(self):
        return self.width - RIGHT


def _scale(low, high):
    """The value range to draw: the values and the target with some room around them (a trend, not a
    bar: the axis need not start at zero), never below zero when nothing is."""
    pad = (high - low) * Decimal("0.2") if high != low else max(abs(high) * Decimal("0.1"), Decimal(1))
    bottom = low - pad
    if low >= 0 > bottom:
        bottom = Decimal(0)
    return bottom, high + pad


def chart(series, target_label=""):
    """The chart of an indicators.Series, or None when it has no values."""
    points = series.points
    if not points:
        return None
    target = series.indicator.target
    numbers = [Decimal(p.value) for p in points] + ([Decimal(target)] if target is not None else [])
    low, high = _scale(min(numbers), max(numbers))
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y_of(value):
        share = (Decimal(value) - low) / (high - low)
        return round(TOP + inner_h - float(share) * inner_h, 1)

    years = [p.reviewed_on.year for p in points]
    by_year = len(set(years)) == len(years)
    step = inner_w / (len(points) - 1) if len(points) > 1 else 0
    dots = []
    for index, point in enumerate(points):
        x = LEFT + (step * index if len(points) > 1 else inner_w / 2)
        dots.append(
            Dot(
                x=round(x, 1),
                y=y_of(point.value),
                label=series.text(point.value),
                axis=str(point.reviewed_on.year) if by_year else point.reviewed_on.isoformat(),
                meets=point.meets,
            )
        )
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        dots=dots,
        line=" ".join(f"{d.x},{d.y}" for d in dots),
        target_y=y_of(target) if target is not None else None,
        target_label=target_label,
        baseline_y=TOP + inner_h,
        value_labels=len(dots) <= MAX_VALUE_LABELS,
    )
