"""Coordinates for the server-drawn SVG charts (no chart library, no inline styles: the
templates draw the shapes, this module does the arithmetic). Every chart is paired with a
table or text giving the same values, so no reader depends on the picture."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 40, 16, 40


@dataclass
class Series:
    name: str
    css: str
    points: list[tuple[float, float, float]] = field(default_factory=list)  # x, y, value

    @property
    def path(self) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in self.points)


@dataclass
class LineChart:
    width: int
    height: int
    series: list[Series]
    x_labels: list[tuple[float, str]]
    y_ticks: list[tuple[float, str]]
    plot: tuple[float, float, float, float]  # left, top, right, bottom


def share_trend(rows: Sequence[dict[str, Any]], keys: Sequence[tuple[str, str, str]]) -> LineChart:
    """A line chart of shares (0..1) across batches, oldest first.

    `keys` are (row key, series name, css modifier); a row whose value is None leaves a gap
    in that series (the point is not drawn)."""
    right, bottom = WIDTH - RIGHT, HEIGHT - BOTTOM
    span_x = right - LEFT
    n = len(rows)

    def x_at(i: int) -> float:
        return LEFT + (span_x / 2 if n == 1 else span_x * i / (n - 1))

    def y_at(share: float) -> float:
        return bottom - (bottom - TOP) * max(0.0, min(1.0, share))

    series = []
    for key, name, css in keys:
        s = Series(name, css)
        for i, row in enumerate(rows):
            value = row.get(key)
            if value is not None:
                s.points.append((x_at(i), y_at(float(value)), float(value)))
        series.append(s)
    return LineChart(
        width=WIDTH,
        height=HEIGHT,
        series=series,
        x_labels=[(x_at(i), f"Batch {row['id']}") for i, row in enumerate(rows)],
        y_ticks=[(y_at(t / 100), f"{t}%") for t in (0, 25, 50, 75, 100)],
        plot=(LEFT, TOP, right, bottom),
    )


@dataclass
class WeightBar:
    label: str
    weight: float
    x: float
    width: float
    positive: bool


def weight_bars(items: Sequence[tuple[str, float]], width: float = 300) -> list[WeightBar]:
    """Horizontal bars for signed match weights around a centre line: agreement to the
    right, disagreement to the left, scaled to the largest weight."""
    biggest = max((abs(w) for _, w in items), default=0.0) or 1.0
    half = width / 2
    bars = []
    for label, weight in items:
        length = half * abs(weight) / biggest
        bars.append(
            WeightBar(
                label=label,
                weight=weight,
                x=half if weight >= 0 else half - length,
                width=length,
                positive=weight >= 0,
            )
        )
    return bars
