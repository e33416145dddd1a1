"""The arithmetic behind the server-drawn charts."""

from __future__ import annotations

from joinedup.web.charts import HEIGHT, share_trend, weight_bars


def test_share_trend_places_points_by_share_and_skips_missing_values() -> None:
    rows = [
        {"id": 1, "completeness": 0.5, "validity": None},
        {"id": 2, "completeness": 1.0, "validity": 0.25},
    ]
    chart = share_trend(rows, [("completeness", "C", "c"), ("validity", "V", "v")])
    left, top, right, bottom = chart.plot
    completeness, validity = chart.series
    assert [p[0] for p in completeness.points] == [left, right]
    assert completeness.points[1][1] == top  # 100% at the top
    assert completeness.points[0][1] == (top + bottom) / 2
    assert len(validity.points) == 1 and validity.points[0][2] == 0.25
    assert [label for _, label in chart.x_labels] == ["Batch 1", "Batch 2"]
    assert chart.height == HEIGHT and chart.y_ticks[0][1] == "0%"


def test_share_trend_centres_a_single_batch() -> None:
    chart = share_trend([{"id": 7, "validity": 0.9}], [("validity", "V", "v")])
    left, _, right, _ = chart.plot
    assert chart.series[0].points[0][0] == (left + right) / 2


def test_weight_bars_go_right_for_agreement_left_for_disagreement() -> None:
    bars = weight_bars([("dob", 10.0), ("name", -5.0), ("sex", 0.0)], width=200)
    dob, name, sex = bars
    assert (dob.x, dob.width, dob.positive) == (100, 100, True)
    assert (name.x, name.width, name.positive) == (50, 50, False)
    assert sex.width == 0 and sex.positive
    assert weight_bars([]) == []
